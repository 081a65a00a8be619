"""The admin routes: sign-in, the current user, users, tokens, the audit trail, jobs and
the demo — each through the API as a client sees it, and what it left in the store."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from convenio.api import create_app
from convenio.services import access
from convenio.settings import Settings
from convenio.store import Store
from convenio.store.auth_tables import audit_log
from tests.api.conftest import bearer, job_id

PASSWORD = "a long enough password"  # the one `prepare` gives every user


def _stored_audit(store: Store) -> list[str]:
    """Every column of every audit row as text (answers included)."""
    with store.engine.connect() as conn:
        return [" ".join(map(str, row)) for row in conn.execute(select(audit_log))]


def test_sign_in_gives_a_12_hour_token_that_me_describes(
    client: TestClient, api_store: Store
) -> None:
    before = datetime.now(UTC)
    answer = client.post("/api/v1/auth/token", json={"login": "treasury-xbo", "password": PASSWORD})
    assert answer.status_code == 201, answer.text
    issued = answer.json()
    expires = datetime.fromisoformat(issued["expires"])
    assert timedelta(hours=12) <= expires - before < timedelta(hours=12, minutes=1)
    me = client.get("/api/v1/me", headers=bearer(issued["token"])).json()
    assert me == {
        "login": "treasury-xbo", "role": "treasury", "party": "XBO", "org_unit": None,
        "token_id": issued["id"], "token_expires": issued["expires"],
    }  # fmt: skip
    with api_store.unit_of_work() as uow:
        (entry,) = access.audit_entries(uow)
    assert (entry.login, entry.role, entry.party, entry.route, entry.status) == (
        "treasury-xbo", "treasury", "XBO", "/api/v1/auth/token", 201,
    )  # fmt: skip
    trail = " ".join(_stored_audit(api_store))
    assert issued["token"] not in trail and issued["token"].split("_", 2)[2] not in trail
    assert access.digest(issued["token"].encode()) not in trail
    assert issued["id"] in trail  # the answer is kept, redacted


def test_a_wrong_login_and_a_wrong_password_are_refused_alike(client: TestClient) -> None:
    wrong_password = client.post(
        "/api/v1/auth/token", json={"login": "auditor", "password": "not the password"}
    )
    no_such_user = client.post("/api/v1/auth/token", json={"login": "nobody", "password": PASSWORD})
    assert wrong_password.status_code == no_such_user.status_code == 401
    assert wrong_password.json()["detail"] == no_such_user.json()["detail"]


def test_an_idempotency_key_never_replays_a_token(client: TestClient) -> None:
    body = {"login": "auditor", "password": PASSWORD}
    headers = {"Idempotency-Key": "same"}
    first = client.post("/api/v1/auth/token", json=body, headers=headers)
    second = client.post("/api/v1/auth/token", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["token"] != second.json()["token"]
    assert "idempotent-replayed" not in second.headers


def test_me_is_for_signed_in_users(client: TestClient, people: dict[str, str]) -> None:
    assert client.get("/api/v1/me").status_code == 401
    me = client.get("/api/v1/me", headers=bearer(people["coordinator-ZU"])).json()
    assert (me["role"], me["org_unit"], me["token_expires"]) == ("coordinator", "VE-ZU", None)


def test_an_admin_adds_a_user_who_signs_in_and_the_password_stays_out_of_the_trail(
    client: TestClient, people: dict[str, str], api_store: Store
) -> None:
    admin = bearer(people["admin"])
    body = {"login": "ana", "role": "treasury", "party": "XAT", "password": "ana's secret pass"}
    refused = client.post("/api/v1/users", json=body, headers=bearer(people["treasury-XAT"]))
    assert refused.status_code == 403
    added = client.post("/api/v1/users", json=body, headers=admin)
    assert added.status_code == 201, added.text
    assert added.json() | {"created": ""} == {
        "login": "ana", "role": "treasury", "party": "XAT", "org_unit": None,
        "password": True, "created": "", "disabled": None,
    }  # fmt: skip
    listed = client.get("/api/v1/users", headers=admin).json()["users"]
    assert [u["login"] for u in listed] == sorted(
        ["admin", "ana", "auditor", "commission-xat", "commission-xbo", "coordinator-zu",
         "treasury-xat", "treasury-xbo"]
    )  # fmt: skip
    signed = client.post("/api/v1/auth/token", json={"login": "ana", "password": body["password"]})
    assert signed.status_code == 201
    raw = added.request.content
    trail = " ".join(_stored_audit(api_store))
    assert access.digest(b"POST /api/v1/users\n" + raw) not in trail
    assert "ana's secret pass" not in trail
    again = client.post("/api/v1/users", json=body, headers=admin)
    assert again.status_code == 409
    short = client.post("/api/v1/users", json={**body, "login": "bo", "password": "short"},
                        headers=admin)  # fmt: skip
    assert short.status_code == 422 and short.json()["errors"][0]["parameter"] == "password"


def test_a_disabled_user_is_refused_at_once(client: TestClient, people: dict[str, str]) -> None:
    own = bearer(people["treasury-XBO"])
    assert client.get("/api/v1/me", headers=own).status_code == 200
    answer = client.post("/api/v1/users/treasury-xbo/disable", headers=bearer(people["admin"]))
    assert answer.status_code == 200 and answer.json()["disabled"] is not None
    assert client.get("/api/v1/me", headers=own).status_code == 401
    signed = client.post("/api/v1/auth/token", json={"login": "treasury-xbo", "password": PASSWORD})
    assert signed.status_code == 401
    unknown = client.post("/api/v1/users/nobody/disable", headers=bearer(people["admin"]))
    assert unknown.status_code == 422


def test_a_token_is_shown_once_listed_without_secret_and_revoked(
    client: TestClient, people: dict[str, str], api_store: Store
) -> None:
    admin = {**bearer(people["admin"]), "Idempotency-Key": "issue-1"}
    body = {"login": "auditor", "expires": "2d", "label": "reporting"}
    issued = client.post("/api/v1/tokens", json=body, headers=admin)
    assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    assert client.get("/api/v1/me", headers=bearer(token)).json()["login"] == "auditor"
    replay = client.post("/api/v1/tokens", json=body, headers=admin)
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["id"] == issued.json()["id"]
    assert replay.json()["token"] == access.REDACTED
    listed = client.get("/api/v1/tokens", params={"login": "auditor"}, headers=admin)
    assert token not in listed.text
    mine = [t for t in listed.json()["tokens"] if t["id"] == issued.json()["id"]]
    assert [(t["label"], t["revoked"]) for t in mine] == [("reporting", None)]
    assert token not in " ".join(_stored_audit(api_store))
    # Another user may not revoke it (nor learn whether it exists); its owner may.
    path = f"/api/v1/tokens/{issued.json()['id']}"
    assert client.delete(path, headers=bearer(people["treasury-XAT"])).status_code == 403
    assert client.delete("/api/v1/tokens/nosuchtoken", headers=bearer(token)).status_code == 403
    revoked = client.delete(path, headers=bearer(token))
    assert revoked.status_code == 200 and revoked.json()["revoked"] is not None
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    bad = client.post("/api/v1/tokens", json={**body, "expires": "soon"}, headers=admin | {
        "Idempotency-Key": "issue-2"})  # fmt: skip
    assert bad.status_code == 422 and bad.json()["errors"][0]["parameter"] == "expires"


def test_the_audit_trail_reads_in_pages_for_auditors_and_admins(
    client: TestClient, people: dict[str, str]
) -> None:
    for name in ("auditor", "admin", "treasury-xat"):
        client.post("/api/v1/auth/token", json={"login": name, "password": PASSWORD})
    auditor = bearer(people["auditor"])
    first = client.get("/api/v1/audit", params={"limit": 2}, headers=auditor).json()
    assert [e["login"] for e in first["entries"]] == ["auditor", "admin"]
    assert first["next_after"] == 2
    rest = client.get("/api/v1/audit", params={"after": 2}, headers=auditor).json()
    assert [(e["seq"], e["login"]) for e in rest["entries"]] == [(3, "treasury-xat")]
    assert rest["next_after"] is None
    one = client.get("/api/v1/audit", params={"user": "admin"}, headers=bearer(people["admin"]))
    assert [e["seq"] for e in one.json()["entries"]] == [2]
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    later = client.get("/api/v1/audit", params={"since": tomorrow}, headers=auditor)
    assert later.json() == {"entries": [], "next_after": None}
    assert client.get("/api/v1/audit", headers=bearer(people["treasury-XAT"])).status_code == 403
    assert client.get("/api/v1/audit").status_code == 401


def test_a_job_is_seen_by_its_creator_auditors_and_admins_only(
    client: TestClient, people: dict[str, str]
) -> None:
    path = f"/api/v1/jobs/{job_id('treasury-XAT')}"
    for name in ("treasury-XAT", "auditor", "admin"):
        answer = client.get(path, headers=bearer(people[name]))
        assert answer.status_code == 200 and answer.json()["state"] == "done", name
    for name in ("treasury-XBO", "commission-XAT"):
        assert client.get(path, headers=bearer(people[name])).status_code == 404, name
    assert client.get(path).status_code == 401


def test_the_demo_runs_as_a_job_with_the_clis_figures(tmp_path: Path) -> None:
    """The whole demo (about 10 s): what it adds is what `convenio demo` reports on a
    fresh store (tests/e2e/test_demo.py), and the ledger then verifies."""
    store = Store(f"sqlite:///{tmp_path / 'demo.db'}")
    with store.unit_of_work(write=True, late_lock=True) as uow:
        access.add_user(uow, "root", "admin")
    with store.unit_of_work(write=True, late_lock=True) as uow:
        issued, _ = access.issue_token(uow, "root", None)
    with store.unit_of_work(write=True, late_lock=True) as uow:
        access.add_user(uow, "eve", "auditor")
    with store.unit_of_work(write=True, late_lock=True) as uow:
        eve, _ = access.issue_token(uow, "eve", None)
    admin = bearer(issued.text)
    try:
        with TestClient(create_app(store, Settings(data_dir=tmp_path))) as client:
            queued = client.post("/api/v1/demo", headers=admin)
            assert queued.status_code == 202, queued.text
            location = queued.json()["location"]
            for _ in range(1200):
                job = client.get(location, headers=admin).json()
                if job["state"] not in ("queued", "running"):
                    break
                time.sleep(0.05)
            assert job["state"] == "done", job
            assert job["stage"] == "summarising" and job["done"] == job["total"]
            result = job["result"]
            assert result["added"] == {"prices": 192, "deliveries": 785, "payments": 42,
                                       "runs": 76}  # fmt: skip
            assert len(result["year_ends"]) == 16
            verify = client.get("/api/v1/ledger/verify", headers=bearer(eve.text)).json()
            assert verify["ok"] and verify["transactions"] == result["transactions"]
            assert verify["head"] == result["head_hash"]
        with store.unit_of_work() as uow:
            entries = access.audit_entries(uow)
        assert [(e.method, e.status) for e in entries] == [("POST", 202), ("JOB", 200)]
        assert (entries[1].first_txn, entries[1].last_txn) == (1, result["transactions"])
    finally:
        store.close()
