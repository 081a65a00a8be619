"""The deliveries page and an invoice's page: the deliveries filtered and totalled, and
a delivery's valuation and its split by the band table, with what the settlement runs
in force paid of its claims.

Amounts are exact `Decimal` in their unit (converted from minor units here, once). A
treasury reads the deliveries its party or one of its agencies supplies or receives;
the commission and the auditor read every party's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import ColumnElement, and_, func, or_, select

from convenio.auth import Principal
from convenio.errors import InputError, NotFoundError, Problem
from convenio.financing import Invoice, PriceSource, Valuation, split_invoice
from convenio.financing.claims import ClaimType
from convenio.services import financing
from convenio.services.financing_common import (
    Amount,
    belongs,
    party_scope,
    scaled,
    unit_scales,
)
from convenio.store import UnitOfWork
from convenio.store.financing_tables import deliveries as delivery_rows
from convenio.store.tables import transactions
from convenio.terms import Band, ItemKind, LoanTerms

__all__ = [
    "PER_PAGE",
    "BandRow",
    "ClaimRow",
    "DeliveryList",
    "DeliveryRow",
    "InvoiceView",
    "deliveries",
    "invoice",
    "month_span",
    "split_reason",
]

PER_PAGE: Final = 50
"""Deliveries per page of the list."""
_MONTH: Final = re.compile(r"(\d{4})-(\d{2})")


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
        scaled(r.quantity, scales[r.unit]), r.unit, scaled(r.value, scale), r.currency,
        scaled(r.short_term, scale), scaled(r.financed, scale),
    )  # fmt: skip


def deliveries(
    uow: UnitOfWork,
    product: str | None = None,
    party: str | None = None,
    month: str | None = None,
    page: int = 1,
    *,
    actor: Principal,
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
    scope = party_scope(actor, d.supplier, d.recipient)
    if scope is not None:
        where.append(scope)
    if product is not None:
        where.append(d.item == product)
    if party is not None:
        where.append(or_(belongs(d.supplier, party), belongs(d.recipient, party)))
    if span is not None:
        where.append(d.date.between(*span))
    condition = and_(True, *where)
    conn = uow.connection
    matching = conn.execute(
        select(func.count()).select_from(delivery_rows).where(condition)
    ).scalar_one()
    pages = max(1, -(-matching // per_page))
    page = min(max(page, 1), pages)
    scales = unit_scales(uow, agreement)

    def totals(column: Any, unit: Any) -> tuple[Amount, ...]:
        query = select(unit, func.sum(column)).where(condition).group_by(unit).order_by(unit)
        return tuple(Amount(scaled(int(total), scales[u]), u) for u, total in conn.execute(query))

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


def invoice(uow: UnitOfWork, delivery_id: str, *, actor: Principal) -> InvoiceView:
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
    scales = unit_scales(uow, agreement)
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
    paid = uow.financing.allocated_totals(claim_ids=[c.id for c in split.claims])
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
                scaled(amount, scale),
                due,
                scaled(paid.get(cid, 0), scale),
                scaled(amount - paid.get(cid, 0), scale),
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
