"""The demo's reference prices: a synthetic monthly ``ven-basket`` series, 2000–2015.

The first input the demo generates (`convenio.demo.data` uses it to price the oil).
Public reporting gives only annual averages of the Venezuelan basket — and for 2000–2002 and
2013 only approximate ones — so the monthly quotes are synthesised around them: a
deterministic shape whose twelve months average exactly, to the cent, to each year's
mean. Pure; prices are `Decimal` USD per barrel with 2 decimals, computed in integers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Final

from convenio.financing import PricePoint

__all__ = [
    "ANNUAL_MEANS",
    "APPROXIMATE_YEARS",
    "PRICE_DAY",
    "SERIES",
    "SHAPE",
    "apportion",
    "monthly_means",
    "monthly_prices",
]

SERIES: Final = "ven-basket"
"""The reference series of the shipped terms (``examples/cuba-venezuela.yaml``)."""

ANNUAL_MEANS: Final[Mapping[int, Decimal]] = MappingProxyType(
    {
        2000: Decimal("25.90"),
        2001: Decimal("20.20"),
        2002: Decimal("22.00"),
        2003: Decimal("25.76"),
        2004: Decimal("33.22"),
        2005: Decimal("45.39"),
        2006: Decimal("56.45"),
        2007: Decimal("64.74"),
        2008: Decimal("86.49"),
        2009: Decimal("57.01"),
        2010: Decimal("71.97"),
        2011: Decimal("101.06"),
        2012: Decimal("103.42"),
        2013: Decimal("98.00"),
        2014: Decimal("88.42"),
        2015: Decimal("44.65"),
    }
)
"""FACT: the Venezuelan basket's annual average, USD/bbl (Ministry figures as reported by
the press, agreements as reported); the years of `APPROXIMATE_YEARS` are approximate values."""

APPROXIMATE_YEARS: Final = frozenset({2000, 2001, 2002, 2013})
"""Years whose mean the sources do not give: reporting's approximate 25.9, 20.2, 22.0, 98."""

PRICE_DAY: Final = 15
"""ASSUMPTION: each month has one quote, dated on the 15th; the terms' month-average rule
then reads it as it is."""

SHAPE: Final = (
    "synthetic: straight lines between the annual means placed at mid-year, read at "
    "mid-month, shifted within each year to average exactly to its mean"
)
"""How the monthly quotes are made (see `monthly_means`), for people to read."""


def apportion(total: int, weights: Sequence[int]) -> list[int]:
    """`total` split in proportion to `weights` (not all zero) in whole units that sum
    exactly to it: each share is floored, and the units left go one by one to the
    largest remainders, the earlier first on a tie."""
    whole = sum(weights)
    shares = [total * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _cents(year: int) -> int:
    """The mean of `year` in cents; beyond the table, the nearest year's (flat ends)."""
    year = min(max(year, min(ANNUAL_MEANS)), max(ANNUAL_MEANS))
    return int(ANNUAL_MEANS[year] * 100)


def monthly_means(year: int) -> tuple[Decimal, ...]:
    """The twelve monthly quotes of `year` (a year of `ANNUAL_MEANS`), USD/bbl with 2
    decimals; they sum to exactly 12 × the annual mean.

    The shape: each annual mean is placed at mid-year and joined to the next by a
    straight line (flat before the first year and after the last); each month reads
    the line at its middle; then the same amount is added to every month of the year so
    that the twelve average exactly to the mean (the line alone would not, where it
    bends); last, the values are rounded to the cent by largest remainder
    (`apportion`), so that the rounding leaves the sum intact. All in integers of 1/288
    of a cent: nothing is rounded before the last step.
    """
    mean = _cents(year)
    line = []  # in 1/24 of a cent
    for month in range(1, 13):
        half_months = 2 * month - 13  # from mid-year to mid-month: -11 … 11
        other = _cents(year - 1 if half_months < 0 else year + 1)
        line.append(24 * mean + (other - mean) * abs(half_months))
    shift = 288 * mean - sum(line)
    exact = [12 * value + shift for value in line]  # 1/288 of a cent; they sum to 3456 × mean
    return tuple(Decimal(cents).scaleb(-2) for cents in apportion(12 * mean, exact))


def monthly_prices() -> tuple[PricePoint, ...]:
    """The ``ven-basket`` series: every month of every year of `ANNUAL_MEANS`, one quote
    dated on the `PRICE_DAY`, in date order."""
    return tuple(
        PricePoint(SERIES, date(year, month, PRICE_DAY), price)
        for year in sorted(ANNUAL_MEANS)
        for month, price in enumerate(monthly_means(year), start=1)
    )
