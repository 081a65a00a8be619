"""The data values repository: periods, aggregate values, settled periods, and the
rows the analytics mirror copies.

Keys are integers (element, period, org unit, option combo, mission), as in DHIS2's
`datavalue` table; bulk paths hand plain tuples to the driver's ``executemany``.
Export reads the values back as domain values ordered by uid, so two stores holding
the same values export the same file. It never commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from convenio.errors import InputError
from convenio.missions import DataValue, Lock
from convenio.periods import Period, PeriodType, parse_period
from convenio.store.financing_tables import settlement_runs
from convenio.store.missions_tables import (
    ROLLUP_COLUMNS,
    category_option_combos,
    data_elements,
    data_values,
    missions,
    org_units,
    periods,
)

__all__ = ["Key", "StoredValue", "ValuesRepository", "from_millis", "period_row", "to_millis"]

Key = tuple[int, int, int, int, int]
"""(element id, period id, unit id, option combo id, mission id)."""

_KEY_COLUMNS = ("element_id", "period_id", "unit_id", "coc_id", "aoc_id")
_VALUE_COLUMNS = (
    "value",
    "value_num",
    "stored_by",
    "created",
    "last_updated",
    "comment",
    "followup",
)
_IN_CHUNK = 500


class StoredValue(NamedTuple):
    value: str
    comment: str | None
    followup: bool


def to_millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def from_millis(millis: int) -> datetime:
    return datetime.fromtimestamp(millis / 1000, UTC)


def period_row(p: Period) -> dict[str, Any]:
    """The `periods` row of a period, with the enclosing period of every type it rolls
    up into (None where it does not)."""
    row: dict[str, Any] = {
        "uid": p.id,
        "period_type": p.type.value,
        "start_date": p.start,
        "end_date": p.end,
    }
    for t, column in ROLLUP_COLUMNS.items():
        try:
            row[column] = p.rollup(t).id
        except InputError:  # no period of type t encloses p
            row[column] = None
    return row


class ValuesRepository:
    """Reads and writes data values on `conn`."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._ph = "?" if conn.dialect.name == "sqlite" else "%s"

    def period_ids(self, wanted: Iterable[Period]) -> tuple[dict[str, int], list[tuple[Any, ...]]]:
        """uid → id of the periods of `wanted`, inserting those not stored yet; also the
        new rows (as `mirror_period_rows` gives them) for the analytics mirror."""
        by_uid = {p.id: p for p in wanted}
        known = {u: i for i, u in self.conn.execute(select(periods.c.id, periods.c.uid))}
        fresh = [period_row(p) for uid, p in sorted(by_uid.items()) if uid not in known]
        if not fresh:
            return {u: known[u] for u in by_uid}, []
        self.conn.execute(periods.insert(), fresh)
        known = {u: i for i, u in self.conn.execute(select(periods.c.id, periods.c.uid))}
        new_uids = {r["uid"] for r in fresh}
        rows = [r for r in self.mirror_period_rows() if r[1] in new_uids]
        return {u: known[u] for u in by_uid}, rows

    def known_periods(self) -> dict[str, int]:
        """uid → id of every stored period."""
        return {u: i for i, u in self.conn.execute(select(periods.c.id, periods.c.uid))}

    def mirror_period_rows(self) -> list[tuple[Any, ...]]:
        """Every `periods` row as a tuple in column order."""
        return [tuple(r) for r in self.conn.execute(select(periods).order_by(periods.c.id))]

    def stored(
        self, element_ids: Iterable[int], period_ids: Iterable[int]
    ) -> dict[Key, StoredValue]:
        """The stored values of some elements in some periods, by key."""
        found: dict[Key, StoredValue] = {}
        els, pes = sorted(set(element_ids)), sorted(set(period_ids))
        v = data_values.c
        for i in range(0, len(els), _IN_CHUNK):
            for j in range(0, len(pes), _IN_CHUNK):
                query = select(
                    v.element_id,
                    v.period_id,
                    v.unit_id,
                    v.coc_id,
                    v.aoc_id,
                    v.value,
                    v.comment,
                    v.followup,
                ).where(
                    v.element_id.in_(els[i : i + _IN_CHUNK]),
                    v.period_id.in_(pes[j : j + _IN_CHUNK]),
                )
                for r in self.conn.execute(query):
                    found[tuple(r[:5])] = StoredValue(r[5], r[6], bool(r[7]))
        return found

    def insert(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Rows of key columns then value, value_num, stored_by, created, last_updated,
        comment, followup."""
        if rows:
            columns = (*_KEY_COLUMNS, *_VALUE_COLUMNS)
            marks = ", ".join([self._ph] * len(columns))
            sql = f"INSERT INTO data_values ({', '.join(columns)}) VALUES ({marks})"
            self.conn.exec_driver_sql(sql, list(rows))

    def update(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Rows of value, value_num, stored_by, last_updated, comment, followup, then key."""
        if rows:
            ph = self._ph
            sets = ", ".join(f"{c} = {ph}" for c in _VALUE_COLUMNS if c != "created")
            where = " AND ".join(f"{c} = {ph}" for c in _KEY_COLUMNS)
            self.conn.exec_driver_sql(f"UPDATE data_values SET {sets} WHERE {where}", list(rows))

    def delete(self, keys: Sequence[Key]) -> None:
        if keys:
            where = " AND ".join(f"{c} = {self._ph}" for c in _KEY_COLUMNS)
            self.conn.exec_driver_sql(f"DELETE FROM data_values WHERE {where}", list(keys))

    def count(self) -> int:
        return int(self.conn.execute(text("SELECT COUNT(*) FROM data_values")).scalar_one())

    def values(self, element_uids: Sequence[str] | None = None) -> Iterator[DataValue]:
        """Stored values as domain values, ordered by element, period start, period,
        org unit, option combo and mission uid (optionally only some elements)."""
        e, p, u = data_elements.alias("e"), periods.alias("p"), org_units.alias("u")
        c, m, v = category_option_combos.alias("c"), missions.alias("m"), data_values
        query = (
            select(
                e.c.uid,
                p.c.uid,
                u.c.uid,
                c.c.uid,
                m.c.uid,
                v.c.value,
                v.c.value_num,
                v.c.stored_by,
                v.c.created,
                v.c.last_updated,
                v.c.comment,
                v.c.followup,
            )
            .select_from(
                v.join(e, e.c.id == v.c.element_id)
                .join(p, p.c.id == v.c.period_id)
                .join(u, u.c.id == v.c.unit_id)
                .join(c, c.c.id == v.c.coc_id)
                .join(m, m.c.id == v.c.aoc_id)
            )
            .order_by(e.c.uid, p.c.start_date, p.c.uid, u.c.uid, c.c.uid, m.c.uid)
        )
        if element_uids is not None:
            query = query.where(e.c.uid.in_(list(element_uids)))
        parsed: dict[str, Period] = {}
        for r in self.conn.execute(query.execution_options(yield_per=10_000)):
            period = parsed.get(r[1]) or parsed.setdefault(r[1], parse_period(r[1]))
            yield DataValue(
                r[0],
                period,
                r[2],
                r[3],
                r[4],
                r[5],
                r[6],
                r[7],
                from_millis(r[8]),
                from_millis(r[9]),
                r[10],
                bool(r[11]),
            )

    def mirror_value_rows(self, batch: int = 100_000) -> Iterator[list[tuple[Any, ...]]]:
        """The numeric values as (element, period, unit, coc, aoc ids, value_num), in
        batches, for rebuilding the analytics mirror."""
        v = data_values.c
        query = select(v.element_id, v.period_id, v.unit_id, v.coc_id, v.aoc_id, v.value_num).where(
            v.value_num.is_not(None)
        )
        result = self.conn.execute(query.execution_options(yield_per=batch))
        for part in result.partitions(batch):
            yield [tuple(r) for r in part]

    def settled_locks(self) -> list[Lock]:
        """The periods of settlement runs in force, as locks."""
        s = settlement_runs.c
        query = select(s.id, s.period, s.period_start, s.period_end).where(s.status == "settled")
        return [
            Lock(start, end, f"settlement run {run} settled {period}")
            for run, period, start, end in self.conn.execute(query)
        ]

    def period_types(self) -> dict[str, PeriodType]:
        return {
            u: PeriodType(t)
            for u, t in self.conn.execute(select(periods.c.uid, periods.c.period_type))
        }
