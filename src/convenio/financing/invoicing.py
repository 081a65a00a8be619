"""Valuation and the invoice split: from a delivery to claims, a tranche and postings.

The middle of the financing flow. `value_delivery` prices a delivery by the terms
version in force on its date — a commodity by its reference price (the version's
series and rule, `convenio.financing.prices`) raised to the floor, services and goods
by the rate card — and rounds the value once. `split_invoice` then splits a commodity
invoice by the band of its reference price into a short-term part, due in cash after
the short term, and a financed part lent as a `Tranche`; services and goods make one
claim. `delivery_transactions` books both in the ledger's chart
(`convenio.financing.accounts`). Every step is pure; amounts are integers of minor
units, prices `Decimal` per one unit of the item.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, Inexact, localcontext
from enum import StrEnum
from typing import Final

from convenio.errors import InputError, Problem
from convenio.financing.accounts import (
    claim_account,
    delivered_account,
    expense_account,
    income_account,
    payable_account,
    received_account,
)
from convenio.financing.claims import Claim, ClaimType
from convenio.financing.daycount import DECIMAL_CONTEXT
from convenio.financing.deliveries import Delivery
from convenio.financing.prices import PriceSeries, reference_price
from convenio.financing.tranches import Tranche, tranche_claims, tranche_for
from convenio.ledger import AccountSpec, Posting, Transaction
from convenio.terms import Agreement, AgreementVersion, ItemKind, state_of
from convenio.terms.values import FinancedParts

__all__ = [
    "SPLIT_ROUNDING",
    "VALUE_ROUNDING",
    "Invoice",
    "PriceSource",
    "Valuation",
    "delivery_accounts",
    "delivery_transactions",
    "split_invoice",
    "value_delivery",
]

VALUE_ROUNDING: Final = ROUND_HALF_UP
"""How quantity × price becomes whole minor units (cents): once, to the nearest, ties
away from zero — the commercial rule of invoices (an invoice is rounded once, so the
bias half to even guards against in accruals does not arise)."""

SPLIT_ROUNDING: Final = ROUND_HALF_UP
"""How value × financed share becomes whole minor units; the short-term part is the
value minus the financed part, so the two always sum to the value exactly."""

_EXACT = DECIMAL_CONTEXT.copy()
_EXACT.traps[Inexact] = True


class PriceSource(StrEnum):
    """Where a valuation's unit price came from."""

    RULE = "rule"
    """The version's reference series read by its pricing rule."""
    FLOOR = "floor"
    """The version's price floor, above the reference price."""
    RATE_CARD = "rate-card"
    """The version's rate card for the item."""
    EXPLICIT = "explicit"
    """The delivery's own price."""


@dataclass(frozen=True, slots=True)
class Valuation:
    """The value of a delivery: `price` in `currency` per one `per` (the item's unit)
    from `source`, and `value` = quantity × price in minor units of `currency`, rounded
    once with `VALUE_ROUNDING`. `reference_price` is what the band table reads (the
    reference or explicit price of a commodity; None for services and goods).
    `version_id` names the terms version in force on the delivery date."""

    delivery_id: str
    version_id: str
    price: Decimal
    source: PriceSource
    reference_price: Decimal | None
    currency: str
    per: str
    value: int


@dataclass(frozen=True, slots=True)
class Invoice:
    """A delivery's invoice: `value` minor units of `currency` owed by `debtor` to
    `creditor`, of which `financed` is lent as `tranche` (`share` of the value, by the
    band of the reference price) and `short_term` is the rest. `claims` holds the
    invoice's own claims (the short-term part, or the services or goods invoice);
    the tranche's claims are `tranche_claims(tranche)` (see `all_claims`)."""

    delivery_id: str
    version_id: str
    kind: ItemKind
    creditor: str
    debtor: str
    currency: str
    value: int
    share: Decimal
    short_term: int
    financed: int
    claims: tuple[Claim, ...]
    tranche: Tranche | None = None

    def __post_init__(self) -> None:
        if self.short_term + self.financed != self.value or min(self.short_term, self.financed) < 0:
            raise _invalid("financed", f"invoice {self.delivery_id}: the parts do not sum to value")

    @property
    def all_claims(self) -> tuple[Claim, ...]:
        """The invoice's claims and then its tranche's, in order of due date."""
        more = tranche_claims(self.tranche) if self.tranche is not None else []
        return tuple(sorted((*self.claims, *more), key=lambda claim: claim.due))


def _invalid(field: str, message: str) -> InputError:
    return InputError(message, [Problem(message, field=field)])


def _times(minor: int, scale: int, factor: Decimal, result_scale: int, field: str) -> int:
    """``minor / 10**scale × factor`` in minor units of `result_scale`, rounded half up."""
    with localcontext(_EXACT):
        try:
            exact = Decimal(minor).scaleb(result_scale - scale) * factor
        except Inexact:
            raise _invalid(field, f"{minor} × {factor} exceeds exact arithmetic") from None
    with localcontext(DECIMAL_CONTEXT):
        return int(exact.quantize(Decimal(1), rounding=VALUE_ROUNDING))


def _fallback_currency(version: AgreementVersion, delivery: Delivery) -> str:
    if version.settlement is not None:
        return version.settlement.cash_currency
    message = (
        f"delivery {delivery.delivery_id}: version {version.id} states no currency for "
        f"{delivery.item} (no pricing, rate card or settlement currency)"
    )
    raise _invalid("price", message)


def _commodity_price(
    delivery: Delivery,
    agreement: Agreement,
    version: AgreementVersion,
    series: Mapping[str, PriceSeries],
) -> tuple[Decimal, PriceSource, Decimal, str, str]:
    pricing = version.pricing
    if pricing is None:
        if delivery.price is None:
            message = f"version {version.id} has no pricing for commodity {delivery.item}"
            raise _invalid("pricing", message)
        currency = _fallback_currency(version, delivery)
        return delivery.price, PriceSource.EXPLICIT, delivery.price, currency, delivery.unit
    spec = agreement.series(pricing.reference_series)
    if spec.per != delivery.unit:
        raise _invalid("unit", f"series {spec.id} is per {spec.per}, not {delivery.unit}")
    if delivery.price is not None:
        return delivery.price, PriceSource.EXPLICIT, delivery.price, spec.unit, spec.per
    quotes = series.get(spec.id)
    if quotes is None:
        raise _invalid("price", f"no prices of series {spec.id} were given")
    reference = reference_price(quotes, pricing.rule, delivery.date)
    price = pricing.invoice_price(reference)
    source = PriceSource.FLOOR if price != reference else PriceSource.RULE
    return price, source, reference, spec.unit, spec.per


def value_delivery(
    delivery: Delivery, agreement: Agreement, series: Mapping[str, PriceSeries]
) -> Valuation:
    """The value of `delivery` by the terms version in force on its date.

    A commodity is priced by the version's reference series (`series`, by id) read by its
    pricing rule, then raised to the floor if there is one (`Pricing.invoice_price`), in
    the series' currency; services and goods by the version's rate card for the item. An
    explicit `Delivery.price` wins over both (no floor applies), in the currency the
    terms value the item in (the series', the rate card's, else the settlement's).
    Value = quantity × price, rounded once to the currency's minor unit half up.

    Raises `InputError` (a `TermsLookupError` for a missing version or rate card)
    naming what is missing: no version in force, no rate card, a gap in the series.
    """
    version = agreement.version_on(delivery.date)
    item = agreement.item(delivery.item)
    if item.unit != delivery.unit or item.kind != delivery.kind:
        message = f"{item.id} is {item.kind} in {item.unit}, not {delivery.kind} in {delivery.unit}"
        raise _invalid("item", message)
    reference = None
    if item.kind is ItemKind.COMMODITY:
        price, source, reference, currency, per = _commodity_price(
            delivery, agreement, version, series
        )
    elif delivery.price is not None:
        cards = [card for card in version.rate_cards if card.item == item.id]
        currency = cards[0].currency if cards else _fallback_currency(version, delivery)
        price, source, per = delivery.price, PriceSource.EXPLICIT, item.unit
    else:
        card = version.rate_for(item.id)
        if card.per != item.unit:
            raise _invalid("rate_cards", f"the rate card of {item.id} is per {card.per}")
        price, source, currency, per = card.price, PriceSource.RATE_CARD, card.currency, card.per
    units = agreement.unit_registry()
    value = _times(
        delivery.quantity, units[delivery.unit].scale, price, units[currency].scale, "quantity"
    )
    return Valuation(
        delivery.delivery_id, version.id, price, source, reference, currency, per, value
    )


def _claim(
    delivery: Delivery, suffix: str, type_: ClaimType, amount: int, currency: str, due: date
) -> Claim:
    return Claim(
        id=f"inv:{delivery.delivery_id}:{suffix}",
        creditor=delivery.supplier,
        debtor=delivery.recipient,
        type=type_,
        amount=amount,
        currency=currency,
        issued=delivery.date,
        due=due,
        source=delivery.delivery_id,
    )


def _netted(delivery: Delivery, version: AgreementVersion) -> bool:
    """Whether `version`'s compensation nets `delivery`'s invoice whole: its settlement
    says ``financed_parts: netted`` and the supplier and recipient belong to the states
    of its two settlement parties (``VEN.PDVSA`` and ``CUB.CUPET`` to those of
    ``VEN.PDVSA`` and ``CUB.BNC``), as `convenio.services.financing.settlement_sides`
    maps them."""
    rules = version.settlement
    if rules is None or rules.financed_parts is not FinancedParts.NETTED:
        return False
    states = {state_of(code) for code in rules.parties}
    parties = {state_of(delivery.supplier), state_of(delivery.recipient)}
    return len(states) == 2 and parties == states


def split_invoice(valuation: Valuation, delivery: Delivery, version: AgreementVersion) -> Invoice:
    """The invoice of a valued delivery, split by `version` (the one `valuation` names).

    Commodity: the financed share is the band of the **reference price** (FOB, before
    any floor; `FinancingTerms.financed_share`); financed = value × share rounded half
    up, short-term = value − financed. The short-term part is a SHORT_TERM claim
    ``inv:{id}:st`` due `short_term.days` after the delivery date; the financed part is
    the tranche ``tr:{id}`` on the band's loan terms (`FinancingTerms.loan_for`),
    starting on the delivery date. A version without financing terms finances nothing
    and the whole value is due on the delivery date. Nor does a version whose settlement
    nets financed parts (``financed_parts: netted``) for an invoice between its two
    settlement parties' states: the whole value is the short-term claim. A zero part
    makes no claim or tranche.

    Services and goods: one SERVICES or GOODS claim ``inv:{id}:services`` (or
    ``:goods``) for the whole value, due on the delivery date.
    """
    if valuation.delivery_id != delivery.delivery_id:
        message = f"valuation of {valuation.delivery_id} given for {delivery.delivery_id}"
        raise _invalid("delivery_id", message)
    if valuation.version_id != version.id:
        message = f"{delivery.delivery_id} was valued by {valuation.version_id}, not {version.id}"
        raise _invalid("version", message)
    value, currency = valuation.value, valuation.currency

    def invoice(
        share: Decimal, financed: int, claims: tuple[Claim, ...], tranche: Tranche | None = None
    ) -> Invoice:
        return Invoice(
            delivery_id=delivery.delivery_id,
            version_id=version.id,
            kind=delivery.kind,
            creditor=delivery.supplier,
            debtor=delivery.recipient,
            currency=currency,
            value=value,
            share=share,
            short_term=value - financed,
            financed=financed,
            claims=claims,
            tranche=tranche,
        )

    def claims(suffix: str, type_: ClaimType, amount: int, due: date) -> tuple[Claim, ...]:
        return (_claim(delivery, suffix, type_, amount, currency, due),) if amount else ()

    if delivery.kind is not ItemKind.COMMODITY:
        type_ = ClaimType.SERVICES if delivery.kind is ItemKind.SERVICES else ClaimType.GOODS
        return invoice(Decimal(0), 0, claims(type_.value, type_, value, delivery.date))
    financing = version.financing
    reference = valuation.reference_price
    assert reference is not None  # a commodity valuation always has one
    if financing is None:
        return invoice(Decimal(0), 0, claims("st", ClaimType.SHORT_TERM, value, delivery.date))
    share = Decimal(0) if _netted(delivery, version) else financing.financed_share(reference)
    with localcontext(DECIMAL_CONTEXT):
        financed = int((Decimal(value) * share).quantize(Decimal(1), rounding=SPLIT_ROUNDING))
    due = delivery.date + timedelta(days=financing.short_term.days)
    short_claims = claims("st", ClaimType.SHORT_TERM, value - financed, due)
    if not financed:
        return invoice(share, 0, short_claims)
    tranche = tranche_for(
        f"tr:{delivery.delivery_id}",
        delivery.delivery_id,
        delivery.supplier,
        delivery.recipient,
        currency,
        financed,
        delivery.date,
        financing.loan_for(reference),
    )
    return invoice(share, financed, short_claims, tranche)


def _value_legs(delivery: Delivery, invoice: Invoice) -> list[tuple[AccountSpec, int]]:
    supplier, recipient, currency = delivery.supplier, delivery.recipient, invoice.currency
    if invoice.kind is ItemKind.COMMODITY:
        parts = [
            (ClaimType.SHORT_TERM, invoice.short_term),
            (ClaimType.INSTALLMENT, invoice.financed),
        ]
    else:
        type_ = ClaimType.SERVICES if invoice.kind is ItemKind.SERVICES else ClaimType.GOODS
        parts = [(type_, invoice.value)]
    legs: list[tuple[AccountSpec, int]] = []
    for type_, amount in parts:
        legs.append((claim_account(supplier, type_, recipient, currency), amount))
    legs.append((income_account(supplier, invoice.kind.value, currency), -invoice.value))
    legs.append((expense_account(recipient, invoice.kind.value, currency), invoice.value))
    for type_, amount in parts:
        legs.append((payable_account(recipient, type_, supplier, currency), -amount))
    return [(spec, amount) for spec, amount in legs if amount]


def _quantity_legs(delivery: Delivery) -> list[tuple[AccountSpec, int]]:
    return [
        (delivered_account(delivery.supplier, delivery.item, delivery.unit), -delivery.quantity),
        (received_account(delivery.recipient, delivery.item, delivery.unit), delivery.quantity),
    ]


def delivery_accounts(delivery: Delivery, invoice: Invoice) -> tuple[AccountSpec, ...]:
    """The accounts `delivery_transactions` posts to, to declare before posting."""
    return tuple(spec for spec, _ in (*_value_legs(delivery, invoice), *_quantity_legs(delivery)))


def delivery_transactions(
    delivery: Delivery, valuation: Valuation, invoice: Invoice
) -> list[Transaction]:
    """The ledger transactions of a delivery, each balanced per unit, ids from its id:

    - ``dlv:{id}:value`` (currency): the supplier's claims (short-term and the financed
      principal under ``claims/financed``, or ``claims/services|goods``) against its
      income, and the recipient's expense against the matching payables. The financed
      principal is booked here, at issue, so installments falling due need no
      transaction; interest is booked by month-end accrual. Left out when the value is 0.
    - ``dlv:{id}:qty`` (the item's unit): the quantity out of the supplier's
      ``delivered/{item}`` and into the recipient's ``received/{item}``.
    """
    reference = valuation.reference_price
    metadata = (
        ("delivery", delivery.delivery_id),
        ("financed_share", str(invoice.share)),
        ("price", f"{valuation.price} {valuation.currency}/{valuation.per}"),
        ("price_source", valuation.source.value),
        ("reference_price", "" if reference is None else str(reference)),
        ("version", valuation.version_id),
    )
    what = f"{delivery.item} from {delivery.supplier} to {delivery.recipient}"
    transactions: list[Transaction] = []
    value_postings = tuple(
        Posting(spec.name, amount, spec.unit) for spec, amount in _value_legs(delivery, invoice)
    )
    if value_postings:
        transactions.append(
            Transaction(
                id=f"dlv:{delivery.delivery_id}:value",
                date=delivery.date,
                description=f"Invoice for {what}",
                postings=value_postings,
                kind="delivery",
                source=delivery.delivery_id,
                metadata=metadata,
            )
        )
    transactions.append(
        Transaction(
            id=f"dlv:{delivery.delivery_id}:qty",
            date=delivery.date,
            description=f"Delivery of {what}",
            postings=tuple(
                Posting(spec.name, amount, spec.unit) for spec, amount in _quantity_legs(delivery)
            ),
            kind="delivery",
            source=delivery.delivery_id,
            metadata=metadata,
        )
    )
    return transactions
