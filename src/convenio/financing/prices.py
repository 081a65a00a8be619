"""Reference price series: the market prices that value commodity deliveries.

The first input of valuation (`convenio.financing.invoicing`): a terms version names a
reference series (``ven-basket``, USD per bbl) and a rule; the series' values are data,
read here from CSV (`parse_price_csv`) into `PricePoint`s and grouped into `PriceSeries`
values (`series_from_points`). `reference_price` then gives the price a rule reads for a
delivery date. Prices are `Decimal` in the series' currency per one unit of its `per`
(the terms' `convenio.terms.PriceSeries` says which); a month average is rounded once,
explicitly, to `PRICE_DECIMALS` decimals with `PRICE_ROUNDING` (half to even).
"""

from __future__ import annotations

import bisect
import csv
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation, localcontext
from typing import Final

from convenio.errors import InputError, Problem
from convenio.financing.daycount import DECIMAL_CONTEXT
from convenio.ledger.parse import parse_date
from convenio.terms import Agreement, ItemKind, PricingRule

__all__ = [
    "PRICE_COLUMNS",
    "PRICE_DECIMALS",
    "PRICE_ROUNDING",
    "PricePoint",
    "PriceSeries",
    "parse_price",
    "parse_price_csv",
    "reference_price",
    "series_from_points",
    "series_issuers",
]

PRICE_DECIMALS: Final = 4
"""Decimals of a reference price: quotes may carry up to 4, and a month average is
rounded to 4 (1/100 of a cent per barrel), far below the cent of an invoice."""

PRICE_ROUNDING: Final = ROUND_HALF_EVEN
"""How a month average is rounded to `PRICE_DECIMALS`: to the nearest, ties to even."""

PRICE_COLUMNS: Final = ("series", "date", "price")
"""The header of a price CSV file."""

_STEP = Decimal(1).scaleb(-PRICE_DECIMALS)


@dataclass(frozen=True, slots=True)
class PricePoint:
    """One quote: `price` (series currency per unit, e.g. USD/bbl) of `series` on `date`."""

    series: str
    date: date
    price: Decimal


@dataclass(frozen=True, slots=True)
class PriceSeries:
    """The quotes of one series, in date order, at most one a day.

    Build it with `PriceSeries.from_points` (or `series_from_points` for a mixed list),
    which sorts and reports duplicates; the constructor only checks the invariant.
    """

    id: str
    points: tuple[PricePoint, ...] = ()

    def __post_init__(self) -> None:
        for point in self.points:
            if point.series != self.id:
                raise _invalid(f"a point of series {point.series!r} in series {self.id!r}")
        for before, after in zip(self.points, self.points[1:], strict=False):
            if not before.date < after.date:
                raise _invalid(
                    f"series {self.id}: points must ascend by date without duplicates "
                    f"({after.date.isoformat()} follows {before.date.isoformat()})"
                )

    @classmethod
    def from_points(
        cls, series_id: str, points: Iterable[PricePoint]
    ) -> tuple[PriceSeries, list[Problem]]:
        """The series of `points` (in any order) and a problem for each duplicate date or
        point of another series; the first point given for a date is kept."""
        by_date: dict[date, PricePoint] = {}
        problems: list[Problem] = []
        for point in points:
            if point.series != series_id:
                message = f"point of series {point.series!r} given for series {series_id!r}"
                problems.append(Problem(message, field="series"))
            elif point.date in by_date:
                message = f"series {series_id} has two prices on {point.date.isoformat()}"
                problems.append(Problem(message, field="date"))
            else:
                by_date[point.date] = point
        return cls(series_id, tuple(by_date[day] for day in sorted(by_date))), problems

    def __iter__(self) -> Iterator[PricePoint]:
        return iter(self.points)

    def __len__(self) -> int:
        return len(self.points)

    def on(self, day: date) -> Decimal | None:
        """The quote on `day`, or None if the series has none that day."""
        index = self._index(day)
        if index < len(self.points) and self.points[index].date == day:
            return self.points[index].price
        return None

    def in_month(self, year: int, month: int) -> tuple[PricePoint, ...]:
        """The quotes of a calendar month, in date order."""
        first = date(year, month, 1)
        after = date(year + month // 12, month % 12 + 1, 1)
        return self.points[self._index(first) : self._index(after)]

    def _index(self, day: date) -> int:
        """The position of the first point on or after `day`."""
        return bisect.bisect_left(self.points, day, key=_date_of)


def _date_of(point: PricePoint) -> date:
    return point.date


def series_from_points(
    points: Iterable[PricePoint],
) -> tuple[dict[str, PriceSeries], list[Problem]]:
    """Group points by series: the `PriceSeries` of each id and the duplicates found."""
    grouped: dict[str, list[PricePoint]] = {}
    for point in points:
        grouped.setdefault(point.series, []).append(point)
    result: dict[str, PriceSeries] = {}
    problems: list[Problem] = []
    for series_id, group in grouped.items():
        result[series_id], found = PriceSeries.from_points(series_id, group)
        problems.extend(found)
    return result, problems


def _invalid(message: str, field: str | None = None) -> InputError:
    return InputError(message, [Problem(message, field=field)])


def _month_average(points: Sequence[PricePoint]) -> Decimal:
    with localcontext(DECIMAL_CONTEXT):
        total = sum((point.price for point in points), Decimal(0))
        exact = total / Decimal(len(points))
        return exact.quantize(_STEP, rounding=PRICE_ROUNDING)


def reference_price(series: PriceSeries, rule: PricingRule | str, day: date) -> Decimal:
    """The reference price that `rule` reads from `series` for a delivery on `day`.

    - ``month-average``: the arithmetic mean of every quote in the calendar month of
      `day`, rounded once to `PRICE_DECIMALS` decimals, half to even;
    - ``delivery-date`` / ``bill-of-lading-date``: the quote on `day` (for the latter,
      `day` is the date of the bill of lading; a `Delivery`'s date is that date).

    Raises `InputError` naming the series and the date (or month) when the series has
    no quote there: a gap that the rule needs is never filled by guessing.
    """
    how = PricingRule(rule)
    if how is PricingRule.MONTH_AVERAGE:
        points = series.in_month(day.year, day.month)
        if not points:
            month = f"{day.year:04d}-{day.month:02d}"
            raise _invalid(
                f"series {series.id} has no price in {month}, which the month-average "
                f"rule needs for {day.isoformat()}",
                "price",
            )
        return _month_average(points)
    price = series.on(day)
    if price is None:
        raise _invalid(
            f"series {series.id} has no price on {day.isoformat()}, which the {how.value} "
            "rule needs",
            "price",
        )
    return price


def parse_price(text: str) -> Decimal:
    """A price written as a plain decimal of at most `PRICE_DECIMALS` decimals, not
    negative (``101.06``); `ValueError` with a readable message for anything else."""
    stripped = text.strip()
    try:
        price = Decimal(stripped)
    except InvalidOperation:
        raise ValueError(f"{stripped!r} is not a number") from None
    if not price.is_finite() or "e" in stripped.lower():
        raise ValueError(f"{stripped!r} is not a plain decimal number")
    if price < 0:
        raise ValueError(f"{stripped} is negative; a price is never below 0")
    if price != price.quantize(_STEP, rounding=PRICE_ROUNDING):
        raise ValueError(f"{stripped} has more than {PRICE_DECIMALS} decimals")
    return price


def parse_price_csv(stream: Iterable[str], name: str) -> tuple[list[PricePoint], list[Problem]]:
    """Read a price CSV (header ``series,date,price``) into points, reporting every bad row.

    Each problem names `name`, the line (the header is line 1) and the field: a bad
    date (ISO ``YYYY-MM-DD`` only), a price that is not a plain decimal, is negative or
    has more than `PRICE_DECIMALS` decimals, a second price for the same series and
    date. Rows with a problem are left out; the file is read to its end.
    """
    problems: list[Problem] = []
    points: list[PricePoint] = []
    reader = csv.reader(stream)
    header = next(reader, None)
    if header is None:
        return [], [Problem("the file is empty; expected the header series,date,price", name, 1)]
    columns = [column.strip() for column in header]
    if sorted(columns) != sorted(PRICE_COLUMNS):
        message = f"bad header {','.join(columns)!r}; expected {','.join(PRICE_COLUMNS)}"
        return [], [Problem(message, name, 1, "header")]
    index = {column: columns.index(column) for column in PRICE_COLUMNS}
    seen: dict[tuple[str, date], int] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            message = f"expected {len(columns)} fields, found {len(row)}"
            problems.append(Problem(message, name, line))
            continue
        series = row[index["series"]].strip()
        if not series:
            problems.append(Problem("the series is empty", name, line, "series"))
        day: date | None = None
        try:
            day = parse_date(row[index["date"]].strip())
        except ValueError as error:
            problems.append(Problem(str(error), name, line, "date"))
        price: Decimal | None = None
        try:
            price = parse_price(row[index["price"]])
        except ValueError as error:
            problems.append(Problem(str(error), name, line, "price"))
        if not series or day is None or price is None:
            continue
        first = seen.get((series, day))
        if first is not None:
            message = f"a second price of {series} on {day.isoformat()} (first on line {first})"
            problems.append(Problem(message, name, line, "date"))
            continue
        seen[(series, day)] = line
        points.append(PricePoint(series, day, price))
    return points, problems


def series_issuers(agreement: Agreement) -> dict[str, frozenset[str]]:
    """Who issues each reference series: the suppliers of commodity flows in every
    version whose pricing reads that series (the diesel supplier quotes diesel-gulf).

    A series no version prices by has no issuer (it is absent from the answer); a flow of
    services or goods, valued by rate cards, issues nothing."""
    issuers: dict[str, set[str]] = {}
    for version in agreement.versions:
        if version.pricing is None:
            continue
        found = issuers.setdefault(version.pricing.reference_series, set())
        found.update(
            flow.supplier
            for flow in version.flows
            if any(agreement.item(i).kind is ItemKind.COMMODITY for i in flow.items)
        )
    return {series: frozenset(parties) for series, parties in issuers.items()}
