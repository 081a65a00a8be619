"""A real server for the tests: `convenio serve` as its own process, on a free loopback
port, over a store prepared beforehand (terms, the missions sample, one user per role).

`serving(store_url, tmp)` prepares the store with `tests.api.conftest.prepare`, starts
``convenio serve --host 127.0.0.1 --port N`` with ``CONVENIO_DATABASE_URL`` set (so the
real command, its settings and uvicorn are what is tested), waits until the OpenAPI
document answers, and stops the server with SIGINT at the end — a clean stop is part of
what is checked. The `live_server` fixture does it once per test module, for SQLite and
for PostgreSQL (a schema of its own, dropped afterwards).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest
from sqlalchemy import create_engine, text

from convenio.store import Store
from tests.api.conftest import bearer, prepare
from tests.conftest import skip_unless_ci

__all__ = ["LiveServer", "live_server", "serve", "serving"]

STARTUP_LIMIT = 60.0  # seconds; the server answers in 2–5 s on a busy 2-core machine
CONVENIO = Path(sys.executable).with_name("convenio")  # the installed command
SECRET_KEY = "a test key of at least thirty-two characters"


@dataclass(frozen=True)
class LiveServer:
    """A running server: its base URL, its store and the tokens of `PEOPLE`."""

    url: str
    store_url: str
    people: dict[str, str]
    log: Path

    def client(self, name: str | None = None, timeout: float = 60.0) -> httpx2.Client:
        """An HTTP client on the server, signed in as `name` (None: the public)."""
        headers = bearer(self.people[name]) if name is not None else {}
        return httpx2.Client(base_url=self.url, headers=headers, timeout=timeout)

    def store(self) -> Store:
        """The server's store, opened by the test (close it after use)."""
        return Store(self.store_url)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_up(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_LIMIT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"convenio serve exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx2.get(f"{url}/api/v1/openapi.json", timeout=5).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.1)
    proc.kill()
    pytest.fail(f"convenio serve did not answer in {STARTUP_LIMIT} s:\n{log.read_text()[-3000:]}")


@contextmanager
def serving(store_url: str, tmp: Path) -> Iterator[LiveServer]:
    """Prepare the store at `store_url`, serve it, yield the server, stop it cleanly."""
    store = Store(store_url)
    try:
        people = prepare(store, tmp)
    finally:
        store.close()
    with serve(store_url, tmp, people) as server:
        yield server


@contextmanager
def serve(store_url: str, tmp: Path, people: dict[str, str]) -> Iterator[LiveServer]:
    """``convenio serve`` on a free loopback port over the store at `store_url` as it
    is; stopped with SIGINT at the end, which must end it cleanly (exit 0)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp / f"serve-{port}.log"
    env = {
        **os.environ,
        "CONVENIO_DATABASE_URL": store_url,
        "CONVENIO_DATA_DIR": str(tmp / "data"),
        "CONVENIO_SECRET_KEY": SECRET_KEY,
        "CONVENIO_WRITE_WAIT": "120",
    }
    command = [str(CONVENIO), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_until_up(proc, url, log)
        yield LiveServer(url, store_url, people, log)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                pytest.fail(f"convenio serve did not stop on SIGINT:\n{log.read_text()[-3000:]}")
    if proc.returncode != 0:
        pytest.fail(f"convenio serve exited {proc.returncode}:\n{log.read_text()[-3000:]}")


@contextmanager
def _pg_schema(pg_url: str) -> Iterator[str]:
    schema = f"live_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{pg_url}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@contextmanager
def backend_url(backend: str, tmp: Path) -> Iterator[str]:
    """The URL of an empty store on `backend` for a module's fixture: a SQLite file in
    `tmp`, or a fresh PostgreSQL schema dropped afterwards (without a server the test is
    skipped — failed under ``CI=true``)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp / 'convenio.db'}"
        return
    from tests.conftest import _PG_REASON, _PG_URL

    if _PG_URL is None:
        skip_unless_ci(f"PostgreSQL is not reachable ({_PG_REASON}); start it to run this test")
    assert _PG_URL is not None
    with _pg_schema(_PG_URL) as url:
        yield url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A live server per test module, on SQLite and on PostgreSQL."""
    tmp = tmp_path_factory.mktemp(f"live-{request.param}")
    with backend_url(request.param, tmp) as url, serving(url, tmp) as server:
        yield server
