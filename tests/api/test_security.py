"""What a security reviewer checks first: credentials only in the Authorization header,
bounded bodies, CORS closed unless opened, security headers on every answer, no secret
in logs or in the audit trail, throttled sign-ins, and documentation with no CDN."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from convenio.api import create_app
from convenio.api.middleware import SECURITY_HEADERS
from convenio.settings import Settings
from convenio.store import Store
from convenio.store.auth_tables import audit_log
from tests.api.conftest import bearer

PASSWORD = "a long enough password"  # the one `prepare` gives every user
PAYMENT = {
    "payment_id": "P-1", "date": "2024-03-28", "payer": "XBO", "payee": "XAT",
    "amount": "1500000.00", "currency": "USD",
}  # fmt: skip


def _client(store: Store, settings: Settings) -> TestClient:
    return TestClient(create_app(store, settings))


@pytest.fixture
def small(api_store: Store, people: dict[str, str], tmp_path: Path) -> Iterator[TestClient]:
    """A server that takes bodies of at most 2,048 bytes."""
    with _client(api_store, Settings(data_dir=tmp_path, max_body=2048)) as client:
        yield client


def _has_security_headers(headers: object) -> bool:
    return all(
        getattr(headers, "get")(name.decode()) == value.decode()  # noqa: B009
        for name, value in SECURITY_HEADERS
    )


def test_a_token_in_the_query_string_is_ignored(client: TestClient, people: dict[str, str]) -> None:
    token = people["auditor"]
    for name in ("token", "access_token", "authorization"):
        answer = client.get("/api/v1/me", params={name: token})
        assert answer.status_code == 401, name
        answer = client.get("/api/v1/balances", params={name: token})
        assert answer.status_code == 401, name
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200


def test_a_body_over_the_limit_is_413_with_a_length_or_in_chunks(
    small: TestClient, people: dict[str, str], api_store: Store
) -> None:
    headers = {**bearer(people["treasury-XBO"]), "Content-Type": "application/json"}
    many = [{**PAYMENT, "payment_id": f"P-{i}"} for i in range(40)]  # ~5 kB of JSON
    sized = small.post("/api/v1/payments", json=many, headers=bearer(people["treasury-XBO"]))
    assert sized.status_code == 413
    assert sized.headers["content-type"] == "application/problem+json"
    assert "CONVENIO_MAX_BODY" in sized.json()["detail"]
    assert _has_security_headers(sized.headers)

    def chunks() -> Iterator[bytes]:
        yield b"["
        for i in range(40):
            yield (b"," if i else b"") + f'{{"payment_id": "C-{i}", "x": "{"y" * 100}"}}'.encode()
        yield b"]"

    chunked = small.post("/api/v1/payments", content=chunks(), headers=headers)
    assert chunked.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in chunked.request.headers
    assert chunked.status_code == 413
    assert chunked.headers["content-type"] == "application/problem+json"
    fits = small.post("/api/v1/payments", json=[PAYMENT], headers=bearer(people["treasury-XBO"]))
    assert fits.status_code == 201
    with api_store.unit_of_work() as uow:
        assert [e.status for e in uow.auth.audit_entries()] == [201]


def test_cors_is_closed_unless_origins_are_set(
    client: TestClient, api_store: Store, tmp_path: Path
) -> None:
    preflight = {
        "Origin": "https://elsewhere.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Authorization",
    }
    closed = client.options("/api/v1/payments", headers=preflight)
    assert not [h for h in closed.headers if h.lower().startswith("access-control-allow")]
    simple = client.get("/api/v1/openapi.json", headers={"Origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in simple.headers
    portal = "https://portal.example.org"
    with _client(api_store, Settings(data_dir=tmp_path, cors_origins=portal)) as opened:
        allowed = opened.options("/api/v1/payments", headers={**preflight, "Origin": portal})
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == portal
        assert "POST" in allowed.headers["access-control-allow-methods"]
        other = opened.options("/api/v1/payments", headers=preflight)
        assert other.headers.get("access-control-allow-origin") != "https://elsewhere.example"


def test_every_answer_carries_the_security_headers(
    client: TestClient, people: dict[str, str]
) -> None:
    answers = {
        "ok": client.get("/api/v1/me", headers=bearer(people["auditor"])),
        "not found": client.get("/api/v1/no/such/route"),
        "method": client.put("/api/v1/me"),
        "unauthenticated": client.get("/api/v1/audit"),
        "forbidden": client.get("/api/v1/audit", headers=bearer(people["treasury-XAT"])),
        "invalid": client.post("/api/v1/auth/token", json={"login": ""}),
        "docs": client.get("/api/v1/docs"),
        "openapi": client.get("/api/v1/openapi.json"),
    }
    statuses = {k: a.status_code for k, a in answers.items()}
    assert statuses == {
        "ok": 200, "not found": 404, "method": 405, "unauthenticated": 401, "forbidden": 403,
        "invalid": 422, "docs": 200, "openapi": 200,
    }  # fmt: skip
    for kind, answer in answers.items():
        assert _has_security_headers(answer.headers), kind
        if answer.status_code >= 400:
            assert answer.headers["content-type"] == "application/problem+json", kind


def test_no_token_or_password_in_the_logs_or_the_audit_trail(
    client: TestClient, people: dict[str, str], api_store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    for name in ("uvicorn", "uvicorn.access", "uvicorn.error", "convenio", "httpx", ""):
        caplog.set_level(logging.DEBUG, logger=name)
    token = people["treasury-XBO"]
    paid = client.post(
        "/api/v1/payments", json=[PAYMENT], headers={**bearer(token), "Idempotency-Key": "k-1"}
    )
    assert paid.status_code == 201
    signed = client.post("/api/v1/auth/token", json={"login": "auditor", "password": PASSWORD})
    assert signed.status_code == 201
    wrong = client.post("/api/v1/auth/token", json={"login": "auditor", "password": "guess-1234"})
    assert wrong.status_code == 401
    new = signed.json()["token"]
    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    assert caplog.records  # the requests were logged at all
    secrets = {
        "token": token, "secret": token.rsplit("_", 1)[1], "new": new,
        "password": PASSWORD, "guess": "guess-1234",
    }  # fmt: skip
    for what, text in secrets.items():
        assert text not in logged, what
    with api_store.engine.connect() as conn:
        trail = " ".join(" ".join(map(str, row)) for row in conn.execute(select(audit_log)))
    for what in ("token", "secret", "new", "password"):
        assert secrets[what] not in trail, what


def test_the_sixth_failed_sign_in_is_429_and_a_success_resets(client: TestClient) -> None:
    def sign_in(password: str) -> int:
        body = {"login": "commission-xat", "password": password}
        return client.post("/api/v1/auth/token", json=body).status_code

    assert [sign_in("wrong password") for _ in range(4)] == [401] * 4
    assert sign_in(PASSWORD) == 201  # resets the count
    assert [sign_in("wrong password") for _ in range(5)] == [401] * 5
    throttled = client.post(
        "/api/v1/auth/token", json={"login": "commission-xat", "password": PASSWORD}
    )
    assert throttled.status_code == 429
    assert 1 <= int(throttled.headers["retry-after"]) <= 60
    assert throttled.headers["content-type"] == "application/problem+json"
    other = client.post("/api/v1/auth/token", json={"login": "auditor", "password": PASSWORD})
    assert other.status_code == 201  # another login is not held back


def test_the_interactive_docs_load_nothing_from_another_host(client: TestClient) -> None:
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert not re.findall(r"https?://", page.text), "a URL to another host in the docs page"
    assets = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", page.text)
    assets += re.findall(r"""url: ?['"]([^'"]+)['"]""", page.text)
    assert {a.rsplit("/", 1)[-1] for a in assets} >= {
        "swagger-ui-bundle.js", "swagger-ui.css", "openapi.json",
    }  # fmt: skip
    for asset in assets:
        assert asset.startswith("/api/v1/"), asset
        assert client.get(asset).status_code == 200, asset
