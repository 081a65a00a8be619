"""The cases' repository (filled in below)."""

from __future__ import annotations

from sqlalchemy.engine import Connection

__all__ = ["CasesRepository"]


class CasesRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
