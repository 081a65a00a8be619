"""The demo's sample of cases as generated, with no store: every case valid as a file of
events would have to be (the stages in order, each once, from the first), at the sites
of its mission, inside the mission's years, with the pathway's reported shape (65
classes on weekdays; about 25 days of paperwork before transport), and personal data
that is plainly made up."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from convenio.demo.cases import DemoCases, demo_cases
from convenio.demo.missions import missions_inputs
from convenio.missions.cases import CaseEvent, check_events

UNITS = {r.version.uid: r.version for r in missions_inputs().org_units}
SAMPLE: DemoCases = demo_cases(missions_inputs().org_units)
EYE = ("detected", "referred", "transported", "pre-op", "operated", "followed-up")
LITERACY = ("enrolled", *(f"lesson-{n}" for n in range(1, 66)), "graduated")


def by_case() -> dict[str, list[CaseEvent]]:
    found: dict[str, list[CaseEvent]] = defaultdict(list)
    for e in SAMPLE.events:
        found[e.case].append(e)
    return found


def test_a_sample_of_a_few_thousand_cases_on_both_pathways() -> None:
    cases = by_case()
    pathways = {events[0].pathway for events in cases.values()}
    assert pathways == {"eye-surgery", "literacy"}
    assert 1_000 <= len(cases) <= 3_000
    assert len(SAMPLE.events) < 50_000  # a learner has up to 67 events


def test_every_case_checks_like_a_file_of_events() -> None:
    assert check_events(SAMPLE.events, "demo", set(UNITS)) == []


def test_stages_come_in_pathway_order_from_the_first_and_never_go_back_in_time() -> None:
    for case, events in by_case().items():
        stages = [e.stage for e in events]
        order = EYE if events[0].pathway == "eye-surgery" else LITERACY
        assert stages[0] == order[0], case
        positions = [order.index(s) for s in stages]
        assert positions == sorted(set(positions)), case  # each once, in order
        days = [e.date for e in events]
        assert days == sorted(days), case
        assert len({(e.pathway, e.org_unit) for e in events}) == 1, case


def test_patients_start_at_popular_clinics_within_milagros_years() -> None:
    for events in by_case().values():
        if events[0].pathway != "eye-surgery":
            continue
        assert "-CP" in events[0].org_unit and UNITS[events[0].org_unit].level == 4
        assert date(2004, 7, 8) <= events[0].date  # Milagro from 8 Jul 2004
        assert events[-1].date <= date(2015, 6, 30)  # surgeries reported to June 2015


def test_the_paperwork_before_transport_takes_about_25_days() -> None:
    """Milagro's reporting: about 25 days of paperwork in one report; the sample's mean from
    referral to transport rounds to it."""
    waits = []
    for events in by_case().values():
        day = {e.stage: e.date for e in events}
        if "transported" in day:
            waits.append((day["transported"] - day["referred"]).days)
    assert waits and round(sum(waits) / len(waits)) == 25


def test_learners_take_the_65_classes_on_weekdays_one_or_two_a_day() -> None:
    """65 classes, 5 days a week, 7 weeks to 3 months (the "Yo, sí puedo" method): every class on a
    weekday, at most two a day, so a course is 33 to 65 school days; learners enrol from
    1 July 2003 and graduate by the end of 2005."""
    graduates = 0
    for events in by_case().values():
        if events[0].pathway != "literacy":
            continue
        assert UNITS[events[0].org_unit].level == 3  # a municipality
        assert events[0].date >= date(2003, 7, 1)
        lessons = [e.date for e in events if e.stage.startswith("lesson-")]
        assert all(d.weekday() < 5 for d in lessons)
        assert all(lessons.count(d) <= 2 for d in set(lessons))
        if events[-1].stage == "graduated":
            graduates += 1
            assert len(lessons) == 65 and events[-1].date <= date(2005, 12, 31)
            first, last = lessons[0], lessons[-1]
            school_days = sum(
                1
                for k in range((last - first).days + 1)
                if (first + timedelta(days=k)).weekday() < 5
            )
            assert 33 <= school_days <= 65
    assert graduates > 0


def test_personal_data_is_made_up_and_says_so() -> None:
    people = {p.case_id: p for p in SAMPLE.people}
    assert set(people) == set(by_case())
    for case, events in by_case().items():
        person = people[case]
        assert person.name.startswith("SYNTHETIC ") and person.national_id.startswith("SYN-")
        age = (events[0].date - person.birth_date).days // 365
        assert (45 <= age <= 85) if events[0].pathway == "eye-surgery" else (15 <= age <= 75)


def test_generation_is_deterministic() -> None:
    assert demo_cases(missions_inputs().org_units) == SAMPLE
