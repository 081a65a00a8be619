"""The analytics mirror: a DuckDB file next to the embedded SQLite store.

SQLite keeps the data values of the validated imports (the record, with the rest of the
store); DuckDB keeps a columnar copy of what analytics reads — their numeric values by
integer keys (`mirrored_values`), the `periods` with their roll-up columns, the
`org_unit_ancestors` spans. The copy is kept in step on every import: the import writes
DuckDB inside its own transaction while the store's is still open, commits the store,
then DuckDB. Each side records a data version; if they ever differ (a crash between the
two commits, a deleted file) the copy is rebuilt from the store before it answers.

The same file is also the record of the values loaded with ``convenio data import
--bulk`` (`bulk_values`, docs/adr/0004-bulk-values-in-duckdb.md): a rebuild never
touches them. Analytics reads the view `data_values` over both, under the table and
column names the store has, so the pivot SQL is the same on DuckDB and PostgreSQL.

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

__all__ = ["BULK_TABLE", "MIRROR_FILE", "AnalyticsMirror", "MirrorWriter", "mirror_path"]

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
    "mirrored_values": (
        ("element_id", "INTEGER"), ("period_id", "INTEGER"), ("unit_id", "INTEGER"),
        ("coc_id", "INTEGER"), ("aoc_id", "INTEGER"), ("value_num", "BIGINT"),
    ),
}  # fmt: skip
"""The copies of the store's tables: emptied and refilled by a rebuild."""
_KEY: Final = ("element_id", "period_id", "unit_id", "coc_id", "aoc_id")
BULK_TABLE: Final = "bulk_values"
_BULK_COLUMNS: Final = (
    "element_id INTEGER NOT NULL, period_id INTEGER NOT NULL, unit_id INTEGER NOT NULL, "
    "coc_id INTEGER NOT NULL, aoc_id INTEGER NOT NULL, value_num BIGINT NOT NULL, "
    "last_updated BIGINT NOT NULL"
)
"""The record of bulk values: keys, millionths, and when they were loaded (ms, UTC)."""
_VIEW: Final = (
    "CREATE VIEW IF NOT EXISTS data_values AS "
    f"SELECT {', '.join(_KEY)}, value_num FROM mirrored_values UNION ALL "
    f"SELECT {', '.join(_KEY)}, value_num FROM {BULK_TABLE}"
)


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
        self._remove("mirrored_values", [*(r[:5] for r in replaced), *removed])
        self._load("mirrored_values", (r for r in (*added, *replaced) if r[5] is not None))

    def remove_bulk(self, keys: Sequence[Sequence[int]]) -> None:
        """Remove bulk values by key (a validated import took them over)."""
        self._remove(BULK_TABLE, keys)

    def _remove(self, table: str, keys: Sequence[Sequence[int]]) -> None:
        if not keys:
            return
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE gone AS SELECT * FROM mirrored_values LIMIT 0"
        )
        self._load("mirrored_values", ((*k, None) for k in keys), into="gone")
        match = " AND ".join(f"{table}.{c} = gone.{c}" for c in _KEY)
        self.con.execute(f"DELETE FROM {table} USING gone WHERE {match}")
        self.con.execute("DROP TABLE gone")

    def replace_all(
        self,
        version: int,
        periods: Iterable[Sequence[Any]],
        ancestors: Iterable[Sequence[Any]],
        values: Iterable[Sequence[Sequence[Any]]],
    ) -> None:
        """Rebuild every copy from the store's rows (values in batches); the bulk values,
        which are no copy, stay."""
        for table in _TABLES:
            self.con.execute(f"DELETE FROM {table}")
        self.add_periods(periods)
        self.replace_ancestors(ancestors)
        for batch in values:
            self._load("mirrored_values", batch)
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
        old = con.execute(
            "SELECT COUNT(*) FROM information_schema.tables "
            "WHERE table_name = 'data_values' AND table_type = 'BASE TABLE'"
        ).fetchone()
        if old and old[0]:
            # A mirror from before bulk values: its copy moves to `mirrored_values`
            # (rebuilt, as the version is cleared) and `data_values` becomes the view.
            con.execute("DROP TABLE data_values")
            con.execute("DELETE FROM mirror_state")
        for table, columns in _TABLES.items():
            body = ", ".join(f"{c} {t}" for c, t in columns)
            con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({body})")
        con.execute(f"CREATE TABLE IF NOT EXISTS {BULK_TABLE} ({_BULK_COLUMNS})")
        con.execute(_VIEW)

    def version(self) -> int | None:
        """The store data version the mirror reflects; None if there is no mirror yet."""
        if not self.path.exists():
            return None
        con = self._connect(read_only=True)
        try:
            # No state, or the layout from before bulk values: rebuilt on the next write.
            found = con.execute(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_name IN "
                "('mirror_state', 'mirrored_values')"
            ).fetchone()
            if not found or found[0] != 2:
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

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of a read-only query."""
        with self.reading() as con:
            return con.execute(sql, list(params)).fetchall()

    @contextmanager
    def reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection (temporary tables allowed), closed after the block."""
        con = self._connect(read_only=True)
        try:
            yield con
        finally:
            con.close()

    def has_bulk(self) -> bool:
        """Whether the file exists and has the bulk values table (it may be empty)."""
        if not self.path.exists():
            return False
        found = self.query(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = ?", [BULK_TABLE]
        )
        return bool(found and found[0][0])
