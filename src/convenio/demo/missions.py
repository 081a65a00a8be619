"""The demo's missions as values (pure): Barrio Adentro, Robinson and Milagro in Venezuela.

`convenio.demo.run` loads them through the missions services before it settles any
quarter (values feeding a settled period are refused). Three parts, each a pure
function of the constants below:

- `org_units`: Venezuela, its 24 federal entities (ISO 3166-2 names and codes; VE-W,
  the Dependencias Federales, left out: islands with no municipality of their own and
  next to no people), synthetic municipalities and facilities — popular clinics, CDI
  diagnostic centres and Milagro eye-surgery centres;
- `metadata`: the data elements with their disaggregations, data sets, missions,
  indicators and targets, as a `MetadataDocument` (what `convenio metadata load` reads);
- `data_values`: census, Robinson, Milagro and Barrio Adentro figures whose totals are
  the reported ones of missions' reports, exactly: every split is a largest-remainder
  apportionment in integers (`convenio.demo.prices.apportion`), never a float.

FACT marks what public reporting gives; ASSUMPTION what the demo invents (docs/demo.md).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from itertools import pairwise
from typing import Final, NamedTuple

from convenio.demo.data import HEADCOUNTS
from convenio.demo.missions_metadata import (
    BARRIO_ADENTRO,
    CENSUS_YEARS,
    CONSULT,
    LITERACY_YEARS,
    LITERATE_15P,
    MILAGRO,
    POP,
    POP_15P,
    ROB_TAUGHT,
    ROBINSON,
    SURGERY,
    metadata,
)
from convenio.demo.prices import apportion
from convenio.missions import DEFAULT, MetadataDocument, OrgUnitRow, OrgUnitVersion, RawValue

__all__ = [
    "CLINICS",
    "CONSULTATIONS_2019",
    "CONSULTATIONS_TO_2005",
    "FEDERAL_ENTITIES",
    "GROUPS",
    "MILAGRO_IN_VENEZUELA",
    "MONTHLY_FROM",
    "ROBINSON_TAUGHT",
    "DemoValue",
    "Entity",
    "MissionsInputs",
    "barrio_adentro_values",
    "census_values",
    "consultations_by_month",
    "milagro_values",
    "missions_inputs",
    "org_units",
    "robinson_values",
]


class Entity(NamedTuple):
    """A federal entity: ISO 3166-2 code, name, people in 2001 and whether Robinson found
    proportionally more people to teach there (`rural`)."""

    code: str
    name: str
    population: int
    rural: bool


FEDERAL_ENTITIES: Final = (
    Entity("VE-A", "Distrito Capital", 1_836_000, False),
    Entity("VE-B", "Anzoátegui", 1_222_000, False),
    Entity("VE-C", "Apure", 378_000, True),
    Entity("VE-D", "Aragua", 1_450_000, False),
    Entity("VE-E", "Barinas", 625_000, True),
    Entity("VE-F", "Bolívar", 1_215_000, False),
    Entity("VE-G", "Carabobo", 1_932_000, False),
    Entity("VE-H", "Cojedes", 253_000, True),
    Entity("VE-I", "Falcón", 763_000, False),
    Entity("VE-J", "Guárico", 627_000, True),
    Entity("VE-K", "Lara", 1_556_000, False),
    Entity("VE-L", "Mérida", 715_000, False),
    Entity("VE-M", "Miranda", 2_331_000, False),
    Entity("VE-N", "Monagas", 713_000, True),
    Entity("VE-O", "Nueva Esparta", 374_000, False),
    Entity("VE-P", "Portuguesa", 726_000, True),
    Entity("VE-R", "Sucre", 786_000, True),
    Entity("VE-S", "Táchira", 993_000, False),
    Entity("VE-T", "Trujillo", 609_000, True),
    Entity("VE-U", "Yaracuy", 499_000, True),
    Entity("VE-V", "Zulia", 2_984_000, False),
    Entity("VE-X", "Vargas", 298_000, False),
    Entity("VE-Y", "Delta Amacuro", 98_000, True),
    Entity("VE-Z", "Amazonas", 70_000, True),
)
"""The 23 states and the Distrito Capital with their ISO 3166-2 codes (VE-X Vargas was
renamed La Guaira in 2019, after the demo's window). ASSUMPTION: the populations are
the 2001 census rounded to thousands, quoted from general knowledge, not from the reporting;
`rural` marks the mostly rural states (a judgement, not a source)."""

GROWTH_PER_MILLE: Final = 17
"""ASSUMPTION: population growth a year (1.7 %), in thousandths, from 2001."""
AGED_15P_PERCENT: Final = 68
"""ASSUMPTION: the share of the population aged 15 and over (about two thirds in 2001)."""

CLINICS: Final = 2_113
"""FACT: Barrio Adentro's 2,113 clinics by ~2006 (missions' reports): as many popular clinics,
spread over the municipalities by population (ASSUMPTION: in place for the whole window;
the ~6,500 improvised sites of December 2003 are not modelled)."""
CDI_WEIGHT: Final = 3
"""ASSUMPTION: each municipality has one diagnostic centre (CDI), which reports the
consultations of its health area (itself and the area's popular clinics, as the
Áreas de Salud Integral Comunitaria do) and counts for 3 popular clinics in it."""

ROBINSON_TAUGHT: Final = 1_482_543
"""FACT: people taught to read and write by Robinson in two years (Jul 2003 – Jun 2005)."""
ROBINSON_MONTHS: Final = (1, 2, 4, 6, 8, 8, *[8] * 6, 8, 8, 8, 8, 7, 7, 6, 6, 5, 5, 4, 4)
"""ASSUMPTION: the monthly profile of graduations from July 2003 to June 2005 (a ramp as
the first groups finish their 65 classes, then a plateau and a tail)."""
RURAL_NEED: Final = (2, 3)
"""ASSUMPTION: people to teach per person aged 15+, urban : rural = 2 : 3."""
RESIDUAL_PER_MILLE: Final = tuple(30 + (7 * i) % 10 for i in range(len(FEDERAL_ENTITIES)))
"""ASSUMPTION: the people aged 15+ still unable to read after Robinson, 3.0 to 3.9 % by
state — under the 4 % that the 96 % threshold allows (missions' reports)."""
FEMALE_TAUGHT_PERCENT: Final = 55
"""ASSUMPTION: the share of women among the people taught."""

MILAGRO_IN_VENEZUELA: Final = 3_927_406 - 1_648_147
"""FACT: Milagro's surgeries to June 2015 less those outside Venezuela: 2,279,259."""
MILAGRO_YEARS: Final = {
    2004: 3, 2005: 8, 2006: 14, 2007: 16, 2008: 16, 2009: 15, 2010: 14, 2011: 13,
    2012: 12, 2013: 11, 2014: 10, 2015: 9,
}  # fmt: skip
"""ASSUMPTION: the weight of each month of a year, from July 2004 to June 2015 (few in
2004, when most patients were flown to Cuba; a peak in 2007–2008)."""
FEMALE_SURGERY_PERCENT: Final = 53
"""ASSUMPTION: the share of women among the patients operated."""

CONSULTATIONS_TO_2005: Final = 211_000_000
"""FACT: Barrio Adentro's 211 M consultations by ~2006, taken as April 2003 to December
2005, spread over the months in proportion to the demo's doctors (`HEADCOUNTS`)."""
CONSULTATIONS_2019: Final = 75_400_000
"""FACT: 75.4 M consultations in 2019. ASSUMPTION: 2006 to 2015 lie on the straight line
from the demo's 2005 to it."""
CONSULT_AGES: Final = (("A0_14", 35), ("A15P", 65))
"""ASSUMPTION: the shares (%) of consultations by age group (under 15, 15 and over)."""
MONTHLY_FROM: Final = date(2003, 4, 1)
"""FACT: Barrio Adentro from April 2003, the first month of mission data."""
LAST_MONTH: Final = date(2015, 12, 1)


class DemoValue(NamedTuple):
    """One aggregate value: element, DHIS2 period id, org unit, disaggregation and mission
    (attribute option combo), and the value, a whole number."""

    element: str
    period: str
    org_unit: str
    coc: str
    aoc: str
    value: int

    def raw(self) -> RawValue:
        """As a data values file would give it (`convenio.services.mission_data`)."""
        return RawValue(
            self.element, self.period, self.org_unit, self.coc, self.aoc, str(self.value)
        )


class Municipality(NamedTuple):
    uid: str
    name: str
    entity: int
    weight: int


def _municipalities() -> list[Municipality]:
    """ASSUMPTION (synthetic): 2 to 8 municipalities per entity by its population, the
    first (its capital) weighing as much as the others together."""
    found = []
    for i, entity in enumerate(FEDERAL_ENTITIES):
        n = min(8, 2 + entity.population // 400_000)
        for k in range(n):
            weight = n - k + (n if k == 0 else 0)
            name = f"{entity.name} municipality {k + 1} (synthetic)"
            found.append(Municipality(f"{entity.code}-{k + 1:02d}", name, i, weight))
    return found


def org_units() -> list[OrgUnitRow]:
    """Country, federal entities, municipalities and facilities, each after its parent."""
    versions = [OrgUnitVersion("VE", "Venezuela", None, 1, "VE")]
    versions += [OrgUnitVersion(e.code, e.name, "VE", 2, e.code) for e in FEDERAL_ENTITIES]
    towns = _municipalities()
    versions += [OrgUnitVersion(m.uid, m.name, FEDERAL_ENTITIES[m.entity].code, 3) for m in towns]
    for town, clinics in zip(towns, _clinics_per_town(towns), strict=True):
        versions.append(OrgUnitVersion(f"{town.uid}-CDI", f"CDI, {town.name}", town.uid, 4))
        versions += [
            OrgUnitVersion(
                f"{town.uid}-CP{k:03d}", f"Consultorio popular {k}, {town.name}", town.uid, 4
            )
            for k in range(1, clinics + 1)
        ]
    versions += [
        OrgUnitVersion(
            f"{e.code}-01-MIL",
            f"Centro oftalmológico Milagro, {e.name} (synthetic)",
            f"{e.code}-01",
            4,
        )
        for e in FEDERAL_ENTITIES
    ]
    return [OrgUnitRow(v, line) for line, v in enumerate(versions, start=1)]


def _clinics_per_town(towns: Sequence[Municipality]) -> list[int]:
    """The popular clinics of each municipality: `CLINICS` in proportion to its people
    (ASSUMPTION), at least one each."""
    people = _town_people(towns, 2001)
    return [1 + n for n in apportion(CLINICS - len(towns), people)]


def _people(entity: Entity, year: int) -> int:
    """The entity's population in `year`: 2001's grown by `GROWTH_PER_MILLE` a year."""
    people = entity.population
    for _ in range(2001, year):
        people += people * GROWTH_PER_MILLE // 1000
    return people


def _town_people(towns: Sequence[Municipality], year: int) -> list[int]:
    """The people of each municipality in `year`: its entity's, split by weight."""
    found: list[int] = []
    for i, entity in enumerate(FEDERAL_ENTITIES):
        weights = [t.weight for t in towns if t.entity == i]
        found += apportion(_people(entity, year), weights)
    return found


def _aged_15p(people: int) -> int:
    return people * AGED_15P_PERCENT // 100


def _month_id(month: date) -> str:
    return f"{month.year}{month.month:02d}"


def _months(first: date, last: date) -> Iterator[date]:
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        yield date(year, month, 1)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _split(total: int, shares: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """`total` over the named shares, exactly; zero parts left out (DHIS2 stores none)."""
    parts = apportion(total, [w for _, w in shares])
    return [(name, n) for (name, _), n in zip(shares, parts, strict=True) if n]


_SEX_TAUGHT: Final = (("F", FEMALE_TAUGHT_PERCENT), ("M", 100 - FEMALE_TAUGHT_PERCENT))
_SEX_OPERATED: Final = (("F", FEMALE_SURGERY_PERCENT), ("M", 100 - FEMALE_SURGERY_PERCENT))


def census_values(towns: Sequence[Municipality]) -> list[DemoValue]:
    """Population and population aged 15+ of each municipality, every year of the window."""
    found = []
    for year in CENSUS_YEARS:
        for town, people in zip(towns, _town_people(towns, year), strict=True):
            found.append(DemoValue(POP, str(year), town.uid, DEFAULT, DEFAULT, people))
            found.append(
                DemoValue(POP_15P, str(year), town.uid, DEFAULT, DEFAULT, _aged_15p(people))
            )
    return found


def robinson_values(towns: Sequence[Municipality]) -> list[DemoValue]:
    """People taught by municipality, month and sex, summing to `ROBINSON_TAUGHT`; and the
    literate aged 15+ at each year of `LITERACY_YEARS`: those aged 15+ less those still
    to be taught and the `RESIDUAL_PER_MILLE` Robinson did not reach."""
    months = list(_months(date(2003, 7, 1), date(2005, 6, 1)))
    aged = [_aged_15p(n) for n in _town_people(towns, 2003)]
    need = [
        sum(a for t, a in zip(towns, aged, strict=True) if t.entity == i) * RURAL_NEED[e.rural]
        for i, e in enumerate(FEDERAL_ENTITIES)
    ]
    taught: dict[tuple[str, int], int] = {}  # (municipality, year) → people taught
    found = []
    for i, entity_taught in enumerate(apportion(ROBINSON_TAUGHT, need)):
        mine = [(t, a) for t, a in zip(towns, aged, strict=True) if t.entity == i]
        for month, n in zip(months, apportion(entity_taught, ROBINSON_MONTHS), strict=True):
            for (town, _), m in zip(mine, apportion(n, [a for _, a in mine]), strict=True):
                taught[town.uid, month.year] = taught.get((town.uid, month.year), 0) + m
                found += [
                    DemoValue(ROB_TAUGHT, _month_id(month), town.uid, sex, ROBINSON, k)
                    for sex, k in _split(m, _SEX_TAUGHT)
                ]
    at_2005 = _town_people(towns, 2005)
    for year in LITERACY_YEARS:
        for town, people, later in zip(towns, _town_people(towns, year), at_2005, strict=True):
            residual = _aged_15p(later) * RESIDUAL_PER_MILLE[town.entity] // 1000
            still = sum(taught.get((town.uid, y), 0) for y in range(year + 1, 2006))
            literate = _aged_15p(people) - residual - still
            found.append(DemoValue(LITERATE_15P, str(year), town.uid, DEFAULT, ROBINSON, literate))
    return found


def milagro_values() -> list[DemoValue]:
    """Surgeries at each entity's Milagro centre by month and sex, July 2004 to June
    2015, summing to `MILAGRO_IN_VENEZUELA`."""
    months = list(_months(date(2004, 7, 1), date(2015, 6, 1)))
    per_month = apportion(MILAGRO_IN_VENEZUELA, [MILAGRO_YEARS[m.year] for m in months])
    people = [e.population for e in FEDERAL_ENTITIES]
    found = []
    for month, total in zip(months, per_month, strict=True):
        for entity, n in zip(FEDERAL_ENTITIES, apportion(total, people), strict=True):
            found += [
                DemoValue(SURGERY, _month_id(month), f"{entity.code}-01-MIL", sex, MILAGRO, k)
                for sex, k in _split(n, _SEX_OPERATED)
            ]
    return found


def _doctors(month: date) -> int:
    """The demo's Cuban doctors in `month` (`HEADCOUNTS`, linear between anchors)."""
    anchors = HEADCOUNTS["doctor"]
    for (start, low), (end, high) in pairwise(anchors):
        if start <= month < end:
            span = (end.year - start.year) * 12 + end.month - start.month
            done = (month.year - start.year) * 12 + month.month - start.month
            return low + (high - low) * done // span
    return anchors[-1][1] if month >= anchors[-1][0] else 0


def consultations_by_month() -> list[tuple[date, int]]:
    """Barrio Adentro's consultations a month: `CONSULTATIONS_TO_2005` over April 2003 –
    December 2005 by the doctors of each month; from 2006 each year on the line from
    2005's total to `CONSULTATIONS_2019`, spread evenly over its months."""
    early = list(_months(MONTHLY_FROM, date(2005, 12, 1)))
    found = list(
        zip(early, apportion(CONSULTATIONS_TO_2005, [_doctors(m) for m in early]), strict=True)
    )
    base = sum(n for month, n in found if month.year == 2005)
    for year in range(2006, LAST_MONTH.year + 1):
        total = base + (CONSULTATIONS_2019 - base) * (year - 2005) // (2019 - 2005)
        found += zip(
            _months(date(year, 1, 1), date(year, 12, 1)), apportion(total, [1] * 12), strict=True
        )
    return found


def barrio_adentro_values(towns: Sequence[Municipality]) -> list[DemoValue]:
    """Consultations by health area, month and age group, summing to
    `consultations_by_month`: each municipality's CDI reports for its area (itself and
    the area's popular clinics), weighted by the sites there (`CDI_WEIGHT` + clinics)."""
    areas = [
        (f"{town.uid}-CDI", CDI_WEIGHT + clinics)
        for town, clinics in zip(towns, _clinics_per_town(towns), strict=True)
    ]
    weights = [w for _, w in areas]
    found = []
    for month, total in consultations_by_month():
        pe = _month_id(month)
        for (site, _), n in zip(areas, apportion(total, weights), strict=True):
            found += [
                DemoValue(CONSULT, pe, site, coc, BARRIO_ADENTRO, k)
                for coc, k in _split(n, CONSULT_AGES)
            ]
    return found


GROUPS: Final = {
    "POPULAR_CLINICS": ("Popular clinics (consultorios populares)", "-CP"),
    "CDI": ("Diagnostic centres (CDI)", "-CDI"),
    "MILAGRO_CENTRES": ("Milagro eye-surgery centres", "-MIL"),
}
"""Org unit groups: id → name and the part of a facility's id that marks its kind."""


class MissionsInputs(NamedTuple):
    """What the demo loads for the missions, in loading order."""

    org_units: list[OrgUnitRow]
    metadata: MetadataDocument
    values: list[DemoValue]


def missions_inputs() -> MissionsInputs:
    """The org units, the metadata and every data value of the demo's missions."""
    towns = _municipalities()
    units = org_units()
    facilities = [r.version.uid for r in units if r.version.level == 4]
    groups = {
        uid: (name, [f for f in facilities if mark in f]) for uid, (name, mark) in GROUPS.items()
    }
    document = metadata(tuple(e.code for e in FEDERAL_ENTITIES), groups)
    values = census_values(towns) + robinson_values(towns) + milagro_values()
    return MissionsInputs(units, document, values + barrio_adentro_values(towns))
