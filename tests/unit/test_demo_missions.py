"""The demo's missions as generated, with no store: org units, metadata and data values
against the missions' reported figures (the expected totals are written here from
the facts, not taken from the module), and checked by the same pure validation as an
import."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from fractions import Fraction

from convenio.demo.missions import MissionsInputs, missions_inputs
from convenio.missions import (
    Catalog,
    Hierarchy,
    apply_rows,
    check_catalog,
    merge_metadata,
    validate_values,
)
from convenio.periods import PeriodType, parse_period

INPUTS: MissionsInputs = missions_inputs()
UNITS = {row.version.uid: row.version for row in INPUTS.org_units}

# reported figures of the missions (Robinson, Milagro, Barrio Adentro)
ROBINSON_TAUGHT = 1_482_543  # in two years, from 1 Jul 2003
MILAGRO_ALL, MILAGRO_ABROAD = 3_927_406, 1_648_147  # to June 2015
BARRIO_ADENTRO_CONSULTATIONS = 211_000_000  # by ~2006 (the demo: Apr 2003 – Dec 2005)
CONSULTATIONS_2019 = 75_400_000
CLINICS = 2_113
LITERACY_THRESHOLD = 96  # percent aged 15+, "more than"

# ISO 3166-2:VE: the 23 states and the Distrito Capital (VE-W, Dependencias Federales,
# left out by the demo).
ENTITY_CODES = {f"VE-{letter}" for letter in "ABCDEFGHIJKLMNOPRSTUVXYZ"}


def totals(element: str) -> dict[str, int]:
    """The element's values summed by period id."""
    found: dict[str, int] = defaultdict(int)
    for v in INPUTS.values:
        if v.element == element:
            found[v.period] += v.value
    return dict(found)


def state_of(uid: str) -> str:
    while UNITS[uid].level > 2:
        parent = UNITS[uid].parent
        assert parent is not None
        uid = parent
    return uid


def test_robinson_taught_the_reported_number_in_two_years() -> None:
    taught = totals("ROB_TAUGHT")
    assert sum(taught.values()) == ROBINSON_TAUGHT
    months = {parse_period(p) for p in taught}
    assert {p.type for p in months} == {PeriodType.MONTHLY}
    assert min(p.start for p in months) == date(2003, 7, 1)
    assert max(p.end for p in months) == date(2005, 6, 30)


def test_milagro_operated_the_reported_surgeries_inside_venezuela() -> None:
    surgeries = totals("MIL_SURGERY")
    assert sum(surgeries.values()) == MILAGRO_ALL - MILAGRO_ABROAD == 2_279_259
    months = [parse_period(p) for p in surgeries]
    assert min(p.start for p in months) == date(2004, 7, 1)  # from 8 Jul 2004
    assert max(p.end for p in months) == date(2015, 6, 30)
    centres = {v.org_unit for v in INPUTS.values if v.element == "MIL_SURGERY"}
    group = {g.id: set(g.org_units) for g in INPUTS.metadata.org_unit_groups}
    assert centres <= group["MILAGRO_CENTRES"]


def test_barrio_adentro_gave_the_reported_consultations_by_2006() -> None:
    by_month = totals("CONSULT")
    early = {p: n for p, n in by_month.items() if p <= "200512"}
    assert min(early) == "200304"  # from April 2003
    assert sum(early.values()) == BARRIO_ADENTRO_CONSULTATIONS
    by_year: Counter[int] = Counter()
    for period, n in by_month.items():
        by_year[int(period[:4])] += n
    # 2006–2015 on the straight line from 2005 to the 75.4 M reported for 2019.
    base = by_year[2005]
    for year in range(2006, 2016):
        assert by_year[year] == base + (CONSULTATIONS_2019 - base) * (year - 2005) // 14
    assert set(by_year) == set(range(2003, 2016))


def test_every_federal_entity_crosses_the_literacy_threshold_in_2005() -> None:
    literate: dict[tuple[str, str], int] = defaultdict(int)
    aged: dict[tuple[str, str], int] = defaultdict(int)
    for v in INPUTS.values:
        if v.element == "LITERATE_15P":
            literate[state_of(v.org_unit), v.period] += v.value
        elif v.element == "POP_15P":
            aged[state_of(v.org_unit), v.period] += v.value
    for code in ENTITY_CODES:
        rate_2004 = Fraction(100 * literate[code, "2004"], aged[code, "2004"])
        rate_2005 = Fraction(100 * literate[code, "2005"], aged[code, "2005"])
        assert rate_2004 <= LITERACY_THRESHOLD < rate_2005, code


def test_the_sites_venezuelas_federal_entities_and_the_reported_clinics() -> None:
    by_level = Counter(u.level for u in UNITS.values())
    assert {u for u, v in UNITS.items() if v.level == 2} == ENTITY_CODES
    assert UNITS["VE"].parent is None and by_level[1] == 1
    assert 24 * 2 <= by_level[3] <= 24 * 8  # a handful of municipalities per entity
    group = {g.id: g.org_units for g in INPUTS.metadata.org_unit_groups}
    assert len(group["POPULAR_CLINICS"]) == CLINICS
    assert len(group["MILAGRO_CENTRES"]) == len(ENTITY_CODES)
    assert len(group["CDI"]) == by_level[3]
    assert all(UNITS[uid].level == 4 for units in group.values() for uid in units)
    synthetic = [u for u in UNITS.values() if u.level >= 3]
    assert all("synthetic" in u.name for u in synthetic)


def test_ids_are_unique_and_parents_come_first() -> None:
    uids = [row.version.uid for row in INPUTS.org_units]
    assert len(uids) == len(set(uids))
    seen: set[str] = set()
    for row in INPUTS.org_units:
        assert row.version.parent is None or row.version.parent in seen
        seen.add(row.version.uid)
    keys = [(v.element, v.period, v.org_unit, v.coc, v.aoc) for v in INPUTS.values]
    assert len(keys) == len(set(keys))


def test_every_value_checks_like_an_import() -> None:
    """The org units form a tree; the metadata merges and checks; every value has a known
    org unit, element, option combo and mission and a period of its data set's type."""
    hierarchy, added, changed, problems = apply_rows(
        Hierarchy(), INPUTS.org_units, date(2000, 1, 1), "demo"
    )
    assert problems == [] and added == len(UNITS) and changed == 0
    catalog, problems = merge_metadata(Catalog.with_defaults(), INPUTS.metadata, "demo")
    assert problems == [] and check_catalog(catalog, set(UNITS)) == []
    values, problems = validate_values([v.raw() for v in INPUTS.values], catalog, UNITS, "demo")
    assert problems == [] and len(values) == len(INPUTS.values)
    assert all(isinstance(v.value, int) and v.value > 0 for v in INPUTS.values)
    assert len(hierarchy) == len(UNITS)


def test_the_literacy_indicator_carries_the_threshold() -> None:
    (literacy,) = [i for i in INPUTS.metadata.indicators if i.id == "LITERACY_RATE"]
    assert literacy.flag is not None
    assert literacy.flag.op == ">" and literacy.flag.value == Decimal(LITERACY_THRESHOLD)
    assert literacy.factor == 100
    assert all(d.expiry_days == 0 for d in INPUTS.metadata.data_sets)


def test_generation_is_deterministic() -> None:
    assert missions_inputs() == INPUTS
