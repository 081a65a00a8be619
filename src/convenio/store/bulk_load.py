"""Loading a Parquet or CSV file of data values into the DuckDB file, checked set-wise.

`BulkLoad` works inside the mirror's open transaction (`MirrorWriter.con`). It reads the
file with DuckDB's own `read_parquet` / `read_csv` (CSV: every column as VARCHAR, no
type sniffing; Parquet: every column cast to VARCHAR, floating-point columns refused),
resolves every row's ids against the small catalog tables the service hands it, and
turns each value into exact integer millionths in SQL: a regular-expression check of the
text (the same patterns as `convenio.missions.values`), a count of its decimal places,
then a DECIMAL(38,6) cast — never DOUBLE. Each row gets a bit mask of what is wrong
(`BITS`); the service turns the first bad rows into messages with the validated import's
own checks. Nothing here runs Python per row; nothing here commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final, Literal

import duckdb

from convenio.errors import InputError
from convenio.missions.values import MAX_NUMBER, VALUE_SCALE
from convenio.store.analytics_mirror import BULK_TABLE
from convenio.store.bulk_values import temp_ids

__all__ = ["BITS", "BulkLoad", "ElementRow", "FileKind"]

FileKind = Literal["parquet", "csv"]
ElementRow = tuple[str, int, str, str, str | None, str | None, str]
"""uid, id, value type, category combo, data set uid, its period type, default mission."""

BITS: Final = {
    "dataElement": 1,
    "orgUnit": 2,
    "categoryOptionCombo": 4,
    "attributeOptionCombo": 8,
    "value": 16,
    "comment": 32,
    "period": 64,
}
"""The bit of each field in a row's mask of problems."""

_INTEGER: Final = r"[+-]?[0-9]+"
_NUMBER: Final = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"
_COLUMNS: Final = {
    "de": ("dataelement",),
    "pe": ("period",),
    "ou": ("orgunit",),
    "coc": ("categoryoptioncombo", "catoptcombo"),
    "aoc": ("attributeoptioncombo", "attroptcombo"),
    "v": ("value",),
    "comment": ("comment",),
    "followup": ("followup",),
    "deleted": ("deleted",),
}
_REQUIRED: Final = ("de", "pe", "ou", "v")
_KEY: Final = "element_id, period_id, unit_id, coc_id, aoc_id"
_MACROS: Final = (
    f"CREATE OR REPLACE TEMP MACRO bk_scaled(d, pct) AS CASE WHEN abs(d) <= {MAX_NUMBER} "
    f"AND (NOT pct OR d BETWEEN 0 AND 100) THEN CAST(d * {10**VALUE_SCALE} AS BIGINT) END",
    # Decimal places of a number's text: fraction digits less the exponent; a zero
    # mantissa has none whatever its exponent.
    "CREATE OR REPLACE TEMP MACRO bk_places(v) AS CASE "
    "WHEN NOT (contains(v, 'e') OR contains(v, 'E')) "
    "THEN length(rtrim(split_part(v, '.', 2), '0')) "
    r"WHEN ltrim(replace(regexp_extract(v, '^[+-]?([0-9.]*)', 1), '.', ''), '0') = '' THEN 0 "
    r"ELSE coalesce(length(rtrim(regexp_extract(v, '\.([0-9]*)', 1), '0')) "
    r"- TRY_CAST(regexp_extract(v, '[eE]([+-]?[0-9]+)$', 1) AS INTEGER), 999) END",
)


def _value_num() -> str:
    """SQL for the millionths of the trimmed text `s.v` of an element `e` (NULL: not of
    the element's type)."""
    decimal = "TRY_CAST(s.v AS DECIMAL(38, 6))"
    return (
        "CASE e.value_type "
        "WHEN 'BOOLEAN' THEN CASE WHEN lower(s.v) IN ('true', '1') THEN 1000000::BIGINT "
        "WHEN lower(s.v) IN ('false', '0') THEN 0::BIGINT END "
        f"WHEN 'INTEGER' THEN CASE WHEN regexp_full_match(s.v, '{_INTEGER}') "
        f"THEN bk_scaled({decimal}, false) END "
        f"WHEN 'NUMBER' THEN CASE WHEN regexp_full_match(s.v, '{_NUMBER}') "
        f"AND bk_places(s.v) <= {VALUE_SCALE} THEN bk_scaled({decimal}, false) END "
        f"WHEN 'PERCENTAGE' THEN CASE WHEN regexp_full_match(s.v, '{_NUMBER}') "
        f"AND bk_places(s.v) <= {VALUE_SCALE} THEN bk_scaled({decimal}, true) END END"
    )


class BulkLoad:
    """One file's load on `con` (inside a transaction): stage, check, insert."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, kind: FileKind) -> None:
        self.con = con
        self.path = path
        self.kind = kind
        self.source = self._source()

    def _reader(self) -> str:
        if self.kind == "parquet":
            return "read_parquet($path, file_row_number = true)"
        return (
            "read_csv($path, header = true, all_varchar = true, delim = ',', quote = '\"', "
            "escape = '\"', strict_mode = true)"
        )

    def _source(self) -> str:
        """SELECT of the file's rows: row (1-based) and the trimmed texts."""
        try:
            described = self.con.execute(
                f"DESCRIBE SELECT * FROM {self._reader()}", {"path": str(self.path)}
            ).fetchall()
        except duckdb.Error as exc:
            raise InputError(f"{self.path}: cannot read as {self.kind}: {exc}") from exc
        types = {str(r[0]).lower(): str(r[1]) for r in described}
        names = {str(r[0]).lower(): str(r[0]) for r in described}
        chosen: dict[str, str] = {}
        for alias, options in _COLUMNS.items():
            for option in options:
                if option in names:
                    chosen[alias] = names[option]
                    break
        missing = [_COLUMNS[a][0] for a in _REQUIRED if a not in chosen]
        if missing:
            raise InputError(
                f"{self.path}: no column {', '.join(missing)} (a bulk file has the DHIS2 CSV "
                "columns dataelement, period, orgunit, categoryoptioncombo, "
                "attributeoptioncombo, value)"
            )
        floats = [n for a, n in chosen.items() if types[n.lower()] in ("FLOAT", "DOUBLE")]
        if floats:
            raise InputError(
                f"{self.path}: column {floats[0]} is {types[floats[0].lower()]}: binary "
                "floating point is not exact; write values as text, integers or DECIMAL"
            )

        def text(alias: str) -> str:
            if alias not in chosen:
                return f"'' AS {alias}"
            quoted = '"' + chosen[alias].replace('"', '""') + '"'
            return f"coalesce(trim(CAST({quoted} AS VARCHAR)), '') AS {alias}"

        row = "file_row_number + 1" if self.kind == "parquet" else "row_number() OVER ()"
        body = ", ".join(text(a) for a in _COLUMNS)
        return f"SELECT {row} AS row, {body} FROM {self._reader()}"

    def _params(self) -> dict[str, Any]:
        return {"path": str(self.path)}

    def load_catalog(
        self,
        elements: Sequence[ElementRow],
        cocs: Sequence[tuple[str, int, str]],
        units: Mapping[str, int],
        missions: Mapping[str, int],
    ) -> None:
        """The catalog as temporary tables: elements, option combos (uid, id, combo),
        org units and missions (uid → id)."""
        columns = list(zip(*elements, strict=True)) or [()] * 7
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE bk_elements AS SELECT unnest(?::VARCHAR[]) AS uid, "
            "unnest(?::INTEGER[]) AS id, unnest(?::VARCHAR[]) AS value_type, "
            "unnest(?::VARCHAR[]) AS combo, unnest(?::VARCHAR[]) AS ds, "
            "unnest(?::VARCHAR[]) AS period_type, unnest(?::VARCHAR[]) AS aoc",
            [list(c) for c in columns],
        )
        columns = list(zip(*cocs, strict=True)) or [()] * 3
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE bk_cocs AS SELECT unnest(?::VARCHAR[]) AS uid, "
            "unnest(?::INTEGER[]) AS id, unnest(?::VARCHAR[]) AS combo",
            [list(c) for c in columns],
        )
        temp_ids(self.con, "bk_units", units)
        temp_ids(self.con, "bk_aocs", missions)
        for macro in _MACROS:
            self.con.execute(macro)

    def stage(self) -> list[str]:
        """Read the file into `bk_rows` (row, ids, period text, millionths, mask of
        problems but the period's); the distinct period texts."""
        bits = BITS
        mask = (
            f"(CASE WHEN de = '' OR element_id IS NULL OR ds IS NULL OR value_type = 'TEXT' "
            f"THEN {bits['dataElement']} ELSE 0 END) "
            f"| (CASE WHEN unit_id IS NULL THEN {bits['orgUnit']} ELSE 0 END) "
            f"| (CASE WHEN element_id IS NOT NULL AND coc_id IS NULL "
            f"THEN {bits['categoryOptionCombo']} ELSE 0 END) "
            f"| (CASE WHEN aoc_id IS NULL AND (aoc <> '' OR element_id IS NOT NULL) "
            f"THEN {bits['attributeOptionCombo']} ELSE 0 END) "
            f"| (CASE WHEN element_id IS NOT NULL AND value_type <> 'TEXT' AND value_num IS NULL "
            f"THEN {bits['value']} ELSE 0 END) "
            "| (CASE WHEN comment <> '' OR lower(followup) NOT IN ('', 'false', '0') "
            f"OR lower(deleted) NOT IN ('', 'false', '0') THEN {bits['comment']} ELSE 0 END)"
        )
        try:
            self.con.execute(
                "CREATE OR REPLACE TEMP TABLE bk_rows AS "
                f"SELECT row, element_id, unit_id, coc_id, aoc_id, pe, value_num, {mask} AS bad "
                f"FROM (SELECT s.*, e.id AS element_id, u.id AS unit_id, c.id AS coc_id, "
                f"a.id AS aoc_id, {_value_num()} AS value_num, e.value_type, e.ds "
                f"FROM ({self.source}) s LEFT JOIN bk_elements e ON e.uid = s.de "
                "LEFT JOIN bk_units u ON u.uid = s.ou "
                "LEFT JOIN bk_cocs c ON c.combo = e.combo "
                "AND c.uid = CASE WHEN s.coc = '' THEN 'default' ELSE s.coc END "
                "LEFT JOIN bk_aocs a ON a.uid = CASE WHEN s.aoc = '' THEN e.aoc ELSE s.aoc END"
                ") AS j",
                self._params(),
            )
        except duckdb.Error as exc:
            raise InputError(f"{self.path}: cannot read as {self.kind}: {exc}") from exc
        return [str(r[0]) for r in self.con.execute("SELECT DISTINCT pe FROM bk_rows").fetchall()]

    def set_periods(self, rows: Sequence[tuple[str, int | None, str | None]]) -> None:
        """The file's period texts: (text, period id — negative for one not stored yet,
        None if the text names no period —, period type); defines `bk_checked`."""
        columns = list(zip(*rows, strict=True)) or [()] * 3
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE bk_periods AS SELECT unnest(?::VARCHAR[]) AS text, "
            "unnest(?::INTEGER[]) AS id, unnest(?::VARCHAR[]) AS period_type",
            [list(c) for c in columns],
        )
        self.con.execute(
            "CREATE OR REPLACE TEMP VIEW bk_checked AS SELECT r.row, r.element_id, "
            "p.id AS period_id, r.unit_id, r.coc_id, r.aoc_id, r.value_num, r.bad | CASE "
            "WHEN p.id IS NULL OR (e.period_type IS NOT NULL AND p.period_type <> e.period_type) "
            f"THEN {BITS['period']} ELSE 0 END AS bad "
            "FROM bk_rows r LEFT JOIN bk_periods p ON p.text = r.pe "
            "LEFT JOIN bk_elements e ON e.id = r.element_id"
        )

    def first_rows_by_unit(self) -> list[tuple[int, int]]:
        """(org unit id, first row naming it) for every known org unit of the file."""
        found = self.con.execute(
            "SELECT unit_id, min(row) FROM bk_rows WHERE unit_id IS NOT NULL GROUP BY unit_id "
            "ORDER BY 2"
        ).fetchall()
        return [(int(u), int(r)) for u, r in found]

    def row_count(self) -> int:
        row = self.con.execute("SELECT count(*) FROM bk_rows").fetchone()
        return int(row[0]) if row else 0

    def problem_counts(self) -> tuple[int, int]:
        """(rows with problems, problems) — one problem per field wrong."""
        row = self.con.execute(
            "SELECT count(*), coalesce(sum(bit_count(bad)), 0) FROM bk_checked WHERE bad <> 0"
        ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])

    def bad_rows(self, limit: int) -> list[dict[str, Any]]:
        """The file's texts of the first `limit` rows with problems, with their mask."""
        found = self.con.execute(
            "SELECT row, bad FROM bk_checked WHERE bad <> 0 ORDER BY row LIMIT ?", [limit]
        ).fetchall()
        masks = {int(r): int(b) for r, b in found}
        if not masks:
            return []
        result = self.con.execute(
            f"SELECT * FROM ({self.source}) WHERE row IN (SELECT unnest($rows::BIGINT[])) "
            "ORDER BY row",
            {**self._params(), "rows": list(masks)},
        )
        names = [d[0] for d in result.description]
        return [{**dict(zip(names, r, strict=True)), "bad": masks[r[0]]} for r in result.fetchall()]

    def duplicates(self, limit: int) -> tuple[int, list[tuple[int, int, tuple[int, ...]]]]:
        """Rows repeating an earlier row's key: how many, and the first `limit` as (row,
        first row, key)."""
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE bk_dups AS SELECT {_KEY}, min(row) AS first, "
            f"count(*) AS n FROM bk_checked GROUP BY {_KEY} HAVING count(*) > 1"
        )
        count_row = self.con.execute("SELECT coalesce(sum(n - 1), 0) FROM bk_dups").fetchone()
        count = int(count_row[0]) if count_row else 0
        if not count:
            return 0, []
        rows = self.con.execute(
            f"SELECT c.row, d.first, {', '.join(f'c.{k}' for k in _KEY.split(', '))} "
            f"FROM bk_checked c JOIN bk_dups d USING ({_KEY}) WHERE c.row <> d.first "
            "ORDER BY c.row LIMIT ?",
            [limit],
        ).fetchall()
        return count, [(int(r[0]), int(r[1]), tuple(int(x) for x in r[2:])) for r in rows]

    def match_stored(self) -> None:
        """`bk_matched`: the rows whose key is stored already (SQLite's copy or bulk),
        with the stored millionths."""
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE bk_matched AS SELECT c.row, c.element_id, c.value_num, "
            "d.value_num AS stored FROM bk_checked c "
            f"JOIN data_values d USING ({_KEY})"
        )

    def conflicts(self, limit: int) -> tuple[int, int, list[tuple[int, int, int, int]]]:
        """Rows stored already: (how many with the same value, how many with another,
        the first `limit` of those as (row, element id, new and stored millionths))."""
        counts = self.con.execute(
            "SELECT count(*) FILTER (value_num = stored), count(*) FILTER (value_num <> stored) "
            "FROM bk_matched"
        ).fetchone()
        assert counts is not None
        rows = self.con.execute(
            "SELECT row, element_id, value_num, stored FROM bk_matched "
            "WHERE value_num <> stored ORDER BY row LIMIT ?",
            [limit],
        ).fetchall()
        return (
            int(counts[0]),
            int(counts[1]),
            [(int(a), int(b), int(c), int(d)) for a, b, c, d in rows],
        )

    def new_pairs(self) -> list[tuple[int, int]]:
        """The distinct (element id, period id) of the rows not stored yet."""
        return [
            (int(e), int(p))
            for e, p in self.con.execute(
                "SELECT DISTINCT element_id, period_id FROM bk_checked "
                "WHERE row NOT IN (SELECT row FROM bk_matched)"
            ).fetchall()
        ]

    def locked_rows(
        self, locked: Sequence[tuple[int, int]], limit: int
    ) -> tuple[int, list[tuple[int, int, int]]]:
        """New rows in a locked (element id, period id): how many, and the first `limit`
        as (row, element id, period id)."""
        columns = list(zip(*locked, strict=True)) or [(), ()]
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE bk_locked AS SELECT unnest(?::INTEGER[]) AS "
            "element_id, unnest(?::INTEGER[]) AS period_id",
            [list(c) for c in columns],
        )
        where = (
            "FROM bk_checked c JOIN bk_locked USING (element_id, period_id) "
            "WHERE c.row NOT IN (SELECT row FROM bk_matched)"
        )
        count = self.con.execute(f"SELECT count(*) {where}").fetchone()
        rows = self.con.execute(
            f"SELECT c.row, c.element_id, c.period_id {where} ORDER BY c.row LIMIT ?", [limit]
        ).fetchall()
        return int(count[0]) if count else 0, [(int(a), int(b), int(c)) for a, b, c in rows]

    def insert(self, period_ids: Mapping[int, int], millis: int) -> int:
        """Add the rows not stored yet to the bulk values, provisional (negative) period
        ids replaced by `period_ids`; how many."""
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE bk_pmap AS SELECT unnest(?::INTEGER[]) AS id, "
            "unnest(?::INTEGER[]) AS real_id",
            [list(period_ids), list(period_ids.values())],
        )
        row = self.con.execute(
            f"INSERT INTO {BULK_TABLE} SELECT c.element_id, coalesce(m.real_id, c.period_id), "
            "c.unit_id, c.coc_id, c.aoc_id, c.value_num, ? FROM bk_checked c "
            "LEFT JOIN bk_pmap m ON m.id = c.period_id "
            "WHERE c.row NOT IN (SELECT row FROM bk_matched)",
            [millis],
        ).fetchone()
        return int(row[0]) if row else 0
