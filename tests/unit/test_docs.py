"""The README's settings table and the package's public surface stay in step with the code."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from convenio.settings import SETTINGS_TABLE, Settings

ROOT = Path(__file__).resolve().parents[2]


def test_readme_lists_every_setting_with_its_description() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- settings:start -->")[1].split("<!-- settings:end -->")[0]
    rows = dict(re.findall(r"^\| `(CONVENIO_[A-Z_]+)` \| (.+) \|$", block, re.MULTILINE))
    assert rows == dict(SETTINGS_TABLE)


@pytest.mark.parametrize(
    "module",
    [
        "convenio",
        "convenio.errors",
        "convenio.units",
        "convenio.ledger",
        "convenio.periods",
        "convenio.financing",
        "convenio.terms",
        "convenio.store",
    ],
)
def test_public_names_exist_once(module: str) -> None:
    mod = importlib.import_module(module)
    names = mod.__all__
    assert len(set(names)) == len(names)
    for name in names:
        assert hasattr(mod, name), f"{module}.__all__ names {name}, which does not exist"


def test_postgres_urls_are_normalised_to_psycopg() -> None:
    assert Settings(database_url="postgres://u@h/db").store_url == "postgresql+psycopg://u@h/db"
    assert Settings(database_url="postgresql://u@h/db").store_url == "postgresql+psycopg://u@h/db"


def test_embedded_default_is_a_sqlite_file_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url="")
    assert settings.is_embedded
    assert settings.store_url == f"sqlite:///{tmp_path / 'convenio.db'}"


def test_head_revision_constant_is_alembics_head() -> None:
    from convenio.store.engine import HEAD_REVISION, head_revision

    assert head_revision() == HEAD_REVISION


def test_the_server_docs_list_every_route_of_the_api() -> None:
    from convenio.api import create_app
    from convenio.settings import Settings

    text = (ROOT / "docs" / "server.md").read_text(encoding="utf-8")
    block = text.split("<!-- routes:start -->")[1].split("<!-- routes:end -->")[0]
    documented = re.findall(r"^\| `([A-Z]+) (/api/[^`]+)` \|", block, re.MULTILINE)
    paths = create_app(settings=Settings()).openapi()["paths"]
    served = [(m.upper(), p) for p, ops in paths.items() for m in ops]
    assert sorted(documented) == sorted(served)
