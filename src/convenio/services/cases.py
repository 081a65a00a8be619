"""Cases use cases: load pathway events and, apart, sealed personal data; indicators.

Every case gets a random pseudonym when first loaded (`case_refs` links it to the source's
case id); events are stored and analysed under the pseudonym only. Personal data (name,
national id, date of birth) needs the key of ``CONVENIO_SECRET_KEY``: it is sealed
(`convenio.services.sealing`) and stored in a table of its own; without a key a load
that carries personal data is refused whole, and events alone load. Loads are
all-or-nothing and idempotent: the same events again change nothing, a stage stored with
another date is refused with its line; personal data that differs replaces the stored.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from convenio.analytics import DEFAULT_THRESHOLD
from convenio.auth import OPERATOR, Principal
from convenio.errors import InputError, Problem
from convenio.files import PLAIN, FileOptions, Source, Tell, open_table
from convenio.missions.cases import (
    PATHWAYS,
    CaseEvent,
    Indicators,
    Person,
    check_events,
    indicators,
    parse_events_csv,
    parse_people_csv,
)
from convenio.services.missions import refuse, require_reach, scope_of
from convenio.services.sealing import Sealer
from convenio.store import UnitOfWork
from convenio.store.missions_tables import org_units

__all__ = ["CasesResult", "load_cases", "pathway_indicators", "read_person", "record_cases"]


@dataclass(frozen=True)
class CasesResult:
    cases_added: int
    events_added: int
    events_unchanged: int
    people_added: int = 0
    people_changed: int = 0
    people_unchanged: int = 0


def load_cases(
    uow: UnitOfWork,
    events_path: Source,
    people_path: Source | None = None,
    secret: str = "",
    options: FileOptions = PLAIN,
    tell: Tell | None = None,
    actor: Principal = OPERATOR,
) -> CasesResult:
    """Load an events file and, optionally, a personal-data file sealed with `secret`
    (CSV or .xlsx, both read as `options` say). `actor` (a coordinator) records events
    and personal data only of cases at org units of its subtree."""
    sealer = Sealer(secret) if people_path is not None else None
    with ExitStack() as files:
        table = files.enter_context(open_table(events_path, options, (), tell))
        events, problems = parse_events_csv(table.lines, table.name)
        problems = table.problems(problems)
        people: list[Person] = []
        if people_path is not None:
            more_table = files.enter_context(open_table(people_path, options, (), tell))
            people, more = parse_people_csv(more_table.lines, more_table.name)
            problems.extend(more_table.problems(more))
        return _record(uow, events, people, sealer, problems, table.name, str(people_path), actor)


def record_cases(
    uow: UnitOfWork,
    events: Sequence[CaseEvent],
    people: Sequence[Person] = (),
    secret: str = "",
    name: str = "cases",
) -> CasesResult:
    """The Python API of `load_cases` (events keyed by case id); problems name the
    position of the event or person (1, 2, …) as their line."""
    sealer = Sealer(secret) if people else None
    numbered = [e._replace(line=i) for i, e in enumerate(events, 1)]
    persons = [p._replace(line=i) for i, p in enumerate(people, 1)]
    return _record(uow, numbered, persons, sealer, [], name, name)


def _record(
    uow: UnitOfWork,
    events: list[CaseEvent],
    people: list[Person],
    sealer: Sealer | None,
    problems: list[Problem],
    name: str,
    people_name: str,
    actor: Principal = OPERATOR,
) -> CasesResult:
    if problems:  # the files' own: refused before waiting for the write lock
        raise refuse(sorted(problems, key=lambda p: (p.file or "", p.line or 0)), name)
    hierarchy = uow.missions.hierarchy()
    require_reach(
        actor, hierarchy, [(e.org_unit, Problem("", name, e.line, "org_unit")) for e in events]
    )
    uow.lock()
    repo = uow.cases
    refs = repo.pseudonyms({e.case for e in events} | {p.case_id for p in people})
    back = {p: c for c, p in refs.items()}
    stored = [e._replace(case=back[e.case]) for e in repo.events(refs.values())]
    if scope_of(actor, hierarchy) is not None:  # a case stored elsewhere, its person
        sites: dict[str, set[str]] = {}
        for e in (*stored, *events):
            sites.setdefault(e.case, set()).add(e.org_unit)
        located = [(u, Problem("", name, e.line, "case_id")) for e in events for u in sites[e.case]]
        located += [
            (u, Problem("", people_name, p.line, "case_id"))
            for p in people
            for u in sorted(sites.get(p.case_id, ()))
        ]
        require_reach(actor, hierarchy, located)
    problems.extend(check_events(events, name, set(uow.missions.ids(org_units)), stored))
    in_file = {e.case for e in events}
    problems.extend(
        Problem(
            f"case {p.case_id} has no events (load them first or with it)",
            people_name,
            p.line,
            "case_id",
        )
        for p in people
        if p.case_id not in in_file and p.case_id not in refs
    )
    if problems:
        raise refuse(sorted(problems, key=lambda p: (p.file or "", p.line or 0)), name)
    known = {(e.case, e.stage) for e in stored}
    new_cases: list[tuple[str, str, str, str]] = []
    for e in events:
        if e.case not in refs:
            refs[e.case] = secrets.token_hex(16)
            new_cases.append((refs[e.case], e.case, e.pathway, e.org_unit))
    fresh = {(e.case, e.stage): e for e in events if (e.case, e.stage) not in known}
    repo.add_cases(new_cases)
    repo.add_events([e._replace(case=refs[e.case], line=None) for e in fresh.values()])
    added = changed = 0
    if people:
        assert sealer is not None
        added, changed = _seal(uow, people, refs, sealer)
    uow.commit()
    return CasesResult(
        len(new_cases), len(fresh), len(events) - len(fresh), added, changed,
        len(people) - added - changed,
    )  # fmt: skip


def _plain(p: Person) -> bytes:
    data = {"name": p.name, "national_id": p.national_id, "birth_date": p.birth_date.isoformat()}
    return json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8")


def _seal(
    uow: UnitOfWork, people: Sequence[Person], refs: dict[str, str], sealer: Sealer
) -> tuple[int, int]:
    stored = uow.cases.sealed(refs[p.case_id] for p in people)
    new, changed = [], []
    for p in people:
        pseudonym = refs[p.case_id]
        plain = _plain(p)
        row = (pseudonym, sealer.key_id, sealer.seal(plain, pseudonym))
        if pseudonym not in stored:
            new.append(row)
        elif sealer.open(stored[pseudonym][1], pseudonym, stored[pseudonym][0]) != plain:
            changed.append(row)
    uow.cases.save_sealed(new, changed)
    return len(new), len(changed)


def read_person(uow: UnitOfWork, case_id: str, secret: str) -> dict[str, str] | None:
    """The personal data of a case, opened with `secret` (None if none is stored)."""
    sealer = Sealer(secret)
    pseudonym = uow.cases.pseudonyms([case_id]).get(case_id)
    if pseudonym is None:
        return None
    found = uow.cases.sealed([pseudonym]).get(pseudonym)
    if found is None:
        return None
    data: dict[str, str] = json.loads(sealer.open(found[1], pseudonym, found[0]))
    return data


def _published(found: Indicators, threshold: int) -> dict[str, Any]:
    """The counts of `found` a reader of suppressed output may see (None: suppressed),
    suppressed so that subtraction cannot undo it.

    The counts obey one equation: started = completed + the cases stopped at each stage.
    Suppressing each small count on its own lets a reader subtract (started − completed −
    the other stops = the suppressed stop). So, when any count is under `threshold` (a
    nonzero stop, or completed, zero included):

    - `completed` is suppressed with it (and the rate, the median days and `timed`, which
      is `completed`, all three of which give it back);
    - `stopped_at` lists EVERY stage a case can stop at, each stop under the threshold —
      zero included — None: a listed key no longer says "at least one", which would pin a
      stage to 1 when there are as many listed stages as hidden cases;
    - `started` is published only if the hidden cells (completed and the hidden stops)
      add up to at least `threshold`, else it is suppressed too.

    What a reader can derive: the published numbers give one linear combination of the
    hidden cells, their sum R = started − the published stops, and only when started is
    published, when R ≥ threshold — so no sum of hidden cells below the threshold is
    derivable. Nor do bounds pin one: a hidden stop is some value in [0, threshold − 1]
    and `completed` some value in [0, R]; for threshold ≥ 3 every hidden stop and
    `completed` can take at least two values consistent with everything published and
    with this rule (with started published: move one case between the stop and
    `completed`; without it: R < threshold, so each cell is anything that keeps the sum
    under it). `tests/unit/test_cases_suppression.py` checks it by enumerating, for
    random pathways' counts, every table the rule maps to the same answer.
    """
    pathway = PATHWAYS[found.pathway]
    stopped = dict(found.stopped_at)
    small = found.completed < threshold or any(n < threshold for n in stopped.values())
    whole = {
        "started": found.started,
        "completed": found.completed,
        "completion_rate": None if found.completion_rate is None else str(found.completion_rate),
        "median_days": None if found.median_days is None else str(found.median_days),
        "timed": found.timed,
        "stopped_at": stopped,
    }
    if not small:
        return whole
    stages = [s for s in pathway.stages if s != pathway.done]
    counts = {s: stopped.get(s, 0) for s in stages}
    hidden = found.completed + sum(n for n in counts.values() if n < threshold)
    return {
        "started": found.started if hidden >= threshold else None,
        "completed": None,
        "completion_rate": None,
        "median_days": None,
        "timed": None,
        "stopped_at": {s: n if n >= threshold else None for s, n in counts.items()},
    }


def pathway_indicators(
    uow: UnitOfWork,
    pathway: str,
    org_unit: str | None = None,
    public: bool = False,
    threshold: int = DEFAULT_THRESHOLD,
    actor: Principal = OPERATOR,
) -> dict[str, Any]:
    """The indicators of a pathway over every case (at `org_unit` and below, if given),
    as plain values; with `public`, counts under `threshold` are None, with the counts
    that would give them back by subtraction (complementary suppression: `_published`).
    An `actor` who may not read mission data gets the public answer; a coordinator its
    subtree only (by default its own org unit)."""
    if actor.reads_published_only():
        public, threshold = True, max(threshold, DEFAULT_THRESHOLD)
    if org_unit is None and actor.org_unit is not None and not actor.may_reach(()):
        org_unit = actor.org_unit
    if pathway not in PATHWAYS:
        raise InputError(
            f"--pathway {pathway!r}: one of {', '.join(PATHWAYS)}",
            [Problem("unknown pathway", field="--pathway")],
        )
    events = uow.cases.events()
    if org_unit is not None:
        hierarchy = uow.missions.hierarchy()
        if org_unit not in hierarchy:
            raise InputError(
                f"--ou {org_unit!r}: unknown org unit", [Problem("unknown", field="--ou")]
            )
        require_reach(actor, hierarchy, [(org_unit, Problem("", field="--ou"))])
        units = hierarchy.descendants(org_unit)
        events = [e for e in events if e.org_unit in units]
    found: Indicators = indicators(pathway, events)
    shown = _published(found, threshold) if public else _published(found, 0)
    return {"pathway": pathway, "org_unit": org_unit, "public": public, **shown}
