"""The missions pages' data (convenio.services.missions_views): funnels derived from a
pathway answer, figures from analytics rows, and the page reads on the demo's store,
checked against what the engine says by other roads — the stored data values, the
cases' events counted one by one, the API's own service calls."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from convenio.analytics import ResultRow
from convenio.auth import ANONYMOUS, Principal, Role
from convenio.demo.missions import FEDERAL_ENTITIES
from convenio.demo.missions_metadata import metadata
from convenio.errors import AccessError, InputError, NotFoundError
from convenio.missions import Catalog
from convenio.missions.cases import PATHWAYS, CaseEvent, indicators
from convenio.missions.metadata_file import merge_metadata
from convenio.services import analytics, cases, mission_data
from convenio.services.missions_views import (
    Figure,
    Step,
    figures,
    funnel,
    measures,
    overview,
    pathways,
    unit_view,
)
from convenio.store import Store, UnitOfWork

AUDITOR = Principal("auditor", Role.AUDITOR)
ZULIA = Principal("zulia-coordinator", Role.COORDINATOR, org_unit="VE-V")
TREASURY = Principal("ven-treasury", Role.TREASURY, party="VEN")
EYE, LITERACY = PATHWAYS["eye-surgery"], PATHWAYS["literacy"]


# -- pure ---------------------------------------------------------------------------------


def test_an_eye_surgery_funnel_from_a_full_answer() -> None:
    answer = {
        "started": 10,
        "completed": 6,
        "stopped_at": {"detected": 1, "referred": 2, "pre-op": 1},
    }
    assert funnel(EYE, answer) == (
        Step("detected", "detected", 10, 1),
        Step("referred", "referred", 9, 2),
        Step("transported", "transported", 7, 0),
        Step("pre-op", "pre-op", 7, 1),
        Step("operated", "operated", 6, None),
    )


def test_a_suppressed_answer_is_read_top_down_only_to_the_first_unknown() -> None:
    # 5 stopped when detected, a suppressed few when referred (and `completed` hidden with
    # them, as cases.pathway_indicators does): the referred step is known from the top
    # (12 − 5); nothing after it is — counting up from completion would give the
    # transported step, and with the referred one, the few.
    stops = {"detected": 5, "referred": None, "transported": None, "pre-op": None}
    answer = {"started": 12, "completed": None, "stopped_at": {**stops, "followed-up": None}}
    assert funnel(EYE, answer) == (
        Step("detected", "detected", 12, 5),
        Step("referred", "referred", 7, None),
        Step("transported", "transported", None, None),
        Step("pre-op", "pre-op", None, None),
        Step("operated", "operated", None, None),
    )
    # The old reading of a cell-by-cell answer: even given `completed`, nothing after the
    # first unknown is said, so no two steps subtract to a suppressed stop.
    hidden = {"started": 10, "completed": 6, "stopped_at": {"detected": None, "pre-op": None}}
    assert [s.reached for s in funnel(EYE, hidden)] == [10, None, None, None, 6]
    assert [s.stopped for s in funnel(EYE, hidden)] == [None, 0, 0, None, None]


def test_literacys_65_lessons_are_banded_by_ten() -> None:
    stopped = {"enrolled": 3, "lesson-1": 1, "lesson-10": 2, "lesson-11": 4, "lesson-65": 1}
    answer = {"started": 100, "completed": 89, "stopped_at": stopped}
    steps = funnel(LITERACY, answer)
    assert [(s.first, s.last) for s in steps] == [
        ("enrolled", "enrolled"),
        *[(f"lesson-{a}", f"lesson-{min(a + 9, 65)}") for a in range(1, 66, 10)],
        ("graduated", "graduated"),
    ]
    assert [s.reached for s in steps] == [100, 97, 94, 90, 90, 90, 90, 90, 89]
    assert [s.stopped for s in steps] == [3, 3, 4, 0, 0, 0, 0, 1, None]


def _events(cases_: list[tuple[int, frozenset[int]]]) -> list[CaseEvent]:
    """Eye-surgery events: each case's latest stage and the earlier ones it skipped."""
    found = []
    day = date(2010, 1, 1)
    for n, (latest, skipped) in enumerate(cases_):
        for i, name in enumerate(EYE.stages[: latest + 1]):
            if i in (0, latest) or i not in skipped:
                found.append(CaseEvent(f"c{n}", EYE.id, "VE-A", name, day + timedelta(i)))
    return found


eye_cases = st.lists(
    st.tuples(
        st.integers(0, len(EYE.stages) - 1),
        st.frozensets(st.integers(1, len(EYE.stages) - 2), max_size=3),
    ),
    max_size=60,
)


@given(eye_cases)
def test_each_step_counts_the_cases_that_reached_it_or_beyond(
    cases_: list[tuple[int, frozenset[int]]],
) -> None:
    found = indicators(EYE.id, _events(cases_))
    answer = {
        "started": found.started,
        "completed": found.completed,
        "stopped_at": dict(found.stopped_at),
    }
    done = EYE.index(EYE.done)
    *steps, last = funnel(EYE, answer)
    for step in steps:
        at = EYE.index(step.first)
        assert step.reached == sum(1 for latest, _ in cases_ if latest >= at)
    # completion counts the cases operated (one followed up without it is not)
    operated = [
        latest
        for latest, skipped in cases_
        if latest == done or (latest > done and done not in skipped)
    ]
    assert last.reached == len(operated) == found.completed


@given(eye_cases, st.integers(3, 6))
def test_a_public_funnel_never_says_a_number_the_full_one_does_not(
    cases_: list[tuple[int, frozenset[int]]], threshold: int
) -> None:
    found = indicators(EYE.id, _events(cases_))
    full = {
        "started": found.started,
        "completed": found.completed,
        "stopped_at": dict(found.stopped_at),
    }
    public = cases._published(found, threshold)  # as cases.pathway_indicators answers the public
    hidden = [s for s, n in public["stopped_at"].items() if n is None]
    for open_, closed in zip(funnel(EYE, full), funnel(EYE, public), strict=True):
        assert closed.reached in (None, open_.reached)
        assert closed.stopped in (None, open_.stopped)
        # a step said is started less published stops: at least every hidden cell after it
        if closed.reached is not None and hidden:
            assert closed.reached >= threshold


def _catalog() -> Catalog:
    groups: dict[str, tuple[str, list[str]]] = {}
    catalog, problems = merge_metadata(
        Catalog.with_defaults(), metadata(tuple(e.code for e in FEDERAL_ENTITIES), groups), "demo"
    )
    assert not problems
    return catalog


def test_measures_are_the_indicators_then_the_numeric_elements_with_their_missions() -> None:
    found = {m.id: m for m in measures(_catalog())}
    assert [m.kind for m in found.values()][:3] == ["indicator"] * 3
    assert found["LITERACY_RATE"].mission == "Misión Robinson"
    assert found["LITERACY_RATE"].reads == {"LITERATE_15P"}
    assert found["CONSULT_PER_1000"].mission == "Misión Barrio Adentro"
    assert found["MIL_SURGERY_PER_100K"].reads == {"MIL_SURGERY"}
    assert found["POP"].mission is None and found["POP"].kind == "element"


def test_an_indicator_whose_numerator_has_no_value_is_not_reported() -> None:
    chosen = [m for m in measures(_catalog()) if m.id in ("LITERACY_RATE", "LITERATE_15P")]

    def row(dx: str, pe: str, value: str | None, suppressed: bool = False) -> ResultRow:
        return ResultRow(
            dx,
            dx,
            pe,
            "VE",
            "Venezuela",
            None if value is None else Decimal(value),
            suppressed=suppressed,
        )

    rows = [
        row("LITERACY_RATE", "2005", "96.7"),
        row("LITERACY_RATE", "2006", "0.0"),  # the survey stopped: the engine says 0
        row("LITERATE_15P", "2005", "16211803"),
        row("LITERACY_RATE", "2004", None, suppressed=True),
        row("LITERATE_15P", "2004", None, suppressed=True),
    ]
    found = figures(rows, chosen)
    assert found["LITERACY_RATE"]["VE"] == {
        "2005": Figure(Decimal("96.7")),
        "2004": Figure(None, suppressed=True),
    }
    assert found["LITERATE_15P"]["VE"]["2005"].value == 16211803


# -- on the demo's store -------------------------------------------------------------------


@pytest.fixture(scope="module")
def uow(demo_store: Path) -> Iterator[UnitOfWork]:
    store = Store(f"sqlite:///{demo_store / 'convenio.db'}")
    try:
        with store.unit_of_work() as work:
            yield work
    finally:
        store.close()


def test_the_map_is_the_apis_answer_for_each_reader(uow: UnitOfWork) -> None:
    for who in (AUDITOR, ANONYMOUS, TREASURY):
        for dx, pe in (("LITERACY_RATE", "2005"), ("MIL_SURGERY", "2007")):
            view = overview(uow, who, dx, pe)
            assert view.public is (who is not AUDITOR)
            rows = analytics.query(uow, dx, pe, "VE;LEVEL-2", actor=who)
            assert {u.uid: (f.value, f.suppressed, f.target) for u, f in view.states} == {
                r.ou: (r.value, r.suppressed, r.target) for r in rows
            }
            assert len(view.states) == 24


def test_venezuelas_literacy_rate_is_its_literate_over_its_people_aged_15_and_over(
    uow: UnitOfWork,
) -> None:
    view = overview(uow, AUDITOR)
    assert (view.measure.id, view.year) == ("LITERACY_RATE", "2005")  # the last survey
    assert view.latest("LITERACY_RATE") == "2005"
    assert view.latest("CONSULT_PER_1000") == "2015"
    figure = view.series["LITERACY_RATE"]["2005"]
    literate = view.series["LITERATE_15P"]["2005"].value
    people = view.series["POP_15P"]["2005"].value
    assert literate is not None and people is not None
    expected = (literate * 100 / people).quantize(Decimal("0.1"), ROUND_HALF_UP)
    assert figure.value == expected and figure.target == 96
    assert figure.flag == "free of illiteracy"
    assert "2006" not in view.series["LITERACY_RATE"]  # no survey after 2005


def test_a_coordinator_sees_its_own_state_only(uow: UnitOfWork) -> None:
    view = overview(uow, ZULIA)
    assert view.root.uid == "VE-V" and not view.public
    shown = {u.uid: f for u, f in view.states if f.reported}
    assert set(shown) == {"VE-V"}
    assert {u.uid for u, _ in view.states if u.reachable} == {"VE-V"}
    with pytest.raises(AccessError):
        unit_view(uow, ZULIA, "VE-A")
    with pytest.raises(NotFoundError):
        unit_view(uow, ZULIA, "VE-NOWHERE")
    with pytest.raises(InputError):
        overview(uow, ZULIA, "NOT_A_MEASURE")
    with pytest.raises(InputError):
        overview(uow, ZULIA, None, "2005Q1")


def test_a_municipalitys_sites_carry_the_sums_of_their_stored_values(uow: UnitOfWork) -> None:
    view = unit_view(uow, ZULIA, "VE-V-01", pe="2005")
    assert [u.uid for u in view.trail] == ["VE", "VE-V", "VE-V-01"]
    assert [u.reachable for u in view.trail] == [False, True, True]
    sites = {u.uid: f for u, f in view.children}
    assert len(sites) == len([u for u, _ in view.children])
    for site, element in (("VE-V-01-CDI", "CONSULT"), ("VE-V-01-MIL", "MIL_SURGERY")):
        stored = mission_data.select_values(uow, org_unit=site)
        total = sum(
            Decimal(v.value) for v in stored if v.element == element and v.pe.startswith("2005")
        )
        assert total > 0
        assert sites[site][element].value == total
    assert {m.id for m in view.child_measures} == {"CONSULT", "MIL_SURGERY"}


def _reached(events: list[CaseEvent], pathway: str) -> dict[str, int]:
    """Per stage up to completion: the cases whose latest stage is it or a later one, and
    at completion the cases that reached it — counted from the events themselves."""
    flow = PATHWAYS[pathway]
    latest: dict[str, int] = defaultdict(int)
    for e in events:
        if e.pathway == pathway:
            latest[e.case] = max(latest[e.case], flow.index(e.stage))
    done = flow.index(flow.done)
    found = {s: sum(1 for i in latest.values() if i >= flow.index(s)) for s in flow.stages[:done]}
    found[flow.done] = len({e.case for e in events if e.stage == flow.done})
    return found


def test_the_funnels_count_the_cases_events(uow: UnitOfWork) -> None:
    events = uow.cases.events()
    view = pathways(uow, AUDITOR)
    assert view.unit is None and not view.public
    for pw in view.pathways:
        counted = _reached(events, pw.pathway)
        assert {s.first: s.reached for s in pw.steps} == {
            s.first: counted[s.first] for s in pw.steps
        }


def test_the_public_funnels_are_the_public_answer(uow: UnitOfWork) -> None:
    full = {pw.pathway: pw for pw in pathways(uow, AUDITOR, "VE-V").pathways}
    view = pathways(uow, ANONYMOUS, "VE-V")
    assert view.public and view.unit is not None and view.unit.uid == "VE-V"
    assert [u.uid for u in view.places] == ["VE", *(e.code for e in sorted(FEDERAL_ENTITIES))]
    assert [u.uid for u in pathways(uow, ZULIA, "VE-V-01-CDI").places][-1] == "VE-V-01-CDI"
    for pw in view.pathways:
        answer: dict[str, Any] = cases.pathway_indicators(uow, pw.pathway, "VE-V", actor=ANONYMOUS)
        assert pw.answer == answer
        assert dict(pw.stopped) == answer["stopped_at"]
        for closed, open_ in zip(pw.steps, full[pw.pathway].steps, strict=True):
            assert closed.reached in (None, open_.reached)
    assert any(n is None for pw in view.pathways for _, n in pw.stopped)  # small counts hidden
    with pytest.raises(AccessError):
        pathways(uow, ZULIA, "VE-A")
