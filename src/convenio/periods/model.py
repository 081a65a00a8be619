"""Periods as values: a type, an inclusive start and end, and DHIS2's identifier.

A period keys every mission data value (element × disaggregation × org unit × period)
and names every settlement run ("settle 2011Q4"), so the same `Period` value has to mean
the same days in the ledger, in mission data and in the files exchanged with DHIS2. This
module holds the value and its arithmetic; `convenio.periods.parsing` turns text into it.

Each type numbers its periods with a plain integer (an *index*): days by their proleptic
Gregorian ordinal, weeks by the Monday that starts them, and every month-based type by
the absolute month in which it starts. Shifting, iterating and locating are arithmetic on
that index, so consecutive periods tile time with no gap and no overlap.

Weeks are ISO 8601 weeks (Monday to Sunday, numbered within the ISO year). A week does
not nest inside months or years, so it belongs to the period that contains its Thursday —
DHIS2's convention, and the one that makes ISO week-numbering years come out right.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import total_ordering
from typing import Final

from convenio.errors import InputError, Problem

__all__ = ["Period", "PeriodType", "period_of", "periods_between"]


class PeriodType(StrEnum):
    """The kinds of period convenio knows; the values are DHIS2's period type names."""

    DAILY = "Daily"
    WEEKLY = "Weekly"
    MONTHLY = "Monthly"
    QUARTERLY = "Quarterly"
    SIXMONTHLY = "SixMonthly"
    YEARLY = "Yearly"
    FINANCIAL_APRIL = "FinancialApril"
    FINANCIAL_JULY = "FinancialJuly"
    FINANCIAL_OCT = "FinancialOct"


# Month-based types: (months per period, calendar month in which a period starts).
_MONTH_SPANS: Final[dict[PeriodType, tuple[int, int]]] = {
    PeriodType.MONTHLY: (1, 1),
    PeriodType.QUARTERLY: (3, 1),
    PeriodType.SIXMONTHLY: (6, 1),
    PeriodType.YEARLY: (12, 1),
    PeriodType.FINANCIAL_APRIL: (12, 4),
    PeriodType.FINANCIAL_JULY: (12, 7),
    PeriodType.FINANCIAL_OCT: (12, 10),
}

_FINANCIAL_SUFFIX: Final[dict[PeriodType, str]] = {
    PeriodType.FINANCIAL_APRIL: "April",
    PeriodType.FINANCIAL_JULY: "July",
    PeriodType.FINANCIAL_OCT: "Oct",
}

# Ties between periods with the same days (none today) sort by declaration order.
_RANK: Final[dict[PeriodType, int]] = {t: i for i, t in enumerate(PeriodType)}

_ONE_DAY: Final = timedelta(days=1)
_THURSDAY: Final = 3  # days after Monday


def _as_date(d: date) -> date:
    """The calendar date of `d`, dropping the time of a `datetime`."""
    return d.date() if isinstance(d, datetime) else d


def _index(d: date, type: PeriodType) -> int:
    """The index of the period of `type` that contains day `d`."""
    if type is PeriodType.DAILY:
        return d.toordinal()
    if type is PeriodType.WEEKLY:
        # Ordinal 1 (0001-01-01) is a Monday, so weeks are runs of 7 ordinals from 1.
        return (d.toordinal() - 1) // 7
    length, first = _MONTH_SPANS[type]
    return (d.year * 12 + d.month - first) // length


def _bounds(index: int, type: PeriodType) -> tuple[date, date]:
    """The first and last day of the period of `type` numbered `index`.

    Raises `OverflowError` when the period falls outside years 1 to 9999.
    """
    try:
        if type is PeriodType.DAILY:
            day = date.fromordinal(index)
            return day, day
        if type is PeriodType.WEEKLY:
            monday = date.fromordinal(index * 7 + 1)
            return monday, monday + 6 * _ONE_DAY
        length, first = _MONTH_SPANS[type]
        start_month = index * length + first - 1  # months since January of year 0
        last_month = start_month + length - 1
        last_year, last_month_of_year = divmod(last_month, 12)
        end_day = calendar.monthrange(last_year, last_month_of_year + 1)[1]
        start = date(start_month // 12, start_month % 12 + 1, 1)
        return start, date(last_year, last_month_of_year + 1, end_day)
    except (ValueError, OverflowError) as exc:
        raise OverflowError(f"{type} period {index} falls outside years 1 to 9999") from exc


def _tiling_error(text: str) -> InputError:
    return InputError(text, [Problem(text, field="period_type")])


@total_ordering
@dataclass(frozen=True, repr=False)
class Period:
    """One period of a `PeriodType`, from `start` to `end`, both days included.

    Build periods with `parse_period` or `period_of`; the constructor only checks that
    `start` and `end` are the bounds of a real period of `type` (`ValueError` if not).
    Periods compare by start, then end, then type, so a sorted list reads in time order.
    """

    type: PeriodType
    start: date
    end: date

    def __post_init__(self) -> None:
        expected = _bounds(_index(self.start, self.type), self.type)
        if (self.start, self.end) != expected:
            raise ValueError(
                f"{self.start}..{self.end} is not a {self.type} period "
                f"(the one containing {self.start} is {expected[0]}..{expected[1]})"
            )

    @property
    def id(self) -> str:
        """The DHIS2 identifier: 20050301, 2005W9, 200503, 2005Q1, 2005S1, 2005, 2005April."""
        s, t = self.start, self.type
        if t is PeriodType.DAILY:
            return f"{s.year:04d}{s.month:02d}{s.day:02d}"
        if t is PeriodType.WEEKLY:
            year, week, _ = s.isocalendar()
            return f"{year:04d}W{week}"
        if t is PeriodType.MONTHLY:
            return f"{s.year:04d}{s.month:02d}"
        if t is PeriodType.QUARTERLY:
            return f"{s.year:04d}Q{(s.month - 1) // 3 + 1}"
        if t is PeriodType.SIXMONTHLY:
            return f"{s.year:04d}S{(s.month - 1) // 6 + 1}"
        if t is PeriodType.YEARLY:
            return f"{s.year:04d}"
        return f"{s.year:04d}{_FINANCIAL_SUFFIX[t]}"

    def iso(self) -> str:
        """The settlement-style form: 2011-10-05, 2011-W09, 2011-10, 2011Q4, 2011H1, 2011.

        Financial years have no such form and give their DHIS2 identifier (2011April).
        `parse_period` reads every form back to the same period.
        """
        s, t = self.start, self.type
        if t is PeriodType.DAILY:
            return s.isoformat()
        if t is PeriodType.WEEKLY:
            year, week, _ = s.isocalendar()
            return f"{year:04d}-W{week:02d}"
        if t is PeriodType.MONTHLY:
            return f"{s.year:04d}-{s.month:02d}"
        if t is PeriodType.SIXMONTHLY:
            return f"{s.year:04d}H{(s.month - 1) // 6 + 1}"
        return self.id

    @property
    def days(self) -> int:
        """The number of days in the period, both ends included."""
        return (self.end - self.start).days + 1

    def contains(self, d: date) -> bool:
        """Whether day `d` (the date part of a `datetime`) lies within the period."""
        return self.start <= _as_date(d) <= self.end

    def next(self) -> Period:
        """The period of the same type that starts the day after this one ends."""
        return self + 1

    def previous(self) -> Period:
        """The period of the same type that ends the day before this one starts."""
        return self - 1

    def __add__(self, n: int) -> Period:
        """The period `n` periods of the same type later (earlier when `n` is negative).

        Raises `OverflowError` beyond years 1 to 9999.
        """
        if not isinstance(n, int):
            return NotImplemented
        start, end = _bounds(_index(self.start, self.type) + n, self.type)
        return Period(self.type, start, end)

    __radd__ = __add__

    def __sub__(self, n: int) -> Period:
        """The period `n` periods of the same type earlier."""
        if not isinstance(n, int):
            return NotImplemented
        return self + -n

    def rollup(self, type: PeriodType) -> Period:
        """The period of `type` that encloses this one (itself when `type` is its own).

        A week rolls up to the period containing its Thursday, so 2005W9 (Monday 28
        February to Sunday 6 March 2005) belongs to March 2005, and 2004W53 to 2004.
        Raises `InputError` when no period of `type` encloses this one: `type` is finer,
        or its boundaries cut through this period (2005S1 crosses the start of 2005April,
        while 2005S2 lies inside it and rolls up).
        """
        if type is self.type:
            return self
        if self.type is PeriodType.WEEKLY and type is not PeriodType.DAILY:
            return period_of(self.start + _THURSDAY * _ONE_DAY, type)
        enclosing = period_of(self.start, type)
        if enclosing.end < self.end:
            raise _tiling_error(f"{self.type} period {self.id} does not roll up into {type}")
        return enclosing

    def split(self, type: PeriodType) -> list[Period]:
        """The periods of `type` that make up this one, in order (`[self]` for its own type).

        Weeks are those whose Thursday falls inside the period: the inverse of `rollup`,
        so March 2005 splits into 2005W9 to 2005W13. Raises `InputError` when `type`
        does not tile this period exactly: a coarser type, or one whose boundaries cut
        through it (a year into April financial years; a month into weeks is allowed).
        """
        if type is self.type:
            return [self]
        if type is PeriodType.WEEKLY and self.type is not PeriodType.DAILY:
            first = period_of(self.start, type)
            if not self.contains(first.start + _THURSDAY * _ONE_DAY):
                first = first.next()
            last = period_of(self.end, type)
            if not self.contains(last.start + _THURSDAY * _ONE_DAY):
                last = last.previous()
            return list(periods_between(first, last))
        first, last = period_of(self.start, type), period_of(self.end, type)
        if first.start != self.start or last.end != self.end:
            raise _tiling_error(f"{self.type} period {self.id} does not split into {type}")
        return list(periods_between(first, last))

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return (self.start, self.end, _RANK[self.type]) < (
            other.start,
            other.end,
            _RANK[other.type],
        )

    def __str__(self) -> str:
        return self.id

    def __repr__(self) -> str:
        return f"<Period {self.id} {self.start}..{self.end}>"


def period_of(d: date, type: PeriodType) -> Period:
    """The period of `type` that contains day `d` (the date part of a `datetime`).

    Raises `OverflowError` when that period reaches outside years 1 to 9999.
    """
    start, end = _bounds(_index(_as_date(d), type), type)
    return Period(type, start, end)


def periods_between(first: Period, last: Period) -> Iterator[Period]:
    """Every period from `first` to `last`, both included, in order; none if `last` is earlier.

    Raises `InputError`, at the call rather than on iteration, when the two are not of
    the same type.
    """
    if first.type is not last.type:
        message = (
            f"periods {first.id} ({first.type}) and {last.id} ({last.type}) "
            "are not of the same type"
        )
        raise InputError(message, [Problem(message, field="period")])
    type = first.type
    indexes = range(_index(first.start, type), _index(last.start, type) + 1)
    return (Period(type, *_bounds(index, type)) for index in indexes)
