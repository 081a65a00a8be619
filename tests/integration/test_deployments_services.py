"""Cooperants and deployments against a real store (SQLite and PostgreSQL), converted into
services deliveries that the ledger values and the settlement run sees.

Hand-worked (example terms, addendum-2001-services: doctor 8,000.00 USD, nurse 5,000.00
USD a person-month). October 2011 (31 days): doctors c1, c2, c3 the whole month, c4 from
the 17th (15 days → 0.48): 3.48 person-months → 3.48 × 8,000.00 = 27,840.00 USD; nurse n1
from 1 to 10 October (10 / 31 = 0.3225… → 0.32) → 0.32 × 5,000.00 = 1,600.00 USD.
November (30 days): c1 and c3 still there, 2.00 → 16,000.00 USD; December likewise.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from convenio.errors import ConflictError, InputError
from convenio.examples import EXAMPLES
from convenio.missions.deployments import Cooperant, Deployment
from convenio.services import deployments as svc
from convenio.services import financing as fin
from convenio.services import missions
from convenio.services.settlement import run_settlement
from convenio.store import Store
from convenio.store.deployments_tables import cooperants, deployments
from convenio.store.financing_tables import deliveries as delivery_table
from tests.missions_data import ORG_UNITS_CSV, write

COOPERANTS = [
    Cooperant("c1", "doctor", "CUB"),
    Cooperant("c2", "doctor", "CUB"),
    Cooperant("c3", "doctor", "CUB"),
    Cooperant("c4", "doctor", "CUB"),
    Cooperant("n1", "nurse", "CUB"),
]
DEPLOYMENTS = [
    Deployment("d1", "c1", "CLIN-1", date(2011, 9, 1)),
    Deployment("d2", "c2", "CLIN-1", date(2011, 10, 1), date(2011, 10, 31)),
    Deployment("d3", "c3", "CLIN-3", date(2011, 10, 1), date(2012, 6, 30)),
    Deployment("d4", "c4", "CLIN-3", date(2011, 10, 17), date(2011, 10, 31)),
    Deployment("d5", "n1", "CLIN-2", date(2011, 10, 1), date(2011, 10, 10)),
]
USD = 100  # cents


@pytest.fixture
def loaded(store: Store, tmp_path: Path) -> Store:
    with store.unit_of_work(write=True) as uow:
        fin.load_terms_file(uow, EXAMPLES / "cuba-venezuela.yaml")
    with store.unit_of_work(write=True) as uow:
        missions.load_org_units(uow, write(tmp_path, "ou.csv", ORG_UNITS_CSV), date(2004, 1, 1))
    with store.unit_of_work(write=True) as uow:
        svc.record_cooperants(uow, COOPERANTS)
    with store.unit_of_work(write=True) as uow:
        svc.record_deployments(uow, DEPLOYMENTS)
    return store


def _values(store: Store) -> dict[str, tuple[int, int]]:
    with store.unit_of_work() as uow:
        return {d.delivery_id: (d.quantity, value) for d, value, _ in uow.financing.deliveries()}


def test_october_becomes_two_deliveries_valued_by_the_rate_card(loaded: Store) -> None:
    with loaded.unit_of_work(write=True) as uow:
        result = svc.convert_period(uow, "2011-10")
    assert result.converted == ("2011-10",)
    assert [(d.delivery_id, d.supplier, d.recipient, d.date) for d in result.deliveries] == [
        ("dep-2011-10-doctor", "CUB", "VEN", date(2011, 10, 31)),
        ("dep-2011-10-nurse", "CUB", "VEN", date(2011, 10, 31)),
    ]
    assert _values(loaded) == {
        "dep-2011-10-doctor": (348, 27_840 * USD),
        "dep-2011-10-nurse": (32, 1_600 * USD),
    }
    assert result.load is not None and result.load.posted > 0


def test_converting_again_changes_nothing_and_a_quarter_adds_only_new_months(
    loaded: Store,
) -> None:
    with loaded.unit_of_work(write=True) as uow:
        svc.convert_period(uow, "2011-10")
    with loaded.unit_of_work(write=True) as uow:
        again = svc.convert_period(uow, "2011-10")
    assert (again.converted, again.unchanged, again.deliveries) == ((), ("2011-10",), ())
    with loaded.unit_of_work(write=True) as uow:
        quarter = svc.convert_period(uow, "2011Q4")
    assert quarter.converted == ("2011-11", "2011-12")
    assert quarter.unchanged == ("2011-10",)
    values = _values(loaded)
    assert values["dep-2011-11-doctor"] == (200, 16_000 * USD)
    assert values["dep-2011-12-doctor"] == (200, 16_000 * USD)
    assert len(values) == 4


def test_the_settlement_run_offsets_the_converted_services(loaded: Store) -> None:
    with loaded.unit_of_work(write=True) as uow:
        svc.convert_period(uow, "2011Q4")
    with loaded.unit_of_work(write=True) as uow:
        (outcome,) = run_settlement(uow, "2011Q4")
    statement = outcome.run.statement
    to_cuba = next(d for d in statement["directions"] if d["creditor"] == "CUB.BNC")
    # 27,840.00 + 1,600.00 + 16,000.00 + 16,000.00 = 61,440.00 USD of services.
    assert to_cuba["invoiced"] == {"services": "61440.00"}
    assert statement["net"] == {"debtor": "VEN.PDVSA", "creditor": "CUB.BNC", "amount": "61440.00"}


def test_changed_deployments_of_a_converted_month_are_a_conflict(loaded: Store) -> None:
    with loaded.unit_of_work(write=True) as uow:
        svc.convert_period(uow, "2011-10")
    # c4 leaves a day earlier: 14 / 31 = 0.4516… → 0.45, doctors 3.45.
    with loaded.unit_of_work(write=True) as uow:
        result = svc.record_deployments(
            uow, [Deployment("d4", "c4", "CLIN-3", date(2011, 10, 17), date(2011, 10, 30))]
        )
    assert (result.changed, result.stale) == (1, ("2011-10",))
    with loaded.unit_of_work(write=True) as uow, pytest.raises(ConflictError) as caught:
        svc.convert_period(uow, "2011Q4")
    assert "2011-10 doctor: converted as 3.48 person-months, deployments now give 3.45" in str(
        caught.value
    )
    # Nothing of the quarter was converted: November is still open to convert.
    assert set(_values(loaded)) == {"dep-2011-10-doctor", "dep-2011-10-nurse"}


def test_bad_deployments_are_refused_whole(loaded: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "dep.csv",
        "id,cooperant_id,org_unit,start,end\n"
        "d9,c2,CLIN-2,2012-01-01,\n"  # fine
        "d10,c1,CLIN-2,2012-01-01,\n"  # c1's d1 is still open: overlap
        "d11,c4,NOWHERE,2013-01-01,2012-12-31\n",  # unknown site, ends before it starts
    )
    with loaded.unit_of_work(write=True) as uow, pytest.raises(InputError) as caught:
        svc.load_deployments(uow, path)
    located = [(p.line, p.field) for p in caught.value.problems]
    assert located == [(3, "start"), (4, "org_unit"), (4, "end")]
    assert all(p.file == str(path) for p in caught.value.problems)
    with loaded.unit_of_work() as uow:
        assert uow.connection.execute(select(func.count()).select_from(deployments)).scalar() == 5


def test_a_profession_without_a_rate_card_is_refused(loaded: Store, tmp_path: Path) -> None:
    # The example terms with one more services item, which no version prices.
    terms = (EXAMPLES / "cuba-venezuela.yaml").read_text(encoding="utf-8")
    pilot = "  - {id: pilot, kind: services, unit: person-month, name: pilot}\n"
    terms = terms.replace("items:\n", "items:\n" + pilot, 1)
    with loaded.unit_of_work(write=True) as uow:
        fin.load_terms_file(uow, write(tmp_path, "terms.yaml", terms))
    text = "id,profession,party\nx1,pilot,CUB\nx2,crude,CUB\nx3,astronaut,CUB\nx4,doctor,XX\n"
    path = write(tmp_path, "c.csv", text)
    with loaded.unit_of_work(write=True) as uow, pytest.raises(InputError) as caught:
        svc.load_cooperants(uow, path)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:2: profession: the terms have no rate card for pilot",
        f"{path}:3: profession: crude is commodity in bbl, not services in person-month",
        f"{path}:4: profession: unknown profession 'astronaut': not an item of the terms",
        f"{path}:5: party: unknown party 'XX'",
    ]
    with loaded.unit_of_work() as uow:
        assert uow.connection.execute(select(func.count()).select_from(cooperants)).scalar() == 5


def test_loading_the_same_rows_again_changes_nothing(loaded: Store) -> None:
    with loaded.unit_of_work(write=True) as uow:
        assert svc.record_deployments(uow, DEPLOYMENTS) == svc.RegistryResult(0, 0, 5)
    with loaded.unit_of_work(write=True) as uow:
        assert svc.record_cooperants(uow, COOPERANTS) == svc.RegistryResult(0, 0, 5)
    with loaded.unit_of_work() as uow:
        stored = uow.connection.execute(select(func.count()).select_from(delivery_table))
        assert stored.scalar() == 0


def test_a_week_is_not_a_period_to_convert(loaded: Store) -> None:
    with loaded.unit_of_work(write=True) as uow, pytest.raises(InputError, match="by month"):
        svc.convert_period(uow, "2011W40")
