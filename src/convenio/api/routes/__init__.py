"""The API's routes, one module per capability; `ROUTERS` is what the app includes."""

from __future__ import annotations

from fastapi import APIRouter

from convenio.api.routes import admin, dhis2, financing, ledger, log, missions, settlement, terms

__all__ = ["ROUTERS"]

ROUTERS: tuple[APIRouter, ...] = (
    admin.router,
    terms.router,
    ledger.router,
    log.router,
    financing.router,
    settlement.router,
    missions.router,
    dhis2.router,
)
