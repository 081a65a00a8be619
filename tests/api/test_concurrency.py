"""Eight clients write at once to a live server (SQLite and PostgreSQL): 2,000 distinct
writes — payments (``POST /api/v1/payments``) and journal transactions (``POST
/api/v1/transactions``) — each with its own Idempotency-Key, plus retries: about one
request in ten is sent again with the same key and body (at once, or at the end of the
client's run), and one in fifty is first sent on a connection that the client closes
before the answer, then sent again.

Afterwards the store holds exactly the distinct payments and transactions (count and sum,
computed here from what was sent), every retry got the first answer, the ledger
verifies, and the audit trail has exactly one entry per key.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
import pytest
from sqlalchemy import func, select

from convenio.services import access
from convenio.services import ledger as ledger_svc
from convenio.store.financing_tables import payments
from convenio.store.tables import postings, transactions
from tests.api.conftest import bearer
from tests.api.live import LiveServer

CLIENTS = 8
WRITES = 2000
PER_CLIENT = WRITES // CLIENTS
RETRY_EVERY = 10  # one request in ten is sent again with the same key and body
DROP_EVERY = 50  # one in fifty is first sent on a connection closed before the answer
ACCOUNTS = ("reserves/one", "reserves/two")


@dataclass
class Outcome:
    """What one client sent and got."""

    payments: dict[str, int] = field(default_factory=dict)  # id → cents
    transactions: dict[str, int] = field(default_factory=dict)  # id → cents moved
    keys: list[str] = field(default_factory=list)
    replays: int = 0
    dropped: int = 0
    problems: list[str] = field(default_factory=list)


def _party(client: int) -> str:
    return "XBO" if client % 2 == 0 else "XAT"


def _write(client: int, i: int) -> tuple[str, Any, str, int]:
    """The i-th write of a client: (route, body, id, cents)."""
    party = _party(client)
    other = "XAT" if party == "XBO" else "XBO"
    cents = 100 + 37 * i + 1009 * client
    amount = f"{cents // 100}.{cents % 100:02d}"
    day = (date(2024, 1, 1) + timedelta(days=i % 150)).isoformat()
    if i % 2 == 0:
        pid = f"cc-{client}-{i}"
        payment = {"payment_id": pid, "date": day, "payer": party, "payee": other,
                   "amount": amount, "currency": "USD", "reference": f"c{client}"}  # fmt: skip
        body: Any = [payment]
        return "/api/v1/payments", body, pid, cents
    txn = f"cc-{client}-{i}"
    body = [
        {"txn_id": txn, "date": day, "account": f"{party}/{ACCOUNTS[0]}", "amount": amount,
         "unit": "USD", "description": f"move {i}"},
        {"txn_id": txn, "date": day, "account": f"{party}/{ACCOUNTS[1]}", "amount": f"-{amount}",
         "unit": "USD", "description": f"move {i}"},
    ]  # fmt: skip
    return "/api/v1/transactions", body, txn, cents


def _bytes(body: Any) -> bytes:
    """The body as sent, byte for byte the same each time: the server compares a retry's
    body with the first by digest of the bytes (other whitespace would be another body)."""
    return json.dumps(body, separators=(",", ":")).encode()


def _send_and_drop(server: LiveServer, token: str, route: str, body: Any, key: str) -> None:
    """Send the request on a raw connection and close it without reading the answer."""
    where = urlsplit(server.url)
    payload = _bytes(body)
    head = (
        f"POST {route} HTTP/1.1\r\nHost: {where.netloc}\r\nAuthorization: Bearer {token}\r\n"
        f"Idempotency-Key: {key}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    ).encode()
    with socket.create_connection((where.hostname, where.port)) as sock:
        sock.sendall(head + payload)


def _client_run(server: LiveServer, client: int) -> Outcome:
    name = f"treasury-{_party(client)}"
    token = server.people[name]
    outcome = Outcome()
    first: dict[str, bytes] = {}
    later: list[tuple[str, Any, str]] = []
    with httpx2.Client(base_url=server.url, headers=bearer(token), timeout=120) as http:

        def post(route: str, body: Any, key: str) -> httpx2.Response:
            headers = {"Idempotency-Key": key, "Content-Type": "application/json"}
            return http.post(route, content=_bytes(body), headers=headers)

        def check_replay(route: str, body: Any, key: str) -> None:
            again = post(route, body, key)
            outcome.replays += 1
            if again.status_code != 201 or again.content != first[key]:
                outcome.problems.append(f"{key}: replay got {again.status_code} {again.text}")
            elif again.headers.get("idempotent-replayed") != "true":
                outcome.problems.append(f"{key}: replay not marked as one")

        for i in range(PER_CLIENT):
            route, body, ident, cents = _write(client, i)
            key = f"key-{client}-{i}"
            if i % DROP_EVERY == DROP_EVERY - 1:
                _send_and_drop(server, token, route, body, key)
                outcome.dropped += 1
            answer = post(route, body, key)
            if answer.status_code != 201:
                outcome.problems.append(f"{key}: {answer.status_code} {answer.text}")
                continue
            first[key] = answer.content
            outcome.keys.append(key)
            (outcome.payments if route.endswith("payments") else outcome.transactions)[ident] = (
                cents
            )
            if i % RETRY_EVERY == 3:
                check_replay(route, body, key)
            elif i % RETRY_EVERY == 7:
                later.append((route, body, key))
        for route, body, key in later:
            check_replay(route, body, key)
    return outcome


@pytest.fixture(scope="module")
def accounts_opened(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each party's two reserve accounts, opened by the operator (the CLI's service)."""
    csv: Path = tmp_path_factory.mktemp("accounts") / "accounts.csv"
    rows = [f"{p}/{a},USD,asset,," for p in ("XAT", "XBO") for a in ACCOUNTS]
    csv.write_text("account,unit,kind,floor,ceiling\n" + "\n".join(rows) + "\n")
    store = live_server.store()
    try:
        with store.unit_of_work(write=True) as uow:
            ledger_svc.open_accounts_file(uow, csv)
    finally:
        store.close()


@pytest.fixture(scope="module")
def outcomes(live_server: LiveServer, accounts_opened: None) -> Iterator[list[Outcome]]:
    with ThreadPoolExecutor(CLIENTS) as pool:
        yield list(pool.map(lambda c: _client_run(live_server, c), range(CLIENTS)))


def test_every_write_and_every_retry_got_its_first_answer(outcomes: list[Outcome]) -> None:
    assert [p for o in outcomes for p in o.problems] == []
    assert sum(len(o.keys) for o in outcomes) == WRITES
    assert sum(o.replays for o in outcomes) >= WRITES // RETRY_EVERY * 2 - CLIENTS
    assert sum(o.dropped for o in outcomes) == WRITES // DROP_EVERY


def test_the_store_holds_exactly_the_distinct_writes(
    live_server: LiveServer, outcomes: list[Outcome]
) -> None:
    sent_payments = {k: v for o in outcomes for k, v in o.payments.items()}
    sent_txns = {k: v for o in outcomes for k, v in o.transactions.items()}
    assert len(sent_payments) + len(sent_txns) == WRITES
    store = live_server.store()
    try:
        with store.engine.connect() as conn:
            ours = payments.c.id.like("cc-%")
            count, total = conn.execute(
                select(func.count(), func.coalesce(func.sum(payments.c.amount), 0)).where(ours)
            ).one()
            assert (count, total) == (len(sent_payments), sum(sent_payments.values()))
            ours_t = transactions.c.id.like("cc-%")
            assert conn.execute(select(func.count()).where(ours_t)).scalar_one() == len(sent_txns)
            moved = conn.execute(
                select(func.coalesce(func.sum(postings.c.amount), 0))
                .select_from(postings.join(transactions))
                .where(ours_t, postings.c.amount > 0)
            ).scalar_one()
            assert moved == sum(sent_txns.values())
        with store.unit_of_work() as uow:
            keyed = [e.idempotency_key for e in access.audit_entries(uow) if e.idempotency_key]
    finally:
        store.close()
    sent_keys = sorted(k for o in outcomes for k in o.keys)
    assert sorted(k for k in keyed if k.startswith("key-")) == sent_keys, "one audit entry per key"


def test_the_ledger_verifies_after_the_rush(
    live_server: LiveServer, outcomes: list[Outcome]
) -> None:
    with live_server.client("auditor") as http:
        report = http.get("/api/v1/ledger/verify").json()
    assert report["ok"] is True, report
    assert report["audit_entries"] >= WRITES
