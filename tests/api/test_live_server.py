"""The issue's exact routes over real HTTP: `convenio serve` on a loopback port, on SQLite
and on PostgreSQL (tests/api/live.py).

The tutorial's first quarter is the worked example: three diesel cargoes at the monthly
averages of its prices, 30 % lent (the price is at or above 90), 240 teacher-months at
2,500.00 and 150 nurse-months at 3,000.00 offset, and Boreal's March payment of
1,500,000.00; the figures below are computed here from those inputs, not read from
convenio.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from convenio.services import financing
from tests.api.conftest import EXAMPLES
from tests.api.live import LiveServer

PAYMENT = {
    "payment_id": "P-2401",
    "date": "2024-03-28",
    "payer": "XBO",
    "payee": "XAT",
    "amount": "1500000.00",
    "currency": "USD",
    "reference": "cash part of the first quarter",
}

# The worked example of the first quarter, from the tutorial's inputs.
CARGOES = [(Decimal(25000), Decimal("92.00")), (Decimal(27500), Decimal("95.85")),
           (Decimal(25000), Decimal("91.00"))]  # fmt: skip
INVOICED = sum((q * p for q, p in CARGOES), Decimal(0))
LENT = (INVOICED * Decimal("0.30")).quantize(Decimal("0.01"))
SHORT_TERM = INVOICED - LENT
SERVICES = 240 * Decimal("2500.00") + 150 * Decimal("3000.00")
CASH = Decimal("1500000.00")
CARRIED = SHORT_TERM - SERVICES - CASH


def values(tree: Any, key: str) -> Iterator[Any]:
    """Every value of `key` anywhere in a JSON tree (the answer's shape may nest it)."""
    if isinstance(tree, dict):
        for k, v in tree.items():
            if k == key:
                yield v
            yield from values(v, key)
    elif isinstance(tree, list):
        for item in tree:
            yield from values(item, key)


def test_the_worked_example_is_what_the_tutorial_says() -> None:
    figures = {"invoiced": INVOICED, "lent": LENT, "short": SHORT_TERM, "carried": CARRIED}
    assert figures == {
        "invoiced": Decimal("7210875.00"), "lent": Decimal("2163262.50"),
        "short": Decimal("5047612.50"), "carried": Decimal("2497612.50"),
    }  # fmt: skip


def test_the_openapi_document_is_3_1_and_names_the_issue_routes(live_server: LiveServer) -> None:
    with live_server.client() as http:
        answer = http.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    document = answer.json()
    assert document["openapi"].startswith("3.1.")
    paths = document["paths"]
    assert "get" in paths["/api/v1/balances"]
    assert "post" in paths["/api/v1/payments"]
    assert "get" in paths["/api/v1/ledger/verify"]
    assert "get" in paths.get("/api/v1/statements/{party}", {}), "no GET statements/{party}"
    assert "post" in paths.get("/api/v1/settlements/{period}", {}), "no POST settlements"


def test_a_payment_with_a_key_is_recorded_once(live_server: LiveServer) -> None:
    key = {"Idempotency-Key": "live-pay-2401"}
    with live_server.client("treasury-XBO") as http:
        first = http.post("/api/v1/payments", json=[PAYMENT], headers=key)
        again = http.post("/api/v1/payments", json=[PAYMENT], headers=key)
        other = http.post("/api/v1/payments", json=[{**PAYMENT, "amount": "1.00"}], headers=key)
    assert first.status_code == 201, first.text
    assert first.json() == {"added": 1, "unchanged": 0, "posted": 0, "settled": []}
    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert other.status_code == 409
    assert other.headers["content-type"] == "application/problem+json"
    with live_server.client("auditor") as http:
        entries = http.get("/api/v1/audit").json()
    keyed = [e for e in values(entries, "idempotency_key") if e == "live-pay-2401"]
    assert keyed == ["live-pay-2401"], "one audit entry for the key, whatever the replays"


def test_settle_read_the_statement_and_balances_reopen_and_verify(
    live_server: LiveServer,
) -> None:
    store = live_server.store()  # prices and deliveries as the CLI loads them, beside the server
    try:
        with store.unit_of_work(write=True) as uow:
            financing.load_prices(uow, EXAMPLES / "prices.csv")
        with store.unit_of_work(write=True) as uow:
            financing.load_deliveries(uow, EXAMPLES / "deliveries.csv")
    finally:
        store.close()
    with live_server.client("treasury-XBO") as http:  # the March payment (if not yet there)
        paid = http.post("/api/v1/payments", json=[PAYMENT], headers={"Idempotency-Key": "q1-pay"})
    assert paid.status_code == 201, paid.text
    with live_server.client("commission-XAT") as http:
        run = http.post("/api/v1/settlements/2024Q1", headers={"Idempotency-Key": "q1"})
    assert run.status_code in (200, 201), run.text
    carried = {Decimal(v) for v in values(run.json(), "carried_forward")}
    assert carried == {CARRIED, Decimal("0.00")}, run.text
    assert {Decimal(v) for v in values(run.json(), "cash_paid")} == {CASH, Decimal("0.00")}

    with live_server.client("treasury-XBO") as http:
        statement = http.get("/api/v1/statements/XBO", params={"as_of": "2024-03-31"})
        balances = http.get("/api/v1/balances", params={"as_of": "2024-03-31", "party": "XBO"})
        theirs = http.get("/api/v1/statements/XAT", params={"as_of": "2024-02-29"})
        settled = http.get("/api/v1/statements/XAT", params={"as_of": "2024-03-31"})
    assert statement.status_code == 200, statement.text
    assert statement.json()["party"] == "XBO"
    owed = [c for c in statement.json()["claims"] if c["type"] == "short-term"]
    assert [Decimal(c["outstanding"]) for c in owed] == [CARRIED]
    assert theirs.status_code == 403, "another party's statement: only once settled"
    assert settled.status_code == 200, "a settled statement is public"
    assert balances.status_code == 200, balances.text
    rows = {b["account"]: Decimal(b["amount"]) for b in balances.json()["balances"]}
    assert set(balances.json()["balances"][0]) == {"account", "unit", "amount"}
    assert all(account.startswith("XBO/") for account in rows)
    assert rows["XBO/payable/short-term/XAT"] == -CARRIED
    assert rows["XBO/payable/financed/XAT"] == -LENT
    assert rows["XBO/cash"] == -CASH
    assert rows["XBO/income/services"] == -SERVICES

    with live_server.client("commission-XBO") as http:
        reopened = http.post(
            "/api/v1/settlements/2024Q1", params={"reopen": "true"},
            headers={"Idempotency-Key": "q1-reopen"},
        )  # fmt: skip
    assert reopened.status_code in (200, 201), reopened.text
    assert {Decimal(v) for v in values(reopened.json(), "carried_forward")} == carried

    with live_server.client("auditor") as http:
        verified = http.get("/api/v1/ledger/verify")
    assert verified.status_code == 200
    report = verified.json()
    assert report["ok"] is True, report
    assert report["transactions"] == report["head_seq"] > 0
    assert len(report["head"]) == 64
    assert report["audit_entries"] >= 3  # the payment, the run, the reopened run


@pytest.mark.parametrize("name", [None, "treasury-XAT"])
def test_balances_are_refused_outside_the_scope(live_server: LiveServer, name: str | None) -> None:
    with live_server.client(name) as http:
        answer = http.get("/api/v1/balances", params={"party": "XBO"})
    assert answer.status_code == (401 if name is None else 403)
    assert answer.headers["content-type"] == "application/problem+json"
