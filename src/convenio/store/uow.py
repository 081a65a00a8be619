"""The unit of work: one connection, one database transaction, committed explicitly.

Nothing else commits. Leaving the block without `commit()` rolls everything back, so a
service that raises half-way leaves the store exactly as it was.

A writer may take its lock late (`late_lock=True`): it reads like a reader until the
service calls `lock()` — after parsing and checking its input, so that a large or bad file
keeps no other writer waiting — and commits only once locked. What it read before
`lock()` may have changed by then; the checks against stored data run after it.

A writer waits for the write lock at most `write_wait` seconds: on SQLite it first tries
briefly, then calls `on_wait` once (the CLI prints "waiting for another writer…") and
keeps trying until the bound; on PostgreSQL the bound is the transaction's
``lock_timeout``. A lock never obtained, and any other `OperationalError` of the
database, leave the block as a `StorageError` (exit 5) that names the store — never as
a driver's traceback.

Writers of one process queue on the store's `gate` (a lock in memory) before they ask for
SQLite's lock: a writer waiting behind another of the same process wakes the moment it
ends, instead of sleeping in SQLite's busy handler between polls (the server's writes, its
jobs). The gate is waited for at most `write_wait` seconds too.

A held unit of work (`hold_commits=True`, the API's writes) turns the services' `commit()`
into a promise: everything stays in the one database transaction until `release()`, so
that the audit record and the stored answer of a request commit together with what the
request wrote — or nothing does.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.engine import Connection, RootTransaction
from sqlalchemy.exc import DatabaseError, DBAPIError, OperationalError

from convenio.errors import StorageError
from convenio.store.auth_repo import AuthRepository
from convenio.store.cases_repo import CasesRepository
from convenio.store.deployments_repo import DeploymentsRepository
from convenio.store.engine import SQLITE_BUSY_TIMEOUT_MS, WRITE, store_name
from convenio.store.financing_repo import FinancingRepository
from convenio.store.ledger_repo import LedgerRepository
from convenio.store.log_repo import LogRepository
from convenio.store.missions_repo import MissionsRepository

__all__ = ["DEFAULT_WRITE_WAIT", "UnitOfWork", "is_locked"]

DEFAULT_WRITE_WAIT = 60.0
"""Seconds a writer waits for another writer's lock (``CONVENIO_WRITE_WAIT``)."""
FIRST_TRY_MS = 200
"""How long a writer waits quietly before saying that it waits."""


def is_locked(exc: BaseException) -> bool:
    """Whether a driver error says that another connection holds the lock."""
    text = str(getattr(exc, "orig", exc)).lower()
    return any(
        sign in text
        for sign in (
            "database is locked",
            "database table is locked",
            "lock timeout",
            "lock_timeout",
        )
    )


def _unusable(exc: BaseException | None) -> bool:
    """A lock, an I/O failure, a file that is no database: not a bug, not bad input."""
    return isinstance(exc, OperationalError) or type(exc) is DatabaseError


def storage_error(engine: Engine, exc: DBAPIError) -> StorageError:
    """The `StorageError` that a database error of a unit of work becomes."""
    where = store_name(engine)
    if is_locked(exc):
        return StorageError(
            f"another convenio process is writing to {where}; try again when it ends "
            "(or raise CONVENIO_WRITE_WAIT, the seconds a write waits)"
        )
    return StorageError(f"the store {where} cannot be used: {exc.orig}")


class UnitOfWork:
    """`with UnitOfWork(engine, write=True) as uow: ...; uow.commit()`."""

    log: LogRepository
    ledger: LedgerRepository
    financing: FinancingRepository
    missions: MissionsRepository
    deployments: DeploymentsRepository
    cases: CasesRepository
    auth: AuthRepository

    def __init__(
        self,
        engine: Engine,
        write: bool = False,
        write_wait: float = DEFAULT_WRITE_WAIT,
        on_wait: Callable[[], None] | None = None,
        late_lock: bool = False,
        hold_commits: bool = False,
        gate: threading.RLock | None = None,
    ) -> None:
        self.engine = engine
        self.gate = gate
        self._gated = False
        self.hold_commits = hold_commits
        self.committed = False
        """Whether a service committed (a held unit of work: asked to commit)."""
        self.write = write
        self.locked = write and not late_lock
        self.write_wait = write_wait
        self.on_wait = on_wait
        self._conn: Connection | None = None
        self._tx: RootTransaction | None = None

    def __enter__(self) -> Self:
        self._attach(*self._opened())
        return self

    def lock(self) -> None:
        """Take the write lock now (a late-locking writer); a no-op once it is held.

        The read transaction ends and a writer's begins: re-read under the lock whatever
        a write depends on."""
        assert self.write, "a reader's unit of work cannot take the write lock"
        if self.locked:
            return
        self.rollback()
        self.connection.close()
        self.locked = True
        self._attach(*self._opened())

    def _opened(self) -> tuple[Connection, RootTransaction]:
        try:
            return self._begin()
        except DBAPIError as exc:
            self._leave_gate()
            raise storage_error(self.engine, exc) from exc
        except BaseException:
            self._leave_gate()
            raise

    def _attach(self, conn: Connection, tx: RootTransaction) -> None:
        self._conn, self._tx = conn, tx
        self.log = LogRepository(conn)
        self.ledger = LedgerRepository(conn, self.log)
        self.financing = FinancingRepository(conn, self.log)
        self.missions = MissionsRepository(conn)
        self.deployments = DeploymentsRepository(conn)
        self.cases = CasesRepository(conn)
        self.auth = AuthRepository(conn, self.log)

    def _begin(self) -> tuple[Connection, RootTransaction]:
        """A connection and its transaction; a locked writer's holds the write lock."""
        if not self.locked:
            conn = self.engine.connect()
            if not self.write and self.engine.dialect.name != "sqlite":
                # A reader sees one snapshot (SQLite's read transaction already does): a
                # verification must not see a writer's commit half-way through.
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            return conn, self._begin_on(conn)
        if self.engine.dialect.name != "sqlite":
            conn = self.engine.connect().execution_options(**{WRITE: True})
            tx = self._begin_on(conn)
            # Writers queue on the ledger head row (SELECT … FOR UPDATE): bounded here.
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = {max(1, int(self.write_wait * 1000))}")
            return conn, tx
        deadline = time.monotonic() + self.write_wait
        self._pass_gate()
        wait_ms = min(FIRST_TRY_MS, int(max(0.0, deadline - time.monotonic()) * 1000))
        said = False
        while True:
            conn = self.engine.connect()
            raw = conn.connection.dbapi_connection
            assert raw is not None
            raw.execute(f"PRAGMA busy_timeout={max(wait_ms, 0)}")
            conn = conn.execution_options(**{WRITE: True})
            try:
                tx = self._begin_on(conn)
            except OperationalError as exc:
                conn.close()
                left = deadline - time.monotonic()
                if not is_locked(exc) or left <= 0:
                    raise
                if not said and self.on_wait is not None:
                    self.on_wait()
                said = True
                wait_ms = int(left * 1000) + 1
                continue
            raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            return conn, tx

    def _pass_gate(self) -> None:
        """Queue behind this process's other writers (no-op without a gate)."""
        if self.gate is None or self._gated:
            return
        if not self.gate.acquire(timeout=0.2):
            if self.on_wait is not None:
                self.on_wait()
            if not self.gate.acquire(timeout=max(self.write_wait - 0.2, 0.0)):
                raise StorageError(
                    f"another writer of this process holds {store_name(self.engine)}; try "
                    "again when it ends (or raise CONVENIO_WRITE_WAIT, the seconds a write waits)"
                )
        self._gated = True

    def _leave_gate(self) -> None:
        if self._gated:
            assert self.gate is not None
            self._gated = False
            self.gate.release()

    @staticmethod
    def _begin_on(conn: Connection) -> RootTransaction:
        try:
            return conn.begin()
        except BaseException:
            conn.close()
            raise

    @property
    def connection(self) -> Connection:
        assert self._conn is not None, "the unit of work is not open"
        return self._conn

    def commit(self) -> None:
        assert self._tx is not None, "the unit of work is not open"
        assert self.locked or not self.write, "a late-locking writer commits after lock()"
        self.committed = True
        if self.hold_commits:
            return
        self._commit()

    def release(self) -> None:
        """Commit a held unit of work for real (the services' commits were held)."""
        assert self.hold_commits, "release() is for a unit of work that holds its commits"
        self._commit()

    def _commit(self) -> None:
        assert self._tx is not None, "the unit of work is not open"
        self.log.forget()  # the lock ends here: the next append reads the tree again
        try:
            self._tx.commit()
        except DBAPIError as exc:
            if not _unusable(exc):
                raise
            raise storage_error(self.engine, exc) from exc

    def rollback(self) -> None:
        if self._tx is not None and self._tx.is_active:
            self.log.forget()
            self._tx.rollback()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.rollback()
            if self._conn is not None:
                self._conn.close()
        finally:
            self._conn = self._tx = None
            self._leave_gate()
        if _unusable(exc):
            assert isinstance(exc, DBAPIError)
            raise storage_error(self.engine, exc) from exc
