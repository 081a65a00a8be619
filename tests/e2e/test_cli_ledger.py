"""The `convenio` command end to end: the real Typer app on an embedded store in a
temporary data directory. Exit codes: 2 bad input, 3 conflict, 4 a ledger that does not
verify; messages name the file, the line and the field."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.e2e.cli import Run, ok, one_line

HEADER = "txn_id,date,account,amount,unit,description\n"
JOURNAL_CSV = HEADER + (
    "d1,2011-01-10,VEN/oil,1000.000,bbl,opening stock\n"
    "d1,2011-01-10,CUB/oil,-1000.000,bbl,\n"
    # 250.5 bbl at 80.00 USD = 20040.00 USD
    "s1,2011-02-01,VEN/oil,-250.500,bbl,shipment 1\n"
    "s1,2011-02-01,CUB/oil,250.500,bbl,\n"
    "s1,2011-02-01,VEN/claims/CUB,20040.00,USD,\n"
    "s1,2011-02-01,CUB/debt/VEN,-20040.00,USD,\n"
)
# 3.5 person-months of doctors set against the claim: 1750.25 USD.
JOURNAL_JSON = """[
  {"id": "m1", "date": "2011-03-15", "description": "doctors",
   "postings": [
     {"account": "CUB/services/provided", "amount": 3.5, "unit": "person-month"},
     {"account": "VEN/services/received", "amount": -3.5, "unit": "person-month"},
     {"account": "VEN/claims/CUB", "amount": -1750.25, "unit": "USD"},
     {"account": "CUB/debt/VEN", "amount": 1750.25, "unit": "USD"}]}
]
"""
ACCOUNTS_CSV = (
    "account,unit,kind,floor,ceiling\n"
    "VEN/oil,bbl,asset,0,\n"
    "CUB/oil,bbl,asset,,\n"
    "VEN/claims/CUB,USD,asset,,\n"
    "CUB/debt/VEN,USD,liability,,\n"
    "CUB/services/provided,person-month,income,,\n"
    "VEN/services/received,person-month,expense,,\n"
)


def balances(run: Run, *options: str) -> dict[str, tuple[str, str]]:
    rows = json.loads(ok(run("ledger", "balances", "--json", *options)))
    assert all(set(r) == {"account", "unit", "balance"} for r in rows)
    assert all(isinstance(r["balance"], str) for r in rows)
    return {r["account"]: (r["balance"], r["unit"]) for r in rows}


BASE = {
    "CUB/debt/VEN": ("-18289.75", "USD"),
    "CUB/oil": ("-749.500", "bbl"),
    "CUB/services/provided": ("3.50", "person-month"),
    "VEN/claims/CUB": ("18289.75", "USD"),
    "VEN/oil": ("749.500", "bbl"),
    "VEN/services/received": ("-3.50", "person-month"),
}


@pytest.fixture
def ledger(run: Run, tmp_path: Path) -> Run:
    """Accounts opened from a file, the CSV and the JSON journal posted."""
    ok(run("init"))
    (tmp_path / "accounts.csv").write_text(ACCOUNTS_CSV)
    (tmp_path / "journal.csv").write_text(JOURNAL_CSV)
    (tmp_path / "journal.json").write_text(JOURNAL_JSON)
    ok(run("ledger", "open", "--file", "accounts.csv"))
    ok(run("ledger", "post", "journal.csv"))
    ok(run("ledger", "post", "journal.json"))
    return run


def test_init_creates_the_embedded_store(run: Run, tmp_path: Path) -> None:
    out = ok(run("init"))
    db = tmp_path / "data" / "convenio.db"
    assert one_line(out) == f"store ready at {db}: 0 accounts, 0 transactions"
    assert db.is_file()
    assert "0 accounts" in ok(run("init"))


def test_a_store_is_named_without_its_password() -> None:
    from sqlalchemy import create_engine

    from convenio.store import store_name

    engine = create_engine("postgresql+psycopg://treasury:s3cret@db.example/convenio")
    assert store_name(engine) == "postgresql+psycopg://treasury:***@db.example/convenio"


def test_open_one_account_with_kind_and_floor(run: Run) -> None:
    assert "opened 1 account(s), 0 already open" in ok(
        run("ledger", "open", "VEN/oil", "bbl", "--kind", "asset", "--floor", "0")
    )
    assert "opened 0 account(s), 1 already open" in ok(
        run("ledger", "open", "VEN/oil", "bbl", "--kind", "asset", "--floor", "0.000")
    )
    conflict = run("ledger", "open", "VEN/oil", "bbl", "--kind", "liability", "--floor", "0")
    assert conflict.exit_code == 3
    assert "account VEN/oil is already open as bbl, asset" in one_line(conflict.stderr)
    assert balances(run) == {"VEN/oil": ("0.000", "bbl")}


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("VEN/oil", "oz"), "unknown unit 'oz'"),
        (("VEN/oil", "bbl", "--floor", "0.0001"), "0.0001 has more than 3 decimals"),
        (("VEN/oil", "bbl", "--kind", "loan"), "'loan'"),
        (("ven oil", "bbl"), "is not an account path"),
        (("VEN/oil",), "give ACCOUNT and UNIT"),
    ],
)
def test_open_refuses_bad_input_with_exit_2(run: Run, args: tuple[str, ...], fragment: str) -> None:
    result = run("ledger", "open", *args)
    assert result.exit_code == 2
    assert fragment in one_line(result.stderr)
    assert balances(run) == {}


def test_open_from_a_file(run: Run, tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text(ACCOUNTS_CSV)
    assert "opened 6 account(s), 0 already open" in ok(
        run("ledger", "open", "--file", "accounts.csv")
    )
    assert "opened 0 account(s), 6 already open" in ok(
        run("ledger", "open", "--file", "accounts.csv")
    )
    assert balances(run) == {
        "CUB/debt/VEN": ("0.00", "USD"),
        "CUB/oil": ("0.000", "bbl"),
        "CUB/services/provided": ("0.00", "person-month"),
        "VEN/claims/CUB": ("0.00", "USD"),
        "VEN/oil": ("0.000", "bbl"),
        "VEN/services/received": ("0.00", "person-month"),
    }


def test_open_file_with_a_bad_line_exits_2_naming_it(run: Run, tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text("account,unit\nVEN/a,USD\nVEN/b,oz\n")
    result = run("ledger", "open", "--file", "accounts.csv")
    assert result.exit_code == 2
    assert "accounts.csv:3: unit: unknown unit 'oz'" in one_line(result.stderr)
    assert balances(run) == {}


def test_post_csv_and_json_then_balances_are_exact(ledger: Run) -> None:
    assert balances(ledger) == BASE


def test_post_reports_what_it_did_and_posting_again_changes_nothing(
    run: Run, tmp_path: Path
) -> None:
    (tmp_path / "accounts.csv").write_text(ACCOUNTS_CSV)
    (tmp_path / "journal.csv").write_text(JOURNAL_CSV)
    ok(run("ledger", "open", "--file", "accounts.csv"))
    first = one_line(ok(run("ledger", "post", "journal.csv")))
    assert first.startswith("posted 2 transaction(s), 0 already recorded; chain head 2 ")
    before = balances(run)
    again = one_line(ok(run("ledger", "post", "journal.csv")))
    assert again.startswith("posted 0 transaction(s), 2 already recorded; chain head 2 ")
    assert again == first.replace("posted 2", "posted 0").replace("0 already", "2 already")
    assert balances(run) == before
    assert "ok: 2 transaction(s) verified" in ok(run("ledger", "verify"))


def test_balances_as_of_a_date(ledger: Run) -> None:
    assert balances(ledger, "--as-of", "2011-01-09") == {
        name: ("0.000" if unit == "bbl" else "0.00", unit) for name, (_, unit) in BASE.items()
    }
    assert balances(ledger, "--as-of", "2011-02-01") == {
        **BASE,
        "CUB/debt/VEN": ("-20040.00", "USD"),
        "VEN/claims/CUB": ("20040.00", "USD"),
        "CUB/services/provided": ("0.00", "person-month"),
        "VEN/services/received": ("0.00", "person-month"),
    }
    assert balances(ledger, "--as-of", "2011-03-15") == BASE


def test_balances_known_at_a_time_before_anything_was_recorded(ledger: Run) -> None:
    assert set(balances(ledger, "--known-at", "2000-01-01").values()) == {
        ("0.00", "USD"),
        ("0.000", "bbl"),
        ("0.00", "person-month"),
    }


def test_balances_of_one_party(ledger: Run) -> None:
    assert balances(ledger, "--party", "VEN") == {
        "VEN/claims/CUB": ("18289.75", "USD"),
        "VEN/oil": ("749.500", "bbl"),
        "VEN/services/received": ("-3.50", "person-month"),
    }


def test_balances_as_a_table(ledger: Run) -> None:
    out = ok(ledger("ledger", "balances", "--as-of", "2011-03-15"))
    assert "VEN/claims/CUB" in out
    assert "18289.75" in out.replace(",", "")  # the table may group thousands


@pytest.mark.parametrize(
    "option", [("--as-of", "2011-02-30"), ("--as-of", "2011/02/01"), ("--known-at", "noon")]
)
def test_balances_with_a_bad_date_exits_2(ledger: Run, option: tuple[str, str]) -> None:
    result = ledger("ledger", "balances", *option)
    assert result.exit_code == 2
    assert option[0] in result.stderr


def test_reverse_restores_balances_and_a_second_reversal_is_refused(ledger: Run) -> None:
    out = ok(ledger("ledger", "reverse", "s1", "--reason", "wrong vessel"))
    assert "posted 1 reversal(s); chain head 4" in one_line(out)
    # Without shipment 1 only the services offset is left on the claim.
    assert balances(ledger) == {
        **BASE,
        "VEN/oil": ("1000.000", "bbl"),
        "CUB/oil": ("-1000.000", "bbl"),
        "VEN/claims/CUB": ("-1750.25", "USD"),
        "CUB/debt/VEN": ("1750.25", "USD"),
    }
    again = ledger("ledger", "reverse", "s1", "--id", "s1-undo")
    assert again.exit_code == 3
    assert "s1 is already reversed by s1/reversal" in one_line(again.stderr)
    assert ledger("ledger", "reverse", "s1/reversal").exit_code == 3
    missing = ledger("ledger", "reverse", "nope")
    assert missing.exit_code == 2
    assert "'nope'" in missing.stderr
    assert "ok: 4 transaction(s) verified" in ok(ledger("ledger", "verify"))


def test_verify_passes_then_a_tampered_store_exits_4(ledger: Run, tmp_path: Path) -> None:
    assert "ok: 3 transaction(s) verified; head 3 " in one_line(ok(ledger("ledger", "verify")))
    with sqlite3.connect(tmp_path / "data" / "convenio.db") as conn:
        conn.execute("UPDATE postings SET amount = amount + 1 WHERE txn_seq = 2 AND idx = 2")
    conn.close()
    result = ledger("ledger", "verify")
    assert result.exit_code == 4
    assert "chain broken at transaction s1 (seq 2): content does not match its hash" in one_line(
        result.stderr
    )


@pytest.mark.parametrize(
    ("fmt", "name"), [("beancount", "out.beancount"), ("ledger", "out.ledger")]
)
def test_export_writes_a_journal(ledger: Run, tmp_path: Path, fmt: str, name: str) -> None:
    out = ok(ledger("ledger", "export", "--format", fmt, "-o", f"exports/{name}"))
    assert "wrote 3 transaction(s)" in one_line(out)
    written = tmp_path / "exports" / name
    assert written.is_file()
    assert written.stat().st_size > 0
    assert [p.name for p in written.parent.iterdir()] == [name]  # no temporary file left


def test_export_in_an_unknown_format_exits_2(ledger: Run, tmp_path: Path) -> None:
    result = ledger("ledger", "export", "--format", "xlsx", "-o", "out.xlsx")
    assert result.exit_code == 2
    assert "unknown format 'xlsx'" in result.stderr
    assert not (tmp_path / "out.xlsx").exists()


BAD_JOURNALS = {
    "bad date": (
        "bad.csv",
        HEADER + "x1,2011-04-01,VEN/claims/CUB,-1.00,USD,\nx1,2011-02-30,CUB/debt/VEN,1.00,USD,\n",
        "bad.csv:3: date: '2011-02-30' is not a valid date",
    ),
    "too many decimals": (
        "bad.csv",
        HEADER + "x1,2011-04-01,VEN/claims/CUB,-1.001,USD,\nx1,2011-04-01,CUB/debt/VEN,1.00,USD,\n",
        "bad.csv:2: amount: -1.001 has more than 2 decimals (USD)",
    ),
    "malformed row": (
        "bad.csv",
        HEADER + "x1,2011-04-01,VEN/claims/CUB,-1.00,USD,\nx1,2011-04-01,CUB/debt/VEN\n",
        "bad.csv:3: row: expected 6 fields, found 3",
    ),
    "unbalanced": (
        "bad.csv",
        HEADER + "x1,2011-04-01,VEN/claims/CUB,-1.00,USD,\nx1,2011-04-01,CUB/debt/VEN,0.99,USD,\n",
        "bad.csv:2: amount: transaction x1 does not balance: USD postings sum to -1 minor units",
    ),
    "unknown account": (
        "bad.csv",
        HEADER + "x1,2011-04-01,VEN/claims/CUB,-1.00,USD,\nx1,2011-04-01,CUB/nowhere,1.00,USD,\n",
        "bad.csv:3: account: unknown account 'CUB/nowhere'",
    ),
    "floor": (
        "bad.csv",
        HEADER + "x1,2011-01-05,VEN/oil,-10.000,bbl,\nx1,2011-01-05,CUB/oil,10.000,bbl,\n",
        "bad.csv:2: amount: transaction x1: this would take VEN/oil to -10.000 bbl on "
        "2011-01-05, below its floor 0.000",
    ),
    "json amount": (
        "bad.json",
        '[{"id": "x1", "date": "2011-04-01", "postings": ['
        '{"account": "VEN/claims/CUB", "amount": 1.001, "unit": "USD"},'
        '{"account": "CUB/debt/VEN", "amount": -1.001, "unit": "USD"}]}]',
        "bad.json: [0].postings[0].amount: 1.001 has more than 2 decimals (USD)",
    ),
    "json not well-formed": (
        "bad.json",
        '[\n{"id": "x1"\n"date": "2011-04-01"}]',
        "bad.json:3: not well-formed JSON",
    ),
    "missing file": ("nothing-here.csv", None, "nothing-here.csv: cannot read"),
    "not a journal": (
        "journal.txt",
        "hello",
        "journal.txt: expected a .csv, .xlsx or .json journal",
    ),
}


@pytest.mark.parametrize("case", list(BAD_JOURNALS), ids=list(BAD_JOURNALS))
def test_bad_journal_exits_2_naming_file_line_and_field(
    ledger: Run, tmp_path: Path, case: str
) -> None:
    name, content, message = BAD_JOURNALS[case]
    if content is not None:
        (tmp_path / name).write_text(content)
    before = balances(ledger)
    result = ledger("ledger", "post", name)
    assert result.exit_code == 2, result.output
    assert message in one_line(result.stderr)
    assert result.stdout == ""
    assert balances(ledger) == before
    assert "ok: 3 transaction(s) verified" in ok(ledger("ledger", "verify"))


def test_several_problems_are_listed_together(ledger: Run, tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text(
        HEADER
        + "x1,2011-02-30,VEN/claims/CUB,-1.00,USD,\n"
        + "x1,2011-04-01,CUB/debt/VEN,1.001,USD,\n"
        + "x2,2011-04-01,VEN/claims/CUB,-1.00,GBP,\n"
    )
    result = ledger("ledger", "post", "bad.csv")
    assert result.exit_code == 2
    lines = [line.strip() for line in result.stderr.splitlines()]
    assert lines[0] == "error: bad.csv: 3 problems, nothing was written"
    assert lines[1:] == [
        "bad.csv:2: date: '2011-02-30' is not a valid date",
        "bad.csv:3: amount: 1.001 has more than 2 decimals (USD)",
        "bad.csv:4: unit: unknown unit 'GBP'",
    ]


def test_txn_id_reused_with_other_content_exits_3(ledger: Run, tmp_path: Path) -> None:
    (tmp_path / "amended.csv").write_text(JOURNAL_CSV.replace("shipment 1", "shipment 1 (amended)"))
    before = balances(ledger)
    result = ledger("ledger", "post", "amended.csv")
    assert result.exit_code == 3
    assert (
        "amended.csv:4: txn_id: transaction s1 is already recorded with different content"
        in one_line(result.stderr)
    )
    assert balances(ledger) == before
