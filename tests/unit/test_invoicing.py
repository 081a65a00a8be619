"""Valuation, the invoice split, tranche claims, delivery postings and the deliveries CSV.

Every expected figure is worked by hand in the test from table A and the Petrocaribe
terms (the ACEC 2000 and Petrocaribe 2005/2008 agreements), not read back from the code
under test.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convenio.errors import InputError
from convenio.financing import (
    Delivery,
    Invoice,
    PricePoint,
    PriceSeries,
    PriceSource,
    Valuation,
    delivery_accounts,
    delivery_transactions,
    parse_deliveries_csv,
    split_invoice,
    tranche_claims,
    value_delivery,
)
from convenio.financing.claims import ClaimType
from convenio.ledger import AccountSpec, Transaction, check_transaction, party_of
from convenio.terms import Agreement, ItemKind, TermsLookupError, load_terms, parse_terms
from tests.terms_fixtures import LENDING_EXAMPLE

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = LENDING_EXAMPLE  # the example, its band table lending (tests/terms_fixtures.py)
TERMS = load_terms(EXAMPLE)
BASKET = "ven-basket"
VEN, CUPET = "VEN.PDVSA", "CUB.CUPET"


def quotes(day: date, price: str) -> dict[str, PriceSeries]:
    """A series with one quote on `day`: its month average is that price."""
    series, problems = PriceSeries.from_points(BASKET, [PricePoint(BASKET, day, Decimal(price))])
    assert problems == []
    return {BASKET: series}


def oil(day: date, barrels_minor: int, item: str = "crude", did: str = "D1") -> Delivery:
    return Delivery(did, day, VEN, CUPET, ItemKind.COMMODITY, item, barrels_minor, "bbl")


def invoice_at(day: date, price: str, barrels_minor: int) -> tuple[Delivery, Valuation, Invoice]:
    delivery = oil(day, barrels_minor)
    valuation = value_delivery(delivery, TERMS, quotes(day, price))
    return delivery, valuation, split_invoice(valuation, delivery, TERMS.version_on(day))


def assert_balanced(transactions: Sequence[Transaction], specs: Iterable[AccountSpec]) -> None:
    accounts = {spec.name: spec for spec in specs}
    for txn in transactions:
        assert check_transaction(txn, accounts) == []
        if txn.id.endswith(":qty"):
            continue  # barrels leave one party's books and enter the other's
        books: dict[tuple[str, str], int] = {}  # in money each party's own books balance
        for posting in txn.postings:
            key = (party_of(posting.account), posting.unit)
            books[key] = books.get(key, 0) + posting.amount
        assert set(books.values()) == {0}


# --- the loan terms of the example --------------------------------------------------


def test_the_example_gives_the_petrocaribe_loan_terms() -> None:
    financing = TERMS.version("petrocaribe-2005").financing
    assert financing is not None
    above = financing.loan_for(Decimal(45))  # above 40 USD: 25 years, 2 of grace, 1 %
    assert (above.months, above.grace_months, above.rate) == (300, 24, Decimal("0.01"))
    below = financing.loan_for(Decimal(35))  # at or below 40: 17 years, 2 of grace, 2 %
    assert (below.months, below.grace_months, below.rate) == (204, 24, Decimal("0.02"))
    assert financing.loan_for(Decimal(40)).months == 204  # "at or below 40"


# --- Petrocaribe invoices -----------------------------------------------------------


def test_at_100_usd_half_is_financed_before_july_2008() -> None:
    # 1,000 bbl × 100 USD = 100,000.00 USD; Petrocaribe 2005: ≥ 100 USD → 50 %
    _, valuation, invoice = invoice_at(date(2008, 6, 16), "100", 1_000_000)
    assert valuation.version_id == "petrocaribe-2005"
    assert (valuation.price, valuation.source) == (Decimal(100), PriceSource.RULE)
    assert valuation.value == 10_000_000
    assert invoice.share == Decimal("0.50")
    assert (invoice.financed, invoice.short_term) == (5_000_000, 5_000_000)
    assert invoice.tranche is not None
    assert invoice.tranche.loan.months == 300 and invoice.tranche.loan.rate == Decimal("0.01")


def test_at_100_usd_sixty_per_cent_is_financed_from_july_2008() -> None:
    # the July 2008 amendment: ≥ 100 USD → 60 %: 60,000.00 financed, 40,000.00 at 90 days
    _, valuation, invoice = invoice_at(date(2008, 7, 16), "100", 1_000_000)
    assert valuation.version_id == "petrocaribe-2008"
    assert invoice.share == Decimal("0.60")
    assert (invoice.financed, invoice.short_term) == (6_000_000, 4_000_000)
    (short,) = invoice.claims
    assert (short.id, short.type, short.amount) == ("inv:D1:st", ClaimType.SHORT_TERM, 4_000_000)
    assert short.due == date(2008, 10, 14)  # 16 Jul + 90 days
    assert (short.creditor, short.debtor, short.currency) == (VEN, CUPET, "USD")


def test_at_45_usd_thirty_per_cent_over_25_years_at_1_percent() -> None:
    # 1,000 bbl × 45 = 45,000.00 USD; 30 % = 13,500.00 lent on 10 Mar 2006
    _, _, invoice = invoice_at(date(2006, 3, 10), "45", 1_000_000)
    assert (invoice.value, invoice.share) == (4_500_000, Decimal("0.30"))
    assert (invoice.financed, invoice.short_term) == (1_350_000, 3_150_000)
    tranche = invoice.tranche
    assert tranche is not None and tranche.id == "tr:D1" and tranche.start == date(2006, 3, 10)
    schedule = tranche.schedule
    assert (schedule.term_months, schedule.grace_months) == (300, 24)
    assert schedule.rate == Decimal("0.01")
    rows = schedule.installments
    # quarterly: 8 interest-only grace rows, then (300 − 24) / 3 = 92 installments
    assert len(rows) == 100 and all(row.principal == 0 for row in rows[:8])
    # first quarter, 30E/360: 10 Mar → 10 Jun = 90 days: 1,350,000 × 1 % × 90/360 = 3,375
    assert (rows[0].due, rows[0].interest) == (date(2006, 6, 10), 3_375)
    # 1,350,000 / 92 = 14,673 rest 84: the first 84 installments carry 14,674
    assert [row.principal for row in rows[8:10]] == [14_674, 14_674]
    assert rows[8 + 84].principal == 14_673 and rows[-1].due == date(2031, 3, 10)
    assert sum(row.principal for row in rows) == 1_350_000


def test_at_35_usd_a_quarter_over_17_years_at_2_percent() -> None:
    # 1,000 bbl × 35 = 35,000.00 USD; 25 % = 8,750.00 lent
    _, _, invoice = invoice_at(date(2007, 1, 15), "35", 1_000_000)
    assert (invoice.share, invoice.financed, invoice.short_term) == (
        Decimal("0.25"),
        875_000,
        2_625_000,
    )
    assert invoice.tranche is not None
    schedule = invoice.tranche.schedule
    assert (schedule.term_months, schedule.grace_months, schedule.rate) == (
        204,
        24,
        Decimal("0.02"),
    )
    # first quarter: 875,000 × 2 % × 90/360 = 4,375
    assert schedule.installments[0].interest == 4_375
    assert schedule.maturity == date(2024, 1, 15)


def test_the_alba_floor_invoices_a_20_usd_reference_at_27() -> None:
    # ALBA (14 Dec 2004): 1,000 bbl at a reference of 20 is invoiced at 27 = 27,000.00 USD;
    # the band is read at the reference price (FOB): 20 USD → 10 % (ACEC column)
    _, valuation, invoice = invoice_at(date(2005, 2, 1), "20", 1_000_000)
    assert valuation.version_id == "alba-2004"
    assert (valuation.price, valuation.source) == (Decimal(27), PriceSource.FLOOR)
    assert valuation.reference_price == Decimal(20)
    assert valuation.value == 2_700_000
    assert (invoice.share, invoice.financed, invoice.short_term) == (
        Decimal("0.10"),
        270_000,
        2_430_000,
    )
    assert invoice.tranche is not None  # ALBA: 15 years with 2 of grace at 2 %
    assert (invoice.tranche.loan.months, invoice.tranche.loan.grace_months) == (180, 24)


def test_value_and_split_round_half_up_once_and_sum_to_the_cent() -> None:
    # 0.001 bbl × 105 USD = 0.105 USD = 10.5 cents → 11 (half up; half-even would give 10)
    _, valuation, _ = invoice_at(date(2006, 3, 10), "105", 1)
    assert valuation.value == 11
    # 0.011 bbl × 101 = 1.111 USD → 111 cents; 50 % = 55.5 → 56 financed, 55 short-term
    _, valuation, invoice = invoice_at(date(2006, 3, 10), "101", 11)
    assert (valuation.value, invoice.financed, invoice.short_term) == (111, 56, 55)
    # 1,234.567 bbl × 45.1234 = 55,707.8605678 USD → 5,570,786 cents;
    # 30 % = 1,671,235.8 → 1,671,236 financed, 3,899,550 short-term
    _, valuation, invoice = invoice_at(date(2006, 3, 10), "45.1234", 1_234_567)
    assert (valuation.value, invoice.financed, invoice.short_term) == (
        5_570_786,
        1_671_236,
        3_899_550,
    )


def test_the_month_average_values_the_delivery() -> None:
    points = [PricePoint(BASKET, date(2011, 5, d), Decimal(p)) for d, p in ((2, "99"), (3, "104"))]
    series, _ = PriceSeries.from_points(BASKET, points)
    # (99 + 104) / 2 = 101.5; 2,000 bbl = 203,000.00 USD; 50 % (2008 table, ≥ 100: 60 %)
    valuation = value_delivery(oil(date(2011, 5, 20), 2_000_000), TERMS, {BASKET: series})
    assert (valuation.price, valuation.value) == (Decimal("101.5000"), 20_300_000)


def test_a_gap_in_the_series_is_an_error_naming_series_and_month() -> None:
    with pytest.raises(InputError, match=r"ven-basket has no price in 2011-06"):
        value_delivery(oil(date(2011, 6, 20), 1_000), TERMS, quotes(date(2011, 5, 2), "100"))
    with pytest.raises(InputError, match="no prices of series ven-basket"):
        value_delivery(oil(date(2011, 6, 20), 1_000), TERMS, {})


def test_an_explicit_price_wins_and_picks_the_band() -> None:
    delivery = Delivery(
        "X1", date(2006, 3, 10), VEN, CUPET, ItemKind.COMMODITY, "crude", 1_000_000, "bbl",
        Decimal("50"),
    )  # fmt: skip
    valuation = value_delivery(delivery, TERMS, {})
    assert (valuation.source, valuation.value) == (PriceSource.EXPLICIT, 5_000_000)
    invoice = split_invoice(valuation, delivery, TERMS.version_on(delivery.date))
    assert invoice.share == Decimal("0.40")  # ≥ 50 USD → 40 %


def test_below_the_first_band_nothing_is_financed() -> None:
    # ACEC 2000: below 15 USD nothing is financed, and there is no floor yet
    _, _, invoice = invoice_at(date(2001, 11, 5), "14.99", 1_000_000)
    assert (invoice.financed, invoice.short_term, invoice.tranche) == (0, 1_499_000, None)
    assert [claim.type for claim in invoice.all_claims] == [ClaimType.SHORT_TERM]


def test_split_refuses_a_valuation_from_another_version() -> None:
    delivery, valuation, _ = invoice_at(date(2008, 7, 16), "100", 1_000)
    with pytest.raises(InputError, match="petrocaribe-2008"):
        split_invoice(valuation, delivery, TERMS.version("petrocaribe-2005"))


# --- claims -------------------------------------------------------------------------


def test_tranche_claims_are_due_on_the_installment_dates_and_sum_to_the_principal() -> None:
    _, _, invoice = invoice_at(date(2006, 3, 10), "45", 1_000_000)
    assert invoice.tranche is not None
    claims = tranche_claims(invoice.tranche)
    principal = [c for c in claims if c.type is ClaimType.INSTALLMENT]
    interest = [c for c in claims if c.type is ClaimType.INTEREST]
    assert len(principal) == 92 and len(interest) == 100
    assert sum(c.amount for c in principal) == 1_350_000
    assert principal[0].id == "tr:D1:inst:9" and principal[0].due == date(2008, 6, 10)
    assert interest[0].id == "tr:D1:int:1" and interest[0].amount == 3_375
    assert {c.source for c in claims} == {"tr:D1"}
    assert {(c.creditor, c.debtor) for c in claims} == {(VEN, CUPET)}
    # the whole invoice: short-term + principal installments = the value
    owed = sum(c.amount for c in invoice.all_claims if c.type is not ClaimType.INTEREST)
    assert owed == invoice.value


@pytest.mark.parametrize(
    ("item", "unit", "quantity", "kind", "type_", "value"),
    [
        # 2.50 person-months × 8,000.00 = 20,000.00 USD
        ("doctor", "person-month", 250, ItemKind.SERVICES, ClaimType.SERVICES, 2_000_000),
        # 0.33 person-months × 5,000.00 = 1,650.00 USD
        ("nurse", "person-month", 33, ItemKind.SERVICES, ClaimType.SERVICES, 165_000),
        # 12.345 t × 400.00 = 4,938.00 USD
        ("sugar", "t", 12_345, ItemKind.GOODS, ClaimType.GOODS, 493_800),
    ],
)
def test_services_and_goods_are_valued_by_the_rate_card_to_the_cent(
    item: str, unit: str, quantity: int, kind: ItemKind, type_: ClaimType, value: int
) -> None:
    delivery = Delivery("S1", date(2006, 3, 31), "CUB", "VEN", kind, item, quantity, unit)
    valuation = value_delivery(delivery, TERMS, {})
    assert (valuation.source, valuation.value, valuation.currency) == (
        PriceSource.RATE_CARD,
        value,
        "USD",
    )
    invoice = split_invoice(valuation, delivery, TERMS.version_on(delivery.date))
    (claim,) = invoice.claims
    assert (claim.type, claim.amount, claim.due) == (type_, value, date(2006, 3, 31))
    assert (claim.creditor, claim.debtor, claim.id) == ("CUB", "VEN", f"inv:S1:{type_.value}")
    assert invoice.tranche is None and invoice.financed == 0
    transactions = delivery_transactions(delivery, valuation, invoice)
    assert_balanced(transactions, delivery_accounts(delivery, invoice))


def test_services_before_they_were_paid_have_no_rate_card() -> None:
    delivery = Delivery(
        "S0", date(2001, 3, 1), "CUB", "VEN", ItemKind.SERVICES, "doctor", 100, "person-month"
    )
    with pytest.raises(TermsLookupError, match="no rate card for 'doctor'"):
        value_delivery(delivery, TERMS, {})


# --- ledger transactions ------------------------------------------------------------


def test_delivery_transactions_book_value_and_quantity() -> None:
    delivery, valuation, invoice = invoice_at(date(2008, 7, 16), "100", 1_000_000)
    value, qty = delivery_transactions(delivery, valuation, invoice)
    assert (value.id, qty.id) == ("dlv:D1:value", "dlv:D1:qty")
    assert {p.account: p.amount for p in value.postings} == {
        "VEN.PDVSA/claims/short-term/CUB.CUPET": 4_000_000,
        "VEN.PDVSA/claims/financed/CUB.CUPET": 6_000_000,
        "VEN.PDVSA/income/commodity": -10_000_000,
        "CUB.CUPET/expense/commodity": 10_000_000,
        "CUB.CUPET/payable/short-term/VEN.PDVSA": -4_000_000,
        "CUB.CUPET/payable/financed/VEN.PDVSA": -6_000_000,
    }
    assert {(p.account, p.amount, p.unit) for p in qty.postings} == {
        ("VEN.PDVSA/delivered/crude", -1_000_000, "bbl"),
        ("CUB.CUPET/received/crude", 1_000_000, "bbl"),
    }
    assert_balanced([value, qty], delivery_accounts(delivery, invoice))
    assert list(value.metadata) == sorted(value.metadata)
    # deterministic: the same delivery gives the same transactions
    assert delivery_transactions(delivery, valuation, invoice) == [value, qty]


# --- properties ---------------------------------------------------------------------

ACEC = [(15, 5), (20, 10), (22, 15), (24, 20), (30, 25)]
PETROCARIBE = [*ACEC, (40, 30), (50, 40), (100, 50)]
AMENDED = [*PETROCARIBE[:-1], (100, 60), (150, 70)]


def expected_percent(day: date, reference: Decimal) -> int:
    """Table A, typed in by hand from the ACEC and Petrocaribe agreements, not from the terms."""
    if day < date(2005, 6, 29):
        table = ACEC
    elif day < date(2008, 7, 1):
        table = PETROCARIBE
    else:
        table = AMENDED
    return max((pc for at, pc in table if reference >= at), default=0)


@settings(max_examples=150, deadline=None)
@given(
    day=st.dates(min_value=date(2000, 10, 30), max_value=date(2015, 12, 31)),
    price_minor=st.integers(min_value=0, max_value=2_000_000),  # 0 to 200 USD, 4 decimals
    barrels_minor=st.integers(min_value=1, max_value=10**10),  # up to 10 M bbl
)
def test_any_oil_invoice_splits_exactly_and_books_balanced(
    day: date, price_minor: int, barrels_minor: int
) -> None:
    reference = Decimal(price_minor).scaleb(-4)
    delivery, valuation, invoice = invoice_at(day, str(reference), barrels_minor)
    floor = 270_000 if day >= date(2004, 12, 14) else 0
    charged = max(price_minor, floor)
    # quantity (1/1000 bbl) × price (1/10,000 USD) in cents = q × p / 10^5, half up
    assert valuation.value == (2 * barrels_minor * charged + 10**5) // (2 * 10**5)
    percent = expected_percent(day, reference)
    assert invoice.financed == (valuation.value * percent * 2 + 100) // 200
    assert invoice.short_term + invoice.financed == invoice.value == valuation.value
    principal = sum(c.amount for c in invoice.all_claims if c.type is not ClaimType.INTEREST)
    assert principal == invoice.value
    if invoice.tranche is not None:
        assert invoice.tranche.schedule.total_principal == invoice.financed
    assert_balanced(
        delivery_transactions(delivery, valuation, invoice), delivery_accounts(delivery, invoice)
    )


SERVICES = ["doctor", "nurse", "ophthalmologist", "teacher", "sports-trainer", "agronomist"]


@settings(max_examples=60, deadline=None)
@given(
    day=st.dates(min_value=date(2001, 8, 12), max_value=date(2015, 12, 31)),
    item=st.sampled_from(SERVICES),
    quantity=st.integers(min_value=1, max_value=10**7),
)
def test_any_services_invoice_is_one_claim_and_balances(
    day: date, item: str, quantity: int
) -> None:
    delivery = Delivery("S9", day, "CUB", "VEN", ItemKind.SERVICES, item, quantity, "person-month")
    valuation = value_delivery(delivery, TERMS, {})
    card = TERMS.version_on(day).rate_for(item)
    assert valuation.value == quantity * int(card.price)  # whole-dollar cards: exact
    invoice = split_invoice(valuation, delivery, TERMS.version_on(day))
    assert sum(c.amount for c in invoice.all_claims) == invoice.value
    assert_balanced(
        delivery_transactions(delivery, valuation, invoice), delivery_accounts(delivery, invoice)
    )


# --- the deliveries CSV -------------------------------------------------------------

HEADER = "delivery_id,date,supplier,recipient,kind,item,quantity,unit,price\n"
GOOD = (
    "D1,2006-03-10,VEN.PDVSA,CUB.CUPET,commodity,crude,1000.000,bbl,\n"
    "S1,2006-03-31,CUB,VEN,services,doctor,2.5,person-month,\n"
)


def variant() -> Agreement:
    """The example with an end to its last version and its 98,000 bpd quota binding."""
    text = EXAMPLE.read_text(encoding="utf-8")
    ends = "    effective: 2008-07-01"
    binding = "        binding: false\n        note: up to 98,000 bpd (Cuba's"
    assert ends in text and binding in text
    text = text.replace(ends, "    ends: 2012-12-31\n" + ends, 1)
    text = text.replace(binding, binding.replace("false", "true"), 1)
    return parse_terms(text, "variant.yaml")


VARIANT = variant()


Located = tuple[str | None, int | None, str | None, str]


def read(rows: str, agreement: Agreement = VARIANT) -> tuple[list[Delivery], list[Located]]:
    deliveries, problems = parse_deliveries_csv(io.StringIO(HEADER + rows), "d.csv", agreement)
    return deliveries, [(p.file, p.line, p.field, p.message) for p in problems]


def test_a_good_file_reads_into_deliveries() -> None:
    deliveries, problems = read(GOOD)
    assert problems == []
    commodity, services = ItemKind.COMMODITY, ItemKind.SERVICES
    assert deliveries == [
        Delivery("D1", date(2006, 3, 10), VEN, CUPET, commodity, "crude", 1_000_000, "bbl"),
        Delivery("S1", date(2006, 3, 31), "CUB", "VEN", services, "doctor", 250, "person-month"),
    ]


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        ("B1,2006-03-10,VEN.XX,CUB.CUPET,commodity,crude,1,bbl,", "supplier", "unknown party"),
        ("B1,2006-03-10,VEN.PDVSA,CUB.XX,commodity,crude,1,bbl,", "recipient", "unknown party"),
        ("B1,2006-03-10,VEN.PDVSA,CUB.CUPET,commodity,kerosene,1,bbl,", "item", "unknown item"),
        ("B1,2006-03-10,VEN.PDVSA,CUB.CUPET,commodity,crude,1,t,", "unit", "counted in bbl"),
        ("B1,2006-03-10,VEN.PDVSA,CUB.CUPET,commodity,crude,1.0001,bbl,", "quantity", "decimals"),
        ("B1,2000-01-01,VEN.PDVSA,CUB.CUPET,commodity,crude,1,bbl,", "date", "first version"),
        ("B1,2013-01-01,VEN.PDVSA,CUB.CUPET,commodity,crude,1,bbl,", "date", "ended on 2012-12-31"),
        ("B1,2006-03-10,VEN.PDVSA,CUB.CUPET,services,crude,1,bbl,", "kind", "crude is commodity"),
        ("D1,2006-03-11,VEN.PDVSA,CUB.CUPET,commodity,crude,1,bbl,", "delivery_id", "line 2"),
        ("B1,2006-03-10,CUB,VEN,commodity,crude,1,bbl,", "item", "no flow of crude"),
        ("B1,2006-03-10,VEN.PDVSA,CUB.CUPET,commodity,crude,0,bbl,", "quantity", "greater than 0"),
        ("B1,2006-03-10,VEN.PDVSA,CUB.CUPET,cargo,crude,1,bbl,", "kind", "not one of"),
        ("B1,2006-02-30,VEN.PDVSA,CUB.CUPET,commodity,crude,1,bbl,", "date", "not a valid date"),
        ("B1,2006-03-10,VEN.PDVSA,CUB.CUPET,commodity,crude,1,bbl,-5", "price", "negative"),
    ],
)
def test_each_bad_row_gives_one_located_problem(row: str, field: str, words: str) -> None:
    deliveries, problems = read(GOOD + row + "\n")
    assert len(problems) == 1, problems
    file, line, where, message = problems[0]
    assert (file, line, where) == ("d.csv", 4, field)
    assert words in message
    assert [d.delivery_id for d in deliveries] == ["D1", "S1"]


def test_deliveries_over_a_binding_quota_are_located_at_the_row_that_crosses_it() -> None:
    # 98,000 bpd binding; June 2006 has 30 days: 2,940,000 bbl; crude and diesel pool (group oil)
    rows = (
        "Q1,2006-06-05,VEN.PDVSA,CUB.CUPET,commodity,crude,2000000,bbl,\n"  # line 2
        "Q2,2006-06-20,VEN.PDVSA,CUB.CUPET,commodity,diesel,940000,bbl,\n"  # 3: exactly at it
        "Q3,2006-07-01,VEN.PDVSA,CUB.CUPET,commodity,crude,3038000,bbl,\n"  # 4: July, 31 days
        "Q4,2006-06-30,VEN.PDVSA,CUB.CUPET,commodity,crude,0.001,bbl,\n"  # 5: over in June
        "Q5,2006-06-30,VEN.PDVSA,CUB.CUPET,commodity,crude,1,bbl,\n"  # 6: reported once
    )
    deliveries, problems = read(rows)
    assert len(deliveries) == 5
    assert [(line, field) for _, line, field, _ in problems] == [(5, "quantity")]
    message = problems[0][3]
    assert "2,940,000.000" not in message  # amounts are plain
    assert "2940000.001 bbl" in message and "2940000.000 bbl" in message
    assert "2006-06-01" in message and "2006-06-30" in message


def test_quotas_that_are_not_binding_are_not_enforced() -> None:
    row = "Q1,2006-06-05,VEN.PDVSA,CUB.CUPET,commodity,crude,9000000,bbl,\n"
    _, problems = read(row, TERMS)
    assert problems == []
    _, problems = read(row)
    assert len(problems) == 1


def test_a_bad_header_is_one_problem_on_line_1() -> None:
    deliveries, problems = parse_deliveries_csv(
        io.StringIO("delivery_id,date,supplier\n"), "d.csv", VARIANT
    )
    assert deliveries == [] and [(p.line, p.field) for p in problems] == [(1, "header")]


def test_parsed_deliveries_value_and_split() -> None:
    deliveries, problems = read(GOOD)
    assert problems == []
    day = date(2006, 3, 10)
    series = quotes(day, "45")
    for delivery in deliveries:
        valuation = value_delivery(delivery, VARIANT, series)
        invoice = split_invoice(valuation, delivery, VARIANT.version_on(delivery.date))
        assert invoice.short_term + invoice.financed == invoice.value
    assert deliveries[0].date + timedelta(days=90) == date(2006, 6, 8)


# --- terms that say less --------------------------------------------------------------

MINI = parse_terms(
    """
schema: convenio.terms/1
agreement: {id: mini, name: Mini, signed: 2010-01-01}
parties:
  - {code: AAA, name: A, kind: state}
  - {code: BBB, name: B, kind: state}
items:
  - {id: crude, kind: commodity, unit: bbl, name: crude}
  - {id: rice, kind: goods, unit: t, name: rice}
versions:
  - id: v1
    name: no pricing, no financing, no rate cards, no flows
    effective: 2010-01-01
    settlement:
      period: quarter
      allocation_order: [oldest-due]
      cash_currency: EUR
      overpayment: carry
    quotas:
      - {supplier: BBB, recipient: AAA, item: rice, quantity: 10, unit: t, per: year,
         binding: true}
  - id: v2
    name: nothing at all
    effective: 2011-01-01
""",
    "mini.yaml",
)
CRUDE = Delivery(
    "M1", date(2010, 5, 3), "AAA", "BBB", ItemKind.COMMODITY, "crude", 2_000, "bbl", Decimal("70.5")
)
RICE = Delivery("M2", date(2010, 5, 3), "BBB", "AAA", ItemKind.GOODS, "rice", 1_500, "t")


def test_without_pricing_or_financing_an_explicit_price_is_due_at_once() -> None:
    # 2 bbl at 70.5 EUR (the settlement's currency: no series names one) = 141.00 EUR
    valuation = value_delivery(CRUDE, MINI, {})
    assert (valuation.value, valuation.currency, valuation.source) == (
        14_100,
        "EUR",
        PriceSource.EXPLICIT,
    )
    invoice = split_invoice(valuation, CRUDE, MINI.version("v1"))
    (claim,) = invoice.claims
    assert (claim.type, claim.amount, claim.due) == (ClaimType.SHORT_TERM, 14_100, CRUDE.date)
    assert_balanced(
        delivery_transactions(CRUDE, valuation, invoice), delivery_accounts(CRUDE, invoice)
    )
    with pytest.raises(InputError, match="no pricing for commodity crude"):
        value_delivery(replace(CRUDE, price=None), MINI, {})


def test_explicit_goods_prices_take_the_settlement_currency_or_fail_without_one() -> None:
    # 1.5 t at 333.333 EUR = 499.9995 EUR → 500.00 (half up)
    valuation = value_delivery(replace(RICE, price=Decimal("333.333")), MINI, {})
    assert (valuation.value, valuation.currency) == (50_000, "EUR")
    with pytest.raises(TermsLookupError, match="no rate card for 'rice'"):
        value_delivery(RICE, MINI, {})
    later = replace(RICE, date=date(2011, 2, 1), price=Decimal(1))
    with pytest.raises(InputError, match="states no currency"):
        value_delivery(later, MINI, {})


def test_a_zero_value_makes_no_claim_and_no_value_transaction() -> None:
    free = replace(RICE, price=Decimal(0))
    valuation = value_delivery(free, MINI, {})
    invoice = split_invoice(valuation, free, MINI.version("v1"))
    assert invoice.claims == () and invoice.value == 0
    assert [t.id for t in delivery_transactions(free, valuation, invoice)] == ["dlv:M2:qty"]


def test_value_and_split_refuse_mismatched_inputs() -> None:
    with pytest.raises(InputError, match="crude is commodity in bbl, not goods in bbl"):
        value_delivery(replace(CRUDE, kind=ItemKind.GOODS), MINI, {})
    valuation = value_delivery(CRUDE, MINI, {})
    with pytest.raises(InputError, match="valuation of M1 given for M2"):
        split_invoice(valuation, RICE, MINI.version("v1"))


def test_a_yearly_binding_quota_is_checked_over_the_calendar_year() -> None:
    header = "delivery_id,date,supplier,recipient,kind,item,quantity,unit,price\n"
    rows = (
        "R1,2010-01-05,BBB,AAA,goods,rice,6,t,\n"  # line 2
        "R2,2010-12-31,BBB,AAA,goods,rice,4.5,t,\n"  # 3: 10.5 t in 2010, over 10
        "R3,2011-01-01,BBB,AAA,goods,rice,9,t,\n"  # 4: v2 has no quota
        ",2010-03-01,BBB,AAA,goods,rice,1,t,\n"  # 5: no id
        "R5,2010-03-01,BBB,BBB,goods,rice,1,t,\n"  # 6: to itself
        "R6,2010-03-01,BBB,AAA,goods,rice\n"  # 7: short row
        "\n"  # 8: blank, skipped
    )
    deliveries, problems = parse_deliveries_csv(io.StringIO(header + rows), "r.csv", MINI)
    assert [d.delivery_id for d in deliveries] == ["R1", "R2", "R3"]
    assert [(p.line, p.field) for p in problems] == [
        (3, "quantity"),
        (5, "delivery_id"),
        (6, "recipient"),
        (7, None),
    ]
    assert "2010-01-01 to 2010-12-31" in problems[0].message
    _, problems = parse_deliveries_csv(io.StringIO(""), "r.csv", MINI)
    assert [p.line for p in problems] == [1]
