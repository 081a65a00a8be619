"""Settlement routes (being written)."""

from __future__ import annotations

from fastapi import APIRouter

from convenio.api.problems import PROBLEMS

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["settlement"], responses=PROBLEMS)
