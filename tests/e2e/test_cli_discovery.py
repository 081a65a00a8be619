"""The discovery commands end to end, on a store filled through the CLI: each list shows
the ids the loads put in, the filters narrow it, the JSON has the documented shape with
exact values, and an empty store says what to load first."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.e2e.cli import Run, ok, one_line
from tests.missions_data import METADATA_YAML, MOVED_CSV, ORG_UNITS_CSV

TERMS_YAML = """\
schema: convenio.terms/1
agreement: {id: trial, name: Trial agreement, signed: 2010-01-01}
parties:
  - {code: AAA, name: State A, kind: state}
  - {code: AAA.OIL, name: A's oil company, kind: company, parent: AAA}
  - {code: BBB, name: State B, kind: state}
items:
  - {id: crude, kind: commodity, unit: bbl, name: crude}
  - {id: doctor, kind: services, unit: person-month, name: doctor}
price_series:
  - {id: brent, unit: USD, per: bbl}
versions:
  - id: v1
    name: First terms
    effective: 2010-01-01
    source: article 1
    flows:
      - {supplier: AAA.OIL, recipient: BBB, items: [crude]}
      - {supplier: BBB, recipient: AAA, items: [doctor]}
    pricing:
      reference_series: brent
      rule: month-average
      floor: {price: 27, currency: USD, per: bbl}
    financing:
      short_term:
        days: 90
        late_interest: {rate: 2%, after_days: 30, day_count: act/360}
      bands:
        - {at_or_above: 20, share: 10%}
        - {at_or_above: 40.5, share: 25%}
      loan: {term_years: 15, grace_months: 12, rate: 1.5%, method: equal-principal,
             frequency: quarterly, day_count: 30E/360, grace_interest: paid}
      loan_by_price:
        - above: 40.5
          loan: {term_years: 25, grace_months: 24, rate: 1%, method: annuity,
                 frequency: semiannual, day_count: act/360, grace_interest: capitalised}
    rate_cards:
      - {item: doctor, price: 4000.50, currency: USD, per: person-month}
    settlement:
      period: quarter
      parties: [AAA.OIL, BBB]
      services_may_pay: [any]
      allocation_order: [interest, oldest-due]
      cash_currency: USD
      overpayment: carry
  - id: v2
    inherits: previous
    name: Second terms
    effective: 2012-07-01
    source: amendment 1
    rate_cards:
      - {item: doctor, price: 4100, currency: USD, per: person-month}
"""

ACCOUNTS_CSV = """\
account,unit,kind,floor,ceiling
AAA/claims/BBB,USD,asset,0,
AAA.OIL/stock,bbl,asset,,
AAA.OIL/claims/BBB,USD,asset,,2000000
BBB/debt/AAA,USD,liability,,
BBB/stock,bbl,asset,,
"""
# Balances today: t1 and t2 count, t3 (dated 2099) not yet. BBB/debt/AAA is
# -1234567.89 - 0.11 = -1234568.00; AAA/claims/BBB 0.11.
JOURNAL_CSV = """\
txn_id,date,account,amount,unit,description
t1,2011-01-10,AAA.OIL/claims/BBB,1234567.89,USD,shipment
t1,2011-01-10,BBB/debt/AAA,-1234567.89,USD,
t1,2011-01-10,AAA.OIL/stock,-1000.500,bbl,
t1,2011-01-10,BBB/stock,1000.500,bbl,
t2,2011-02-01,AAA/claims/BBB,0.11,USD,fee
t2,2011-02-01,BBB/debt/AAA,-0.11,USD,
t3,2099-01-01,AAA/claims/BBB,5.00,USD,not yet
t3,2099-01-01,BBB/debt/AAA,-5.00,USD,
"""


@pytest.fixture
def filled(run: Run, tmp_path: Path) -> Run:
    """A store with terms, accounts and a journal, org units (one moved) and metadata."""
    files = {
        "terms.yaml": TERMS_YAML,
        "accounts.csv": ACCOUNTS_CSV,
        "journal.csv": JOURNAL_CSV,
        "ou.csv": ORG_UNITS_CSV,
        "moved.csv": MOVED_CSV,
        "meta.yaml": METADATA_YAML,
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    ok(run("terms", "load", "terms.yaml"))
    ok(run("ledger", "open", "--file", "accounts.csv"))
    ok(run("ledger", "post", "journal.csv"))
    ok(run("orgunits", "load", "ou.csv", "--effective", "2004-01-01"))
    ok(run("orgunits", "load", "moved.csv", "--effective", "2006-03-01"))
    ok(run("metadata", "load", "meta.yaml"))
    return run


def as_json(run: Run, *args: str) -> list[dict[str, object]]:
    value = json.loads(ok(run(*args, "--json")))
    assert isinstance(value, list)
    return value


def as_csv(run: Run, *args: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(ok(run(*args, "--csv")))))


# -- an empty store ------------------------------------------------------------------------

EMPTY = [
    (("parties",), "convenio terms load FILE"),
    (("terms", "show"), "convenio terms load FILE"),
    (("ledger", "accounts"), "convenio ledger open"),
    (("orgunits", "list"), "convenio orgunits load FILE"),
    (("metadata", "elements"), "convenio metadata load FILE"),
    (("metadata", "indicators"), "convenio metadata load FILE"),
    (("metadata", "data-sets"), "convenio metadata load FILE"),
]


@pytest.mark.parametrize(("command", "advice"), EMPTY, ids=" ".join)
def test_an_empty_store_says_what_to_load_first(
    run: Run, command: tuple[str, ...], advice: str
) -> None:
    table = ok(run(*command))
    assert advice in one_line(table)
    result = run(*command, "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []
    assert advice in one_line(result.stderr)


# -- set up --------------------------------------------------------------------------------


def test_parties_are_the_terms_parties(filled: Run) -> None:
    assert as_json(filled, "parties") == [
        {"code": "AAA", "name": "State A", "kind": "state", "parent": None},
        {"code": "AAA.OIL", "name": "A's oil company", "kind": "company", "parent": "AAA"},
        {"code": "BBB", "name": "State B", "kind": "state", "parent": None},
    ]
    assert [r["code"] for r in as_csv(filled, "parties")] == ["AAA", "AAA.OIL", "BBB"]
    assert "AAA.OIL A's oil company company AAA" in one_line(
        ok(filled("parties")).replace("│", " ")
    )


def test_terms_show_lists_the_versions(filled: Run) -> None:
    versions = as_json(filled, "terms", "show")
    assert [(v["id"], v["effective"], v["inherits"], v["source"]) for v in versions] == [
        ("v1", "2010-01-01", None, "article 1"),
        ("v2", "2012-07-01", "v1", "amendment 1"),
    ]
    assert set(versions[0]) == {"id", "name", "effective", "ends", "inherits", "source"}


def test_terms_show_one_version_with_exact_values(filled: Run) -> None:
    v1 = json.loads(ok(filled("terms", "show", "--version", "v1", "--json")))
    assert v1["short_term"] == {
        "days": 90,
        "late_interest": {"rate": "0.02", "after_days": 30, "day_count": "act/360"},
    }
    assert isinstance(v1["short_term"]["late_interest"]["rate"], str)
    floor = v1["pricing"].pop("floor")
    assert v1["pricing"] == {
        "reference_series": "brent", "price_unit": "USD/bbl", "rule": "month-average"
    }  # fmt: skip
    assert (Decimal(floor["price"]), floor["currency"], floor["per"]) == (27, "USD", "bbl")
    bands = [(Decimal(b["at_or_above"]), Decimal(b["share"]), b["own_loan"]) for b in v1["bands"]]
    assert bands == [(20, Decimal("0.10"), False), (Decimal("40.5"), Decimal("0.25"), False)]
    assert [(x["applies"], x["months"], x["grace_months"], Decimal(x["rate"]), x["method"],
             x["frequency"], x["day_count"], x["grace_interest"]) for x in v1["loans"]] == [
        ("default", 180, 12, Decimal("0.015"), "equal-principal", "quarterly", "30E/360", "paid"),
        ("above 40.5", 300, 24, Decimal("0.01"), "annuity", "semiannual", "act/360",
         "capitalised"),
    ]  # fmt: skip
    (card,) = v1["rate_cards"]
    assert (card["item"], Decimal(card["price"]), card["currency"], card["per"]) == (
        "doctor", Decimal("4000.50"), "USD", "person-month"
    )  # fmt: skip
    assert v1["settlement"]["parties"] == ["AAA.OIL", "BBB"]
    assert v1["settlement"]["allocation_order"] == ["interest", "oldest-due"]
    # v2 inherits everything but its rate card.
    v2 = json.loads(ok(filled("terms", "show", "--version", "v2", "--json")))
    assert v2["bands"] == v1["bands"] and v2["loans"] == v1["loans"]
    assert Decimal(v2["rate_cards"][0]["price"]) == 4100
    # For people: rates as %, every value whole.
    text = one_line(ok(filled("terms", "show", "--version", "v1")).replace("│", " "))
    assert "2 % a year after 30 days (act/360)" in text
    assert "40.5 25 %" in text and "20 10 %" in text
    assert "above 40.5 300 24 1 % annuity semiannual act/360 capitalised" in text
    assert "default 180 12 1.5 % equal-principal" in text


def test_terms_show_an_unknown_version_names_the_known_ones(filled: Run) -> None:
    result = filled("terms", "show", "--version", "v9")
    assert result.exit_code == 2
    assert "no version 'v9' in the terms (known: v1, v2)" in one_line(result.stderr)


# -- ledger --------------------------------------------------------------------------------


def test_accounts_with_bounds_and_todays_balance(filled: Run) -> None:
    rows = {r["account"]: r for r in as_json(filled, "ledger", "accounts")}
    assert set(rows) == {
        "AAA/claims/BBB", "AAA.OIL/stock", "AAA.OIL/claims/BBB", "BBB/debt/AAA", "BBB/stock"
    }  # fmt: skip
    assert rows["AAA.OIL/claims/BBB"] == {
        "account": "AAA.OIL/claims/BBB", "party": "AAA.OIL", "unit": "USD", "kind": "asset",
        "floor": None, "ceiling": "2000000.00", "balance": "1234567.89",
    }  # fmt: skip
    # t3 (2099) is not yet in today's balance: 0.11 and -1234567.89 - 0.11.
    assert rows["AAA/claims/BBB"]["balance"] == "0.11"
    assert rows["AAA/claims/BBB"]["floor"] == "0.00"
    assert rows["BBB/debt/AAA"]["balance"] == "-1234568.00"
    assert rows["AAA.OIL/stock"]["balance"] == "-1000.500"
    # A party takes its agencies' accounts; a unit narrows further.
    assert [r["account"] for r in as_json(filled, "ledger", "accounts", "--party", "AAA")] == [
        "AAA.OIL/claims/BBB", "AAA.OIL/stock", "AAA/claims/BBB"
    ]  # fmt: skip
    only = as_csv(filled, "ledger", "accounts", "--party", "AAA.OIL", "--unit", "bbl")
    assert [(r["account"], r["balance"]) for r in only] == [("AAA.OIL/stock", "-1000.500")]
    table = one_line(ok(filled("ledger", "accounts")).replace("│", " "))
    assert "AAA.OIL/claims/BBB asset ≤ 2,000,000.00 1,234,567.89 USD" in table
    assert "AAA/claims/BBB asset ≥ 0.00 0.11 USD" in table
    assert "AAA.OIL/stock asset -1,000.500 bbl" in table


def test_accounts_filter_that_finds_nothing_names_the_parties(filled: Run) -> None:
    out = one_line(ok(filled("ledger", "accounts", "--party", "CCC")))
    assert "no accounts of CCC; parties with accounts: AAA, AAA.OIL, BBB" in out


# -- missions ------------------------------------------------------------------------------


def test_orgunits_in_tree_order_with_their_history(filled: Run) -> None:
    units = as_json(filled, "orgunits", "list")
    # CLIN-2 moved to Libertador on 2006-03-01: its parent now, a second version.
    assert [u["id"] for u in units] == [
        "VE", "VE-DC", "VE-DC-LIB", "CLIN-2", "CLIN-3", "VE-ZU", "VE-ZU-MCB", "CLIN-1"
    ]  # fmt: skip
    by_id = {u["id"]: u for u in units}
    assert by_id["CLIN-2"] == {
        "id": "CLIN-2", "name": "Consultorio Popular 2", "level": 4, "level_name": "Facility",
        "parent": "VE-DC-LIB", "code": None, "since": "2006-03-01", "versions": 2,
    }  # fmt: skip
    assert by_id["VE"]["code"] == "VE" and by_id["VE"]["since"] is None
    assert by_id["VE"]["versions"] == 1


def test_orgunits_by_level_and_parent(filled: Run) -> None:
    def ids(*options: str) -> list[object]:
        return [u["id"] for u in as_json(filled, "orgunits", "list", *options)]

    assert ids("--level", "2") == ["VE-DC", "VE-ZU"]
    assert ids("--parent", "VE-ZU") == ["VE-ZU-MCB", "CLIN-1"]
    assert ids("--parent", "VE", "--level", "4") == ["CLIN-2", "CLIN-3", "CLIN-1"]
    assert [r["id"] for r in as_csv(filled, "orgunits", "list", "--level", "3")] == [
        "VE-DC-LIB", "VE-ZU-MCB"
    ]  # fmt: skip
    out = one_line(ok(filled("orgunits", "list", "--level", "7")))
    assert "no org units at level 7; levels with units: 1, 2, 3, 4" in out
    bad = filled("orgunits", "list", "--parent", "XX")
    assert bad.exit_code == 2 and "--parent: no org unit 'XX'" in one_line(bad.stderr)


def test_ids_are_whole_at_80_columns(filled: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    words = set(ok(filled("ledger", "accounts")).replace("│", " ").split())
    assert {"AAA.OIL/claims/BBB", "1,234,567.89", "-1,234,568.00"} <= words
    words = set(ok(filled("orgunits", "list")).replace("│", " ").split())
    assert {"VE-DC-LIB", "VE-ZU-MCB", "CLIN-2", "2006-03-01"} <= words


def test_metadata_elements(filled: Run) -> None:
    elements = {e["id"]: e for e in as_json(filled, "metadata", "elements")}
    assert set(elements) == {"CONSULT", "POP", "POP_15P", "LITERATE_15P", "WAIT_DAYS", "NOTES"}
    assert elements["CONSULT"] == {
        "id": "CONSULT", "name": "Consultations", "value_type": "INTEGER",
        "category_combo": "SEX_AGE", "aggregation": "SUM", "data_set": "BA_MONTHLY",
        "code": None,
    }  # fmt: skip
    census = as_json(filled, "metadata", "elements", "--data-set", "CENSUS")
    assert [e["id"] for e in census] == ["POP", "POP_15P"]
    bad = filled("metadata", "elements", "--data-set", "NOPE")
    assert bad.exit_code == 2 and "no data set 'NOPE'" in one_line(bad.stderr)


def test_metadata_combos_with_their_options(filled: Run) -> None:
    combos = as_json(filled, "metadata", "combos", "--element", "CONSULT")
    assert [(c["id"], c["options"]) for c in combos] == [
        ("F_A0_14", ["F", "A0_14"]), ("F_A15P", ["F", "A15P"]),
        ("M_A0_14", ["M", "A0_14"]), ("M_A15P", ["M", "A15P"]),
    ]  # fmt: skip
    assert combos[1]["option_names"] == ["Female", "15 and over"]
    every = {c["id"]: c for c in as_json(filled, "metadata", "combos")}
    assert set(every) == {"default", "F", "M", "F_A0_14", "F_A15P", "M_A0_14", "M_A15P"}
    assert every["default"]["options"] == []
    assert as_csv(filled, "metadata", "combos", "--element", "POP_15P")[0]["options"] == "F"
    table = one_line(ok(filled("metadata", "combos")).replace("│", " "))
    assert "M_A15P Male, 15 and over SEX_AGE M, A15P" in table


def test_metadata_indicators_with_targets(filled: Run) -> None:
    indicators = {i["id"]: i for i in as_json(filled, "metadata", "indicators")}
    assert indicators["LITERACY_RATE"] == {
        "id": "LITERACY_RATE", "name": "Literacy rate, aged 15+ (%)",
        "numerator": "#{LITERATE_15P}", "denominator": "#{POP_15P}", "factor": 100,
        "decimals": 1, "targets": [{"org_unit": "VE-ZU", "period": "2005", "value": "96"}],
    }  # fmt: skip
    assert indicators["CONSULT_PER_1000"]["targets"] == []
    assert indicators["CONSULT_PER_1000"]["factor"] == 1000


def test_metadata_data_sets(filled: Run) -> None:
    data_sets = {d["id"]: d for d in as_json(filled, "metadata", "data-sets")}
    assert data_sets["BA_MONTHLY"] == {
        "id": "BA_MONTHLY", "name": "Barrio Adentro monthly", "period_type": "Monthly",
        "expiry_days": 30, "mission": "BARRIO_ADENTRO",
        "elements": ["CONSULT", "WAIT_DAYS", "NOTES"],
    }  # fmt: skip
    assert data_sets["CENSUS"]["mission"] is None and data_sets["CENSUS"]["expiry_days"] == 0
    rows = as_csv(filled, "metadata", "data-sets")
    assert [r["id"] for r in rows] == ["BA_MONTHLY", "CENSUS", "ROBINSON_YEARLY"]
    assert rows[1]["elements"] == "POP;POP_15P"
