"""The demo's cooperants and deployments as generated, with no store: person-months per
profession and month against the headcounts (interpolated here from the anchors, not by
the module), no month both invoiced and converted, and the deployments valid as a file
of them would have to be."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from fractions import Fraction
from itertools import pairwise

from convenio.demo import data
from convenio.demo.deployments import DemoDeployments, demo_deployments
from convenio.demo.missions import missions_inputs
from convenio.examples import EXAMPLES
from convenio.missions.deployments import (
    Located,
    check_cooperants,
    check_deployments,
    months_of,
    person_months,
    totals_by,
)
from convenio.periods import PeriodType, parse_period, period_of
from convenio.services.deployments import profession_check
from convenio.terms import ItemKind, load_terms

AGREEMENT = load_terms(EXAMPLES / "cuba-venezuela.yaml")
UNITS = missions_inputs().org_units
GENERATED: DemoDeployments = demo_deployments(UNITS)
SERVICES = [d for d in data.services_deliveries() if d.kind is ItemKind.SERVICES]


def expected_headcount(profession: str, month: date) -> int:
    """People in `month` from the anchors: none before the first, straight lines between
    anchors rounded half up to whole people, the last anchor's level after it."""
    anchors = data.HEADCOUNTS[profession]

    def index(day: date) -> int:
        return day.year * 12 + day.month

    if month < anchors[0][0]:
        return 0
    for (start, low), (end, high) in pairwise(anchors):
        if start <= month < end:
            exact = low + Fraction(
                (high - low) * (index(month) - index(start)), index(end) - index(start)
            )
            return int(exact + Fraction(1, 2))  # half up; never negative here
    return anchors[-1][1]


def months_between(first: date, last: date) -> list[date]:
    found = [first]
    while found[-1] < last:
        found.append((found[-1] + timedelta(days=32)).replace(day=1))
    return found


def test_every_month_deploys_exactly_the_headcount() -> None:
    """Counted here by days: a deployment covering all the days of a month is one
    person-month; the demo deploys in whole months only."""
    professions = {c.id: c.profession for c in GENERATED.cooperants}
    people: Counter[tuple[str, date]] = Counter()
    for d in GENERATED.deployments:
        assert d.start.day == 1 and d.end is not None
        assert (d.end + timedelta(days=1)).day == 1  # a month's last day
        for month in months_between(d.start, d.end.replace(day=1)):
            people[professions[d.cooperant], month] += 1
    assert set(data.CONVERTED) == {"doctor", "ophthalmologist"}
    for profession, (first, last) in data.CONVERTED.items():
        for month in months_between(first, last):
            assert people[profession, month] == expected_headcount(profession, month), month
    # Barrio Adentro's reported anchors (public reporting) are among the converted months.
    assert people["doctor", date(2003, 4, 1)] == 58
    assert people["doctor", date(2003, 12, 1)] == 10_000
    assert people["doctor", date(2006, 6, 1)] == 12_000
    assert people["ophthalmologist", date(2015, 12, 1)] == 1_500
    assert sum(people.values()) == sum(
        expected_headcount(p, m)
        for p, (a, b) in data.CONVERTED.items()
        for m in months_between(a, b)
    )


def test_the_domain_counts_the_same_person_months_as_the_planned_deliveries() -> None:
    """What `convenio services from-deployments` would record, month by month, is what
    the demo planned (and valued for its cash) as the deliveries `from_deployments`."""
    cooperants = {c.id: c for c in GENERATED.cooperants}
    months = [m for year in range(2003, 2016) for m in months_of(parse_period(str(year)))]
    figures = person_months(GENERATED.deployments, cooperants, months)
    found = totals_by(figures, lambda f: f"dep-{f.month.iso()}-{f.profession}")
    planned = {d.delivery_id: d for d in SERVICES if data.from_deployments(d)}
    assert found == {i: d.quantity for i, d in planned.items()}
    assert all(d.date == parse_period(d.delivery_id[4:11]).end for d in planned.values())


def test_no_month_of_a_profession_is_both_invoiced_and_converted() -> None:
    """Each quarter: the invoice holds the headcount of the months not converted, the
    conversions one delivery for each converted month, together the quarter's headcount."""
    invoiced: dict[tuple[str, str], int] = {}
    converted: dict[tuple[str, str], list[date]] = defaultdict(list)
    for d in SERVICES:
        if data.from_deployments(d):
            month = date.fromisoformat(d.delivery_id[4:11] + "-01")
            first, last = data.CONVERTED[d.item]
            assert first <= month <= last
            assert d.quantity == 100 * expected_headcount(d.item, month)
            converted[period_of(month, PeriodType.QUARTERLY).iso(), d.item].append(month)
        else:
            assert d.delivery_id.startswith("svc-")
            invoiced[period_of(d.date, PeriodType.QUARTERLY).iso(), d.item] = d.quantity
    assert converted and invoiced
    for (quarter, item), quantity in invoiced.items():
        period = parse_period(quarter)
        months = [m.start for m in months_of(period) if m.start >= data.SERVICES_FROM]
        rest = [m for m in months if m not in converted.get((quarter, item), [])]
        assert quantity == 100 * sum(expected_headcount(item, m) for m in rest), (quarter, item)
        for month in rest:
            first, last = data.CONVERTED.get(item, (date.max, date.min))
            assert not first <= month <= last, (quarter, item, month)


def test_the_deployments_check_like_a_file_of_them() -> None:
    located = [Located(i, c) for i, c in enumerate(GENERATED.cooperants, 1)]
    parties = {p.code for p in AGREEMENT.parties}
    assert check_cooperants(located, "demo", profession_check(AGREEMENT), parties) == []
    posts = [Located(i, d) for i, d in enumerate(GENERATED.deployments, 1)]
    units = {r.version.uid for r in UNITS}
    missions = {"BARRIO_ADENTRO", "MILAGRO", "ROBINSON"}
    assert (
        check_deployments(posts, "demo", {c.id for c in GENERATED.cooperants}, units, missions)
        == []
    )
    ids = [d.id for d in GENERATED.deployments]
    assert len(ids) == len(set(ids)) == len(GENERATED.cooperants)


def test_doctors_work_in_clinics_and_cdi_and_ophthalmologists_in_milagro_centres() -> None:
    professions = {c.id: c.profession for c in GENERATED.cooperants}
    sites: dict[str, set[str]] = defaultdict(set)
    for d in GENERATED.deployments:
        sites[professions[d.cooperant]].add(d.org_unit)
        assert (
            d.mission
            == {"doctor": "BARRIO_ADENTRO", "ophthalmologist": "MILAGRO"}[professions[d.cooperant]]
        )
    clinics = {
        r.version.uid for r in UNITS if r.version.uid.endswith("-CDI") or "-CP" in r.version.uid
    }
    centres = {r.version.uid for r in UNITS if r.version.uid.endswith("-MIL")}
    assert sites["doctor"] == clinics  # 12,000 doctors reach every one of the 2,203 sites
    assert sites["ophthalmologist"] == centres
    # The first 58 doctors of April 2003 are spread over 58 different municipalities.
    parents = {r.version.uid: r.version.parent for r in UNITS}
    first = [d for d in GENERATED.deployments if d.start == date(2003, 4, 1)]
    assert len(first) == 58 and len({parents[d.org_unit] for d in first}) == 58


def test_generation_is_deterministic() -> None:
    assert demo_deployments(UNITS) == GENERATED
