"""From pivot sums to the rows coordinators read: element totals, indicators, targets,
threshold flags, and small counts suppressed in public output.

The pivot returns, per output org unit × period × element × option combo, the exact sum
of the values (in millionths) and how many were summed. Here an element's value is that
sum (or the mean, for AVERAGE elements) over the combos asked for; an indicator is
computed from its operands' values in the same org unit and period. In public output a
count (INTEGER or BOOLEAN element) from 1 to `threshold` − 1 is replaced by nothing,
and so is an indicator whose numerator or denominator is such a count — zero is shown,
since it reveals nobody.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Final, NamedTuple

from convenio.analytics.request import AnalyticsRequest, DxItem, DxKind
from convenio.missions import VALUE_SCALE, AggregationType, Catalog, Item, format_number

__all__ = ["DEFAULT_THRESHOLD", "Cell", "ResultRow", "assemble"]

DEFAULT_THRESHOLD: Final = 5
"""Counts under this are suppressed in public output."""
_ONE: Final = Decimal(10) ** VALUE_SCALE
_QUANTUM: Final = Decimal(1).scaleb(-VALUE_SCALE)


class Cell(NamedTuple):
    """A pivot sum: `total` millionths over `n` values."""

    total: int
    n: int


# (org unit uid, period uid, element uid, option combo uid) → sum
Cells = Mapping[tuple[str, str, str, str], Cell]


@dataclass(frozen=True)
class ResultRow:
    """One answer. `value` is None when suppressed; indicators also give their parts."""

    dx: str
    dx_name: str
    pe: str
    ou: str
    ou_name: str
    value: Decimal | None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    factor: int | None = None
    target: Decimal | None = None
    flag: str | None = None
    suppressed: bool = False

    def as_dict(self) -> dict[str, object]:
        """Plain values for JSON and CSV: decimals as text, exactly."""

        def text(d: Decimal | None) -> str | None:
            return None if d is None else format_number(d)

        # An indicator keeps its decimals (25.00); an element's sum has no trailing zeros.
        value = text(self.value) if self.factor is None or self.value is None else f"{self.value:f}"

        return {
            "dx": self.dx,
            "dx_name": self.dx_name,
            "pe": self.pe,
            "ou": self.ou,
            "ou_name": self.ou_name,
            "value": value,
            "numerator": text(self.numerator),
            "denominator": text(self.denominator),
            "factor": self.factor,
            "target": text(self.target),
            "flag": self.flag,
            "suppressed": self.suppressed,
        }


def _value(total: int, n: int, aggregation: AggregationType) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 60
        if aggregation is AggregationType.AVERAGE:
            mean = Decimal(total) / n / _ONE
            return mean.quantize(_QUANTUM, rounding=ROUND_HALF_UP).normalize()
        return (Decimal(total) / _ONE).normalize()


def _operands(cells: Cells, catalog: Catalog) -> dict[tuple[str, str], dict[Item, Decimal]]:
    """Per (org unit, period): the value of each element and element.combo present."""
    sums: dict[tuple[str, str], dict[Item, list[int]]] = defaultdict(dict)
    for (ou, pe, element, coc), cell in cells.items():
        for item in (Item(element), Item(element, coc)):
            acc = sums[ou, pe].setdefault(item, [0, 0])
            acc[0] += cell.total
            acc[1] += cell.n
    return {
        key: {
            item: _value(t, n, catalog.elements[item.element].aggregation)
            for item, (t, n) in items.items()
            if n
        }
        for key, items in sums.items()
    }


def _small(value: Decimal | None, threshold: int) -> bool:
    return value is not None and 0 < abs(value) < threshold


def _all_counts(dx: DxItem, catalog: Catalog) -> bool:
    return all(catalog.elements[i.element].value_type.is_count for i in dx.items(catalog))


def assemble(
    request: AnalyticsRequest,
    catalog: Catalog,
    cells: Cells,
    names: Mapping[str, str],
    period_order: Mapping[str, tuple[object, ...]],
    public: bool = False,
    threshold: int = DEFAULT_THRESHOLD,
) -> list[ResultRow]:
    """The rows answering `request`, ordered by dx (as asked), org unit name, period.

    `names` gives org unit names by uid; `period_order` a sort key per period uid.
    """
    operands = _operands(cells, catalog)
    rows: list[ResultRow] = []
    for dx in request.dx:
        counts = _all_counts(dx, catalog)
        for (ou, pe), values in operands.items():
            if dx.kind is DxKind.INDICATOR:
                indicator = catalog.indicators[dx.uid]
                computed = indicator.compute(values)
                if computed is None:
                    continue
                target = catalog.targets.get((dx.uid, ou, pe))
                hide = (
                    public
                    and counts
                    and (
                        _small(computed.numerator, threshold)
                        or _small(computed.denominator, threshold)
                    )
                )
                rows.append(
                    ResultRow(
                        dx.id,
                        indicator.name,
                        pe,
                        ou,
                        names.get(ou, ou),
                        None if hide else computed.value,
                        None if hide else computed.numerator,
                        None if hide else computed.denominator,
                        indicator.factor,
                        None if target is None else target.value,
                        None if hide else computed.flag,
                        bool(hide),
                    )
                )
                continue
            item = Item(dx.uid, dx.coc)
            if item not in values:
                continue
            value = values[item]
            hide = public and counts and _small(value, threshold)
            element = catalog.elements[dx.uid]
            name = (
                element.name
                if dx.coc is None
                else (f"{element.name} ({catalog.option_combos[dx.coc].name})")
            )
            rows.append(
                ResultRow(
                    dx.id,
                    name,
                    pe,
                    ou,
                    names.get(ou, ou),
                    None if hide else value,
                    suppressed=bool(hide),
                )
            )
    order = {dx.id: i for i, dx in enumerate(request.dx)}
    rows.sort(key=lambda r: (order[r.dx], r.ou_name, r.ou, period_order.get(r.pe, (r.pe,))))
    return rows
