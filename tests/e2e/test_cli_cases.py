"""`convenio cases load|indicators` end to end: personal data needs CONVENIO_SECRET_KEY,
and the names, national ids and birth dates of tests/cases_data.py never come out of the
indicators or of `convenio data export`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from convenio.cli.main import app
from convenio.settings import get_settings
from tests.cases_data import EVENTS_CSV, KEY, PEOPLE_CSV, SECRETS
from tests.e2e.cli import ok
from tests.missions_data import ORG_UNITS_CSV


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("CONVENIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CONVENIO_DATABASE_URL", "")
    monkeypatch.setenv("COLUMNS", "1000")
    monkeypatch.delenv("CONVENIO_SECRET_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ou.csv").write_text(ORG_UNITS_CSV)
    (tmp_path / "events.csv").write_text(EVENTS_CSV)
    (tmp_path / "people.csv").write_text(PEOPLE_CSV)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_without_a_key_personal_data_exits_2(runner: CliRunner) -> None:
    ok(runner.invoke(app, ["orgunits", "load", "ou.csv"]))
    result = runner.invoke(app, ["cases", "load", "events.csv", "--people", "people.csv"])
    assert result.exit_code == 2
    assert "set CONVENIO_SECRET_KEY" in " ".join(result.stderr.split())
    assert "events: 25 added" in ok(runner.invoke(app, ["cases", "load", "events.csv"]))


def test_personal_data_never_leaves_through_indicators_or_exports(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONVENIO_SECRET_KEY", KEY)
    get_settings.cache_clear()
    ok(runner.invoke(app, ["orgunits", "load", "ou.csv"]))
    out = ok(runner.invoke(app, ["cases", "load", "events.csv", "--people", "people.csv"]))
    assert "personal data: 3 added" in out
    outputs = [
        ok(runner.invoke(app, ["cases", "indicators", "--pathway", p, *extra]))
        for p in ("eye-surgery", "literacy")
        for extra in ([], ["--json"], ["--public"], ["--ou", "VE-ZU", "--json"])
    ]
    outputs.append(ok(runner.invoke(app, ["data", "export"])))
    outputs.append(ok(runner.invoke(app, ["data", "export", "--format", "dhis2-json"])))
    for text in outputs:
        for secret in (*SECRETS, "Colmenares", "V-11223344"):
            assert secret not in text
    found = json.loads(outputs[1])
    assert (found["started"], found["completion_rate"], found["median_days"]) == (7, "57.1", "35")
    assert "suppressed" in outputs[2]
