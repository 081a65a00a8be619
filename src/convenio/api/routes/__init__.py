"""The API's routes, one module per capability; `ROUTERS` is what the app includes."""

from __future__ import annotations

from fastapi import APIRouter

from convenio.api.routes import financing, ledger

__all__ = ["ROUTERS"]

ROUTERS: tuple[APIRouter, ...] = (ledger.router, financing.router)
