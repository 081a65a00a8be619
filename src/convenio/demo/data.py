"""The inputs of `convenio demo`: sixteen years of the Cuba–Venezuela agreement, as values.

The first step of the demo: `demo_inputs` makes the monthly ``ven-basket`` prices
(`convenio.demo.prices`), one crude and one products cargo a month, the services
(`convenio.demo.headcounts`: an invoice per profession and quarter, or, where the
deployments give them, a delivery per profession and month), and the cash payments;
`convenio.demo.run` loads them through the services and settles every quarter. Pure:
values in (the shipped terms, to value deliveries as the services will), values out, no
I/O.

Built from the public reporting where they exist — annual basket prices, quotas
and their dates, the supply of December 2000 to April 2002 and the cash paid for it,
the supply cut of 2002, the start of each mission, the reported quarter Q4 2011 — and
from the constants marked ASSUMPTION where they do not. Quantities are integers of their
unit's minor step (0.001 bbl, 0.01 person-month), amounts integers of cents, prices
`Decimal` USD per barrel; there is no float.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from convenio.demo.headcounts import (
    CONVERTED,
    DEPLOYMENTS_PREFIX,
    HEADCOUNTS,
    LAST_MONTH,
    REPORTED_SERVICES,
    SERVICES_FROM,
    from_deployments,
    headcount,
    is_converted,
    month_end,
    services_deliveries,
)
from convenio.demo.headcounts import months as _months
from convenio.demo.prices import SERIES, apportion, monthly_prices
from convenio.financing import Delivery, PricePoint, PriceSeries, split_invoice, value_delivery
from convenio.financing.claims import Payment
from convenio.periods import Period, PeriodType, parse_period, period_of
from convenio.terms import Agreement, ItemKind

__all__ = [
    "BPD_PLAN",
    "CASH_FROM",
    "CASH_SHARE",
    "CONVERTED",
    "CRUDE_SHARE",
    "DELIVERY_DAY",
    "DEPLOYMENTS_PREFIX",
    "EARLY_BARRELS",
    "EARLY_CASH",
    "EARLY_SUPPLY",
    "HEADCOUNTS",
    "LABELS",
    "LAST_MONTH",
    "PRODUCTS",
    "PRODUCT_PREMIUM",
    "REPORTED_CASH",
    "REPORTED_OIL",
    "REPORTED_QUARTER",
    "REPORTED_SERVICES",
    "SERVICES_FROM",
    "DemoInputs",
    "compensation_payments",
    "demo_inputs",
    "early_payments",
    "from_deployments",
    "headcount",
    "is_converted",
    "oil_deliveries",
    "services_deliveries",
]

OIL_SUPPLIER: Final = "VEN.PDVSA"
OIL_RECIPIENT: Final = "CUB.CUPET"
CURRENCY: Final = "USD"

# -- oil -------------------------------------------------------------------------------

EARLY_SUPPLY: Final = (date(2000, 12, 1), date(2002, 4, 1))
"""FACT: the first and the last month of the first supply (agreements as reported); none from May
to July 2002 (supply cut), resumed in August 2002."""

EARLY_BARRELS: Final = 25_589_000
"""FACT: barrels received from December 2000 to April 2002. ASSUMPTION: spread over the
months in proportion to their days (about 49,600 bpd, under the 53,000 bpd quota)."""

BPD_PLAN: Final = (
    (date(2002, 8, 1), 50_000),
    (date(2004, 3, 1), 72_000),
    (date(2005, 7, 1), 94_000),
)
"""Barrels a day from each month on. ASSUMPTION: 50,000 bpd from the resumption of August
2002 (quota 53,000), 72,000 from the 78,000 bpd addendum of March 2004 (low enough for
June 2005, whose 15th still falls under the 78,000 quota for 28 of its days). FACT:
94,000 bpd on average 2006–2015, taken from July 2005 on (Petrocaribe allocates 98,000).
The reported quarter is fitted instead (`REPORTED_OIL`)."""

DELIVERY_DAY: Final = 15
"""ASSUMPTION: each month's two cargoes are loaded (bill of lading) on the 15th."""

CRUDE_SHARE: Final = Decimal("0.60")
"""ASSUMPTION: 60 % of each month's barrels are crude and 40 % products (the CUPET–PDVSA
contract names crude, jet fuel, diesel and LPG, with no split)."""

PRODUCTS: Final = ("diesel", "jet-fuel", "lpg")
"""The product of each month's products cargo, in turn."""

PRODUCT_PREMIUM: Final = Decimal("1.20")
"""ASSUMPTION: products are invoiced at an explicit FOB price, the basket's quote of the
month × 1.20 (products cost more than crude; Petrocaribe computes the financed share
per product from its FOB price). Crude is priced by the terms' series and rule."""

REPORTED_QUARTER: Final = "2011Q4"
"""The quarter the press reports in full."""

REPORTED_OIL: Final = 100_255_000_000
"""FACT: oil delivered in Q4 2011, 1,002.55 M USD (in cents). The quarter's cargoes are
sized to be worth exactly this (about 95,800 bpd, under the 98,000 bpd quota)."""

# -- cash ------------------------------------------------------------------------------

EARLY_CASH: Final = 43_970_000_000
"""FACT: 439.7 M USD (in cents) Cuba paid in cash for the supply of Dec 2000 – Apr 2002.
ASSUMPTION: paid by CUB.CUPET on each quarter's last day, in proportion to the quarter's
barrels. Then nothing until the PDVSA–BNC compensation (`CASH_FROM`): balances carry."""

CASH_FROM: Final = "2005Q2"
"""The first quarter settled by VEN.PDVSA and CUB.BNC for their states (the Petrocaribe
version, in force from 29 Jun 2005, names them): where `CASH_SHARE` starts."""

CASH_SHARE: Final = Decimal("0.60")
"""ASSUMPTION: in each quarter of the PDVSA–BNC compensation, the side that owes the net
of the quarter's own invoices — services less the short-term part of the oil, which the
compensation makes the whole oil invoice (terms: ``financed_parts: netted``) — pays this
share of it in cash on the quarter's last day; the rest is carried. A quarter whose oil
is worth more than its services moves no cash: Venezuela still owes more from earlier
quarters (services carried since 2003), and Cuba's net of the quarter is netted against
that in the quarter's run — cash from Cuba would be an overpayment.
The share is the reported quarter's: 163.47 of 272.45 M USD. Q4 2011 pays the reported
163.47 M USD (`REPORTED_CASH`) instead."""

REPORTED_CASH: Final = 16_347_000_000
"""FACT: 163.47 M USD (in cents) Venezuela paid in cash in Q4 2011."""

LABELS: Final = (
    "Synthetic prices: monthly ven-basket quotes on a smooth path through the basket's "
    "annual means (2000–2002 and 2013 approximate).",
    "Assumed: volumes, product prices, headcounts, rate cards, and the cash other than "
    "reported (docs/demo.md).",
    "Reported, and reproduced: 25,589,000 bbl and 439.7 M USD cash from Dec 2000 to Apr "
    "2002; 2011Q4 oil 1,002.55, services 1,275.00, Venezuela owing 272.45, cash 163.47 "
    "and carried 108.98 M USD.",
)
"""What `convenio demo` prints before its tables."""


@dataclass(frozen=True, slots=True)
class DemoInputs:
    """The demo's inputs, each in date order: price points, deliveries, cash payments."""

    prices: tuple[PricePoint, ...]
    deliveries: tuple[Delivery, ...]
    payments: tuple[Payment, ...]


Valuer = Callable[[Delivery], int]
"""The value of a delivery by the terms, in cents."""


def _days_in(month: date) -> int:
    return month_end(month).day


def _month_index(month: date) -> int:
    return month.year * 12 + month.month - 1


def _quarter(day: date) -> Period:
    return period_of(day, PeriodType.QUARTERLY)


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# -- oil -------------------------------------------------------------------------------


def _planned_barrels() -> dict[date, int]:
    """Whole barrels per month: the early supply by days, then `BPD_PLAN` × days."""
    first, last = EARLY_SUPPLY
    early = list(_months(first, last))
    barrels = dict(zip(early, apportion(EARLY_BARRELS, [_days_in(m) for m in early]), strict=True))
    for month in _months(BPD_PLAN[0][0], LAST_MONTH):
        bpd = next(b for start, b in reversed(BPD_PLAN) if start <= month)
        barrels[month] = bpd * _days_in(month)
    return barrels


def _cargoes(month: date, barrels: int, quote: Decimal) -> tuple[Delivery, Delivery]:
    """The crude and the products cargo of `month`, `barrels` in all; `quote` is the
    month's basket price (the products' explicit price is derived from it)."""
    crude = _half_up(barrels * CRUDE_SHARE)
    product = PRODUCTS[_month_index(month) % len(PRODUCTS)]
    stem = f"oil-{month.year:04d}-{month.month:02d}"

    def cargo(item: str, whole: int, price: Decimal | None) -> Delivery:
        return Delivery(
            f"{stem}-{item}",
            month.replace(day=DELIVERY_DAY),
            OIL_SUPPLIER,
            OIL_RECIPIENT,
            ItemKind.COMMODITY,
            item,
            whole * 1000,
            "bbl",
            price,
        )

    return cargo("crude", crude, None), cargo(product, barrels - crude, quote * PRODUCT_PREMIUM)


def _fit_quarter(
    months: Sequence[date], quotes: Mapping[date, Decimal], value: Valuer
) -> list[Delivery]:
    """The cargoes of the reported quarter, worth exactly `REPORTED_OIL` in all.

    The largest whole bpd, the same each month, at which they are worth no more; then
    thousandths of a barrel added to the last crude cargo, one at a time, each time with
    the smallest last products cargo that brings the total to at least the reported
    value (by bisection), until the cents match exactly.
    """

    def cargoes(bpd: int) -> list[Delivery]:
        return [c for m in months for c in _cargoes(m, bpd * _days_in(m), quotes[m])]

    def worth(deliveries: Sequence[Delivery]) -> int:
        return sum(value(d) for d in deliveries)

    low, high = 50_000, 98_000  # the fit lands near 95,800 bpd; the tests check the quota
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if worth(cargoes(middle)) <= REPORTED_OIL else (low, middle)
    *rest, crude, products = cargoes(low)
    missing = REPORTED_OIL - worth(rest)
    room = 100 * 1000  # ± 100 barrels of products: more than one bpd over the quarter is worth
    for extra in range(1000):
        crude_fitted = dataclasses.replace(crude, quantity=crude.quantity + extra)
        left = missing - value(crude_fitted)
        lo, hi = products.quantity - room, products.quantity + room
        while lo < hi:  # the smallest products cargo worth at least `left`
            mid = (lo + hi) // 2
            worth_mid = value(dataclasses.replace(products, quantity=mid))
            lo, hi = (mid + 1, hi) if worth_mid < left else (lo, mid)
        products_fitted = dataclasses.replace(products, quantity=lo)
        if value(products_fitted) == left:
            return [*rest, crude_fitted, products_fitted]
    raise ValueError(f"{REPORTED_QUARTER}: no cargoes are worth {REPORTED_OIL} cents")


def oil_deliveries(prices: Sequence[PricePoint], value: Valuer) -> tuple[Delivery, ...]:
    """One crude and one products cargo a month from December 2000 to December 2015 (none
    from May to July 2002), from VEN.PDVSA to CUB.CUPET; `prices` are the basket's
    monthly quotes and `value` values a delivery by the terms."""
    quotes = {p.date.replace(day=1): p.price for p in prices if p.series == SERIES}
    reported = parse_period(REPORTED_QUARTER)
    fitted = list(_months(reported.start, reported.end))
    found: list[Delivery] = []
    for month, barrels in sorted(_planned_barrels().items()):
        if month == fitted[0]:
            found.extend(_fit_quarter(fitted, quotes, value))
        elif month not in fitted:
            found.extend(_cargoes(month, barrels, quotes[month]))
    return tuple(found)


# -- cash ------------------------------------------------------------------------------


def _payment(period: Period, payer: str, payee: str, amount: int, reference: str) -> Payment:
    return Payment(f"cash-{period.iso()}", payer, payee, amount, CURRENCY, period.end, reference)


def early_payments(oil: Sequence[Delivery]) -> tuple[Payment, ...]:
    """The 439.7 M USD CUB.CUPET paid VEN.PDVSA for the supply of Dec 2000 – Apr 2002,
    quarter by quarter in proportion to the barrels (`EARLY_CASH`)."""
    first, last = EARLY_SUPPLY
    barrels: dict[Period, int] = {}
    for d in oil:
        if first <= d.date.replace(day=1) <= last:
            barrels[_quarter(d.date)] = barrels.get(_quarter(d.date), 0) + d.quantity
    quarters = sorted(barrels)
    reference = "reported: 439.7 M USD in cash for Dec 2000 - Apr 2002, spread by barrels"
    return tuple(
        _payment(q, OIL_RECIPIENT, OIL_SUPPLIER, amount, reference)
        for q, amount in zip(
            quarters, apportion(EARLY_CASH, [barrels[q] for q in quarters]), strict=True
        )
    )


def compensation_payments(
    agreement: Agreement, invoiced: Mapping[Period, tuple[int, int]]
) -> tuple[Payment, ...]:
    """The cash of each quarter from `CASH_FROM` on, given per quarter (services invoiced,
    short-term part of the oil invoiced) in cents: `CASH_SHARE` of their difference when
    Venezuela owes it, paid by its settlement party (of the terms in force) to Cuba's;
    none when Cuba owes it; in `REPORTED_QUARTER`, the reported amount."""
    payments = []
    for period in sorted(p for p in invoiced if p >= parse_period(CASH_FROM)):
        rules = agreement.version_on(period.end).settlement
        assert rules is not None and len(rules.parties) == 2, f"{period}: no settlement parties"
        supplier, recipient = rules.parties  # VEN.PDVSA, CUB.BNC
        services, short_term = invoiced[period]
        if services <= short_term:
            continue  # Cuba's net is netted against what Venezuela still owes (CASH_SHARE)
        payer, payee = supplier, recipient
        if period.iso() == REPORTED_QUARTER:
            reference = "reported: 163.47 M USD in cash for Q4 2011"
            payments.append(_payment(period, payer, payee, REPORTED_CASH, reference))
            continue
        amount = _half_up(abs(services - short_term) * CASH_SHARE)
        if amount:
            reference = f"assumed: {CASH_SHARE:%} of the net of the quarter's invoices"
            payments.append(_payment(period, payer, payee, amount, reference))
    return tuple(payments)


def demo_inputs(agreement: Agreement) -> DemoInputs:
    """Everything the demo loads before its first settlement run.

    `agreement` (the shipped terms) values deliveries with the pure functions the
    services use — to size the cargoes of the reported quarter and the cash of each
    quarter of the compensation; the services value them again as they record them.
    """
    prices = monthly_prices()
    series = {SERIES: PriceSeries.from_points(SERIES, prices)[0]}

    def value(delivery: Delivery) -> int:
        return value_delivery(delivery, agreement, series).value

    oil = oil_deliveries(prices, value)
    services = services_deliveries()
    invoiced: dict[Period, tuple[int, int]] = {}
    for delivery in (*oil, *services):
        valuation = value_delivery(delivery, agreement, series)
        invoice = split_invoice(valuation, delivery, agreement.version(valuation.version_id))
        in_kind, short_term = invoiced.get(_quarter(delivery.date), (0, 0))
        if delivery.kind is ItemKind.COMMODITY:
            short_term += invoice.short_term
        else:
            in_kind += invoice.value
        invoiced[_quarter(delivery.date)] = (in_kind, short_term)
    payments = sorted(
        (*early_payments(oil), *compensation_payments(agreement, invoiced)),
        key=lambda p: (p.date, p.id),
    )
    deliveries = sorted((*oil, *services), key=lambda d: (d.date, d.delivery_id))
    return DemoInputs(prices, tuple(deliveries), tuple(payments))
