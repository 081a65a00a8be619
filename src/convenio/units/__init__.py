"""Units and exact amounts: every quantity is an integer of its unit's smallest step.

A unit declares its scale (USD 2 means cents; bbl 3 means thousandths of a barrel).
Amounts cross the boundary as `Decimal` or text and are converted to integers with
`to_minor`, which refuses more decimals than the unit allows instead of rounding.
"""

from convenio.units.amounts import (
    BUILTIN_UNITS,
    AmountError,
    Unit,
    UnitKind,
    UnitRegistry,
    format_minor,
    parse_minor,
    to_decimal,
    to_minor,
)

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
