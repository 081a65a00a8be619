"""DHIS2's Web API at DHIS2's paths and in DHIS2's shapes, on the missions sample
(tests/missions_data.py): the import summary's counts on a worked example, data value
sets both ways, the analytics grid, the org units list; DHIS2's ApiToken scheme."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import bearer


def api_token(token: str) -> dict[str, str]:
    return {"Authorization": f"ApiToken {token}"}


def _pop(period: str, unit: str, value: str, **more: Any) -> dict[str, Any]:
    return {"dataElement": "POP", "period": period, "orgUnit": unit, "value": value, **more}


def _census(client: TestClient, token: str, period: str) -> dict[str, str]:
    answer = client.get(
        "/api/dataValueSets",
        params={"dataSet": "CENSUS", "period": period, "orgUnit": "VE", "children": "true"},
        headers=api_token(token),
    )
    assert answer.status_code == 200, answer.text
    return {
        v["orgUnit"]: v["value"] for v in answer.json()["dataValues"] if v["dataElement"] == "POP"
    }


def test_the_import_summary_counts_imported_updated_ignored_and_deleted(
    client: TestClient, people: dict[str, str]
) -> None:
    coordinator = api_token(people["coordinator-ZU"])
    # Stored: POP 2005 CLIN-1 1000, CLIN-2 500. The document: two new values (2006),
    # one changed (CLIN-1 2005: 1000 → 1100) and one the same (CLIN-2 2005: 500).
    document = {"dataValues": [
        _pop("2006", "CLIN-1", "1020"), _pop("2006", "CLIN-2", "510"),
        _pop("2005", "CLIN-1", "1100"), _pop("2005", "CLIN-2", "500"),
    ]}  # fmt: skip
    dry = client.post(
        "/api/dataValueSets", params={"dryRun": "true"}, json=document, headers=coordinator
    )
    assert dry.status_code == 200, dry.text
    assert dry.json()["dryRun"] is True
    assert _census(client, people["auditor"], "2006") == {}
    first = client.post("/api/dataValueSets", json=document, headers=coordinator)
    assert first.status_code == 200, first.text
    summary = first.json()
    assert summary["responseType"] == "ImportSummary"
    assert summary["status"] == "SUCCESS"
    assert summary["importCount"] == {"imported": 2, "updated": 1, "ignored": 1, "deleted": 0}
    assert dry.json()["importCount"] == summary["importCount"]
    assert summary["conflicts"] == []
    second = client.post("/api/dataValueSets", json=document, headers=coordinator)
    assert second.json()["importCount"] == {
        "imported": 0, "updated": 0, "ignored": 4, "deleted": 0
    }  # fmt: skip
    deletion = {"dataValues": [_pop("2006", "CLIN-2", "", deleted=True)]}
    removed = client.post("/api/dataValueSets", json=deletion, headers=coordinator)
    assert removed.json()["importCount"] == {
        "imported": 0, "updated": 0, "ignored": 0, "deleted": 1
    }  # fmt: skip
    assert _census(client, people["auditor"], "2006") == {"CLIN-1": "1020"}
    assert _census(client, people["auditor"], "2005") == {
        "CLIN-1": "1100", "CLIN-2": "500", "CLIN-3": "2000"
    }  # fmt: skip


def test_a_document_with_conflicts_imports_nothing(
    client: TestClient, people: dict[str, str]
) -> None:
    coordinator = api_token(people["coordinator-ZU"])
    document = {"dataValues": [
        _pop("2006", "CLIN-1", "1020"),
        {"dataElement": "POPX", "period": "2006", "orgUnit": "CLIN-1", "value": "1"},
        _pop("2006", "CLIN-2", "lots"),
    ]}  # fmt: skip
    answer = client.post("/api/dataValueSets", json=document, headers=coordinator)
    assert answer.status_code == 409
    summary = answer.json()
    assert summary["status"] == "ERROR"
    assert summary["importCount"] == {"imported": 0, "updated": 0, "ignored": 3, "deleted": 0}
    assert [(c["object"], c["indexes"]) for c in summary["conflicts"]] == [
        ("dataValues[1].dataElement", [1]),
        ("dataValues[2].value", [2]),
    ]
    assert "unknown data element 'POPX'" in summary["conflicts"][0]["value"]
    assert _census(client, people["auditor"], "2006") == {}
    # Outside the coordinator's subtree: refused whole, as every write is (403).
    outside = {"dataValues": [_pop("2006", "CLIN-1", "1"), _pop("2006", "CLIN-3", "2")]}
    refused = client.post("/api/dataValueSets", json=outside, headers=coordinator)
    assert refused.status_code == 403
    assert _census(client, people["auditor"], "2006") == {}
    assert client.get("/api/dataValueSets", headers=bearer("cnv_0123456789ab_x")).status_code == 401


def test_the_analytics_grid_has_dhis2s_headers_rows_and_metadata(
    client: TestClient, people: dict[str, str]
) -> None:
    answer = client.get(
        "/api/analytics",
        params=[
            ("dimension", "dx:LITERACY_RATE;CONSULT_PER_1000"),
            ("dimension", "pe:2005"),
            ("filter", "ou:VE-ZU"),
        ],
        headers=api_token(people["auditor"]),
    )
    assert answer.status_code == 200, answer.text
    grid = answer.json()
    assert [(h["name"], h["column"], h["meta"]) for h in grid["headers"]] == [
        ("dx", "Data", True),
        ("pe", "Period", True),
        ("value", "Value", False),
    ]
    # Zulia 2005: 975 literate of 1000 → 97.5 %; 203 consultations for 1,500 → 135.33.
    assert grid["rows"] == [
        ["LITERACY_RATE", "2005", "97.5"],
        ["CONSULT_PER_1000", "2005", "135.33"],
    ]
    assert (grid["height"], grid["width"], grid["headerWidth"]) == (2, 3, 3)
    meta = grid["metaData"]
    assert meta["items"]["VE-ZU"] == {"name": "Zulia"}
    assert meta["items"]["LITERACY_RATE"] == {"name": "Literacy rate, aged 15+ (%)"}
    assert meta["dimensions"]["dx"] == ["LITERACY_RATE", "CONSULT_PER_1000"]
    assert meta["dimensions"]["ou"] == ["VE-ZU"]
    # The public, by clinic: CLIN-2's 3 consultations are under 5, so its row is left out.
    public = client.get(
        "/api/analytics",
        params=[("dimension", "dx:CONSULT"), ("dimension", "ou:VE;LEVEL-4"), ("filter", "pe:2005")],
    ).json()
    assert [h["name"] for h in public["headers"]] == ["dx", "ou", "value"]
    assert public["rows"] == [["CONSULT", "CLIN-1", "200"], ["CONSULT", "CLIN-3", "50"]]
    several = client.get(
        "/api/analytics", params=[("dimension", "dx:CONSULT"), ("filter", "pe:2005;2006")]
    )
    assert several.status_code == 422


def test_organisation_units_in_dhis2s_shape(client: TestClient) -> None:
    default = client.get("/api/organisationUnits").json()
    assert default["pager"] == {"page": 1, "pageCount": 1, "total": 8, "pageSize": 50}
    assert default["organisationUnits"][0] == {"id": "VE", "displayName": "Venezuela"}
    paged = client.get(
        "/api/organisationUnits",
        params={"fields": "id,level,parent", "level": "4", "pageSize": "2", "page": "2"},
    ).json()
    assert paged["pager"] == {"page": 2, "pageCount": 2, "total": 3, "pageSize": 2}
    assert paged["organisationUnits"] == [
        {"id": "CLIN-2", "level": 4, "parent": {"id": "VE-ZU-MCB"}}
    ]
    whole = client.get("/api/organisationUnits", params={"paging": "false"}).json()
    assert "pager" not in whole and len(whole["organisationUnits"]) == 8
