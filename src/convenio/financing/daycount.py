"""Day counts, calendar months and the one rounding rule of financing.

Interest in convenio is accrued on integer minor units (cents) at a `Decimal` annual
rate over a fraction of a year given by a day-count convention. Everything here is
exact up to a single rounding, to the nearest minor unit, at the very end: a day
count is kept as an exact ratio of integers (days over a year basis) and the interest
``principal × rate × days / basis`` is divided once, in `DECIMAL_CONTEXT`, then rounded
with `ROUNDING` (half to even). Tranche schedules (`convenio.financing.schedules`) and
month-end accruals both go through `accrue` and `round_minor`, late interest (summed
exactly over the stretches between payments) through `day_ratio` and `round_fraction`:
all round alike.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from enum import StrEnum
from fractions import Fraction
from typing import Final

from convenio.errors import InputError, Problem

__all__ = [
    "DECIMAL_CONTEXT",
    "ROUNDING",
    "DayCount",
    "accrue",
    "add_months",
    "check_rate",
    "day_ratio",
    "month_end",
    "month_ends",
    "round_fraction",
    "round_minor",
    "year_fraction",
]

ROUNDING: Final = ROUND_HALF_EVEN
"""How an exact amount becomes whole minor units: to the nearest, ties to the even cent.

Half-to-even ("banker's rounding") is unbiased: over thousands of accruals the
half-cents cancel out instead of always favouring the creditor, as half-up would.
"""

DECIMAL_CONTEXT: Final = Context(
    prec=50,
    rounding=ROUND_HALF_EVEN,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)
"""The arithmetic context of financing: 50 significant digits, so that no intermediate
result of a schedule is rounded anywhere near the cent; only `round_minor` rounds."""


class DayCount(StrEnum):
    """A day-count convention: how a period between two dates becomes a fraction of a year.

    The values are the names used in terms files; lookup ignores case (``"ACT/360"``).
    """

    THIRTY_E_360 = "30E/360"
    """30E/360 (Eurobond basis, ISDA 2006 §4.16(g)): a day 31 counts as day 30, at
    either end; every month has 30 days and the year 360. (Not the US 30/360 "bond
    basis", which changes a 31st at the end only when the start is the 30th or 31st.)"""
    ACT_360 = "act/360"
    """Actual/360: actual days over 360."""
    ACT_365_FIXED = "act/365"
    """Actual/365 (Fixed): actual days over 365, leap year or not."""
    ACT_ACT_ISDA = "act/act"
    """Actual/Actual (ISDA): days falling in a leap year over 366 plus days falling in
    other years over 365."""

    @classmethod
    def _missing_(cls, value: object) -> DayCount | None:
        if isinstance(value, str):
            for member in cls:
                if member.value.casefold() == value.casefold():
                    return member
        return None


def _invalid(field: str, message: str) -> InputError:
    return InputError(f"{field}: {message}", [Problem(message, field=field)])


def check_rate(rate: Decimal, field: str = "rate") -> Decimal:
    """Return `rate` (an annual fraction: ``Decimal("0.02")`` is 2 %) if it lies in [0, 1).

    Raises `InputError` naming `field` for anything else, floats included: a float rate
    has already lost exactness before it reaches us.
    """
    if not isinstance(rate, Decimal):
        raise _invalid(field, f"must be a Decimal annual fraction, got {type(rate).__name__}")
    if not rate.is_finite() or not Decimal(0) <= rate < Decimal(1):
        raise _invalid(field, f"must be an annual fraction in [0, 1), got {rate}")
    return rate


def add_months(start: date, months: int) -> date:
    """The date `months` calendar months after `start`, clamped to the end of the month.

    Jan 31 + 1 month is Feb 28 (Feb 29 in a leap year). Always count from the original
    date (``add_months(start, 3 * k)``), never step from the previous result, or the
    day drifts: Jan 31 → Feb 28 → Mar 28 instead of Mar 31.
    """
    index = start.year * 12 + (start.month - 1) + months
    year, month0 = divmod(index, 12)
    month = month0 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def month_end(day: date) -> date:
    """The last day of `day`'s calendar month."""
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def month_ends(first: date, last: date) -> Iterator[tuple[date, date]]:
    """(month end, first day of the next month) for every calendar month from `first`'s
    to `last`'s, both included (the last month's end may fall after `last`)."""
    month = date(first.year, first.month, 1)
    while month <= last:
        after = add_months(month, 1)
        yield after - timedelta(days=1), after
        month = after


def _check_dates(start: date, end: date) -> None:
    if end < start:
        raise _invalid("end", f"{end.isoformat()} is before start {start.isoformat()}")


def _thirty_e_360_days(start: date, end: date) -> int:
    d1 = min(start.day, 30)
    d2 = min(end.day, 30)
    return 360 * (end.year - start.year) + 30 * (end.month - start.month) + (d2 - d1)


def day_ratio(start: date, end: date, convention: DayCount) -> tuple[int, int]:
    """The year fraction from `start` to `end` as an exact (numerator, denominator)."""
    match convention:
        case DayCount.THIRTY_E_360:
            return _thirty_e_360_days(start, end), 360
        case DayCount.ACT_360:
            return (end - start).days, 360
        case DayCount.ACT_365_FIXED:
            return (end - start).days, 365
        case DayCount.ACT_ACT_ISDA:
            # Days in leap years (over 366) and in other years (over 365), added over
            # the common denominator 365 × 366 so that the sum stays exact.
            leap_days = 0
            other_days = 0
            cursor = start
            while cursor < end:
                year_end = min(end, date(cursor.year + 1, 1, 1))
                days = (year_end - cursor).days
                if calendar.isleap(cursor.year):
                    leap_days += days
                else:
                    other_days += days
                cursor = year_end
            return leap_days * 365 + other_days * 366, 365 * 366
    raise _invalid("convention", f"unknown day count {convention!r}")  # pragma: no cover


def year_fraction(start: date, end: date, convention: DayCount) -> Decimal:
    """The fraction of a year (a `Decimal`, in years) from `start` to `end` under `convention`.

    Exact where the fraction has a finite decimal expansion, otherwise correct to the 50
    significant digits of `DECIMAL_CONTEXT`. Raises `InputError` if `end` < `start`.
    """
    _check_dates(start, end)
    numerator, denominator = day_ratio(start, end, DayCount(convention))
    with localcontext(DECIMAL_CONTEXT):
        return Decimal(numerator) / Decimal(denominator)


def round_fraction(value: Fraction) -> int:
    """`round_minor` for an exact `Fraction` of minor units: the same rule, half to even
    (which is what `Fraction.__round__` does)."""
    return round(value)


def round_minor(value: Decimal) -> int:
    """Round an exact amount in minor units (e.g. ``Decimal("1234.5")`` cents) to whole
    minor units with `ROUNDING`. The only place where financing rounds."""
    with localcontext(DECIMAL_CONTEXT):
        return int(value.quantize(Decimal(1), rounding=ROUNDING))


def accrue(
    principal_minor: int, rate: Decimal, start: date, end: date, convention: DayCount
) -> int:
    """Simple interest, in minor units, on `principal_minor` minor units at the annual
    `rate` (a fraction) from `start` (inclusive) to `end` (exclusive) under `convention`.

    Computed as ``principal × rate × numerator / denominator`` with one division and one
    rounding (`round_minor`). The principal must not be negative; `rate` is checked with
    `check_rate`; `end` must not be before `start`.
    """
    if isinstance(principal_minor, bool) or not isinstance(principal_minor, int):
        raise _invalid("principal", "must be an integer of minor units")
    if principal_minor < 0:
        raise _invalid("principal", f"must not be negative, got {principal_minor}")
    check_rate(rate)
    _check_dates(start, end)
    numerator, denominator = day_ratio(start, end, DayCount(convention))
    with localcontext(DECIMAL_CONTEXT):
        exact = Decimal(principal_minor) * rate * Decimal(numerator) / Decimal(denominator)
    return round_minor(exact)
