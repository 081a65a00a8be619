"""Every loader on files as spreadsheets save them (docs/files.md), end to end.

The same files are loaded plain into one store and re-saved into another — with a UTF-8
BOM, in Windows-1252 (`--encoding cp1252`), in the Spanish locale (`--locale es`: ';',
decimal comma, thousands dot) and as .xlsx with typed cells on a second sheet
(`--sheet Datos`) — and the stored rows and balances of the two stores must be equal.
The re-saved files without their option are refused with exit 2 and the hint. Then the
errors: a cell located by sheet, row and column letter; a malformed Spanish number;
50 problems on screen and all of them in --errors-file; a field over the csv module's
limit; the time a file of many bad rows takes is not measured here (docs/files.md).
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
from collections.abc import Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner, Result

from convenio.cli.main import app
from convenio.examples import EXAMPLES
from convenio.files.numbers import format_spanish
from convenio.settings import get_settings
from tests.cases_data import EVENTS_CSV, KEY, PEOPLE_CSV
from tests.e2e.cli import one_line
from tests.missions_data import METADATA_YAML, ORG_UNITS_CSV, VALUES_CSV

NUMERIC = {"amount", "price", "quantity", "floor", "ceiling", "value"}
DATES = {"date", "start", "end", "birth_date"}
VARIANTS = ("bom", "cp1252", "es", "xlsx")
FLAGS = {
    "plain": (),
    "bom": (),
    "cp1252": ("--encoding", "cp1252"),
    "es": ("--locale", "es"),
    "xlsx": ("--sheet", "Datos"),
}
HINTS = {
    "cp1252": "add --encoding cp1252",
    "es": "this file looks separated by ';' (a Spanish-locale spreadsheet): add --locale es",
}

FINANCING = [  # (command, tabular file or None, YAML file or None)
    (("terms", "load", "{tutorial.yaml}"), None),
    (("ledger", "open", "--file", "{accounts.csv}"), "accounts.csv"),
    (("ledger", "post", "{journal.csv}"), "journal.csv"),
    (("prices", "load", "{prices.csv}"), "prices.csv"),
    (("deliveries", "load", "{deliveries.csv}"), "deliveries.csv"),
    (("payments", "load", "{payments.csv}"), "payments.csv"),
]
MISSIONS = [
    (("terms", "load", "{tutorial.yaml}"), None),
    (("orgunits", "load", "{ou.csv}", "--effective", "2004-01-01"), "ou.csv"),
    (("metadata", "load", "{meta.yaml}"), None),
    (("data", "import", "{values.csv}", "--today", "2005-03-01"), "values.csv"),
    (("cooperants", "load", "{coop.csv}"), "coop.csv"),
    (("deployments", "load", "{dep.csv}"), "dep.csv"),
    (("cases", "load", "{events.csv}", "--people", "{people.csv}"), "events.csv"),
]


def _texts() -> dict[str, str]:
    texts = {
        name: (EXAMPLES / name).read_text(encoding="utf-8")
        for name in (
            *("tutorial.yaml", "accounts.csv", "journal.csv"),
            *("prices.csv", "deliveries.csv", "payments.csv"),
        )
    }
    texts["payments.csv"] = texts["payments.csv"].replace(
        "first quarter", "primer trimestre del año 1"
    )
    texts |= {
        "ou.csv": ORG_UNITS_CSV.replace("Distrito Capital,", "Distrito Capital (Caracas y Perú),"),
        "meta.yaml": METADATA_YAML,
        "values.csv": VALUES_CSV,
        "coop.csv": "id,profession,party\nc1,teacher,XBO\nc2,nurse,XBO\nc3,teacher,XBO\n",
        "dep.csv": "id,cooperant_id,org_unit,start,end,mission\n"
        "d1,c1,CLIN-1,2011-09-01,,\nd2,c2,CLIN-1,2011-10-01,2011-10-31,\n"
        "d3,c3,CLIN-3,2011-10-17,2011-10-31,ROBINSON\n",
        "events.csv": EVENTS_CSV,
        "people.csv": PEOPLE_CSV,
    }
    return texts


def _number(text: str) -> object:
    """A typed spreadsheet cell for a plain decimal text: int or float; else the text."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return text
    return int(value) if "." not in text else float(value)


def resave(folder: Path, name: str, text: str, variant: str) -> str:
    """Write `text` (a CSV or YAML file's) as `variant` saves it; the new file's name."""
    folder.mkdir(parents=True, exist_ok=True)
    if name.endswith(".yaml"):
        if variant == "bom":
            (folder / name).write_text("\ufeff" + text, encoding="utf-8")
        elif variant == "cp1252":
            (folder / name).write_text(text, encoding="cp1252")
        else:
            (folder / name).write_text(text, encoding="utf-8")
        return name
    header, *body = list(csv.reader(io.StringIO(text)))
    if variant == "xlsx":
        book = Workbook()
        notes = book.active
        assert notes is not None
        notes.title = "Notas"
        notes.append(["Hoja de trabajo; los datos están en la hoja Datos"])
        sheet = book.create_sheet("Datos")
        sheet.append(header)
        for row in body:
            cells: list[object] = []
            for column, value in zip(header, row, strict=True):
                if value and column in NUMERIC:
                    cells.append(_number(value))
                elif value and column in DATES:
                    cells.append(date.fromisoformat(value))
                else:
                    cells.append(value or None)
            sheet.append(cells)
        saved = name.replace(".csv", ".xlsx")
        book.save(folder / saved)
        return saved
    delimiter = ";" if variant == "es" else ","
    if variant == "es":
        body = [
            [
                format_spanish(v) if c in NUMERIC and isinstance(_number(v), int | float) else v
                for c, v in zip(header, row, strict=True)
            ]
            for row in body
        ]
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows([header, *body])
    encoding = {"bom": "utf-8-sig", "cp1252": "cp1252"}.get(variant, "utf-8")
    (folder / name).write_text(out.getvalue(), encoding=encoding, newline="")
    return name


class Convenio:
    """`convenio` in `folder`, on the store of `folder/data`, with CONVENIO_SECRET_KEY."""

    def __init__(self, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.folder, self.monkeypatch = folder, monkeypatch
        folder.mkdir(parents=True, exist_ok=True)

    def __call__(self, *args: str) -> Result:
        self.monkeypatch.setenv("CONVENIO_DATA_DIR", str(self.folder / "data"))
        self.monkeypatch.setenv("CONVENIO_DATABASE_URL", "")
        self.monkeypatch.setenv("CONVENIO_SECRET_KEY", KEY)
        self.monkeypatch.setenv("COLUMNS", "1000")
        self.monkeypatch.chdir(self.folder)
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(app, list(args))
        finally:
            get_settings.cache_clear()

    def ok(self, *args: str) -> str:
        result = self(*args)
        assert result.exit_code == 0, (args, result.stdout, result.stderr, result.exception)
        return result.stdout

    def rows(self, table: str, *dropped: str) -> list[tuple[object, ...]]:
        """Every row of a store table, without the columns that say when it was written."""
        with sqlite3.connect(self.folder / "data" / "convenio.db") as con:
            columns = [c[1] for c in con.execute(f"PRAGMA table_info({table})")]
            kept = ", ".join(c for c in columns if c not in dropped)
            return sorted(con.execute(f"SELECT {kept} FROM {table}"), key=repr)


def _load(
    convenio: Convenio,
    steps: list[tuple[tuple[str, ...], str | None]],
    variant: str,
    texts: dict[str, str],
) -> None:
    """Save every file as `variant` does and run the steps with the variant's option."""
    names = {name: resave(convenio.folder, name, text, variant) for name, text in texts.items()}
    for command, tabular in steps:
        args = [names[a[1:-1]] if a.startswith("{") else a for a in command]
        yaml_step = tabular is None
        flags = FLAGS[variant]
        if yaml_step:
            flags = FLAGS[variant] if variant in ("plain", "bom", "cp1252") else ()
        elif variant in HINTS and (variant == "es" or any(ord(ch) > 127 for ch in texts[tabular])):
            refused = convenio(*args)  # the same file without its option
            assert refused.exit_code == 2, (args, refused.stdout, refused.stderr)
            assert HINTS[variant] in one_line(refused.stderr), refused.stderr
        if yaml_step and variant == "cp1252":
            refused = convenio(*args)
            assert refused.exit_code == 2 and HINTS["cp1252"] in one_line(refused.stderr)
        convenio.ok(*args, *flags)


def _financing_state(convenio: Convenio) -> dict[str, object]:
    return {
        "balances": json.loads(
            convenio.ok("ledger", "balances", "--as-of", "2024-06-30", "--json")
        ),
        "accounts": convenio.rows("accounts", "opened_at"),
        # a typed cell keeps the number, not its trailing zeros: 88.40 is read as 88.4
        "prices": [(s, d, Decimal(str(p))) for s, d, p in convenio.rows("price_points")],
        "deliveries": convenio.rows("deliveries"),
        "payments": convenio.rows("payments"),
    }


def _missions_state(convenio: Convenio) -> dict[str, object]:
    return {
        "values": [  # without the time each was written
            {k: v for k, v in row.items() if k != "lastupdated"}
            for row in csv.DictReader(io.StringIO(convenio.ok("data", "export")))
        ],
        "stored": convenio.rows("data_values", "created", "last_updated"),
        "units": convenio.rows("org_unit_versions"),
        "cooperants": convenio.rows("cooperants"),
        "deployments": convenio.rows("deployments"),
        "person_months": convenio.ok("deployments", "person-months", "2011-10", "--json"),
        "cases": convenio.ok("cases", "indicators", "--pathway", "eye-surgery", "--json"),
        "people": len(convenio.rows("case_people")),
    }


@pytest.fixture(scope="module")
def plain_states(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """The stores loaded from the plain files (computed once for every variant)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        folder = tmp_path_factory.mktemp("plain")
        texts = _texts()
        financing = Convenio(folder / "financing", monkeypatch)
        _load(financing, FINANCING, "plain", texts)
        missions = Convenio(folder / "missions", monkeypatch)
        _load(missions, MISSIONS, "plain", texts)
        yield {"financing": _financing_state(financing), "missions": _missions_state(missions)}


@pytest.mark.parametrize("variant", VARIANTS)
def test_financing_files_as_saved_by_spreadsheets_store_the_same(
    variant: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    plain_states: dict[str, dict[str, object]],
) -> None:
    convenio = Convenio(tmp_path, monkeypatch)
    _load(convenio, FINANCING, variant, _texts())
    state = _financing_state(convenio)
    expected = plain_states["financing"]
    assert len(expected["payments"]) == 2 and len(expected["prices"]) == 26  # type: ignore[arg-type]
    assert state == expected


@pytest.mark.parametrize("variant", VARIANTS)
def test_mission_files_as_saved_by_spreadsheets_store_the_same(
    variant: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    plain_states: dict[str, dict[str, object]],
) -> None:
    convenio = Convenio(tmp_path, monkeypatch)
    _load(convenio, MISSIONS, variant, _texts())
    state = _missions_state(convenio)
    expected = plain_states["missions"]
    assert len(expected["values"]) == 14  # type: ignore[arg-type]
    assert expected["people"] == 3
    assert state == expected


# -- errors a person can read ----------------------------------------------------------


@pytest.fixture
def financed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Convenio:
    convenio = Convenio(tmp_path, monkeypatch)
    convenio.ok("terms", "load", str(EXAMPLES / "tutorial.yaml"))
    return convenio


PAYMENTS_HEADER = "payment_id,date,payer,payee,amount,currency,reference\n"


def test_an_xlsx_cell_is_located_by_sheet_row_and_column(financed: Convenio) -> None:
    text = (
        PAYMENTS_HEADER + "P1,2024-03-28,XBO,XAT,1500,USD,a\nP2,2024-03-29,XBO,XAT,12.345,USD,b\n"
    )
    name = resave(financed.folder, "payments.csv", text, "xlsx")
    result = financed("payments", "load", name, "--sheet", "Datos")
    assert result.exit_code == 2
    assert one_line(result.stderr).startswith(
        "error: payments.xlsx[Datos]:row 3:column E (amount): "
    ), result.stderr
    assert "0 added" not in result.stdout
    assert financed.rows("payments") == []


def test_a_malformed_spanish_number_is_located_and_nothing_is_written(financed: Convenio) -> None:
    (financed.folder / "p.csv").write_text(
        "payment_id;date;payer;payee;amount;currency;reference\n"
        "P1;2024-03-28;XBO;XAT;1.500,00;USD;a\nP2;2024-03-29;XBO;XAT;1.23,4;USD;b\n"
    )
    result = financed("payments", "load", "p.csv", "--locale", "es")
    assert result.exit_code == 2
    assert one_line(result.stderr) == (
        "error: p.csv:3: amount: '1.23,4' is not a number written the Spanish way (--locale "
        "es: thousands grouped by '.' in threes, decimals after ',', e.g. 1.234,56)"
    )
    assert financed.rows("payments") == []


def test_fifty_problems_on_screen_and_all_of_them_in_the_errors_file(financed: Convenio) -> None:
    bad = 120
    (financed.folder / "bad.csv").write_text(
        PAYMENTS_HEADER + "".join(f"P{i},2024-13-01,XBO,XAT,1.00,USD,\n" for i in range(bad))
    )
    result = financed("payments", "load", "bad.csv")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == f"error: bad.csv: {bad} problems, nothing was written"
    listed = [line for line in lines if line.startswith("  bad.csv:")]
    assert len(listed) == 50
    assert listed[0].strip().startswith("bad.csv:2: date: ")
    assert lines[-1] == f"  … and {bad - 50} more (all of them: --errors-file F.csv)"

    result = financed("payments", "load", "bad.csv", "--errors-file", "out/errors.csv")
    assert result.exit_code == 2
    assert f"… and {bad - 50} more (all of them: out/errors.csv)" in result.stderr
    with (financed.folder / "out" / "errors.csv").open(encoding="utf-8", newline="") as f:
        written = list(csv.DictReader(f))
    assert [(r["file"], r["line"], r["field"]) for r in written] == [
        ("bad.csv", str(line), "date") for line in range(2, bad + 2)
    ]
    assert all("2024-13-01" in r["message"] for r in written)
    assert not [n for n in os.listdir(financed.folder / "out") if n != "errors.csv"]

    (financed.folder / "blocked").write_text("a file where a folder would be")
    result = financed("payments", "load", "bad.csv", "--errors-file", "blocked/errors.csv")
    assert result.exit_code == 2  # the load's own error; the file's failure is a note
    assert "note: --errors-file blocked/errors.csv: cannot write there" in result.stderr
    assert f"… and {bad - 50} more (all of them: --errors-file F.csv)" in result.stderr


def test_a_field_over_the_csv_modules_limit_is_read(financed: Convenio) -> None:
    reference = "r" * 131_073
    (financed.folder / "p.csv").write_text(
        PAYMENTS_HEADER + f"P1,2024-03-28,XBO,XAT,1500.00,USD,{reference}\n"
    )
    result = financed("payments", "load", "p.csv")
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == 0, result.stderr
    assert financed.rows(
        "payments", "id", "payer", "payee", "amount", "currency", "date", "digest"
    ) == [(reference,)]


def test_json_and_yaml_inputs_take_a_bom_and_an_encoding(financed: Convenio) -> None:
    journal = [
        {
            "id": "open-XAT",
            "date": "2024-01-01",
            "description": "Atlántida abre su caja",
            "postings": [
                {"account": "XAT/reserves/treasury", "amount": "10.00", "unit": "USD"},
                {"account": "XAT/equity/opening", "amount": "-10.00", "unit": "USD"},
            ],
        }
    ]
    financed.ok("ledger", "open", "--file", str(EXAMPLES / "accounts.csv"))
    (financed.folder / "j.json").write_text(json.dumps(journal, ensure_ascii=False), "cp1252")
    refused = financed("ledger", "post", "j.json")
    assert refused.exit_code == 2 and HINTS["cp1252"] in one_line(refused.stderr)
    assert "posted 1 transaction(s)" in financed.ok(
        "ledger", "post", "j.json", "--encoding", "cp1252"
    )
    (financed.folder / "j.json").write_text("\ufeff" + json.dumps(journal), encoding="utf-8")
    assert "1 already recorded" in financed.ok("ledger", "post", "j.json")
    (financed.folder / "t.yaml").write_text((EXAMPLES / "tutorial.yaml").read_text(), "cp1252")
    refused = financed("terms", "check", "t.yaml")
    assert refused.exit_code == 2 and HINTS["cp1252"] in one_line(refused.stderr)
    assert "ok: t.yaml" in financed.ok("terms", "check", "t.yaml", "--encoding", "cp1252")
    unknown = financed("terms", "check", str(EXAMPLES / "tutorial.yaml"), "--encoding", "klingon")
    assert unknown.exit_code == 2
    assert "--encoding: unknown encoding 'klingon'" in one_line(unknown.stderr)


def test_the_progress_bar_shows_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    from convenio.cli import progress as module

    for terminal, shown in ((False, False), (True, True)):
        screen = io.StringIO()
        console = Console(file=screen, force_terminal=terminal, width=80)
        monkeypatch.setattr(module, "err_console", console)
        with module.progress(after=0) as tell:
            tell("reading payments.csv", 5, 10)
            tell("posting 7 transactions", 0, 0)
        assert ("posting 7 transactions" in screen.getvalue()) is shown


def test_a_bulk_import_reads_spreadsheet_files_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    convenio = Convenio(tmp_path, monkeypatch)
    (tmp_path / "ou.csv").write_text(ORG_UNITS_CSV)
    (tmp_path / "meta.yaml").write_text(METADATA_YAML)
    convenio.ok("orgunits", "load", "ou.csv", "--effective", "2004-01-01")
    convenio.ok("metadata", "load", "meta.yaml")
    rows = (
        "dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value\n"
        "POP,2005,CLIN-1,,,1200\nPOP,2005,CLIN-2,,,3400\nPOP,2006,CLIN-3,,,56\n"
    )
    today = ("--bulk", "--today", "2005-03-01")
    name = resave(tmp_path, "v.csv", rows, "es")
    assert "1.200" in (tmp_path / name).read_text()
    refused = convenio("data", "import", name, *today)
    assert refused.exit_code == 2 and HINTS["es"] in one_line(refused.stderr)
    assert "3 added" in convenio.ok("data", "import", name, *today, "--locale", "es")
    name = resave(tmp_path, "v.csv", rows, "xlsx")
    out = convenio.ok("data", "import", name, *today, "--sheet", "Datos")
    assert "0 added, 0 updated, 0 deleted, 3 unchanged" in out
    exported = convenio.ok("data", "export")
    assert "POP,2005,CLIN-2,default,default,3400," in exported
    name = resave(tmp_path, "v.csv", rows.replace(",56\n", ",5.6\n"), "xlsx")
    result = convenio("data", "import", name, *today, "--sheet", "Datos")
    assert result.exit_code == 2
    assert "v.xlsx[Datos]:row 4:column F (value): '5.6' is not an integer" in one_line(
        result.stderr
    ), result.stderr
