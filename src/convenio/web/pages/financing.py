"""Deliveries and financing: the deliveries filtered and totalled, an invoice and its
split by the price-band table, the tranches with their schedules and the debt service
still to come, the payment form of a treasury, and one ledger transaction.

Who: every page asks `Action.READ_LEDGER` (commission, treasury, auditor); a treasury
sees its own party's rows only, as the API's routes give them. Recording a payment asks
`Action.WRITE_FINANCE` (a treasury, for the payments its party makes). The data of each
page is one call of a service: `convenio.services.deliveries_views` (deliveries, an
invoice), `tranches_views` (tranches, a schedule), `payments_views` (payments, the form)
or `ledger_views` (a transaction).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Annotated, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query
from starlette.responses import RedirectResponse, Response

from convenio.api.deps import Reader
from convenio.auth import Action
from convenio.errors import AccessError, ConflictError, InputError, Problem
from convenio.services import deliveries_views, ledger_views, payments_views, tranches_views
from convenio.services.financing import LoadResult
from convenio.web.charts import Bar, bar_chart
from convenio.web.forms import FormWrite
from convenio.web.i18n import mark as _
from convenio.web.render import Page, PageDep, link

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


STATUS_LABELS: Final = {
    "paid": _("paid"),
    "part-paid": _("partly paid"),
    "unpaid": _("unpaid"),
    "not-due": _("not yet due"),
}
KIND_LABELS: Final = {
    "commodity": _("commodity"),
    "services": _("services"),
    "goods": _("goods"),
}
WORDS: Final = {
    "equal-principal": _("equal principal installments"),
    "annuity": _("annuity installments"),
    "monthly": _("monthly"),
    "quarterly": _("quarterly"),
    "semiannual": _("every six months"),
    "annual": _("yearly"),
    "capitalised": _("capitalised"),
}
"""The engine's words for loan terms, as the pages say them."""
GRACE_INTEREST: Final = {"paid": _("paid as it falls due"), "capitalised": _("capitalised")}
CLAIM_TYPES: Final = {
    "short-term": _("short-term part"),
    "financed": _("installment"),
    "interest": _("interest"),
    "late-interest": _("late interest"),
    "services": _("services"),
    "goods": _("goods"),
}
PAYMENT_FIELDS: Final = ("payment_id", "date", "payer", "payee", "amount", "currency", "reference")


def _render(page: Page, template: str, title: str, status: int = 200, **values: object) -> Response:
    return page.render(
        f"financing/{template}",
        status,
        title=title,
        link=link,
        status_labels=STATUS_LABELS,
        kind_labels=KIND_LABELS,
        words=WORDS,
        grace_interest=GRACE_INTEREST,
        claim_types=CLAIM_TYPES,
        **values,
    )


@router.get("/financing")
def deliveries(
    page: PageDep,
    uow: Reader,
    product: str | None = None,
    party: str | None = None,
    month: str | None = None,
    number: Annotated[int, Query(alias="page", ge=1)] = 1,
) -> Response:
    """The deliveries, filtered by product, party and month, a page at a time, with the
    totals of every delivery that matches."""
    page.require(Action.READ_LEDGER)
    found = deliveries_views.deliveries(
        uow, product or None, party or None, month or None, number, actor=page.principal
    )
    filters = {"product": found.product, "party": found.party, "month": found.month}
    kept = {k: v for k, v in filters.items() if v}
    return _render(
        page,
        "deliveries.html",
        page.gettext("Deliveries"),
        422 if found.problems else 200,
        found=found,
        errors=_by_field(found.problems),
        page_url=lambda n: "/financing?" + urlencode({**kept, "page": n}),
    )


@router.get("/financing/deliveries/{delivery_id:path}")
def invoice(page: PageDep, uow: Reader, delivery_id: str) -> Response:
    """A delivery's invoice: its valuation and its split by the band table."""
    page.require(Action.READ_LEDGER)
    shown = deliveries_views.invoice(uow, delivery_id, actor=page.principal)
    title = page.gettext("Invoice %(id)s") % {"id": delivery_id}
    return _render(page, "invoice.html", title, view=shown)


@router.get("/financing/tranches")
def tranches(page: PageDep, uow: Reader, as_of: date | None = None) -> Response:
    """The tranches, their principal outstanding, and the debt service by year."""
    page.require(Action.READ_LEDGER)
    found = tranches_views.tranches(uow, as_of, actor=page.principal)
    charts = _debt_service_charts(page, found.service)
    return _render(page, "tranches.html", page.gettext("Tranches"), found=found, charts=charts)


def _debt_service_charts(
    page: Page, service: Sequence[tranches_views.YearService]
) -> list[dict[str, object]]:
    """One bar chart per currency of the principal and interest due each year, with the
    figures of its table alternative (year, principal, interest, total)."""
    currencies = sorted({y.currency for y in service})
    fmt = page.formats
    charts: list[dict[str, object]] = []
    for currency in currencies:
        years = [y for y in service if y.currency == currency]
        caption = page.gettext("Debt service due each year (principal and interest, %(unit)s)")
        caption %= {"unit": currency}
        svg = bar_chart(caption, [Bar(str(y.year), y.total) for y in years], axis=fmt.compact)
        rows = [
            [str(y.year), *(fmt.money(v, currency) for v in (y.principal, y.interest, y.total))]
            for y in years
        ]
        headers = [
            page.gettext("Year"),
            page.gettext("Principal"),
            page.gettext("Interest"),
            page.gettext("Total"),
        ]
        charts.append(
            {"svg": svg, "caption": caption, "headers": headers, "rows": rows, "id": currency}
        )
    return charts


@router.get("/financing/tranches/{tranche_id:path}")
def tranche(page: PageDep, uow: Reader, tranche_id: str, as_of: date | None = None) -> Response:
    """A tranche's loan terms and its schedule, each installment paid or not."""
    page.require(Action.READ_LEDGER)
    shown = tranches_views.tranche(uow, tranche_id, as_of, actor=page.principal)
    title = page.gettext("Tranche %(id)s") % {"id": tranche_id}
    return _render(page, "tranche.html", title, view=shown)


# -- payments --------------------------------------------------------------------------


@router.get("/financing/payments")
def payments(
    page: PageDep,
    uow: Reader,
    recorded: str | None = None,
    unchanged: bool = False,
    settled: str | None = None,
) -> Response:
    """The latest payments the reader sees; a treasury's form to record one."""
    page.require(Action.READ_LEDGER)
    shown = payments_views.payments(uow, actor=page.principal)
    values = {"payer": shown.payer, "payee": shown.payee, "currency": shown.currency}
    done = {"id": recorded, "unchanged": unchanged, "settled": settled} if recorded else None
    return _payments_page(page, shown, values, done=done)


def _payments_page(
    page: Page,
    shown: payments_views.PaymentsView,
    values: dict[str, str | None],
    status: int = 200,
    error: Exception | None = None,
    done: dict[str, object] | None = None,
) -> Response:
    problems = getattr(error, "problems", None) or []
    return _render(
        page,
        "payments.html",
        page.gettext("Payments"),
        status,
        shown=shown,
        values=values,
        error=error,
        refused=isinstance(error, AccessError),
        errors=_by_field(problems),
        done=done,
        may_record=page.may(Action.WRITE_FINANCE),
        example=page.formats.number(Decimal("1234.56")),
    )


def _by_field(problems: Sequence[Problem]) -> dict[str, list[str]]:
    """The messages of `problems` by the form field each names."""
    found: dict[str, list[str]] = {}
    for problem in problems:
        field = (
            problem.field if problem.field in (*PAYMENT_FIELDS, "product", "party", "month") else ""
        )
        found.setdefault(field or "", []).append(problem.message)
    return found


@router.post("/financing/payments")
def record_payment(
    page: PageDep,
    write: FormWrite,
    payment_id: Annotated[str, Form()] = "",
    day: Annotated[str, Form(alias="date")] = "",
    payer: Annotated[str, Form()] = "",
    payee: Annotated[str, Form()] = "",
    amount: Annotated[str, Form()] = "",
    currency: Annotated[str, Form()] = "",
    reference: Annotated[str, Form()] = "",
) -> Response:
    """Record a payment through the payments loader (`payments_views.record_payment`),
    audited as the form's write; a refusal shows the form again, each problem on its
    field, and writes nothing."""
    page.require(Action.WRITE_FINANCE)
    form = payments_views.PaymentForm(payment_id, day, payer, payee, amount, currency, reference)
    who, language = page.principal, page.language
    try:
        result = write.apply(
            who,
            lambda uow: payments_views.record_payment(uow, form, language, actor=who),
            lambda r: f"payments: {r.added} added, {r.unchanged} unchanged",
        )
    except (InputError, ConflictError, AccessError) as error:
        status = (
            403
            if isinstance(error, AccessError)
            else 409
            if isinstance(error, ConflictError)
            else 422
        )
        values: dict[str, str | None] = {
            "payment_id": payment_id, "date": day, "payer": payer, "payee": payee,
            "amount": amount, "currency": currency, "reference": reference,
        }  # fmt: skip
        with write.store.unit_of_work() as uow:
            shown = payments_views.payments(uow, actor=who)
        return _payments_page(page, shown, values, status, error)
    return page.finish(RedirectResponse(_recorded_url(form.payment_id.strip(), result), 303))


def _recorded_url(payment_id: str, result: LoadResult) -> str:
    query: dict[str, str] = {"recorded": payment_id}
    if result.unchanged:
        query["unchanged"] = "true"
    if result.settled:
        query["settled"] = ", ".join(result.settled)
    return "/financing/payments?" + urlencode(query)


# -- a ledger transaction --------------------------------------------------------------


@router.get("/ledger/transactions/{txn_id:path}")
def transaction(page: PageDep, uow: Reader, txn_id: str) -> Response:
    """A ledger transaction: its postings, its place in the chain and in the log, and
    what it belongs to."""
    page.require(Action.READ_LEDGER)
    shown = ledger_views.transaction(
        uow, txn_id, actor=page.principal, with_proof=page.may(Action.VERIFY)
    )
    title = page.gettext("Transaction %(id)s") % {"id": txn_id}
    proof_url = "/api/v1/log/proof/inclusion?" + urlencode({"txn": txn_id})
    return _render(page, "transaction.html", title, view=shown, proof_url=proof_url)
