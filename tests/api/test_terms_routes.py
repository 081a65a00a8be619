"""The terms over HTTP: the parties and versions are public, one version reads as the
CLI's ``terms show --json`` reads it, and only an administrator loads terms — a broken
file is refused with its problem located by line, and nothing changes."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from convenio.cli.main import app as cli
from convenio.store import Store
from tests.api.conftest import TUTORIAL, bearer

YAML = {"Content-Type": "application/yaml"}
TEXT = TUTORIAL.read_text(encoding="utf-8")
# An amendment: the tutorial's file with a second version that inherits the first and
# finances half of the diesel at or above 120 USD/bbl.
AMENDED = (
    TEXT
    + """
  - id: tutorial-2025
    inherits: previous
    name: The terms of 2025
    effective: 2025-01-01
    financing:
      short_term:
        days: 90
      bands:
        - {at_or_above: 60, share: 20%}
        - {at_or_above: 120, share: 50%}
      loan:
        term_years: 10
        grace_months: 12
        rate: 2%
        method: equal-principal
        frequency: quarterly
        day_count: 30E/360
        grace_interest: paid
"""
)


def test_the_parties_and_versions_are_public(client: TestClient) -> None:
    parties = client.get("/api/v1/parties")
    assert parties.status_code == 200
    assert parties.json() == {
        "parties": [
            {"code": "XAT", "name": "Republic of Atlántida (fictional)", "kind": "state",
             "parent": None},
            {"code": "XBO", "name": "Republic of Boreal (fictional)", "kind": "state",
             "parent": None},
        ]
    }  # fmt: skip
    versions = client.get("/api/v1/terms/versions").json()
    assert versions["agreement"] == "atlantida-boreal"
    assert [(v["id"], v["effective"], v["ends"]) for v in versions["versions"]] == [
        ("tutorial-2024", "2024-01-01", None)
    ]


def test_one_version_has_the_exact_values_of_the_file(
    client: TestClient, people: dict[str, str]
) -> None:
    answer = client.get("/api/v1/terms/versions/tutorial-2024")
    assert answer.status_code == 200
    version = answer.json()
    # From tutorial.yaml: bands at 60 and 90 USD/bbl lend 20 % and 30 %; one loan of
    # ten years (120 months) at 2 %; teachers at 2,500.00 and nurses at 3,000.00 a month.
    assert version["bands"] == [
        {"at_or_above": "60", "share": "0.2", "own_loan": False},
        {"at_or_above": "90", "share": "0.3", "own_loan": False},
    ]
    assert version["loans"] == [
        {"applies": "default", "months": 120, "grace_months": 12, "rate": "0.02",
         "method": "equal-principal", "frequency": "quarterly", "day_count": "30E/360",
         "grace_interest": "paid"},
    ]  # fmt: skip
    assert [(c["item"], c["price"]) for c in version["rate_cards"]] == [
        ("teacher", "2500.00"),
        ("nurse", "3000.00"),
    ]
    assert version["short_term"] == {"days": 90, "late_interest": None}
    assert version["settlement"]["allocation_order"] == ["interest", "oldest-due"]
    unknown = client.get("/api/v1/terms/versions/nothing", headers=bearer(people["auditor"]))
    assert unknown.status_code == 404
    assert "tutorial-2024" in unknown.json()["detail"]


def test_one_version_reads_as_the_cli_shows_it(client: TestClient, api_store: Store) -> None:
    shown = CliRunner().invoke(
        cli,
        ["terms", "show", "--version", "tutorial-2024", "--json"],
        env={"CONVENIO_DATABASE_URL": api_store.url, "COLUMNS": "1000"},
    )
    assert shown.exit_code == 0, shown.output
    assert client.get("/api/v1/terms/versions/tutorial-2024").json() == json.loads(shown.stdout)


def test_an_administrator_loads_an_amendment_and_the_same_file_again_changes_nothing(
    client: TestClient, people: dict[str, str]
) -> None:
    admin = {**bearer(people["admin"]), **YAML}
    same = client.post("/api/v1/terms", content=TEXT.encode(), headers=admin)
    assert same.status_code == 201, same.text
    assert same.json() == {
        "agreement": "atlantida-boreal", "versions": ["tutorial-2024"], "changed": False,
    }  # fmt: skip
    amended = client.post("/api/v1/terms", content=AMENDED.encode(), headers=admin)
    assert amended.json() == {
        "agreement": "atlantida-boreal",
        "versions": ["tutorial-2024", "tutorial-2025"],
        "changed": True,
    }
    bands = client.get("/api/v1/terms/versions/tutorial-2025").json()["bands"]
    assert [(b["at_or_above"], b["share"]) for b in bands] == [("60", "0.2"), ("120", "0.5")]


def test_a_treasury_may_not_load_terms_and_nothing_changes(
    client: TestClient, people: dict[str, str]
) -> None:
    refused = client.post(
        "/api/v1/terms",
        content=AMENDED.encode(),
        headers={**bearer(people["treasury-XAT"]), **YAML},
    )
    assert refused.status_code == 403
    assert client.post("/api/v1/terms", content=AMENDED.encode(), headers=YAML).status_code == 401
    versions = client.get("/api/v1/terms/versions").json()["versions"]
    assert [v["id"] for v in versions] == ["tutorial-2024"]


def test_a_broken_file_is_refused_with_its_line(client: TestClient, people: dict[str, str]) -> None:
    admin = {**bearer(people["admin"]), **YAML}
    line = next(i for i, text in enumerate(TEXT.splitlines(), 1) if "days: 90" in text)
    broken = TEXT.replace("days: 90", "days: ninety")
    answer = client.post("/api/v1/terms", content=broken.encode(), headers=admin)
    assert answer.status_code == 422
    located = answer.json()["errors"]
    assert [(e.get("line"), e.get("file")) for e in located] == [(line, "upload.yaml")]
    assert "ninety" not in TEXT and "/tmp" not in answer.text
    # Not YAML at all: a mapping value where none may be, on line 2.
    unparsable = client.post("/api/v1/terms", content=b"schema: 1\n  b: 2\n", headers=admin)
    assert unparsable.status_code == 422
    assert unparsable.json()["errors"][0]["line"] == 2
    not_yaml = client.post(
        "/api/v1/terms", content=TEXT.encode(), headers={**bearer(people["admin"])}
    )
    assert not_yaml.status_code == 422
    assert not_yaml.json()["errors"] == [{"detail": "not YAML", "header": "Content-Type"}]
    assert [v["id"] for v in client.get("/api/v1/terms/versions").json()["versions"]] == [
        "tutorial-2024"
    ]
