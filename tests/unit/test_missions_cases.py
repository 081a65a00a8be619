"""Pathway events and indicators, by hand (tests/cases_data.py works the figures)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from convenio.missions.cases import (
    PATHWAYS,
    CaseEvent,
    check_events,
    indicators,
    median,
    parse_events_csv,
    parse_people_csv,
)
from tests.cases_data import EVENTS_CSV, PEOPLE_CSV

UNITS = {"CLIN-1", "CLIN-2", "CLIN-3"}


def _events() -> list[CaseEvent]:
    events, problems = parse_events_csv(io.StringIO(EVENTS_CSV), "e.csv")
    assert problems == []
    assert check_events(events, "e.csv", UNITS) == []
    return events


def test_eye_surgery_median_and_completion_rate() -> None:
    found = indicators("eye-surgery", _events())
    assert (found.started, found.completed, found.timed) == (7, 4, 4)
    assert found.completion_rate == Decimal("57.1")
    assert found.median_days == Decimal(35)
    assert found.stopped_at == (("detected", 1), ("referred", 1), ("transported", 1))


def test_literacy_completion_and_dropout_by_lesson() -> None:
    found = indicators("literacy", _events())
    assert (found.started, found.completed) == (4, 1)
    assert found.completion_rate == Decimal("25.0")
    assert found.median_days == Decimal(92)  # 1 March to 1 June: 30 + 30 + 31 + 1
    assert found.stopped_at == (("enrolled", 1), ("lesson-1", 1), ("lesson-2", 1))


def test_median_of_odd_and_even_counts() -> None:
    assert median([5, 1, 3]) == 3
    assert median([1, 2]) == Decimal("1.5")
    assert median([]) is None


def test_the_literacy_pathway_has_65_lessons() -> None:
    stages = PATHWAYS["literacy"].stages
    assert (len(stages), stages[1], stages[65], stages[-1]) == (
        67,
        "lesson-1",
        "lesson-65",
        "graduated",
    )


def test_bad_events_are_located() -> None:
    text = (
        "case_id,pathway,org_unit,stage,date\n"
        "A,eye-surgery,CLIN-1,detected,2005-01-10\n"
        "A,eye-surgery,CLIN-1,operated,2005-01-05\n"  # before detection
        "B,eye-surgery,CLIN-1,referred,2005-01-05\n"  # no detected stage
        "C,literacy,CLIN-1,lesson-66,2005-01-05\n"  # no such lesson
        "D,eye-surgery,NOWHERE,detected,2005-01-05\n"  # unknown site
        "A,literacy,CLIN-1,enrolled,2005-01-05\n"  # another pathway for A
        "A,eye-surgery,CLIN-1,detected,2005-01-11\n"  # detected twice
        "E,cataract,CLIN-1,detected,2005-01-05\n"  # unknown pathway
        "F,eye-surgery,CLIN-1,detected,2005-02-30\n"  # not a date
    )
    events, problems = parse_events_csv(io.StringIO(text), "e.csv")
    problems += check_events(events, "e.csv", UNITS)
    assert sorted((p.line, p.field) for p in problems) == [
        (3, "date"),
        (4, "stage"),
        (5, "stage"),
        (6, "org_unit"),
        (7, "pathway"),
        (8, "stage"),
        (9, "pathway"),
        (10, "date"),
    ]
    before = next(p for p in problems if p.line == 3)
    assert before.message == "case A: operated on 2005-01-05 is before detected on 2005-01-10"


def test_a_stored_event_again_is_fine_and_with_another_date_is_not() -> None:
    stored = [CaseEvent("A", "eye-surgery", "CLIN-1", "detected", date(2005, 1, 1))]
    text = "case_id,pathway,org_unit,stage,date\nA,eye-surgery,CLIN-1,detected,2005-01-01\n"
    events, _ = parse_events_csv(io.StringIO(text), "e.csv")
    assert check_events(events, "e.csv", UNITS, stored) == []
    events, _ = parse_events_csv(io.StringIO(text.replace("01-01\n", "01-02\n")), "e.csv")
    (problem,) = check_events(events, "e.csv", UNITS, stored)
    assert str(problem) == "e.csv:2: stage: case A reached detected on 2005-01-01 (stored)"


def test_people_rows_are_checked() -> None:
    people, problems = parse_people_csv(
        io.StringIO(PEOPLE_CSV + "E1,Again,V-1,1950-01-01\n,x,y,z\n"), "p.csv"
    )
    assert [p.case_id for p in people] == ["E1", "E2", "L1"]
    assert sorted((p.line, p.field) for p in problems) == [(5, "case_id"), (6, "case_id")]
