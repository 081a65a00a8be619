"""The missions commands end to end: the real Typer app on an embedded store (SQLite and
its DuckDB mirror) in a temporary data directory. Exit code 2 for bad input, 3 for a
conflict; messages name the file, the line and the field."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.e2e.cli import Run, ok, one_line
from tests.missions_data import HEADER, METADATA_YAML, MOVED_CSV, ORG_UNITS_CSV, TODAY, VALUES_CSV


@pytest.fixture
def loaded(run: Run, tmp_path: Path) -> Run:
    (tmp_path / "ou.csv").write_text(ORG_UNITS_CSV)
    (tmp_path / "meta.yaml").write_text(METADATA_YAML)
    (tmp_path / "values.csv").write_text(VALUES_CSV)
    assert "8 added, 0 changed" in ok(
        run("orgunits", "load", "ou.csv", "--effective", "2004-01-01")
    )
    assert "6 data elements, 3 data sets, 2 indicators" in one_line(
        ok(run("metadata", "load", "meta.yaml"))
    )
    out = ok(run("data", "import", "values.csv", "--today", TODAY))
    assert "14 added, 0 updated, 0 deleted, 0 unchanged" in out
    return run


def test_load_import_export_and_query(loaded: Run, tmp_path: Path) -> None:
    run = loaded
    assert (tmp_path / "data" / "analytics.duckdb").exists()
    assert "0 added, 0 updated, 0 deleted, 14 unchanged" in ok(run("data", "import", "values.csv"))
    ok(run("data", "export", "--format", "dhis2-json", "-o", "out.json"))
    document = json.loads((tmp_path / "out.json").read_text())
    assert len(document["dataValues"]) == 14
    assert "14 unchanged" in ok(run("data", "import", "out.json"))
    exported = ok(run("data", "export"))
    assert exported.splitlines()[0] == HEADER.strip()
    rows = json.loads(
        ok(
            run(
                "analytics",
                "query",
                "--dx",
                "LITERACY_RATE;CONSULT_PER_1000",
                "--pe",
                "2005",
                "--ou",
                "VE;LEVEL-2",
                "--json",
            )
        )
    )
    table = [(r["dx"], r["ou"], r["value"], r["flag"], r["target"]) for r in rows]
    assert table == [
        ("LITERACY_RATE", "VE-ZU", "97.5", "free of illiteracy", "96"),
        ("CONSULT_PER_1000", "VE-DC", "25.00", None, None),
        ("CONSULT_PER_1000", "VE-ZU", "135.33", None, None),
    ]
    table = ok(run("analytics", "query", "--dx", "LITERACY_RATE", "--pe", "2005", "--ou", "VE-ZU"))
    text = one_line(table.replace("│", " "))
    assert "Literacy rate, aged 15+ (%) 2005 Zulia 97.5 975 1,000 96 free of illiteracy" in text


def test_public_csv_suppresses_small_counts(loaded: Run) -> None:
    out = ok(
        loaded(
            "analytics",
            "query",
            "--dx",
            "CONSULT",
            "--pe",
            "Monthly",
            "--ou",
            "VE;LEVEL-2",
            "--csv",
            "--public",
        )
    )
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["pe"], r["ou"], r["value"], r["suppressed"]) for r in rows] == [
        ("200501", "VE-DC", "50", "false"),
        ("200501", "VE-ZU", "200", "false"),
        ("200502", "VE-ZU", "", "true"),
    ]


def test_dry_run_and_bad_input(loaded: Run, tmp_path: Path) -> None:
    run = loaded
    (tmp_path / "new.csv").write_text(HEADER + "POP,2006,CLIN-1,,,1100,,,,,\n")
    assert "1 added" in ok(run("data", "import", "new.csv", "--dry-run"))
    assert "dry run: nothing written" in ok(run("data", "import", "new.csv", "--dry-run"))
    assert len(ok(run("data", "export")).splitlines()) == 15  # header and 14 values
    (tmp_path / "bom.csv").write_text("\ufeff" + HEADER + "POP,2007,CLIN-1,,,5,,,,,\n")
    assert "1 added" in ok(run("data", "import", "bom.csv", "--dry-run"))  # Excel's BOM
    (tmp_path / "bad.csv").write_text(
        HEADER + "POP,2006,CLIN-9,,,1,,,,,\n" + "CONSULT,2006Q1,CLIN-1,F_A15P,,x,,,,,\n"
    )
    result = run("data", "import", "bad.csv")
    assert result.exit_code == 2
    assert one_line(result.stderr) == one_line(
        "error: bad.csv: 3 problems, nothing was written "
        "bad.csv:2: orgUnit: unknown org unit 'CLIN-9' "
        "bad.csv:3: period: 2006Q1 is Quarterly; data set BA_MONTHLY takes Monthly periods "
        "bad.csv:3: value: 'x' is not an integer (INTEGER)"
    )
    (tmp_path / "bad.json").write_text('{"dataValues": [')
    result = run("data", "import", "bad.json")
    assert result.exit_code == 2 and "bad.json:1: not well-formed JSON" in result.stderr
    result = run("analytics", "query", "--dx", "NOPE", "--pe", "2005", "--ou", "VE")
    assert (
        result.exit_code == 2 and "--dx: unknown data element or indicator 'NOPE'" in result.stderr
    )
    result = run("data", "export", "--format", "xml")
    assert result.exit_code == 2


def test_locks_reopen_and_moves(loaded: Run, tmp_path: Path) -> None:
    run = loaded
    (tmp_path / "late.csv").write_text(HEADER + "CONSULT,200501,CLIN-1,F_A15P,,121,,,,,\n")
    result = run("data", "import", "late.csv", "--today", "2005-06-01")
    assert result.exit_code == 2
    assert "reopen it with `convenio data reopen BA_MONTHLY 200501`" in one_line(result.stderr)
    assert "reopened" in ok(run("data", "reopen", "BA_MONTHLY", "200501"))
    assert "1 updated" in ok(run("data", "import", "late.csv", "--today", "2005-06-01"))
    (tmp_path / "moved.csv").write_text(MOVED_CSV)
    assert "0 added, 1 changed (from 2005-07-01)" in ok(
        run("orgunits", "load", "moved.csv", "--effective", "2005-07-01")
    )
    rows = json.loads(
        ok(run("analytics", "query", "--dx", "POP", "--pe", "2005", "--ou", "LEVEL-2", "--json"))
    )
    # The census value of 2005 is reported by a clinic that was in Zulia on 1 January 2005.
    assert {r["ou"]: r["value"] for r in rows} == {"VE-ZU": "1500", "VE-DC": "2000"}
    (tmp_path / "m2.yaml").write_text(
        METADATA_YAML.replace(
            "valueType: INTEGER, categoryCombo: SEX_AGE",
            "valueType: NUMBER, categoryCombo: SEX_AGE",
        )
    )
    result = run("metadata", "load", "m2.yaml")
    assert result.exit_code == 3 and "CONSULT has 4 stored value(s)" in result.stderr


def test_bulk_import_of_parquet_and_its_refusals(loaded: Run, tmp_path: Path) -> None:
    import duckdb

    rows = (
        "dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value\n"
        "CONSULT,200503,CLIN-1,F_A15P,,10\nCONSULT,200503,CLIN-2,M_A15P,,20\n"
    )
    (tmp_path / "bulk.csv").write_text(rows)
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * FROM read_csv('{tmp_path / 'bulk.csv'}', all_varchar = true)) "
        f"TO '{tmp_path / 'bulk.parquet'}' (FORMAT parquet)"
    )
    con.close()
    out = ok(loaded("data", "import", "bulk.parquet", "--bulk", "--today", TODAY))
    assert "2 added, 0 updated, 0 deleted, 0 unchanged" in out
    out = ok(loaded("data", "import", "bulk.csv", "--bulk", "--today", TODAY))
    assert "0 added, 0 updated, 0 deleted, 2 unchanged" in out
    assert "CONSULT,200503,CLIN-2,M_A15P,BARRIO_ADENTRO,20," in ok(loaded("data", "export"))
    (tmp_path / "bad.csv").write_text(rows.replace(",20\n", ",2.5\n"))
    result = loaded("data", "import", "bad.csv", "--bulk", "--today", TODAY)
    assert result.exit_code == 2
    assert "bad.csv:3: value: '2.5' is not an integer" in one_line(result.stderr)
