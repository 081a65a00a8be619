"""DHIS2's Web API where DHIS2 clients expect it (being written)."""

from __future__ import annotations

from fastapi import APIRouter

from convenio.api.problems import PROBLEMS

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["dhis2"], responses=PROBLEMS)
