"""Settlement over the API: 2024Q1 of the tutorial settled by a commission, its figures
worked by hand; reopening; many periods as a job; the statement equal to the CLI's
``--json``; who may settle and who may read a statement, with refusals writing nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from convenio.auth import Principal, Role
from convenio.cli.main import app
from convenio.errors import AccessError
from convenio.services import access
from convenio.services.settlement import run_settlement
from convenio.settings import get_settings
from convenio.store import Store
from tests.api.conftest import bearer
from tests.api.test_financing_routes import load_tutorial, month_average, rows

CENT = Decimal("0.01")


def short_term_q1() -> Decimal:
    """What XBO owes at 90 days for Q1's three cargoes: each valued at its month's average
    and 70 % of it (30 % is lent while diesel is at or above 90 USD)."""
    total = Decimal(0)
    for d in rows("deliveries.csv"):
        if d["supplier"] == "XAT" and d["date"] < "2024-04-01":
            average = month_average(d["date"][:7])
            assert average >= 90
            value = (Decimal(d["quantity"]) * average).quantize(CENT)
            total += value - (value * Decimal("0.30")).quantize(CENT)
    return total


def services_q1() -> Decimal:
    cards = {"teacher": Decimal("2500.00"), "nurse": Decimal("3000.00")}
    return sum(
        (Decimal(d["quantity"]) * cards[d["item"]] for d in rows("deliveries.csv")
         if d["supplier"] == "XBO" and d["date"] < "2024-04-01"),
        Decimal(0),
    )  # fmt: skip


def settle(client: TestClient, token: str, period: str, **params: str) -> Any:
    return client.post(f"/api/v1/settlements/{period}", params=params, headers=bearer(token))


def audit_count(store: Store) -> int:
    with store.unit_of_work() as uow:
        return len(access.audit_entries(uow))


@pytest.fixture
def loaded(client: TestClient, people: dict[str, str]) -> TestClient:
    load_tutorial(client, people)
    return client


@pytest.fixture
def cli(api_store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """The CLI on the API's store."""
    monkeypatch.setenv("CONVENIO_DATABASE_URL", api_store.url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_a_commission_settles_q1_as_worked_by_hand(
    loaded: TestClient, people: dict[str, str]
) -> None:
    answer = settle(loaded, people["commission-XBO"], "2024Q1")
    assert answer.status_code == 201, answer.text
    (run,) = answer.json()
    assert (run["run"], run["created"], run["reversed"]) == ("2024Q1:XAT:XBO:1", True, None)
    statement = run["statement"]
    assert statement["parties"] == ["XAT", "XBO"]
    xat_on_xbo = next(d for d in statement["directions"] if d["creditor"] == "XAT")
    due = short_term_q1()
    assert due == Decimal("5047612.50")  # docs/tutorial.md
    assert Decimal(xat_on_xbo["offset"]) == services_q1() == Decimal("1050000.00")
    assert Decimal(xat_on_xbo["cash_paid"]) == Decimal("1500000.00")
    carried = due - services_q1() - Decimal("1500000.00")
    assert Decimal(xat_on_xbo["carried_forward"]) == carried == Decimal("2497612.50")

    # Settling again changes nothing; the other party's commission gets the same run.
    again = settle(loaded, people["commission-XAT"], "2024Q1")
    assert again.status_code == 201
    assert again.json()[0]["created"] is False
    assert again.json()[0]["statement"] == statement
    stored = loaded.get(
        "/api/v1/settlements", params={"period": "2024Q1"}, headers=bearer(people["auditor"])
    )
    assert [r["id"] for r in stored.json()["runs"]] == ["2024Q1:XAT:XBO:1"]


def test_reopen_reverses_the_run_and_settles_again(
    loaded: TestClient, people: dict[str, str]
) -> None:
    token = people["commission-XAT"]
    first = settle(loaded, token, "2024Q1").json()[0]
    # A late payment dated in Q1 is recorded, but counts only once the period is reopened.
    late = [{"payment_id": "P-2401b", "date": "2024-03-30", "payer": "XBO", "payee": "XAT",
             "amount": "100000.00", "currency": "USD"}]  # fmt: skip
    noted = loaded.post("/api/v1/payments", json=late, headers=bearer(people["treasury-XBO"]))
    assert noted.json()["settled"] == ["2024Q1 XAT-XBO"]
    reopened = settle(loaded, token, "2024Q1", reopen="true")
    assert reopened.status_code == 201, reopened.text
    (run,) = reopened.json()
    assert (run["run"], run["created"], run["reversed"]) == ("2024Q1:XAT:XBO:2", True, first["run"])
    xat_on_xbo = next(d for d in run["statement"]["directions"] if d["creditor"] == "XAT")
    assert Decimal(xat_on_xbo["cash_paid"]) == Decimal("1600000.00")
    assert Decimal(xat_on_xbo["carried_forward"]) == Decimal("2397612.50")
    stored = loaded.get("/api/v1/settlements", headers=bearer(people["treasury-XBO"])).json()
    assert [r["id"] for r in stored["runs"]] == ["2024Q1:XAT:XBO:2"]
    assert stored["runs"][0]["generation"] == 2


def wait_for(store: Store, job_id: str) -> Any:
    state = "missing"
    for _ in range(600):
        with store.unit_of_work() as uow:
            row = uow.auth.job(job_id)
        assert row is not None
        state = row.state
        if state not in ("queued", "running"):
            return row
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {state}")


def test_many_periods_settle_in_order_as_a_job(
    loaded: TestClient, people: dict[str, str], api_store: Store
) -> None:
    answer = loaded.post(
        "/api/v1/settlements",
        params={"through": "2024Q2"},  # from the terms' first quarter, 2024Q1
        headers=bearer(people["commission-XAT"]) | {"Idempotency-Key": "q1-q2"},
    )
    assert answer.status_code == 202, answer.text
    job = answer.json()
    row = wait_for(api_store, job["id"])
    assert row.state == "done", row.result
    result = json.loads(row.result)
    assert [r["run"] for r in result["runs"]] == ["2024Q1:XAT:XBO:1", "2024Q2:XAT:XBO:1"]
    q2 = next(d for d in result["runs"][1]["statement"]["directions"] if d["creditor"] == "XAT")
    assert q2["carried_forward"] == "5256537.51"  # docs/tutorial.md, section 4
    # The same key again replays the job's answer and starts nothing.
    replay = loaded.post(
        "/api/v1/settlements",
        params={"through": "2024Q2"},
        headers=bearer(people["commission-XAT"]) | {"Idempotency-Key": "q1-q2"},
    )
    assert replay.json()["id"] == job["id"]
    # Without `from`, the next call starts after the last settled quarter: 2024Q3 only.
    later = loaded.post(
        "/api/v1/settlements",
        params={"through": "2024Q3"},
        headers=bearer(people["commission-XAT"]),
    )
    row = wait_for(api_store, later.json()["id"])
    assert row.state == "done"
    assert [r["run"] for r in json.loads(row.result)["runs"]] == ["2024Q3:XAT:XBO:1"]


def test_the_statement_is_the_clis_json(
    loaded: TestClient, people: dict[str, str], cli: CliRunner
) -> None:
    settle(loaded, people["commission-XAT"], "2024Q1")
    answer = loaded.get(
        "/api/v1/statements/XBO", params={"as_of": "2024-03-31"},
        headers=bearer(people["treasury-XBO"]),
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    printed = cli.invoke(app, ["statement", "--party", "XBO", "--as-of", "2024-03-31", "--json"])
    assert printed.exit_code == 0, printed.output
    assert answer.json() == json.loads(printed.stdout)
    statement = answer.json()
    owed = sum(Decimal(c["outstanding"]) for c in statement["claims"]
               if c["direction"] == "payable" and c["type"] == "short-term")  # fmt: skip
    assert owed == short_term_q1() - services_q1() - Decimal("1500000.00")
    (principal,) = statement["tranche_principal"]
    lent = sum(
        (Decimal(d["quantity"]) * month_average(d["date"][:7]) * Decimal("0.30")).quantize(CENT)
        for d in rows("deliveries.csv")
        if d["supplier"] == "XAT" and d["date"] < "2024-04-01"
    )
    assert Decimal(principal["outstanding"]) == lent == Decimal("2163262.50")

    # The CLI's settle --json is the API's answer too.
    ran = cli.invoke(app, ["settle", "2024Q1", "--json"])
    assert ran.exit_code == 0, ran.output
    api = settle(loaded, people["commission-XBO"], "2024Q1").json()
    assert api == json.loads(ran.stdout)


def test_the_public_reads_settled_statements_only(
    loaded: TestClient, people: dict[str, str], api_store: Store
) -> None:
    path, settled = "/api/v1/statements/XBO", {"as_of": "2024-03-31"}
    assert loaded.get(path, params=settled).status_code == 401  # nothing settled yet
    settle(loaded, people["commission-XAT"], "2024Q1")
    public = loaded.get(path, params=settled)
    assert public.status_code == 200
    assert (
        public.json() == loaded.get(path, params=settled, headers=bearer(people["auditor"])).json()
    )
    assert loaded.get(path, params={"as_of": "2024-03-30"}).status_code == 401
    assert loaded.get(path, params={"as_of": "2024-06-30"}).status_code == 401
    # A user who does not read XBO's accounts reads what the public reads, no more.
    other = bearer(people["treasury-XAT"])
    assert loaded.get(path, params=settled, headers=other).status_code == 200
    refused = loaded.get(path, params={"as_of": "2024-05-31"}, headers=other)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["parameter"] == "as_of"
    mine = loaded.get(path, params={"as_of": "2024-05-31"}, headers=bearer(people["treasury-XBO"]))
    assert mine.status_code == 200


def test_who_may_settle(loaded: TestClient, people: dict[str, str], api_store: Store) -> None:
    before = audit_count(api_store)
    for name in ("treasury-XAT", "auditor", "admin"):
        assert settle(loaded, people[name], "2024Q1").status_code == 403
    assert loaded.post("/api/v1/settlements/2024Q1").status_code == 401
    many = loaded.post(
        "/api/v1/settlements", params={"through": "2024Q2"}, headers=bearer(people["auditor"])
    )
    assert many.status_code == 403
    assert audit_count(api_store) == before
    # A commission of a party outside the pair (the tutorial has none over the API: its
    # only pair is XAT–XBO) is refused by the service, before anything is written.
    stranger = Principal("commission-xzz", Role.COMMISSION, party="XZZ")
    refused = pytest.raises(AccessError, match="may not settle a pair without its party")
    with api_store.unit_of_work(write=True) as uow, refused:
        run_settlement(uow, "2024Q1", actor=stranger)
    with api_store.unit_of_work() as uow:
        assert uow.financing.runs() == []
        assert uow.financing.last_accrued() == {}
