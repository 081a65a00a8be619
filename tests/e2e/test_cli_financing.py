"""The financing and settlement commands end to end: the real Typer app on an embedded
store in a temporary data directory.

The worked quarter is the reported compensation of Q4 2011 (public reporting): oil 1,002.55 M
USD, Cuban services 1,275.00 M USD, Venezuela owing 272.45 M USD of which 163.47 M USD
paid in cash. Bad input is refused with exit code 2 (3 for a conflict), a message that
names the file, the line and the field, and a store exactly as it was.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cli import Run, ok, one_line
from tests.terms_fixtures import LENDING_TEXT

EXAMPLE = LENDING_TEXT  # the example, its band table lending (tests/terms_fixtures.py)


def version(*extra: str) -> str:
    """A last version of the terms, from Q4 2011, in which nothing is financed."""
    lines = [
        "  - id: test-2011q4",
        "    inherits: previous",
        "    name: Q4 2011 as reported, oil all short-term",
        "    effective: 2011-10-01",
        "    financing: null",
        *extra,
    ]
    return "\n" + "\n".join(lines) + "\n"


WORKED_TERMS = EXAMPLE + version()
PRICES = (
    "series,date,price\n"
    "ven-basket,2011-10-03,100.00\n"
    "ven-basket,2011-11-01,100.00\n"
    "ven-basket,2011-12-01,100.00\n"
)
DLV = "delivery_id,date,supplier,recipient,kind,item,quantity,unit,price\n"
DELIVERIES = DLV + (
    "oil-10,2011-10-15,VEN.PDVSA,CUB.CUPET,commodity,crude,3000000,bbl,100.00\n"
    "oil-11,2011-11-15,VEN.PDVSA,CUB.CUPET,commodity,crude,3000000,bbl,100.00\n"
    "oil-12,2011-12-15,VEN.PDVSA,CUB.CUPET,commodity,crude,4025500,bbl,100.00\n"
    "svc-q4,2011-12-31,CUB,VEN,services,doctor,1,person-month,1275000000.00\n"
)
PAY = "payment_id,date,payer,payee,amount,currency\n"
PAYMENTS = PAY + "bnc-q4,2011-12-30,VEN.PDVSA,CUB.BNC,163470000.00,USD\n"
# A delivery every bad file starts with: had it been written, the store would change.
GOOD_ROW = "ok-1,2011-10-20,VEN.PDVSA,CUB.CUPET,commodity,crude,1000,bbl,100.00\n"

# Hand arithmetic, in cents: (3,000,000 + 3,000,000 + 4,025,500) bbl × 100.00 USD.
OIL = (3_000_000 + 3_000_000 + 4_025_500) * 100 * 100
SERVICES = 1_275_000_000 * 100
CASH = 163_470_000 * 100
NET = SERVICES - OIL  # 1,275.00 − 1,002.55 = 272.45 M USD
CARRIED = NET - CASH  # 272.45 − 163.47 = 108.98 M USD


def usd(cents: int) -> str:
    whole, part = divmod(cents, 100)
    return f"{whole}.{part:02d}"


def write(name: str, content: str) -> str:
    Path(name).write_text(content, encoding="utf-8")
    return name


def state(tmp_path: Path) -> dict[str, Any]:
    """Row counts of every table, the chain head and the settlement runs, read directly."""
    conn = sqlite3.connect(tmp_path / "data" / "convenio.db")
    try:
        names = [
            r[0]
            for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if r[0] != "alembic_version" and not r[0].startswith("sqlite_")
        ]
        found: dict[str, Any] = {
            name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names
        }
        found["head"] = conn.execute("SELECT seq, hash FROM ledger_head").fetchall()
        found["runs"] = conn.execute(
            "SELECT id, status, statement FROM settlement_runs ORDER BY id"
        ).fetchall()
    finally:
        conn.close()
    assert found["transactions"] == found["head"][0][0]
    return found


def refused(run: Run, tmp_path: Path, code: int, *args: str) -> str:
    """Run a command that must fail with `code` and write nothing; its message, on one line."""
    before = state(tmp_path)
    result = run(*args)
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    assert result.stdout == ""
    assert state(tmp_path) == before
    return one_line(result.stderr)


def setup(run: Run, terms: str = WORKED_TERMS, deliveries: str | None = DELIVERIES) -> None:
    assert "loaded" in ok(run("terms", "load", write("terms.yaml", terms)))
    ok(run("prices", "load", write("prices.csv", PRICES)))
    if deliveries is not None:
        ok(run("deliveries", "load", write("deliveries.csv", deliveries)))


# -- the worked quarter --------------------------------------------------------------


def test_the_worked_quarter_settles_as_reported(run: Run, tmp_path: Path) -> None:
    out = ok(run("terms", "load", write("terms.yaml", WORKED_TERMS)))
    assert one_line(out) == "cuba-venezuela: 7 versions, loaded"  # 6 in the example + 1
    out = ok(run("prices", "load", write("prices.csv", PRICES)))
    assert one_line(out) == "prices: 3 added, 0 already recorded"
    out = ok(run("deliveries", "load", write("deliveries.csv", DELIVERIES)))
    # A value and a quantity transaction per delivery.
    assert one_line(out) == "deliveries: 4 added, 0 already recorded, 8 ledger transaction(s)"
    out = ok(run("payments", "load", write("payments.csv", PAYMENTS)))
    assert one_line(out) == "payments: 1 added, 0 already recorded"

    (settled,) = json.loads(ok(run("settle", "2011Q4", "--json")))
    assert settled["run"] == "2011Q4:VEN.PDVSA:CUB.BNC:1"
    assert settled["created"] is True and settled["reversed"] is None
    statement = settled["statement"]
    assert statement["parties"] == ["VEN.PDVSA", "CUB.BNC"]
    assert statement["currency"] == "USD"
    assert statement["net"] == {"debtor": "VEN.PDVSA", "creditor": "CUB.BNC", "amount": usd(NET)}
    oil, services = statement["directions"]
    assert oil["invoiced"] == {"short-term": usd(OIL)}
    assert oil["offset"] == usd(OIL) and oil["carried_forward"] == "0.00"
    assert services["invoiced"] == {"services": usd(SERVICES)}
    assert services["offset"] == usd(OIL)
    assert services["cash_paid"] == usd(CASH)
    assert services["carried_forward"] == usd(CARRIED)

    before = state(tmp_path)
    (again,) = json.loads(ok(run("settle", "2011Q4", "--json")))
    assert again == {**settled, "created": False}
    text = one_line(ok(run("settle", "2011Q4")))
    assert "already settled, unchanged" in text
    assert "net before cash: VEN.PDVSA owes CUB.BNC 272,450,000.00 USD" in text

    # Loading everything again changes nothing.
    assert "already current" in ok(run("terms", "load", "terms.yaml"))
    assert "0 added, 3 already recorded" in ok(run("prices", "load", "prices.csv"))
    assert "0 added, 4 already recorded, 0 ledger" in ok(
        run("deliveries", "load", "deliveries.csv")
    )
    assert "0 added, 1 already recorded" in ok(run("payments", "load", "payments.csv"))
    assert state(tmp_path) == before

    report = json.loads(
        ok(run("statement", "--party", "CUB.BNC", "--as-of", "2012-01-31", "--json"))
    )
    # The services fell due on 31 Dec 2011: 31 days late on 31 Jan 2012.
    assert report == {
        "party": "CUB.BNC",
        "as_of": "2012-01-31",
        "settled_by": None,
        "parties_with_claims": ["CUB.BNC", "VEN.PDVSA"],
        "claims": [
            {
                "direction": "receivable",
                "counterparty": "VEN.PDVSA",
                "type": "services",
                "age": "31-90",
                "currency": "USD",
                "outstanding": usd(CARRIED),
            }
        ],
        "tranche_principal": [],
        "accrued_interest_not_due": [],
    }
    assert "108,980,000.00" in ok(run("statement", "--party", "CUB.BNC", "--as-of", "2012-01-31"))
    # 4 deliveries × (value, quantity), each oil invoice offset against the one services
    # invoice, and the payment.
    assert one_line(ok(run("ledger", "verify"))).startswith("ok: 12 transaction(s) verified")
    assert json.loads(ok(run("tranches", "--json"))) == []


def test_a_late_payment_is_flagged_and_reopening_applies_it(run: Run) -> None:
    setup(run)
    ok(run("payments", "load", write("payments.csv", PAYMENTS)))
    (first,) = json.loads(ok(run("settle", "2011Q4", "--json")))
    late = PAY + "bnc-late,2011-12-15,VEN.PDVSA,CUB.BNC,8980000.00,USD\n"
    out = one_line(ok(run("payments", "load", write("late.csv", late))))
    assert "payments: 1 added, 0 already recorded" in out
    assert "2011Q4 VEN.PDVSA-CUB.BNC is settled" in out
    assert "convenio settle 2011Q4 --reopen" in out
    (same,) = json.loads(ok(run("settle", "2011Q4", "--json")))
    assert same["statement"] == first["statement"] and same["created"] is False

    (reopened,) = json.loads(ok(run("settle", "2011Q4", "--reopen", "--json")))
    assert reopened["run"] == "2011Q4:VEN.PDVSA:CUB.BNC:2"
    assert reopened["reversed"] == "2011Q4:VEN.PDVSA:CUB.BNC:1"
    services = reopened["statement"]["directions"][1]
    # 163.47 + 8.98 = 172.45 M USD paid; 272.45 − 172.45 = 100.00 M USD carried.
    assert services["cash_paid"] == usd(CASH + 8_980_000 * 100)
    assert services["carried_forward"] == usd(100_000_000 * 100)
    ok(run("ledger", "verify"))


# -- tranches and accrual ------------------------------------------------------------

# 1,111 bbl on 1 Apr 2011 at the April average of 44.50 and 45.50 = 45.0000 USD:
# 49,995.00 USD; at ≥ 40 USD 30 % is financed = 14,998.50 USD, 25 years incl. 2 of
# grace at 1 % (above 40). 2,000 bbl on 10 May at 35.00: 70,000.00 USD, 25 % = 17,500.00
# USD, 17 years incl. 2 of grace at 2 %.
TRANCHE_PRICES = "series,date,price\nven-basket,2011-04-01,44.50\nven-basket,2011-04-15,45.50\n"
TRANCHE_DELIVERIES = DLV + (
    "D45,2011-04-01,VEN.PDVSA,CUB.CUPET,commodity,crude,1111,bbl,\n"
    "D35,2011-05-10,VEN.PDVSA,CUB.CUPET,commodity,crude,2000,bbl,35.00\n"
)


def test_tranches_as_json_and_csv_and_a_schedule(run: Run) -> None:
    ok(run("terms", "load", write("terms.yaml", EXAMPLE)))
    ok(run("prices", "load", write("prices.csv", TRANCHE_PRICES)))
    ok(run("deliveries", "load", write("deliveries.csv", TRANCHE_DELIVERIES)))

    listed = json.loads(ok(run("tranches", "--json")))
    assert listed == [
        {
            "tranche": "tr:D45",
            "creditor": "VEN.PDVSA",
            "debtor": "CUB.CUPET",
            "start": "2011-04-01",
            "principal": "14998.50",
            "currency": "USD",
            "rate": "0.01",
            "months": 300,
            "grace_months": 24,
            "grace_interest": "paid",
            "method": "equal-principal",
            "frequency": "quarterly",
            "day_count": "30E/360",
        },
        {
            "tranche": "tr:D35",
            "creditor": "VEN.PDVSA",
            "debtor": "CUB.CUPET",
            "start": "2011-05-10",
            "principal": "17500.00",
            "currency": "USD",
            "rate": "0.02",
            "months": 204,
            "grace_months": 24,
            "grace_interest": "paid",
            "method": "equal-principal",
            "frequency": "quarterly",
            "day_count": "30E/360",
        },
    ]
    rows = list(csv.DictReader(io.StringIO(ok(run("tranches", "--csv")))))
    # CSV is text: the same values, counts written as digits.
    assert rows == [{k: str(v) for k, v in t.items()} for t in listed]

    text = ok(run("tranches", "--schedule", "tr:D45", "--csv"))
    schedule = list(csv.DictReader(io.StringIO(text)))
    assert list(schedule[0]) == [
        "number", "due", "opening", "interest", "principal", "payment", "closing",
    ]  # fmt: skip
    assert len(schedule) == 100  # 8 quarters of grace, 92 of repayment
    # Grace: 1,499,850 cents × 1 % × 90/360 = 3,749.625 → 3,750 cents a quarter.
    assert schedule[0] == {
        "number": "1",
        "due": "2011-07-01",
        "opening": "14998.50",
        "interest": "37.50",
        "principal": "0.00",
        "payment": "37.50",
        "closing": "14998.50",
    }
    # 1,499,850 = 92 × 16,302 + 66: 66 installments of 163.03, then 26 of 163.02.
    principal = [r["principal"] for r in schedule[8:]]
    assert principal == ["163.03"] * 66 + ["163.02"] * 26
    assert schedule[-1]["due"] == "2036-04-01" and schedule[-1]["closing"] == "0.00"
    as_json = json.loads(ok(run("tranches", "--schedule", "tr:D45", "--json")))
    assert as_json == [{**row, "number": int(row["number"])} for row in schedule]

    # April–December for D45 (9 month ends), May–December for D35 (8).
    out = one_line(ok(run("accrue", "--through", "2011-12-31")))
    assert out.startswith("accruals: 17 added")
    assert one_line(ok(run("accrue", "--through", "2011-12-31"))).startswith("accruals: 0 added")
    report = json.loads(
        ok(run("statement", "--party", "CUB.BNC", "--as-of", "2011-12-31", "--json"))
    )
    assert report["tranche_principal"] == [
        {
            "direction": "payable",
            "counterparty": "VEN.PDVSA",
            "currency": "USD",
            "outstanding": "32498.50",  # 14,998.50 + 17,500.00
        }
    ]
    ok(run("ledger", "verify"))


# -- bad input -----------------------------------------------------------------------


def test_a_delivery_before_the_first_version_is_refused(run: Run, tmp_path: Path) -> None:
    setup(run)
    bad = write(
        "bad.csv", DLV + GOOD_ROW + "x,2000-10-01,VEN.PDVSA,CUB.CUPET,commodity,crude,1,bbl,\n"
    )
    message = refused(run, tmp_path, 2, "deliveries", "load", bad)
    assert "bad.csv:3: date:" in message
    assert "in force on 2000-10-01" in message


def test_a_delivery_after_the_last_version_ends_is_refused(run: Run, tmp_path: Path) -> None:
    setup(run, EXAMPLE + version("    ends: 2011-12-31"))
    bad = write(
        "bad.csv", DLV + GOOD_ROW + "x,2012-01-02,VEN.PDVSA,CUB.CUPET,commodity,crude,1,bbl,1\n"
    )
    message = refused(run, tmp_path, 2, "deliveries", "load", bad)
    assert "bad.csv:3: date:" in message
    assert "2012-01-02" in message and "ended on 2011-12-31" in message


@pytest.mark.parametrize(
    ("row", "field", "needle"),
    [
        ("x,2011-10-21,VEN.PDVSA,CUB.CUPET,commodity,petrol,1,bbl,1", "item", "'petrol'"),
        ("x,2011-10-21,VEN.PDVSA,CUB.XYZ,commodity,crude,1,bbl,1", "recipient", "'CUB.XYZ'"),
        ("x,2011-10-21,VEN.XYZ,CUB.CUPET,commodity,crude,1,bbl,1", "supplier", "'VEN.XYZ'"),
    ],
    ids=["item", "recipient", "supplier"],
)
def test_an_unknown_item_or_party_is_refused(
    run: Run, tmp_path: Path, row: str, field: str, needle: str
) -> None:
    setup(run)
    bad = write("bad.csv", DLV + GOOD_ROW + row + "\n")
    message = refused(run, tmp_path, 2, "deliveries", "load", bad)
    assert f"bad.csv:3: {field}: unknown" in message and needle in message


BINDING_QUOTA = version(
    "    quotas:",
    "      - supplier: VEN.PDVSA",
    "        recipient: CUB.CUPET",
    "        group: oil",
    "        quantity: 100000",
    "        unit: bbl",
    "        per: day",
    "        binding: true",
)


def test_deliveries_over_a_binding_quota_are_refused(run: Run, tmp_path: Path) -> None:
    setup(run, EXAMPLE + BINDING_QUOTA, deliveries=None)
    # November: 100,000 bbl a day × 30 days = 3,000,000 bbl, exactly the quota.
    november = DLV + "n1,2011-11-10,VEN.PDVSA,CUB.CUPET,commodity,crude,3000000,bbl,100\n"
    ok(run("deliveries", "load", write("november.csv", november)))
    # December: 31 days = 3,100,000 bbl; 3,000,000 + 200,000 goes over on the second row.
    bad = write(
        "bad.csv",
        DLV
        + "d1,2011-12-05,VEN.PDVSA,CUB.CUPET,commodity,crude,3000000,bbl,100\n"
        + "d2,2011-12-20,VEN.PDVSA,CUB.CUPET,commodity,jet-fuel,200000,bbl,100\n",
    )
    message = refused(run, tmp_path, 2, "deliveries", "load", bad)
    assert "bad.csv:3: quantity:" in message
    assert "3200000.000 bbl" in message and "3100000.000 bbl" in message


def test_a_binding_quota_counts_the_deliveries_already_recorded(run: Run, tmp_path: Path) -> None:
    setup(run, EXAMPLE + BINDING_QUOTA, deliveries=None)
    first = DLV + "d1,2011-12-05,VEN.PDVSA,CUB.CUPET,commodity,crude,3000000,bbl,100\n"
    ok(run("deliveries", "load", write("first.csv", first)))
    # Split over two files, December still holds 3,200,000 bbl against 3,100,000.
    second = DLV + "d2,2011-12-20,VEN.PDVSA,CUB.CUPET,commodity,crude,200000,bbl,100\n"
    message = refused(run, tmp_path, 2, "deliveries", "load", write("second.csv", second))
    assert "second.csv:2: quantity:" in message


def test_a_period_that_does_not_parse_is_refused(run: Run, tmp_path: Path) -> None:
    setup(run)
    message = refused(run, tmp_path, 2, "settle", "2011Q5")
    assert "'2011Q5'" in message and "a quarter is 1 to 4" in message


def test_an_overpayment_is_refused_where_the_terms_refuse_it(run: Run, tmp_path: Path) -> None:
    setup(run, EXAMPLE + version("    settlement:", "      overpayment: refuse"))
    ok(
        run(
            "payments",
            "load",
            write("payments.csv", PAY + "big,2011-12-30,VEN.PDVSA,CUB.BNC,300000000.00,USD\n"),
        )
    )
    message = refused(run, tmp_path, 2, "settle", "2011Q4")
    # Owed after the offset: 272,450,000.00; paid 300,000,000.00: 27,550,000.00 too much.
    assert "payments: payment big of 300,000,000.00 USD from VEN.PDVSA to CUB.BNC" in message
    assert "272,450,000.00 USD" in message and "27,550,000.00 USD too much" in message


def test_a_price_gap_the_rule_needs_is_refused(run: Run, tmp_path: Path) -> None:
    setup(run)
    # No price point in January 2012; the month-average rule needs one.
    bad = write(
        "gap.csv", DLV + GOOD_ROW + "g1,2012-01-15,VEN.PDVSA,CUB.CUPET,commodity,crude,1,bbl,\n"
    )
    message = refused(run, tmp_path, 2, "deliveries", "load", bad)
    assert "ven-basket" in message and "2012-01" in message
    assert "gap.csv:3: price:" in message


def test_a_delivery_id_reused_with_other_content_is_a_conflict(run: Run, tmp_path: Path) -> None:
    setup(run)
    changed = DLV + GOOD_ROW + DELIVERIES.splitlines()[1].replace("3000000", "3000001") + "\n"
    message = refused(run, tmp_path, 3, "deliveries", "load", write("changed.csv", changed))
    assert "delivery oil-10 is already recorded with different content" in message


def test_an_unknown_party_has_no_statement(run: Run, tmp_path: Path) -> None:
    setup(run)
    message = refused(run, tmp_path, 2, "statement", "--party", "CUB.XYZ", "--as-of", "2012-01-01")
    assert "unknown party 'CUB.XYZ'" in message
