"""The audit page's services (`convenio.services.audit_views`): the filter form read
without a store; then, on SQLite and PostgreSQL, a trail of six requests at known
moments — filtered by login, days, method and route, newest first, paged without a gap
or a repeat, each with the ledger transactions it recorded and its hash — and the ledger
verified, or its first break named, with nothing recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Final

import pytest
from sqlalchemy import update

from convenio.auth import Principal, Role
from convenio.errors import InputError
from convenio.ledger import AccountKind, AccountSpec
from convenio.ledger.parse import LocatedAccount
from convenio.services import access, audit_views
from convenio.services import ledger as ledger_svc
from convenio.services.audit_views import AuditFilter, parse_filter, trail, verify_ledger
from convenio.store import Store, UnitOfWork
from convenio.store.ledger_repo import to_micros
from convenio.store.tables import transactions

ANA: Final = Principal("ana", Role.TREASURY, "VEN")
BOB: Final = Principal("bob", Role.COORDINATOR, None, "VE-V")
JOURNAL: Final = "txn_id,date,account,amount,unit,description\n" + "".join(
    f"t{i:02d},2016-01-{i:02d},VEN/cash,-{i}.00,USD,payment {i}\nt{i:02d},2016-01-{i:02d},"
    f"CUB/cash,{i}.00,USD,\n"
    for i in range(1, 13)
)  # twelve transactions: more than the page names for one entry

# (who, method, route, day, posts the journal) of each request, in the order made.
REQUESTS: Final = [
    (ANA, "POST", "/api/v1/payments", date(2016, 1, 4), False),
    (ANA, "POST", "/entry", date(2016, 1, 5), False),
    (BOB, "DELETE", "/api/v1/users/x", date(2016, 1, 5), False),
    (BOB, "POST", "/entry?dataSet=BA", date(2016, 1, 6), True),
    (ANA, "PUT", "/api/v1/terms", date(2016, 1, 6), False),
    (BOB, "POST", "/entry_%", date(2016, 1, 7), False),  # a route with LIKE's wildcards
]


# -- the filter form -------------------------------------------------------------------------


def test_an_empty_form_filters_nothing() -> None:
    assert parse_filter("", "", "", "", "  ") == AuditFilter()


def test_the_form_is_read_as_typed() -> None:
    assert parse_filter(" ana ", "2016-01-05", "2016-01-06", "post", "/entry", 9) == AuditFilter(
        "ana", date(2016, 1, 5), date(2016, 1, 6), "POST", "/entry", 9
    )


@pytest.mark.parametrize(
    ("since", "until", "method", "field"),
    [
        ("2016-13-01", "", "", "since"),
        ("", "yesterday", "", "until"),
        ("2016-01-06", "2016-01-05", "", "until"),  # ends before it starts
        ("", "", "GET", "method"),  # reads are not in the trail
    ],
)
def test_what_cannot_be_read_is_named_on_its_field(
    since: str, until: str, method: str, field: str
) -> None:
    with pytest.raises(InputError) as refused:
        parse_filter(None, since, until, method)
    assert [p.field for p in refused.value.problems] == [field]


# -- a trail in the store --------------------------------------------------------------------


def _post_journal(uow: UnitOfWork, tmp: Path) -> None:
    accounts = [
        AccountSpec("VEN/cash", "USD", AccountKind.ASSET),
        AccountSpec("CUB/cash", "USD", AccountKind.ASSET),
    ]
    ledger_svc.open_accounts(uow, [LocatedAccount(s, "accounts", None) for s in accounts])
    path = tmp / "journal.csv"
    path.write_text(JOURNAL, encoding="utf-8")
    ledger_svc.post_file(uow, path)


@pytest.fixture
def made(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    """The requests of `REQUESTS` audited as the API's writes are, at noon of their day."""
    for seq, (who, method, route, day, posts) in enumerate(REQUESTS, start=1):
        noon = to_micros(datetime(day.year, day.month, day.day, 12, tzinfo=UTC))
        monkeypatch.setattr(access, "_now", lambda at=noon: at)
        with store.unit_of_work(write=True, hold_commits=True) as uow:
            uow.auth.lock_audit_head()
            before = uow.ledger.head().seq
            if posts:
                _post_journal(uow, tmp_path)
            first, last = access.recorded_since(uow, before)
            access.record(
                uow, who, method, route, None, "d" * 64, 201, b"{}", first, last, f"#{seq}"
            )
            uow.release()
    return store


def _seqs(store: Store, f: AuditFilter, size: int = audit_views.PAGE_SIZE) -> list[int]:
    with store.unit_of_work() as uow:
        return [e.seq for e in trail(uow, f, size).entries]


@pytest.mark.parametrize(
    ("f", "expected"),
    [
        (AuditFilter(), [6, 5, 4, 3, 2, 1]),
        (AuditFilter(login="ana"), [5, 2, 1]),
        (AuditFilter(since=date(2016, 1, 5), until=date(2016, 1, 6)), [5, 4, 3, 2]),
        (AuditFilter(until=date(2016, 1, 4)), [1]),
        (AuditFilter(method="POST", route="/entry"), [6, 4, 2]),
        (AuditFilter(route="_%"), [6]),  # the wildcards are the text itself
        (AuditFilter(login="bob", method="POST", since=date(2016, 1, 7)), [6]),
        (AuditFilter(login="carla"), []),
        (AuditFilter(before=4), [3, 2, 1]),
    ],
)
def test_the_trail_is_filtered_and_newest_first(
    made: Store, f: AuditFilter, expected: list[int]
) -> None:
    assert _seqs(made, f) == expected


@pytest.mark.parametrize("size", [1, 2, 4, 6, 7])
def test_paging_visits_every_entry_once(made: Store, size: int) -> None:
    seen: list[int] = []
    before: int | None = None
    with made.unit_of_work() as uow:
        while True:
            page = trail(uow, AuditFilter(method="POST", before=before), size)
            assert page.matching == 4
            seen += [e.seq for e in page.entries]
            if page.next_before is None:
                break
            before = page.next_before
    assert seen == [6, 4, 2, 1]


def test_an_entry_shows_who_what_its_transactions_and_its_hash(made: Store) -> None:
    with made.unit_of_work() as uow:
        page = trail(uow, AuditFilter(route="dataSet"))
        stored = {e.seq: h for e, h in uow.auth.iter_audit()}
    assert page.logins == ("ana", "bob")
    (entry,) = page.entries
    assert (entry.login, entry.role, entry.party, entry.method, entry.status) == (
        "bob",
        "coordinator",
        "",
        "POST",
        201,
    )
    assert entry.at == datetime(2016, 1, 6, 12, tzinfo=UTC)
    assert entry.summary == "#4"
    assert entry.hash == stored[4][: audit_views.HASH_SHOWN]
    assert entry.transactions == tuple(f"t{i:02d}" for i in range(1, audit_views.TXNS_SHOWN + 1))
    assert entry.more == 12 - audit_views.TXNS_SHOWN


def test_verifying_reports_the_record_and_records_nothing(made: Store) -> None:
    with made.unit_of_work() as uow:
        found = verify_ledger(uow)
        expected = ledger_svc.verify(uow)
        head = uow.auth.audit_head()
    assert found.ok and found.problem is None and found.report == expected
    assert (expected.transactions, expected.audit_entries) == (12, 6)
    with made.unit_of_work() as uow:
        assert uow.auth.audit_head() == head


def _altered(store: Store, change: Callable[[UnitOfWork], None]) -> audit_views.Verification:
    with store.unit_of_work(write=True) as uow:
        change(uow)
        uow.commit()
    with store.unit_of_work() as uow:
        return verify_ledger(uow)


def test_a_broken_record_is_named(made: Store) -> None:
    def rewrite(uow: UnitOfWork) -> None:
        uow.connection.execute(
            update(transactions).where(transactions.c.id == "t03").values(description="x")
        )

    found = _altered(made, rewrite)
    assert not found.ok and found.report is None
    assert found.problem is not None and "t03" in found.problem
