"""Cases: patients and learners along a pathway, stage by stage, and the pathway indicators.

Two pathways, as the missions' public reporting describes them: **eye surgery** (Misión
Milagro: detected → referred → transported → pre-op → operated → followed-up) and
**literacy** (Misión Robinson, "Yo, sí puedo": enrolled → lesson-1 … lesson-65 → graduated).
A case is at one site (an org unit) on one pathway; each stage happens at most once, stages
may be skipped (a patient operated where they live is never transported), but a stage is
never dated before an earlier stage of the case, and every case starts at the first stage.

Analytics only ever see `CaseEvent`s keyed by a pseudonym; personal data (name, national
id, date of birth) is a `Person` read from a file of its own and sealed apart
(`convenio.services.cases`). Indicators are exact: medians of whole days (a half when the
count is even), rates in `Decimal` rounded half up to one decimal place.
"""

from __future__ import annotations

import csv
import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Final, NamedTuple

from convenio.errors import Problem

__all__ = [
    "EVENT_COLUMNS",
    "PATHWAYS",
    "PERSON_COLUMNS",
    "CaseEvent",
    "Indicators",
    "Pathway",
    "Person",
    "check_events",
    "indicators",
    "median",
    "parse_events_csv",
    "parse_people_csv",
]

EVENT_COLUMNS: Final = ("case_id", "pathway", "org_unit", "stage", "date")
PERSON_COLUMNS: Final = ("case_id", "name", "national_id", "birth_date")
_ID: Final = re.compile(r"^[A-Za-z0-9_.\-]{1,50}$")


@dataclass(frozen=True)
class Pathway:
    """Stages in order; the first opens a case, `done` completes it (the surgery, the
    graduation), and the median days are measured from the first to `done`."""

    id: str
    stages: tuple[str, ...]
    done: str

    @property
    def start(self) -> str:
        return self.stages[0]

    def index(self, stage: str) -> int:
        return self.stages.index(stage)


PATHWAYS: Final = {
    "eye-surgery": Pathway(
        "eye-surgery",
        ("detected", "referred", "transported", "pre-op", "operated", "followed-up"),
        "operated",
    ),
    "literacy": Pathway(
        "literacy",
        ("enrolled", *(f"lesson-{n}" for n in range(1, 66)), "graduated"),
        "graduated",
    ),
}


class CaseEvent(NamedTuple):
    """Case `case` (an id or a pseudonym) of `pathway` at `org_unit` reached `stage` on
    `date`; `line` where it was read (None: stored)."""

    case: str
    pathway: str
    org_unit: str
    stage: str
    date: date
    line: int | None = None


class Person(NamedTuple):
    """The personal data of case `case_id`: never stored in the clear, never analysed."""

    case_id: str
    name: str
    national_id: str
    birth_date: date
    line: int | None = None


def _rows(
    stream: Iterable[str], name: str, columns: Sequence[str]
) -> tuple[list[tuple[int, dict[str, str]]], list[Problem]]:
    reader = csv.reader(stream)
    header = next(reader, None)
    if header is None or [c.strip().lstrip("\ufeff") for c in header] != list(columns):
        expected = ",".join(columns)
        return [], [Problem(f"expected the header {expected}", name, 1, "header")]
    rows, problems = [], []
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        line = reader.line_num
        if len(cells) != len(columns):
            problems.append(
                Problem(f"expected {len(columns)} fields, found {len(cells)}", name, line)
            )
            continue
        values = {c: v.strip() for c, v in zip(columns, cells, strict=True)}
        if not _ID.match(values["case_id"]):
            problems.append(
                Problem("not a case id (1-50 letters, digits, _ . -)", name, line, "case_id")
            )
            continue
        rows.append((line, values))
    return rows, problems


def _day(text: str, name: str, line: int, field: str, problems: list[Problem]) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(Problem(f"{text!r} is not an ISO date (YYYY-MM-DD)", name, line, field))
        return None


def parse_events_csv(stream: Iterable[str], name: str) -> tuple[list[CaseEvent], list[Problem]]:
    """Read ``case_id,pathway,org_unit,stage,date`` rows: the events and problems of form
    (an unknown pathway or stage, a bad date). `check_events` checks the rest."""
    rows, problems = _rows(stream, name, EVENT_COLUMNS)
    events = []
    for line, v in rows:
        pathway = PATHWAYS.get(v["pathway"])
        if pathway is None:
            problems.append(
                Problem(
                    f"unknown pathway {v['pathway']!r} ({', '.join(PATHWAYS)})",
                    name,
                    line,
                    "pathway",
                )
            )
            continue
        if v["stage"] not in pathway.stages:
            problems.append(
                Problem(f"{v['stage']!r} is not a stage of {pathway.id}", name, line, "stage")
            )
            continue
        day = _day(v["date"], name, line, "date", problems)
        if day is not None:
            events.append(CaseEvent(v["case_id"], pathway.id, v["org_unit"], v["stage"], day, line))
    return events, problems


def parse_people_csv(stream: Iterable[str], name: str) -> tuple[list[Person], list[Problem]]:
    """Read ``case_id,name,national_id,birth_date`` rows (one per case)."""
    rows, problems = _rows(stream, name, PERSON_COLUMNS)
    people: list[Person] = []
    seen: dict[str, int] = {}
    for line, v in rows:
        if v["case_id"] in seen:
            problems.append(
                Problem(
                    f"case {v['case_id']} is already on line {seen[v['case_id']]}",
                    name,
                    line,
                    "case_id",
                )
            )
            continue
        seen[v["case_id"]] = line
        if not v["name"]:
            problems.append(Problem("the name is empty", name, line, "name"))
        day = _day(v["birth_date"], name, line, "birth_date", problems)
        if day is not None and v["name"]:
            people.append(Person(v["case_id"], v["name"], v["national_id"], day, line))
    return people, problems


def check_events(
    events: Sequence[CaseEvent], name: str, org_units: Set[str], stored: Iterable[CaseEvent] = ()
) -> list[Problem]:
    """Problems of the file's events, taken together with those `stored` (same `case`
    ids): an unknown org unit; a case whose pathway or site differs from row to row; a
    stage twice; a stage dated before an earlier stage; a case without its first stage."""
    problems: list[Problem] = []
    by_case: dict[str, list[CaseEvent]] = defaultdict(list)
    for e in stored:
        by_case[e.case].append(e)
    for e in events:
        if e.org_unit not in org_units:
            problems.append(Problem(f"unknown org unit {e.org_unit!r}", name, e.line, "org_unit"))
        by_case[e.case].append(e)
    for case, found in by_case.items():
        if all(e.line is None for e in found):
            continue
        first = found[0]
        stages: dict[str, CaseEvent] = {}
        for e in found:
            if (e.pathway, e.org_unit) != (first.pathway, first.org_unit):
                field = "pathway" if e.pathway != first.pathway else "org_unit"
                where = "stored" if first.line is None else f"line {first.line}"
                message = f"case {case} is {first.pathway} at {first.org_unit} ({where})"
                problems.append(Problem(message, name, e.line, field))
                continue
            if e.stage in stages:
                before = stages[e.stage]
                # The same stored event again is fine (a file loaded twice); the same
                # stage twice in the file, or with another date, is not.
                if before.date != e.date or (before.line is not None and e.line is not None):
                    where = "stored" if before.line is None else f"on line {before.line}"
                    message = (
                        f"case {case} reached {e.stage} on {before.date.isoformat()} ({where})"
                    )
                    problems.append(Problem(message, name, e.line, "stage"))
                continue
            stages[e.stage] = e
        pathway = PATHWAYS[first.pathway]
        ordered = sorted(stages.values(), key=lambda e: pathway.index(e.stage))
        if not ordered or ordered[0].stage != pathway.start:
            line = min((e.line for e in found if e.line is not None), default=None)
            message = f"case {case} has no {pathway.start!r} stage: every case starts there"
            problems.append(Problem(message, name, line, "stage"))
        for earlier, later in itertools.pairwise(ordered):
            if later.date < earlier.date:
                bad = later if later.line is not None else earlier
                message = (
                    f"case {case}: {later.stage} on {later.date.isoformat()} is before "
                    f"{earlier.stage} on {earlier.date.isoformat()}"
                )
                problems.append(Problem(message, name, bad.line, "date"))
    return sorted(problems, key=lambda p: p.line or 0)


# -- indicators ---------------------------------------------------------------------------------


def median(values: Sequence[int]) -> Decimal | None:
    """The median (the mean of the two middle values when the count is even)."""
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return Decimal(ordered[mid])
    return (Decimal(ordered[mid - 1]) + Decimal(ordered[mid])) / 2


def _rate(numerator: int, denominator: int) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass(frozen=True)
class Indicators:
    """A pathway's indicators over some cases: `started` cases (detected, enrolled),
    `completed` (operated, graduated), the completion rate in % (one decimal), the median
    days from the first stage to `done` over `timed` cases, and `stopped_at`: for cases
    not completed, how many stopped at each stage (their latest), in pathway order."""

    pathway: str
    started: int
    completed: int
    completion_rate: Decimal | None
    median_days: Decimal | None
    timed: int
    stopped_at: tuple[tuple[str, int], ...]


def indicators(pathway_id: str, events: Iterable[CaseEvent]) -> Indicators:
    """The indicators of `pathway_id` over `events` (those of other pathways ignored)."""
    pathway = PATHWAYS[pathway_id]
    cases: dict[str, dict[str, date]] = defaultdict(dict)
    for e in events:
        if e.pathway == pathway_id:
            cases[e.case][e.stage] = e.date
    started = [c for c in cases.values() if pathway.start in c]
    completed = [c for c in started if pathway.done in c]
    days = [(c[pathway.done] - c[pathway.start]).days for c in completed]
    stopped: dict[str, int] = defaultdict(int)
    for c in started:
        if pathway.done not in c:
            stopped[max(c, key=pathway.index)] += 1
    return Indicators(
        pathway_id,
        len(started),
        len(completed),
        _rate(len(completed), len(started)),
        median(days),
        len(days),
        tuple((s, stopped[s]) for s in pathway.stages if stopped.get(s)),
    )
