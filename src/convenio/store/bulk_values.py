"""Reading the bulk values back from the DuckDB file: by key, for the validated import
(which must see them: a key is stored once, in SQLite or in bulk), and in export order,
as domain values, for `convenio data export`.

Bulk values are numeric (INTEGER, NUMBER, PERCENTAGE, BOOLEAN): DuckDB keeps their
millionths, and their canonical text is made again from those and the element's value
type (`value_text`), exactly as the validated import makes it from a file's text. They
carry no comment, no follow-up flag and no `stored_by`; `last_updated` (ms, UTC) is the
moment of their import, and serves as `created` too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal

import duckdb

from convenio.missions import VALUE_SCALE, DataValue, ValueType, format_number
from convenio.periods import Period, parse_period
from convenio.store.analytics_mirror import BULK_TABLE, AnalyticsMirror
from convenio.store.values_repo import Key, from_millis

__all__ = ["bulk_count", "bulk_export", "bulk_stored", "bulk_usage", "temp_ids", "value_text"]

_ONE = 10**VALUE_SCALE
_KEY = ("element_id", "period_id", "unit_id", "coc_id", "aoc_id")
_BATCH = 50_000


def value_text(value_type: ValueType, number: int) -> str:
    """The canonical text of a numeric value of `number` millionths."""
    if value_type is ValueType.BOOLEAN:
        return "true" if number else "false"
    if value_type is ValueType.INTEGER:
        return str(number // _ONE)
    return format_number(Decimal(number).scaleb(-VALUE_SCALE))


def temp_ids(con: duckdb.DuckDBPyConnection, name: str, ids: Mapping[str, int]) -> None:
    """A temporary table `name` (uid VARCHAR, id INTEGER) of a uid → id map."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name} AS "
        "SELECT unnest(?::VARCHAR[]) AS uid, unnest(?::INTEGER[]) AS id",
        [list(ids), list(ids.values())],
    )


def bulk_count(mirror: AnalyticsMirror | None) -> int:
    """How many bulk values the store holds."""
    if mirror is None or not mirror.has_bulk():
        return 0
    return int(mirror.query(f"SELECT COUNT(*) FROM {BULK_TABLE}")[0][0])


def bulk_usage(mirror: AnalyticsMirror | None) -> tuple[dict[int, int], set[int]]:
    """Bulk values per element id, and the option combo ids they use: what metadata may
    not change under them."""
    if mirror is None or not mirror.has_bulk():
        return {}, set()
    with mirror.reading() as con:
        per_element = con.execute(
            f"SELECT element_id, COUNT(*) FROM {BULK_TABLE} GROUP BY element_id"
        ).fetchall()
        combos = con.execute(f"SELECT DISTINCT coc_id FROM {BULK_TABLE}").fetchall()
    return {int(e): int(n) for e, n in per_element}, {int(c) for (c,) in combos}


def bulk_stored(mirror: AnalyticsMirror | None, keys: Sequence[Key]) -> dict[Key, int]:
    """The millionths of the bulk values stored under some of `keys`, by key."""
    if not keys or mirror is None or not mirror.has_bulk():
        return {}
    columns = list(zip(*keys, strict=True))
    unnest = ", ".join(f"unnest(?::INTEGER[]) AS {c}" for c in _KEY)
    with mirror.reading() as con:
        rows = con.execute(
            f"SELECT {', '.join(f'b.{c}' for c in _KEY)}, b.value_num FROM {BULK_TABLE} b "
            f"JOIN (SELECT {unnest}) k USING ({', '.join(_KEY)})",
            [list(c) for c in columns],
        ).fetchall()
    return {(r[0], r[1], r[2], r[3], r[4]): int(r[5]) for r in rows}


def bulk_export(
    mirror: AnalyticsMirror | None,
    ids: Mapping[str, Mapping[str, int]],
    value_types: Mapping[str, ValueType],
    element_uids: Sequence[str] | None = None,
) -> Iterator[DataValue]:
    """The bulk values as domain values, in the order the store's export gives its own
    (element, period start, period, org unit, option combo, mission uid), so the two can
    be merged. `ids` maps "elements", "units", "cocs", "missions" to their uid → id maps;
    `element_uids` keeps only those elements."""
    if mirror is None or not mirror.has_bulk():
        return
    with mirror.reading() as con:
        for name, table in (("e", "elements"), ("u", "units"), ("c", "cocs"), ("m", "missions")):
            temp_ids(con, f"x_{name}", ids[table])
        where = ""
        params: list[object] = []
        if element_uids is not None:
            where = "WHERE e.uid IN (SELECT unnest(?::VARCHAR[]))"
            params.append(list(element_uids))
        result = con.execute(
            "SELECT e.uid, p.uid, u.uid, c.uid, m.uid, b.value_num, b.last_updated "
            f"FROM {BULK_TABLE} b JOIN x_e e ON e.id = b.element_id "
            "JOIN periods p ON p.id = b.period_id JOIN x_u u ON u.id = b.unit_id "
            "JOIN x_c c ON c.id = b.coc_id JOIN x_m m ON m.id = b.aoc_id "
            f"{where} ORDER BY e.uid, p.start_date, p.uid, u.uid, c.uid, m.uid",
            params,
        )
        parsed: dict[str, Period] = {}
        while rows := result.fetchmany(_BATCH):
            for element, pe, unit, coc, aoc, number, millis in rows:
                period = parsed.get(pe) or parsed.setdefault(pe, parse_period(pe))
                moment = from_millis(millis)
                text = value_text(value_types[element], number)
                yield DataValue(element, period, unit, coc, aoc, text, number, None, moment, moment)
