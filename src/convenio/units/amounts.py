"""Units with a declared scale, and conversion between `Decimal` and integer minor units."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final

__all__ = [
    "BUILTIN_UNITS",
    "AmountError",
    "Unit",
    "UnitKind",
    "UnitRegistry",
    "format_minor",
    "parse_minor",
    "to_decimal",
    "to_minor",
]

UNIT_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,23}$")
_NUMBER = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")
MAX_DIGITS: Final = 100
"""Most digits before the decimal point of any amount: far beyond every storage limit
(64 bits are 19 digits), and far below Python's 4,300-digit int conversion limit."""


class AmountError(ValueError):
    """A value is not an exact amount of its unit (too many decimals, not a number)."""


class UnitKind(StrEnum):
    CURRENCY = "currency"
    COMMODITY = "commodity"
    SERVICE = "service"
    GOODS = "goods"


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit of account or measure; `scale` is the number of decimals of its smallest step."""

    code: str
    scale: int
    kind: UnitKind = UnitKind.CURRENCY
    name: str = ""

    def __post_init__(self) -> None:
        if not UNIT_CODE.match(self.code):
            raise AmountError(f"unit code {self.code!r} is not a valid unit code")
        if not 0 <= self.scale <= 12:
            raise AmountError(f"unit {self.code}: scale {self.scale} is outside 0..12")


BUILTIN_UNITS: Final[tuple[Unit, ...]] = (
    Unit("USD", 2, UnitKind.CURRENCY, "US dollar"),
    Unit("EUR", 2, UnitKind.CURRENCY, "euro"),
    Unit("VES", 2, UnitKind.CURRENCY, "Venezuelan bolívar"),
    Unit("CUP", 2, UnitKind.CURRENCY, "Cuban peso"),
    Unit("XSU", 2, UnitKind.CURRENCY, "sucre (ALBA unit of account)"),
    Unit("bbl", 3, UnitKind.COMMODITY, "barrel of oil"),
    Unit("t", 3, UnitKind.GOODS, "metric tonne"),
    Unit("person-month", 2, UnitKind.SERVICE, "person-month of professional services"),
)


class UnitRegistry(Mapping[str, Unit]):
    """The units known to a store or a terms file, by code (codes are case-sensitive)."""

    def __init__(self, units: Iterable[Unit] = BUILTIN_UNITS) -> None:
        self._units: dict[str, Unit] = {}
        for unit in units:
            self.add(unit)

    def add(self, unit: Unit) -> None:
        known = self._units.get(unit.code)
        if known is not None and known.scale != unit.scale:
            raise AmountError(
                f"unit {unit.code} is declared with scale {unit.scale} "
                f"but is already known with scale {known.scale}"
            )
        self._units[unit.code] = unit

    def __getitem__(self, code: str) -> Unit:
        return self._units[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._units)

    def __len__(self) -> int:
        return len(self._units)


def to_minor(value: Decimal | int | str, scale: int) -> int:
    """Convert a decimal value to an integer count of the smallest step of a unit of `scale`.

    Raises `AmountError` if the value has more significant decimals than `scale` allows
    (``12.345`` USD is an error, ``12.340`` is 1234 cents) or is not a finite number.
    """
    if isinstance(value, bool):
        raise AmountError(f"{value!r} is not an amount")
    if isinstance(value, int):
        if abs(value) >= 10**MAX_DIGITS:
            raise AmountError(f"an amount of more than {MAX_DIGITS} digits is too large")
        factor: int = 10**scale
        return value * factor
    if isinstance(value, str):
        return parse_minor(value, scale)
    if not value.is_finite():
        raise AmountError(f"{value} is not a finite amount")
    if value and value.adjusted() >= MAX_DIGITS:
        raise AmountError(f"an amount of more than {MAX_DIGITS} digits is too large")
    scaled = value.scaleb(scale)
    integral = scaled.to_integral_value()
    if scaled != integral:
        raise AmountError(f"{value} has more than {scale} decimals")
    return int(integral)


def parse_minor(text: str, scale: int) -> int:
    """Parse decimal text (``-1234.5``) into minor units of a unit of `scale`, exactly.

    Thousands separators and exponents are refused: amounts in files are plain decimals.
    """
    whole, dot, frac = text.partition(".")
    fast = dot and 0 < len(frac) <= scale and len(whole) <= MAX_DIGITS
    if fast and frac.isascii() and frac.isdecimal():
        # Fast path for the common ``-1234.56``; anything unusual takes the full route.
        digits = whole[1:] if whole[:1] == "-" else whole
        if digits.isascii() and digits.isdecimal():
            pad: int = 10 ** (scale - len(frac))
            return int(whole + frac) * pad
    stripped = text.strip()
    if not _NUMBER.match(stripped):
        raise AmountError(f"{text!r} is not a decimal number")
    sign = -1 if stripped.startswith("-") else 1
    digits = stripped.lstrip("+-")
    whole, _, frac = digits.partition(".")
    whole = whole.lstrip("0")
    if len(whole) > MAX_DIGITS:
        raise AmountError(f"an amount of {len(whole):,} digits is too large")
    frac_trimmed = frac.rstrip("0")
    if len(frac_trimmed) > scale:
        raise AmountError(f"{text.strip()} has more than {scale} decimals")
    factor: int = 10**scale
    return sign * (int(whole or "0") * factor + int(frac_trimmed.ljust(scale, "0") or "0"))


def to_decimal(minor: int, scale: int) -> Decimal:
    """The `Decimal` value of `minor` smallest steps, with exactly `scale` decimals."""
    return Decimal(minor).scaleb(-scale)


def format_minor(minor: int, scale: int, grouping: bool = False) -> str:
    """Decimal text of an amount with exactly `scale` decimals (``-12.50``).

    Plain by default (for files and JSON); ``grouping=True`` separates thousands with
    commas for people to read (``1,002,550,000.00``).
    """
    sign = "-" if minor < 0 else ""
    digits = str(-minor if minor < 0 else minor)
    if not scale:
        return f"{sign}{int(digits):,}" if grouping else f"{sign}{digits}"
    digits = digits.zfill(scale + 1)
    whole, frac = digits[:-scale], digits[-scale:]
    if grouping:
        whole = f"{int(whole):,}"
    return f"{sign}{whole}.{frac}"
