"""The unit of work: one connection, one database transaction, committed explicitly.

Nothing else commits. Leaving the block without `commit()` rolls everything back, so a
service that raises half-way leaves the store exactly as it was.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.engine import Connection, RootTransaction

from convenio.store.cases_repo import CasesRepository
from convenio.store.deployments_repo import DeploymentsRepository
from convenio.store.engine import WRITE
from convenio.store.financing_repo import FinancingRepository
from convenio.store.ledger_repo import LedgerRepository
from convenio.store.missions_repo import MissionsRepository

__all__ = ["UnitOfWork"]


class UnitOfWork:
    """`with UnitOfWork(engine, write=True) as uow: ...; uow.commit()`."""

    ledger: LedgerRepository
    financing: FinancingRepository
    missions: MissionsRepository
    deployments: DeploymentsRepository
    cases: CasesRepository

    def __init__(self, engine: Engine, write: bool = False) -> None:
        self.engine = engine
        self.write = write
        self._conn: Connection | None = None
        self._tx: RootTransaction | None = None

    def __enter__(self) -> Self:
        conn = self.engine.connect()
        if self.write:
            conn = conn.execution_options(**{WRITE: True})
        self._conn = conn
        self._tx = conn.begin()
        self.ledger = LedgerRepository(conn)
        self.financing = FinancingRepository(conn)
        self.missions = MissionsRepository(conn)
        self.deployments = DeploymentsRepository(conn)
        self.cases = CasesRepository(conn)
        return self

    @property
    def connection(self) -> Connection:
        assert self._conn is not None, "the unit of work is not open"
        return self._conn

    def commit(self) -> None:
        assert self._tx is not None, "the unit of work is not open"
        self._tx.commit()

    def rollback(self) -> None:
        if self._tx is not None and self._tx.is_active:
            self._tx.rollback()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()
        if self._conn is not None:
            self._conn.close()
        self._conn = self._tx = None
