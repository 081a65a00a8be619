"""Cooperants and their deployments, and the person-months they add up to.

The start of the services side of the flow: a cooperant (a professional of a home party,
``CUB``) is deployed to a site (an org unit) from a day to a day; `person_months` turns
deployments into person-months per profession, site and month, which
`convenio.services.deployments` records as the services deliveries of the ledger.

**The partial-month rule.** A cooperant at a site for *d* of the *n* days of a month
counts ``d / n`` person-months, rounded half up to hundredths (the `person-month` unit
has scale 2) **once per cooperant, site and month**: the days of all the cooperant's
deployments at that site in that month are added first, then rounded. A whole month is
exactly 1.00; 15 of October's 31 days is 48.387… → 0.48. Every larger figure (a
profession at a site, a profession over all sites, a quarter) is the plain sum of these
rounded integers, so totals always add up to the parts reported, and splitting a
deployment at any day changes nothing. Start and end days are both included; an open
deployment (no end) runs to the end of any month asked about.

Pure: the CSV readers check what they can see (columns, dates, ids, overlaps) against
the known cooperants, org units and missions handed in; no I/O beyond the stream.
"""

from __future__ import annotations

import csv
import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import date
from itertools import accumulate
from typing import Final, NamedTuple, TypeVar

from convenio.errors import Problem
from convenio.periods import Period, PeriodType

__all__ = [
    "COOPERANT_COLUMNS",
    "DEPLOYMENT_COLUMNS",
    "PERSON_MONTH_SCALE",
    "Cooperant",
    "Deployment",
    "Located",
    "PersonMonths",
    "check_cooperants",
    "check_deployments",
    "months_of",
    "overlap_problems",
    "parse_cooperants_csv",
    "parse_deployments_csv",
    "person_months",
    "round_half_up",
    "totals_by",
]

COOPERANT_COLUMNS: Final = ("id", "profession", "party")
DEPLOYMENT_COLUMNS: Final = ("id", "cooperant_id", "org_unit", "start", "end")
_DEPLOYMENT_OPTIONAL: Final = ("mission",)
PERSON_MONTH_SCALE: Final = 2
"""Person-months are integers of hundredths."""
K = TypeVar("K")
_ID: Final = re.compile(r"^[A-Za-z0-9_.\-]{1,50}$")


@dataclass(frozen=True, slots=True)
class Cooperant:
    """A professional of `party` (the home party, e.g. ``CUB``) whose services are the
    terms' item `profession` (``doctor``)."""

    id: str
    profession: str
    party: str


@dataclass(frozen=True, slots=True)
class Deployment:
    """`cooperant` worked at org unit `org_unit` from `start` to `end` (both included;
    None: still there), for `mission` if given."""

    id: str
    cooperant: str
    org_unit: str
    start: date
    end: date | None = None
    mission: str | None = None

    def days_in(self, first: date, last: date) -> int:
        """Days of this deployment from `first` to `last` (both included)."""
        lo = max(self.start, first)
        hi = last if self.end is None else min(self.end, last)
        return max((hi - lo).days + 1, 0)


class PersonMonths(NamedTuple):
    """`quantity` hundredths of a person-month of `profession` at `org_unit` in `month`
    (a monthly `Period`)."""

    profession: str
    org_unit: str
    month: Period
    quantity: int


class _Cells(NamedTuple):
    line: int
    cells: dict[str, str]


class Located(NamedTuple):
    """A cooperant or deployment read from line `line` of a file."""

    line: int | None
    value: Cooperant | Deployment


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, for non-negative integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def months_of(period: Period) -> list[Period]:
    """The calendar months of `period` (itself if it is a month)."""
    if period.type is PeriodType.MONTHLY:
        return [period]
    return period.split(PeriodType.MONTHLY)


def person_months(
    deployments: Iterable[Deployment],
    cooperants: Mapping[str, Cooperant],
    months: Iterable[Period],
) -> list[PersonMonths]:
    """Person-months per profession, site and month, for the months asked (sorted).

    Days are summed per cooperant, site and month and rounded once (module docstring);
    only non-zero figures are listed. Every deployment's cooperant must be in
    `cooperants`.

    In time proportional to the deployments plus the figures, not their product: a month
    a deployment covers whole is exactly 1.00 for its cooperant there (a cooperant is at
    one site at a time), so whole months are counted per profession and site as one run
    of months (a difference array), and only a deployment's first and last month, when
    partial, are counted in days.
    """
    asked = sorted(set(months))
    if any(m.type is not PeriodType.MONTHLY for m in asked):
        raise ValueError("person-months are counted by calendar month")
    starts = [m.start for m in asked]
    ends = [m.end for m in asked]
    position = {(m.start.year, m.start.month): i for i, m in enumerate(asked)}
    whole: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    days: dict[tuple[str, str, int], int] = defaultdict(int)
    for d in deployments:
        # The asked months inside the deployment are a run of the sorted list.
        first = bisect_left(starts, d.start)
        last = len(asked) if d.end is None else bisect_right(ends, d.end)
        if first < last:
            whole[cooperants[d.cooperant].profession, d.org_unit].append((first, last))
        edges = {(d.start.year, d.start.month)}
        if d.end is not None:
            edges.add((d.end.year, d.end.month))
        for edge in edges:
            i = position.get(edge)
            if i is not None and not first <= i < last:
                n = d.days_in(asked[i].start, asked[i].end)
                if n:
                    days[d.cooperant, d.org_unit, i] += n
    shares: dict[tuple[str, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for (cooperant, site, i), n in days.items():
        share = round_half_up(n * 10**PERSON_MONTH_SCALE, asked[i].days)
        shares[cooperants[cooperant].profession, site][i] += share
    by_month: list[list[PersonMonths]] = [[] for _ in asked]
    for key in sorted(whole.keys() | shares.keys()):
        # The runs of whole months as a difference array over the months they span.
        runs = whole.get(key, [])
        low = min((first for first, _ in runs), default=0)
        steps = [0] * (max((last for _, last in runs), default=0) - low + 1)
        for first, last in runs:
            steps[first - low] += 1
            steps[last - low] -= 1
        quantities = {
            low + j: n * 10**PERSON_MONTH_SCALE for j, n in enumerate(accumulate(steps[:-1])) if n
        }
        for i, share in shares.get(key, {}).items():
            quantities[i] = quantities.get(i, 0) + share
        profession, site = key
        for i in sorted(quantities):
            if quantities[i]:
                by_month[i].append(PersonMonths(profession, site, asked[i], quantities[i]))
    return [f for figures in by_month for f in figures]


def totals_by(figures: Iterable[PersonMonths], key: Callable[[PersonMonths], K]) -> dict[K, int]:
    """The figures summed by `key` (e.g. ``lambda p: (p.month, p.profession)``)."""
    found: dict[K, int] = defaultdict(int)
    for f in figures:
        found[key(f)] += f.quantity
    return dict(found)


def _read(
    stream: Iterable[str], name: str, required: Sequence[str], optional: Sequence[str] = ()
) -> tuple[list[_Cells], list[Problem]]:
    reader = csv.reader(stream)
    header = next(reader, None)
    expected = ",".join(required)
    if header is None:
        return [], [Problem(f"the file is empty; expected the header {expected}", name, 1)]
    columns = [c.strip().lstrip("\ufeff") for c in header]
    missing = [c for c in required if c not in columns]
    unknown = [c for c in columns if c not in required and c not in optional]
    if missing or unknown or len(set(columns)) != len(columns):
        parts = [
            f"missing column(s) {', '.join(missing)}" if missing else "",
            f"unknown column(s) {', '.join(unknown)}" if unknown else "",
            "" if missing or unknown else "a column is repeated",
        ]
        detail = "; ".join(p for p in parts if p)
        return [], [Problem(f"bad header ({detail}); expected {expected}", name, 1, "header")]
    rows: list[_Cells] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(columns):
            problems.append(
                Problem(f"expected {len(columns)} fields, found {len(cells)}", name, line)
            )
            continue
        values = {c: v.strip() for c, v in zip(columns, cells, strict=True)}
        for c in optional:
            values.setdefault(c, "")
        uid = values["id"]
        if not _ID.match(uid):
            message = (
                "the id is empty" if not uid else f"{uid!r} is not an id (letters, digits, _ . -)"
            )
            problems.append(Problem(message, name, line, "id"))
            continue
        if uid in seen:
            problems.append(Problem(f"{uid} is already on line {seen[uid]}", name, line, "id"))
            continue
        seen[uid] = line
        rows.append(_Cells(line, values))
    return rows, problems


def parse_cooperants_csv(stream: Iterable[str], name: str) -> tuple[list[Located], list[Problem]]:
    """Read ``id,profession,party``: (line, cooperant) pairs and the problems of form
    (header, ids, repeated ids). `check_cooperants` checks them against the terms."""
    rows, problems = _read(stream, name, COOPERANT_COLUMNS)
    found = [
        Located(line, Cooperant(cells["id"], cells["profession"], cells["party"]))
        for line, cells in rows
    ]
    return found, problems


def check_cooperants(
    located: Iterable[Located],
    name: str,
    check_profession: Callable[[str], str | None],
    parties: Set[str],
) -> list[Problem]:
    """A problem for each cooperant whose profession `check_profession` refuses (it says
    why; None: fine) or whose party is not one of `parties`."""
    problems: list[Problem] = []
    for line, c in located:
        assert isinstance(c, Cooperant)
        why = check_profession(c.profession)
        if why is not None:
            problems.append(Problem(why, name, line, "profession"))
        if c.party not in parties:
            problems.append(Problem(f"unknown party {c.party!r}", name, line, "party"))
    return problems


def _date(text: str, field: str, name: str, line: int, problems: list[Problem]) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(Problem(f"{text!r} is not an ISO date (YYYY-MM-DD)", name, line, field))
        return None


def parse_deployments_csv(stream: Iterable[str], name: str) -> tuple[list[Located], list[Problem]]:
    """Read ``id,cooperant_id,org_unit,start,end[,mission]`` (an empty `end`: still
    deployed): (line, deployment) pairs and the problems of form (header, ids, dates).
    `check_deployments` checks them against what is known."""
    rows, problems = _read(stream, name, DEPLOYMENT_COLUMNS, _DEPLOYMENT_OPTIONAL)
    found: list[Located] = []
    for line, cells in rows:
        before = len(problems)
        start = _date(cells["start"], "start", name, line, problems)
        end = None if not cells["end"] else _date(cells["end"], "end", name, line, problems)
        if len(problems) == before and start is not None:
            mission = cells["mission"] or None
            deployment = Deployment(
                cells["id"], cells["cooperant_id"], cells["org_unit"], start, end, mission
            )
            found.append(Located(line, deployment))
    return found, problems


def check_deployments(
    located: Sequence[Located],
    name: str,
    cooperants: Set[str],
    org_units: Set[str],
    missions: Set[str],
    stored: Iterable[Deployment] = (),
) -> list[Problem]:
    """A problem for each deployment of an unknown cooperant, org unit or mission, ending
    before it starts, or overlapping another of the same cooperant — in `located` or in
    `stored` (those of `stored` that `located` replaces, by id, do not count)."""
    problems: list[Problem] = []
    for line, d in located:
        assert isinstance(d, Deployment)
        if d.cooperant not in cooperants:
            message = f"unknown cooperant {d.cooperant!r} (`convenio cooperants load`)"
            problems.append(Problem(message, name, line, "cooperant_id"))
        if d.org_unit not in org_units:
            problems.append(Problem(f"unknown org unit {d.org_unit!r}", name, line, "org_unit"))
        if d.mission is not None and d.mission not in missions:
            problems.append(Problem(f"unknown mission {d.mission!r}", name, line, "mission"))
        if d.end is not None and d.end < d.start:
            message = f"ends {d.end.isoformat()}, before it starts ({d.start.isoformat()})"
            problems.append(Problem(message, name, line, "end"))
    replaced = {d.id for _, d in located}
    both: list[tuple[int | None, Deployment]] = [
        (line, d) for line, d in located if isinstance(d, Deployment)
    ]
    both.extend((None, d) for d in stored if d.id not in replaced)
    problems.extend(overlap_problems(both, name))
    return sorted(problems, key=lambda p: p.line or 0)


def overlap_problems(
    deployments: Iterable[tuple[int | None, Deployment]], name: str
) -> list[Problem]:
    """A problem for each deployment (with a line: from the file) that overlaps another
    of the same cooperant; a cooperant is at one site at a time."""
    by_cooperant: dict[str, list[tuple[int | None, Deployment]]] = defaultdict(list)
    for located in deployments:
        by_cooperant[located[1].cooperant].append(located)
    problems: list[Problem] = []
    for items in by_cooperant.values():
        items.sort(key=lambda x: (x[1].start, x[0] is not None))
        # The deployment reaching furthest so far: each one must start after its end.
        reach: tuple[int | None, Deployment] | None = None
        for line_b, b in items:
            if reach is not None:
                line_a, a = reach
                if b.start <= (date.max if a.end is None else a.end):
                    line, this, other = (line_b, b, a) if line_b is not None else (line_a, a, b)
                    until = "open" if other.end is None else other.end.isoformat()
                    message = (
                        f"deployment {this.id} of {this.cooperant} overlaps deployment "
                        f"{other.id} ({other.start.isoformat()} to {until})"
                    )
                    problems.append(Problem(message, name, line, "start"))
            b_end = date.max if b.end is None else b.end
            if reach is None or b_end > (date.max if reach[1].end is None else reach[1].end):
                reach = (line_b, b)
    return problems
