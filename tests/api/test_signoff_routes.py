"""Sign-offs over the API: the tutorial's 2024Q1 settled, both commissions sign its
statement (audited, replayed with an Idempotency-Key, once per party), anyone reads a
settled run's sign-offs, and the refusals: another role, a second sign-off, a reopened
run, an unknown one."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from convenio.services import access
from convenio.store import Store
from tests.api.conftest import bearer
from tests.api.test_financing_routes import load_tutorial

RUN_1 = "2024Q1:XAT:XBO:1"
RUN_2 = "2024Q1:XAT:XBO:2"


def signoffs_path(run_id: str) -> str:
    return f"/api/v1/settlements/runs/{run_id}/signoffs"


def sign(client: TestClient, token: str | None, run_id: str, key: str | None = None) -> Any:
    headers = {} if token is None else bearer(token)
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(signoffs_path(run_id), headers=headers)


def read(client: TestClient, token: str | None, run_id: str) -> Any:
    return client.get(signoffs_path(run_id), headers={} if token is None else bearer(token))


@pytest.fixture
def settled(client: TestClient, people: dict[str, str]) -> TestClient:
    load_tutorial(client, people)
    answer = client.post("/api/v1/settlements/2024Q1", headers=bearer(people["commission-XAT"]))
    assert answer.status_code == 201, answer.text
    return client


def digest_of(store: Store, run_id: str) -> str:
    """SHA-256 of the run's statement as canonical JSON (keys sorted, no spaces, UTF-8)."""
    with store.unit_of_work() as uow:
        run = uow.financing.run(run_id)
    assert run is not None
    text = json.dumps(run.statement, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def test_both_commissions_sign_and_the_public_reads_it(
    settled: TestClient, people: dict[str, str], api_store: Store
) -> None:
    before = read(settled, None, RUN_1)
    assert before.status_code == 200, before.text
    assert before.json() == {
        "run": RUN_1,
        "signers": ["XAT", "XBO"],
        "signoffs": [],
        "awaiting": ["XAT", "XBO"],
    }
    with api_store.unit_of_work() as uow:
        audited = len(access.audit_entries(uow))
    first = sign(settled, people["commission-XBO"], RUN_1, key="sign-q1")
    assert first.status_code == 201, first.text
    made = first.json()
    assert {k: made[k] for k in ("run", "party", "login")} == {
        "run": RUN_1,
        "party": "XBO",
        "login": "commission-xbo",
    }
    assert made["statement_digest"] == digest_of(api_store, RUN_1)
    assert made["signed_at"].endswith("+00:00")
    replay = sign(settled, people["commission-XBO"], RUN_1, key="sign-q1")
    assert (replay.status_code, replay.json()) == (201, made)
    assert replay.headers["idempotent-replayed"] == "true"
    with api_store.unit_of_work() as uow:
        entries = access.audit_entries(uow)
    assert len(entries) == audited + 1
    assert entries[-1].summary == f"signed off run {RUN_1} for XBO"
    assert entries[-1].route == signoffs_path(RUN_1)

    again = sign(settled, people["commission-XBO"], RUN_1)
    assert again.status_code == 409, again.text
    assert f"XBO already signed off run {RUN_1}" in again.json()["detail"]

    second = sign(settled, people["commission-XAT"], RUN_1)
    assert second.status_code == 201, second.text
    after = read(settled, None, RUN_1).json()
    line = {k: v for k, v in made.items() if k != "run"}
    assert after["signoffs"] == [line, {k: v for k, v in second.json().items() if k != "run"}]
    assert after["awaiting"] == []
    verified = settled.get("/api/v1/ledger/verify", headers=bearer(people["auditor"]))
    assert verified.status_code == 200, verified.text


@pytest.mark.parametrize(
    ("name", "status"),
    [(None, 401), ("admin", 403), ("treasury-XAT", 403), ("auditor", 403), ("coordinator-ZU", 403)],
)
def test_only_a_commission_signs(
    settled: TestClient, people: dict[str, str], name: str | None, status: int
) -> None:
    answer = sign(settled, None if name is None else people[name], RUN_1)
    assert answer.status_code == status, answer.text
    assert read(settled, None, RUN_1).json()["signoffs"] == []


def test_a_reopened_run_is_not_signed_and_its_signoffs_are_not_public(
    settled: TestClient, people: dict[str, str]
) -> None:
    token = people["commission-XAT"]
    reopened = settled.post(
        "/api/v1/settlements/2024Q1", params={"reopen": "true"}, headers=bearer(token)
    )
    assert reopened.status_code == 201, reopened.text
    refused = sign(settled, token, RUN_1)
    assert refused.status_code == 409, refused.text
    assert "was reopened: sign the run that replaced it" in refused.json()["detail"]
    assert sign(settled, token, RUN_2).status_code == 201
    assert read(settled, None, RUN_1).status_code == 401
    assert read(settled, people["admin"], RUN_1).status_code == 403
    mine = read(settled, people["treasury-XBO"], RUN_1)
    assert mine.status_code == 200, mine.text
    assert (mine.json()["signoffs"], mine.json()["awaiting"]) == ([], [])
    assert read(settled, None, RUN_2).json()["awaiting"] == ["XBO"]


def test_an_unknown_run_is_404(settled: TestClient, people: dict[str, str]) -> None:
    assert read(settled, None, "2030Q1:XAT:XBO:1").status_code == 404
    assert sign(settled, people["commission-XAT"], "2030Q1:XAT:XBO:1").status_code == 404
