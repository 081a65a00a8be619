"""Day counts, calendar months and interest accrual, checked against hand-worked cases
and against an independent exact reference written with `fractions.Fraction`."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convenio.errors import InputError
from convenio.financing import DayCount, accrue, add_months, round_minor, year_fraction

dates = st.dates(min_value=date(1980, 1, 1), max_value=date(2080, 12, 31))
rates = st.decimals(
    min_value=0, max_value=Decimal("0.9999"), places=6, allow_nan=False, allow_infinity=False
)


def close(got: Decimal, expected: Fraction | int) -> bool:
    """`got` agrees with the exact `expected` to far below a cent on any amount."""
    return abs(Fraction(got) - expected) < Fraction(1, 10**40)


def reference_fraction(start: date, end: date, convention: DayCount) -> Fraction:
    """An independent, deliberately naive year fraction: day by day for act/act."""
    if convention is DayCount.THIRTY_E_360:
        d1, d2 = min(start.day, 30), min(end.day, 30)
        days = 360 * (end.year - start.year) + 30 * (end.month - start.month) + d2 - d1
        return Fraction(days, 360)
    if convention is DayCount.ACT_360:
        return Fraction((end - start).days, 360)
    if convention is DayCount.ACT_365_FIXED:
        return Fraction((end - start).days, 365)
    total = Fraction(0)
    day = start
    while day < end:
        total += Fraction(1, 366 if calendar.isleap(day.year) else 365)
        day += timedelta(days=1)
    return total


# --- year fractions: published and hand-worked cases -------------------------------------


@pytest.mark.parametrize(
    ("convention", "expected"),
    [
        # The classic ISDA example, 1 Nov 2003 to 1 May 2004 (182 actual days):
        # 61 days in 2003 (not leap) and 121 days in 2004 (leap).
        (DayCount.ACT_ACT_ISDA, Fraction(61, 365) + Fraction(121, 366)),  # 0.497724380567...
        (DayCount.ACT_365_FIXED, Fraction(182, 365)),  # 0.498630136986...
        (DayCount.ACT_360, Fraction(182, 360)),  # 0.505555...
        (DayCount.THIRTY_E_360, Fraction(180, 360)),  # six 30-day months
    ],
)
def test_isda_example(convention: DayCount, expected: Fraction) -> None:
    got = year_fraction(date(2003, 11, 1), date(2004, 5, 1), convention)
    assert isinstance(got, Decimal)
    assert close(got, expected)


def test_isda_example_rounded_values() -> None:
    start, end = date(2003, 11, 1), date(2004, 5, 1)
    assert round(year_fraction(start, end, DayCount.ACT_ACT_ISDA), 5) == Decimal("0.49772")
    assert round(year_fraction(start, end, DayCount.ACT_365_FIXED), 5) == Decimal("0.49863")
    assert round(year_fraction(start, end, DayCount.ACT_360), 5) == Decimal("0.50556")


def test_thirty_e_360_is_eurobond_not_us_bond_basis() -> None:
    e30 = DayCount.THIRTY_E_360
    # 28 Feb 2007 -> 31 Mar 2007: 30E/360 turns the end's 31 into 30 whatever the start:
    # (30 - 28) + 30 = 32 days. The US bond basis would keep the 31st (start is the 28th)
    # and give 33 days.
    assert close(year_fraction(date(2007, 2, 28), date(2007, 3, 31), e30), Fraction(32, 360))
    # 31 Jan -> 29 Feb 2024: start 31 -> 30, so (29 - 30) + 30 = 29 days.
    assert close(year_fraction(date(2024, 1, 31), date(2024, 2, 29), e30), Fraction(29, 360))
    # 31 Jan -> 31 Mar: both 31sts count as 30ths, so exactly two 30-day months.
    assert close(year_fraction(date(2025, 1, 31), date(2025, 3, 31), e30), Fraction(60, 360))


def test_act_act_across_a_year_end() -> None:
    # 15 Dec 2023 -> 15 Jan 2024: 17 days of 2023 over 365, 14 days of 2024 over 366.
    got = year_fraction(date(2023, 12, 15), date(2024, 1, 15), DayCount.ACT_ACT_ISDA)
    assert close(got, Fraction(17, 365) + Fraction(14, 366))


def test_terminating_fractions_are_exact() -> None:
    assert year_fraction(date(2024, 1, 1), date(2025, 1, 1), DayCount.ACT_ACT_ISDA) == 1
    assert year_fraction(date(2025, 1, 1), date(2025, 4, 1), DayCount.ACT_360) == Decimal("0.25")
    assert year_fraction(date(2025, 1, 1), date(2026, 1, 1), DayCount.ACT_365_FIXED) == 1
    assert year_fraction(date(2025, 1, 1), date(2025, 7, 1), DayCount.THIRTY_E_360) == (
        Decimal("0.5")
    )
    leap = year_fraction(date(2024, 1, 1), date(2025, 1, 1), DayCount.ACT_365_FIXED)
    assert close(leap, Fraction(366, 365))


@pytest.mark.parametrize("convention", list(DayCount))
def test_same_day_is_zero(convention: DayCount) -> None:
    assert year_fraction(date(2025, 5, 31), date(2025, 5, 31), convention) == 0


@pytest.mark.parametrize("convention", list(DayCount))
def test_end_before_start_is_refused(convention: DayCount) -> None:
    with pytest.raises(InputError, match="end") as caught:
        year_fraction(date(2025, 5, 31), date(2025, 5, 30), convention)
    assert caught.value.problems[0].field == "end"


def test_day_count_names_ignore_case() -> None:
    assert DayCount("ACT/360") is DayCount.ACT_360
    assert DayCount("30e/360") is DayCount.THIRTY_E_360
    assert DayCount("Act/Act") is DayCount.ACT_ACT_ISDA
    with pytest.raises(ValueError, match="30/360"):
        DayCount("30/360")


# --- year fractions: properties ------------------------------------------------------------


@settings(deadline=None)
@given(start=dates, end=dates, convention=st.sampled_from(DayCount))
def test_year_fraction_matches_the_reference(start: date, end: date, convention: DayCount) -> None:
    start, end = min(start, end), max(start, end)
    if convention is DayCount.ACT_ACT_ISDA and (end - start).days > 3000:
        end = start + timedelta(days=3000)  # keep the day-by-day reference quick
    got = year_fraction(start, end, convention)
    assert close(got, reference_fraction(start, end, convention))


@given(a=dates, b=dates, c=dates, convention=st.sampled_from(DayCount))
def test_year_fractions_add_up(a: date, b: date, c: date, convention: DayCount) -> None:
    a, b, c = sorted((a, b, c))
    whole = year_fraction(a, c, convention)
    parts = Fraction(year_fraction(a, b, convention)) + Fraction(year_fraction(b, c, convention))
    assert close(whole, parts)


@given(year=st.integers(1900, 2200), years=st.integers(0, 30))
def test_act_act_whole_calendar_years(year: int, years: int) -> None:
    fraction = year_fraction(date(year, 1, 1), date(year + years, 1, 1), DayCount.ACT_ACT_ISDA)
    assert close(fraction, years)


# --- calendar months -----------------------------------------------------------------------


def test_add_months_clamps_to_the_end_of_the_month() -> None:
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2025, 1, 31), 2) == date(2025, 3, 31)  # from the start: no drift
    assert add_months(date(2025, 8, 31), 1) == date(2025, 9, 30)
    assert add_months(date(2025, 11, 15), 3) == date(2026, 2, 15)
    assert add_months(date(2025, 3, 31), -1) == date(2025, 2, 28)
    assert add_months(date(2025, 3, 31), 0) == date(2025, 3, 31)


@given(start=dates, months=st.integers(-600, 600))
def test_add_months_properties(start: date, months: int) -> None:
    result = add_months(start, months)
    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == months
    last_day = calendar.monthrange(result.year, result.month)[1]
    assert result.day == min(start.day, last_day)


# --- accrual -------------------------------------------------------------------------------


def test_accrue_hand_worked() -> None:
    # 1,000,000.00 USD at 2 % for 90 days act/360: 100,000,000 x 0.02 x 90 / 360
    # = 500,000 cents = 5,000.00 USD.
    q1 = (date(2025, 1, 1), date(2025, 4, 1))
    assert accrue(100_000_000, Decimal("0.02"), *q1, DayCount.ACT_360) == 500_000
    # Same with act/365: 100,000,000 x 0.02 x 90 / 365 = 493,150.68... -> 493,151.
    assert accrue(100_000_000, Decimal("0.02"), *q1, DayCount.ACT_365_FIXED) == 493_151
    assert accrue(0, Decimal("0.02"), date(2025, 1, 1), date(2026, 1, 1), DayCount.ACT_360) == 0
    assert accrue(100, Decimal(0), date(2025, 1, 1), date(2026, 1, 1), DayCount.ACT_360) == 0


@pytest.mark.parametrize(
    ("principal", "expected"),
    [(1, 0), (3, 2), (5, 2), (7, 4), (9, 4)],  # 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, 3.5 -> 4, 4.5 -> 4
)
def test_accrue_rounds_half_to_even(principal: int, expected: int) -> None:
    # principal x 0.5 over a whole 360-day year on act/360 is exactly principal / 2.
    half_rate = Decimal("0.5")
    got = accrue(principal, half_rate, date(2025, 1, 1), date(2025, 12, 27), DayCount.ACT_360)
    assert got == expected


def test_round_minor_half_to_even() -> None:
    assert round_minor(Decimal("2.5")) == 2
    assert round_minor(Decimal("3.5")) == 4
    assert round_minor(Decimal("2.5000000001")) == 3
    assert round_minor(Decimal("-2.5")) == -2


@given(
    principal=st.integers(0, 10**15),
    rate=rates,
    start=dates,
    days=st.integers(0, 1200),
    convention=st.sampled_from(DayCount),
)
def test_accrue_matches_exact_reference(
    principal: int, rate: Decimal, start: date, days: int, convention: DayCount
) -> None:
    end = start + timedelta(days=days)
    exact = principal * Fraction(rate) * reference_fraction(start, end, convention)
    assert accrue(principal, rate, start, end, convention) == round(exact)  # half to even


@pytest.mark.parametrize(
    ("principal", "rate", "field"),
    [
        (-1, Decimal("0.02"), "principal"),
        (True, Decimal("0.02"), "principal"),
        (100, Decimal(1), "rate"),
        (100, Decimal("-0.01"), "rate"),
        (100, Decimal("NaN"), "rate"),
        (100, 0.02, "rate"),
    ],
)
def test_accrue_refuses_bad_input(principal: int, rate: Decimal, field: str) -> None:
    with pytest.raises(InputError, match=field) as caught:
        accrue(principal, rate, date(2025, 1, 1), date(2025, 2, 1), DayCount.ACT_360)
    assert caught.value.problems[0].field == field
