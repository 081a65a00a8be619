"""Indicators: numerator ÷ denominator × factor over data elements, with targets and flags.

Literacy rate = people aged 15+ who read (``#{LIT_LITERATE_15P}``) ÷ people aged 15+
(``#{POP_15P}``) × 100, in per cent; consultations per 1,000 people = consultations ÷
population × 1000. The value is computed from the exact sums of its operands for one org
unit and one period, then rounded half up to the indicator's decimals. An optional
`Flag` marks values that pass a threshold — Robinson's "free of illiteracy" when the
literacy rate is above 96 %. The terms files have no field for that threshold, so it
lives here, in the indicator's definition, where the metadata file states it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Final, NamedTuple

from convenio.missions.expressions import PRECISION, Expression, Item, evaluate, items_of

__all__ = ["FLAG_OPERATORS", "Flag", "Indicator", "IndicatorValue", "Target"]

FLAG_OPERATORS: Final = (">", ">=", "<", "<=")


@dataclass(frozen=True)
class Flag:
    """`label` applies to a value `op` `threshold` (both in the indicator's unit)."""

    op: str
    threshold: Decimal
    label: str

    def applies(self, value: Decimal) -> bool:
        if self.op == ">":
            return value > self.threshold
        if self.op == ">=":
            return value >= self.threshold
        if self.op == "<":
            return value < self.threshold
        return value <= self.threshold


class Target(NamedTuple):
    """The value an indicator should reach in an org unit and period (period id)."""

    indicator: str
    org_unit: str
    period: str
    value: Decimal


class IndicatorValue(NamedTuple):
    """One computed indicator: the rounded value, its exact operands and the flag, if any."""

    value: Decimal
    numerator: Decimal
    denominator: Decimal
    flag: str | None


@dataclass(frozen=True)
class Indicator:
    """numerator ÷ denominator × `factor`, rounded to `decimals` places.

    `numerator_text` and `denominator_text` are the formulas as written (kept for the
    store and for exports); `numerator` and `denominator` their parsed trees.
    """

    uid: str
    name: str
    numerator_text: str
    denominator_text: str
    numerator: Expression
    denominator: Expression
    factor: int = 1
    decimals: int = 2
    flag: Flag | None = None
    description: str = ""

    @property
    def items(self) -> frozenset[Item]:
        return items_of(self.numerator) | items_of(self.denominator)

    def compute(self, values: Mapping[Item, Decimal]) -> IndicatorValue | None:
        """The indicator from operand sums `values` (an absent operand counts as zero).

        None when no operand has a value at all, or the denominator is zero.
        """
        if not any(item in values for item in self.items):
            return None
        numerator = evaluate(self.numerator, values)
        denominator = evaluate(self.denominator, values)
        if numerator is None or denominator is None or denominator == 0:
            return None
        with localcontext() as ctx:
            ctx.prec = PRECISION
            exact = numerator / denominator * self.factor
            rounded = exact.quantize(Decimal(1).scaleb(-self.decimals), rounding=ROUND_HALF_UP)
        flag = self.flag.label if self.flag is not None and self.flag.applies(exact) else None
        return IndicatorValue(rounded, numerator, denominator, flag)
