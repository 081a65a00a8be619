"""`convenio data import --bulk`: Parquet and CSV checked set-wise in DuckDB and stored in
the embedded store's DuckDB file, all or nothing; seen by the pivot, the validated
import and the export like the values SQLite keeps."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from convenio.analytics import ResultRow
from convenio.errors import ConflictError, InputError
from convenio.services import mission_data, missions
from convenio.services.analytics import query
from convenio.services.bulk_import import POSTGRES_REFUSAL, import_bulk
from convenio.store import Store, UnitOfWork
from tests.integration.test_analytics import QUERIES, answers, generated_values
from tests.missions_data import HEADER, METADATA_YAML, MOVED_CSV, TODAY, load_sample, write

DAY = date.fromisoformat(TODAY)
GEN_DAY = date(2005, 1, 1)
SMALL = (
    "dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value\n"
    "CONSULT,200501,CLIN-1,F_A15P,,120\n"
    "CONSULT,200501,CLIN-1,M_A15P,,80\n"
    "WAIT_DAYS,200501,CLIN-1,,,12.25\n"
    "POP,2005,CLIN-1,,,1000\n"
)


def embedded(tmp: Path, name: str) -> Store:
    """The sample metadata (no values) and the clinic that moves mid-2005."""
    (tmp / name).mkdir()
    store = Store(f"sqlite:///{tmp / name / 'convenio.db'}")
    load_sample(store, tmp / name, values=HEADER)
    with store.unit_of_work(write=True) as uow:
        missions.load_org_units(uow, write(tmp / name, "moved.csv", MOVED_CSV), date(2005, 7, 1))
    return store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = embedded(tmp_path, "a")
    yield s
    s.close()


def bulk(store: Store, path: Path, today: date = DAY, dry_run: bool = False) -> tuple[int, int]:
    with store.unit_of_work(write=True) as uow:
        result = import_bulk(uow, path, dry_run, today)
    return result.added, result.unchanged


def normal(store: Store, path: Path, today: date = DAY) -> mission_data.ImportResult:
    with store.unit_of_work(write=True) as uow:
        return mission_data.import_values(uow, path, today=today)


def export(store: Store) -> str:
    out = io.StringIO()
    with store.unit_of_work() as uow:
        mission_data.export_values(uow, out)
    return out.getvalue()


def to_parquet(csv_path: Path) -> Path:
    out = csv_path.with_suffix(".parquet")
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * FROM read_csv('{csv_path}', header = true, all_varchar = true)) "
        f"TO '{out}' (FORMAT parquet)"
    )
    con.close()
    return out


def state(store: Store) -> tuple[object, ...]:
    """Everything an import could change: the export, counts, versions, periods."""
    with store.unit_of_work() as uow:
        repo = uow.missions
        assert repo.mirror is not None
        version, periods = repo.data_version(), sorted(repo.values.known_periods())
        sqlite_count, mirror_version = repo.values.count(), repo.mirror.version()
        bulk_rows = sorted(repo.mirror.query("SELECT * FROM bulk_values"))
        mirror_periods = repo.mirror.query("SELECT count(*) FROM periods")
    return export(store), version, periods, sqlite_count, mirror_version, bulk_rows, mirror_periods


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_bulk_pivot_equals_the_validated_import(store: Store, tmp_path: Path, fmt: str) -> None:
    path = write(tmp_path, "gen.csv", generated_values())
    path = to_parquet(path) if fmt == "parquet" else path
    count = len(generated_values().splitlines()) - 1
    assert bulk(store, path, GEN_DAY) == (count, 0)
    reference = embedded(tmp_path, "ref")
    try:
        normal(reference, write(tmp_path, "gen.csv", generated_values()), GEN_DAY)
        assert answers(store) == answers(reference)
        assert all(answers(store)) and len(answers(store)) == len(QUERIES)
        assert export(store).count("\n") == export(reference).count("\n")
    finally:
        reference.close()


def test_reimport_changes_nothing(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "small.csv", SMALL)
    assert bulk(store, path) == (4, 0)
    before = state(store)
    assert bulk(store, path) == (0, 4)
    assert bulk(store, to_parquet(path)) == (0, 4)
    assert state(store) == before


BAD = [
    ("NOPE,200501,CLIN-1,,,1", "dataElement", "unknown data element"),
    ("NOTES,200501,CLIN-1,,,1", "dataElement", "TEXT element"),
    ("POP,2005,CLIN-9,,,1", "orgUnit", "unknown org unit"),
    ("CONSULT,200501,CLIN-1,,,1", "categoryOptionCombo", "missing"),
    ("CONSULT,200501,CLIN-1,F,,1", "categoryOptionCombo", "not a disaggregation"),
    ("POP,2005,CLIN-1,,NOPE,1", "attributeOptionCombo", "unknown mission"),
    ("POP,2005X,CLIN-1,,,1", "period", "2005X"),
    ("POP,200501,CLIN-1,,,1", "period", "takes Yearly periods"),
    ("POP,2005,CLIN-1,,,1.5", "value", "is not an integer"),
    ("WAIT_DAYS,200501,CLIN-1,,,0.1234567", "value", "more than 6 decimal places"),
    ("WAIT_DAYS,200501,CLIN-1,,,1e-7", "value", "more than 6 decimal places"),
    ("WAIT_DAYS,200501,CLIN-1,,,12,5", None, None),  # a seventh field: not this format
    ("WAIT_DAYS,200501,CLIN-1,,,abc", "value", "is not a number"),
    ("WAIT_DAYS,200501,CLIN-1,,,99999999999999", "value", "beyond"),
]


@pytest.mark.parametrize(("row", "field", "message"), BAD)
def test_a_bad_row_is_located_and_nothing_written(
    store: Store, tmp_path: Path, row: str, field: str | None, message: str | None
) -> None:
    bulk(store, write(tmp_path, "first.csv", SMALL))
    before = state(store)
    text = SMALL + "POP,2006,CLIN-2,,,7\n" + row + "\n"
    with pytest.raises(InputError) as caught:
        bulk(store, write(tmp_path, "bad.csv", text))
    if field is not None:
        problem = caught.value.problems[0]
        assert (problem.line, problem.field) == (7, field), caught.value.render()
        assert message is not None and message in problem.message, caught.value.render()
    assert state(store) == before


def test_problems_are_counted_and_the_first_ones_told(store: Store, tmp_path: Path) -> None:
    rows = "".join(f"POP,2005,CLIN-{i},,,1\n" for i in range(10, 260))
    with pytest.raises(InputError) as caught:
        bulk(store, write(tmp_path, "many.csv", SMALL + rows))
    assert "250 problems, nothing was written" in str(caught.value)
    assert len(caught.value.problems) == 101
    assert caught.value.problems[0].line == 6
    assert "150 more problems" in caught.value.problems[-1].message


def test_duplicates_locks_and_extra_columns(store: Store, tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        bulk(store, write(tmp_path, "dup.csv", SMALL + "POP,2005,CLIN-1,,,1000\n"))
    assert "the same key POP/2005/CLIN-1/default/default is already on line 5" in str(caught.value)
    with pytest.raises(InputError) as caught:
        bulk(store, write(tmp_path, "late.csv", SMALL), today=date(2006, 1, 1))
    problem = caught.value.problems[0]
    assert (problem.line, problem.field) == (2, "period")
    assert "200501 is locked" in problem.message
    with store.unit_of_work(write=True) as uow:
        missions.reopen_period(uow, "BA_MONTHLY", "200501")
    assert bulk(store, write(tmp_path, "late.csv", SMALL), today=date(2006, 1, 1)) == (4, 0)
    commented = HEADER + "POP,2006,CLIN-1,,,1,,,a comment,,\n"
    with pytest.raises(InputError, match="stores no comment"):
        bulk(store, write(tmp_path, "commented.csv", commented))


def test_float_parquet_and_other_files_are_refused(store: Store, tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT 'POP' AS dataelement, '2005' AS period, 'CLIN-1' AS orgunit, "
        f"1.5::DOUBLE AS value) TO '{tmp_path / 'f.parquet'}' (FORMAT parquet)"
    )
    con.close()
    with pytest.raises(InputError, match="DOUBLE: binary floating point is not exact"):
        bulk(store, tmp_path / "f.parquet")
    with pytest.raises(InputError, match=r"\.parquet, \.csv or \.xlsx"):
        bulk(store, write(tmp_path, "v.json", "{}"))
    with pytest.raises(InputError, match="no column orgunit"):
        bulk(store, write(tmp_path, "cols.csv", "dataelement,period,value\nPOP,2005,1\n"))


@pytest.mark.parametrize(
    "text", ["1e3", "1.5e-2", "5.", ".5", "+3", "-0", "0e-100", "1.0000000", "2.50", "7E+2"]
)
def test_numbers_as_exact_as_the_validated_import(store: Store, tmp_path: Path, text: str) -> None:
    row = f"WAIT_DAYS,200501,CLIN-1,,,{text}\n"
    bulk(store, write(tmp_path, "n.csv", SMALL.splitlines(keepends=True)[0] + row))
    reference = embedded(tmp_path, "ref")
    try:
        normal(reference, write(tmp_path, "n2.csv", SMALL.splitlines(keepends=True)[0] + row))
        assert export(store).split(",")[5::10] == export(reference).split(",")[5::10]
    finally:
        reference.close()


def test_keys_are_shared_with_the_validated_import(store: Store, tmp_path: Path) -> None:
    bulk(store, write(tmp_path, "small.csv", SMALL))
    same = HEADER + "POP,2005,CLIN-1,,,1000,,,,,\n"
    result = normal(store, write(tmp_path, "same.csv", same))
    assert (result.added, result.updated, result.unchanged) == (0, 0, 1)
    changed = HEADER + "POP,2005,CLIN-1,,,1100,,,,,\nWAIT_DAYS,200501,CLIN-1,,,,,,,,true\n"
    result = normal(store, write(tmp_path, "changed.csv", changed))
    assert (result.added, result.updated, result.deleted) == (0, 1, 1)
    with store.unit_of_work() as uow:
        assert uow.missions.values.count() == 1
        assert uow.missions.mirror is not None
        assert uow.missions.mirror.query("SELECT count(*) FROM bulk_values") == [(2,)]
        pop = {r.ou: r.value for r in _query(uow, "POP", "2005", "CLIN-1")}
    assert pop == {"CLIN-1": 1100}
    assert "POP,2005,CLIN-1,default,default,1100," in export(store)
    assert export(store).count("\n") == 4  # header, two bulk values, one in SQLite
    # Stored by the validated import, then bulk with another value: refused.
    before = state(store)
    with pytest.raises(InputError, match="stored already as 1100, not 1000"):
        bulk(store, write(tmp_path, "small.csv", SMALL))
    assert state(store) == before


def _query(uow: UnitOfWork, dx: str, pe: str, ou: str) -> list[ResultRow]:
    return query(uow, dx, pe, ou)


def test_export_round_trip(store: Store, tmp_path: Path) -> None:
    normal(store, write(tmp_path, "one.csv", HEADER + "POP,2007,CLIN-2,,,9,ana,,,,\n"))
    bulk(store, write(tmp_path, "gen.csv", generated_values()), GEN_DAY)
    exported = export(store)
    fresh = embedded(tmp_path, "fresh")
    try:
        normal(fresh, write(tmp_path, "exported.csv", exported), GEN_DAY)
        assert export(fresh) == exported
    finally:
        fresh.close()


def test_a_mirror_rebuild_keeps_the_bulk_values(store: Store, tmp_path: Path) -> None:
    normal(store, write(tmp_path, "one.csv", HEADER + "POP,2007,CLIN-2,,,9,,,,,\n"))
    bulk(store, write(tmp_path, "gen.csv", generated_values()), GEN_DAY)
    expected = answers(store)
    with store.unit_of_work() as uow:
        mirror = uow.missions.mirror
    assert mirror is not None
    with mirror.writing() as writer:
        writer.con.execute("DELETE FROM mirrored_values")
        writer.con.execute("DELETE FROM periods")
        writer.set_version(999)
    assert answers(store) == expected
    assert mirror.query("SELECT count(*) FROM mirrored_values") == [(1,)]
    # A bulk import onto a stale mirror brings the copy up to date first.
    with mirror.writing() as writer:
        writer.set_version(998)
    assert bulk(store, write(tmp_path, "gen.csv", generated_values()), GEN_DAY)[0] == 0
    assert answers(store) == expected


def test_postgresql_is_refused(pg_schema_url: str, tmp_path: Path) -> None:
    store = Store(pg_schema_url)
    try:
        with pytest.raises(InputError) as caught:
            bulk(store, write(tmp_path, "small.csv", SMALL))
        assert str(caught.value) == POSTGRES_REFUSAL
        assert caught.value.exit_code == 2
    finally:
        store.close()


def test_a_mirror_of_the_old_layout_is_rebuilt(store: Store, tmp_path: Path) -> None:
    normal(store, write(tmp_path, "small.csv", SMALL))
    expected = answers(store)
    with store.unit_of_work() as uow:
        mirror = uow.missions.mirror
    assert mirror is not None
    con = duckdb.connect(str(mirror.path))
    con.execute("DROP VIEW data_values")
    con.execute("CREATE TABLE data_values AS SELECT * FROM mirrored_values")
    con.execute("DROP TABLE mirrored_values")
    con.execute("DROP TABLE bulk_values")
    con.close()
    assert mirror.version() is None  # the old layout counts as no mirror: rebuilt
    with store.unit_of_work() as uow:
        missions.ensure_mirror(uow)
    assert answers(store) == expected
    assert mirror.query("SELECT count(*) FROM mirrored_values") == [(4,)]


def test_metadata_that_bulk_values_depend_on_cannot_change(store: Store, tmp_path: Path) -> None:
    bulk(store, write(tmp_path, "small.csv", SMALL))
    number = "{id: WAIT_DAYS, name: Days waited for surgery, valueType: NUMBER}"
    assert number in METADATA_YAML
    retyped = METADATA_YAML.replace(number, number.replace("NUMBER", "PERCENTAGE"))
    with (
        store.unit_of_work(write=True) as uow,
        pytest.raises(ConflictError, match="WAIT_DAYS has 1 stored value"),
    ):
        missions.load_metadata(uow, write(tmp_path, "retyped.yaml", retyped))
    # CONSULT's two values use F_A15P and M_A15P: its combo cannot lose its age category.
    consult = "{id: CONSULT, name: Consultations, valueType: INTEGER, categoryCombo: SEX_AGE}"
    assert consult in METADATA_YAML
    recombined = METADATA_YAML.replace(consult, consult.replace("SEX_AGE", "SEX"))
    with (
        store.unit_of_work(write=True) as uow,
        pytest.raises(ConflictError, match="CONSULT has 2 stored value"),
    ):
        missions.load_metadata(uow, write(tmp_path, "recombined.yaml", recombined))
