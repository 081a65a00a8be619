"""The ledger over HTTP: the tutorial's accounts and journal posted by each party's
treasury, balances worked out by hand, replays, scope refusals that write nothing,
reversals, reading one transaction, and an export that Beancount itself reads back."""

from __future__ import annotations

import csv
from collections import defaultdict
from decimal import Decimal
from typing import Any

from beancount import loader
from beancount.core import data
from fastapi.testclient import TestClient

from convenio.ledger import AccountKind, AccountSpec
from convenio.reports.journals import beancount_account
from tests.api.conftest import EXAMPLES, bearer

# What the tutorial's journal leaves, worked out by hand from journal.csv: each party's
# opening cash against its equity, then Boreal's freight paid from its central bank.
EXPECTED = {
    "XAT/reserves/treasury": "5000000.00",
    "XAT/equity/opening": "-5000000.00",
    "XBO/reserves/central-bank": "1981500.00",  # 2,000,000.00 − 18,500.00
    "XBO/equity/opening": "-2000000.00",
    "XBO/expense/freight": "18500.00",
}


def _rows(name: str) -> list[dict[str, str]]:
    with (EXAMPLES / name).open(encoding="utf-8", newline="") as f:
        return [{k: v for k, v in row.items() if v != ""} for row in csv.DictReader(f)]


ACCOUNTS = _rows("accounts.csv")
JOURNAL = _rows("journal.csv")


def _of(party: str, rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [r for r in rows if r["account"].startswith(party + "/")]


def _open_and_post(client: TestClient, people: dict[str, str]) -> None:
    for party in ("XAT", "XBO"):
        who = bearer(people[f"treasury-{party}"])
        opened = client.post("/api/v1/accounts", json=_of(party, ACCOUNTS), headers=who)
        assert opened.status_code == 201, opened.text
        posted = client.post("/api/v1/transactions", json=_of(party, JOURNAL), headers=who)
        assert posted.status_code == 201, posted.text


def _balances(client: TestClient, people: dict[str, str], **params: str) -> dict[str, str]:
    answer = client.get("/api/v1/balances", params=params, headers=bearer(people["auditor"]))
    assert answer.status_code == 200, answer.text
    return {b["account"]: b["amount"] for b in answer.json()["balances"]}


def _head(client: TestClient, people: dict[str, str]) -> tuple[int, str]:
    answer = client.get("/api/v1/ledger/verify", headers=bearer(people["auditor"])).json()
    assert answer["ok"] is True
    return answer["head_seq"], answer["head"]


def test_the_tutorial_journal_posted_by_each_treasury_gives_the_balances_by_hand(
    client: TestClient, people: dict[str, str]
) -> None:
    xat = bearer(people["treasury-XAT"])
    opened = client.post("/api/v1/accounts", json=_of("XAT", ACCOUNTS), headers=xat)
    assert opened.json() == {"opened": 2, "unchanged": 0}
    posted = client.post("/api/v1/transactions", json=_of("XAT", JOURNAL), headers=xat)
    assert posted.status_code == 201, posted.text
    assert {k: posted.json()[k] for k in ("posted", "replayed", "head_seq")} == {
        "posted": 1, "replayed": 0, "head_seq": 1,
    }  # fmt: skip
    xbo = bearer(people["treasury-XBO"])
    assert client.post("/api/v1/accounts", json=_of("XBO", ACCOUNTS), headers=xbo).json() == {
        "opened": 3, "unchanged": 0,
    }  # fmt: skip
    second = client.post("/api/v1/transactions", json=_of("XBO", JOURNAL), headers=xbo).json()
    assert (second["posted"], second["replayed"], second["head_seq"]) == (2, 0, 3)
    assert _balances(client, people) == EXPECTED
    assert _head(client, people) == (3, second["head_hash"])


def test_posting_the_same_journal_again_posts_nothing(
    client: TestClient, people: dict[str, str]
) -> None:
    _open_and_post(client, people)
    head = _head(client, people)
    xbo = bearer(people["treasury-XBO"])
    again = client.post("/api/v1/transactions", json=_of("XBO", JOURNAL), headers=xbo)
    assert again.status_code == 201
    assert again.json() == {"posted": 0, "replayed": 2, "head_seq": head[0], "head_hash": head[1]}
    reopened = client.post("/api/v1/accounts", json=_of("XBO", ACCOUNTS), headers=xbo)
    assert reopened.json() == {"opened": 0, "unchanged": 3}
    assert _balances(client, people) == EXPECTED


def test_a_treasury_posting_to_the_other_partys_account_is_refused_and_nothing_is_written(
    client: TestClient, people: dict[str, str]
) -> None:
    _open_and_post(client, people)
    head = _head(client, people)
    theft = [
        {"txn_id": "grab", "date": "2024-02-01", "account": "XAT/reserves/treasury",
         "amount": "1000.00", "unit": "USD", "description": "taken from Boreal"},
        {"txn_id": "grab", "date": "2024-02-01", "account": "XBO/reserves/central-bank",
         "amount": "-1000.00", "unit": "USD", "description": "taken from Boreal"},
    ]  # fmt: skip
    refused = client.post(
        "/api/v1/transactions", json=theft, headers=bearer(people["treasury-XAT"])
    )
    assert refused.status_code == 403
    assert refused.json()["errors"] == [
        {"detail": "transaction grab: treasury-xat may not act for XBO", "pointer": "/1/account"}
    ]
    assert _head(client, people) == head
    assert _balances(client, people) == EXPECTED
    foreign = client.post(
        "/api/v1/accounts",
        json=[{"account": "XBO/reserves/secret", "unit": "USD"}],
        headers=bearer(people["treasury-XAT"]),
    )
    assert foreign.status_code == 403
    assert "XBO/reserves/secret" not in _balances(client, people)


def test_a_bad_row_is_located_by_its_pointer_and_nothing_is_written(
    client: TestClient, people: dict[str, str]
) -> None:
    _open_and_post(client, people)
    head = _head(client, people)
    unbalanced = [
        {"txn_id": "t-1", "date": "2024-03-01", "account": "XBO/expense/freight",
         "amount": "10.00", "unit": "USD"},
        {"txn_id": "t-1", "date": "2024-03-01", "account": "XBO/reserves/central-bank",
         "amount": "-10.001", "unit": "USD"},
    ]  # fmt: skip
    answer = client.post(
        "/api/v1/transactions", json=unbalanced, headers=bearer(people["treasury-XBO"])
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["pointer"] == "/1/amount"
    assert _head(client, people) == head


def test_reversing_restores_the_balances_and_a_second_reversal_changes_nothing(
    client: TestClient, people: dict[str, str]
) -> None:
    _open_and_post(client, people)
    xbo = bearer(people["treasury-XBO"])
    body = {"id": "freight-1/undo", "reason": "charged twice"}
    first = client.post("/api/v1/transactions/freight-1/reverse", json=body, headers=xbo)
    assert first.status_code == 201, first.text
    assert (first.json()["posted"], first.json()["head_seq"]) == (1, 4)
    restored = {
        **EXPECTED,
        "XBO/reserves/central-bank": "2000000.00",
        "XBO/expense/freight": "0.00",
    }
    assert _balances(client, people) == restored
    again = client.post("/api/v1/transactions/freight-1/reverse", json=body, headers=xbo)
    assert (again.json()["posted"], again.json()["replayed"]) == (0, 1)
    other = client.post("/api/v1/transactions/freight-1/reverse", json={"id": "x"}, headers=xbo)
    assert other.status_code == 409
    # Boreal's reversal is not Atlántida's to make, nor to know about.
    xat = bearer(people["treasury-XAT"])
    hidden = client.post("/api/v1/transactions/open-XBO/reverse", json={}, headers=xat)
    assert hidden.status_code == 422
    assert hidden.json()["detail"] == "no transaction 'open-XBO'"
    assert _balances(client, people) == restored


def test_one_transaction_reads_back_as_posted_and_only_where_its_party_is(
    client: TestClient, people: dict[str, str]
) -> None:
    _open_and_post(client, people)
    client.post(
        "/api/v1/transactions/freight-1/reverse", json={}, headers=bearer(people["treasury-XBO"])
    )
    answer = client.get("/api/v1/transactions/freight-1", headers=bearer(people["commission-XAT"]))
    assert answer.status_code == 200
    txn = answer.json()
    assert {k: txn[k] for k in ("id", "date", "kind", "description", "reverses", "seq")} == {
        "id": "freight-1", "date": "2024-01-20", "kind": "manual",
        "description": "freight of cargo D-2401 (outside the agreement)",
        "reverses": None, "seq": 3,
    }  # fmt: skip
    assert txn["postings"] == [
        {"account": "XBO/expense/freight", "unit": "USD", "amount": "18500.00"},
        {"account": "XBO/reserves/central-bank", "unit": "USD", "amount": "-18500.00"},
    ]
    reversal = client.get(
        "/api/v1/transactions/freight-1/reversal", headers=bearer(people["treasury-XBO"])
    ).json()
    assert reversal["reverses"] == "freight-1"
    assert [p["amount"] for p in reversal["postings"]] == ["-18500.00", "18500.00"]
    hidden = client.get("/api/v1/transactions/freight-1", headers=bearer(people["treasury-XAT"]))
    unknown = client.get("/api/v1/transactions/nothing", headers=bearer(people["treasury-XAT"]))
    assert hidden.status_code == unknown.status_code == 404
    assert client.get("/api/v1/transactions/freight-1").status_code == 401


def test_accounts_and_balances_show_a_treasury_its_own_party_only(
    client: TestClient, people: dict[str, str]
) -> None:
    _open_and_post(client, people)
    own = client.get("/api/v1/accounts", headers=bearer(people["treasury-XAT"])).json()
    assert own["accounts"] == [
        {"account": "XAT/equity/opening", "party": "XAT", "unit": "USD", "kind": "equity",
         "floor": None, "ceiling": None, "balance": "-5000000.00"},
        {"account": "XAT/reserves/treasury", "party": "XAT", "unit": "USD", "kind": "asset",
         "floor": "0.00", "ceiling": None, "balance": "5000000.00"},
    ]  # fmt: skip
    other = client.get(
        "/api/v1/accounts", params={"party": "XBO"}, headers=bearer(people["treasury-XAT"])
    )
    assert other.status_code == 403
    xat = bearer(people["treasury-XAT"])
    own_balances = client.get("/api/v1/balances", headers=xat).json()["balances"]
    assert {b["account"]: b["amount"] for b in own_balances} == {
        k: v for k, v in EXPECTED.items() if k.startswith("XAT/")
    }
    refused = client.get("/api/v1/balances", params={"party": "XBO"}, headers=xat)
    assert refused.status_code == 403
    assert refused.json()["errors"] == [
        {"detail": "treasury-xat may not act for XBO", "parameter": "party"}
    ]
    everyone = client.get("/api/v1/accounts", headers=bearer(people["auditor"])).json()
    assert {a["account"]: a["balance"] for a in everyone["accounts"]} == EXPECTED


def _beancount_totals(text: str) -> dict[str, Decimal]:
    entries, errors, _ = loader.load_string(text)
    assert errors == []
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for entry in entries:
        if isinstance(entry, data.Transaction):
            for posting in entry.postings:
                assert posting.units is not None and posting.units.number is not None
                totals[posting.account] += posting.units.number
    return dict(totals)


def test_the_beancount_export_loads_without_errors_and_has_our_balances(
    client: TestClient, people: dict[str, str]
) -> None:
    _open_and_post(client, people)
    answer = client.get(
        "/api/v1/ledger/export", params={"format": "beancount"}, headers=bearer(people["auditor"])
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.headers["convenio-transactions"] == "3"
    kinds = {row["account"]: AccountKind(row.get("kind", "asset")) for row in ACCOUNTS}
    expected: dict[str, Any] = {
        beancount_account(AccountSpec(name, "USD", kinds[name])): Decimal(amount)
        for name, amount in EXPECTED.items()
    }
    assert _beancount_totals(answer.text) == expected
    ledger_text = client.get(
        "/api/v1/ledger/export",
        params={"format": "ledger"},
        headers=bearer(people["commission-XBO"]),
    )
    assert ledger_text.status_code == 200 and "XBO" in ledger_text.text
    refused = client.get(
        "/api/v1/ledger/export",
        params={"format": "beancount"},
        headers=bearer(people["treasury-XAT"]),
    )
    assert refused.status_code == 403
    assert (
        client.get(
            "/api/v1/ledger/export", params={"format": "csv"}, headers=bearer(people["auditor"])
        ).status_code
        == 422
    )
