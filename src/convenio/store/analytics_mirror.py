"""The analytics mirror: a DuckDB file next to the embedded SQLite store.

SQLite keeps the data values (the record, with the rest of the store); DuckDB keeps a
columnar copy of what analytics reads — the numeric values by integer keys, the
`periods` with their roll-up columns, the `org_unit_ancestors` spans — under the same
table and column names, so the pivot SQL is the same on both. The copy is kept in step
on every import: the import writes DuckDB inside its own transaction while the store's
is still open, commits the store, then DuckDB. Each side records a data version; if
they ever differ (a crash between the two commits, a deleted file) the mirror is
rebuilt from the store before it answers.

Rows go in through a CSV file written next to the database and read with DuckDB's own
``read_csv`` (row-by-row inserts from Python cost about 2 ms each). Extensions are never
installed or loaded at run time: no network.
"""

from __future__ import annotations

import csv
import os
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import duckdb

from convenio.errors import StorageError
from convenio.store.missions_tables import ROLLUP_COLUMNS

__all__ = ["MIRROR_FILE", "AnalyticsMirror", "MirrorWriter", "mirror_path"]

MIRROR_FILE: Final = "analytics.duckdb"
_CONFIG: Final = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
LOCK_WAIT_S: Final = 30.0
"""How long to wait for another process's hold on the DuckDB file (seconds)."""

_TABLES: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "periods": (
        ("id", "INTEGER"), ("uid", "VARCHAR"), ("period_type", "VARCHAR"),
        ("start_date", "DATE"), ("end_date", "DATE"),
        *((column, "VARCHAR") for column in ROLLUP_COLUMNS.values()),
    ),
    "org_unit_ancestors": (
        ("unit_id", "INTEGER"), ("ancestor_level", "INTEGER"), ("valid_from", "DATE"),
        ("valid_to", "DATE"), ("ancestor_id", "INTEGER"),
    ),
    "data_values": (
        ("element_id", "INTEGER"), ("period_id", "INTEGER"), ("unit_id", "INTEGER"),
        ("coc_id", "INTEGER"), ("aoc_id", "INTEGER"), ("value_num", "BIGINT"),
    ),
}  # fmt: skip
_KEY: Final = ("element_id", "period_id", "unit_id", "coc_id", "aoc_id")


def mirror_path(url: str) -> Path | None:
    """Where the mirror of the store at `url` lives: next to a SQLite file; None for
    other stores (PostgreSQL answers analytics itself)."""
    if not url.startswith("sqlite:///"):
        return None
    path = url.removeprefix("sqlite:///").split("?", 1)[0]
    if not path or path == ":memory:":
        return None
    return Path(path).parent / MIRROR_FILE


class MirrorWriter:
    """Writes inside the mirror's open transaction."""

    def __init__(self, con: duckdb.DuckDBPyConnection, scratch: Path) -> None:
        self.con = con
        self.scratch = scratch

    def _load(self, table: str, rows: Iterable[Sequence[Any]], into: str | None = None) -> None:
        """Append rows to `into` (default `table`), whose columns are `table`'s."""
        columns = _TABLES[table]
        fd, name = tempfile.mkstemp(suffix=".csv", dir=self.scratch)
        try:
            with os.fdopen(fd, "w", newline="", encoding="utf-8") as out:
                writer = csv.writer(out, lineterminator="\n")
                count = 0
                for row in rows:
                    writer.writerow(row)
                    count += 1
            if count:
                types = ", ".join(f"'{c}': '{t}'" for c, t in columns)
                self.con.execute(
                    f"INSERT INTO {into or table} SELECT * FROM read_csv(?, header = false, "
                    f"columns = {{{types}}}, nullstr = '', quote = '\"')",
                    [name],
                )
        finally:
            os.unlink(name)

    def version(self) -> int | None:
        """The store data version the mirror holds (None: never written)."""
        row = self.con.execute("SELECT max(version) FROM mirror_state").fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def set_version(self, version: int) -> None:
        self.con.execute("DELETE FROM mirror_state")
        self.con.execute("INSERT INTO mirror_state VALUES (?)", [version])

    def add_periods(self, rows: Iterable[Sequence[Any]]) -> None:
        self._load("periods", rows)

    def replace_ancestors(self, rows: Iterable[Sequence[Any]]) -> None:
        self.con.execute("DELETE FROM org_unit_ancestors")
        self._load("org_unit_ancestors", rows)

    def change_values(
        self,
        added: Sequence[Sequence[Any]],
        replaced: Sequence[Sequence[Any]],
        removed: Sequence[Sequence[int]],
    ) -> None:
        """New rows (element, period, unit, coc, aoc, value_num); rows replacing stored
        ones with the same key; keys of rows to remove. Text values are not mirrored."""
        gone = [*(r[:5] for r in replaced), *removed]
        if gone:
            self.con.execute(
                "CREATE OR REPLACE TEMP TABLE gone AS SELECT * FROM data_values LIMIT 0"
            )
            self._load("data_values", ((*k, None) for k in gone), into="gone")
            match = " AND ".join(f"data_values.{c} = gone.{c}" for c in _KEY)
            self.con.execute(f"DELETE FROM data_values USING gone WHERE {match}")
            self.con.execute("DROP TABLE gone")
        self._load("data_values", (r for r in (*added, *replaced) if r[5] is not None))

    def replace_all(
        self,
        version: int,
        periods: Iterable[Sequence[Any]],
        ancestors: Iterable[Sequence[Any]],
        values: Iterable[Sequence[Sequence[Any]]],
    ) -> None:
        """Rebuild every table from the store's rows (values in batches)."""
        for table in _TABLES:
            self.con.execute(f"DELETE FROM {table}")
        self.add_periods(periods)
        self.replace_ancestors(ancestors)
        for batch in values:
            self._load("data_values", batch)
        self.set_version(version)


class AnalyticsMirror:
    """The DuckDB file at `path`, created with its tables on first use."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + LOCK_WAIT_S
        while True:
            try:
                if read_only and not self.path.exists():
                    read_only = False
                return duckdb.connect(str(self.path), read_only=read_only, config=dict(_CONFIG))
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise StorageError(
                        f"cannot open the analytics mirror {self.path}: {exc}"
                    ) from exc
                time.sleep(0.2)

    def _create(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute("CREATE TABLE IF NOT EXISTS mirror_state (version BIGINT NOT NULL)")
        for table, columns in _TABLES.items():
            body = ", ".join(f"{c} {t}" for c, t in columns)
            con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({body})")

    def version(self) -> int | None:
        """The store data version the mirror reflects; None if there is no mirror yet."""
        if not self.path.exists():
            return None
        con = self._connect(read_only=True)
        try:
            found = con.execute(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'mirror_state'"
            ).fetchone()
            if not found or not found[0]:
                return None
            row = con.execute("SELECT max(version) FROM mirror_state").fetchone()
            return None if row is None or row[0] is None else int(row[0])
        finally:
            con.close()

    @contextmanager
    def writing(self) -> Iterator[MirrorWriter]:
        """A transaction on the mirror: committed when the block ends without error."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = self._connect(read_only=False)
        try:
            self._create(con)
            con.execute("BEGIN TRANSACTION")
            try:
                yield MirrorWriter(con, self.path.parent)
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        finally:
            con.close()

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows of a read-only query."""
        con = self._connect(read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()
