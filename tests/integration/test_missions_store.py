"""Mission data in the store, on SQLite (with its DuckDB mirror) and on PostgreSQL:
round trips, idempotence, dry runs, locks, bad input, moves, the mirror in step."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import text

from convenio.errors import ConflictError, InputError
from convenio.services import mission_data, missions
from convenio.services.analytics import query
from convenio.store import Store
from tests.missions_data import (
    HEADER,
    METADATA_YAML,
    MOVED_CSV,
    TODAY,
    VALUES_CSV,
    load_sample,
    write,
)

DAY = date.fromisoformat(TODAY)


def import_file(
    store: Store, path: Path, dry_run: bool = False, today: date = DAY
) -> mission_data.ImportResult:
    with store.unit_of_work(write=not dry_run) as uow:
        return mission_data.import_values(uow, path, dry_run, today)


def export(store: Store, fmt: mission_data.ExportFormat) -> str:
    out = io.StringIO()
    with store.unit_of_work() as uow:
        mission_data.export_values(uow, out, fmt)
    return out.getvalue()


def counts(store: Store) -> tuple[int, int, int]:
    """(values, periods, data version) in the store."""
    with store.unit_of_work() as uow:
        c = uow.connection
        return (
            int(c.execute(text("SELECT COUNT(*) FROM data_values")).scalar_one()),
            int(c.execute(text("SELECT COUNT(*) FROM periods")).scalar_one()),
            uow.missions.data_version(),
        )


def mirror_rows(store: Store) -> list[tuple[object, ...]] | None:
    """The mirror's values (None on PostgreSQL, which has no mirror)."""
    with store.unit_of_work() as uow:
        mirror = uow.missions.mirror
        if mirror is None:
            return None
        return sorted(mirror.query("SELECT * FROM data_values"))


def store_numeric_rows(store: Store) -> list[tuple[object, ...]]:
    with store.unit_of_work() as uow:
        rows = uow.connection.execute(
            text(
                "SELECT element_id, period_id, unit_id, coc_id, aoc_id, value_num FROM data_values "
                "WHERE value_num IS NOT NULL"
            )
        )
        return sorted(tuple(r) for r in rows)


def test_import_export_round_trip_is_identical(
    store: Store, tmp_path: Path, store_url: str
) -> None:
    load_sample(store, tmp_path)
    first_json, first_csv = export(store, "dhis2-json"), export(store, "csv")
    assert len(json.loads(first_json)["dataValues"]) == 14
    assert first_csv.splitlines()[0].startswith("dataelement,period,orgunit,")
    # A second store of the same kind, loaded from the export, exports the same files.
    if store_url.startswith("sqlite"):
        other_url = f"sqlite:///{tmp_path / 'other' / 'convenio.db'}"
    else:
        other_url = store_url  # same schema: clear it and reload
        with store.unit_of_work(write=True) as uow:
            uow.connection.execute(text("DELETE FROM data_values"))
            uow.commit()
    other = Store(other_url) if other_url != store_url else store
    try:
        if other is not store:
            load_sample(other, tmp_path, values=HEADER)
        result = import_file(other, write(tmp_path, "export.json", first_json))
        assert result.added == 14 and result.unchanged == 0
        assert export(other, "dhis2-json") == first_json
        assert export(other, "csv") == first_csv
        again = import_file(other, write(tmp_path, "export.csv", first_csv))
        assert (again.added, again.updated, again.unchanged) == (0, 0, 14)
    finally:
        if other is not store:
            other.close()


def test_importing_the_same_file_again_changes_nothing(store: Store, tmp_path: Path) -> None:
    load_sample(store, tmp_path)
    before, exported = counts(store), export(store, "dhis2-json")
    result = import_file(store, tmp_path / "values.csv")
    assert (result.added, result.updated, result.deleted, result.unchanged) == (0, 0, 0, 14)
    assert counts(store) == before
    assert export(store, "dhis2-json") == exported


def test_a_dry_run_writes_nothing(store: Store, tmp_path: Path) -> None:
    load_sample(store, tmp_path, values=HEADER)
    before = counts(store)
    result = import_file(store, write(tmp_path, "v.csv", VALUES_CSV), dry_run=True)
    assert (result.added, result.dry_run) == (14, True)
    assert counts(store) == before == (0, 0, before[2])
    assert mirror_rows(store) in (None, [])


def test_changes_and_deletions_reach_the_mirror(store: Store, tmp_path: Path) -> None:
    load_sample(store, tmp_path)
    changes = HEADER + (
        "CONSULT,200501,CLIN-1,F_A15P,,125,,,,,\n"  # updated
        "CONSULT,200501,CLIN-1,M_A15P,,,,,,,true\n"  # deleted
        "CONSULT,200501,CLIN-2,M_A15P,,9,,,,,\n"  # added
        "POP,2005,CLIN-1,,,1000,,,,,\n"  # unchanged
        "POP,2005,CLIN-2,,,,,,,,true\n"  # deleted
        "POP,2006,CLIN-2,,,,,,,,true\n"  # nothing to delete
        "NOTES,200501,CLIN-1,,,other text,,,,,\n"  # updated, text: not mirrored
    )
    result = import_file(store, write(tmp_path, "changes.csv", changes))
    assert (result.added, result.updated, result.deleted, result.unchanged) == (1, 2, 2, 2)
    assert counts(store)[0] == 13
    mirrored = mirror_rows(store)
    if mirrored is not None:
        assert mirrored == store_numeric_rows(store)
        assert len(mirrored) == 12
    with store.unit_of_work() as uow:
        rows = query(uow, "CONSULT", "200501", "VE-ZU")
    assert [(r.ou, r.value) for r in rows] == [("VE-ZU", 134)]


def test_a_stale_or_missing_mirror_is_rebuilt(store: Store, tmp_path: Path) -> None:
    load_sample(store, tmp_path)
    with store.unit_of_work() as uow:
        mirror = uow.missions.mirror
    if mirror is None:
        pytest.skip("PostgreSQL answers analytics itself: there is no mirror")
    con = duckdb.connect(str(mirror.path))
    con.execute("DELETE FROM mirrored_values")
    con.execute("UPDATE mirror_state SET version = version - 1")
    con.close()
    with store.unit_of_work() as uow:
        assert [r.value for r in query(uow, "POP", "2005", "VE")] == [3500]
    assert mirror_rows(store) == store_numeric_rows(store)
    mirror.path.unlink()
    # An import into a mirror that is missing rebuilds it too, with the new value.
    import_file(store, write(tmp_path, "more.csv", HEADER + "POP,2006,CLIN-1,,,1010,,,,,\n"))
    assert mirror_rows(store) == store_numeric_rows(store)
    assert len(store_numeric_rows(store)) == 14


def test_expired_periods_are_locked_until_reopened(store: Store, tmp_path: Path) -> None:
    load_sample(store, tmp_path)
    late = write(tmp_path, "late.csv", HEADER + "CONSULT,200501,CLIN-1,F_A15P,,121,,,,,\n")
    with pytest.raises(InputError) as caught:
        import_file(store, late, today=date(2005, 3, 3))
    assert str(caught.value).startswith(
        f"{late}:2: period: 200501 is locked: data set BA_MONTHLY took changes until 2005-03-02"
    )
    # The same value again is no change, so no lock is in the way.
    same = write(tmp_path, "same.csv", HEADER + "CONSULT,200501,CLIN-1,F_A15P,,120,,,,,\n")
    assert import_file(store, same, today=date(2010, 1, 1)).unchanged == 1
    with store.unit_of_work(write=True) as uow:
        assert missions.reopen_period(uow, "BA_MONTHLY", "200501") is True
    with store.unit_of_work(write=True) as uow:
        assert missions.reopen_period(uow, "BA_MONTHLY", "200501") is False
    assert import_file(store, late, today=date(2005, 3, 3)).updated == 1
    with store.unit_of_work(write=True) as uow, pytest.raises(InputError, match="takes Monthly"):
        missions.reopen_period(uow, "BA_MONTHLY", "2005Q1")


def test_settled_periods_are_locked(store: Store, tmp_path: Path) -> None:
    load_sample(store, tmp_path)
    with store.unit_of_work(write=True) as uow:
        uow.connection.execute(
            text(
                "INSERT INTO settlement_runs (id, period, period_start, period_end, "
                "party_a, party_b, "
                "currency, generation, status, statement, transactions, created_at) VALUES "
                "('settle/2005Q1/CUB/VEN/1', '2005Q1', '2005-01-01', '2005-03-31', 'CUB', 'VEN', "
                "'USD', 1, 'settled', '{}', '[]', 0)"
            )
        )
        uow.commit()
    change = write(tmp_path, "c.csv", HEADER + "CONSULT,200502,CLIN-2,F_A0_14,,4,,,,,\n")
    with pytest.raises(
        InputError, match=r"200502 is locked: settlement run settle/2005Q1/CUB/VEN/1 settled 2005Q1"
    ):
        import_file(store, change)
    year = write(tmp_path, "y.csv", HEADER + "POP,2005,CLIN-3,,,2001,,,,,\n")
    with pytest.raises(InputError, match="2005 is locked"):
        import_file(store, year)
    with store.unit_of_work(write=True) as uow:
        missions.reopen_period(uow, "BA_MONTHLY", "200502")
    result = import_file(store, change)
    assert result.updated == 1 and result.settled == (
        "settlement run settle/2005Q1/CUB/VEN/1 settled 2005Q1",
    )
    reversed_run = write(tmp_path, "r.csv", HEADER + "POP,2005,CLIN-3,,,2002,,,,,\n")
    with store.unit_of_work(write=True) as uow:
        uow.connection.execute(text("UPDATE settlement_runs SET status = 'reversed'"))
        uow.commit()
    assert import_file(store, reversed_run).updated == 1


BAD = {
    "unknown org unit": (
        "CONSULT,200501,CLIN-9,F_A15P,,1,,,,,",
        "orgUnit: unknown org unit 'CLIN-9'",
    ),
    "unknown element": (
        "CONSULTS,200501,CLIN-1,F_A15P,,1,,,,,",
        "dataElement: unknown data element",
    ),
    "unknown option": (
        "CONSULT,200501,CLIN-1,F_A99,,1,,,,,",
        "categoryOptionCombo: unknown category option combo",
    ),
    "wrong period type": (
        "CONSULT,2005,CLIN-1,F_A15P,,1,,,,,",
        "period: 2005 is Yearly; data set BA_MONTHLY",
    ),
    "not a number": ("CONSULT,200501,CLIN-1,F_A15P,,1O,,,,,", "value: '1O' is not an integer"),
    "same key twice": (
        "POP,2006,CLIN-1,,,1,,,,,",
        "the same key POP/2006/CLIN-1/default/default is already on line 2",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_named_and_nothing_is_imported(
    store: Store, tmp_path: Path, case: str
) -> None:
    load_sample(store, tmp_path, values=HEADER)
    row, message = BAD[case]
    body = HEADER + "POP,2006,CLIN-1,,,1,,,,,\n" + "POP,2006,CLIN-2,,,2,,,,,\n" + row + "\n"
    path = write(tmp_path, "bad.csv", body)
    with pytest.raises(InputError) as caught:
        import_file(store, path)
    assert str(caught.value).startswith(f"{path}:4: ")
    assert message in str(caught.value)
    assert counts(store)[:2] == (0, 0)


def test_json_that_is_not_well_formed_imports_nothing(store: Store, tmp_path: Path) -> None:
    load_sample(store, tmp_path, values=HEADER)
    path = write(tmp_path, "bad.json", '{"dataValues": [\n {"dataElement": "POP", "value": "1"}\n')
    with pytest.raises(InputError, match=r"bad.json:3: not well-formed JSON"):
        import_file(store, path)
    assert counts(store)[0] == 0


def test_a_moved_clinic_keeps_its_past_where_it_was(store: Store, tmp_path: Path) -> None:
    load_sample(store, tmp_path)
    with store.unit_of_work(write=True) as uow:
        result = missions.load_org_units(
            uow, write(tmp_path, "moved.csv", MOVED_CSV), date(2005, 7, 1)
        )
    assert (result.added, result.changed) == (0, 1)
    august = write(tmp_path, "aug.csv", HEADER + "CONSULT,200508,CLIN-2,F_A0_14,,7,,,,,\n")
    import_file(store, august, today=date(2005, 8, 20))
    with store.unit_of_work() as uow:
        rows = query(uow, "CONSULT", "Monthly;2005", "VE;LEVEL-2")
    assert [(r.pe, r.ou, r.value) for r in rows] == [
        ("200501", "VE-DC", 50),
        ("200508", "VE-DC", 7),
        ("2005", "VE-DC", 57),
        ("200501", "VE-ZU", 200),
        ("200502", "VE-ZU", 3),
        ("2005", "VE-ZU", 203),
    ]


def test_metadata_that_values_depend_on_cannot_change(store: Store, tmp_path: Path) -> None:
    load_sample(store, tmp_path)
    changed = METADATA_YAML.replace(
        "{id: POP, name: Population, valueType: INTEGER}",
        "{id: POP, name: Population, valueType: INTEGER, categoryCombo: SEX}",
    )
    with (
        store.unit_of_work(write=True) as uow,
        pytest.raises(ConflictError, match="POP has 3 stored value"),
    ):
        missions.load_metadata(uow, write(tmp_path, "m2.yaml", changed))
    # Loading the same metadata again is fine and changes nothing.
    with store.unit_of_work(write=True) as uow:
        missions.load_metadata(uow, tmp_path / "meta.yaml")
    assert counts(store)[0] == 14
