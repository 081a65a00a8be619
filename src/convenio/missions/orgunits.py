"""Org units: the sites of the missions, in a hierarchy of any depth that keeps its history.

Country → state → municipality → parish → facility, or any other depth: each unit has a
parent (none at the top), a level (1 at the top, one more than its parent's) and DHIS2's
`path` of uids from the top (``/VE/VE-ZU/VE-ZU-MCBO``). A unit is a run of *versions*,
each valid from a day (included) to a day (excluded): moving a clinic to another parish
or renaming it closes the current version and opens a new one on the day the change
takes effect, so data reported before the move still rolls up where it was reported.
A unit as first loaded is taken to have always been so (its first version starts on
`BEGINNING`). `Hierarchy.spans` lists, for each unit and each stretch of time, the
ancestor at each level — the table analytics joins data values with.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Final, NamedTuple

from convenio.errors import Problem

__all__ = [
    "BEGINNING",
    "OPEN_END",
    "AncestorSpan",
    "Hierarchy",
    "OrgUnitRow",
    "OrgUnitVersion",
    "apply_rows",
    "is_level",
    "parse_orgunits_csv",
]

BEGINNING: Final = date(1, 1, 1)
"""The first day of a unit's first version: it is taken to have always existed."""
OPEN_END: Final = date(9999, 12, 31)
"""The (excluded) end of a current version."""

_COLUMNS: Final = ("id", "name", "parent_id", "level")
_OPTIONAL: Final = ("code",)
MAX_UID: Final = 50


@dataclass(frozen=True)
class OrgUnitVersion:
    """A unit as it was from `valid_from` (included) to `valid_to` (excluded)."""

    uid: str
    name: str
    parent: str | None
    level: int
    code: str | None = None
    valid_from: date = BEGINNING
    valid_to: date = OPEN_END

    def same_as(self, other: OrgUnitVersion) -> bool:
        """Whether the two describe the unit alike (validity aside)."""
        return (self.name, self.parent, self.level, self.code) == (
            other.name,
            other.parent,
            other.level,
            other.code,
        )


class OrgUnitRow(NamedTuple):
    """A row of an org units file, with its line."""

    version: OrgUnitVersion
    line: int


class AncestorSpan(NamedTuple):
    """`ancestor` is `unit`'s ancestor at `level` (the unit itself at its own level) from
    `valid_from` (included) to `valid_to` (excluded)."""

    unit: str
    ancestor: str
    level: int
    valid_from: date
    valid_to: date


def is_level(text: str) -> bool:
    """A level number: ASCII digits ('²'.isdigit() is True, int('²') fails), 1 to 999."""
    return text.isascii() and text.isdigit() and 0 < len(text) <= 3 and int(text) >= 1


def parse_orgunits_csv(stream: Iterable[str], file: str) -> tuple[list[OrgUnitRow], list[Problem]]:
    """Rows of a CSV with header ``id,name,parent_id,level`` and optionally ``code``.

    An empty `parent_id` marks a top unit. Every problem comes back with its line.
    """
    reader = csv.reader(stream)
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in _COLUMNS if c not in header]
    unknown = [c for c in header if c not in _COLUMNS + _OPTIONAL]
    if missing or unknown:
        parts = [
            f"missing {', '.join(missing)}" if missing else "",
            f"unknown {', '.join(unknown)}" if unknown else "",
        ]
        message = (
            f"header must be id,name,parent_id,level[,code]: {'; '.join(p for p in parts if p)}"
        )
        return [], [Problem(message, file, 1, "header")]
    at = {name: header.index(name) for name in header}
    rows: list[OrgUnitRow] = []
    problems: list[Problem] = []
    for line, record in enumerate(reader, start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(header):
            problems.append(Problem(f"{len(record)} fields, expected {len(header)}", file, line))
            continue
        cell = {name: record[i].strip() for name, i in at.items()}
        uid, name, parent = cell["id"], cell["name"], cell["parent_id"] or None
        bad = [
            (f, m)
            for f, m in (
                ("id", "empty" if not uid else ""),
                ("id", f"longer than {MAX_UID} characters" if len(uid) > MAX_UID else ""),
                ("name", "empty" if not name else ""),
                (
                    "level",
                    ""
                    if is_level(cell["level"])
                    else f"{cell['level']!r} is not a level (1, 2, …)",
                ),
            )
            if m
        ]
        if uid and parent == uid:
            bad.append(("parent_id", "a unit cannot be its own parent"))
        problems += [Problem(m, file, line, f) for f, m in bad]
        if not bad:
            code = cell.get("code") or None
            rows.append(
                OrgUnitRow(OrgUnitVersion(uid, name, parent, int(cell["level"]), code), line)
            )
    return rows, problems


class Hierarchy:
    """Every version of every unit; answers what the tree was on any day."""

    def __init__(self, versions: Iterable[OrgUnitVersion] = ()) -> None:
        self.versions: dict[str, list[OrgUnitVersion]] = defaultdict(list)
        for v in versions:
            self.versions[v.uid].append(v)
        for history in self.versions.values():
            history.sort(key=lambda v: v.valid_from)

    def __contains__(self, uid: object) -> bool:
        return uid in self.versions

    def __len__(self) -> int:
        return len(self.versions)

    def all_versions(self) -> Iterator[OrgUnitVersion]:
        for history in self.versions.values():
            yield from history

    def version(self, uid: str, on: date = OPEN_END) -> OrgUnitVersion | None:
        """The version of `uid` in force on day `on` (default: the current one)."""
        for v in self.versions.get(uid, ()):
            if v.valid_from <= on < v.valid_to or (on == OPEN_END and v.valid_to == OPEN_END):
                return v
        return None

    def as_of(self, on: date = OPEN_END) -> dict[str, OrgUnitVersion]:
        """Every unit as it was on day `on` (default: now)."""
        return {uid: v for uid in self.versions if (v := self.version(uid, on)) is not None}

    def ancestors(self, uid: str, on: date = OPEN_END) -> list[str]:
        """The uids from the top down to `uid` itself, as the tree was on `on`."""
        chain: list[str] = []
        current: str | None = uid
        while current is not None and len(chain) <= len(self.versions):
            chain.append(current)
            v = self.version(current, on)
            current = None if v is None else v.parent
        return chain[::-1]

    def path(self, uid: str, on: date = OPEN_END) -> str:
        """DHIS2's path: ``/`` before each uid from the top down to `uid`."""
        return "".join(f"/{u}" for u in self.ancestors(uid, on))

    def descendants(self, uid: str, on: date = OPEN_END) -> set[str]:
        """`uid` and every unit below it, as the tree was on `on`."""
        children: dict[str | None, list[str]] = defaultdict(list)
        for v in self.as_of(on).values():
            children[v.parent].append(v.uid)
        found, todo = {uid}, [uid]
        while todo:
            for child in children.get(todo.pop(), ()):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return found

    def breakpoints(self) -> list[date]:
        """The days on which some version starts, in order (`BEGINNING` first)."""
        return sorted({v.valid_from for v in self.all_versions()} | {BEGINNING})

    def check(self) -> list[tuple[str, Problem]]:
        """What is wrong with the tree on any day, by unit: a parent that does not exist
        then, or a level that is not one more than the parent's (which rules out cycles)."""
        problems: list[tuple[str, Problem]] = []
        for day in self.breakpoints():
            tree = self.as_of(day)
            when = "" if day == BEGINNING else f" (from {day})"
            for v in tree.values():
                if v.parent is None:
                    if v.level != 1:
                        message = f"{v.uid}: a top unit has level 1, not {v.level}{when}"
                        problems.append((v.uid, Problem(message, field="level")))
                elif v.parent not in tree:
                    message = f"{v.uid}: unknown parent {v.parent!r}{when}"
                    problems.append((v.uid, Problem(message, field="parent_id")))
                elif tree[v.parent].level + 1 != v.level:
                    message = (
                        f"{v.uid}: level {v.level}, but its parent {v.parent} has level "
                        f"{tree[v.parent].level}{when}"
                    )
                    problems.append((v.uid, Problem(message, field="level")))
        return problems

    def spans(self) -> list[AncestorSpan]:
        """For each unit, level and stretch of time, its ancestor there (itself included).

        A stretch lasts as long as the ancestor at that level stays the same, so a tree
        that never changed gives one span per unit and level, from `BEGINNING` to
        `OPEN_END`, and a move only splits the levels whose ancestor changed.
        """
        open_spans: dict[tuple[str, int], tuple[str, date]] = {}
        result: list[AncestorSpan] = []
        for day in self.breakpoints():
            tree = self.as_of(day)
            current: dict[tuple[str, int], str] = {}
            for uid in tree:
                for level, ancestor in enumerate(self.ancestors(uid, day), start=1):
                    current[uid, level] = ancestor
            for key in list(open_spans):
                ancestor, start = open_spans[key]
                if current.get(key) != ancestor:
                    result.append(AncestorSpan(key[0], ancestor, key[1], start, day))
                    del open_spans[key]
            for key, ancestor in current.items():
                open_spans.setdefault(key, (ancestor, day))
        result.extend(
            AncestorSpan(uid, ancestor, level, start, OPEN_END)
            for (uid, level), (ancestor, start) in open_spans.items()
        )
        return result


def apply_rows(
    hierarchy: Hierarchy, rows: Sequence[OrgUnitRow], effective: date, file: str
) -> tuple[Hierarchy, int, int, list[Problem]]:
    """The hierarchy after loading `rows` with changes taking effect on `effective`.

    Returns (new hierarchy, units added, units changed, problems). New units are valid
    from `BEGINNING`; a known unit whose name, parent, level or code differs gets a new
    version from `effective` (replacing the current one if that also starts on
    `effective`). A change dated before the unit's latest change is refused, as is a
    unit listed twice; then the whole tree is checked on every day it changed.
    """
    problems: list[Problem] = []
    first_line: dict[str, int] = {}
    for row in rows:
        uid = row.version.uid
        if uid in first_line:
            problems.append(
                Problem(
                    f"{uid} is listed twice (first on line {first_line[uid]})", file, row.line, "id"
                )
            )
        else:
            first_line[uid] = row.line
    versions = {uid: list(history) for uid, history in hierarchy.versions.items()}
    added = changed = 0
    for row in rows:
        new = row.version
        history = versions.get(new.uid)
        if history is None:
            versions[new.uid] = [replace(new, valid_from=BEGINNING, valid_to=OPEN_END)]
            added += 1
            continue
        current = history[-1]
        if current.same_as(new):
            continue
        if effective < current.valid_from:
            problems.append(
                Problem(
                    f"{new.uid} last changed on {current.valid_from}; a change cannot take effect "
                    f"earlier ({effective})",
                    file,
                    row.line,
                    "id",
                )
            )
            continue
        changed += 1
        if effective == current.valid_from:
            history[-1] = replace(new, valid_from=current.valid_from, valid_to=OPEN_END)
        else:
            history[-1] = replace(current, valid_to=effective)
            history.append(replace(new, valid_from=effective, valid_to=OPEN_END))
    result = Hierarchy(v for history in versions.values() for v in history)
    if not problems:
        reported: set[tuple[str, str | None]] = set()
        for uid, p in result.check():
            if (uid, p.field) not in reported:
                reported.add((uid, p.field))
                problems.append(p._replace(file=file, line=first_line.get(uid)))
    return result, added, changed, problems
