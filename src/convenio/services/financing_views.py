"""The read side of the financing pages: deliveries filtered and totalled, an invoice and
its split by the band table, tranches with their schedules and the debt service still to
come, the payments of a party, one ledger transaction and what it belongs to.

Each function is one page's data as frozen values, amounts as exact `Decimal` in their
unit (converted from minor units here, once). The row scope is the API's: a treasury
reads the deliveries, tranches, payments and transactions of its own party and its
agencies; the commission and the auditor read every party's. The one write,
`record_payment`, hands a form's fields to `financing.load_payments` — the loader of
``POST /api/v1/payments`` — as the one-line table that route would give it.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import ColumnElement, and_, func, or_, select

from convenio.auth import OPERATOR, Principal
from convenio.errors import InputError, NotFoundError, Problem
from convenio.files import PLAIN, FileOptions, InMemory
from convenio.financing import Invoice, PriceSource, Tranche, Valuation, split_invoice
from convenio.financing.claims import Claim, ClaimType
from convenio.financing.payments import PAYMENT_COLUMNS
from convenio.log.records import TXN
from convenio.services import financing, ledger, log
from convenio.services.financing import LoadResult
from convenio.store import UnitOfWork
from convenio.store.financing_tables import (
    allocations,
    settlement_runs,
)
from convenio.store.financing_tables import (
    deliveries as delivery_rows,
)
from convenio.store.financing_tables import (
    payments as payment_rows,
)
from convenio.store.tables import transactions
from convenio.terms import Agreement, Band, ItemKind, LoanTerms

__all__ = [
    "PER_PAGE",
    "Amount",
    "BandRow",
    "ClaimRow",
    "DeliveryList",
    "DeliveryRow",
    "InstallmentRow",
    "InvoiceView",
    "PaymentForm",
    "PaymentRow",
    "PaymentsView",
    "PostingRow",
    "TrancheList",
    "TrancheRow",
    "TrancheView",
    "TransactionView",
    "YearService",
    "as_of_default",
    "debt_service_by_year",
    "deliveries",
    "english_number",
    "installment_status",
    "invoice",
    "month_span",
    "payments",
    "record_payment",
    "split_reason",
    "tranche",
    "tranches",
    "transaction",
]

PER_PAGE: Final = 50
"""Deliveries per page of the list."""
RECENT_PAYMENTS: Final = 25
_MONTH: Final = re.compile(r"(\d{4})-(\d{2})")
_ENGLISH_GROUPED: Final = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")


def _scaled(minor: int, scale: int) -> Decimal:
    """`minor` units of a unit of `scale` decimals, exactly: 12345, 2 → 123.45."""
    return Decimal(minor).scaleb(-scale)


@dataclass(frozen=True)
class Amount:
    """An exact figure and its unit (a currency, bbl, person-month)."""

    value: Decimal
    unit: str


def as_of_default(uow: UnitOfWork) -> date:
    """The day the pages read as "today": the last day of the latest settled period (the
    store's latest settled day), else today's date."""
    ends = [last for _, _, last, _, _ in uow.financing.settled_periods()]
    return max(ends) if ends else date.today()


def _scales(uow: UnitOfWork, agreement: Agreement | None) -> dict[str, int]:
    scales = (
        {code: unit.scale for code, unit in agreement.unit_registry().items()}
        if (agreement is not None)
        else {}
    )
    scales.update(ledger.unit_scales(uow))
    return scales


def _party_scope(actor: Principal, supplier: Any, recipient: Any) -> ColumnElement[bool] | None:
    """The rows `actor` reads: None for every row (commission, auditor), else those whose
    supplier or recipient is the actor's party or one of its agencies."""
    if actor.sees_all_parties():
        return None
    if actor.party is None:
        return or_(False)  # nobody's
    return or_(_belongs(supplier, actor.party), _belongs(recipient, actor.party))


def _belongs(column: Any, party: str) -> ColumnElement[bool]:
    return or_(column == party, column.startswith(party + ".", autoescape=True))


# -- deliveries ------------------------------------------------------------------------


def month_span(text: str) -> tuple[date, date]:
    """The first and last day of month ``YYYY-MM``; `InputError` on field ``month``."""
    found = _MONTH.fullmatch(text.strip())
    if found is None or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 1:
        message = f"{text!r} is not a month (YYYY-MM)"
        raise InputError(message, [Problem(message, field="month")])
    year, month = int(found.group(1)), int(found.group(2))
    following = date(year + month // 12, month % 12 + 1, 1)
    return date(year, month, 1), date.fromordinal(following.toordinal() - 1)


@dataclass(frozen=True)
class DeliveryRow:
    """A delivery as recorded, valued and split."""

    delivery_id: str
    date: date
    supplier: str
    recipient: str
    kind: str
    item: str
    quantity: Decimal
    unit: str
    value: Decimal
    currency: str
    short_term: Decimal
    financed: Decimal


@dataclass(frozen=True)
class DeliveryList:
    """One page of the deliveries that match the filters, and the totals of all of them.

    `problems` holds what was wrong with the filters (then nothing is listed)."""

    rows: tuple[DeliveryRow, ...]
    matching: int
    page: int
    pages: int
    quantities: tuple[Amount, ...]
    values: tuple[Amount, ...]
    financed: tuple[Amount, ...]
    products: tuple[str, ...]
    parties: tuple[str, ...]
    product: str | None
    party: str | None
    month: str | None
    first_month: str | None
    last_month: str | None
    problems: tuple[Problem, ...] = ()


def _delivery_row(r: Any, scales: Mapping[str, int]) -> DeliveryRow:
    scale = scales[r.currency]
    return DeliveryRow(
        r.id, r.date, r.supplier, r.recipient, r.kind, r.item,
        _scaled(r.quantity, scales[r.unit]), r.unit, _scaled(r.value, scale), r.currency,
        _scaled(r.short_term, scale), _scaled(r.financed, scale),
    )  # fmt: skip


def deliveries(
    uow: UnitOfWork,
    product: str | None = None,
    party: str | None = None,
    month: str | None = None,
    page: int = 1,
    actor: Principal = OPERATOR,
    per_page: int = PER_PAGE,
) -> DeliveryList:
    """The deliveries of `product` (an item of the terms), where `party` (or one of its
    agencies) supplies or receives, dated in `month` (``YYYY-MM``), newest first, page
    `page` of `per_page`; the totals count every match. A treasury reads its own
    party's deliveries only, and asking for another party's is an `AccessError`."""
    agreement = financing.stored_agreement(uow)
    items = tuple(i.id for i in agreement.items) if agreement else ()
    known = tuple(p.code for p in agreement.parties) if agreement else ()
    if not actor.sees_all_parties() and party is not None:
        actor.require_parties([(party, Problem("", field="party"))])
    visible = tuple(p for p in known if actor.sees_all_parties() or actor.may_act_for(p))
    problems: list[Problem] = []
    if product is not None and product not in items:
        problems.append(Problem(f"no item {product!r} in the terms", field="product"))
    if party is not None and party not in known:
        problems.append(Problem(f"no party {party!r} in the terms", field="party"))
    span = None
    if month is not None:
        try:
            span = month_span(month)
        except InputError as exc:
            problems.extend(exc.problems)
    d = delivery_rows.c
    first, last = uow.connection.execute(select(func.min(d.date), func.max(d.date))).one()
    base = DeliveryList(
        rows=(), matching=0, page=1, pages=1, quantities=(), values=(), financed=(),
        products=items, parties=visible, product=product, party=party, month=month,
        first_month=first.strftime("%Y-%m") if first else None,
        last_month=last.strftime("%Y-%m") if last else None, problems=tuple(problems),
    )  # fmt: skip
    if problems:
        return base
    where: list[ColumnElement[bool]] = []
    scope = _party_scope(actor, d.supplier, d.recipient)
    if scope is not None:
        where.append(scope)
    if product is not None:
        where.append(d.item == product)
    if party is not None:
        where.append(or_(_belongs(d.supplier, party), _belongs(d.recipient, party)))
    if span is not None:
        where.append(d.date.between(*span))
    condition = and_(True, *where)
    conn = uow.connection
    matching = conn.execute(
        select(func.count()).select_from(delivery_rows).where(condition)
    ).scalar_one()
    pages = max(1, -(-matching // per_page))
    page = min(max(page, 1), pages)
    scales = _scales(uow, agreement)

    def totals(column: Any, unit: Any) -> tuple[Amount, ...]:
        query = select(unit, func.sum(column)).where(condition).group_by(unit).order_by(unit)
        return tuple(Amount(_scaled(int(total), scales[u]), u) for u, total in conn.execute(query))

    query = (
        select(delivery_rows)
        .where(condition)
        .order_by(d.date.desc(), d.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return replace(
        base,
        rows=tuple(_delivery_row(r, scales) for r in conn.execute(query)),
        matching=matching,
        page=page,
        pages=pages,
        quantities=totals(d.quantity, d.unit),
        values=totals(d.value, d.currency),
        financed=totals(d.financed, d.currency),
    )


# -- an invoice ------------------------------------------------------------------------


@dataclass(frozen=True)
class BandRow:
    """A row of the band table: from `at_or_above` up, `share` of the value is financed."""

    at_or_above: Decimal
    share: Decimal
    applied: bool


@dataclass(frozen=True)
class ClaimRow:
    """A claim the invoice made, what the settlement runs in force paid of it, and what
    is left."""

    claim_id: str
    type: str
    amount: Decimal
    due: date
    paid: Decimal
    outstanding: Decimal


@dataclass(frozen=True)
class InvoiceView:
    """A delivery, its valuation, and its split into a short-term part and a tranche as
    the engine computes it (`split_invoice`) from the terms version named by its
    valuation; `reason` says why the split is what it is (`split_reason`), `agrees`
    whether the engine's split is the one recorded."""

    delivery: DeliveryRow
    version_id: str
    version_name: str
    price: Decimal
    price_source: str
    per: str
    reference_price: Decimal | None
    series: str | None
    floor: Decimal | None
    invoice: Invoice
    share: Decimal
    band_share: Decimal
    reason: str
    bands: tuple[BandRow, ...]
    short_term_days: int | None
    short_term_due: date | None
    loan: LoanTerms | None
    tranche_id: str | None
    agrees: bool
    claims: tuple[ClaimRow, ...]
    transactions: tuple[str, ...]


def split_reason(kind: str, has_financing: bool, band: Band | None, share: Decimal) -> str:
    """Why an invoice's financed share is what it is, as a code the page words:
    ``not-commodity`` (services and goods make one claim), ``no-financing`` (the version
    finances nothing), ``netted`` (the band would finance, the settlement nets the whole
    invoice), ``below-bands`` (the reference price is under the first band), ``band``."""
    if kind != ItemKind.COMMODITY.value:
        return "not-commodity"
    if not has_financing:
        return "no-financing"
    if band is None:
        return "below-bands"
    if share == 0 and band.share > 0:
        return "netted"
    return "band"


def _paid(uow: UnitOfWork, claim_ids: Sequence[str], as_of: date | None = None) -> dict[str, int]:
    """What the settlement runs in force (ending by `as_of`) allocated to each claim."""
    a, r = allocations.c, settlement_runs.c
    found: dict[str, int] = defaultdict(int)
    ids = sorted(set(claim_ids))
    for start in range(0, len(ids), 500):
        query = (
            select(a.claim_id, func.sum(a.amount))
            .select_from(allocations.join(settlement_runs, a.run_id == r.id))
            .where(r.status == "settled", a.claim_id.in_(ids[start : start + 500]))
            .group_by(a.claim_id)
        )
        if as_of is not None:
            query = query.where(r.period_end <= as_of)
        for claim_id, total in uow.connection.execute(query):
            found[claim_id] += int(total)
    return found


def invoice(uow: UnitOfWork, delivery_id: str, actor: Principal = OPERATOR) -> InvoiceView:
    """The invoice of `delivery_id` (`NotFoundError` if there is none, or none `actor`
    reads: a treasury reads the deliveries its party supplies or receives)."""
    d = delivery_rows.c
    row = uow.connection.execute(select(delivery_rows).where(d.id == delivery_id)).one_or_none()
    if row is None or not (
        actor.sees_all_parties()
        or actor.may_act_for(row.supplier)
        or actor.may_act_for(row.recipient)
    ):
        raise NotFoundError(
            f"no delivery {delivery_id!r}", [Problem("unknown delivery", field="delivery_id")]
        )
    agreement = financing.current_agreement(uow)
    scales = _scales(uow, agreement)
    stored = _delivery_row(row, scales)
    version = agreement.version(row.version_id)
    reference = None if row.reference_price is None else Decimal(row.reference_price)
    delivered = next(
        x for x in uow.financing.deliveries_between(row.date, row.date) if x.delivery_id == row.id
    )
    per = agreement.item(row.item).unit
    valuation = Valuation(
        row.id, row.version_id, Decimal(row.price_used), PriceSource(row.price_source),
        reference, row.currency, per, row.value,
    )  # fmt: skip
    split = split_invoice(valuation, delivered, version)
    terms = version.financing
    band = terms.band_for(reference) if terms is not None and reference is not None else None
    claim_rows = [(c.id, c.type.value, c.amount, c.due) for c in split.claims]
    paid = _paid(uow, [c[0] for c in claim_rows])
    scale = scales[row.currency]
    pricing = version.pricing
    return InvoiceView(
        delivery=stored,
        version_id=version.id,
        version_name=version.name,
        price=Decimal(row.price_used),
        price_source=row.price_source,
        per=per,
        reference_price=reference,
        series=pricing.reference_series if pricing is not None else None,
        floor=pricing.floor.price if pricing is not None and pricing.floor is not None else None,
        invoice=split,
        share=split.share,
        band_share=band.share if band is not None else Decimal(0),
        reason=split_reason(row.kind, terms is not None, band, split.share),
        bands=tuple(
            BandRow(b.at_or_above, b.share, b == band) for b in (terms.bands if terms else ())
        ),
        short_term_days=terms.short_term.days if terms is not None else None,
        short_term_due=next((c.due for c in split.claims if c.type is ClaimType.SHORT_TERM), None),
        loan=split.tranche.loan if split.tranche is not None else None,
        tranche_id=split.tranche.id if split.tranche is not None else None,
        agrees=(split.short_term, split.financed) == (row.short_term, row.financed),
        claims=tuple(
            ClaimRow(
                cid,
                kind,
                _scaled(amount, scale),
                due,
                _scaled(paid.get(cid, 0), scale),
                _scaled(amount - paid.get(cid, 0), scale),
            )
            for cid, kind, amount, due in claim_rows
        ),
        transactions=_invoice_transactions(uow, delivery_id, [c[0] for c in claim_rows]),
    )


def _invoice_transactions(
    uow: UnitOfWork, delivery_id: str, claim_ids: Sequence[str]
) -> tuple[str, ...]:
    """The delivery's own transactions, then those of the settlement runs that took up
    its claims (offsets and payments), by position in the ledger."""
    t = transactions.c
    wanted = set(claim_ids)
    own = [f"dlv:{delivery_id}:value", f"dlv:{delivery_id}:qty"]
    condition: ColumnElement[bool] = t.id.in_(own)
    if wanted:
        mention = or_(*(t.source.contains(c, autoescape=True) for c in sorted(wanted)))
        condition = or_(condition, and_(t.kind == "settlement", mention))
    found = [
        (seq, txn_id)
        for txn_id, source, seq in uow.connection.execute(
            select(t.id, t.source, t.seq).where(condition)
        )
        if txn_id in own or wanted & set(source.split(","))
    ]
    return tuple(txn_id for _, txn_id in sorted(found))


# -- tranches --------------------------------------------------------------------------


@dataclass(frozen=True)
class TrancheRow:
    """A tranche: what was lent, on which terms, and the principal still outstanding."""

    tranche_id: str
    delivery_id: str
    creditor: str
    debtor: str
    currency: str
    start: date
    maturity: date
    principal: Decimal
    outstanding: Decimal
    rate: Decimal
    months: int
    grace_months: int
    grace_interest: str
    method: str
    frequency: str
    day_count: str


@dataclass(frozen=True)
class YearService:
    """What the tranches' schedules make due in one year: principal and interest."""

    year: int
    currency: str
    principal: Decimal
    interest: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest


@dataclass(frozen=True)
class TrancheList:
    """The tranches a reader sees, as of a day, and their debt service after it."""

    as_of: date
    rows: tuple[TrancheRow, ...]
    service: tuple[YearService, ...]
    principal: tuple[Amount, ...]
    outstanding: tuple[Amount, ...]


def debt_service_by_year(
    found: Iterable[Tranche], after: date
) -> dict[tuple[int, str], tuple[int, int]]:
    """Per (year, currency), the principal and interest (minor units) of the installments
    of `found` due after `after` — pure: the schedules alone, paid or not."""
    totals: dict[tuple[int, str], tuple[int, int]] = {}
    for t in found:
        for row in t.schedule.installments:
            if row.due > after:
                principal, interest = totals.get((row.due.year, t.currency), (0, 0))
                totals[row.due.year, t.currency] = (
                    principal + row.principal,
                    interest + row.interest,
                )
    return dict(sorted(totals.items()))


def _tranche_row(t: Tranche, allocated: Mapping[str, int], scale: int, as_of: date) -> TrancheRow:
    s = t.schedule
    repaid = sum(allocated.get(f"{t.id}:inst:{row.number}", 0) for row in s.installments)
    outstanding = t.principal - repaid if t.start <= as_of else t.principal
    return TrancheRow(
        t.id, t.delivery_id, t.creditor, t.debtor, t.currency, t.start, s.maturity,
        _scaled(t.principal, scale), _scaled(outstanding, scale), s.rate, s.term_months,
        s.grace_months, s.grace_interest.value, s.method.value, s.frequency.value,
        s.day_count.value,
    )  # fmt: skip


def _sums(rows: Iterable[tuple[str, Decimal]]) -> tuple[Amount, ...]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for unit, value in rows:
        totals[unit] += value
    return tuple(Amount(value, unit) for unit, value in sorted(totals.items()))


def tranches(
    uow: UnitOfWork, as_of: date | None = None, actor: Principal = OPERATOR
) -> TrancheList:
    """The tranches `actor` reads (`financing.tranches`: a treasury, its party's) with the
    principal outstanding as of `as_of` (default `as_of_default`) — what was lent less
    what the settlement runs ending by then repaid of its installments, as the party
    statement counts it — and the debt service due after `as_of`, by year."""
    day = as_of or as_of_default(uow)
    found = financing.tranches(uow, actor=actor)
    scales = ledger.unit_scales(uow)
    allocated = uow.financing.allocated_totals(day)
    rows = tuple(_tranche_row(t, allocated, scales[t.currency], day) for t in found)
    service = tuple(
        YearService(year, currency, _scaled(p, scales[currency]), _scaled(i, scales[currency]))
        for (year, currency), (p, i) in debt_service_by_year(found, day).items()
    )
    return TrancheList(
        day,
        rows,
        service,
        _sums((r.currency, r.principal) for r in rows),
        _sums((r.currency, r.outstanding) for r in rows),
    )


@dataclass(frozen=True)
class InstallmentRow:
    """A row of a schedule with what the settlement runs paid of it and its status."""

    number: int
    due: date
    opening: Decimal
    interest: Decimal
    principal: Decimal
    payment: Decimal
    closing: Decimal
    paid: Decimal
    status: str


@dataclass(frozen=True)
class TrancheView:
    """A tranche, its loan terms and its schedule as of a day."""

    row: TrancheRow
    as_of: date
    loan: LoanTerms
    installments: tuple[InstallmentRow, ...]


def installment_status(due: date, payment: int, paid: int, as_of: date) -> str:
    """``paid`` (all of it), ``part-paid``, ``unpaid`` (due by `as_of`, nothing paid) or
    ``not-due`` (due after `as_of`, nothing paid yet)."""
    if paid >= payment:
        return "paid"
    if paid > 0:
        return "part-paid"
    return "unpaid" if due <= as_of else "not-due"


def tranche(
    uow: UnitOfWork, tranche_id: str, as_of: date | None = None, actor: Principal = OPERATOR
) -> TrancheView:
    """The tranche `tranche_id` (`financing.tranche`: `NotFoundError` for one the actor
    does not read) with each installment's payment status as of `as_of`."""
    day = as_of or as_of_default(uow)
    t = financing.tranche(uow, tranche_id, actor=actor)
    scale = ledger.unit_scales(uow)[t.currency]
    rows = t.schedule.installments
    ids = [f"{t.id}:{kind}:{row.number}" for row in rows for kind in ("inst", "int")]
    paid = _paid(uow, ids, day)

    def money(minor: int) -> Decimal:
        return _scaled(minor, scale)

    installments = []
    for row in rows:
        settled = paid.get(f"{t.id}:inst:{row.number}", 0) + paid.get(f"{t.id}:int:{row.number}", 0)
        installments.append(
            InstallmentRow(
                row.number, row.due, money(row.opening), money(row.interest),
                money(row.principal), money(row.payment), money(row.closing), money(settled),
                installment_status(row.due, row.payment, settled, day),
            )
        )  # fmt: skip
    allocated = {
        f"{t.id}:inst:{row.number}": paid.get(f"{t.id}:inst:{row.number}", 0) for row in rows
    }
    return TrancheView(_tranche_row(t, allocated, scale, day), day, t.loan, tuple(installments))


# -- payments --------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentRow:
    """A recorded payment and the ledger transactions of the runs that applied it."""

    payment_id: str
    date: date
    payer: str
    payee: str
    amount: Decimal
    currency: str
    reference: str
    transactions: tuple[str, ...]


@dataclass(frozen=True)
class PaymentsView:
    """The latest payments a reader sees, and the choices of the payment form: payers
    are the parties the reader acts for, payees the others."""

    rows: tuple[PaymentRow, ...]
    count: int
    payers: tuple[str, ...]
    payees: tuple[str, ...]
    currencies: tuple[str, ...]
    payer: str | None
    payee: str | None
    currency: str | None


def payments(
    uow: UnitOfWork, actor: Principal = OPERATOR, limit: int = RECENT_PAYMENTS
) -> PaymentsView:
    """The `limit` latest payments (by date, then id) that `actor` reads — a treasury,
    those its party made or received — and the payment form's choices."""
    p = payment_rows.c
    scope = _party_scope(actor, p.payer, p.payee)
    condition = and_(True, scope) if scope is not None else and_(True)
    conn = uow.connection
    count = conn.execute(select(func.count()).select_from(payment_rows).where(condition))
    query = select(payment_rows).where(condition).order_by(p.date.desc(), p.id.desc()).limit(limit)
    found = list(conn.execute(query))
    scales = ledger.unit_scales(uow)
    applied = _applied(uow, [r.id for r in found])
    rows = tuple(
        PaymentRow(
            r.id, r.date, r.payer, r.payee, _scaled(r.amount, scales[r.currency]), r.currency,
            r.reference, applied.get(r.id, ()),
        )
        for r in found
    )  # fmt: skip
    agreement = financing.stored_agreement(uow)
    codes = [x.code for x in agreement.parties] if agreement else []
    payers = tuple(c for c in codes if not actor.sees_all_parties() and actor.may_act_for(c))
    payees = tuple(c for c in codes if c not in payers)
    currencies = tuple(
        sorted(code for code, unit in uow.ledger.units().items() if unit.kind.value == "currency")
    )
    sides: dict[str, str] = {}
    cash = None
    if agreement is not None and agreement.versions:
        latest = agreement.versions[-1]
        sides = financing.settlement_sides(agreement, latest.effective)
        cash = latest.settlement.cash_currency if latest.settlement is not None else None
    payer = next((sides[c] for c in payers if sides.get(c) in payers), None)
    payee = next((sides[c] for c in payees if sides.get(c) in payees), None)
    return PaymentsView(rows, count.scalar_one(), payers, payees, currencies, payer, payee, cash)


def _applied(uow: UnitOfWork, payment_ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Per payment, the settlement transactions that applied it (their metadata name it)."""
    if not payment_ids:
        return {}
    t = transactions.c
    # The metadata is JSON text: find the rows that mention an id, then read them.
    mentions = or_(*(t.metadata.contains(pid, autoescape=True) for pid in payment_ids))
    query = select(t.id, t.metadata).where(t.kind == "settlement", mentions).order_by(t.seq)
    found: dict[str, list[str]] = defaultdict(list)
    wanted = set(payment_ids)
    for txn_id, metadata in uow.connection.execute(query):
        named = json.loads(metadata).get("payment")
        if named in wanted:
            found[named].append(txn_id)
    return {pid: tuple(ids) for pid, ids in found.items()}


@dataclass(frozen=True)
class PaymentForm:
    """A payment as typed in the form: text, read by the payments loader."""

    payment_id: str
    date: str
    payer: str
    payee: str
    amount: str
    currency: str
    reference: str = ""


_LIMITS: Final = {"payment_id": 50, "payer": 50, "payee": 50, "currency": 20, "reference": 500}
"""The longest text of each field (those of ``POST /api/v1/payments``)."""


def english_number(text: str) -> str:
    """``1,234.56`` → ``1234.56``: thousands grouped by commas in threes are dropped; any
    other text is left as it is for the loader to judge (``12,3,4`` stays, refused)."""
    stripped = text.strip()
    return stripped.replace(",", "") if _ENGLISH_GROUPED.fullmatch(stripped) else stripped


def record_payment(
    uow: UnitOfWork, form: PaymentForm, language: str, actor: Principal = OPERATOR
) -> LoadResult:
    """Record the payment of a web form through `financing.load_payments` (the loader of
    ``POST /api/v1/payments``: the same checks, the same row scope — a treasury records
    the payments its party makes), the amount read the way `language` writes numbers
    (``es``: ``1.234,56``; ``en``: ``1,234.56`` or ``1234.56``). Its problems name the
    form's fields."""
    long = [
        Problem(f"at most {most} characters", field=name)
        for name, most in _LIMITS.items()
        if len(getattr(form, name)) > most
    ]
    if long:
        raise InputError.from_problems(long, "payment")
    amount = form.amount.strip() if language == "es" else english_number(form.amount)
    values = (form.payment_id.strip(), form.date.strip(), form.payer, form.payee, amount,
              form.currency, form.reference.strip())  # fmt: skip
    out = io.StringIO()
    # A Spanish table separates its fields by ';' (its decimal mark is the comma).
    writer = csv.writer(out, delimiter=";" if language == "es" else ",", lineterminator="\n")
    writer.writerow((*PAYMENT_COLUMNS, "reference"))
    writer.writerow(values)
    options = FileOptions(locale="es") if language == "es" else PLAIN
    table = InMemory("payment.csv", out.getvalue().encode())
    return financing.load_payments(uow, table, options, actor=actor)


# -- a ledger transaction --------------------------------------------------------------


@dataclass(frozen=True)
class PostingRow:
    account: str
    amount: Decimal
    unit: str


@dataclass(frozen=True)
class Belonging:
    """A claim a settlement transaction took up, with the delivery (and tranche) it
    arose from."""

    claim_id: str
    type: str
    delivery_id: str | None
    tranche_id: str | None


@dataclass(frozen=True)
class TransactionView:
    """A recorded transaction, where it stands in the chain and the log, and what it
    belongs to: a delivery, a payment, a settlement run, the claims it settled."""

    txn_id: str
    date: date
    kind: str
    description: str
    source: str
    metadata: tuple[tuple[str, str], ...]
    postings: tuple[PostingRow, ...]
    seq: int
    hash: str
    prev_hash: str
    recorded_at: datetime
    reverses: str | None
    reversed_by: str | None
    log_index: int | None
    delivery_id: str | None
    payment_id: str | None
    run_id: str | None
    run_status: str | None
    claims: tuple[Belonging, ...]
    proof: log.InclusionProof | None


_INVOICED: Final = (ClaimType.SHORT_TERM, ClaimType.SERVICES, ClaimType.GOODS)


def _belonging(claim: Claim, tranche_delivery: str | None) -> Belonging:
    if tranche_delivery is not None:  # an installment or interest: its source is the tranche
        return Belonging(claim.id, claim.type.value, tranche_delivery, claim.source)
    delivery = claim.source if claim.type in _INVOICED else None
    return Belonging(claim.id, claim.type.value, delivery, None)


def transaction(
    uow: UnitOfWork, txn_id: str, actor: Principal = OPERATOR, with_proof: bool = False
) -> TransactionView:
    """The transaction `txn_id` as `ledger.transaction` gives it to `actor` (a treasury:
    one touching an account of its party; any other is not found), with its log entry
    and, `with_proof`, that entry's inclusion proof in today's tree."""
    found = ledger.transaction(uow, txn_id, actor=actor)
    if found is None:
        raise NotFoundError(f"no transaction {txn_id!r}", [Problem("unknown", field="txn_id")])
    txn = found.txn
    scales = ledger.unit_scales(uow)
    meta = dict(txn.metadata)
    index = uow.log.locate(TXN, found.seq)
    run = None
    if txn.kind == "settlement":
        r = settlement_runs.c
        for run_id, status, listed in uow.connection.execute(
            select(r.id, r.status, r.transactions).where(
                r.transactions.contains(txn.id, autoescape=True)
            )
        ):
            if txn.id in json.loads(listed):
                run = (run_id, status)
    claim_ids = [c for c in txn.source.split(",") if c] if txn.kind == "settlement" else []
    known = uow.financing.claims_by_id(claim_ids)
    belongs = tuple(_belonging(*known[cid]) for cid in claim_ids if cid in known)
    delivery = meta.get("delivery") or (txn.source if txn.kind == "delivery" else None)
    return TransactionView(
        txn_id=txn.id, date=txn.date, kind=txn.kind, description=txn.description,
        source=txn.source, metadata=tuple(txn.metadata),
        postings=tuple(
            PostingRow(p.account, _scaled(p.amount, scales[p.unit]), p.unit)
            for p in txn.postings
        ),
        seq=found.seq, hash=found.hash, prev_hash=found.prev_hash,
        recorded_at=found.recorded_at, reverses=txn.reverses,
        reversed_by=uow.ledger.reversed_by(txn.id), log_index=index,
        delivery_id=delivery, payment_id=meta.get("payment"),
        run_id=run[0] if run else None, run_status=run[1] if run else None,
        claims=belongs,
        proof=log.inclusion(uow, index) if with_proof and index is not None else None,
    )  # fmt: skip
