"""The same analytics answer from DuckDB (the embedded mirror), from PostgreSQL and from
SQLite itself, for the same data; small counts suppressed in public output."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from convenio.analytics import ResultRow
from convenio.services import mission_data, missions
from convenio.services.analytics import Engine, query
from convenio.store import Store
from tests.missions_data import HEADER, MOVED_CSV, load_sample, write

QUERIES = [
    ("CONSULT;CONSULT.F_A15P;WAIT_DAYS", "Monthly;Quarterly;2005", "VE;LEVEL-2"),
    ("LITERACY_RATE;CONSULT_PER_1000", "2005;2006", "VE;LEVEL-2"),
    ("CONSULT_PER_1000;POP", "Yearly", "VE;VE-ZU;VE-DC-LIB"),
    ("CONSULT", "Monthly", "VE-ZU;LEVEL-4;OU_GROUP-CLINICS"),
    ("CONSULT;POP", "2005;2005S2;2005July", "LEVEL-3"),
    ("CONSULT", "2005Q3", "VE;LEVEL-2"),
]


def generated_values(seed: int = 7) -> str:
    """Two years of monthly consultations for the three clinics, by sex and age."""
    rng = random.Random(seed)
    rows = []
    for year in (2005, 2006):
        for month in range(1, 13):
            for clinic in ("CLIN-1", "CLIN-2", "CLIN-3"):
                for coc in ("F_A0_14", "F_A15P", "M_A0_14", "M_A15P"):
                    rows.append(
                        f"CONSULT,{year}{month:02d},{clinic},{coc},,{rng.randint(0, 400)},,,,,"
                    )
            rows.append(f"WAIT_DAYS,{year}{month:02d},CLIN-1,,,{rng.randint(0, 9000) / 100},,,,,")
        for clinic, pop in (("CLIN-1", 1000), ("CLIN-2", 500), ("CLIN-3", 2000)):
            rows.append(f"POP,{year},{clinic},,,{pop + year - 2005},,,,,")
        rows += [
            f"POP_15P,{year},VE-ZU-MCB,F,,600,,,,,",
            f"POP_15P,{year},VE-ZU-MCB,M,,400,,,,,",
            f"LITERATE_15P,{year},VE-ZU-MCB,F,,{590 - year + 2005},,,,,",
            f"LITERATE_15P,{year},VE-ZU-MCB,M,,385,,,,,",
        ]
    return HEADER + "\n".join(rows) + "\n"


def fill(store: Store, tmp: Path) -> None:
    """The sample metadata, a clinic that moves mid-2005, and the generated values."""
    load_sample(store, tmp, values=HEADER)
    with store.unit_of_work(write=True) as uow:
        missions.load_org_units(uow, write(tmp, "moved.csv", MOVED_CSV), date(2005, 7, 1))
    with store.unit_of_work(write=True) as uow:
        mission_data.import_values(
            uow, write(tmp, "gen.csv", generated_values()), today=date(2005, 1, 1)
        )


def answers(store: Store, engine: Engine = "auto", public: bool = False) -> list[list[ResultRow]]:
    with store.unit_of_work() as uow:
        return [query(uow, dx, pe, ou, public=public, engine=engine) for dx, pe, ou in QUERIES]


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path / 'db' / 'convenio.db'}")
    fill(store, tmp_path)
    yield store
    store.close()


def test_duckdb_and_sqlite_give_the_same_answer(embedded: Store) -> None:
    with embedded.unit_of_work() as uow:
        assert uow.missions.mirror is not None and uow.missions.mirror.path.exists()
    on_duckdb = answers(embedded)
    assert all(on_duckdb), "every query has rows"
    assert on_duckdb == answers(embedded, engine="store")


def test_duckdb_and_postgresql_give_the_same_answer(
    embedded: Store, pg_schema_url: str, tmp_path: Path
) -> None:
    postgres = Store(pg_schema_url)
    try:
        with postgres.unit_of_work() as uow:
            assert uow.missions.mirror is None
        (tmp_path / "pg").mkdir()
        fill(postgres, tmp_path / "pg")
        on_postgres = answers(postgres)
        assert answers(embedded) == on_postgres
        assert answers(embedded, public=True) == answers(postgres, public=True)
    finally:
        postgres.close()


def test_the_moved_clinic_splits_its_year(embedded: Store) -> None:
    with embedded.unit_of_work() as uow:
        rows = query(uow, "CONSULT", "2005S1;2005S2", "VE;LEVEL-2")
        clinic = query(uow, "CONSULT", "2005S1;2005S2", "CLIN-2")
    by = {(r.ou, r.pe): r.value for r in rows}
    halves = {r.pe: r.value for r in clinic}
    # CLIN-2 reported to Zulia until June 2005 and to Distrito Capital from July.
    with embedded.unit_of_work() as uow:
        dc_without = query(uow, "CONSULT", "2005S1;2005S2", "CLIN-3")
    dc_clin3 = {r.pe: r.value for r in dc_without}
    assert by["VE-DC", "2005S1"] == dc_clin3["2005S1"]
    assert by["VE-DC", "2005S2"] == dc_clin3["2005S2"] + halves["2005S2"]


def test_public_output_suppresses_small_counts(embedded: Store, tmp_path: Path) -> None:
    small = (
        HEADER
        + "CONSULT,200601,CLIN-1,F_A0_14,,0,,,,,\n"
        + "CONSULT,200601,CLIN-1,M_A0_14,,3,,,,,\n"
    )
    with embedded.unit_of_work(write=True) as uow:
        mission_data.import_values(uow, write(tmp_path, "small.csv", small), today=date(2006, 1, 1))
    request = ("CONSULT.F_A0_14;CONSULT.M_A0_14;CONSULT_PER_1000", "200601;2006", "CLIN-1")
    with embedded.unit_of_work() as uow:
        private = query(uow, *request)
        public = query(uow, *request, public=True)
        strict = query(uow, *request, public=True, threshold=300)
    assert not any(r.suppressed for r in private)
    shown = {(r.dx, r.pe): (r.value, r.suppressed) for r in public}
    assert shown["CONSULT.F_A0_14", "200601"] == (0, False)  # zero reveals nobody
    assert shown["CONSULT.M_A0_14", "200601"] == (None, True)
    assert private[[r.dx for r in private].index("CONSULT.M_A0_14")].value == 3
    assert shown["CONSULT.M_A0_14", "2006"][1] is False
    for plain, hidden in zip(private, strict, strict=True):
        parts = (plain.value,) if plain.factor is None else (plain.numerator, plain.denominator)
        small_count = any(p is not None and 0 < p < 300 for p in parts)
        assert hidden.suppressed == small_count
        assert hidden.value == (None if small_count else plain.value)
