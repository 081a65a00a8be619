"""What the missions pages show, gathered in one call per page: indicators over time and
against targets, the federal entities for the map, an org unit with its children, and
the pathways as funnels.

Every figure comes from the services the API answers with — `analytics.query` (``GET
/api/v1/analytics``) and `cases.pathway_indicators` (``GET /api/v1/indicators/pathways``)
— called with the reader's principal, so a reader gets exactly the API's answer: those
who read mission data the values (a coordinator its subtree only), everybody else the
public answer with small counts suppressed. Nothing here suppresses anything itself; what
it derives for the public (a funnel's stages) is computed from the public answer alone,
so it tells no more than that answer.

One judgement of presentation: an indicator computed where none of its numerator's
elements has a value (the engine counts an absent operand as zero: a literacy rate of 0
in the years after the survey) is shown as not reported, not as 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from convenio.analytics import ResultRow
from convenio.auth import Principal
from convenio.errors import InputError, NotFoundError, Problem
from convenio.missions import Catalog, Hierarchy
from convenio.missions.cases import PATHWAYS, Pathway
from convenio.missions.expressions import items_of
from convenio.periods import PeriodType, parse_period
from convenio.services import analytics, cases
from convenio.services.missions import require_reach, scope_of
from convenio.store import UnitOfWork

__all__ = [
    "BAND",
    "Figure",
    "Measure",
    "MissionsView",
    "PathwayView",
    "PathwaysView",
    "Step",
    "Unit",
    "UnitView",
    "figures",
    "funnel",
    "measures",
    "overview",
    "pathways",
    "unit_view",
]

STATE_LEVEL: Final = 2
"""The level of the federal entities the map shows (the country is level 1)."""
BAND: Final = 10
"""Stages between a pathway's first and its completion are grouped in bands of this many
when there are more than `BAND` of them (literacy's 65 lessons: 1–10, 11–20, …)."""


@dataclass(frozen=True)
class Measure:
    """What a page can show: an indicator or a numeric data element; `reads` the elements
    whose values make a figure reported (an indicator's numerator, an element itself)."""

    id: str
    name: str
    kind: str  # "indicator" or "element"
    mission: str | None
    reads: frozenset[str]


@dataclass(frozen=True)
class Figure:
    """A measure in one org unit and period: `value` None and not `suppressed` when
    nothing is reported; `target` and `flag` for indicators."""

    value: Decimal | None = None
    suppressed: bool = False
    target: Decimal | None = None
    flag: str | None = None

    @property
    def reported(self) -> bool:
        return self.value is not None or self.suppressed


NO_DATA: Final = Figure()


@dataclass(frozen=True)
class Unit:
    """An org unit as a page names it; `reachable`: the reader may open its page."""

    uid: str
    name: str
    level: int
    level_name: str
    reachable: bool


Series = Mapping[str, Mapping[str, Figure]]
"""Measure id → period → figure."""


@dataclass(frozen=True)
class MissionsView:
    """The missions page: `series` at `root` by year, and the entities for the map."""

    public: bool
    root: Unit
    measures: tuple[Measure, ...]
    measure: Measure
    years: tuple[str, ...]
    year: str | None
    series: Series
    states: tuple[tuple[Unit, Figure], ...]

    def latest(self, measure: str) -> str | None:
        """The last year `measure` is reported at the root."""
        found = [y for y in self.years if self.series.get(measure, {}).get(y, NO_DATA).reported]
        return found[-1] if found else None


@dataclass(frozen=True)
class UnitView:
    """An org unit's page: its figures by year, its children's in `year`."""

    public: bool
    unit: Unit
    trail: tuple[Unit, ...]  # from the top down to the unit itself
    measures: tuple[Measure, ...]
    measure: Measure
    years: tuple[str, ...]
    year: str | None
    series: Series
    children: tuple[tuple[Unit, Mapping[str, Figure]], ...]
    child_measures: tuple[Measure, ...]  # those reported in some child


@dataclass(frozen=True)
class Step:
    """A step of a funnel: the stages `first` … `last` (one stage, or a band); `reached`
    cases got to `first` or beyond, `stopped` of them went no further than `last`
    (None: suppressed, or not derivable from a suppressed answer)."""

    first: str
    last: str
    reached: int | None
    stopped: int | None


@dataclass(frozen=True)
class PathwayView:
    pathway: str
    answer: Mapping[str, Any]  # as GET /api/v1/indicators/pathways answers it
    steps: tuple[Step, ...]
    stopped: tuple[tuple[str, int | None], ...]  # the answer's stopped_at, in stage order


@dataclass(frozen=True)
class PathwaysView:
    public: bool
    unit: Unit | None  # None: every case
    places: tuple[Unit, ...]  # the org units the reader may choose
    pathways: tuple[PathwayView, ...]


# -- pure ---------------------------------------------------------------------------------


def measures(catalog: Catalog) -> tuple[Measure, ...]:
    """The indicators (in the catalog's order), then the numeric data elements."""

    def mission_of(elements: frozenset[str]) -> str | None:
        for element in sorted(elements):
            found = catalog.data_set_of(element)
            if found is not None and found.mission in catalog.missions:
                return catalog.missions[found.mission].name
        return None

    found = []
    for indicator in catalog.indicators.values():
        reads = frozenset(i.element for i in items_of(indicator.numerator))
        found.append(Measure(indicator.uid, indicator.name, "indicator", mission_of(reads), reads))
    for element in catalog.elements.values():
        if element.value_type.numeric:
            reads = frozenset({element.uid})
            found.append(Measure(element.uid, element.name, "element", mission_of(reads), reads))
    return tuple(found)


def figures(
    rows: Sequence[ResultRow], chosen: Sequence[Measure]
) -> dict[str, dict[str, dict[str, Figure]]]:
    """Measure id → org unit → period → figure, from analytics rows that include the
    elements each measure `reads` (an indicator none of whose are there is left out)."""
    present = {(r.dx, r.ou, r.pe) for r in rows}
    wanted = {m.id: m for m in chosen}
    found: dict[str, dict[str, dict[str, Figure]]] = {m.id: {} for m in chosen}
    for r in rows:
        measure = wanted.get(r.dx)
        if measure is None or not any((e, r.ou, r.pe) in present for e in measure.reads):
            continue
        figure = Figure(r.value, r.suppressed, r.target, r.flag)
        found[r.dx].setdefault(r.ou, {})[r.pe] = figure
    return found


def _sum(values: Sequence[int | None]) -> int | None:
    return None if any(v is None for v in values) else sum(v for v in values if v is not None)


def funnel(pathway: Pathway, answer: Mapping[str, Any]) -> tuple[Step, ...]:
    """The funnel of a pathway answer (`cases.pathway_indicators`): the first stage, each
    stage (or band of `BAND` stages) up to completion, and completion. Counts are derived
    from the answer alone, top-down only — a step reached = started − those stopped
    before it — and stop at the first unknown: every later step is unknown too. (Counting
    up from completion as well would let two neighbouring steps subtract to a suppressed
    stop; a suppressed answer hides `completed` with them, and a full one needs no other
    way.)"""
    stages = pathway.stages[: pathway.index(pathway.done) + 1]
    middle = stages[1:-1]
    groups = [stages[:1]]
    if len(middle) > BAND:
        groups += [middle[i : i + BAND] for i in range(0, len(middle), BAND)]
    else:
        groups += [(s,) for s in middle]
    groups.append(stages[-1:])
    stopped_at: Mapping[str, int | None] = answer["stopped_at"]
    stopped = [_sum([stopped_at.get(s, 0) for s in g]) for g in groups[:-1]]
    down: list[int | None] = [answer["started"]]
    for n in stopped[:-1]:
        down.append(_sum([down[-1], None if n is None else -n]))
    steps = [Step(g[0], g[-1], d, n) for g, d, n in zip(groups[:-1], down, stopped, strict=True)]
    steps.append(Step(stages[-1], stages[-1], answer["completed"], None))
    return tuple(steps)


# -- reads --------------------------------------------------------------------------------


def _unit(uid: str, hierarchy: Hierarchy, catalog: Catalog, actor: Principal) -> Unit:
    version = hierarchy.version(uid)
    if version is None:
        raise NotFoundError(f"unknown org unit {uid!r}", [Problem("unknown", field="ou")])
    level = catalog.levels.get(version.level)
    return Unit(
        uid,
        version.name,
        version.level,
        level.name if level is not None else str(version.level),
        actor.may_reach(hierarchy.ancestors(uid)),
    )


def _top(hierarchy: Hierarchy) -> str:
    """The top of the tree (the first, if there are several)."""
    tops = sorted(uid for uid, v in hierarchy.as_of().items() if v.parent is None)
    if not tops:
        raise NotFoundError("no org units are loaded", [Problem("none", field="ou")])
    return tops[0]


def _root(actor: Principal, hierarchy: Hierarchy) -> str:
    """Where the reader's view starts: a coordinator's own unit, else the top."""
    if scope_of(actor, hierarchy) is not None and actor.org_unit is not None:
        return actor.org_unit
    return _top(hierarchy)


def _children(uid: str, hierarchy: Hierarchy) -> list[str]:
    return sorted(v.uid for v in hierarchy.as_of().values() if v.parent == uid)


def _choose(
    all_measures: tuple[Measure, ...], dx: str | None, pe: str | None
) -> tuple[Measure, str | None]:
    if not all_measures:
        raise NotFoundError("no indicators or data elements are loaded")
    chosen = all_measures[0] if dx is None else next((m for m in all_measures if m.id == dx), None)
    if chosen is None:
        raise InputError(
            f"unknown indicator or data element {dx!r}", [Problem("unknown", field="dx")]
        )
    if pe is None:
        return chosen, None
    period = parse_period(pe)
    if period.type is not PeriodType.YEARLY:
        raise InputError(f"{pe!r}: a year (2005)", [Problem("not a year", field="pe")])
    return chosen, period.id


def _query(
    uow: UnitOfWork, actor: Principal, chosen: Sequence[Measure], pe: str, ou: str
) -> dict[str, dict[str, dict[str, Figure]]]:
    dx = [m.id for m in chosen] + sorted(
        {e for m in chosen for e in m.reads} - {m.id for m in chosen}
    )
    rows = analytics.query(uow, ";".join(dx), pe, ou, actor=actor)
    return figures(rows, chosen)


def _years(series: Series) -> tuple[str, ...]:
    return tuple(
        sorted({y for by_year in series.values() for y, f in by_year.items() if f.reported})
    )


def _latest(series: Series, measure: str, years: Sequence[str]) -> str | None:
    found = [y for y in years if series.get(measure, {}).get(y, NO_DATA).reported]
    return found[-1] if found else (years[-1] if years else None)


def overview(
    uow: UnitOfWork, actor: Principal, dx: str | None = None, pe: str | None = None
) -> MissionsView:
    """Every measure by year where the reader's view starts (the country, or a
    coordinator's unit), and measure `dx` (default: the first indicator) in year `pe`
    (default: its last reported) in each federal entity — the reader's own only, for a
    coordinator."""
    catalog, hierarchy = uow.missions.catalog(), uow.missions.hierarchy()
    every = measures(catalog)
    measure, year = _choose(every, dx, pe)
    root = _unit(_root(actor, hierarchy), hierarchy, catalog, actor)
    states = [_unit(u, hierarchy, catalog, actor) for u in _children(_top(hierarchy), hierarchy)]
    mapped = [s.uid for s in states if s.reachable and s.uid != root.uid]
    # One query: the root and the entities the reader reaches, every year (a coordinator's
    # root is its entity, or lies below the entities: then none is mapped).
    wanted = [root.uid, *(mapped if root.level < STATE_LEVEL else [])]
    series = _query(uow, actor, every, "Yearly", ";".join(wanted))
    at_root = {m: by_unit.get(root.uid, {}) for m, by_unit in series.items()}
    years = _years(at_root)
    year = year or _latest(at_root, measure.id, years)
    by_state = series[measure.id]
    return MissionsView(
        public=actor.reads_published_only(),
        root=root,
        measures=every,
        measure=measure,
        years=years,
        year=year,
        series=at_root,
        states=tuple(
            (s, by_state.get(s.uid, {}).get(year, NO_DATA) if year and s.reachable else NO_DATA)
            for s in states
        ),
    )


def unit_view(
    uow: UnitOfWork, actor: Principal, ou: str, dx: str | None = None, pe: str | None = None
) -> UnitView:
    """Org unit `ou`: every measure by year, and its children's in year `pe` (default: the
    last year `dx` is reported there; `dx` by default the first measure reported there).
    A coordinator may open its subtree only (`AccessError` elsewhere, as the API's
    analytics); an unknown unit is `NotFoundError`."""
    catalog, hierarchy = uow.missions.catalog(), uow.missions.hierarchy()
    every = measures(catalog)
    measure, year = _choose(every, dx, pe)
    unit = _unit(ou, hierarchy, catalog, actor)
    require_reach(actor, hierarchy, [(ou, Problem("", field="ou"))])
    kids = [_unit(u, hierarchy, catalog, actor) for u in _children(ou, hierarchy)]
    series = _query(uow, actor, every, "Yearly", ";".join([ou, *(k.uid for k in kids)]))
    at_unit = {m: by_unit.get(ou, {}) for m, by_unit in series.items()}
    years = _years(at_unit)
    if dx is None:  # the first measure reported here (a site has counts, not rates)
        measure = next(
            (m for m in every if any(f.reported for f in at_unit[m.id].values())), measure
        )
    year = year or _latest(at_unit, measure.id, years)
    children = tuple(
        (k, {m.id: series[m.id].get(k.uid, {}).get(year or "", NO_DATA) for m in every})
        for k in kids
    )
    shown = tuple(m for m in every if any(f[m.id].reported for _, f in children))
    return UnitView(
        public=actor.reads_published_only(),
        unit=unit,
        trail=tuple(_unit(u, hierarchy, catalog, actor) for u in hierarchy.ancestors(ou)),
        measures=every,
        measure=measure,
        years=years,
        year=year,
        series=at_unit,
        children=children,
        child_measures=shown,
    )


def pathways(uow: UnitOfWork, actor: Principal, ou: str | None = None) -> PathwaysView:
    """The eye-surgery and literacy pathways (at `ou` and below; a coordinator's subtree
    by default) as `cases.pathway_indicators` answers the reader, with their funnels."""
    catalog, hierarchy = uow.missions.catalog(), uow.missions.hierarchy()
    if ou is not None:
        _unit(ou, hierarchy, catalog, actor)  # an unknown unit: 404 rather than 422
    found = []
    where: str | None = None
    for pathway in PATHWAYS.values():
        answer = cases.pathway_indicators(uow, pathway.id, ou, actor=actor)
        where = answer["org_unit"]
        stopped = answer["stopped_at"]
        found.append(
            PathwayView(
                pathway.id,
                answer,
                funnel(pathway, answer),
                tuple((s, stopped[s]) for s in pathway.stages if s in stopped),
            )
        )
    root = _root(actor, hierarchy)
    places = [root, *_children(root, hierarchy)]
    if where is not None and where not in places:  # a municipality, a site: chosen too
        places.append(where)
    return PathwaysView(
        public=actor.reads_published_only(),
        unit=None if where is None else _unit(where, hierarchy, catalog, actor),
        places=tuple(_unit(u, hierarchy, catalog, actor) for u in places),
        pathways=tuple(found),
    )
