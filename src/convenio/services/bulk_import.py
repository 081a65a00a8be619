"""The bulk import use case: `convenio data import FILE --bulk`, Parquet or CSV of
numeric values, checked set-wise inside DuckDB and stored there, all or nothing.

The rows are checked like the validated import's (`convenio.services.mission_data`):
every id against the catalog, the period against the element's data set, the value
against the element's type, no key twice, no change to a locked period. DuckDB does the
work in a few statements (`convenio.store.bulk_load`); the first bad rows are read back
and checked again by `validate_values`, so the messages are the validated import's.
Values whose key is stored already (in SQLite or in bulk) with the same value change
nothing; with another value they are refused: a bulk import adds, it does not correct.
New periods are registered in the store as the validated import registers them. The
values go to the DuckDB file's `bulk_values` (docs/adr/0004-bulk-values-in-duckdb.md).
"""

from __future__ import annotations

import codecs
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from convenio.auth import OPERATOR, Principal
from convenio.errors import ConvenioError, InputError, Problem
from convenio.files import PLAIN, FileOptions, open_table
from convenio.missions import DEFAULT, DataValue, RawValue, ValueType, lock_problems
from convenio.missions import validate_values as check_rows
from convenio.periods import Period, parse_period
from convenio.services.mirror_sync import rebuild_copy
from convenio.services.mission_data import VALUE_NUMERIC, ImportResult
from convenio.services.missions import MAX_PROBLEMS, require_reach
from convenio.store import UnitOfWork
from convenio.store.bulk_load import BITS, BulkLoad, ElementRow, FileKind
from convenio.store.bulk_values import value_text
from convenio.store.missions_tables import (
    category_option_combos,
    data_elements,
    missions,
    org_units,
)
from convenio.store.values_repo import to_millis

__all__ = ["POSTGRES_REFUSAL", "import_bulk"]

POSTGRES_REFUSAL = (
    "--bulk loads into the embedded store's DuckDB file; on PostgreSQL use `convenio data "
    "import` without --bulk (every row checked, stored in PostgreSQL's data_values)"
)


class _RollbackSignal(Exception):  # noqa: N818 - a signal, not an error
    """Leave the DuckDB transaction without writing (dry run, nothing new)."""

    def __init__(self, result: ImportResult) -> None:
        super().__init__("rollback")
        self.result = result


def _kind(path: Path) -> FileKind:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return "parquet"
    if suffix == ".csv":
        return "csv"
    raise InputError(f"{path}: a bulk import reads .parquet, .csv or .xlsx files")


def _refuse(shown: Sequence[Problem], total: int, what: str) -> InputError:
    """One error listing the first problems, counting all `total` (as `refuse` does)."""
    shown = sorted(shown, key=lambda p: p.line or 0)[:MAX_PROBLEMS]
    total = max(total, len(shown))
    if total == len(shown):
        return InputError.from_problems(shown, what)
    more = Problem(f"… and {total - len(shown)} more problems")
    return InputError(f"{what}: {total} problems, nothing was written", [*shown, more])


class _Import:
    """One bulk import's state: the catalog by id and the file's line numbering."""

    def __init__(self, uow: UnitOfWork, path: Path, kind: FileKind) -> None:
        self.uow, self.file, self.kind = uow, str(path), kind
        repo = uow.missions
        self.catalog = repo.catalog()
        self.data_sets = self.catalog.element_data_sets()
        self.ids = {
            "elements": repo.ids(data_elements),
            "cocs": repo.ids(category_option_combos),
            "units": repo.ids(org_units),
            "missions": repo.ids(missions),
        }
        self.uid_of = {name: {i: u for u, i in m.items()} for name, m in self.ids.items()}
        self.known = repo.values.known_periods()
        self.periods: dict[int, Period] = {}  # id (negative: not stored yet) → period

    def line(self, row: int) -> int:
        """CSV: the line (the header is line 1); Parquet: the row, from 1."""
        return row + 1 if self.kind == "csv" else row

    def element_rows(self) -> list[ElementRow]:
        rows: list[ElementRow] = []
        for e in self.catalog.elements.values():
            ds = self.data_sets.get(e.uid)
            mission = ds.mission if ds is not None and ds.mission else DEFAULT
            rows.append(
                (
                    e.uid,
                    self.ids["elements"][e.uid],
                    e.value_type.value,
                    e.combo,
                    None if ds is None else ds.uid,
                    None if ds is None else ds.period_type.value,
                    mission,
                )
            )
        return rows

    def period_rows(self, texts: Sequence[str]) -> list[tuple[str, int | None, str | None]]:
        """(text, id, type) of the file's period texts; new periods get negative ids."""
        fresh: dict[str, int] = {}
        rows: list[tuple[str, int | None, str | None]] = []
        for text in texts:
            try:
                period = parse_period(text)
            except InputError:
                rows.append((text, None, None))
                continue
            pid = self.known.get(period.id) or fresh.setdefault(period.id, -len(fresh) - 1)
            self.periods[pid] = period
            rows.append((text, pid, period.type.value))
        return rows

    def key_text(self, key: Sequence[int]) -> str:
        e, p, u, c, a = key
        names = (
            self.uid_of["elements"][e],
            self.periods[p].id,
            self.uid_of["units"][u],
            self.uid_of["cocs"][c],
            self.uid_of["missions"][a],
        )
        return "/".join(names)

    def row_problems(self, load: BulkLoad) -> None:
        """Refuse the file if any row has a problem, the first ones told in full."""
        _, total = load.problem_counts()
        if not total:
            return
        problems: list[Problem] = []
        units = self.ids["units"]
        for r in load.bad_rows(MAX_PROBLEMS):
            line, bad = self.line(int(r["row"])), int(r["bad"])
            raw = RawValue(r["de"], r["pe"], r["ou"], r["coc"], r["aoc"], r["v"], line=line)
            found = check_rows([raw], self.catalog, units, self.file)[1]
            element = self.catalog.elements.get(r["de"])
            if element is not None and element.value_type is ValueType.TEXT:
                found.append(
                    Problem(
                        f"{element.uid} is a TEXT element: a bulk import takes numbers only "
                        "(INTEGER, NUMBER, PERCENTAGE, BOOLEAN); import text values with "
                        "`convenio data import`",
                        self.file,
                        line,
                        "dataElement",
                    )
                )
            if bad & BITS["comment"]:
                found.append(
                    Problem(
                        "a bulk import stores no comment, follow-up or deletion: import this "
                        "row with `convenio data import`",
                        self.file,
                        line,
                        "comment",
                    )
                )
            problems += found or [Problem("not accepted by the bulk import", self.file, line)]
        raise _refuse(problems, total, self.file)

    def key_problems(self, load: BulkLoad) -> int:
        """Refuse the file for a key twice in it or stored with another value; else how
        many of its rows are stored already with the same value."""
        dup_count, dups = load.duplicates(MAX_PROBLEMS)
        problems = [
            Problem(
                f"the same key {self.key_text(key)} is already on "
                f"{'line' if self.kind == 'csv' else 'row'} {self.line(first)}",
                self.file,
                self.line(row),
            )
            for row, first, key in dups
        ]
        load.match_stored()
        same, other, conflicts = load.conflicts(MAX_PROBLEMS)
        for row, element_id, new, old in conflicts:
            element = self.catalog.elements[self.uid_of["elements"][element_id]]
            problems.append(
                Problem(
                    f"stored already as {value_text(element.value_type, old)}, not "
                    f"{value_text(element.value_type, new)}: a bulk import adds values, it "
                    "changes none (change it with `convenio data import`)",
                    self.file,
                    self.line(row),
                    "value",
                )
            )
        if problems:
            raise _refuse(problems, dup_count + other, self.file)
        return same

    def lock_problems(self, load: BulkLoad, today: date) -> tuple[str, ...]:
        """Refuse new values in locked periods; the settled periods reopened ones are in."""
        repo = self.uow.missions
        pairs = load.new_pairs()
        changes = [
            (DataValue(self.uid_of["elements"][e], self.periods[p], "", "", "", "", None), i, "")
            for i, (e, p) in enumerate(pairs)
        ]
        settled = repo.values.settled_locks()
        found = lock_problems(changes, self.data_sets, today, settled, repo.reopened(), "")
        why = {pairs[p.line]: p.message for p in found if p.line is not None}
        if why:
            total, rows = load.locked_rows(list(why), MAX_PROBLEMS)
            shown = [Problem(why[e, p], self.file, self.line(row), "period") for row, e, p in rows]
            raise _refuse(shown, total, self.file)
        touched = {
            lock.reason
            for v, _, _ in changes
            for lock in settled
            if v.period.start <= lock.end and lock.start <= v.period.end
        }
        return tuple(sorted(touched))


def import_bulk(
    uow: UnitOfWork,
    path: Path,
    dry_run: bool = False,
    today: date | None = None,
    options: FileOptions = PLAIN,
    actor: Principal = OPERATOR,
) -> ImportResult:
    """Import a Parquet, CSV or .xlsx file of numeric values into the DuckDB file; see
    the module docstring. `today` decides expiry; `actor` (a coordinator) imports only
    values at org units of its subtree. A UTF-8 CSV read as it is goes to
    DuckDB directly; any other (another --encoding, --locale es, .xlsx) is first
    written as plain UTF-8 CSV to a temporary file, and problems name the original."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm") and uow.missions.mirror is None:
        raise InputError(POSTGRES_REFUSAL, [Problem("not on this store", field="--bulk")])
    if suffix not in (".xlsx", ".xlsm") and _kind(path) == "parquet":
        return _import_bulk(uow, path, dry_run, today, actor)
    plain = suffix == ".csv" and options.locale is None and options.sheet is None
    if plain and codecs.lookup(options.encoding).name == "utf-8":
        with open_table(path, options):  # the header's ';' hint, an unreadable file
            pass
        return _import_bulk(uow, path, dry_run, today, actor)
    with open_table(path, options, VALUE_NUMERIC) as table, tempfile.TemporaryDirectory() as tmp:
        canonical = Path(tmp) / "values.csv"
        with canonical.open("w", encoding="utf-8", newline="") as out:
            out.writelines(table.lines)
        problems = table.problems([])
        if problems:
            raise InputError.from_problems(problems, table.name)
        try:
            return _import_bulk(uow, canonical, dry_run, today, actor)
        except ConvenioError as error:
            raise _renamed(error, str(canonical), table.name) from None


def _renamed(error: ConvenioError, old: str, new: str) -> ConvenioError:
    """The error with `old` (a temporary file) named `new` in its message and problems."""
    problems = [p._replace(file=new) if p.file == old else p for p in error.problems]
    return type(error)(str(error).replace(old, new), problems)


def _import_bulk(
    uow: UnitOfWork,
    path: Path,
    dry_run: bool = False,
    today: date | None = None,
    actor: Principal = OPERATOR,
) -> ImportResult:
    repo = uow.missions
    mirror = repo.mirror
    if mirror is None:
        raise InputError(POSTGRES_REFUSAL, [Problem("not on this store", field="--bulk")])
    kind = _kind(path)
    if not path.is_file():
        raise InputError(f"{path}: cannot read: no such file")
    job = _Import(uow, path, kind)
    try:
        with mirror.writing() as writer:
            version = repo.data_version()
            if writer.version() != version:
                rebuild_copy(uow, writer, version)
            load = BulkLoad(writer.con, path, kind)
            load.load_catalog(
                job.element_rows(),
                [
                    (c.uid, job.ids["cocs"][c.uid], c.combo)
                    for c in job.catalog.option_combos.values()
                ],
                job.ids["units"],
                job.ids["missions"],
            )
            load.set_periods(job.period_rows(load.stage()))
            require_reach(
                actor,
                repo.hierarchy(),
                [
                    (job.uid_of["units"][unit], Problem("", job.file, job.line(row), "orgUnit"))
                    for unit, row in load.first_rows_by_unit()
                ],
            )
            job.row_problems(load)
            same = job.key_problems(load)
            settled = job.lock_problems(load, today or date.today())
            rows = load.row_count()
            result = ImportResult(rows - same, 0, 0, same, dry_run, settled)
            if dry_run or rows == same:
                raise _RollbackSignal(result)
            fresh = [p for pid, p in job.periods.items() if pid < 0]
            period_ids, new_rows = repo.values.period_ids(fresh)
            writer.add_periods(new_rows)
            mapping: Mapping[int, int] = {
                pid: period_ids[p.id] for pid, p in job.periods.items() if pid < 0
            }
            added = load.insert(mapping, to_millis(datetime.now(UTC)))
            assert added == result.added, (added, result)
            writer.set_version(repo.bump_data_version())
            uow.commit()
    except _RollbackSignal as done:
        return done.result
    return result
