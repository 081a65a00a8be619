"""Running the demo's missions: load the generated org units, metadata and data values
through the missions services, and read them back through analytics.

Called by `convenio.demo.run` before the first settlement run: a data value feeding a
settled period is refused (docs/missions.md, "Locked periods"), and the demo's data
sets never expire (`expiryDays` 0). Each load is idempotent — the same org units,
metadata and values again change nothing — so a second demo run writes nothing here.
The summary is computed by `convenio.services.analytics.query`, the path of
`convenio analytics query`, so what the demo prints is what a coordinator would get.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Final, NamedTuple

from convenio.analytics import ResultRow
from convenio.demo.missions import (
    CONSULTATIONS_TO_2005,
    FEDERAL_ENTITIES,
    GROUPS,
    MILAGRO_IN_VENEZUELA,
    ROBINSON_TAUGHT,
    MissionsInputs,
)
from convenio.demo.missions_metadata import (
    CONSULT,
    CONSULT_PER_1000,
    LITERACY_RATE,
    LITERATE_15P,
    ROB_TAUGHT,
    SURGERY,
    SURGERY_PER_100K,
)
from convenio.services.analytics import query
from convenio.services.mission_data import import_raw_values
from convenio.services.missions import load_metadata_document, load_org_unit_rows
from convenio.store import Store

__all__ = [
    "BY_YEAR",
    "LABELS",
    "SOURCE",
    "STATES",
    "MissionsSummary",
    "Request",
    "StateLiteracy",
    "YearRow",
    "load_missions",
    "missions_summary",
]

SOURCE: Final = "convenio demo (missions)"
"""How problems with the generated missions data name their source."""

LABELS: Final = (
    "Synthetic missions data: municipalities, facilities and every monthly figure are "
    "generated (docs/demo.md); the totals are the reported ones.",
    f"Reported, and reproduced: Robinson {ROBINSON_TAUGHT:,} people taught (Jul 2003 – Jun "
    f"2005), every state over 96 % literate by Oct 2005; Milagro {MILAGRO_IN_VENEZUELA:,} "
    "surgeries in Venezuela (3,927,406 less 1,648,147 abroad) to Jun 2015; Barrio Adentro "
    f"{CONSULTATIONS_TO_2005 // 1_000_000} M consultations by ~2006 (Apr 2003 – Dec 2005).",
)

YEARS: Final = tuple(str(y) for y in range(2002, 2016))


class Request(NamedTuple):
    """An analytics request: the options of `convenio analytics query`."""

    dx: str
    pe: str
    ou: str


BY_YEAR: Final = Request(
    ";".join(
        (
            CONSULT,
            CONSULT_PER_1000,
            ROB_TAUGHT,
            LITERATE_15P,
            LITERACY_RATE,
            SURGERY,
            SURGERY_PER_100K,
        )
    ),
    ";".join(YEARS),
    "VE",
)
"""The analytics request of the table by year, Venezuela as a whole. An indicator counts
a missing operand as zero when the other has a value (docs/missions.md): the table
shows a rate only in years with data for its numerator, hence LITERATE_15P asked too."""
STATES: Final = Request(LITERACY_RATE, "2004;2005", "VE;LEVEL-2")
"""The analytics request of the literacy rate by federal entity."""


@dataclass(frozen=True, slots=True)
class YearRow:
    """Venezuela in one year, as analytics answers it (None: no data that year).
    Counts are whole numbers; the rates keep their indicator's decimals."""

    year: str
    consultations: int | None
    consultations_per_1000: Decimal | None
    people_taught: int | None
    literacy_rate: Decimal | None
    literacy_flag: str | None
    surgeries: int | None
    surgeries_per_100k: Decimal | None


@dataclass(frozen=True, slots=True)
class StateLiteracy:
    """A federal entity's literacy rate aged 15+ (%) in 2004 and 2005, and 2005's flag."""

    code: str
    name: str
    rate_2004: Decimal | None
    rate_2005: Decimal | None
    flag_2005: str | None


@dataclass(frozen=True, slots=True)
class MissionsSummary:
    """What the missions part of the demo loaded, and what analytics then answers."""

    labels: tuple[str, ...]
    added: tuple[tuple[str, int], ...]
    sizes: tuple[tuple[str, int], ...]
    by_year: tuple[YearRow, ...]
    states: tuple[StateLiteracy, ...]

    def total(self, field: str) -> int:
        """The sum of a count column of `by_year` over the years with data."""
        return sum(getattr(row, field) or 0 for row in self.by_year)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values: counts as integers, rates as decimal text."""

        def text(value: Decimal | None) -> str | None:
            return None if value is None else f"{value:f}"

        return {
            "labels": list(self.labels),
            "added": dict(self.added),
            "sizes": dict(self.sizes),
            "totals": {
                "consultations": self.total("consultations"),
                "people_taught": self.total("people_taught"),
                "surgeries": self.total("surgeries"),
            },
            "by_year": [
                {
                    "year": r.year,
                    "consultations": r.consultations,
                    "consultations_per_1000": text(r.consultations_per_1000),
                    "people_taught": r.people_taught,
                    "literacy_rate": text(r.literacy_rate),
                    "literacy_flag": r.literacy_flag,
                    "surgeries": r.surgeries,
                    "surgeries_per_100k": text(r.surgeries_per_100k),
                }
                for r in self.by_year
            ],
            "literacy_by_state": [
                {
                    "ou": s.code,
                    "name": s.name,
                    "2004": text(s.rate_2004),
                    "2005": text(s.rate_2005),
                    "flag_2005": s.flag_2005,
                }
                for s in self.states
            ],
        }


def load_missions(
    store: Store, inputs: MissionsInputs, step: Callable[[int, int], None] | None = None
) -> dict[str, int]:
    """Org units, metadata and values into `store`, each in its own unit of work; what
    was added or changed (all 0 when the store already holds them). `step(done, 3)` is
    told after each of the three."""
    moved = step or (lambda done, total: None)
    with store.unit_of_work(write=True) as uow:
        units = load_org_unit_rows(uow, inputs.org_units, date.today(), SOURCE)
    moved(1, 3)
    with store.unit_of_work(write=True) as uow:
        meta = load_metadata_document(uow, inputs.metadata, SOURCE)
    moved(2, 3)
    with store.unit_of_work(write=True) as uow:
        # expiryDays 0: no `today` decides anything; values are loaded before any run.
        values = import_raw_values(uow, [v.raw() for v in inputs.values], SOURCE)
    moved(3, 3)
    return {
        "org_units": units.added + units.changed,
        "metadata": int(meta.changed),
        "values": values.added + values.updated + values.deleted,
    }


def _count(value: Decimal | None) -> int | None:
    return None if value is None else int(value)


def missions_summary(
    store: Store, added: dict[str, int], inputs: MissionsInputs
) -> MissionsSummary:
    """The summary, read back through analytics."""
    with store.unit_of_work() as uow:
        years = query(uow, *BY_YEAR)
        states = query(uow, *STATES)
    cell: dict[tuple[str, str, str], ResultRow] = {(r.dx, r.pe, r.ou): r for r in years + states}

    def value(dx: str, pe: str, ou: str = "VE") -> Decimal | None:
        row = cell.get((dx, pe, ou))
        return None if row is None else row.value

    def rate(dx: str, pe: str, over: str) -> Decimal | None:
        return None if value(over, pe) is None else value(dx, pe)

    def flag(pe: str, ou: str = "VE") -> str | None:
        row = cell.get((LITERACY_RATE, pe, ou))
        return None if row is None else row.flag

    by_year = tuple(
        YearRow(
            year,
            _count(value(CONSULT, year)),
            rate(CONSULT_PER_1000, year, CONSULT),
            _count(value(ROB_TAUGHT, year)),
            rate(LITERACY_RATE, year, LITERATE_15P),
            flag(year) if value(LITERATE_15P, year) is not None else None,
            _count(value(SURGERY, year)),
            rate(SURGERY_PER_100K, year, SURGERY),
        )
        for year in YEARS
    )
    by_state = tuple(
        StateLiteracy(
            e.code,
            e.name,
            value(LITERACY_RATE, "2004", e.code),
            value(LITERACY_RATE, "2005", e.code),
            flag("2005", e.code),
        )
        for e in FEDERAL_ENTITIES
    )
    levels = [r.version.level for r in inputs.org_units]
    sizes = {
        "federal_entities": levels.count(2),
        "municipalities": levels.count(3),
        **{uid.lower(): len(units) for uid, units in _group_sizes(inputs).items()},
        "data_values": len(inputs.values),
    }
    return MissionsSummary(LABELS, tuple(added.items()), tuple(sizes.items()), by_year, by_state)


def _group_sizes(inputs: MissionsInputs) -> dict[str, list[str]]:
    return {g.id: g.org_units for g in inputs.metadata.org_unit_groups if g.id in GROUPS}
