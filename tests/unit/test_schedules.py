"""Tranche repayment schedules: hand-worked tables, the agreements' own loan terms checked
against numpy-financial (float, here only, rounded to the cent), and invariants that must
hold for any terms (Hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise

import numpy_financial as npf  # type: ignore[import-untyped]
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convenio.financing
from convenio.errors import InputError
from convenio.financing import (
    DayCount,
    Frequency,
    GraceInterest,
    Installment,
    InterestBasis,
    Method,
    Schedule,
    add_months,
    build_schedule,
)

Row = tuple[date, int, int, int, int, int]
"""(due, opening, interest, principal, payment, closing), all amounts in cents."""


def rows(schedule: Schedule) -> list[Row]:
    return [
        (r.due, r.opening, r.interest, r.principal, r.payment, r.closing)
        for r in schedule.installments
    ]


def cents_pmt(rate: Decimal, periods_per_year: int, periods: int, amount: int) -> int:
    """numpy-financial's level payment, in cents, rounded to the cent."""
    return round(-float(npf.pmt(float(rate) / periods_per_year, periods, amount)))


# --- hand-worked equal-principal tables ----------------------------------------------------


def test_equal_principal_periodic_hand_worked() -> None:
    # 1,000,000.00 USD = 100,000,000 cents at 2 %, 2 years, quarterly, no grace, periodic
    # rate 0.02 / 4 = 0.005. Eight installments of 100,000,000 / 8 = 12,500,000 principal;
    # interest = opening x 0.005:
    #  1  100,000,000 x 0.005 = 500,000   payment 13,000,000   closing 87,500,000
    #  2   87,500,000 x 0.005 = 437,500   payment 12,937,500   closing 75,000,000
    #  3   75,000,000 x 0.005 = 375,000   payment 12,875,000   closing 62,500,000
    #  4   62,500,000 x 0.005 = 312,500   payment 12,812,500   closing 50,000,000
    #  5   50,000,000 x 0.005 = 250,000   payment 12,750,000   closing 37,500,000
    #  6   37,500,000 x 0.005 = 187,500   payment 12,687,500   closing 25,000,000
    #  7   25,000,000 x 0.005 = 125,000   payment 12,625,000   closing 12,500,000
    #  8   12,500,000 x 0.005 =  62,500   payment 12,562,500   closing 0
    # Total interest 2,250,000 cents = 22,500.00 USD.
    schedule = build_schedule(
        100_000_000,
        Decimal("0.02"),
        date(2025, 1, 15),
        24,
        0,
        frequency=Frequency.QUARTERLY,
        method=Method.EQUAL_PRINCIPAL,
        day_count=DayCount.ACT_360,
        grace_interest=GraceInterest.PAID,
        interest_basis=InterestBasis.PERIODIC,
    )
    assert rows(schedule) == [
        (date(2025, 4, 15), 100_000_000, 500_000, 12_500_000, 13_000_000, 87_500_000),
        (date(2025, 7, 15), 87_500_000, 437_500, 12_500_000, 12_937_500, 75_000_000),
        (date(2025, 10, 15), 75_000_000, 375_000, 12_500_000, 12_875_000, 62_500_000),
        (date(2026, 1, 15), 62_500_000, 312_500, 12_500_000, 12_812_500, 50_000_000),
        (date(2026, 4, 15), 50_000_000, 250_000, 12_500_000, 12_750_000, 37_500_000),
        (date(2026, 7, 15), 37_500_000, 187_500, 12_500_000, 12_687_500, 25_000_000),
        (date(2026, 10, 15), 25_000_000, 125_000, 12_500_000, 12_625_000, 12_500_000),
        (date(2027, 1, 15), 12_500_000, 62_500, 12_500_000, 12_562_500, 0),
    ]
    assert schedule.total_interest == 2_250_000
    assert schedule.total_principal == 100_000_000
    assert schedule.interest_basis is InterestBasis.PERIODIC
    # On 30E/360 every quarter from the 15th is exactly 90/360: the day-count basis gives
    # the very same table.
    on_30e = build_schedule(
        100_000_000,
        Decimal("0.02"),
        date(2025, 1, 15),
        24,
        0,
        frequency=Frequency.QUARTERLY,
        method=Method.EQUAL_PRINCIPAL,
        day_count=DayCount.THIRTY_E_360,
        grace_interest=GraceInterest.PAID,
    )
    assert on_30e.interest_basis is InterestBasis.DAY_COUNT
    assert rows(on_30e) == rows(schedule)


def test_equal_principal_day_count_hand_worked() -> None:
    # 1,000,000.03 USD = 100,000,003 cents at 2 %, 2 years, quarterly, act/360 on the
    # actual dates, from 31 Jan 2025: due dates clamp to month ends (30 Apr, 31 Jul,
    # 31 Oct, 31 Jan, ...). Principal 100,000,003 / 8 = 12,500,000 remainder 3: the first
    # three installments carry one extra cent. Interest = opening x 0.02 x days / 360
    # = opening x days / 18,000, rounded half to even:
    #  1  31 Jan-30 Apr  89 d  100,000,003 x 89 / 18,000 = 494,444.46 ->  494,444
    #  2  30 Apr-31 Jul  92 d   87,500,002 x 92 / 18,000 = 447,222.23 ->  447,222
    #  3  31 Jul-31 Oct  92 d   75,000,001 x 92 / 18,000 = 383,333.34 ->  383,333
    #  4  31 Oct-31 Jan  92 d   62,500,000 x 92 / 18,000 = 319,444.44 ->  319,444
    #  5  31 Jan-30 Apr  89 d   50,000,000 x 89 / 18,000 = 247,222.22 ->  247,222
    #  6  30 Apr-31 Jul  92 d   37,500,000 x 92 / 18,000 = 191,666.67 ->  191,667
    #  7  31 Jul-31 Oct  92 d   25,000,000 x 92 / 18,000 = 127,777.78 ->  127,778
    #  8  31 Oct-31 Jan  92 d   12,500,000 x 92 / 18,000 =  63,888.89 ->   63,889
    schedule = build_schedule(
        100_000_003,
        Decimal("0.02"),
        date(2025, 1, 31),
        24,
        0,
        frequency=Frequency.QUARTERLY,
        method=Method.EQUAL_PRINCIPAL,
        day_count=DayCount.ACT_360,
        grace_interest=GraceInterest.PAID,
    )
    assert rows(schedule) == [
        (date(2025, 4, 30), 100_000_003, 494_444, 12_500_001, 12_994_445, 87_500_002),
        (date(2025, 7, 31), 87_500_002, 447_222, 12_500_001, 12_947_223, 75_000_001),
        (date(2025, 10, 31), 75_000_001, 383_333, 12_500_001, 12_883_334, 62_500_000),
        (date(2026, 1, 31), 62_500_000, 319_444, 12_500_000, 12_819_444, 50_000_000),
        (date(2026, 4, 30), 50_000_000, 247_222, 12_500_000, 12_747_222, 37_500_000),
        (date(2026, 7, 31), 37_500_000, 191_667, 12_500_000, 12_691_667, 25_000_000),
        (date(2026, 10, 31), 25_000_000, 127_778, 12_500_000, 12_627_778, 12_500_000),
        (date(2027, 1, 31), 12_500_000, 63_889, 12_500_000, 12_563_889, 0),
    ]
    assert [r.period_start for r in schedule.installments][:2] == [
        date(2025, 1, 31),
        date(2025, 4, 30),
    ]


# --- the agreements' loan terms against numpy-financial ------------------------------------


def petrocaribe(grace_interest: GraceInterest) -> Schedule:
    """100,000,000.00 USD financed above 40 USD/bbl: 25 years incl. 2 of grace, 1 %."""
    return build_schedule(
        10_000_000_000,
        Decimal("0.01"),
        date(2006, 3, 31),
        25 * 12,
        2 * 12,
        frequency=Frequency.QUARTERLY,
        method=Method.ANNUITY,
        day_count=DayCount.ACT_360,
        grace_interest=grace_interest,
    )


def test_petrocaribe_grace_paid() -> None:
    schedule = petrocaribe(GraceInterest.PAID)
    grace, amortising = schedule.installments[:8], schedule.installments[8:]
    assert len(grace) == 8 and len(amortising) == 92
    # Interest-only grace: 10,000,000,000 x 0.01 / 4 = 25,000,000 each quarter.
    assert all((r.interest, r.principal, r.payment) == (25_000_000, 0, 25_000_000) for r in grace)
    level = cents_pmt(Decimal("0.01"), 4, 92, 10_000_000_000)
    assert level == 121_809_614
    assert {r.payment for r in amortising[:-1]} == {level}
    assert abs(amortising[-1].payment - level) < 92  # the rounding left over, in cents
    assert schedule.total_principal == 10_000_000_000
    assert schedule.installments[-1].closing == 0
    assert schedule.maturity == schedule.installments[-1].due == date(2031, 3, 31)


def test_petrocaribe_grace_capitalised() -> None:
    schedule = petrocaribe(GraceInterest.CAPITALISED)
    # Eight quarters of 25,000,000 on the amount lent join the principal at grace end.
    assert schedule.capitalised_interest == 8 * 25_000_000
    assert len(schedule.installments) == 92
    first = schedule.installments[0]
    assert first.opening == 10_200_000_000
    assert first.period_start == schedule.grace_end == date(2008, 3, 31)
    level = cents_pmt(Decimal("0.01"), 4, 92, 10_200_000_000)
    assert {r.payment for r in schedule.installments[:-1]} == {level}
    assert schedule.total_principal == 10_200_000_000
    # Outstanding: the amount lent until grace ends, then with the interest capitalised.
    assert schedule.outstanding_on(date(2006, 3, 30)) == 0
    assert schedule.outstanding_on(date(2006, 3, 31)) == 10_000_000_000
    assert schedule.outstanding_on(date(2008, 3, 30)) == 10_000_000_000
    assert schedule.outstanding_on(date(2008, 3, 31)) == 10_200_000_000
    assert schedule.outstanding_on(first.due) == first.closing
    assert schedule.outstanding_on(first.due - timedelta(days=1)) == first.opening
    assert schedule.outstanding_on(date(2031, 3, 31)) == 0


def test_petrocaribe_at_or_below_40_usd() -> None:
    # 25,000,000.00 USD over 17 years incl. 2 of grace at 2 %, quarterly.
    schedule = build_schedule(
        2_500_000_000,
        Decimal("0.02"),
        date(2006, 3, 31),
        17 * 12,
        2 * 12,
        frequency=Frequency.QUARTERLY,
        method=Method.ANNUITY,
        day_count=DayCount.ACT_360,
        grace_interest=GraceInterest.PAID,
    )
    assert len(schedule.installments) == 8 + 60
    level = cents_pmt(Decimal("0.02"), 4, 60, 2_500_000_000)
    assert {r.payment for r in schedule.installments[8:-1]} == {level} == {48_332_004}


def test_caracas_monthly_grace_paid() -> None:
    # ACEC 2000: 25,000,000.00 USD over 15 years incl. 1 of grace at 2 %, monthly.
    schedule = build_schedule(
        2_500_000_000,
        Decimal("0.02"),
        date(2001, 3, 31),
        15 * 12,
        12,
        frequency=Frequency.MONTHLY,
        method=Method.ANNUITY,
        day_count=DayCount.ACT_365_FIXED,
        grace_interest=GraceInterest.PAID,
    )
    assert len(schedule.installments) == 12 + 168
    level = cents_pmt(Decimal("0.02"), 12, 168, 2_500_000_000)
    assert level == 17_073_698
    assert {r.payment for r in schedule.installments[12:-1]} == {level}
    assert schedule.installments[-1].payment == 17_073_670
    assert schedule.installments[-1].due == date(2016, 3, 31)


def test_caracas_quarterly_grace_capitalised() -> None:
    schedule = build_schedule(
        2_500_000_000,
        Decimal("0.02"),
        date(2001, 3, 31),
        15 * 12,
        12,
        frequency=Frequency.QUARTERLY,
        method=Method.ANNUITY,
        day_count=DayCount.ACT_360,
        grace_interest=GraceInterest.CAPITALISED,
    )
    # Four quarters of 2,500,000,000 x 0.02 / 4 = 12,500,000 are capitalised.
    assert schedule.capitalised_interest == 50_000_000
    level = cents_pmt(Decimal("0.02"), 4, 56, 2_550_000_000)
    assert {r.payment for r in schedule.installments[:-1]} == {level} == {52_320_833}
    assert schedule.total_principal == 2_550_000_000


def annuity(amount: int, rate: Decimal, frequency: Frequency, periods: int) -> Schedule:
    return build_schedule(
        amount,
        rate,
        date(2010, 1, 31),
        periods * frequency.months,
        0,
        frequency=frequency,
        method=Method.ANNUITY,
        day_count=DayCount.ACT_360,
        grace_interest=GraceInterest.PAID,
    )


@settings(max_examples=200, deadline=None)
@given(
    amount=st.integers(10_000, 10**11),
    rate=st.decimals(min_value=Decimal("0.005"), max_value=Decimal("0.3"), places=4),
    frequency=st.sampled_from(Frequency),
    periods=st.integers(1, 120),
)
def test_annuity_payment_agrees_with_numpy_financial(
    amount: int, rate: Decimal, frequency: Frequency, periods: int
) -> None:
    # Float may land on the other side of a half cent, hence +-1 (the worked cases above
    # agree exactly). The domain is kept where float is accurate to well under a cent:
    # with tiny periodic rates on large amounts, pmt's (1 + i)^n - 1 cancels digits and
    # is cents off (see test_numpy_financial_loses_cents).
    payment = annuity(amount, rate, frequency, periods).installments[0].payment
    assert abs(payment - cents_pmt(rate, frequency.periods_per_year, periods, amount)) <= 1


@settings(max_examples=200, deadline=None)
@given(
    amount=st.integers(0, 10**15),
    rate=st.decimals(min_value=0, max_value=Decimal("0.99"), places=6),
    frequency=st.sampled_from(Frequency),
    periods=st.integers(1, 120),
)
def test_annuity_payment_is_the_exact_payment_rounded(
    amount: int, rate: Decimal, frequency: Frequency, periods: int
) -> None:
    # Reference in exact rationals: A i / (1 - (1 + i)^-n), or A / n at 0 %, rounded
    # half to even (Python's round of a Fraction).
    i = Fraction(rate) / frequency.periods_per_year
    exact = Fraction(amount, periods) if i == 0 else amount * i / (1 - (1 + i) ** -periods)
    assert annuity(amount, rate, frequency, periods).installments[0].payment == round(exact)


def test_numpy_financial_loses_cents() -> None:
    # 2,694,937,499.21 USD at 0.01 % a year, one monthly period: the exact payment is
    # A (1 + 0.0001 / 12) = 269,495,995,702.249... cents; float pmt says ...700.48.
    amount, rate = 269_493_749_921, Decimal("0.0001")
    exact = amount * (1 + Fraction(rate) / 12)
    assert annuity(amount, rate, Frequency.MONTHLY, 1).installments[0].payment == round(exact)
    assert round(exact) == 269_495_995_702
    assert cents_pmt(rate, 12, 1, amount) == 269_495_995_700  # two cents short


# --- smaller behaviours --------------------------------------------------------------------


def test_due_dates_do_not_drift() -> None:
    schedule = build_schedule(
        1_200,
        Decimal(0),
        date(2024, 1, 31),
        12,
        0,
        frequency=Frequency.MONTHLY,
        method=Method.EQUAL_PRINCIPAL,
        day_count=DayCount.ACT_360,
        grace_interest=GraceInterest.PAID,
    )
    dues = [r.due for r in schedule.installments]
    assert dues[:4] == [date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30), date(2024, 5, 31)]
    assert dues[-1] == date(2025, 1, 31)


def test_zero_rate_annuity_is_an_even_split() -> None:
    schedule = build_schedule(
        1_000,
        Decimal(0),
        date(2024, 1, 1),
        36,
        0,
        frequency=Frequency.QUARTERLY,
        method=Method.ANNUITY,
        day_count=DayCount.ACT_360,
        grace_interest=GraceInterest.PAID,
    )
    # 1,000 / 12 = 83.33 -> 83 each; the last takes 1,000 - 11 x 83 = 87.
    assert [r.payment for r in schedule.installments] == [83] * 11 + [87]
    assert schedule.total_interest == 0


def test_tiny_annuity_never_overpays() -> None:
    # 15 cents over 10 periods at 0 %: the level payment 1.5 rounds (half to even) to 2,
    # which would repay 18 cents in 9 periods; the balance is capped at 0 instead.
    schedule = build_schedule(
        15,
        Decimal(0),
        date(2024, 1, 1),
        10,
        0,
        frequency=Frequency.MONTHLY,
        method=Method.ANNUITY,
        day_count=DayCount.ACT_360,
        grace_interest=GraceInterest.PAID,
    )
    assert [r.principal for r in schedule.installments] == [2] * 7 + [1, 0, 0]
    assert schedule.total_principal == 15


def test_equal_principal_extra_cents_go_first() -> None:
    schedule = build_schedule(
        1_003,
        Decimal("0.05"),
        date(2024, 1, 1),
        12,
        0,
        frequency=Frequency.QUARTERLY,
        method=Method.EQUAL_PRINCIPAL,
        day_count=DayCount.ACT_ACT_ISDA,
        grace_interest=GraceInterest.PAID,
    )
    assert [r.principal for r in schedule.installments] == [251, 251, 251, 250]


def test_due_between_includes_both_ends() -> None:
    schedule = petrocaribe(GraceInterest.PAID)
    due_2007 = schedule.due_between(date(2007, 1, 1), date(2007, 12, 31))
    assert [r.due for r in due_2007] == [
        date(2007, 3, 31),
        date(2007, 6, 30),
        date(2007, 9, 30),
        date(2007, 12, 31),
    ]
    assert len(schedule.due_between(date(2007, 3, 31), date(2007, 3, 31))) == 1
    assert schedule.due_between(date(2007, 4, 1), date(2007, 6, 29)) == ()
    assert schedule.due_between(schedule.start, schedule.maturity) == schedule.installments
    with pytest.raises(InputError, match="last"):
        schedule.due_between(date(2007, 2, 1), date(2007, 1, 1))


def test_installment_refuses_inconsistent_rows() -> None:
    good = Installment(1, date(2025, 4, 1), 100, 5, 10, 15, 90, date(2025, 1, 1))
    with pytest.raises(InputError, match="closing"):
        replace(good, closing=91)
    with pytest.raises(InputError, match="payment"):
        replace(good, payment=14)
    with pytest.raises(InputError, match="interest"):
        replace(good, interest=-1, payment=9)


BASE: dict[str, object] = {
    "principal": 1_000,
    "rate": Decimal("0.02"),
    "start": date(2025, 1, 1),
    "term_months": 24,
    "grace_months": 6,
    "frequency": Frequency.QUARTERLY,
    "method": Method.ANNUITY,
    "day_count": DayCount.ACT_360,
    "grace_interest": GraceInterest.PAID,
}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"principal": -1}, "principal"),
        ({"principal": 10.0}, "principal"),
        ({"rate": Decimal(1)}, "rate"),
        ({"rate": Decimal("-0.001")}, "rate"),
        ({"rate": 0.02}, "rate"),
        ({"term_months": 0}, "term_months"),
        ({"term_months": 25}, "term_months"),
        ({"grace_months": 24}, "grace_months"),
        ({"grace_months": 30}, "grace_months"),
        ({"grace_months": 4}, "grace_months"),
        ({"grace_months": -3}, "grace_months"),
        ({"start": datetime(2025, 1, 1, 12, 0)}, "start"),
        ({"frequency": "weekly"}, "frequency"),
        ({"method": "bullet"}, "method"),
        ({"day_count": "30/360"}, "day_count"),
        ({"grace_interest": "forgiven"}, "grace_interest"),
        ({"interest_basis": InterestBasis.DAY_COUNT}, "interest_basis"),
    ],
)
def test_bad_terms_are_refused_naming_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InputError, match=field) as caught:
        build_schedule(**{**BASE, **changes})  # type: ignore[arg-type]
    assert field in {p.field for p in caught.value.problems}


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(InputError) as caught:
        build_schedule(**{**BASE, "principal": -5, "rate": Decimal(2), "grace_months": 27})  # type: ignore[arg-type]
    assert {p.field for p in caught.value.problems} == {"principal", "rate", "grace_months"}


def test_strings_are_accepted_for_the_named_choices() -> None:
    schedule = build_schedule(
        **{**BASE, "frequency": "semiannual", "method": "equal-principal", "day_count": "ACT/365"}  # type: ignore[arg-type]
    )
    assert schedule.frequency is Frequency.SEMIANNUAL
    assert schedule.day_count is DayCount.ACT_365_FIXED


def test_public_api_offers_the_schedule_names() -> None:
    assert set(convenio.financing.__all__) >= {
        "DECIMAL_CONTEXT",
        "ROUNDING",
        "DayCount",
        "Frequency",
        "GraceInterest",
        "Installment",
        "InterestBasis",
        "Method",
        "Schedule",
        "accrue",
        "add_months",
        "build_schedule",
        "check_rate",
        "round_minor",
        "year_fraction",
    }
    for name in convenio.financing.__all__:
        assert getattr(convenio.financing, name) is not None


# --- invariants for any terms --------------------------------------------------------------


@st.composite
def any_terms(draw: st.DrawFn) -> dict[str, object]:
    frequency = draw(st.sampled_from(Frequency))
    periods = draw(st.integers(1, 12 * 30 // frequency.months))
    grace_periods = draw(st.integers(0, min(periods - 1, 12)))
    return {
        "principal": draw(st.one_of(st.integers(0, 1_000), st.integers(0, 10**14))),
        "rate": draw(
            st.decimals(min_value=0, max_value=Decimal("0.99"), places=5, allow_nan=False)
        ),
        "start": draw(st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31))),
        "term_months": periods * frequency.months,
        "grace_months": grace_periods * frequency.months,
        "frequency": frequency,
        "method": draw(st.sampled_from(Method)),
        "day_count": draw(st.sampled_from(DayCount)),
        "grace_interest": draw(st.sampled_from(GraceInterest)),
    }


@settings(max_examples=300, deadline=None)
@given(terms=any_terms())
def test_schedule_invariants(terms: dict[str, object]) -> None:
    schedule = build_schedule(**terms)  # type: ignore[arg-type]
    step = schedule.frequency.months
    grace_periods = schedule.grace_months // step
    amortising = (schedule.term_months - schedule.grace_months) // step
    paid = schedule.grace_interest is GraceInterest.PAID
    rows_ = schedule.installments

    # How many rows, numbered 1..n, due every period from the start, without drift.
    assert len(rows_) == amortising + (grace_periods if paid else 0)
    first_k = 1 if paid else grace_periods + 1
    for k, row in enumerate(rows_, first_k):
        assert row.number == k - first_k + 1
        assert row.due == add_months(schedule.start, k * step)
        assert row.period_start == add_months(schedule.start, (k - 1) * step)

    # Each row: nothing negative, closing = opening - principal, payment = interest +
    # principal; rows chain; the last closes at zero.
    for row in rows_:
        assert min(row.opening, row.interest, row.principal, row.payment, row.closing) >= 0
        assert row.closing == row.opening - row.principal
        assert row.payment == row.interest + row.principal
    for before, after in pairwise(rows_):
        assert after.opening == before.closing
    assert rows_[-1].closing == 0

    # The principal parts repay exactly what was lent plus what was capitalised.
    if paid or grace_periods == 0:
        assert schedule.capitalised_interest == 0
    assert schedule.total_principal == schedule.principal + schedule.capitalised_interest
    assert schedule.total_payment == schedule.total_principal + schedule.total_interest
    grace_rows = rows_[: grace_periods if paid else 0]
    assert all(r.principal == 0 and r.opening == schedule.principal for r in grace_rows)
    assert rows_[len(grace_rows)].opening == schedule.principal + schedule.capitalised_interest

    # Method-specific shape.
    parts = [r.principal for r in rows_[len(grace_rows) :]]
    if schedule.method is Method.EQUAL_PRINCIPAL:
        assert max(parts) - min(parts) <= 1
        assert parts == sorted(parts, reverse=True)  # the extra cents come first
    else:
        level = rows_[len(grace_rows)].payment
        for row in rows_[len(grace_rows) : -1]:
            assert row.payment == level or row.closing == 0  # only a capped tail differs

    # Outstanding principal follows the rows.
    assert schedule.outstanding_on(schedule.start - timedelta(days=1)) == 0
    assert schedule.outstanding_on(schedule.maturity) == 0
    for row in rows_:
        assert schedule.outstanding_on(row.due) == row.closing
    assert schedule.due_between(schedule.start, schedule.maturity) == rows_
