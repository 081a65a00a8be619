"""Settlement: the runs, a run's statement with what makes each figure, settling,
reopening and signing a statement, and the statement for paper and as a file.

Who: one rule, `services.settlement.reads_run`, as for the API. The runs and the
drill-down ask `Action.READ_LEDGER` (commission, treasury, auditor — a treasury its
party's runs); a settled run's statement, its sign-offs (the signers' logins included,
as ``GET /api/v1/settlements/runs/{run_id}/signoffs`` publishes them), its printable
form and its file are anyone's, the public's included, without drill-down or ledger
transactions; a reopened run's, only its ledger's readers'. Settle,
reopen and sign ask `Action.SETTLE` (a commission; signing: the commission of one of
the run's two signing parties). The data of each page is one call of
`convenio.services.settlement_views`; the writes call the services the API calls
(`services.settlement.run_settlement`, `services.signoffs.sign_off`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated, Final, Protocol

from fastapi import APIRouter, Form, Query
from starlette.responses import HTMLResponse, RedirectResponse, Response

from convenio.api.deps import Reader
from convenio.auth import Action
from convenio.errors import ConflictError, InputError
from convenio.services import settlement as settling
from convenio.services import settlement_views as views
from convenio.services.signoffs import Signoff, sign_off
from convenio.store import Store, UnitOfWork
from convenio.web.charts import Bar, bar_chart
from convenio.web.forms import FormWrite
from convenio.web.i18n import mark as _
from convenio.web.render import STATIC, Page, PageDep, link

__all__ = ["FILE_POLICY", "router", "signature_text"]

router = APIRouter(include_in_schema=False)


FIGURE_LABELS: Final = {
    "invoiced": _("Invoiced in the period"),
    "outstanding": _("Outstanding before the run"),
    "offset": _("Offset in kind"),
    "cash": _("Paid in cash"),
    "carried": _("Carried forward"),
    "overpaid": _("Overpaid, carried as credit"),
}
CLAIM_LABELS: Final = {
    "short-term": _("Short-term part of invoices"),
    "financed": _("Loan installments"),
    "interest": _("Interest"),
    "late-interest": _("Late interest"),
    "services": _("Services"),
    "goods": _("Goods"),
}
DONE_LABELS: Final = {
    "signed": _("Your sign-off of this statement is recorded."),
    "reopened": _("The period was reopened and settled again: this is the run that replaced it."),
}
FILE_POLICY: Final = (
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
)
"""The downloaded statement's policy: its own inline style, nothing else at all."""
_CSS: Final = STATIC / "settlement.css"


def run_url(run_id: str, tail: str = "") -> str:
    return link("/settlement/runs", run_id) + tail


class _Signed(Protocol):
    @property
    def signoffs(self) -> Sequence[Signoff]: ...
    @property
    def awaiting(self) -> Sequence[str]: ...


def signature_text(page: Page, signed: _Signed) -> str:
    """Who signed a statement and who has not yet, in the reader's language: "Signed by
    VEN (ven-commission, 6 dic 2026), awaiting CUB" — with the logins, as the API's
    ``GET /api/v1/settlements/runs/{run_id}/signoffs`` publishes them to whoever reads
    the run."""
    fmt = page.formats
    done = [f"{s.party} ({s.login}, {fmt.date(s.signed_at[:10])})" for s in signed.signoffs]
    both = page.gettext(" and ")
    said = {"signed": both.join(done), "awaiting": both.join(signed.awaiting)}
    if done and signed.awaiting:
        return page.gettext("Signed by %(signed)s, awaiting %(awaiting)s") % said
    if done:
        return page.gettext("Signed by %(signed)s") % said
    if signed.awaiting:
        return page.gettext("Awaiting the sign-off of %(awaiting)s") % said
    return page.gettext("Not signed")


def _values(page: Page) -> dict[str, object]:
    """What every settlement template is given besides its own values."""
    return {
        "link": link,
        "run_url": run_url,
        "figure_labels": FIGURE_LABELS,
        "claim_labels": CLAIM_LABELS,
        "signed_text": lambda signed: signature_text(page, signed),
    }


def _render(page: Page, template: str, title: str, status: int = 200, **values: object) -> Response:
    return page.render(f"settlement/{template}", status, title=title, **_values(page), **values)


@contextmanager
def _reading(page: Page) -> Iterator[UnitOfWork]:
    """A reader's unit of work after a refused write (the page shown again)."""
    store = page.request.app.state.store
    assert isinstance(store, Store)
    with store.unit_of_work() as uow:
        yield uow


def _year(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and len(text) == 4 else None


@router.get("/settlement")
def runs(page: PageDep, uow: Reader, year: str | None = None) -> Response:
    """The runs, newest period first (of one year if asked), with their sign-offs; for a
    commission, the form that settles a period and each run's actions."""
    page.require(Action.READ_LEDGER)
    view = views.runs_view(uow, page.principal, _year(year))
    return _render(
        page, "runs.html", page.gettext("Settlement"), view=view, chart=_chart(page, view)
    )


def _chart(page: Page, view: views.RunsView) -> dict[str, object] | None:
    """The net position period by period as bars (one state owing the other above the
    line, the reverse below), with its table."""
    net = view.net
    if net is None or not view.lines:
        return None
    unit = view.lines[0].run.currency
    said = {"debtor": net.debtor, "creditor": net.creditor, "unit": unit}
    caption = (
        page.gettext(
            "Net position before cash, by period: what %(debtor)s owed %(creditor)s "
            "(below the line: what %(creditor)s owed %(debtor)s), in %(unit)s"
        )
        % said
    )
    fmt = page.formats
    return {
        "svg": bar_chart(
            caption,
            [Bar(period, amount) for period, amount in net.points],
            axis=fmt.compact,
        ),
        "caption": caption,
        "headers": [
            page.gettext("Period"),
            page.gettext("What %(debtor)s owed %(creditor)s") % said,
        ],
        "rows": [[period, fmt.money(amount, unit)] for period, amount in net.points],
    }


@router.post("/settlement/settle")
def settle(page: PageDep, write: FormWrite, period: Annotated[str, Form()] = "") -> Response:
    """Settle a period (the API's ``POST /api/v1/settlements/{period}``): the runs made,
    or those already there; a refusal shows the list again with the reason on the field."""
    page.require(Action.SETTLE)
    who = page.principal
    try:
        outcomes = write.apply(
            who,
            lambda uow: settling.run_settlement(uow, period.strip(), False, actor=who),
            lambda done: (
                "settled: " + (", ".join(o.run.id for o in done if o.created) or "nothing new")
            ),
        )
    except (InputError, ConflictError) as error:
        status = 409 if isinstance(error, ConflictError) else 422
        with _reading(page) as uow:
            view = views.runs_view(uow, who, None)
        title = page.gettext("Settlement")
        return _render(page, "runs.html", title, status, view=view, error=error, period=period)
    title = page.gettext("Settled: %(period)s") % {"period": period.strip()}
    return _render(page, "settled.html", title, outcomes=outcomes, period=period.strip())


@router.get("/settlement/runs/{run_id}")
def statement(page: PageDep, uow: Reader, run_id: str, done: str | None = None) -> Response:
    """A run's statement: each figure by direction (a link to what makes it, for a reader
    of the ledger), the net, the sign-offs, how to cite it; a commission's actions."""
    page.require(Action.READ_PUBLIC)
    view = views.statement_view(uow, run_id, page.principal)
    return _statement_page(page, view, notice=DONE_LABELS.get(done or ""))


def _statement_page(
    page: Page,
    view: views.StatementView,
    status: int = 200,
    notice: str | None = None,
    error: Exception | None = None,
) -> Response:
    title = page.gettext("Statement %(period)s: %(a)s – %(b)s") % {
        "period": view.run.period,
        "a": view.run.party_a,
        "b": view.run.party_b,
    }
    cite = str(page.request.base_url).rstrip("/") + run_url(view.run.id)
    return _render(
        page, "statement.html", title, status, view=view, notice=notice, error=error, cite=cite
    )


@router.get("/settlement/runs/{run_id}/figures/{figure}")
def figure(
    page: PageDep,
    uow: Reader,
    run_id: str,
    figure: str,
    direction: Annotated[int, Query(ge=0, le=1)] = 0,
    type: str | None = None,
    number: Annotated[int, Query(alias="page", ge=1)] = 1,
) -> Response:
    """What makes one figure of a statement: the claims, allocations or payments it
    sums, each linked to its delivery and its ledger transactions."""
    page.require(Action.READ_LEDGER)
    view = views.figure_view(uow, run_id, page.principal, figure, direction, type or None, number)
    d = view.direction
    title = page.gettext("%(figure)s: %(creditor)s on %(debtor)s, %(period)s") % {
        "figure": page.gettext(FIGURE_LABELS[figure]),
        "creditor": d.creditor,
        "debtor": d.debtor,
        "period": view.statement.run.period,
    }

    def page_url(n: int) -> str:
        query = {"direction": direction, "type": view.claim_type, "page": n}
        return page.url(run_url(run_id, f"/figures/{figure}"), **query)

    return _render(page, "figure.html", title, view=view, page_url=page_url)


@router.post("/settlement/runs/{run_id}/reopen")
def reopen(page: PageDep, write: FormWrite, run_id: str) -> Response:
    """Reopen the run's period and settle it again (the API's ``reopen=true``); then the
    run that replaced it."""
    page.require(Action.SETTLE)
    who = page.principal
    try:
        outcome = write.apply(
            who,
            lambda uow: views.reopen(uow, run_id, who),
            lambda o: f"reopened {o.reversed_run}: settled again as {o.run.id}",
        )
    except (InputError, ConflictError) as error:
        return _refused(page, run_id, error)
    return page.finish(RedirectResponse(run_url(outcome.run.id, "?done=reopened"), 303))


@router.post("/settlement/runs/{run_id}/sign")
def sign(page: PageDep, write: FormWrite, run_id: str) -> Response:
    """The reader's commission signs off the run's statement (`services.signoffs`)."""
    page.require(Action.SETTLE)
    who = page.principal
    try:
        write.apply(
            who,
            lambda uow: sign_off(uow, run_id, who),
            lambda s: f"signed off run {s.run_id} for {s.party}",
        )
    except (InputError, ConflictError) as error:
        return _refused(page, run_id, error)
    return page.finish(RedirectResponse(run_url(run_id, "?done=signed"), 303))


def _refused(page: Page, run_id: str, error: InputError | ConflictError) -> Response:
    """The statement again, with why the write was refused (nothing was written)."""
    status = 409 if isinstance(error, ConflictError) else 422
    with _reading(page) as uow:
        view = views.statement_view(uow, run_id, page.principal)
    return _statement_page(page, view, status, error=error)


@router.get("/settlement/runs/{run_id}/print")
def printable(page: PageDep, uow: Reader, run_id: str) -> Response:
    """The statement for paper (the browser prints it to PDF): letterhead, period, terms
    version, figures, both signature blocks and the checkpoint that covers it."""
    page.require(Action.READ_PUBLIC)
    view = views.statement_view(uow, run_id, page.principal)
    title = page.gettext("Settlement statement %(period)s") % {"period": view.run.period}
    cite = str(page.request.base_url).rstrip("/") + run_url(view.run.id)
    return _render(page, "print.html", title, view=view, cite=cite)


@router.get("/settlement/runs/{run_id}/statement.html")
def statement_file(page: PageDep, uow: Reader, run_id: str) -> Response:
    """The printable statement as one self-contained HTML file to keep: its style
    inside it, no script, no reference to anything outside it."""
    page.require(Action.READ_PUBLIC)
    view = views.statement_view(uow, run_id, page.principal)
    title = page.gettext("Settlement statement %(period)s") % {"period": view.run.period}
    cite = str(page.request.base_url).rstrip("/") + run_url(view.run.id)
    text = page.render_text(
        "settlement/statement_file.html",
        title=title,
        view=view,
        cite=cite,
        css=_CSS.read_text(encoding="utf-8"),
        **_values(page),
    )
    name = "statement-" + "".join(c if c.isalnum() or c in ".-" else "-" for c in view.run.id)
    return HTMLResponse(
        text,
        headers={
            "Content-Security-Policy": FILE_POLICY,
            "Content-Language": page.language,
            "Content-Disposition": f'attachment; filename="{name}.html"',
            "X-Content-Type-Options": "nosniff",
        },
    )
