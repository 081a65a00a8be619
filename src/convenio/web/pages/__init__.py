"""The web application's pages, one module per page group, each an `APIRouter` left out
of the OpenAPI document (pages are not the API).

Every route takes a `convenio.web.render.PageDep`, asks it for the action it needs
(``page.require(Action.READ_LEDGER)``), makes one service call and renders a template of
its group (``templates/<group>/``). A write goes through `convenio.web.forms.perform`:
the form token, one held unit of work, the audit entry — as the API's writes.
"""

from __future__ import annotations

from fastapi import APIRouter

from convenio.web.pages import (
    audit,
    entry,
    financing,
    home,
    missions,
    overview,
    public,
    settlement,
)

__all__ = ["ROUTERS"]

ROUTERS: list[APIRouter] = [
    home.router,
    overview.router,
    settlement.router,
    financing.router,
    missions.router,
    entry.router,
    audit.router,
    public.router,
]
