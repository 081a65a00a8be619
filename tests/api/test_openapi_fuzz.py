"""Schemathesis over the whole API, in process (ASGI), signed in as a few roles: no answer
is a 5xx, and every answer is one the OpenAPI document declares — its status code, its
content type and its body's schema.

The auditor reads (GET operations only: it may write nothing); the admin, Boreal's
treasury and Atlántida's commission send everything. Each role has its own store
(prepared with `tests.api.conftest.prepare`), so that what one writes does not change
what another finds. Examples per operation are few and derandomized with a fixed seed,
so that a run is repeatable and stays well under two minutes on a busy 2-core machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from convenio.api import create_app
from convenio.settings import Settings
from convenio.store import Store
from tests.api.conftest import bearer, prepare
from tests.api.live import SECRET_KEY

SEED = 9
MAX_EXAMPLES = 4
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
WRITERS = ["admin", "treasury-XBO", "commission-XAT"]  # and the auditor, for the reads


def _config() -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
                "no-shrink": True,
            },
        }
    )


# The document is the application's own, read without a store (collection needs no
# database); each role's requests go to an application over its own prepared store.
schema = schemathesis.openapi.from_dict(create_app(None, Settings()).openapi(), config=_config())
reads = schema.include(method="GET")


@dataclass(frozen=True)
class Target:
    """An application over a store of its own, and the header that signs a role in."""

    app: FastAPI
    headers: dict[str, str]


@contextmanager
def _target(name: str, tmp: Path) -> Iterator[Target]:
    store = Store(f"sqlite:///{tmp / 'convenio.db'}")
    people = prepare(store, tmp)
    app = create_app(store, Settings(data_dir=tmp / "data", secret_key=SECRET_KEY))
    try:
        with TestClient(app):  # runs the lifespan: the app's store and job runner
            yield Target(app, bearer(people[name]))
    finally:
        store.close()


@pytest.fixture(scope="module")
def auditor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    with _target("auditor", tmp_path_factory.mktemp("fuzz-auditor")) as target:
        yield target


@pytest.fixture(scope="module", params=WRITERS)
def writer(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    name: str = request.param
    with _target(name, tmp_path_factory.mktemp(f"fuzz-{name}")) as target:
        yield target


@reads.parametrize()
def test_the_auditor_reads_everything_as_documented(
    case: schemathesis.Case[Any], auditor: Target
) -> None:
    case.call_and_validate(app=auditor.app, headers=auditor.headers, checks=CHECKS)


@schema.parametrize()
def test_every_operation_answers_as_documented(
    case: schemathesis.Case[Any], writer: Target
) -> None:
    case.call_and_validate(app=writer.app, headers=writer.headers, checks=CHECKS)
