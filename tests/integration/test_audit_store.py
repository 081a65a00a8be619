"""The audit trail in the store, on SQLite and PostgreSQL: appended in the writer's unit
of work, chained, and covered by the ledger's verify — an altered, removed or reordered
entry is named; a held unit of work commits the entry with the change or not at all."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update

from convenio.auth import OPERATOR, Principal, Role
from convenio.errors import IntegrityError
from convenio.services import access
from convenio.services import ledger as ledger_svc
from convenio.store import Store
from convenio.store.auth_tables import audit_head, audit_log

TREASURY = Principal("ana", Role.TREASURY, "XBO")


def _append(store: Store, n: int, who: Principal = TREASURY) -> None:
    for i in range(n):
        with store.unit_of_work(write=True) as uow:
            access.record(
                uow, who, "POST", "/api/v1/payments", f"key-{i}", "d" * 64, 201,
                b'{"added":1}', 0, 0, f"payments: request {i}",
            )  # fmt: skip
            uow.commit()


def test_entries_chain_and_verify(store: Store) -> None:
    _append(store, 3)
    with store.unit_of_work() as uow:
        report = ledger_svc.verify(uow)
        entries = access.audit_entries(uow)
    assert report.audit_entries == 3
    assert [e.seq for e in entries] == [1, 2, 3]
    assert [e.idempotency_key for e in entries] == ["key-0", "key-1", "key-2"]
    assert {(e.login, e.role, e.party) for e in entries} == {("ana", "treasury", "XBO")}


def test_the_operator_is_recorded_as_such(store: Store) -> None:
    _append(store, 1, OPERATOR)
    with store.unit_of_work() as uow:
        (entry,) = access.audit_entries(uow)
    assert (entry.login, entry.role, entry.party) == ("operator", "operator", "")


@pytest.mark.parametrize(
    ("column", "value"),
    [("login", "mallory"), ("status", 200), ("summary", "nothing happened"), ("answer", "{}")],
)
def test_an_altered_entry_is_named(store: Store, column: str, value: object) -> None:
    _append(store, 3)
    with store.engine.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.seq == 2).values({column: value}))
    with store.unit_of_work() as uow:
        if column == "answer":  # the answer is covered through its digest
            uow.connection.execute(
                update(audit_log).where(audit_log.c.seq == 2).values(answer_digest="0" * 64)
            )
        with pytest.raises(IntegrityError, match="audit trail is broken at entry 2"):
            ledger_svc.verify(uow)


def test_a_removed_last_entry_is_caught_by_the_head(store: Store) -> None:
    _append(store, 3)
    with store.engine.begin() as conn:
        conn.execute(delete(audit_log).where(audit_log.c.seq == 3))
    with store.unit_of_work() as uow, pytest.raises(IntegrityError, match="entries were removed"):
        ledger_svc.verify(uow)


def test_a_rewritten_head_is_caught(store: Store) -> None:
    _append(store, 2)
    with store.engine.begin() as conn:
        conn.execute(update(audit_head).values(hash="f" * 64))
    with store.unit_of_work() as uow, pytest.raises(IntegrityError, match="head hash"):
        ledger_svc.verify(uow)


def test_a_held_unit_of_work_writes_nothing_unless_released(store: Store) -> None:
    with store.unit_of_work(write=True, hold_commits=True) as uow:
        access.record(uow, TREASURY, "POST", "/x", None, "d" * 64, 201, b"{}", 0, 0, "held")
        uow.commit()  # what a service does: held, not committed
        assert uow.committed
    with store.unit_of_work() as uow:
        assert access.audit_entries(uow) == []
    with store.unit_of_work(write=True, hold_commits=True) as uow:
        access.record(uow, TREASURY, "POST", "/x", None, "d" * 64, 201, b"{}", 0, 0, "released")
        uow.commit()
        uow.release()
    with store.unit_of_work() as uow:
        assert [e.summary for e in access.audit_entries(uow)] == ["released"]
