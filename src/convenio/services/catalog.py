"""Discovery: what is stored, listed by the ids the other commands ask for.

The read side of the setup and missions loads: the parties and versions of the current
terms, the ledger's accounts with their balances, the org units, and the missions'
metadata (data elements, category option combos, indicators, data sets). Every function
reads through the unit of work and returns plain rows; none writes. An empty result is
an empty list, not an error: the entry point says what to load to get something.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import NamedTuple

from convenio.auth import OPERATOR, Principal
from convenio.errors import InputError, NotFoundError, Problem
from convenio.missions import BEGINNING
from convenio.services import ledger
from convenio.services.financing import stored_agreement
from convenio.store import UnitOfWork
from convenio.terms import AgreementVersion, belongs_to

__all__ = [
    "AccountRow",
    "ComboRow",
    "DataSetRow",
    "ElementRow",
    "IndicatorRow",
    "OrgUnitRow",
    "PartyRow",
    "TargetRow",
    "VersionRow",
    "accounts",
    "data_sets",
    "elements",
    "indicators",
    "option_combos",
    "org_unit_levels",
    "org_units",
    "parties",
    "stored_agreement",
    "terms_version",
    "terms_versions",
]


class PartyRow(NamedTuple):
    code: str
    name: str
    kind: str
    parent: str | None


class VersionRow(NamedTuple):
    id: str
    name: str
    effective: date
    ends: date | None
    inherits: str | None
    source: str


class AccountRow(NamedTuple):
    """An account, its bounds and balance in minor units of its unit (`scale` decimals)."""

    account: str
    party: str
    unit: str
    kind: str
    floor: int | None
    ceiling: int | None
    balance: int
    scale: int


class OrgUnitRow(NamedTuple):
    """An org unit as it is now; `since` is the day its current version took effect
    (None: as first loaded, taken to have always been so); `versions` counts its history."""

    id: str
    name: str
    level: int
    level_name: str | None
    parent: str | None
    code: str | None
    since: date | None
    versions: int


class ElementRow(NamedTuple):
    id: str
    name: str
    value_type: str
    category_combo: str
    aggregation: str
    data_set: str | None
    code: str | None


class ComboRow(NamedTuple):
    """A category option combo: the id data values name in `categoryoptioncombo`."""

    id: str
    name: str
    category_combo: str
    options: tuple[str, ...]
    option_names: tuple[str, ...]


class TargetRow(NamedTuple):
    org_unit: str
    period: str
    value: Decimal


class IndicatorRow(NamedTuple):
    id: str
    name: str
    numerator: str
    denominator: str
    factor: int
    decimals: int
    targets: tuple[TargetRow, ...]


class DataSetRow(NamedTuple):
    id: str
    name: str
    period_type: str
    expiry_days: int
    mission: str | None
    elements: tuple[str, ...]


# -- terms ---------------------------------------------------------------------------------


def parties(uow: UnitOfWork) -> list[PartyRow]:
    """The parties of the current terms, in the terms' order (empty: no terms loaded)."""
    agreement = stored_agreement(uow)
    if agreement is None:
        return []
    return [PartyRow(p.code, p.name, p.kind.value, p.parent) for p in agreement.parties]


def terms_versions(uow: UnitOfWork) -> list[VersionRow]:
    """The versions of the current terms, by effective date (empty: no terms loaded)."""
    agreement = stored_agreement(uow)
    if agreement is None:
        return []
    return [
        VersionRow(v.id, v.name, v.effective, v.ends, v.inherits, " ".join(v.source.split()))
        for v in agreement.versions
    ]


def terms_version(uow: UnitOfWork, version_id: str) -> AgreementVersion | None:
    """One version of the current terms, resolved (None: no terms loaded); an unknown id
    is an input error that names the known ones."""
    agreement = stored_agreement(uow)
    if agreement is None:
        return None
    for version in agreement.versions:
        if version.id == version_id:
            return version
    known = ", ".join(v.id for v in agreement.versions)
    raise NotFoundError(
        f"--version: no version {version_id!r} in the terms (known: {known})",
        [Problem("unknown version", field="--version")],
    )


# -- ledger --------------------------------------------------------------------------------


def accounts(
    uow: UnitOfWork,
    party: str | None = None,
    unit: str | None = None,
    as_of: date | None = None,
    actor: Principal = OPERATOR,
) -> list[AccountRow]:
    """Every account (of `party` and its agencies, in `unit`), with its balance as of
    `as_of` (default: everything recorded), by name. An `actor` that does not read every
    party's accounts (a treasury) reads its own party's: by default, and only those."""
    if party is None and not actor.sees_all_parties():
        party = actor.party
    if party is not None:
        actor.require_parties([(party, Problem("", field="--party"))])
    specs = uow.ledger.accounts()
    balances = {row.account: row for row in ledger.balances(uow, as_of)}
    return [
        AccountRow(
            name,
            spec.party,
            spec.unit,
            spec.kind.value,
            spec.floor,
            spec.ceiling,
            balances[name].balance,
            balances[name].scale,
        )
        for name, spec in specs.items()
        if (party is None or belongs_to(spec.party, party)) and (unit is None or spec.unit == unit)
    ]


# -- missions ------------------------------------------------------------------------------


def org_unit_levels(uow: UnitOfWork) -> list[int]:
    """The levels that have org units now, in order."""
    return sorted({v.level for v in uow.missions.hierarchy().as_of().values()})


def org_units(
    uow: UnitOfWork, level: int | None = None, parent: str | None = None
) -> list[OrgUnitRow]:
    """The org units as they are now, in tree order (each after its parent): those at
    `level`, those below `parent` (at any depth), or both."""
    hierarchy = uow.missions.hierarchy()
    now = hierarchy.as_of()
    if parent is not None and parent not in now:
        raise _unknown("org unit", parent, "--parent", "orgunits list")
    below = None if parent is None else hierarchy.descendants(parent) - {parent}
    names = {n: lv.name for n, lv in uow.missions.catalog().levels.items()}
    rows = []
    for uid, v in now.items():
        if (level is not None and v.level != level) or (below is not None and uid not in below):
            continue
        since = None if v.valid_from == BEGINNING else v.valid_from
        history = len(hierarchy.versions[uid])
        rows.append(
            (
                hierarchy.ancestors(uid),
                OrgUnitRow(
                    uid, v.name, v.level, names.get(v.level), v.parent, v.code, since, history
                ),
            )
        )
    return [row for _, row in sorted(rows, key=lambda pair: pair[0])]


def elements(uow: UnitOfWork, data_set: str | None = None) -> list[ElementRow]:
    """The data elements (of `data_set`), by id."""
    catalog = uow.missions.catalog()
    if data_set is not None and data_set not in catalog.data_sets:
        raise _unknown("data set", data_set, "--data-set", "metadata data-sets")
    homes = catalog.element_data_sets()
    return [
        ElementRow(
            e.uid,
            e.name,
            e.value_type.value,
            e.combo,
            e.aggregation.value,
            homes[e.uid].uid if e.uid in homes else None,
            e.code,
        )
        for e in sorted(catalog.elements.values(), key=lambda e: e.uid)
        if data_set is None or e.uid in catalog.data_sets[data_set].elements
    ]


def option_combos(uow: UnitOfWork, element: str | None = None) -> list[ComboRow]:
    """The category option combos (those an element takes, for `element`), by category
    combo then id; the default combo is listed, since values without one use it."""
    catalog = uow.missions.catalog()
    combo = None
    if element is not None:
        if element not in catalog.elements:
            raise _unknown("data element", element, "--element", "metadata elements")
        combo = catalog.elements[element].combo
    names = {uid: option.name for uid, option in catalog.options.items()}
    return [
        ComboRow(oc.uid, oc.name, oc.combo, oc.options, tuple(names.get(o, o) for o in oc.options))
        for oc in sorted(catalog.option_combos.values(), key=lambda oc: (oc.combo, oc.uid))
        if combo is None or oc.combo == combo
    ]


def indicators(uow: UnitOfWork) -> list[IndicatorRow]:
    """The indicators with their formulas and targets, by id."""
    catalog = uow.missions.catalog()
    targets: dict[str, list[TargetRow]] = {}
    for t in sorted(catalog.targets.values(), key=lambda t: (t.org_unit, t.period)):
        targets.setdefault(t.indicator, []).append(TargetRow(t.org_unit, t.period, t.value))
    return [
        IndicatorRow(
            i.uid,
            i.name,
            i.numerator_text,
            i.denominator_text,
            i.factor,
            i.decimals,
            tuple(targets.get(i.uid, ())),
        )
        for i in sorted(catalog.indicators.values(), key=lambda i: i.uid)
    ]


def data_sets(uow: UnitOfWork) -> list[DataSetRow]:
    """The data sets with their period type, expiry, mission and elements, by id."""
    return [
        DataSetRow(d.uid, d.name, d.period_type.value, d.expiry_days, d.mission, d.elements)
        for d in sorted(uow.missions.catalog().data_sets.values(), key=lambda d: d.uid)
    ]


def _unknown(what: str, uid: str, option: str, command: str) -> InputError:
    return InputError(
        f"{option}: no {what} {uid!r} (`convenio {command}` lists them)",
        [Problem(f"unknown {what}", field=option)],
    )
