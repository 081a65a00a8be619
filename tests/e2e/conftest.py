"""The `run` fixture of the CLI tests: `convenio` in `tmp_path`, on its own embedded store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from convenio.cli.main import app
from convenio.settings import get_settings
from tests.e2e.cli import Run


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    """`run("ledger", "post", "j.csv")`: the CLI in `tmp_path`, on its own embedded store."""
    monkeypatch.setenv("CONVENIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CONVENIO_DATABASE_URL", "")
    monkeypatch.setenv("COLUMNS", "1000")  # no wrapping of messages by rich
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args))

    yield invoke
    get_settings.cache_clear()
