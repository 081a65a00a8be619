"""Storage adapters: SQLAlchemy tables, Alembic migrations, repositories, unit of work.

`Store` is what entry points hold: an engine for the configured URL, migrated on open.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import Engine

from convenio.store import (
    auth_tables,  # noqa: F401  (registers its tables)
    cases_tables,  # noqa: F401  (registers its tables)
    deployments_tables,  # noqa: F401  (registers its tables)
    financing_tables,  # noqa: F401  (registers its tables)
    log_tables,  # noqa: F401  (registers its tables)
    missions_tables,  # noqa: F401  (registers its tables)
)
from convenio.store.engine import head_revision, migrate, open_engine, store_name
from convenio.store.ledger_repo import Head, LedgerRepository
from convenio.store.uow import DEFAULT_WRITE_WAIT, UnitOfWork

__all__ = [
    "Head",
    "LedgerRepository",
    "Store",
    "UnitOfWork",
    "head_revision",
    "migrate",
    "store_name",
]


class Store:
    """An opened store: `store.unit_of_work(write=True)` for each service call."""

    def __init__(
        self,
        url: str,
        auto_migrate: bool = True,
        write_wait: float = DEFAULT_WRITE_WAIT,
        on_wait: Callable[[], None] | None = None,
    ) -> None:
        self.url = url
        self.write_wait = write_wait
        self.on_wait = on_wait
        self.engine: Engine = open_engine(url)
        self.gate: threading.RLock | None = (
            threading.RLock() if self.engine.dialect.name == "sqlite" else None
        )
        """Writers of this process queue here before asking SQLite for its lock."""
        if auto_migrate:
            migrate(self.engine)

    def unit_of_work(
        self, write: bool = False, late_lock: bool = False, hold_commits: bool = False
    ) -> UnitOfWork:
        """A unit of work; a writer with `late_lock` takes the write lock at `uow.lock()`;
        one that holds its commits commits at `uow.release()`."""
        return UnitOfWork(
            self.engine, write, self.write_wait, self.on_wait, late_lock, hold_commits, self.gate
        )

    def close(self) -> None:
        self.engine.dispose()
