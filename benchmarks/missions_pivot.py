"""Benchmark: mission data at scale — bulk import into the embedded analytics store and a
pivot of one indicator by state × month, side by side with PostgreSQL.

    python benchmarks/missions_pivot.py [--facilities 200] [--years 2] [--elements 10]
        [--disaggregated 2] [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

The issue's full size is ``--facilities 10000 --years 15 --elements 50 --disaggregated 10``
(108 M values: 180 months × 10,000 facilities × (40 + 10 × 2 sexes) element combos).

Steps, each timed:
1. An embedded store (SQLite + DuckDB mirror) gets Venezuela's 24 states, municipalities
   and the facilities (`convenio orgunits load`), 50 elements, a data set, and the
   indicator "consultations per 1,000 people registered" (`convenio metadata load`).
2. DuckDB generates the values and writes them as DHIS2 CSV (`dataelement, period,
   orgunit, categoryoptioncombo, attributeoptioncombo, value`, ids as in the catalog) and
   as Parquet with the same columns (all text).
3. Import rate into the embedded store: the real `convenio data import --bulk` service
   (`convenio.services.bulk_import.import_bulk`: every row checked set-wise in DuckDB,
   new periods registered, values stored in the DuckDB file's `bulk_values`), from CSV
   into one store and from Parquet into another; then the Parquet file again (every row
   found stored already: nothing written).
4. The pivot of the indicator by state × month over all values on the mirror: the SQL
   alone, and end to end through `convenio.services.analytics.query`.
5. The same rows COPYed into PostgreSQL's `data_values` (DHIS2's shape: integer keys,
   primary key, text value; foreign-key checks off for the load) and the same pivot
   SQL — a plain join and GROUP BY — rendered for PostgreSQL; then the ratio.
6. The validated import path (`convenio data import`: parse, check every row, write
   SQLite and the mirror) on a sample of DHIS2 CSV rows, for its rate.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import psycopg
from sqlalchemy import text

from convenio.analytics import PivotSpec, pivot_sql
from convenio.periods import PeriodType, parse_period, periods_between
from convenio.services import bulk_import, mission_data, missions
from convenio.services.analytics import query
from convenio.store import Store
from convenio.store.missions_tables import category_option_combos, data_elements, org_units
from convenio.store.missions_tables import missions as missions_table

T = TypeVar("T")
STATES = 24
INDICATOR = "CONSULT_PER_1000"
FIRST_YEAR = 2001


def timed(label: str, work: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    print(f"  {label}: {seconds:.2f} s", flush=True)
    return result, seconds


def org_units_csv(facilities: int) -> str:
    municipalities = max(STATES, min(335, facilities // 10))
    rows = ["id,name,parent_id,level", "VE,Venezuela,,1"]
    rows += [f"S{s:02d},State {s},VE,2" for s in range(1, STATES + 1)]
    rows += [f"M{m:03d},Municipality {m},S{m % STATES + 1:02d},3" for m in range(municipalities)]
    rows += [f"F{f:05d},Facility {f},M{f % municipalities:03d},4" for f in range(facilities)]
    return "\n".join(rows) + "\n"


def metadata_yaml(elements: int, disaggregated: int) -> str:
    lines = [
        "categoryOptions: [{id: F, name: Female}, {id: M, name: Male}]",
        "categories: [{id: SEX, name: Sex, options: [F, M]}]",
        "categoryCombos: [{id: SEX, name: Sex, categories: [SEX]}]",
        "missions: [{id: BARRIO_ADENTRO, name: Barrio Adentro}]",
        "dataElements:",
    ]
    names = {1: "Consultations", 2: "People registered"}
    for e in range(1, elements + 1):
        combo = ", categoryCombo: SEX" if e <= disaggregated else ""
        name = names.get(e, f"Element {e}")
        lines.append(f"  - {{id: E{e:02d}, name: {name}, valueType: INTEGER{combo}}}")
    ids = ", ".join(f"E{e:02d}" for e in range(1, elements + 1))
    lines += [
        "dataSets:",
        f"  - {{id: MONTHLY, name: Monthly, periodType: Monthly, mission: BARRIO_ADENTRO, "
        f"dataElements: [{ids}]}}",
        "indicators:",
        f"  - {{id: {INDICATOR}, name: Consultations per 1000 people registered, "
        "numerator: '#{E01}', denominator: '#{E02}', factor: 1000}",
    ]
    return "\n".join(lines) + "\n"


def generate(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    units: dict[str, int],
    months: dict[str, int],
    combos: list[tuple[str, int, str, int]],
    mission: int,
    for_postgres: bool = True,
) -> int:
    """Write every value to values.csv and values.parquet (DHIS2's columns, uids) and to
    values_pg.csv (PostgreSQL's table: integer ids, millionths); the number of values."""
    # Rows in any order: at 100 M values an ordered COPY runs out of memory.
    con.execute("SET preserve_insertion_order = false")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE f AS SELECT unnest(?::VARCHAR[]) AS ou, "
        "unnest(?::INTEGER[]) AS unit_id",
        [list(units), list(units.values())],
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE m AS SELECT unnest(?::VARCHAR[]) AS pe, "
        "unnest(?::INTEGER[]) AS period_id",
        [list(months), list(months.values())],
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE e AS SELECT unnest(?::VARCHAR[]) AS de, "
        "unnest(?::INTEGER[]) AS element_id, unnest(?::VARCHAR[]) AS coc, "
        "unnest(?::INTEGER[]) AS coc_id",
        [list(c) for c in zip(*combos, strict=True)],
    )
    number = "(hash(f.unit_id, m.period_id, e.element_id, e.coc_id) % 500 + 1)::BIGINT"
    dhis2 = (
        "SELECT e.de AS dataelement, m.pe AS period, f.ou AS orgunit, "
        "e.coc AS categoryoptioncombo, 'BARRIO_ADENTRO' AS attributeoptioncombo, "
        f"{number}::VARCHAR AS value FROM m, f, e"
    )
    con.execute(f"COPY ({dhis2}) TO '{out / 'values.csv'}' (HEADER true)")
    con.execute(f"COPY ({dhis2}) TO '{out / 'values.parquet'}' (FORMAT parquet)")
    select = (
        f"SELECT e.element_id, m.period_id, f.unit_id, e.coc_id, {mission} AS aoc_id, "
        f"{number} * 1000000 AS value_num FROM m, f, e"
    )
    # PostgreSQL's data_values also wants the text value and the audit columns.
    if for_postgres:
        con.execute(
            f"COPY (SELECT *, (value_num // 1000000)::VARCHAR, 0, 0, false FROM ({select})) "
            f"TO '{out / 'values_pg.csv'}' (HEADER false)"
        )
    row = con.execute(f"SELECT COUNT(*) FROM read_parquet('{out / 'values.parquet'}')").fetchone()
    assert row is not None
    return int(row[0])


def build_store(url: str, work: Path, args: argparse.Namespace) -> Store:
    store = Store(url)
    (work / "ou.csv").write_text(org_units_csv(args.facilities))
    (work / "meta.yaml").write_text(metadata_yaml(args.elements, args.disaggregated))
    with store.unit_of_work(write=True) as uow:
        missions.load_org_units(uow, work / "ou.csv", date(2000, 1, 1))
    with store.unit_of_work(write=True) as uow:
        missions.load_metadata(uow, work / "meta.yaml")
    return store


def months_of(args: argparse.Namespace) -> list[Any]:
    first = parse_period(f"{FIRST_YEAR}01")
    last = parse_period(f"{FIRST_YEAR + args.years - 1}12")
    return list(periods_between(first, last))


def keys(
    store: Store, args: argparse.Namespace
) -> tuple[dict[str, int], dict[str, int], list[tuple[str, int, str, int]], int]:
    """Facility uids → ids, month uids → ids (registered in the store and its mirror),
    element × combo uids and ids, and the mission id."""
    with store.unit_of_work(write=True) as uow:
        repo = uow.missions
        period_ids, new_rows = repo.values.period_ids(months_of(args))
        before, after = repo.data_version(), repo.bump_data_version()
        missions.commit_with_mirror(uow, before, after, lambda w: w.add_periods(new_rows))
    with store.unit_of_work() as uow:
        repo = uow.missions
        units = repo.ids(org_units)
        elements = repo.ids(data_elements)
        cocs = repo.ids(category_option_combos)
        mission = repo.ids(missions_table)
        catalog = repo.catalog()
    facilities = {uid: i for uid, i in sorted(units.items()) if uid.startswith("F")}
    combos = [
        (e.uid, elements[e.uid], oc.uid, cocs[oc.uid])
        for e in catalog.elements.values()
        for oc in catalog.option_combos_of(e.combo)
    ]
    months = {p.id: period_ids[p.id] for p in months_of(args)}
    return facilities, months, combos, mission["BARRIO_ADENTRO"]


def pg_copy(url: str, path: Path) -> None:
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as conn, conn.cursor() as cur:
        # A bulk load, as DHIS2 installations do them: the primary key is maintained, the
        # foreign-key triggers (five lookups per row) are not run for this session.
        cur.execute("SET session_replication_role = replica")
        columns = (
            "element_id, period_id, unit_id, coc_id, aoc_id, value_num, value, created, "
            "last_updated, followup"
        )
        with (
            cur.copy(f"COPY data_values ({columns}) FROM STDIN (FORMAT csv)") as copy,
            path.open("rb") as f,
        ):
            while chunk := f.read(1 << 22):
                copy.write(chunk)
        conn.commit()
        conn.autocommit = True
        cur.execute("VACUUM ANALYZE data_values")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--facilities", type=int, default=200)
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--elements", type=int, default=10)
    parser.add_argument("--disaggregated", type=int, default=2, help="elements split by sex")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--sample", type=int, default=50_000, help="values through `data import`")
    parser.add_argument(
        "--dir", type=Path, default=None, help="work directory (default: temporary)"
    )
    parser.add_argument("--no-postgres", action="store_true", help="the embedded side only")
    parser.add_argument(
        "--keep", action="store_true", help="keep the files and the PostgreSQL schema afterwards"
    )
    args = parser.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="missions-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"work directory {work}")

    store, _ = timed(
        "embedded store: org units and metadata",
        lambda: build_store(f"sqlite:///{work / 'db' / 'convenio.db'}", work, args),
    )
    facilities, months, combos, mission = keys(store, args)
    scratch = duckdb.connect()
    n, gen_s = timed(
        "generate values (DuckDB → CSV, Parquet)",
        lambda: generate(scratch, work, facilities, months, combos, mission, not args.no_postgres),
    )
    scratch.close()
    print(
        f"  {n:,} values: {len(facilities):,} facilities × {len(months)} months × "
        f"{len(combos)} element combos"
    )

    def bulk(target: Store, path: Path) -> Any:
        with target.unit_of_work(write=True) as uow:
            return bulk_import.import_bulk(uow, path, today=date(FIRST_YEAR + args.years, 1, 1))

    result, csv_s = timed(
        "`data import --bulk` of the CSV (checked in DuckDB, stored in the DuckDB file)",
        lambda: bulk(store, work / "values.csv"),
    )
    assert result.added == n, result
    (work / "pq").mkdir(exist_ok=True)
    pq_store = build_store(f"sqlite:///{work / 'pq' / 'convenio.db'}", work / "pq", args)
    assert keys(pq_store, args) == (facilities, months, combos, mission), "same ids"
    result, parquet_s = timed(
        "`data import --bulk` of the Parquet file (into a second store)",
        lambda: bulk(pq_store, work / "values.parquet"),
    )
    assert result.added == n, result
    result, again_s = timed(
        "`data import --bulk` of the Parquet file again (all stored already)",
        lambda: bulk(pq_store, work / "values.parquet"),
    )
    assert result.unchanged == n, result
    pq_store.close()
    with store.unit_of_work() as uow:
        mirror = uow.missions.mirror
    assert mirror is not None

    with store.unit_of_work() as uow:
        element_ids = uow.missions.ids(data_elements)
    spec = PivotSpec(frozenset({element_ids["E01"], element_ids["E02"]}), PeriodType.MONTHLY, 2)
    duck_rows, duck_sql_s = timed(
        "pivot SQL on DuckDB (state × month)", lambda: mirror.query(pivot_sql(spec, "duckdb"))
    )
    duck_rows, duck_sql_s = timed(
        "pivot SQL on DuckDB, again (warm)", lambda: mirror.query(pivot_sql(spec, "duckdb"))
    )

    def service() -> int:
        with store.unit_of_work() as uow:
            return len(query(uow, INDICATOR, "Monthly", "VE;LEVEL-2"))

    answer_rows, service_s = timed("indicator by state × month, end to end (service)", service)
    print(f"  {answer_rows:,} indicator values")

    pg_sql_s = None
    try:
        if args.no_postgres:
            raise psycopg.OperationalError("--no-postgres")
        with psycopg.connect(
            args.pg_url.replace("postgresql+psycopg://", "postgresql://"),
            autocommit=True,
            connect_timeout=3,
        ) as admin:
            admin.execute("DROP SCHEMA IF EXISTS bench_missions CASCADE")
            admin.execute("CREATE SCHEMA bench_missions")
        pg_url = f"{args.pg_url}?options=-csearch_path%3Dbench_missions"
        (work / "pg").mkdir(exist_ok=True)
        pg_store = build_store(pg_url, work / "pg", args)
        pg_keys = keys(pg_store, args)
        assert pg_keys == (facilities, months, combos, mission), "same files, same ids"
        _, pg_load_s = timed(
            "COPY the same rows into PostgreSQL (primary key kept, FK checks off)",
            lambda: pg_copy(pg_url, work / "values_pg.csv"),
        )
        print(f"  PostgreSQL load: {n / pg_load_s:,.0f} values/s")
        sql = pivot_sql(spec, "postgres")
        with pg_store.unit_of_work() as uow:
            pg_rows, _ = timed(
                "pivot SQL on PostgreSQL", lambda: uow.connection.exec_driver_sql(sql).all()
            )
            pg_rows, pg_sql_s = timed(
                "pivot SQL on PostgreSQL, again (warm)",
                lambda: uow.connection.exec_driver_sql(sql).all(),
            )
            count = uow.connection.execute(text("SELECT COUNT(*) FROM data_values")).scalar_one()
        assert count == n
        assert sorted(
            tuple(int(x) if not isinstance(x, str) else x for x in r) for r in pg_rows
        ) == sorted(tuple(int(x) if not isinstance(x, str) else x for x in r) for r in duck_rows), (
            "the same answer"
        )
        pg_store.close()
    except psycopg.OperationalError as exc:
        print(f"  PostgreSQL skipped: {exc}".splitlines()[0])

    sample = min(args.sample, len(facilities) * 12 * len(combos))
    lines = ["dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value"]
    with store.unit_of_work() as uow:
        catalog = uow.missions.catalog()
    pairs = [
        (e.uid, oc.uid)
        for e in catalog.elements.values()
        for oc in catalog.option_combos_of(e.combo)
    ]
    year = FIRST_YEAR + args.years
    for i in range(sample):
        element, coc = pairs[i % len(pairs)]
        month = (i // len(pairs)) % 12 + 1
        facility = i // (len(pairs) * 12)
        lines.append(f"{element},{year}{month:02d},F{facility:05d},{coc},,{i % 97}")
    (work / "sample.csv").write_text("\n".join(lines) + "\n")

    def validated() -> Any:
        with store.unit_of_work(write=True) as uow:
            return mission_data.import_values(uow, work / "sample.csv")

    result, import_s = timed(
        f"`data import` of {sample:,} DHIS2 CSV rows (checked, SQLite + mirror)", validated
    )
    assert result.added == sample
    store.close()

    if not args.keep:
        if args.dir is None:
            shutil.rmtree(work)
        if pg_sql_s is not None:
            plain = args.pg_url.replace("postgresql+psycopg://", "postgresql://")
            with psycopg.connect(plain, autocommit=True) as admin:
                admin.execute("DROP SCHEMA IF EXISTS bench_missions CASCADE")

    print("\nsummary")
    print(f"  values: {n:,}")
    print(
        f"  `data import --bulk` into the embedded store: CSV {n / csv_s:,.0f} values/s, "
        f"Parquet {n / parquet_s:,.0f} values/s, Parquet again (nothing new) "
        f"{n / again_s:,.0f} values/s"
    )
    print(f"  validated `data import`: {sample / import_s:,.0f} values/s")
    print(f"  pivot by state × month, DuckDB: {duck_sql_s:.3f} s SQL, {service_s:.3f} s end to end")
    if pg_sql_s is not None:
        print(f"  pivot by state × month, PostgreSQL GROUP BY: {pg_sql_s:.3f} s")
        print(f"  ratio PostgreSQL / DuckDB: {pg_sql_s / duck_sql_s:.1f}×")
    print(
        f"  (generation {gen_s:.1f} s; python {sys.version.split()[0]}, "
        f"duckdb {duckdb.__version__})"
    )


if __name__ == "__main__":
    main()
