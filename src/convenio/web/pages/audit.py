"""The audit page: the trail of every state-changing request, newest first, filterable
(``GET /audit``; who: `Action.READ_AUDIT` — the auditor and the administrator), and the
whole record verified from the page (``POST /audit/verify``; who: `Action.VERIFY` — the
auditor and the commissions): a form's write, audited when the record verifies.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query
from starlette.responses import Response

from convenio.api.deps import Reader
from convenio.auth import Action
from convenio.errors import InputError
from convenio.services import audit_views
from convenio.web.forms import FormWrite
from convenio.web.render import Page, PageDep

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _txn_url(txn_id: str) -> str:
    """The page of a ledger transaction (the financing pages')."""
    return "/ledger/transactions/" + quote(txn_id, safe=":")


@router.get("/audit")
def audit(
    page: PageDep,
    uow: Reader,
    user: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[str | None, Query(max_length=30)] = None,
    until: Annotated[str | None, Query(max_length=30)] = None,
    method: Annotated[str | None, Query(max_length=10)] = None,
    route: Annotated[str | None, Query(max_length=200)] = None,
    before: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """The trail, a page at a time, with the filter form and (for those who may) the
    button that verifies the ledger."""
    page.require(Action.READ_AUDIT)
    asked = {"user": user, "since": since, "until": until, "method": method, "route": route}
    title = page.gettext("Audit trail")
    try:
        chosen = audit_views.parse_filter(user, since, until, method, route, before)
    except InputError as error:
        return page.render(
            "audit/trail.html", 422, title=title, asked=asked, error=error, **_tools(page)
        )
    found = audit_views.trail(uow, chosen)
    return page.render(
        "audit/trail.html", title=title, asked=asked, chosen=chosen, trail=found, **_tools(page)
    )


def _tools(page: Page) -> dict[str, Any]:
    return {
        "methods": audit_views.METHODS,
        "txn_url": _txn_url,
        "may_verify": page.may(Action.VERIFY),
    }


@router.post("/audit/verify")
def verify(page: PageDep, write: FormWrite) -> Response:
    """Verify the whole record (`services.ledger.verify`) and show its report, or the
    first bad record it names. A verification that passes is recorded in the audit
    trail (the overview shows the last one); one that fails records nothing."""
    page.require(Action.VERIFY)
    result = write.apply(
        page.principal, audit_views.verify_and_record, audit_views.verification_summary
    )
    return page.render("audit/verify.html", title=page.gettext("Verify the ledger"), result=result)
