"""A synthetic sample of the demo's person-level pathways, as values: Milagro patients
from detection to follow-up, Robinson learners from enrolment to graduation.

The aggregate reported figures (2,279,259 surgeries in Venezuela, 1,482,543
people taught) are the demo's data values (`convenio.demo.missions`); cases only
illustrate the pathways behind them — how long a patient waits for surgery, how many
learners finish the 65 classes — so a sample of `EYE_CASES` and `LEARNERS` is enough,
and loading millions of cases would cost the demo minutes for nothing the facts give.
`demo_cases` draws them from a seeded generator (only `random.random`, whose sequence
Python keeps stable for a seed): the same sample every run, so a second load changes
nothing. Personal data, when the demo is given a key, is made up and says so: names
``SYNTHETIC patient 0001``, ids ``SYN-E0001``.

Every figure below is an ASSUMPTION unless marked FACT.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from convenio.demo.missions import MILAGRO_YEARS, ROBINSON_MONTHS
from convenio.missions import OrgUnitRow
from convenio.missions.cases import CaseEvent, Person

__all__ = [
    "EYE_CASES",
    "EYE_STOPS",
    "LEARNERS",
    "LESSONS",
    "LITERACY_STOPS",
    "PAPERWORK_DAYS",
    "SEED",
    "DemoCases",
    "demo_cases",
]

SEED: Final = 20_040_708
"""The generator's seed (Milagro's first day, 8 Jul 2004): the sample is the same each run."""
EYE_CASES: Final = 1_200
"""Milagro patients in the sample, 50 per federal entity on average."""
LEARNERS: Final = 400
"""Robinson learners in the sample (each has up to 67 events: 65 classes)."""
LESSONS: Final = 65
"""FACT: "Yo, sí puedo" has 65 classes of 30 minutes, 5 days a week (missions' reports)."""
PAPERWORK_DAYS: Final = (15, 35)
"""FACT: the paperwork from referral to transport took about 25 days in one report;
ASSUMPTION: uniform from 15 to 35 days (mean 25)."""
EYE_STOPS: Final = {"detected": 4, "referred": 5, "transported": 1, "pre-op": 3, "operated": 6}
"""ASSUMPTION: the percentage of patients at each stage who go no further (not eligible,
not reached, unfit for surgery; no follow-up visit recorded after the surgery)."""
LITERACY_STOPS: Final = (3, 3, 1)
"""ASSUMPTION: learners who stop, per thousand and per class: after enrolment 3 % at
once (30 per thousand), then 3 per thousand per class in the first 20 classes and 1 per
thousand after (together about 12 % never graduate)."""
EYE_FROM: Final = date(2004, 7, 8)
"""FACT: Milagro from 8 Jul 2004. ASSUMPTION: patients detected to March 2015, so the
sample is operated by June 2015, the last month of the surgeries reported."""
EYE_TO: Final = date(2015, 3, 31)
LITERACY_FROM: Final = date(2003, 7, 1)
"""FACT: Robinson from 1 Jul 2003. ASSUMPTION: learners enrol to March 2005, by the
profile of the demo's graduations (`ROBINSON_MONTHS`), so they graduate by mid-2005."""


@dataclass(frozen=True, slots=True)
class DemoCases:
    """The sample: events in case order, and the personal data of every case."""

    events: tuple[CaseEvent, ...]
    people: tuple[Person, ...]


def _pick(rng: random.Random, n: int) -> int:
    """0 to n − 1."""
    return min(int(rng.random() * n), n - 1)


def _between(rng: random.Random, low: int, high: int) -> int:
    """low to high, both included."""
    return low + _pick(rng, high - low + 1)


def _weighted_day(rng: random.Random, weights: Sequence[tuple[date, date, int]]) -> date:
    """A day from one of the spans (first, last, weight), spans drawn by weight."""
    draw = _pick(rng, sum(w for _, _, w in weights))
    for first, last, weight in weights:
        if draw < weight:
            return first + timedelta(days=_pick(rng, (last - first).days + 1))
        draw -= weight
    raise AssertionError("unreachable")


def _eye_spans() -> list[tuple[date, date, int]]:
    """Each year of Milagro with its weight a day (`MILAGRO_YEARS`)."""
    spans = []
    for year, weight in MILAGRO_YEARS.items():
        first, last = max(EYE_FROM, date(year, 1, 1)), min(EYE_TO, date(year, 12, 31))
        if first <= last:
            spans.append((first, last, weight * ((last - first).days + 1)))
    return spans


def _literacy_spans() -> list[tuple[date, date, int]]:
    """The months of July 2003 to March 2005 weighted by `ROBINSON_MONTHS`."""
    spans = []
    first = LITERACY_FROM
    for weight in ROBINSON_MONTHS[:21]:
        after = (first + timedelta(days=32)).replace(day=1)
        spans.append((first, after - timedelta(days=1), weight))
        first = after
    return spans


def _stops(rng: random.Random, percent: int) -> bool:
    return rng.random() * 100 < percent


def _patient(rng: random.Random, case: str, clinic: str, local: bool) -> list[CaseEvent]:
    """A patient's stages: detected by a primary-care doctor, referred within days, the
    paperwork (`PAPERWORK_DAYS`) to transport — none for a patient whose clinic is in
    the municipality of the entity's Milagro centre — pre-op exams, surgery, follow-up."""
    day = _weighted_day(rng, _eye_spans())
    found = [CaseEvent(case, "eye-surgery", clinic, "detected", day)]
    gaps = {
        "referred": _between(rng, 0, 6),
        "transported": None if local else _between(rng, *PAPERWORK_DAYS),
        "pre-op": _between(rng, *PAPERWORK_DAYS) if local else _between(rng, 1, 3),
        "operated": _between(rng, 1, 4),
        "followed-up": _between(rng, 1, 30),
    }
    last = "detected"
    for stage, gap in gaps.items():
        if gap is None:
            continue
        if _stops(rng, EYE_STOPS[last]):
            break
        day += timedelta(days=gap)
        found.append(CaseEvent(case, "eye-surgery", clinic, stage, day))
        last = stage
    return found


def _weekday(day: date) -> date:
    """`day`, or the Monday after if it falls on a weekend."""
    return day + timedelta(days=max(0, 7 - day.weekday()) if day.weekday() >= 5 else 0)


def _learner(rng: random.Random, case: str, town: str) -> list[CaseEvent]:
    """A learner's stages: enrolled, the 65 classes on weekdays — one a day, or two on
    a share of days that makes the course last from 7 weeks to 3 months (FACT) — and
    the graduation within days of the last class."""
    day = _weighted_day(rng, _literacy_spans())
    found = [CaseEvent(case, "literacy", town, "enrolled", day)]
    first_stop, early, late = LITERACY_STOPS
    if rng.random() * 1000 < 10 * first_stop:
        return found
    double = rng.random() * 0.85  # the share of days with two classes: 0 to 85 %
    day = _weekday(day + timedelta(days=_between(rng, 0, 7)))
    lesson = 0
    while lesson < LESSONS:
        for _ in range(2 if rng.random() < double else 1):
            lesson += 1
            if lesson > LESSONS:
                break
            found.append(CaseEvent(case, "literacy", town, f"lesson-{lesson}", day))
            hazard = early if lesson <= 20 else late
            if rng.random() * 1000 < hazard:
                return found
        day = _weekday(day + timedelta(days=1))
    day += timedelta(days=_between(rng, 1, 10))
    found.append(CaseEvent(case, "literacy", town, "graduated", day))
    return found


def _birth(rng: random.Random, on: date, youngest: int, oldest: int) -> date:
    age_days = _between(rng, youngest * 365, oldest * 365)
    return on - timedelta(days=age_days)


def demo_cases(org_units: Sequence[OrgUnitRow]) -> DemoCases:
    """`EYE_CASES` patients at popular clinics and `LEARNERS` learners at municipalities,
    each site drawn at random, and their made-up personal data (patients aged 45–85 at
    detection, learners 15–75 at enrolment)."""
    rng = random.Random(SEED)
    clinics = [r.version for r in org_units if r.version.level == 4 and "-CP" in r.version.uid]
    towns = [r.version.uid for r in org_units if r.version.level == 3]
    centres = {r.version.parent for r in org_units if r.version.uid.endswith("-MIL")}
    events: list[CaseEvent] = []
    people: list[Person] = []
    for i in range(1, EYE_CASES + 1):
        clinic = clinics[_pick(rng, len(clinics))]
        case = f"MIL-{i:05d}"
        found = _patient(rng, case, clinic.uid, clinic.parent in centres)
        events += found
        birth = _birth(rng, found[0].date, 45, 85)
        people.append(Person(case, f"SYNTHETIC patient {i:04d}", f"SYN-E{i:04d}", birth))
    for i in range(1, LEARNERS + 1):
        case = f"ROB-{i:05d}"
        found = _learner(rng, case, towns[_pick(rng, len(towns))])
        events += found
        birth = _birth(rng, found[0].date, 15, 75)
        people.append(Person(case, f"SYNTHETIC learner {i:04d}", f"SYN-L{i:04d}", birth))
    return DemoCases(tuple(events), tuple(people))
