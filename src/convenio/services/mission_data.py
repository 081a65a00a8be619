"""Mission data use cases: import data values (CSV or DHIS2 JSON) and export them.

An import is all-or-nothing: every row is checked against the metadata first and every
problem reported together, with its line or ``dataValues[i]``. Then each value is
compared with the stored one: identical (value, comment, follow-up) changes nothing;
otherwise it is added, updated, or — with ``deleted`` true — removed. Changes to locked
periods (past the data set's expiry, or overlapping a settled period) are refused
unless the period was reopened. `--dry-run` does all of this and writes nothing. The
store and the DuckDB analytics mirror are written together (`commit_with_mirror`).

Values loaded in bulk (`convenio.services.bulk_import`) count as stored: the same value
again changes nothing; another value, or a deletion, takes the key over into SQLite
and out of the DuckDB file's bulk values, in one commit (`commit_with_bulk`). Export
merges them with SQLite's values in the same order.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal, TextIO

from convenio.auth import OPERATOR, Principal
from convenio.errors import InputError, Problem
from convenio.files import PLAIN, FileOptions, Source, Tell, open_table, read_text
from convenio.missions import (
    DataValue,
    RawValue,
    lock_problems,
    parse_csv,
    parse_json,
    validate_values,
    write_csv,
    write_json,
)
from convenio.periods import parse_period
from convenio.services.mirror_sync import commit_with_bulk
from convenio.services.missions import commit_with_mirror, refuse, require_reach, scope_of
from convenio.store import UnitOfWork
from convenio.store.analytics_mirror import MirrorWriter
from convenio.store.bulk_values import bulk_count, bulk_export, bulk_stored, value_text
from convenio.store.missions_tables import (
    category_option_combos,
    data_elements,
    missions,
    org_units,
)
from convenio.store.values_repo import Key, StoredValue, to_millis

__all__ = [
    "ExportFormat",
    "ImportResult",
    "export_values",
    "import_raw_values",
    "import_values",
    "select_values",
]

ExportFormat = Literal["csv", "dhis2-json"]


@dataclass(frozen=True)
class ImportResult:
    """What an import did (or, on a dry run, would do)."""

    added: int
    updated: int
    deleted: int
    unchanged: int
    dry_run: bool = False
    settled: tuple[str, ...] = ()
    """Settled periods (runs) that reopened changes fall in: their runs need reopening."""


VALUE_NUMERIC = ("value",)
"""The column read the Spanish way under --locale es (a text value is left as it is)."""


def _is_json(path: Source) -> bool:
    """Named ``*.json``, or its first non-blank character opens a JSON document."""
    if path.suffix.lower() == ".json":
        return True
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return False
    try:
        with path.open("rb") as stream:
            head = stream.read(4096)
    except OSError:
        return False  # the table reader says why it cannot be read
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"{", b"["))


def import_values(
    uow: UnitOfWork,
    path: Source,
    dry_run: bool = False,
    today: date | None = None,
    options: FileOptions = PLAIN,
    tell: Tell | None = None,
    actor: Principal = OPERATOR,
) -> ImportResult:
    """Import a data values file; see the module docstring. `today` decides expiry;
    `actor` (a coordinator) may change values only at org units of its subtree."""
    if _is_json(path):
        raws, problems = parse_json(read_text(path, options), str(path))
        if problems:
            raise refuse(problems, str(path))
        return import_raw_values(uow, raws, str(path), dry_run, today, actor)
    with open_table(path, options, VALUE_NUMERIC, tell) as table:
        raws, problems = parse_csv(table.lines, table.name)
        problems = table.problems(problems)
        if problems:
            raise refuse(problems, table.name)
        return import_raw_values(uow, raws, table.name, dry_run, today, actor)


def import_raw_values(
    uow: UnitOfWork,
    raws: Sequence[RawValue],
    file: str,
    dry_run: bool = False,
    today: date | None = None,
    actor: Principal = OPERATOR,
) -> ImportResult:
    """Import parsed rows (as `import_values` does a file's), `file` naming them in
    problems; see the module docstring. `today` decides expiry; `actor` (a coordinator)
    may change values only at org units of its subtree (else `AccessError`, nothing
    written)."""
    if not dry_run:
        uow.lock()
    repo = uow.missions
    catalog = repo.catalog()
    unit_ids = repo.ids(org_units)
    values, problems = validate_values(raws, catalog, unit_ids, file)
    if problems:
        raise refuse(problems, file)
    assert len(values) == len(raws)
    require_reach(
        actor,
        repo.hierarchy(),
        (
            (
                v.org_unit,
                Problem("", file, raw.line, f"{raw.where}.orgUnit" if raw.where else "orgUnit"),
            )
            for v, raw in zip(values, raws, strict=True)
        ),
    )
    element_ids, coc_ids, aoc_ids = (
        repo.ids(data_elements),
        repo.ids(category_option_combos),
        repo.ids(missions),
    )
    known_periods = repo.values.known_periods()
    stored = repo.values.stored(
        {element_ids[v.element] for v in values},
        {known_periods[v.pe] for v in values if v.pe in known_periods},
    )

    def key(v: DataValue, period_id: int) -> Key:
        return (
            element_ids[v.element],
            period_id,
            unit_ids[v.org_unit],
            coc_ids[v.coc],
            aoc_ids[v.aoc],
        )

    in_bulk = bulk_stored(
        repo.mirror, [key(v, known_periods[v.pe]) for v in values if v.pe in known_periods]
    )
    element_of = {i: u for u, i in element_ids.items()}
    for k, number in in_bulk.items():
        value_type = catalog.elements[element_of[k[0]]].value_type
        stored[k] = StoredValue(value_text(value_type, number), None, False)

    added: list[tuple[DataValue, RawValue]] = []
    updated: list[tuple[DataValue, RawValue]] = []
    removed: list[tuple[DataValue, RawValue]] = []
    unchanged = 0
    for v, raw in zip(values, raws, strict=True):
        pid = known_periods.get(v.pe)
        old = None if pid is None else stored.get(key(v, pid))
        if v.deleted and old is None:
            unchanged += 1
        elif v.deleted:
            removed.append((v, raw))
        elif old is None:
            added.append((v, raw))
        elif (old.value, old.comment or None, old.followup) == (
            v.value,
            v.comment or None,
            v.followup,
        ):
            unchanged += 1
        else:
            updated.append((v, raw))
    changes = [(v, raw.line, raw.where) for v, raw in (*added, *updated, *removed)]
    data_sets = catalog.element_data_sets()
    settled = repo.values.settled_locks()
    reopened = repo.reopened()
    problems = lock_problems(changes, data_sets, today or date.today(), settled, reopened, file)
    if problems:
        raise refuse(problems, file)
    touched = sorted(
        {
            lock.reason
            for v, _, _ in changes
            for lock in settled
            if v.period.start <= lock.end and lock.start <= v.period.end
        }
    )
    result = ImportResult(
        len(added), len(updated), len(removed), unchanged, dry_run, tuple(touched)
    )
    if dry_run or not changes:
        return result
    wanted = {v.pe: v.period for v, _ in (*added, *updated, *removed)}
    period_ids, new_periods = repo.values.period_ids(wanted.values())
    now = to_millis(datetime.now(UTC))

    def millis(moment: datetime | None) -> int:
        return now if moment is None else to_millis(moment)

    # A bulk value updated or deleted leaves the DuckDB file; updated, it goes to SQLite.
    taken = [k for v, _ in (*updated, *removed) if (k := key(v, period_ids[v.pe])) in in_bulk]
    inserts = [
        (*key(v, period_ids[v.pe]), v.value, v.number, v.stored_by,
         millis(v.created or v.last_updated), millis(v.last_updated), v.comment, v.followup)
        for v, _ in (*added, *((v, r) for v, r in updated if key(v, period_ids[v.pe]) in in_bulk))
    ]  # fmt: skip
    updates = [
        (v.value, v.number, v.stored_by, millis(v.last_updated), v.comment, v.followup,
         *key(v, period_ids[v.pe]))
        for v, _ in updated
        if key(v, period_ids[v.pe]) not in in_bulk
    ]  # fmt: skip
    deletes = [k for v, _ in removed if (k := key(v, period_ids[v.pe])) not in in_bulk]
    repo.values.insert(inserts)
    repo.values.update(updates)
    repo.values.delete(deletes)
    before = repo.data_version()
    after = repo.bump_data_version()

    def mirror(writer: MirrorWriter) -> None:
        writer.add_periods(new_periods)
        writer.change_values(
            [(*r[:5], r[6]) for r in inserts],
            [(*r[6:], r[1]) for r in updates],
            deletes,
        )

    if taken:
        commit_with_bulk(uow, before, after, mirror, lambda w: w.remove_bulk(taken))
    else:
        commit_with_mirror(uow, before, after, mirror)
    return result


def export_values(
    uow: UnitOfWork, out: TextIO, fmt: ExportFormat = "csv", data_set: str | None = None
) -> int:
    """Write the stored values (of one data set, if named) to `out`; how many."""
    values = _stored(uow, data_set)
    return write_json(values, out) if fmt == "dhis2-json" else write_csv(values, out)


def select_values(
    uow: UnitOfWork,
    data_set: str | None = None,
    period: str | None = None,
    org_unit: str | None = None,
    children: bool = False,
    actor: Principal = OPERATOR,
) -> list[DataValue]:
    """The stored values (in export order) of `data_set`, of `period` (its id), at
    `org_unit` (and below it, with `children`): what DHIS2's ``dataValueSets`` answers.
    A coordinator reads only its subtree: naming a unit outside it is `AccessError`."""
    hierarchy = uow.missions.hierarchy()
    pe = None if period is None else _period_id(period)
    units = scope_of(actor, hierarchy)
    if org_unit is not None:
        if org_unit not in hierarchy:
            raise InputError(
                f"orgUnit: unknown org unit {org_unit!r}", [Problem("unknown", field="orgUnit")]
            )
        require_reach(actor, hierarchy, [(org_unit, Problem("", field="orgUnit"))])
        units = frozenset(hierarchy.descendants(org_unit) if children else {org_unit})
    return [
        v
        for v in _stored(uow, data_set)
        if (pe is None or v.pe == pe) and (units is None or v.org_unit in units)
    ]


def _period_id(text: str) -> str:
    try:
        return parse_period(text).id
    except InputError as exc:
        raise InputError(str(exc), [Problem("not a period", field="period")]) from None


def _stored(uow: UnitOfWork, data_set: str | None) -> Iterator[DataValue]:
    """The stored values (of one data set, if named), SQLite's and bulk, in export order."""
    elements = None
    if data_set is not None:
        found = uow.missions.catalog().data_sets.get(data_set)
        if found is None:
            raise InputError(f"unknown data set {data_set!r}")
        elements = list(found.elements)
    values: Iterator[DataValue] = uow.missions.values.values(elements)
    repo = uow.missions
    if bulk_count(repo.mirror):
        ids = {
            "elements": repo.ids(data_elements),
            "units": repo.ids(org_units),
            "cocs": repo.ids(category_option_combos),
            "missions": repo.ids(missions),
        }
        types = {e.uid: e.value_type for e in repo.catalog().elements.values()}
        bulk = bulk_export(repo.mirror, ids, types, elements)
        values = heapq.merge(values, bulk, key=_export_order)
    return values


def _export_order(v: DataValue) -> tuple[str, date, str, str, str, str]:
    """The store's export order (`ValuesRepository.values`)."""
    return (v.element, v.period.start, v.pe, v.org_unit, v.coc, v.aoc)
