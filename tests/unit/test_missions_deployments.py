"""Deployments to person-months, by hand and by property; the CSV readers' located errors.

Hand-worked: October 2011 has 31 days. Three doctors there the whole month are 3 × 1.00;
one more from the 17th to the 31st is 15 days, 15 / 31 = 0.48387… → 0.48. Together 3.48
person-months; at the 8,000.00 USD rate card, 3.48 × 8,000.00 = 27,840.00 USD.
"""

from __future__ import annotations

import io
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from convenio.missions.deployments import (
    Cooperant,
    Deployment,
    Located,
    check_cooperants,
    check_deployments,
    months_of,
    parse_cooperants_csv,
    parse_deployments_csv,
    person_months,
    round_half_up,
    totals_by,
)
from convenio.periods import Period, parse_period

OCT = parse_period("2011-10")
DOCTORS = {f"c{i}": Cooperant(f"c{i}", "doctor", "CUB") for i in range(1, 6)}
NURSE = {"n1": Cooperant("n1", "nurse", "CUB")}
COOPERANTS = {**DOCTORS, **NURSE}


def test_three_doctors_and_a_half_month_make_3_48_person_months() -> None:
    deployments = [
        Deployment("d1", "c1", "CLIN-1", date(2011, 9, 1)),  # open, all of October
        Deployment("d2", "c2", "CLIN-1", date(2011, 10, 1), date(2011, 10, 31)),
        Deployment("d3", "c3", "CLIN-2", date(2011, 10, 1), date(2012, 3, 31)),
        Deployment("d4", "c4", "CLIN-2", date(2011, 10, 17), date(2011, 10, 31)),
    ]
    figures = person_months(deployments, COOPERANTS, [OCT])
    by_site = {(f.profession, f.org_unit): f.quantity for f in figures}
    # CLIN-1: 1.00 + 1.00; CLIN-2: 1.00 + 15/31 = 1.00 + 0.48.
    assert by_site == {("doctor", "CLIN-1"): 200, ("doctor", "CLIN-2"): 148}
    total = sum(by_site.values())
    assert total == 348
    # Valued at 8,000.00 USD (800,000 cents) per person-month, in cents: 348 × 800,000 / 100.
    assert total * 800_000 // 100 == 2_784_000


def test_rounding_is_half_up_once_per_cooperant_site_and_month() -> None:
    # February 2012 has 29 days. 1 day = 3.448… → 3 hundredths; two separate stretches of
    # one day each at the same site are 2 / 29 = 6.896… → 7, not 3 + 3.
    feb = parse_period("2012-02")
    one = [Deployment("a", "c1", "S", date(2012, 2, 1), date(2012, 2, 1))]
    two = [*one, Deployment("b", "c1", "S", date(2012, 2, 10), date(2012, 2, 10))]
    assert [f.quantity for f in person_months(one, COOPERANTS, [feb])] == [3]
    assert [f.quantity for f in person_months(two, COOPERANTS, [feb])] == [7]
    # Half up: 1 / 8 = 0.125 → 0.13 (13 hundredths).
    assert round_half_up(100, 8) == 13
    assert round_half_up(0, 31) == 0


def test_figures_are_listed_by_month_then_profession_then_site() -> None:
    deployments = [
        Deployment("d1", "c1", "B", date(2011, 11, 16), date(2011, 12, 15)),
        Deployment("d2", "n1", "A", date(2011, 11, 1), date(2011, 11, 30)),
    ]
    figures = person_months(deployments, COOPERANTS, months_of(parse_period("2011Q4")))
    # Nov: doctor 15/30 = 0.50, nurse 1.00; Dec: doctor 15/31 = 0.48.
    assert [(f.month.iso(), f.profession, f.org_unit, f.quantity) for f in figures] == [
        ("2011-11", "doctor", "B", 50),
        ("2011-11", "nurse", "A", 100),
        ("2011-12", "doctor", "B", 48),
    ]
    assert totals_by(figures, lambda f: f.profession) == {"doctor": 98, "nurse": 100}


def test_readers_report_every_problem_with_file_line_and_field() -> None:
    text = (
        "id,cooperant_id,org_unit,start,end,mission\n"
        "d1,c1,CLIN-1,2011-10-01,2011-09-30,\n"  # ends before it starts
        "d2,c9,NOWHERE,2011-10-01,,ROBINSON\n"  # unknown cooperant, org unit, mission
        "d3,c2,CLIN-1,2011-10-32,,\n"  # not a date
        "d1,c2,CLIN-1,2011-10-01,,\n"  # repeated id
        "d5,c3,CLIN-1,2011-10-01,2011-10-20\n"  # too few fields
        "d6,c4,CLIN-1,2011-10-01,2011-10-20,\n"
        "d7,c4,CLIN-2,2011-10-20,,\n"  # overlaps d6 on the 20th
    )
    located, problems = parse_deployments_csv(io.StringIO(text), "dep.csv")
    problems += check_deployments(located, "dep.csv", set(COOPERANTS), {"CLIN-1", "CLIN-2"}, set())
    found = {(p.line, p.field) for p in problems}
    assert found == {
        (2, "end"),
        (3, "cooperant_id"),
        (3, "org_unit"),
        (3, "mission"),
        (4, "start"),
        (5, "id"),
        (6, None),
        (8, "start"),
    }
    assert all(p.file == "dep.csv" for p in problems)
    overlap = next(p for p in problems if p.line == 8)
    assert "overlaps deployment d6 (2011-10-01 to 2011-10-20)" in overlap.message


def test_overlap_with_a_stored_deployment_is_reported_on_the_file_line() -> None:
    stored = [Deployment("old", "c1", "CLIN-1", date(2011, 1, 1))]  # still open
    text = "id,cooperant_id,org_unit,start,end\nnew,c1,CLIN-2,2012-01-01,\n"
    located, problems = parse_deployments_csv(io.StringIO(text), "dep.csv")
    problems += check_deployments(
        located, "dep.csv", set(COOPERANTS), {"CLIN-1", "CLIN-2"}, set(), stored
    )
    assert [(p.line, p.field) for p in problems] == [(2, "start")]
    # Closing the stored one in the same file (same id) clears the overlap.
    text += "old,c1,CLIN-1,2011-01-01,2011-12-31\n"
    located, _ = parse_deployments_csv(io.StringIO(text), "dep.csv")
    assert (
        check_deployments(located, "d", set(COOPERANTS), {"CLIN-1", "CLIN-2"}, set(), stored) == []
    )


def test_cooperant_checks_name_the_profession_and_the_party() -> None:
    text = "id,profession,party\nc1,doctor,CUB\nc2,astronaut,CUB\nc3,doctor,XXX\n"
    located, problems = parse_cooperants_csv(io.StringIO(text), "coop.csv")
    assert problems == []
    assert located[0] == Located(2, Cooperant("c1", "doctor", "CUB"))

    def check(profession: str) -> str | None:
        return None if profession == "doctor" else f"no rate card for {profession}"

    found = check_cooperants(located, "coop.csv", check, {"CUB", "VEN"})
    assert [str(p) for p in found] == [
        "coop.csv:3: profession: no rate card for astronaut",
        "coop.csv:4: party: unknown party 'XXX'",
    ]


def test_a_bad_header_is_one_problem_on_line_1() -> None:
    _, problems = parse_cooperants_csv(io.StringIO("id,job\n"), "c.csv")
    assert len(problems) == 1
    assert (problems[0].line, problems[0].field) == (1, "header")
    assert "missing column(s) profession, party; unknown column(s) job" in problems[0].message


# -- properties -------------------------------------------------------------------------------

START = date(2010, 1, 1)
days = st.integers(min_value=0, max_value=3 * 366)
deployment_spans = st.lists(
    st.tuples(days, st.one_of(st.none(), st.integers(min_value=0, max_value=400))),
    min_size=1,
    max_size=6,
)
years = st.sampled_from(["2010", "2011", "2012"])


def _deployments(spans: list[tuple[int, int | None]]) -> list[Deployment]:
    """One deployment per cooperant (five doctors, then the nurse), at sites S0/S1 in turn;
    a length of None leaves it open."""
    return [
        Deployment(
            f"d{i}",
            cooperant,
            f"S{i % 2}",
            START + timedelta(days=first),
            None if length is None else START + timedelta(days=first + length),
        )
        for i, (cooperant, (first, length)) in enumerate(zip(COOPERANTS, spans, strict=False))
    ]


@given(deployment_spans, years)
def test_a_period_is_the_sum_of_its_months_and_never_negative(
    spans: list[tuple[int, int | None]], year: str
) -> None:
    deployments = _deployments(spans)
    period = parse_period(year)
    whole = person_months(deployments, COOPERANTS, months_of(period))
    assert all(f.quantity > 0 for f in whole)
    by_month = sum(
        f.quantity for m in months_of(period) for f in person_months(deployments, COOPERANTS, [m])
    )
    assert sum(f.quantity for f in whole) == by_month
    # A cooperant never counts more than one person-month in a month.
    per_month = totals_by(whole, lambda f: f.month)
    assert all(q <= 100 * len(deployments) for q in per_month.values())
    quarters = [parse_period(f"{year}Q{q}") for q in range(1, 5)]
    by_quarter = sum(
        f.quantity for q in quarters for f in person_months(deployments, COOPERANTS, months_of(q))
    )
    assert by_quarter == sum(f.quantity for f in whole)


@given(
    st.integers(min_value=0, max_value=700),
    st.integers(min_value=0, max_value=700),
    st.data(),
)
def test_splitting_a_deployment_at_any_day_changes_nothing(
    first: int, length: int, data: st.DataObject
) -> None:
    start = START + timedelta(days=first)
    end = start + timedelta(days=length)
    cut = data.draw(st.integers(min_value=0, max_value=length), label="cut")
    whole = [Deployment("d", "c1", "S", start, end)]
    left_end = start + timedelta(days=cut)
    split = [Deployment("a", "c1", "S", start, left_end - timedelta(days=1))] if cut else []
    split.append(Deployment("b", "c1", "S", left_end, end))
    months = months_of(parse_period("2010")) + months_of(parse_period("2011"))
    months += months_of(parse_period("2012"))
    assert person_months(split, COOPERANTS, months) == person_months(whole, COOPERANTS, months)


def _person_months_by_days(
    deployments: list[Deployment], months: list[Period]
) -> dict[tuple[str, str, str], int]:
    """The rule read literally, month by month and day by day: the days of a cooperant at
    a site in a month, rounded half up once to hundredths of the month, then summed."""
    days: dict[tuple[str, str, Period], int] = {}
    for d in deployments:
        for month in months:
            n = sum(
                1
                for k in range(month.days)
                if d.start <= month.start + timedelta(days=k) <= (d.end or date.max)
            )
            key = (d.cooperant, d.org_unit, month)
            days[key] = days.get(key, 0) + n
    found: dict[tuple[str, str, str], int] = {}
    for (cooperant, site, month), n in days.items():
        share = (200 * n + month.days) // (2 * month.days)
        key = (COOPERANTS[cooperant].profession, site, month.iso())
        found[key] = found.get(key, 0) + share
    return {k: q for k, q in found.items() if q}


@given(
    st.lists(
        st.tuples(
            st.sampled_from(sorted(COOPERANTS)),
            st.sampled_from(["S0", "S1"]),
            st.integers(min_value=0, max_value=60),
            st.one_of(st.none(), st.integers(min_value=0, max_value=120)),
        ),
        max_size=8,
    ),
    st.sampled_from(["2010", "2010Q2", "2011-02", "2011"]),
)
def test_whole_months_counted_in_runs_agree_with_counting_every_day(
    posts: list[tuple[str, str, int, int | None]], period: str
) -> None:
    """Each cooperant's deployments one after another (after a gap of the drawn days),
    the last possibly open; whole months are counted as runs, edges in days."""
    deployments: list[Deployment] = []
    reach: dict[str, date] = {}
    for i, (cooperant, site, gap, length) in enumerate(posts):
        if reach.get(cooperant) == date.max:
            continue
        start = reach.get(cooperant, START - timedelta(days=40)) + timedelta(days=gap + 1)
        end = None if length is None else start + timedelta(days=length)
        deployments.append(Deployment(f"d{i}", cooperant, site, start, end))
        reach[cooperant] = date.max if end is None else end
    months = months_of(parse_period(period))
    found = person_months(deployments, COOPERANTS, months)
    assert {(f.profession, f.org_unit, f.month.iso()): f.quantity for f in found} == (
        _person_months_by_days(deployments, months)
    )
    assert found == sorted(found, key=lambda f: (f.month, f.profession, f.org_unit))
