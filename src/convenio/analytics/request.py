"""Analytics requests in DHIS2's dimension syntax, checked against the metadata.

``--dx`` names what to show: data elements (``CONSULT``), one disaggregation of one
(``CONSULT.F_15P``) or indicators (``LITERACY_RATE``), separated by ``;``. ``--pe``
names periods (``2005;2005Q1``) or period types (``Monthly``: every month with data).
``--ou`` names org units, ``LEVEL-n`` (the level of the rows: the units at level n
under the named ones) and ``OU_GROUP-uid`` (only values from the group's units), e.g.
``VE;LEVEL-2``. `specs_for` turns a request into the pivot queries that answer it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from convenio.analytics.pivot import PivotSpec
from convenio.errors import InputError, Problem
from convenio.missions import Catalog, Hierarchy, Item
from convenio.missions.orgunits import is_level
from convenio.periods import PeriodType, parse_period

__all__ = ["AnalyticsRequest", "DxItem", "DxKind", "Ids", "parse_request", "specs_for"]


class DxKind(StrEnum):
    ELEMENT = "element"
    OPERAND = "operand"
    INDICATOR = "indicator"


@dataclass(frozen=True)
class DxItem:
    kind: DxKind
    uid: str
    coc: str | None = None

    @property
    def id(self) -> str:
        return self.uid if self.coc is None else f"{self.uid}.{self.coc}"

    def items(self, catalog: Catalog) -> frozenset[Item]:
        """The element operands this item reads."""
        if self.kind is DxKind.INDICATOR:
            return catalog.indicators[self.uid].items
        return frozenset({Item(self.uid, self.coc)})


@dataclass(frozen=True)
class AnalyticsRequest:
    """A checked request: what, when (period type → ids, None: all), where, for whom."""

    dx: tuple[DxItem, ...]
    periods: Mapping[PeriodType, frozenset[str] | None]
    roots: tuple[str, ...]
    level: int | None = None
    group: str | None = None
    mission: str | None = None


@dataclass(frozen=True)
class Ids:
    """Store ids by uid, for the objects a query names."""

    elements: Mapping[str, int]
    units: Mapping[str, int]
    missions: Mapping[str, int]


def _types() -> dict[str, PeriodType]:
    names = {t.value.lower(): t for t in PeriodType}
    names.update({t.name.lower(): t for t in PeriodType})
    return names


def parse_request(
    dx: str,
    pe: str,
    ou: str,
    catalog: Catalog,
    hierarchy: Hierarchy,
    mission: str | None = None,
) -> AnalyticsRequest:
    """The request named by the three dimensions; every unknown name is one problem."""
    problems: list[Problem] = []
    items: list[DxItem] = []
    for token in filter(None, (t.strip() for t in dx.split(";"))):
        element, _, coc = token.partition(".")
        if not coc and token in catalog.indicators:
            items.append(DxItem(DxKind.INDICATOR, token))
        elif element in catalog.elements:
            known = catalog.elements[element]
            if not known.value_type.numeric:
                problems.append(Problem(f"{element} is text: nothing to add up", field="--dx"))
            elif coc and catalog.option_combos.get(coc, None) is None:
                problems.append(Problem(f"unknown category option combo {coc!r}", field="--dx"))
            elif coc and catalog.option_combos[coc].combo != known.combo:
                problems.append(
                    Problem(f"{coc} is not a disaggregation of {element}", field="--dx")
                )
            else:
                items.append(
                    DxItem(DxKind.OPERAND if coc else DxKind.ELEMENT, element, coc or None)
                )
        else:
            problems.append(Problem(f"unknown data element or indicator {token!r}", field="--dx"))
    if not items and not problems:
        problems.append(Problem("name at least one data element or indicator", field="--dx"))
    types = _types()
    periods: dict[PeriodType, set[str] | None] = {}
    for token in filter(None, (t.strip() for t in pe.split(";"))):
        if token.lower() in types:
            periods[types[token.lower()]] = None
            continue
        try:
            period = parse_period(token)
        except InputError as exc:
            problems.append(Problem(str(exc).split(";")[0], field="--pe"))
            continue
        chosen = periods.setdefault(period.type, set())
        if chosen is not None:
            chosen.add(period.id)
    if not periods and not any(p.field == "--pe" for p in problems):
        problems.append(Problem("name at least one period or period type", field="--pe"))
    roots: list[str] = []
    level: int | None = None
    group: str | None = None
    for token in filter(None, (t.strip() for t in ou.split(";"))):
        upper = token.upper()
        if upper.startswith("LEVEL-"):
            number = token[6:]
            by_name = [
                lv.level for lv in catalog.levels.values() if lv.name.lower() == number.lower()
            ]
            if is_level(number):
                level = int(number)
            elif by_name:
                level = by_name[0]
            else:
                problems.append(Problem(f"{token!r}: LEVEL- takes a level (1, 2, …)", field="--ou"))
        elif upper.startswith("OU_GROUP-"):
            group = token[9:]
            if group not in catalog.groups:
                problems.append(Problem(f"unknown org unit group {group!r}", field="--ou"))
        elif token in hierarchy:
            roots.append(token)
        else:
            problems.append(Problem(f"unknown org unit {token!r}", field="--ou"))
    current = hierarchy.as_of()
    if not roots:
        roots = sorted(uid for uid, v in current.items() if v.parent is None)
    if level is not None:
        deeper = [r for r in roots if r in current and current[r].level > level]
        if deeper:
            problems.append(
                Problem(
                    f"{deeper[0]} is below level {level}: LEVEL-n must be at or below the "
                    "named units",
                    field="--ou",
                )
            )
    if mission is not None and mission not in catalog.missions:
        problems.append(Problem(f"unknown mission {mission!r}", field="--mission"))
    if problems:
        raise InputError.from_problems(problems, what="analytics request")
    frozen = {t: None if ids is None else frozenset(ids) for t, ids in periods.items()}
    return AnalyticsRequest(tuple(items), frozen, tuple(roots), level, group, mission)


def specs_for(
    request: AnalyticsRequest, catalog: Catalog, hierarchy: Hierarchy, ids: Ids
) -> list[PivotSpec]:
    """The pivot queries that answer `request`: one per period type and output level."""
    elements = frozenset(
        ids.elements[item.element]
        for dx in request.dx
        for item in dx.items(catalog)
        if item.element in ids.elements
    )
    if not elements:
        return []
    members = None
    if request.group is not None:
        members = frozenset(
            ids.units[u] for u in catalog.groups[request.group].members if u in ids.units
        )
    missions = None if request.mission is None else frozenset({ids.missions[request.mission]})
    current = hierarchy.as_of()
    tops = {uid for uid, v in current.items() if v.parent is None}
    root_ids = frozenset(ids.units[r] for r in request.roots if r in ids.units)
    # (level, outputs, roots) of each query.
    shapes: list[tuple[int, frozenset[int] | None, frozenset[int] | None]] = []
    if request.level is not None:
        everywhere = set(request.roots) >= tops
        shapes.append((request.level, None, None if everywhere else root_ids))
    else:
        by_level: dict[int, set[int]] = defaultdict(set)
        for r in request.roots:
            if r in current and r in ids.units:
                by_level[current[r].level].add(ids.units[r])
        shapes.extend((lv, frozenset(units), None) for lv, units in sorted(by_level.items()))
    return [
        PivotSpec(elements, period_type, level, chosen, outputs, roots, members, missions)
        for period_type, chosen in request.periods.items()
        for level, outputs, roots in shapes
    ]
