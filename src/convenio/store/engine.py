"""Opening the store: the engine, SQLite's pragmas and write locking, and migrations.

The embedded default is one SQLite file in WAL mode with foreign keys on. Every write
transaction on SQLite starts with ``BEGIN IMMEDIATE`` so that concurrent writers queue on
the database lock instead of failing mid-way; on PostgreSQL writers serialise on the
ledger head row (``SELECT … FOR UPDATE``). The schema is only ever changed by Alembic.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from convenio.errors import StorageError

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = [
    "HEAD_REVISION",
    "WRITE",
    "alembic_config",
    "head_revision",
    "migrate",
    "open_engine",
    "revision_of",
    "store_name",
]

MIGRATIONS = Path(__file__).parent / "migrations"
WRITE = "convenio_write"
"""Execution option that marks a connection as a writer (``BEGIN IMMEDIATE`` on SQLite)."""

HEAD_REVISION = "0007"
"""The newest migration shipped with this version (a test checks it against Alembic's head).

Known up front so that opening an up-to-date store does not load Alembic at all."""

SQLITE_BUSY_TIMEOUT_MS = 60_000
SQLITE_CACHE_KIB = 131_072
"""Page cache per connection (128 MiB): large batches touch many index pages."""


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest migration in the migrations folder, as Alembic sees it."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _install_sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Leave transaction control to us, so that BEGIN IMMEDIATE is possible.
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def open_engine(url: str, create_dir: bool = True) -> Engine:
    """An engine for `url`, with SQLite's pragmas and locking hooks installed."""
    if url.startswith("sqlite:///") and create_dir:
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        # Bound values never reach a message or a log: they may hold hashes or personal data.
        engine = create_engine(url, hide_parameters=True)
    except (SQLAlchemyError, ImportError) as exc:
        raise StorageError(f"cannot open the store at {url}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        _install_sqlite_hooks(engine)
    return engine


def store_name(engine: Engine) -> str:
    """The store as a person would name it: the SQLite file, or the URL without password."""
    if engine.dialect.name == "sqlite" and engine.url.database:
        return engine.url.database
    return engine.url.render_as_string(hide_password=True)


def revision_of(conn: Connection) -> str | None:
    """The schema revision the store is at, or None for an empty database."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()


def migrate(engine: Engine) -> str:
    """Bring the schema to the newest revision (a no-op when it is there); returns it."""
    try:
        with engine.connect() as conn:
            if revision_of(conn) == HEAD_REVISION:
                return HEAD_REVISION
        from alembic import command

        with engine.connect() as plain:
            conn = plain.execution_options(**{WRITE: True})
            with conn.begin():
                command.upgrade(alembic_config(conn), "head")
    except DBAPIError as exc:  # locked, unreadable, or not a database at all
        raise StorageError(f"cannot open the store at {store_name(engine)}: {exc.orig}") from exc
    return HEAD_REVISION
