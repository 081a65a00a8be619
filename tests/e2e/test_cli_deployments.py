"""`convenio cooperants|deployments load`, `deployments person-months` and
`services from-deployments` end to end, on an embedded store: 3.48 doctor-months of
October 2011 (see tests/integration/test_deployments_services.py) become a 27,840.00 USD
services delivery that `convenio settle 2011Q4` offsets; exit 2 for bad input, 3 for
changed deployments of a converted month."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from convenio.examples import EXAMPLES
from tests.e2e.cli import Run, ok
from tests.missions_data import ORG_UNITS_CSV

DEPLOYMENTS = (
    "id,cooperant_id,org_unit,start,end,mission\n"
    "d1,c1,CLIN-1,2011-09-01,,\n"
    "d2,c2,CLIN-1,2011-10-01,2011-10-31,\n"
    "d3,c3,CLIN-3,2011-10-01,2011-10-31,\n"
    "d4,c4,CLIN-3,2011-10-17,2011-10-31,\n"
)


@pytest.fixture
def loaded(run: Run, tmp_path: Path) -> Run:
    (tmp_path / "ou.csv").write_text(ORG_UNITS_CSV)
    (tmp_path / "coop.csv").write_text(
        "id,profession,party\n" + "".join(f"c{i},doctor,CUB\n" for i in range(1, 5))
    )
    (tmp_path / "dep.csv").write_text(DEPLOYMENTS)
    ok(run("terms", "load", str(EXAMPLES / "cuba-venezuela.yaml")))
    ok(run("orgunits", "load", "ou.csv", "--effective", "2004-01-01"))
    assert "4 added, 0 changed, 0 unchanged" in ok(run("cooperants", "load", "coop.csv"))
    assert "4 added, 0 changed, 0 unchanged" in ok(run("deployments", "load", "dep.csv"))
    return run


def test_deployments_become_a_settled_services_delivery(loaded: Run) -> None:
    figures = json.loads(ok(loaded("deployments", "person-months", "2011-10", "--json")))
    assert figures == [
        {"month": "2011-10", "profession": "doctor", "org_unit": "CLIN-1", "person_months": "2.00"},
        {"month": "2011-10", "profession": "doctor", "org_unit": "CLIN-3", "person_months": "1.48"},
    ]
    out = ok(loaded("services", "from-deployments", "2011-10"))
    assert "dep-2011-10-doctor: 3.48 person-month of doctor, CUB → VEN, 2011-10-31" in out
    again = ok(loaded("services", "from-deployments", "2011-10"))
    assert "0 month(s) converted, 1 already converted (unchanged); 0 deliveries" in again
    (statement,) = json.loads(ok(loaded("settle", "2011Q4", "--json")))
    to_cuba = next(d for d in statement["statement"]["directions"] if d["creditor"] == "CUB.BNC")
    assert to_cuba["invoiced"] == {"services": "27840.00"}


def test_changed_deployments_after_conversion_exit_3(loaded: Run, tmp_path: Path) -> None:
    ok(loaded("services", "from-deployments", "2011-10"))
    (tmp_path / "dep.csv").write_text(DEPLOYMENTS.replace("2011-10-17", "2011-10-16"))
    out = ok(loaded("deployments", "load", "dep.csv"))
    assert "0 added, 1 changed, 3 unchanged" in out
    assert "2011-10 was converted" in out
    result = loaded("services", "from-deployments", "2011Q4")
    assert result.exit_code == 3
    message = " ".join(result.stderr.split())
    assert "2011-10 doctor: converted as 3.48 person-months, deployments now give 3.52" in message


def test_bad_rows_exit_2_naming_file_line_and_field(loaded: Run, tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text(
        "id,cooperant_id,org_unit,start,end\nx1,c9,CLIN-1,2012-01-01,\nx2,c2,CLIN-1,2012-02-01,2012-01-01\n"
    )
    result = loaded("deployments", "load", "bad.csv")
    assert result.exit_code == 2
    err = " ".join(result.stderr.split())
    assert "bad.csv:2: cooperant_id: unknown cooperant 'c9'" in err
    assert "bad.csv:3: end: ends 2012-01-01, before it starts (2012-02-01)" in err
