"""Missions over HTTP, on the missions sample (tests/missions_data.py) and the cases
sample (tests/cases_data.py): worked answers computed here by hand, coordinators kept
to their subtree (Zulia) with nothing written when refused, the public's analytics
with small counts suppressed, personal data never returned."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from convenio.api import create_app
from convenio.missions.deployments import Cooperant, Deployment
from convenio.services import access, deployments
from convenio.settings import Settings
from convenio.store import Store
from tests.api.conftest import bearer
from tests.cases_data import EVENTS_CSV, KEY

POP_CLIN_3 = {"dataElement": "POP", "period": "2005", "orgUnit": "CLIN-3", "value": "2100"}
POP_CLIN_1 = {"dataElement": "POP", "period": "2005", "orgUnit": "CLIN-1", "value": "1100"}


def _values(client: TestClient, token: str, **params: str) -> dict[tuple[str, str, str], str]:
    answer = client.get("/api/v1/dataValues", params=params, headers=bearer(token))
    assert answer.status_code == 200, answer.text
    return {
        (v["dataElement"], v["period"], v["orgUnit"]): v["value"]
        for v in answer.json()["dataValues"]
        if v["categoryOptionCombo"] == "default"
    }


def _audited(store: Store) -> int:
    with store.unit_of_work() as uow:
        return len(access.audit_entries(uow))


def test_zulia_literacy_and_consultations_as_worked_by_hand(
    client: TestClient, people: dict[str, str]
) -> None:
    literacy = Decimal(590 + 385) / Decimal(600 + 400) * 100  # 97.5 %
    consultations = (Decimal(120 + 80 + 3) / Decimal(1000 + 500) * 1000).quantize(
        Decimal("0.01"), ROUND_HALF_UP
    )  # 135.33 per 1,000
    capital = (Decimal(50) / Decimal(2000) * 1000).quantize(Decimal("0.01"))  # 25.00
    answer = client.get(
        "/api/v1/analytics",
        params={"dx": "LITERACY_RATE;CONSULT_PER_1000", "pe": "2005", "ou": "VE-ZU;VE-DC"},
        headers=bearer(people["auditor"]),
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["public"] is False
    got = {(r["dx"], r["ou"]): r for r in body["rows"]}
    assert Decimal(got["LITERACY_RATE", "VE-ZU"]["value"]) == literacy
    assert got["LITERACY_RATE", "VE-ZU"]["flag"] == "free of illiteracy"
    assert got["LITERACY_RATE", "VE-ZU"]["target"] == "96"
    assert got["CONSULT_PER_1000", "VE-ZU"]["value"] == str(consultations) == "135.33"
    assert got["CONSULT_PER_1000", "VE-DC"]["value"] == str(capital) == "25.00"


def test_a_coordinator_posting_for_distrito_capital_is_refused_and_nothing_is_written(
    client: TestClient, people: dict[str, str], api_store: Store
) -> None:
    coordinator = people["coordinator-ZU"]
    before = _values(client, people["auditor"], dataSet="CENSUS")
    refused = client.post(
        "/api/v1/dataValues", json=[POP_CLIN_1, POP_CLIN_3], headers=bearer(coordinator)
    )
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["errors"] == [
        {"detail": "coordinator-zu may not act at CLIN-3 (outside VE-ZU)", "pointer": "/1/orgUnit"}
    ]
    assert _values(client, people["auditor"], dataSet="CENSUS") == before  # CLIN-1 too
    assert _audited(api_store) == 0
    accepted = client.post("/api/v1/dataValues", json=[POP_CLIN_1], headers=bearer(coordinator))
    assert accepted.status_code == 201, accepted.text
    assert accepted.json() == {
        "added": 0, "updated": 1, "deleted": 0, "unchanged": 0, "dry_run": False, "settled": []
    }  # fmt: skip
    after = _values(client, people["auditor"], dataSet="CENSUS")
    assert after == {**before, ("POP", "2005", "CLIN-1"): "1100"}


def test_a_bad_value_is_located_by_its_pointer(client: TestClient, people: dict[str, str]) -> None:
    answer = client.post(
        "/api/v1/dataValues",
        json=[POP_CLIN_1, {**POP_CLIN_1, "orgUnit": "CLIN-2", "value": "many"}],
        headers=bearer(people["coordinator-ZU"]),
    )
    assert answer.status_code == 422, answer.text
    assert [e["pointer"] for e in answer.json()["errors"]] == ["/1/value"]


def test_a_coordinator_reads_only_its_subtree(client: TestClient, people: dict[str, str]) -> None:
    coordinator = people["coordinator-ZU"]
    seen = _values(client, coordinator, dataSet="CENSUS")
    assert seen == {("POP", "2005", "CLIN-1"): "1000", ("POP", "2005", "CLIN-2"): "500"}
    everything = _values(client, people["commission-XAT"], dataSet="CENSUS")
    assert everything[("POP", "2005", "CLIN-3")] == "2000"
    elsewhere = client.get(
        "/api/v1/dataValues", params={"orgUnit": "CLIN-3"}, headers=bearer(coordinator)
    )
    assert elsewhere.status_code == 403
    assert elsewhere.json()["errors"][0]["parameter"] == "orgUnit"
    # Analytics: by default its own state; the country is outside its subtree.
    own = client.get(
        "/api/v1/analytics", params={"dx": "POP", "pe": "2005"}, headers=bearer(coordinator)
    )
    assert [(r["ou"], r["value"]) for r in own.json()["rows"]] == [("VE-ZU", "1500")]
    country = client.get(
        "/api/v1/analytics",
        params={"dx": "POP", "pe": "2005", "ou": "VE"},
        headers=bearer(coordinator),
    )
    assert country.status_code == 403


def _consultations(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    answer = client.get(
        "/api/v1/analytics",
        params={"dx": "CONSULT;CONSULT_PER_1000", "pe": "2005", "ou": "VE;LEVEL-4"},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_the_public_gets_small_counts_suppressed(
    client: TestClient, people: dict[str, str]
) -> None:
    # Consultations in 2005 by clinic: CLIN-1 120 + 80 = 200, CLIN-2 3, CLIN-3 50.
    # Under 5 is suppressed: CLIN-2's count, and its rate per 1,000 (numerator 3).
    public = _consultations(client, {})
    assert public["public"] is True
    shown = {(r["dx"], r["ou"]): (r["value"], r["suppressed"]) for r in public["rows"]}
    assert shown == {
        ("CONSULT", "CLIN-1"): ("200", False),
        ("CONSULT", "CLIN-2"): (None, True),
        ("CONSULT", "CLIN-3"): ("50", False),
        ("CONSULT_PER_1000", "CLIN-1"): ("200.00", False),  # 200 / 1000 × 1000
        ("CONSULT_PER_1000", "CLIN-2"): (None, True),
        ("CONSULT_PER_1000", "CLIN-3"): ("25.00", False),  # 50 / 2000 × 1000
    }
    hidden = [r for r in public["rows"] if r["suppressed"]]
    assert all(r["numerator"] is None and r["denominator"] is None for r in hidden)
    # A treasury may not read mission data: it gets the public answer too.
    assert _consultations(client, bearer(people["treasury-XBO"])) == public
    full = _consultations(client, bearer(people["auditor"]))
    figures = {(r["dx"], r["ou"]): r["value"] for r in full["rows"]}
    assert figures["CONSULT", "CLIN-2"] == "3"
    assert figures["CONSULT_PER_1000", "CLIN-2"] == "6.00"  # 3 / 500 × 1000


@pytest.fixture
def keyed(api_store: Store, people: dict[str, str]) -> Iterator[TestClient]:
    """A client whose server has CONVENIO_SECRET_KEY."""
    settings = Settings(data_dir=api_store.url, secret_key=KEY)
    with TestClient(create_app(api_store, settings)) as test_client:
        yield test_client


def _events(*cases: str) -> list[dict[str, str]]:
    header, *lines = EVENTS_CSV.strip().splitlines()
    names = header.split(",")
    rows = [dict(zip(names, line.split(","), strict=True)) for line in lines]
    return [r for r in rows if r["case_id"] in cases]


def test_cases_in_zulia_their_indicators_and_personal_data_never_returned(
    keyed: TestClient, client: TestClient, people: dict[str, str]
) -> None:
    coordinator = bearer(people["coordinator-ZU"])
    refused = keyed.post("/api/v1/cases", json=_events("E1", "E7"), headers=coordinator)
    assert refused.status_code == 403  # E7 is at CLIN-3, Distrito Capital
    assert refused.json()["errors"][0]["pointer"] == "/3/org_unit"
    zulia = _events("E1", "E2", "E3", "E4", "E5", "E6")
    loaded = keyed.post("/api/v1/cases", json=zulia, headers=coordinator)
    assert loaded.status_code == 201, loaded.text
    assert loaded.json()["cases_added"] == 6
    assert loaded.json()["events_added"] == len(zulia) == 13
    person = {"case_id": "E1", "name": "María Fernández Rojas", "national_id": "V-12345678",
              "birth_date": "1941-05-17"}  # fmt: skip
    unkeyed = client.post("/api/v1/cases/people", json=[person], headers=coordinator)
    assert unkeyed.status_code == 422
    assert "CONVENIO_SECRET_KEY" in unkeyed.json()["detail"]
    sealed = keyed.post("/api/v1/cases/people", json=[person], headers=coordinator)
    assert sealed.status_code == 201, sealed.text
    assert sealed.json()["people_added"] == 1
    # Zulia, worked by hand: 6 started (E1–E6), 4 operated (E1–E4) → 66.7 %; days to
    # surgery 20, 30, 40, 60 → median 35; E5 stopped at referred, E6 at detected.
    rate = (Decimal(4) / Decimal(6) * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
    full = keyed.get(
        "/api/v1/indicators/pathways", params={"pathway": "eye-surgery"}, headers=coordinator
    )
    assert full.status_code == 200, full.text
    found = full.json()
    assert found["org_unit"] == "VE-ZU"  # a coordinator's default: its own
    assert (found["started"], found["completed"]) == (6, 4)
    assert Decimal(found["completion_rate"]) == rate == Decimal("66.7")
    assert Decimal(found["median_days"]) == Decimal(35)
    assert found["stopped_at"] == {"detected": 1, "referred": 1}
    # The public: counts under 5 suppressed, and with them completed (and the rate and
    # median made of it), else 6 − 4 − 1 would give the other stop. Every stage a case
    # can stop at is listed, hidden (a listed stage no longer says "at least one"); the
    # hidden cells add up to 6 ≥ 5, so started stays.
    public = keyed.get("/api/v1/indicators/pathways", params={"pathway": "eye-surgery"}).json()
    assert public["public"] is True
    assert (public["started"], public["completed"], public["timed"]) == (6, None, None)
    assert (public["completion_rate"], public["median_days"]) == (None, None)
    stops = ("detected", "referred", "transported", "pre-op", "followed-up")
    assert public["stopped_at"] == dict.fromkeys(stops)
    for text in (full.text, keyed.get("/api/v1/dataValues", headers=coordinator).text):
        assert "María" not in text and "V-12345678" not in text


def test_deployments_in_the_subtree_and_their_person_months(
    client: TestClient, people: dict[str, str], api_store: Store
) -> None:
    coordinator = bearer(people["coordinator-ZU"])
    nurse = client.post(
        "/api/v1/cooperants",
        json=[{"id": "N1", "profession": "nurse", "party": "XBO"},
              {"id": "N2", "profession": "nurse", "party": "XBO"}],
        headers=bearer(people["admin"]),
    )  # fmt: skip
    assert nurse.status_code == 201, nurse.text
    elsewhere = {"id": "D2", "cooperant_id": "N2", "org_unit": "CLIN-3", "start": "2024-01-01"}
    refused = client.post("/api/v1/deployments", json=[elsewhere], headers=coordinator)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["pointer"] == "/0/org_unit"
    here = {"id": "D1", "cooperant_id": "N1", "org_unit": "CLIN-1", "start": "2024-01-01",
            "end": "2024-02-15"}  # fmt: skip
    assert client.post("/api/v1/deployments", json=[here], headers=coordinator).status_code == 201
    with api_store.unit_of_work(write=True) as uow:  # the operator deploys N2 elsewhere
        deployments.record_deployments(
            uow, [Deployment("D2", "N2", "CLIN-3", date(2024, 1, 1), date(2024, 1, 31))]
        )
    # January whole: 1.00; February 1–15 of 29 days (2024 is a leap year): 15 / 29.
    february = (Decimal(15) / Decimal(29)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    own = client.get(
        "/api/v1/deployments/person-months", params={"period": "2024Q1"}, headers=coordinator
    )
    assert own.json()["person_months"] == [
        {"profession": "nurse", "org_unit": "CLIN-1", "month": "2024-01", "quantity": "1.00"},
        {"profession": "nurse", "org_unit": "CLIN-1", "month": "2024-02",
         "quantity": str(february)},
    ]  # fmt: skip
    every = client.get(
        "/api/v1/deployments/person-months",
        params={"period": "2024Q1"},
        headers=bearer(people["auditor"]),
    ).json()["person_months"]
    assert {p["org_unit"] for p in every} == {"CLIN-1", "CLIN-3"}
    with api_store.unit_of_work() as uow:
        assert uow.deployments.cooperants()["N1"] == Cooperant("N1", "nurse", "XBO")
    # A commission turns January into services deliveries: N1 and N2 both whole months.
    commission = bearer(people["commission-XBO"])
    refused = client.post("/api/v1/services/from-deployments/2024-01", headers=coordinator)
    assert refused.status_code == 403
    january = client.post("/api/v1/services/from-deployments/2024-01", headers=commission)
    assert january.status_code == 201, january.text
    (delivery,) = january.json()["deliveries"]
    assert (delivery["supplier"], delivery["recipient"], delivery["item"]) == (
        "XBO",
        "XAT",
        "nurse",
    )
    assert Decimal(delivery["quantity"]) == Decimal("2.00")
    again = client.post("/api/v1/services/from-deployments/2024-01", headers=commission)
    assert again.json()["converted"] == [] and again.json()["unchanged"] == ["2024-01"]


def test_org_units_and_metadata_are_public_reads_and_admin_writes(
    client: TestClient, people: dict[str, str]
) -> None:
    admin = bearer(people["admin"])
    new = [{"id": "CLIN-4", "name": "Consultorio Popular 4", "parent_id": "VE-ZU-MCB", "level": 4}]
    added = client.post(
        "/api/v1/orgunits", params={"effective": "2024-01-01"}, json=new, headers=admin
    )
    assert added.status_code == 201, added.text
    assert added.json() == {"added": 1, "changed": 0, "total": 9}
    below = client.get("/api/v1/orgunits", params={"parent": "VE-ZU-MCB"}).json()["orgunits"]
    assert [u["id"] for u in below] == ["CLIN-1", "CLIN-2", "CLIN-4"]
    states = client.get("/api/v1/orgunits", params={"level": 2}).json()["orgunits"]
    assert [(u["id"], u["level_name"]) for u in states] == [("VE-DC", "State"), ("VE-ZU", "State")]
    document = b"missions:\n  - {id: MILAGRO, name: Misi\xc3\xb3n Milagro}\n"
    first = client.post("/api/v1/metadata", content=document, headers=admin)
    assert first.status_code == 201, first.text
    assert first.json() == {"counts": {"missions": 1}, "changed": True}
    again = client.post("/api/v1/metadata", content=document, headers=admin)
    assert again.json() == {"counts": {"missions": 1}, "changed": False}
    census = client.get("/api/v1/metadata/elements", params={"dataSet": "CENSUS"}).json()
    assert [e["id"] for e in census] == ["POP", "POP_15P"]
    combos = client.get("/api/v1/metadata/combos", params={"element": "POP_15P"}).json()
    assert [c["id"] for c in combos] == ["F", "M"]
    sets = {d["id"]: d for d in client.get("/api/v1/metadata/data-sets").json()}
    assert (sets["BA_MONTHLY"]["period_type"], sets["BA_MONTHLY"]["expiry_days"]) == (
        "Monthly",
        30,
    )
    refused = client.post("/api/v1/orgunits", json=new, headers=bearer(people["coordinator-ZU"]))
    assert refused.status_code == 403


def _job(client: TestClient, location: str, token: str) -> dict[str, Any]:
    for _ in range(400):
        job: dict[str, Any] = client.get(location, headers=bearer(token)).json()
        if job["state"] not in ("queued", "running"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"{location} did not end")


def test_a_bulk_import_is_a_job_kept_to_the_subtree(
    client: TestClient, people: dict[str, str]
) -> None:
    coordinator = people["coordinator-ZU"]
    header = "dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value\n"
    ok = client.post(
        "/api/v1/dataValues/bulk",
        content=(header + "POP,2007,CLIN-1,,,1010\nPOP,2007,CLIN-2,,,505\n").encode(),
        headers=bearer(coordinator),
    )
    assert ok.status_code == 202, ok.text
    done = _job(client, ok.json()["location"], coordinator)
    assert (done["state"], done["result"]["added"]) == ("done", 2)
    assert _values(client, coordinator, period="2007") == {
        ("POP", "2007", "CLIN-1"): "1010",
        ("POP", "2007", "CLIN-2"): "505",
    }
    out = client.post(
        "/api/v1/dataValues/bulk",
        content=(header + "POP,2008,CLIN-1,,,1\nPOP,2008,CLIN-3,,,2\n").encode(),
        headers=bearer(coordinator),
    )
    failed = _job(client, out.json()["location"], coordinator)
    assert failed["state"] == "failed"
    assert failed["problem"]["status"] == 403
    assert failed["problem"]["errors"][0]["line"] == 3
    assert _values(client, people["auditor"], period="2008") == {}


def test_a_coordinator_registers_cooperants_but_changes_none(
    client: TestClient, people: dict[str, str], api_store: Store
) -> None:
    nurse = {"id": "N1", "profession": "nurse", "party": "XBO"}
    coordinator, admin = bearer(people["coordinator-ZU"]), bearer(people["admin"])
    assert client.post("/api/v1/cooperants", json=[nurse], headers=coordinator).status_code == 201
    teacher = {**nurse, "profession": "teacher"}  # billed at another rate, everywhere
    refused = client.post("/api/v1/cooperants", json=[teacher], headers=coordinator)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["pointer"] == "/0/id"
    with api_store.unit_of_work() as uow:
        assert uow.deployments.cooperants()["N1"] == Cooperant("N1", "nurse", "XBO")
    assert client.post("/api/v1/cooperants", json=[teacher], headers=admin).status_code == 201
    with api_store.unit_of_work() as uow:
        assert uow.deployments.cooperants()["N1"] == Cooperant("N1", "teacher", "XBO")
