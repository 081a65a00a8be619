"""Cases on a real store (SQLite and PostgreSQL): personal data sealed apart from the
events, never in analytics, a wrong key refused; indicators as worked in
tests/cases_data.py."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from convenio.errors import InputError
from convenio.services import cases as svc
from convenio.services import missions
from convenio.store import Store
from convenio.store.cases_tables import case_events, case_people, case_refs, cases
from tests.cases_data import EVENTS_CSV, KEY, OTHER_KEY, PEOPLE_CSV, SECRETS
from tests.missions_data import ORG_UNITS_CSV, write


@pytest.fixture
def loaded(store: Store, tmp_path: Path) -> Store:
    with store.unit_of_work(write=True) as uow:
        missions.load_org_units(uow, write(tmp_path, "ou.csv", ORG_UNITS_CSV), date(2004, 1, 1))
    events = write(tmp_path, "events.csv", EVENTS_CSV)
    people = write(tmp_path, "people.csv", PEOPLE_CSV)
    with store.unit_of_work(write=True) as uow:
        result = svc.load_cases(uow, events, people, KEY)
    assert result == svc.CasesResult(11, 25, 0, 3, 0, 0)
    return store


def _dump(store: Store) -> bytes:
    """Every stored byte of the four cases tables."""
    with store.unit_of_work() as uow:
        out = b""
        for table in (case_events, cases, case_refs, case_people):
            for row in uow.connection.execute(select(table)):
                out += b"|".join(v if isinstance(v, bytes) else str(v).encode() for v in row)
        return out


def test_personal_data_is_sealed_and_opens_with_the_key(loaded: Store) -> None:
    stored = _dump(loaded)
    for secret in SECRETS:
        assert secret.encode() not in stored
    with loaded.unit_of_work() as uow:
        assert svc.read_person(uow, "E1", KEY) == {
            "name": "María Fernández Rojas",
            "national_id": "V-12345678",
            "birth_date": "1941-05-17",
        }


def test_events_see_only_pseudonyms(loaded: Store) -> None:
    with loaded.unit_of_work() as uow:
        keys = set(uow.connection.execute(select(case_events.c.pseudonym)).scalars())
    assert len(keys) == 11
    assert all(len(k) == 32 and k not in {"E1", "E2", "L1"} for k in keys)


def test_a_wrong_key_is_refused_clearly(loaded: Store) -> None:
    with loaded.unit_of_work() as uow, pytest.raises(InputError, match="sealed with key"):
        svc.read_person(uow, "E1", OTHER_KEY)


def test_without_a_key_personal_data_is_refused_and_events_load(
    store: Store, tmp_path: Path
) -> None:
    with store.unit_of_work(write=True) as uow:
        missions.load_org_units(uow, write(tmp_path, "ou.csv", ORG_UNITS_CSV), date(2004, 1, 1))
    events = write(tmp_path, "events.csv", EVENTS_CSV)
    people = write(tmp_path, "people.csv", PEOPLE_CSV)
    with store.unit_of_work(write=True) as uow, pytest.raises(InputError, match="needs a key"):
        svc.load_cases(uow, events, people, "")
    with store.unit_of_work(write=True) as uow:
        assert svc.load_cases(uow, events).events_added == 25
    with store.unit_of_work(write=True) as uow:
        again = svc.load_cases(uow, events)
    assert (again.cases_added, again.events_added, again.events_unchanged) == (0, 0, 25)


def test_indicators_by_hand_and_suppressed_in_public(loaded: Store) -> None:
    with loaded.unit_of_work() as uow:
        full = svc.pathway_indicators(uow, "eye-surgery")
        zulia = svc.pathway_indicators(uow, "eye-surgery", "VE-ZU")
        public = svc.pathway_indicators(uow, "eye-surgery", public=True)
    assert (full["started"], full["completed"], full["completion_rate"]) == (7, 4, "57.1")
    assert full["median_days"] == "35"
    assert (zulia["started"], zulia["completion_rate"]) == (6, "66.7")
    # 7 started are shown; 4 operated, and what is made of them, are under 5; the stops
    # are hidden, all of them (7 − 4 would otherwise give their sum, 3).
    assert public["started"] == 7
    assert public["completed"] is public["completion_rate"] is public["median_days"] is None
    assert set(public["stopped_at"].values()) == {None}
    assert not any(s in repr(full) for s in SECRETS)


def test_the_python_api_checks_events_too(store: Store) -> None:
    from convenio.missions.cases import CaseEvent

    bad = [
        CaseEvent("X", "eye-surgery", "NOWHERE", "detected", date(2005, 1, 2)),
        CaseEvent("X", "eye-surgery", "NOWHERE", "operated", date(2005, 1, 1)),
    ]
    with store.unit_of_work(write=True) as uow, pytest.raises(InputError) as caught:
        svc.record_cases(uow, bad)
    assert {(p.line, p.field) for p in caught.value.problems} == {
        (1, "org_unit"),
        (2, "org_unit"),
        (2, "date"),
    }
