"""Inputs that used to end in a Python traceback (exit 1) end in a message and an exit code.

Each test is the reproduction of one escape of issue 8, run through the real Typer app
on an embedded store: bad input exits 2, a store that does not verify 4. None of them may
reach `main()`'s last-resort handler (exit 70), which has a test of its own here.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import Result

from tests.cases_data import EVENTS_CSV, KEY, PEOPLE_CSV
from tests.e2e.cli import Run, ok, one_line
from tests.e2e.test_cli_ledger import ACCOUNTS_CSV, JOURNAL_CSV
from tests.missions_data import METADATA_YAML, ORG_UNITS_CSV, TODAY, VALUES_CSV

HUGE = "1" * 4_301  # one digit beyond Python's int string-conversion limit
DEEP_JSON = "[" * 2_000 + "]" * 2_000


def refused(result: Result, code: int = 2) -> str:
    """The one-line message of a command that must exit `code` without a traceback."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.stderr
    return one_line(result.stderr)


def store_file(tmp_path: Path) -> Path:
    return tmp_path / "data" / "convenio.db"


@pytest.fixture
def ledger(run: Run, tmp_path: Path) -> Run:
    """A store with the ledger tests' accounts and journal."""
    (tmp_path / "accounts.csv").write_text(ACCOUNTS_CSV)
    (tmp_path / "journal.csv").write_text(JOURNAL_CSV)
    ok(run("ledger", "open", "--file", "accounts.csv"))
    ok(run("ledger", "post", "journal.csv"))
    return run


@pytest.fixture
def missions(run: Run, tmp_path: Path) -> Run:
    (tmp_path / "ou.csv").write_text(ORG_UNITS_CSV)
    (tmp_path / "meta.yaml").write_text(METADATA_YAML)
    (tmp_path / "values.csv").write_text(VALUES_CSV)
    ok(run("orgunits", "load", "ou.csv", "--effective", "2004-01-01"))
    ok(run("metadata", "load", "meta.yaml"))
    ok(run("data", "import", "values.csv", "--today", TODAY))
    return run


# -- 1, 2: JSON amounts of 4,301+ digits, JSON nested 2,000 deep ------------------------


@pytest.mark.parametrize("amount", [HUGE, f"{HUGE}.5", f'"{HUGE}"'])
def test_ledger_post_of_a_json_amount_of_thousands_of_digits_exits_2(
    ledger: Run, tmp_path: Path, amount: str
) -> None:
    posting = '{"account": "VEN/claims/CUB", "amount": ' + amount + ', "unit": "USD"}'
    (tmp_path / "big.json").write_text(
        '[{"id": "b1", "date": "2011-05-01", "postings": [' + posting + ", " + posting + "]}]"
    )
    message = refused(ledger("ledger", "post", "big.json"))
    assert "big.json: [0].postings[0].amount: an amount of" in message
    assert "too large (USD)" in message


def test_ledger_post_of_json_nested_2000_deep_exits_2(ledger: Run, tmp_path: Path) -> None:
    (tmp_path / "deep.json").write_text(DEEP_JSON)
    assert "deep.json: not usable JSON: nested too deeply" in refused(
        ledger("ledger", "post", "deep.json")
    )


def test_data_import_of_a_json_value_of_thousands_of_digits_exits_2(
    missions: Run, tmp_path: Path
) -> None:
    doc = {"dataValues": [{"dataElement": "POP", "period": "2005", "orgUnit": "CLIN-1"}]}
    text = json.dumps(doc).replace('"CLIN-1"}', '"CLIN-1", "value": ' + HUGE + "}")
    (tmp_path / "big.json").write_text(text)
    message = refused(missions("data", "import", "big.json", "--today", TODAY))
    assert "big.json" in message and "value" in message
    assert len(ok(missions("data", "export")).splitlines()) == 15  # nothing written


def test_data_import_of_json_nested_2000_deep_exits_2(missions: Run, tmp_path: Path) -> None:
    (tmp_path / "deep.json").write_text('{"dataValues": ' + DEEP_JSON + "}")
    assert "deep.json: not usable JSON: nested too deeply" in refused(
        missions("data", "import", "deep.json")
    )


# -- 3, 4, 5: YAML nested deep, a timestamp that is no date, an alias bomb --------------


def test_terms_check_of_yaml_nested_deep_exits_2(run: Run, tmp_path: Path) -> None:
    (tmp_path / "deep.yaml").write_text("".join("  " * i + "k:\n" for i in range(1_500)))
    assert "deep.yaml:64: YAML syntax: nested more than 64 levels deep" in refused(
        run("terms", "check", "deep.yaml")
    )


def test_metadata_load_of_yaml_nested_deep_exits_2(run: Run, tmp_path: Path) -> None:
    (tmp_path / "deep.yaml").write_text("dataElements: " + "[" * 2_000 + "]" * 2_000 + "\n")
    assert "nested more than 64 levels deep" in refused(run("metadata", "load", "deep.yaml"))


def test_terms_check_of_a_signed_date_that_does_not_exist_exits_2(run: Run, tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text("schema: 1\nagreement:\n  id: x\n  signed: 2000-02-30\n")
    message = refused(run("terms", "check", "t.yaml"))
    assert "t.yaml:4: 2000-02-30 cannot be read: day is out of range for month" in message


def test_terms_check_of_an_alias_bomb_exits_2_without_walking_it(run: Run, tmp_path: Path) -> None:
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * 9) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    (tmp_path / "bomb.yaml").write_text("\n".join(lines) + "\n")
    assert "aliases expand the document beyond" in refused(run("terms", "check", "bomb.yaml"))


# -- 6: a level written with a superscript digit ------------------------------------------


def test_analytics_query_of_a_superscript_level_exits_2(missions: Run) -> None:
    message = refused(missions("analytics", "query", "--dx", "POP", "--pe", "2005", "--ou",
                               "LEVEL-²"))  # fmt: skip
    assert "--ou: 'LEVEL-²': LEVEL- takes a level (1, 2, …)" in message


# -- 7, 8: a store altered outside convenio -----------------------------------------------


def test_a_deleted_ledger_head_exits_4_on_verify_and_post(ledger: Run, tmp_path: Path) -> None:
    with sqlite3.connect(store_file(tmp_path)) as db:
        db.execute("DELETE FROM ledger_head")
    for args in (("ledger", "verify"), ("ledger", "post", "journal.csv")):
        message = refused(ledger(*args), 4)
        assert "the ledger head (table ledger_head) has 0 rows instead of 1" in message


def test_a_sealed_column_overwritten_with_text_exits_4(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from convenio.settings import get_settings

    monkeypatch.setenv("CONVENIO_SECRET_KEY", KEY)
    get_settings.cache_clear()
    (tmp_path / "ou.csv").write_text(ORG_UNITS_CSV)
    (tmp_path / "events.csv").write_text(EVENTS_CSV)
    (tmp_path / "people.csv").write_text(PEOPLE_CSV)
    ok(run("orgunits", "load", "ou.csv"))
    ok(run("cases", "load", "events.csv", "--people", "people.csv"))
    with sqlite3.connect(store_file(tmp_path)) as db:
        db.execute("UPDATE case_people SET sealed = 'plain text'")
    message = refused(run("cases", "load", "events.csv", "--people", "people.csv"), 4)
    assert "is not sealed bytes (table case_people)" in message
    with sqlite3.connect(store_file(tmp_path)) as db:
        db.execute("UPDATE case_people SET sealed = x'00'")  # bytes, too short for a nonce
    message = refused(run("cases", "load", "events.csv", "--people", "people.csv"), 4)
    assert "does not open: it was altered" in message


def test_a_store_file_that_is_no_database_exits_5(run: Run, tmp_path: Path) -> None:
    store_file(tmp_path).parent.mkdir(parents=True)
    store_file(tmp_path).write_bytes(b"SQLite format 3\x00" + b"\x17" * 4_000)
    for args in (("ledger", "verify"), ("ledger", "post", "journal.csv"), ("init",)):
        message = refused(run(*args), 5)
        assert f"cannot open the store at {store_file(tmp_path)}:" in message
        assert "file is not a database" in message


# -- 10: exports never write through a planted file ---------------------------------------


@pytest.mark.parametrize(
    "command",
    [("data", "export", "-o", "out.csv"), ("ledger", "export", "--format", "ledger", "-o",
                                            "out.csv")],
)  # fmt: skip
def test_exports_never_write_through_a_symlink_planted_beside_the_target(
    ledger: Run, tmp_path: Path, command: tuple[str, ...]
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    for planted in ("out.csv.part", ".out.csv.tmp", "out.csv.tmp"):
        (tmp_path / planted).symlink_to(victim)
    ok(ledger(*command))
    assert victim.read_text() == "keep me"
    assert not (tmp_path / "out.csv").is_symlink() and (tmp_path / "out.csv").stat().st_size
    leftovers = {p.name for p in tmp_path.iterdir()} - {
        "victim.txt", "out.csv", "out.csv.part", ".out.csv.tmp", "out.csv.tmp", "data",
        "accounts.csv", "journal.csv",
    }  # fmt: skip
    assert leftovers == set()


def test_an_export_replaces_a_symlink_at_the_target_instead_of_following_it(
    ledger: Run, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (tmp_path / "out.beancount").symlink_to(victim)
    ok(ledger("ledger", "export", "--format", "beancount", "-o", "out.beancount"))
    assert victim.read_text() == "keep me"
    assert not (tmp_path / "out.beancount").is_symlink()
    assert (tmp_path / "out.beancount").stat().st_size > len("keep me")


def test_an_export_into_a_missing_place_exits_2(ledger: Run, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    message = refused(ledger("ledger", "export", "--format", "ledger", "-o", "file/sub/x"))
    assert "--output file/sub/x: cannot write there" in message


# -- 11: the last-resort handler -----------------------------------------------------------


def test_main_reports_an_escaped_exception_in_one_line_and_exits_70(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from convenio.cli import main as entry

    def broken() -> None:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(entry, "app", broken)
    monkeypatch.delenv("CONVENIO_DEBUG", raising=False)
    with pytest.raises(SystemExit) as caught:
        entry.main()
    assert caught.value.code == 70
    err = capsys.readouterr().err
    assert err.startswith("internal error: RuntimeError: boom — please report it")
    assert "Traceback" not in err and "second line" not in err
    monkeypatch.setenv("CONVENIO_DEBUG", "1")
    with pytest.raises(SystemExit):
        entry.main()
    err = capsys.readouterr().err
    assert "Traceback" in err and 'raise RuntimeError("boom' in err


def test_main_lets_the_commands_exit_codes_through(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from convenio.cli import main as entry

    monkeypatch.setattr("sys.argv", ["convenio", "terms", "check", str(tmp_path / "none.yaml")])
    with pytest.raises(SystemExit) as caught:
        entry.main()
    assert caught.value.code == 2
    assert "internal error" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [("CONVENIO_WRITE_WAIT", "inf", "finite"), ("CONVENIO_WRITE_WAIT", "soon", "valid number")],
)
def test_a_setting_given_wrong_is_refused_naming_its_variable(
    run: Run, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, says: str
) -> None:
    monkeypatch.setenv(variable, value)
    for command in (("tranches",), ("demo", "--json")):
        err = refused(run(*command))
        assert f"{variable}:" in err and says in err and repr(value) in err
