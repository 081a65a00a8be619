"""Whole figures, the same in every command: at 40 and 80 columns and piped, no amount or
id is cut; amounts carry separators and their unit, rates are percents; `--json` carries
the ledger's exact values; a command that finds nothing says why.

The store: the shipped terms with a Q4 2011 version that finances nothing, one large
financed cargo on 10 May 2011 (1,702,947.130 bbl at 110.00 USD = 187,324,184.30 USD; at
a reference price of 100 USD or more the July 2008 version finances 60 %, and above 40
USD lends at 1 % over 25 years with 2 of grace: 112,394,510.58 USD of principal), the
reported Q4 2011 quarter, its cash payment, settled once.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from convenio.cli import common
from convenio.cli.main import app
from convenio.settings import get_settings
from tests.e2e.cli import ok, one_line
from tests.e2e.test_cli_financing import DELIVERIES, PAYMENTS, PRICES, WORKED_TERMS

CARGO = "PDVSA-2011-05-10-CRUDE-CARGO-000123456"
TRANCHE = f"tr:{CARGO}"
CARGO_ROW = f"{CARGO},2011-05-10,VEN.PDVSA,CUB.CUPET,commodity,crude,1702947.130,bbl,110.00\n"
# Hand arithmetic in cents: 1,702,947.130 bbl × 110.00 USD, 60 % of it financed.
CARGO_VALUE = 1_702_947_130 * 11_000 // 1000
PRINCIPAL = CARGO_VALUE * 6 // 10
assert CARGO_VALUE * 6 % 10 == 0 and PRINCIPAL == 11_239_451_058  # 112,394,510.58 USD
WIDTHS = ["40", "80", "piped"]


class Cli:
    """`convenio` on one store, at a chosen console width (``piped``: rich's default)."""

    def __init__(self, data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.data, self.monkeypatch = data, monkeypatch
        self.runner = CliRunner()

    def __call__(self, *args: str, width: str = "1000") -> Result:
        with self.monkeypatch.context() as patch:
            patch.setenv("CONVENIO_DATA_DIR", str(self.data))
            patch.setenv("CONVENIO_DATABASE_URL", "")
            patch.delenv("COLUMNS", raising=False)
            # The shared console reads COLUMNS once; a width is set on it for the call.
            patch.setattr(common.console, "_width", None if width == "piped" else int(width))
            get_settings.cache_clear()
            try:
                return self.runner.invoke(app, list(args))
            finally:
                get_settings.cache_clear()


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    folder = tmp_path_factory.mktemp("figures")
    files = {
        "terms.yaml": WORKED_TERMS,
        "prices.csv": PRICES + "ven-basket,2011-05-02,110.00\n",
        "deliveries.csv": DELIVERIES + CARGO_ROW,
        "payments.csv": PAYMENTS,
    }
    for name, content in files.items():
        (folder / name).write_text(content, encoding="utf-8")
    with pytest.MonkeyPatch.context() as monkeypatch:
        run = Cli(folder / "data", monkeypatch)
        ok(run("terms", "load", str(folder / "terms.yaml")))
        ok(run("prices", "load", str(folder / "prices.csv")))
        ok(run("deliveries", "load", str(folder / "deliveries.csv")))
        ok(run("payments", "load", str(folder / "payments.csv")))
        ok(run("settle", "2011Q4"))
        yield run


@pytest.fixture
def empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(tmp_path / "data", monkeypatch)


def grouped(cents: int) -> str:
    return f"{cents // 100:,}.{cents % 100:02d}"


def assert_fits(text: str, width: str) -> None:
    """No line longer than the console, unless it is a block's line (which a terminal
    wraps, never cuts); no ellipsis anywhere."""
    assert "…" not in text
    limit = 80 if width == "piped" else int(width)
    for line in text.splitlines():
        assert len(line) <= limit or ":" in line, line


@pytest.mark.parametrize("width", WIDTHS)
def test_tranches_print_ids_and_amounts_whole(cli: Cli, width: str) -> None:
    text = ok(cli("tranches", width=width))
    assert_fits(text, width)
    assert TRANCHE in text and "112,394,510.58" in text and "1 %" in text
    assert "0.01" not in text
    schedule = ok(cli("tranches", "--schedule", TRANCHE, width=width))
    assert_fits(schedule, width)
    assert schedule.startswith(f"Schedule of {TRANCHE}: CUB.CUPET owes VEN.PDVSA ")
    assert "112,394,510.58 USD" in schedule and "at 1 % a year" in schedule
    rows = json.loads(ok(cli("tranches", "--schedule", TRANCHE, "--json")))
    for row in rows:
        for key in ("opening", "interest", "principal", "payment", "closing"):
            assert grouped(int(Decimal(row[key]) * 100)) in schedule


def test_tranches_json_carries_the_terms_and_the_ledgers_exact_principal(cli: Cli) -> None:
    (tranche,) = json.loads(ok(cli("tranches", "--json")))
    assert tranche == {
        "tranche": TRANCHE,
        "creditor": "VEN.PDVSA",
        "debtor": "CUB.CUPET",
        "start": "2011-05-10",
        "principal": "112394510.58",
        "currency": "USD",
        "rate": "0.01",
        "months": 300,
        "grace_months": 24,
        "grace_interest": "paid",
        "method": "equal-principal",
        "frequency": "quarterly",
        "day_count": "30E/360",
    }
    balances = json.loads(ok(cli("ledger", "balances", "--party", "VEN.PDVSA", "--json")))
    claim = next(b for b in balances if b["account"] == "VEN.PDVSA/claims/financed/CUB.CUPET")
    assert claim == {"account": claim["account"], "unit": "USD", "balance": "112394510.58"}
    schedule = json.loads(ok(cli("tranches", "--schedule", TRANCHE, "--json")))
    assert [r["number"] for r in schedule] == list(range(1, len(schedule) + 1))
    assert sum(Decimal(r["principal"]) for r in schedule) == Decimal("112394510.58")
    text = ok(cli("tranches", "--csv"))
    (row,) = csv.DictReader(io.StringIO(text))
    assert row["principal"] == "112394510.58" and row["months"] == "300"


def test_tranches_by_party(cli: Cli, empty: Cli) -> None:
    for party in ("CUB", "CUB.CUPET", "VEN.PDVSA"):
        assert [
            t["tranche"] for t in json.loads(ok(cli("tranches", "--party", party, "--json")))
        ] == [TRANCHE]
    out = ok(cli("tranches", "--party", "CUB.BNC"))
    assert "no tranches where CUB.BNC is creditor or debtor" in one_line(out)
    result = cli("tranches", "--party", "NOPE")
    assert result.exit_code == 2 and "unknown party 'NOPE'" in one_line(result.stderr)
    result = cli("tranches", "--schedule", "tr:nope")
    assert result.exit_code == 2 and "no tranche 'tr:nope'" in one_line(result.stderr)
    out = one_line(ok(empty("tranches")))
    assert "no tranches:" in out and "`convenio deliveries load FILE`" in out


@pytest.mark.parametrize("width", WIDTHS)
def test_settle_and_statement_figures_have_separators(cli: Cli, width: str) -> None:
    (run,) = json.loads(ok(cli("settle", "2011Q4", "--json")))
    text = ok(cli("settle", "2011Q4", width=width))
    assert_fits(text, width)
    for direction in run["statement"]["directions"]:
        for key in ("invoiced_total", "outstanding_before", "offset", "cash_paid"):
            assert grouped(int(Decimal(direction[key]) * 100)) in text
    net = run["statement"]["net"]
    assert f"owes {net['creditor']} {grouped(int(Decimal(net['amount']) * 100))} USD" in (
        one_line(text)
    )
    report = json.loads(
        ok(cli("statement", "--party", "CUB.BNC", "--as-of", "2012-01-31", "--json"))
    )
    text = ok(cli("statement", "--party", "CUB.BNC", "--as-of", "2012-01-31", width=width))
    assert_fits(text, width)
    sections = ("claims", "tranche_principal", "accrued_interest_not_due")
    amounts = [r.get("outstanding", r.get("amount")) for k in sections for r in report[k]]
    assert amounts and "112394510.58" in amounts
    for amount in amounts:
        assert grouped(int(Decimal(amount) * 100)) in text
    assert "112394510.58" not in text  # never without separators


def test_statement_csv_reloads_exactly(cli: Cli) -> None:
    report = json.loads(
        ok(cli("statement", "--party", "CUB.BNC", "--as-of", "2012-01-31", "--json"))
    )
    rows = list(
        csv.DictReader(
            io.StringIO(
                ok(cli("statement", "--party", "CUB.BNC", "--as-of", "2012-01-31", "--csv"))
            )
        )
    )
    claims = [r for r in rows if r["section"] == "claim"]
    assert [(r["counterparty"], r["type"], r["age"], r["amount"]) for r in claims] == [
        (c["counterparty"], c["type"], c["age"], c["outstanding"]) for c in report["claims"]
    ]


def test_a_statement_that_holds_nothing_says_where_to_look(cli: Cli) -> None:
    text = one_line(ok(cli("statement", "--party", "VEN", "--as-of", "2012-01-31")))
    assert "VEN.PDVSA settles for VEN" in text
    assert "`convenio statement --party VEN.PDVSA --as-of 2012-01-31`" in text
    report = json.loads(ok(cli("statement", "--party", "VEN", "--as-of", "2012-01-31", "--json")))
    assert report["settled_by"] == "VEN.PDVSA" and report["claims"] == []
    text = one_line(ok(cli("statement", "--party", "CUB.BNC", "--as-of", "2000-11-30")))
    assert "no claims and no tranches on or before 2000-11-30" in text
    result = cli("statement", "--party", "NOPE", "--as-of", "2012-01-31")
    assert result.exit_code == 2
    assert "unknown party 'NOPE' (the terms' parties: CUB, CUB.BNC" in one_line(result.stderr)


@pytest.mark.parametrize("width", WIDTHS)
def test_ledger_balances_and_verify(cli: Cli, width: str) -> None:
    balances = json.loads(ok(cli("ledger", "balances", "--json")))
    text = ok(cli("ledger", "balances", width=width))
    assert_fits(text, width)
    for b in balances:
        assert b["account"] in text
        scale = len(b["balance"].partition(".")[2])
        minor = int(b["balance"].replace(".", "").replace("-", ""))
        digits = f"{minor // 10**scale:,}" + (f".{minor % 10**scale:0{scale}d}" if scale else "")
        assert digits in text, b
    rows = list(csv.DictReader(io.StringIO(ok(cli("ledger", "balances", "--csv")))))
    assert rows == balances
    verify = json.loads(ok(cli("ledger", "verify", "--json")))
    assert verify["ok"] is True and verify["transactions"] == verify["head_seq"] > 0
    assert one_line(ok(cli("ledger", "verify", width=width))).startswith(
        f"ok: {verify['transactions']:,} transaction(s) verified; head"
    )
    assert verify["head_hash"] in ok(cli("ledger", "verify", width=width)).replace("\n", "")


def test_ledger_balances_of_an_unknown_party_name_the_owners(cli: Cli, empty: Cli) -> None:
    result = cli("ledger", "balances", "--party", "NOPE")
    assert result.exit_code == 2
    assert "party 'NOPE' owns no account (parties with accounts: CUB" in one_line(result.stderr)
    assert "no accounts yet" in one_line(ok(empty("ledger", "balances")))


def test_missions_commands_that_find_nothing_say_why(empty: Cli) -> None:
    out = one_line(ok(empty("cases", "indicators", "--pathway", "literacy")))
    assert "no cases" in out and "`convenio cases load FILE`" in out
    out = one_line(ok(empty("deployments", "person-months", "2011Q4")))
    assert "no deployments in 2011Q4" in out
    assert json.loads(ok(empty("deployments", "person-months", "2011Q4", "--json"))) == []


def test_piped_output_is_plain(cli: Cli) -> None:
    text = ok(cli("tranches", width="piped"))
    assert "\x1b[" not in text  # no colour codes in a pipe


def test_piped_with_no_width_a_table_keeps_one_record_per_line(cli: Cli) -> None:
    """Written to a pipe (no terminal, no COLUMNS), the console does not wrap: `tranches`
    is a table whose every tranche is one line, whole, for grep and files."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env.update(CONVENIO_DATA_DIR=str(cli.data), CONVENIO_DATABASE_URL="")
    done = subprocess.run(
        [sys.executable, "-c", "from convenio.cli.main import main; main()", "tranches"],
        check=True, capture_output=True, text=True, env=env,
    )  # fmt: skip
    listed = json.loads(ok(cli("tranches", "--json")))
    lines = done.stdout.splitlines()
    assert "─" * 20 in done.stdout  # a table, not blocks
    for tranche in listed:
        (line,) = [x for x in lines if x.startswith(tranche["tranche"] + " ")]
        assert grouped(int(Decimal(tranche["principal"]) * 100)) in line
        assert tranche["debtor"] in line and tranche["method"] in line
