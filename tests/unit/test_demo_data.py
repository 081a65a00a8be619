"""The demo's generated inputs, with no store: prices, deliveries and cash against the facts
of public reporting and the shipped terms (valued by the same pure functions as the services)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given
from hypothesis import strategies as st

from convenio.demo import data
from convenio.demo.data import DemoInputs, demo_inputs
from convenio.demo.prices import (
    ANNUAL_MEANS,
    APPROXIMATE_YEARS,
    SERIES,
    apportion,
    monthly_means,
    monthly_prices,
)
from convenio.examples import EXAMPLES
from convenio.financing import (
    DELIVERY_COLUMNS,
    Delivery,
    PriceSeries,
    parse_deliveries_csv,
    split_invoice,
    value_delivery,
)
from convenio.periods import PeriodType, parse_period, period_of
from convenio.terms import Agreement, ItemKind, QuotaPeriod, load_terms, parse_terms
from convenio.units import format_minor

TERMS = EXAMPLES / "cuba-venezuela.yaml"
AGREEMENT = load_terms(TERMS)
INPUTS: DemoInputs = demo_inputs(AGREEMENT)
SERIES_VALUES = {SERIES: PriceSeries.from_points(SERIES, INPUTS.prices)[0]}


def value(delivery: Delivery) -> int:
    return value_delivery(delivery, AGREEMENT, SERIES_VALUES).value


def quarter(delivery: Delivery) -> str:
    return period_of(delivery.date, PeriodType.QUARTERLY).iso()


# --- prices -----------------------------------------------------------------------------


def test_the_monthly_prices_average_exactly_to_the_annual_means() -> None:
    by_year: dict[int, list[Decimal]] = defaultdict(list)
    for point in monthly_prices():
        assert point.series == SERIES and point.date.day == 15
        assert point.price == point.price.quantize(Decimal("0.01")) and point.price > 0
        by_year[point.date.year].append(point.price)
    assert sorted(by_year) == list(range(2000, 2016))
    for year, prices in by_year.items():
        assert len(prices) == 12
        assert sum(prices) == 12 * ANNUAL_MEANS[year], year  # the mean, to the cent, exactly
    assert ANNUAL_MEANS[2011] == Decimal("101.06") and ANNUAL_MEANS[2015] == Decimal("44.65")
    assert {2000, 2001, 2002, 2013} == APPROXIMATE_YEARS


def test_the_shape_follows_the_means_between_years() -> None:
    rising, falling = monthly_means(2011), monthly_means(2015)  # 101.06 → 103.42; 88.42 → 44.65
    assert rising[0] < rising[-1] and falling[0] > falling[-1]
    assert monthly_means(2011) == rising  # deterministic
    assert INPUTS.prices == monthly_prices()


@given(st.integers(0, 10**12), st.lists(st.integers(0, 10**6), min_size=1, max_size=40))
def test_apportion_keeps_the_total_and_each_share_within_one_unit(
    total: int, weights: list[int]
) -> None:
    if not any(weights):
        weights = [*weights[:-1], 1]
    shares = apportion(total, weights)
    assert sum(shares) == total
    for share, weight in zip(shares, weights, strict=True):
        assert share * sum(weights) - total * weight in range(-sum(weights), sum(weights))


# --- oil --------------------------------------------------------------------------------


def oil() -> list[Delivery]:
    return [d for d in INPUTS.deliveries if d.kind is ItemKind.COMMODITY]


def test_the_early_supply_and_the_cut_are_as_reported() -> None:
    early = [d for d in oil() if d.date < date(2002, 5, 1)]
    assert min(d.date for d in early) == date(2000, 12, 15)
    assert sum(d.quantity for d in early) == 25_589_000 * 1000
    assert not [d for d in oil() if date(2002, 5, 1) <= d.date < date(2002, 8, 1)]
    cash = [p for p in INPUTS.payments if p.date < date(2002, 7, 1)]
    assert sum(p.amount for p in cash) == 439_700_000_00
    assert {(p.payer, p.payee) for p in cash} == {("CUB.CUPET", "VEN.PDVSA")}


def test_one_crude_and_one_products_cargo_a_month() -> None:
    months: dict[tuple[int, int], list[str]] = defaultdict(list)
    for d in oil():
        months[d.date.year, d.date.month].append(d.item)
        assert (d.supplier, d.recipient, d.unit) == ("VEN.PDVSA", "CUB.CUPET", "bbl")
        assert (d.price is None) == (d.item == "crude")
    assert len(months) == 17 + 161  # Dec 2000 – Apr 2002, Aug 2002 – Dec 2015
    assert all(items[0] == "crude" and items[1] in data.PRODUCTS for items in months.values())


def as_csv(deliveries: list[Delivery]) -> io.StringIO:
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(DELIVERY_COLUMNS)
    scales = AGREEMENT.unit_registry()
    for d in deliveries:
        quantity = format_minor(d.quantity, scales[d.unit].scale)
        writer.writerow(
            [d.delivery_id, d.date.isoformat(), d.supplier, d.recipient, d.kind.value, d.item,
             quantity, d.unit, "" if d.price is None else str(d.price)]
        )  # fmt: skip
    stream.seek(0)
    return stream


def binding_terms() -> Agreement:
    """The shipped terms with every quota binding: the loader then checks them all."""
    text = TERMS.read_text(encoding="utf-8")
    assert "binding: false" in text
    return parse_terms(text.replace("binding: false", "binding: true"), "binding.yaml")


def test_every_delivery_reads_back_through_the_loader_with_every_quota_binding() -> None:
    deliveries, problems = parse_deliveries_csv(
        as_csv(list(INPUTS.deliveries)), "demo.csv", binding_terms()
    )
    assert problems == []
    assert deliveries == list(INPUTS.deliveries)


def test_monthly_oil_stays_within_the_quota_of_the_version_in_force() -> None:
    barrels: dict[date, int] = defaultdict(int)
    for d in oil():
        barrels[d.date] += d.quantity
    for day, quantity in barrels.items():
        (quota,) = [q for q in AGREEMENT.version_on(day).quotas if q.group == "oil"]
        assert quota.per is QuotaPeriod.DAY
        month = period_of(day, PeriodType.MONTHLY)
        assert quantity <= int(quota.quantity) * 1000 * month.days, day


def test_the_reported_quarter_is_worth_the_reported_oil_under_98000_bpd() -> None:
    cargoes = [d for d in oil() if quarter(d) == "2011Q4"]
    assert len(cargoes) == 6
    assert sum(value(d) for d in cargoes) == data.REPORTED_OIL == 1_002_550_000_00
    assert sum(d.quantity for d in cargoes) < 98_000 * 92 * 1000


# --- services ---------------------------------------------------------------------------


def services() -> list[Delivery]:
    return [d for d in INPUTS.deliveries if d.kind is ItemKind.SERVICES]


def test_services_start_after_the_2001_addendum_and_grow_from_barrio_adentro() -> None:
    first = min(d.date for d in services())
    assert first == date(2001, 9, 30) > date(2001, 8, 12)
    doctors = {quarter(d): d.quantity for d in services() if d.item == "doctor"}
    assert min(doctors) == "2003Q2" and doctors["2003Q2"] > 58 * 100
    by_year: dict[int, int] = defaultdict(int)
    for d in services():
        by_year[d.date.year] += value(d)
    assert by_year[2002] < by_year[2003] < by_year[2004] < by_year[2006] < by_year[2011]


def test_2011_services_are_the_reported_scale_exactly() -> None:
    """Tolerance: none. Each quarter of 2011 is 1,275.00 M USD, the year 5.1 bn USD."""
    totals: dict[str, int] = defaultdict(int)
    for d in services():
        if d.date.year == 2011:
            totals[quarter(d)] += value(d)
    assert totals == {f"2011Q{i}": data.REPORTED_SERVICES for i in range(1, 5)}
    assert sum(totals.values()) == 5_100_000_000_00


# --- cash -------------------------------------------------------------------------------


def test_cash_is_the_reported_amount_in_2011q4_and_the_assumed_share_elsewhere() -> None:
    by_quarter = {p.id.removeprefix("cash-"): p for p in INPUTS.payments}
    reported = by_quarter["2011Q4"]
    assert (reported.payer, reported.payee, reported.amount) == (
        "VEN.PDVSA",
        "CUB.BNC",
        163_470_000_00,
    )
    assert reported.date == parse_period("2011Q4").end
    # 2002Q3 to 2005Q1: nothing paid, balances carried.
    assert not [p for p in INPUTS.payments if date(2002, 7, 1) <= p.date < date(2005, 4, 1)]
    # From 2005Q2 on: 60 % of the services less the short-term part of the oil — all of
    # it, the compensation netting the oil whole — paid by Venezuela when its services
    # are the larger; none when the oil is (netted against Venezuela's earlier debt).
    invoiced: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for d in INPUTS.deliveries:
        valuation = value_delivery(d, AGREEMENT, SERIES_VALUES)
        invoice = split_invoice(valuation, d, AGREEMENT.version(valuation.version_id))
        if d.kind is ItemKind.COMMODITY:
            invoiced[quarter(d)][1] += invoice.short_term
        else:
            invoiced[quarter(d)][0] += invoice.value
    compensated = sorted(q for q in invoiced if "2005Q2" <= q <= "2015Q4")
    assert len(compensated) == 43
    paying = [q for q in compensated if invoiced[q][0] > invoiced[q][1]]
    assert sorted(by_quarter.keys() & set(compensated)) == paying
    # Nothing lent from the compensation on: the short-term part is the whole oil.
    assert invoiced["2011Q4"][1] == data.REPORTED_OIL
    ruled = {q: p for q, p in by_quarter.items() if q >= "2005Q2" and q != "2011Q4"}
    assert len(ruled) == 34  # none in 2005Q3–2006Q4, 2008Q1, 2008Q2: the oil is worth more
    for q, payment in ruled.items():
        services, short_term = invoiced[q]
        expected = (Decimal(services - short_term) * data.CASH_SHARE).quantize(
            Decimal(1), ROUND_HALF_UP
        )
        assert payment.amount == expected, q
        assert (payment.payer, payment.payee) == ("VEN.PDVSA", "CUB.BNC")
    assert len(INPUTS.payments) == len({p.id for p in INPUTS.payments}) == 7 + 34 + 1


def test_the_inputs_are_deterministic_and_ids_unique() -> None:
    again = demo_inputs(AGREEMENT)
    assert again == INPUTS
    ids = [d.delivery_id for d in INPUTS.deliveries]
    assert len(ids) == len(set(ids))
    assert list(INPUTS.deliveries) == sorted(
        INPUTS.deliveries, key=lambda d: (d.date, d.delivery_id)
    )
    assert all(d.quantity > 0 for d in INPUTS.deliveries)
