"""The missions' metadata as values: what data can be reported, disaggregated how, and when.

DHIS2's vocabulary, kept so that coordinators and files moving to and from DHIS2 read the
same: *data elements* (a count of consultations, a population) have a value type and a
*category combo* (sex × age group); the combo's *category option combos* (female aged
15+) disaggregate each value. *Data sets* group elements under one period type and an
expiry (days after a period ends during which data may still change). A data value's
*attribute option combo* is the mission it is reported for. *Indicators* combine
elements (`convenio.missions.indicators`). A `Catalog` holds all of it and answers the
questions of validation; `check_catalog` lists what does not hold together.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import product
from typing import Final

from convenio.errors import Problem
from convenio.missions.indicators import Indicator, Target
from convenio.periods import PeriodType

__all__ = [
    "DEFAULT",
    "AggregationType",
    "Catalog",
    "Category",
    "CategoryCombo",
    "CategoryOption",
    "DataElement",
    "DataSet",
    "Level",
    "Mission",
    "OptionCombo",
    "OrgUnitGroup",
    "ValueType",
    "check_catalog",
    "generated_option_combos",
]

DEFAULT: Final = "default"
"""The uid of the default category combo, of its one option combo, and of the default
attribute option combo (no mission) — DHIS2 ships the same defaults."""


class ValueType(StrEnum):
    """What a data value holds (DHIS2's names). All but TEXT are aggregated."""

    INTEGER = "INTEGER"
    NUMBER = "NUMBER"
    PERCENTAGE = "PERCENTAGE"
    BOOLEAN = "BOOLEAN"
    TEXT = "TEXT"

    @property
    def numeric(self) -> bool:
        return self is not ValueType.TEXT

    @property
    def is_count(self) -> bool:
        """Counts of people or events: small ones are suppressed in public output."""
        return self in (ValueType.INTEGER, ValueType.BOOLEAN)


class AggregationType(StrEnum):
    """How values combine across org units and periods: SUM, or AVERAGE of the values."""

    SUM = "SUM"
    AVERAGE = "AVERAGE"


@dataclass(frozen=True)
class CategoryOption:
    uid: str
    name: str


@dataclass(frozen=True)
class Category:
    uid: str
    name: str
    options: tuple[str, ...]


@dataclass(frozen=True)
class CategoryCombo:
    uid: str
    name: str
    categories: tuple[str, ...]


@dataclass(frozen=True)
class OptionCombo:
    """One disaggregation: an option of each category of `combo`, in category order."""

    uid: str
    combo: str
    options: tuple[str, ...]
    name: str


@dataclass(frozen=True)
class DataElement:
    uid: str
    name: str
    value_type: ValueType
    combo: str = DEFAULT
    aggregation: AggregationType = AggregationType.SUM
    code: str | None = None


@dataclass(frozen=True)
class DataSet:
    """Elements reported together: one period type; `expiry_days` 0 means never locked."""

    uid: str
    name: str
    period_type: PeriodType
    elements: tuple[str, ...]
    expiry_days: int = 0
    mission: str | None = None


@dataclass(frozen=True)
class Mission:
    """A programme under the agreement; its uid is the values' attribute option combo."""

    uid: str
    name: str


@dataclass(frozen=True)
class OrgUnitGroup:
    uid: str
    name: str
    members: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Level:
    level: int
    name: str


def generated_option_combos(
    combo: CategoryCombo, categories: Mapping[str, Category], options: Mapping[str, CategoryOption]
) -> list[OptionCombo]:
    """Every combination of the combo's options, with uids made of the option uids joined
    by ``_`` (``F_15P``) and names joined by ``, ``; the default combo has ``default``."""
    if not combo.categories:
        return [OptionCombo(DEFAULT, combo.uid, (), DEFAULT)]
    lists = [categories[c].options for c in combo.categories]
    return [
        OptionCombo(
            "_".join(chosen),
            combo.uid,
            tuple(chosen),
            ", ".join(options[o].name if o in options else o for o in chosen),
        )
        for chosen in product(*lists)
    ]


@dataclass
class Catalog:
    """All metadata by uid. Mutable while being assembled; treat as read-only after."""

    options: dict[str, CategoryOption] = field(default_factory=dict)
    categories: dict[str, Category] = field(default_factory=dict)
    combos: dict[str, CategoryCombo] = field(default_factory=dict)
    option_combos: dict[str, OptionCombo] = field(default_factory=dict)
    elements: dict[str, DataElement] = field(default_factory=dict)
    data_sets: dict[str, DataSet] = field(default_factory=dict)
    missions: dict[str, Mission] = field(default_factory=dict)
    groups: dict[str, OrgUnitGroup] = field(default_factory=dict)
    levels: dict[int, Level] = field(default_factory=dict)
    indicators: dict[str, Indicator] = field(default_factory=dict)
    targets: dict[tuple[str, str, str], Target] = field(default_factory=dict)

    @classmethod
    def with_defaults(cls) -> Catalog:
        """An empty catalog holding DHIS2's defaults (combo, option combo, attribute)."""
        catalog = cls()
        catalog.combos[DEFAULT] = CategoryCombo(DEFAULT, DEFAULT, ())
        catalog.option_combos[DEFAULT] = OptionCombo(DEFAULT, DEFAULT, (), DEFAULT)
        return catalog

    def option_combos_of(self, combo: str) -> list[OptionCombo]:
        return [oc for oc in self.option_combos.values() if oc.combo == combo]

    def data_set_of(self, element: str) -> DataSet | None:
        """The one data set an element is reported in (None: in none yet)."""
        for data_set in self.data_sets.values():
            if element in data_set.elements:
                return data_set
        return None

    def element_data_sets(self) -> dict[str, DataSet]:
        """Element uid → its data set, for every element that has one."""
        return {e: ds for ds in self.data_sets.values() for e in ds.elements}


def _missing(kind: str, uid: str, where: str) -> Problem:
    return Problem(f"unknown {kind} {uid!r}", field=where)


def check_catalog(catalog: Catalog, org_units: Iterable[str] = ()) -> list[Problem]:
    """Everything in `catalog` that refers to something absent or contradicts itself:
    unknown references, an element in two data sets, option combos that do not match
    their combo, formulas over unknown elements, group members that are no org unit."""
    problems: list[Problem] = []
    for c in catalog.categories.values():
        problems += [
            _missing("category option", o, f"categories.{c.uid}")
            for o in c.options
            if o not in catalog.options
        ]
        if not c.options:
            problems.append(
                Problem("a category needs at least one option", field=f"categories.{c.uid}")
            )
    for cc in catalog.combos.values():
        problems += [
            _missing("category", c, f"categoryCombos.{cc.uid}")
            for c in cc.categories
            if c not in catalog.categories
        ]
    for oc in catalog.option_combos.values():
        combo = catalog.combos.get(oc.combo)
        where = f"categoryOptionCombos.{oc.uid}"
        if combo is None:
            problems.append(_missing("category combo", oc.combo, where))
            continue
        cats = [catalog.categories.get(c) for c in combo.categories]
        fits = len(oc.options) == len(cats) and all(
            cat is not None and o in cat.options for o, cat in zip(oc.options, cats, strict=False)
        )
        if not fits:
            problems.append(
                Problem(
                    f"options {list(oc.options)} are not one of each category of "
                    f"{combo.uid} {list(combo.categories)}",
                    field=where,
                )
            )
    seen_options: dict[tuple[str, tuple[str, ...]], str] = {}
    for oc in catalog.option_combos.values():
        previous = seen_options.setdefault((oc.combo, oc.options), oc.uid)
        if previous != oc.uid:
            problems.append(
                Problem(f"same options as {previous}", field=f"categoryOptionCombos.{oc.uid}")
            )
    for el in catalog.elements.values():
        if el.combo not in catalog.combos:
            problems.append(_missing("category combo", el.combo, f"dataElements.{el.uid}"))
        if el.value_type is ValueType.TEXT and el.aggregation is not AggregationType.SUM:
            problems.append(Problem("text is not aggregated", field=f"dataElements.{el.uid}"))
    home: dict[str, str] = {}
    for ds in catalog.data_sets.values():
        where = f"dataSets.{ds.uid}"
        if ds.mission is not None and ds.mission not in catalog.missions:
            problems.append(_missing("mission", ds.mission, where))
        if ds.expiry_days < 0:
            problems.append(Problem("expiryDays must be 0 (never) or more", field=where))
        for e in ds.elements:
            if e not in catalog.elements:
                problems.append(_missing("data element", e, where))
            elif home.setdefault(e, ds.uid) != ds.uid:
                problems.append(
                    Problem(
                        f"data element {e} is already in data set {home[e]}; each element "
                        "belongs to one data set (its period type and expiry)",
                        field=where,
                    )
                )
    units = set(org_units)
    for g in catalog.groups.values():
        problems += [
            _missing("org unit", u, f"orgUnitGroups.{g.uid}")
            for u in sorted(g.members)
            if u not in units
        ]
    for ind in catalog.indicators.values():
        for item in sorted(ind.items):
            element = catalog.elements.get(item.element)
            where = f"indicators.{ind.uid}"
            if element is None:
                problems.append(_missing("data element", item.element, where))
            elif not element.value_type.numeric:
                problems.append(Problem(f"{item.element} is text, not a number", field=where))
            elif item.combo is not None and (
                item.combo not in catalog.option_combos
                or catalog.option_combos[item.combo].combo != element.combo
            ):
                problems.append(
                    Problem(
                        f"{item.combo!r} is not a category option combo of {item.element}",
                        field=where,
                    )
                )
    for (indicator, unit, _period), _target in catalog.targets.items():
        if indicator not in catalog.indicators:
            problems.append(_missing("indicator", indicator, "targets"))
        if unit not in units:
            problems.append(_missing("org unit", unit, "targets"))
    return problems
