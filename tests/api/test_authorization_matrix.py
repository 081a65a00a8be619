"""Every route × every role (and the public): the allowed get 2xx, the others 401
(anonymous) or 403 (a user), and a refused request writes nothing.

The cases come from each area's ``tests/api/matrix_<area>.py`` (``CASES: list[Case]``,
see tests/api/matrix.py, and an optional ``prepare(store)`` run once before any case);
they run on one store per module, in the order of their files.
For each case the refused names go first, each compared with a fingerprint of the whole
store (the row count of every table, the ledger's and the audit trail's heads) taken
before it; then the allowed names, each of which must succeed — and a GET must leave the
fingerprint as it found it. A completeness check asks for exactly one case per route of
the OpenAPI document and per DHIS2 route under /api/.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import func, select

from convenio.api import create_app
from convenio.settings import Settings
from convenio.store import Store
from convenio.store.tables import metadata
from tests.api.conftest import bearer, prepare
from tests.api.live import SECRET_KEY
from tests.api.matrix import NAMES, Case

HERE = Path(__file__).parent
MATRIX_FILES = sorted(HERE.glob("matrix_*.py"))


MODULES = [importlib.import_module(f"tests.api.{file.stem}") for file in MATRIX_FILES]
CASES: list[Case] = [case for module in MODULES for case in module.CASES]

Fingerprint = dict[str, Any]


def fingerprint(store: Store) -> Fingerprint:
    """The row count of every table, and the heads of the ledger and the audit trail."""
    with store.engine.connect() as conn:
        counts: Fingerprint = {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in metadata.sorted_tables
        }
    with store.unit_of_work() as uow:
        counts["ledger head"] = tuple(uow.ledger.head()[:2])
        counts["audit head"] = tuple(uow.auth.audit_head())
    return counts


class Matrix:
    """The module's one store, its application and its people's tokens."""

    def __init__(self, store: Store, client: TestClient, people: dict[str, str]) -> None:
        self.store, self.client, self.people = store, client, people

    def send(self, case: Case, name: str) -> Response:
        request = case.request(name)
        headers = dict(request.headers)
        if name != "anonymous":
            headers.update(bearer(self.people[name]))
        return self.client.request(
            case.method, request.path, params=dict(request.params), json=request.json,
            content=request.content, headers=headers,
        )  # fmt: skip

    def wait_for_job(self, answer: Response, name: str) -> None:
        """A 202's job, polled until it ends, so that the next case starts on a quiet
        store. The 202 is the route's answer; how the job ends (a demo on a store of
        other terms fails) is the job's, not the matrix's, concern."""
        location = answer.json()["location"]
        for _ in range(600):
            job = self.client.get(location, headers=bearer(self.people[name])).json()
            if job["state"] not in ("queued", "running"):
                # Authorised work ends done; or refused for what it found in the store (the
                # demo's terms on the tutorial's store: 409), never for who asked.
                assert job["state"] == "done" or (
                    job["state"] == "failed" and job["problem"]["status"] not in (401, 403)
                ), f"{location}: {job}"
                return
            time.sleep(0.05)
        pytest.fail(f"{location} did not end")


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    tmp = tmp_path_factory.mktemp("matrix")
    store = Store(f"sqlite:///{tmp / 'convenio.db'}")
    people = prepare(store, tmp)
    for module in MODULES:  # what an area's cases need in the store first (the log's keys)
        if hasattr(module, "prepare"):
            module.prepare(store)
    settings = Settings(data_dir=tmp / "data", secret_key=SECRET_KEY)
    try:
        with TestClient(create_app(store, settings)) as client:
            yield Matrix(store, client, people)
    finally:
        store.close()


def _refused_first(case: Case) -> list[str]:
    return [n for n in NAMES if n not in case.allowed] + [n for n in NAMES if n in case.allowed]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.method} {c.path}" for c in CASES])
def test_the_allowed_succeed_and_the_refused_write_nothing(matrix: Matrix, case: Case) -> None:
    unknown = case.allowed - set(NAMES)
    assert not unknown, f"names not in NAMES: {unknown}"
    for name in _refused_first(case):
        before = fingerprint(matrix.store)
        answer = matrix.send(case, name)
        said = f"{case.method} {case.path} as {name}: {answer.status_code} {answer.text[:500]}"
        if name in case.allowed:
            assert 200 <= answer.status_code < 300, said
            if answer.status_code == 202 and "location" in answer.json():
                matrix.wait_for_job(answer, name)
            if case.method == "GET":
                assert fingerprint(matrix.store) == before, f"a GET wrote: {said}"
            continue
        assert answer.status_code == (401 if name == "anonymous" else 403), said
        assert answer.headers["content-type"] == "application/problem+json", said
        assert fingerprint(matrix.store) == before, f"a refused request wrote: {said}"


def _routes() -> set[tuple[str, str]]:
    """Every (method, path) of the OpenAPI document, and every route under /api/ that
    is not /api/v1/ (DHIS2's), whether or not it is documented."""
    app = create_app(Store("sqlite://"), Settings())
    found = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    for route in app.routes:
        if not isinstance(route, APIRoute):
            continue
        dhis2 = route.path.startswith("/api/") and not route.path.startswith("/api/v1/")
        if dhis2:
            found |= {(m, route.path) for m in route.methods or () if m != "HEAD"}
    return found


def test_every_route_has_exactly_one_case() -> None:
    declared = [(c.method.upper(), c.path) for c in CASES]
    twice = sorted({d for d in declared if declared.count(d) > 1})
    routes = _routes()
    missing = sorted(routes - set(declared))
    stale = sorted(set(declared) - routes)
    assert (missing, twice, stale) == ([], [], []), (
        f"routes without a case: {missing}; routes with more than one: {twice}; "
        f"cases of no route: {stale}"
    )
