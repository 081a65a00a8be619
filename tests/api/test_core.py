"""The server's core: credentials, problems, idempotency and the audit trail."""

from __future__ import annotations

from fastapi.testclient import TestClient

from convenio.services import access
from convenio.store import Store
from tests.api.conftest import bearer

PAYMENT = {
    "payment_id": "P-1",
    "date": "2024-03-28",
    "payer": "XBO",
    "payee": "XAT",
    "amount": "1500000.00",
    "currency": "USD",
    "reference": "cash part",
}


def test_no_credentials_is_401_and_a_bad_token_too(client: TestClient) -> None:
    answer = client.post("/api/v1/payments", json=[PAYMENT])
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["www-authenticate"].startswith("Bearer")
    forged = client.post("/api/v1/payments", json=[PAYMENT], headers=bearer("cnv_0123456789ab_x"))
    assert forged.status_code == 401


def test_the_same_key_and_body_replays_the_first_answer(
    client: TestClient, people: dict[str, str], api_store: Store
) -> None:
    headers = {**bearer(people["treasury-XBO"]), "Idempotency-Key": "pay-1"}
    first = client.post("/api/v1/payments", json=[PAYMENT], headers=headers)
    again = client.post("/api/v1/payments", json=[PAYMENT], headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() == {"added": 1, "unchanged": 0, "posted": 0, "settled": []}
    assert again.headers["idempotent-replayed"] == "true"
    other = client.post("/api/v1/payments", json=[{**PAYMENT, "amount": "1.00"}], headers=headers)
    assert other.status_code == 409
    assert other.json()["errors"][0]["header"] == "Idempotency-Key"
    with api_store.unit_of_work() as uow:
        entries = access.audit_entries(uow)
        assert [(e.login, e.route, e.status) for e in entries] == [
            ("treasury-xbo", "/api/v1/payments", 201)
        ]
        assert access.verify_audit(uow).entries == 1


def test_a_treasury_pays_only_for_its_party(client: TestClient, people: dict[str, str]) -> None:
    refused = client.post(
        "/api/v1/payments",
        json=[{**PAYMENT, "payer": "XAT", "payee": "XBO"}],
        headers=bearer(people["treasury-XBO"]),
    )
    assert refused.status_code == 403
    assert refused.json()["errors"] == [
        {"detail": "payment P-1: treasury-xbo may not act for XAT", "pointer": "/0/payer"}
    ]


def test_a_bad_record_is_located_by_a_json_pointer(
    client: TestClient, people: dict[str, str]
) -> None:
    answer = client.post(
        "/api/v1/payments",
        json=[PAYMENT, {**PAYMENT, "payment_id": "P-2", "amount": "1.001"}],
        headers=bearer(people["treasury-XBO"]),
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["pointer"] == "/1/amount"


def test_a_key_is_each_users_own(
    client: TestClient, people: dict[str, str], api_store: Store
) -> None:
    """Two treasuries using the same key make two writes; neither sees the other's answer."""
    xbo = {**bearer(people["treasury-XBO"]), "Idempotency-Key": "day-1"}
    xat = {**bearer(people["treasury-XAT"]), "Idempotency-Key": "day-1"}
    theirs = {**PAYMENT, "payment_id": "P-9", "payer": "XAT", "payee": "XBO"}
    first = client.post("/api/v1/payments", json=[PAYMENT], headers=xbo)
    second = client.post("/api/v1/payments", json=[theirs], headers=xat)
    assert first.status_code == second.status_code == 201
    assert "idempotent-replayed" not in second.headers
    assert second.json()["added"] == 1
    with api_store.unit_of_work() as uow:
        keys = [(e.login, e.idempotency_key) for e in access.audit_entries(uow)]
    assert keys == [("treasury-xbo", "day-1"), ("treasury-xat", "day-1")]


def test_a_dry_run_writes_nothing_and_leaves_no_entry(
    client: TestClient, people: dict[str, str], api_store: Store
) -> None:
    value = {"dataElement": "POP", "period": "2006", "orgUnit": "CLIN-1", "value": "1100"}
    headers = {**bearer(people["coordinator-ZU"]), "Idempotency-Key": "dry"}
    answer = client.post(
        "/api/v1/dataValues", params={"dry_run": "true"}, json=[value], headers=headers
    )
    assert answer.status_code == 201, answer.text
    with api_store.unit_of_work() as uow:
        assert access.audit_entries(uow) == []
    read = client.get(
        "/api/v1/dataValues",
        params={"dataSet": "CENSUS", "period": "2006"},
        headers=bearer(people["auditor"]),
    )
    assert read.json().get("dataValues", []) == []
