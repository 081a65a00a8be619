"""Reading period identifiers: DHIS2's forms and the settlement forms of the command line.

Text becomes a `Period` here and nowhere else, whether it comes from a DHIS2
`dataValueSets` file, a CSV column, the terms or `convenio settle 2011Q4`; a text that is
not a period is refused with an `InputError` that names it and lists the accepted forms.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date
from typing import Final

from convenio.errors import InputError, Problem
from convenio.periods.model import Period, PeriodType, period_of

__all__ = ["ACCEPTED_FORMS", "parse_period"]

ACCEPTED_FORMS: Final = (
    "20050301 or 2005-03-01 (day), 2005W9 or 2005-W09 (ISO week), 200503 or 2005-03 "
    "(month), 2005Q1 (quarter), 2005S1 or 2005H1 (half year), 2005 (year), "
    "2005April, 2005July or 2005Oct (financial year starting in that month)"
)


class _RefusedError(Exception):
    """Why a text that has the shape of a period names none (month 13, week 54)."""


def _year(text: str) -> int:
    year = int(text)
    if year < 1:
        raise _RefusedError("year 0000 does not exist")
    return year


def _month(year: int, text: str) -> date:
    month = int(text)
    if not 1 <= month <= 12:
        raise _RefusedError(f"month {month} does not exist")
    return date(year, month, 1)


def _day(y: str, m: str, d: str) -> Period:
    start = _month(_year(y), m)
    last = calendar.monthrange(start.year, start.month)[1]
    if not 1 <= int(d) <= last:
        raise _RefusedError(f"{start.year:04d}-{start.month:02d} has days 1 to {last}")
    return period_of(start.replace(day=int(d)), PeriodType.DAILY)


def _week(y: str, w: str) -> Period:
    year, week = _year(y), int(w)
    weeks = date(year, 12, 28).isocalendar().week  # 28 December is always in the last week
    if not 1 <= week <= weeks:
        raise _RefusedError(f"{year:04d} has ISO weeks 1 to {weeks}")
    return period_of(date.fromisocalendar(year, week, 1), PeriodType.WEEKLY)


def _monthly(y: str, m: str) -> Period:
    return period_of(_month(_year(y), m), PeriodType.MONTHLY)


def _quarter(y: str, q: str) -> Period:
    if not 1 <= int(q) <= 4:
        raise _RefusedError("a quarter is 1 to 4")
    return period_of(date(_year(y), int(q) * 3 - 2, 1), PeriodType.QUARTERLY)


def _half(y: str, h: str) -> Period:
    if not 1 <= int(h) <= 2:
        raise _RefusedError("a half year is 1 or 2")
    return period_of(date(_year(y), int(h) * 6 - 5, 1), PeriodType.SIXMONTHLY)


def _yearly(y: str) -> Period:
    return period_of(date(_year(y), 1, 1), PeriodType.YEARLY)


def _financial(y: str, month: str) -> Period:
    type, first = {
        "april": (PeriodType.FINANCIAL_APRIL, 4),
        "july": (PeriodType.FINANCIAL_JULY, 7),
        "oct": (PeriodType.FINANCIAL_OCT, 10),
    }[month.lower()]
    return period_of(date(_year(y), first, 1), type)


_LETTERS: Final = re.ASCII | re.IGNORECASE  # ASCII: no Arabic-Indic or other digits

# Each form matches the whole (stripped) text; the digit counts keep them apart.
_FORMS: Final[list[tuple[re.Pattern[str], Callable[..., Period]]]] = [
    (re.compile(r"(\d{4})(\d{2})(\d{2})", re.ASCII), _day),
    (re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII), _day),
    (re.compile(r"(\d{4})-?W(\d{1,2})", _LETTERS), _week),
    (re.compile(r"(\d{4})-?(\d{2})", re.ASCII), _monthly),
    (re.compile(r"(\d{4})Q(\d)", _LETTERS), _quarter),
    (re.compile(r"(\d{4})[SH](\d)", _LETTERS), _half),
    (re.compile(r"(\d{4})", re.ASCII), _yearly),
    (re.compile(r"(\d{4})(April|July|Oct)", _LETTERS), _financial),
]


def parse_period(text: str) -> Period:
    """The period named by `text`, in any form of `ACCEPTED_FORMS` (whitespace around ignored).

    Raises `InputError` naming the text, the reason and the accepted forms when the text
    has no such form or names no real period (month 13, 2005W53, 20050230).
    """
    stripped = text.strip()
    reason = "not a period identifier"
    for pattern, build in _FORMS:
        match = pattern.fullmatch(stripped)
        if match is None:
            continue
        try:
            return build(*match.groups())
        except _RefusedError as exc:
            reason = str(exc)
        except OverflowError:
            reason = "it reaches beyond the year 9999"
        break
    message = f"invalid period {text!r}: {reason}; accepted forms: {ACCEPTED_FORMS}"
    raise InputError(message, [Problem(message, field="period")])
