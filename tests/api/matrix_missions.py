"""Matrix cases of the missions routes and of DHIS2's Web API.

Order matters: the deployments case deploys the cooperant the cooperants case
registered for coordinator-ZU, and the personal data case names the case the cases case
opened. Each name writes its own rows (ids and periods numbered by its place in NAMES).
"""

from __future__ import annotations

from tests.api.matrix import EVERYONE, NAMES, Case, Request

__all__ = ["CASES"]

ADMIN = frozenset({"admin"})
COORDINATOR = frozenset({"coordinator-ZU"})
READERS = frozenset({"commission-XAT", "commission-XBO", "coordinator-ZU", "auditor"})
BULK_HEADER = "dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value\n"


def _n(name: str) -> int:
    return NAMES.index(name)


def _get(path: str, **params: str) -> Case:
    allowed = READERS if "dataValue" in path or "person-months" in path else EVERYONE
    return Case("GET", path, allowed, lambda name: Request(path, params=params))


CASES: list[Case] = [
    _get("/api/v1/orgunits", parent="VE-ZU"),
    Case(
        "POST",
        "/api/v1/orgunits",
        ADMIN,
        lambda name: Request(
            "/api/v1/orgunits",
            json=[
                {
                    "id": f"CLIN-M{_n(name)}",
                    "name": f"Clinic {name}",
                    "parent_id": "VE-ZU-MCB",
                    "level": 4,
                }
            ],
        ),
    ),
    _get("/api/v1/metadata/elements", dataSet="CENSUS"),
    _get("/api/v1/metadata/combos", element="CONSULT"),
    _get("/api/v1/metadata/indicators"),
    _get("/api/v1/metadata/data-sets"),
    Case(
        "POST",
        "/api/v1/metadata",
        ADMIN,
        lambda name: Request(
            "/api/v1/metadata",
            content=f"missions:\n  - {{id: M_{_n(name)}, name: Mission {name}}}\n".encode(),
            headers={"Content-Type": "application/yaml"},
        ),
    ),
    Case(
        "POST",
        "/api/v1/dataValues",
        COORDINATOR,
        lambda name: Request(
            "/api/v1/dataValues",
            json=[
                {
                    "dataElement": "POP",
                    "period": str(2010 + _n(name)),
                    "orgUnit": "CLIN-1",
                    "value": "10",
                }
            ],
        ),
    ),
    _get("/api/v1/dataValues", dataSet="CENSUS"),
    Case(
        "POST",
        "/api/v1/dataValues/bulk",
        COORDINATOR,
        lambda name: Request(
            "/api/v1/dataValues/bulk",
            content=f"{BULK_HEADER}POP,{2030 + _n(name)},CLIN-2,,,5\n".encode(),
            headers={"Content-Type": "text/csv"},
        ),
    ),
    Case(
        "POST",
        "/api/v1/cooperants",
        ADMIN | COORDINATOR,
        lambda name: Request(
            "/api/v1/cooperants",
            json=[{"id": f"COOP-{_n(name)}", "profession": "nurse", "party": "XBO"}],
        ),
    ),
    Case(
        "POST",
        "/api/v1/deployments",
        COORDINATOR,
        lambda name: Request(
            "/api/v1/deployments",
            json=[
                {
                    "id": f"DEP-{_n(name)}",
                    "cooperant_id": f"COOP-{_n('coordinator-ZU')}",
                    "org_unit": "CLIN-1",
                    "start": "2024-01-01",
                    "end": "2024-01-31",
                }
            ],
        ),
    ),
    _get("/api/v1/deployments/person-months", period="2024Q1"),
    Case(
        "POST",
        "/api/v1/cases",
        COORDINATOR,
        lambda name: Request(
            "/api/v1/cases",
            json=[
                {
                    "case_id": f"MX{_n(name)}",
                    "pathway": "eye-surgery",
                    "org_unit": "CLIN-1",
                    "stage": "detected",
                    "date": "2024-01-02",
                }
            ],
        ),
    ),
    Case(
        "POST",
        "/api/v1/cases/people",
        COORDINATOR,
        lambda name: Request(
            "/api/v1/cases/people",
            json=[
                {
                    "case_id": f"MX{_n(name)}",
                    "name": "Someone",
                    "national_id": f"V-{_n(name)}",
                    "birth_date": "1950-01-01",
                }
            ],
        ),
    ),
    _get("/api/v1/indicators/pathways", pathway="eye-surgery"),
    _get("/api/v1/analytics", dx="CONSULT;CONSULT_PER_1000", pe="2005"),
    # DHIS2's Web API
    _get("/api/dataValueSets", dataSet="CENSUS", period="2005"),
    Case(
        "POST",
        "/api/dataValueSets",
        COORDINATOR,
        lambda name: Request(
            "/api/dataValueSets",
            json={
                "dataValues": [
                    {
                        "dataElement": "POP",
                        "period": str(2050 + _n(name)),
                        "orgUnit": "CLIN-2",
                        "value": "3",
                    }
                ]
            },
        ),
    ),
    _get("/api/analytics", dimension="dx:CONSULT;LITERACY_RATE", filter="pe:2005"),
    _get("/api/organisationUnits", fields="id,displayName,level"),
    Case(
        "POST",
        "/api/v1/dataValues/reopen",
        ADMIN,
        lambda name: Request(
            "/api/v1/dataValues/reopen", params={"dataSet": "BA_MONTHLY", "period": "200501"}
        ),
    ),
    Case(
        "POST",
        "/api/v1/services/from-deployments/{period}",
        frozenset({"commission-XAT", "commission-XBO"}),
        lambda name: Request(f"/api/v1/services/from-deployments/2024-0{_n(name) + 1}"),
    ),
]
