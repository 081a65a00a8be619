"""The ledger's contract against a real store, on SQLite and on PostgreSQL.

The base journal below is the fixture every test starts from; its balances were worked
out by hand (see `BASE_BALANCES`). Bad inputs must be refused with their file, line and
field, and leave the store exactly as it was: same counts, same chain head, same balances.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event, text

from convenio.auth import AUDIT_GENESIS
from convenio.errors import ConflictError, ConvenioError, InputError, IntegrityError, Problem
from convenio.ledger import AccountKind, AccountSpec
from convenio.ledger.parse import LocatedAccount
from convenio.log import b64
from convenio.services import ledger as svc
from convenio.store import Head, Store, head_revision, migrate
from convenio.store.engine import revision_of
from convenio.store.tables import metadata

ACCOUNTS = [
    AccountSpec("VEN/oil", "bbl", AccountKind.ASSET, floor=0),
    AccountSpec("CUB/oil", "bbl", AccountKind.ASSET),
    AccountSpec("VEN/claims/CUB", "USD", AccountKind.ASSET),
    AccountSpec("CUB/debt/VEN", "USD", AccountKind.LIABILITY),
    AccountSpec("CUB/services/provided", "person-month", AccountKind.INCOME),
    AccountSpec("VEN/services/received", "person-month", AccountKind.EXPENSE),
]

HEADER = "txn_id,date,account,amount,unit,description\n"
BASE = HEADER + (
    "d1,2011-01-10,VEN/oil,1000.000,bbl,opening stock\n"
    "d1,2011-01-10,CUB/oil,-1000.000,bbl,\n"
    # 250.5 bbl at 80.00 USD = 20040.00 USD
    "s1,2011-02-01,VEN/oil,-250.500,bbl,shipment 1\n"
    "s1,2011-02-01,CUB/oil,250.500,bbl,\n"
    "s1,2011-02-01,VEN/claims/CUB,20040.00,USD,\n"
    "s1,2011-02-01,CUB/debt/VEN,-20040.00,USD,\n"
    # 3.5 person-months of doctors, set against the claim at 500.07 USD each = 1750.25 USD
    "m1,2011-03-15,CUB/services/provided,3.50,person-month,doctors\n"
    "m1,2011-03-15,VEN/services/received,-3.50,person-month,\n"
    "m1,2011-03-15,VEN/claims/CUB,-1750.25,USD,\n"
    "m1,2011-03-15,CUB/debt/VEN,1750.25,USD,\n"
)
# Minor units: bbl thousandths, USD cents, person-month hundredths.
BASE_BALANCES = {
    "CUB/debt/VEN": -2_004_000 + 175_025,  # -18289.75 USD
    "CUB/oil": -1_000_000 + 250_500,  # -749.500 bbl
    "CUB/services/provided": 350,
    "VEN/claims/CUB": 2_004_000 - 175_025,  # 18289.75 USD
    "VEN/oil": 1_000_000 - 250_500,  # 749.500 bbl
    "VEN/services/received": -350,
}
ZERO = dict.fromkeys(BASE_BALANCES, 0)


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def open_accounts(store: Store, specs: list[AccountSpec] = ACCOUNTS) -> svc.OpenResult:
    with store.unit_of_work(write=True) as uow:
        return svc.open_accounts(uow, [LocatedAccount(s, "accounts", None) for s in specs])


def post(store: Store, path: Path) -> svc.PostResult:
    with store.unit_of_work(write=True) as uow:
        return svc.post_file(uow, path)


def balances(
    store: Store,
    as_of: date | None = None,
    known_at: datetime | None = None,
    party: str | None = None,
) -> dict[str, int]:
    with store.unit_of_work() as uow:
        return {r.account: r.balance for r in svc.balances(uow, as_of, known_at, party)}


def snapshot(store: Store) -> tuple[Mapping[str, int], Head, dict[str, int], dict[str, Any]]:
    """Everything a refused write must leave as it was."""
    with store.unit_of_work() as uow:
        counts = dict(uow.ledger.counts())
        head = uow.ledger.head()
        accounts = dict(uow.ledger.accounts())
    return counts, head, balances(store), accounts


@pytest.fixture
def based(store: Store, tmp_path: Path) -> Store:
    """The store with the accounts open and the base journal posted."""
    open_accounts(store)
    post(store, write(tmp_path, "base.csv", BASE))
    return store


# -- accounts --------------------------------------------------------------------------


def test_open_accounts_is_idempotent(store: Store) -> None:
    assert open_accounts(store) == svc.OpenResult(opened=6, unchanged=0)
    assert open_accounts(store) == svc.OpenResult(opened=0, unchanged=6)
    with store.unit_of_work() as uow:
        assert uow.ledger.accounts() == {s.name: s for s in ACCOUNTS}
        assert uow.ledger.counts()["accounts"] == 6
    assert balances(store) == ZERO


@pytest.mark.parametrize(
    "changed",
    [
        AccountSpec("VEN/oil", "bbl", AccountKind.ASSET, floor=None),
        AccountSpec("VEN/oil", "bbl", AccountKind.ASSET, floor=-1),
        AccountSpec("VEN/oil", "bbl", AccountKind.LIABILITY, floor=0),
        AccountSpec("VEN/oil", "t", AccountKind.ASSET, floor=0),
    ],
    ids=["no-floor", "other-floor", "other-kind", "other-unit"],
)
def test_reopening_an_account_with_other_attributes_conflicts(
    store: Store, changed: AccountSpec
) -> None:
    open_accounts(store)
    before = snapshot(store)
    with pytest.raises(ConflictError, match="account VEN/oil is already open as bbl, asset"):
        open_accounts(store, [AccountSpec("XXX/new", "USD"), changed])
    assert snapshot(store) == before


def test_bad_account_declarations_are_input_errors(store: Store) -> None:
    with pytest.raises(InputError) as caught:
        open_accounts(
            store,
            [
                AccountSpec("ven/oil", "bbl"),
                AccountSpec("VEN/gold", "oz"),
                AccountSpec("VEN/box", "USD", floor=10, ceiling=5),
            ],
        )
    assert [p.field for p in caught.value.problems] == ["account", "unit", "floor"]
    with store.unit_of_work() as uow:
        assert uow.ledger.counts()["accounts"] == 0


def test_open_accounts_from_a_file_names_bad_lines(store: Store, tmp_path: Path) -> None:
    good = write(
        tmp_path,
        "accounts.csv",
        "account,unit,kind,floor,ceiling\nVEN/oil,bbl,asset,0,\nCUB/debt/VEN,USD,liability,,\n",
    )
    with store.unit_of_work(write=True) as uow:
        assert svc.open_accounts_file(uow, good) == svc.OpenResult(2, 0)
    with store.unit_of_work() as uow:
        assert uow.ledger.accounts() == {
            "VEN/oil": AccountSpec("VEN/oil", "bbl", AccountKind.ASSET, 0, None),
            "CUB/debt/VEN": AccountSpec("CUB/debt/VEN", "USD", AccountKind.LIABILITY),
        }
    bad = write(
        tmp_path,
        "bad-accounts.csv",
        "account,unit,kind,floor\nVEN/a,USD,asset,0.001\nVEN/b,oz,asset,\nVEN/c,USD,loan,\n",
    )
    with store.unit_of_work(write=True) as uow, pytest.raises(InputError) as caught:
        svc.open_accounts_file(uow, bad)
    assert [(p.file, p.line, p.field) for p in caught.value.problems] == [
        (str(bad), 2, "floor"),
        (str(bad), 3, "unit"),
        (str(bad), 4, "kind"),
    ]
    with store.unit_of_work() as uow:
        assert uow.ledger.counts()["accounts"] == 2


# -- posting and replay ----------------------------------------------------------------


def test_post_then_replay_changes_nothing(store: Store, tmp_path: Path) -> None:
    open_accounts(store)
    base = write(tmp_path, "base.csv", BASE)
    first = post(store, base)
    assert (first.posted, first.replayed, first.head_seq) == (3, 0, 3)
    assert len(first.head_hash) == 64
    before = snapshot(store)
    assert before[0] == {"transactions": 3, "postings": 10, "accounts": 6}
    assert before[2] == BASE_BALANCES

    again = post(store, base)
    assert again == svc.PostResult(posted=0, replayed=3, head_seq=3, head_hash=first.head_hash)
    assert snapshot(store) == before


def test_a_batch_mixing_replays_and_new_transactions_posts_only_the_new(
    based: Store, tmp_path: Path
) -> None:
    extra = write(
        tmp_path,
        "extra.csv",
        HEADER
        + "m1,2011-03-15,CUB/services/provided,3.50,person-month,doctors\n"
        + "m1,2011-03-15,VEN/services/received,-3.50,person-month,\n"
        + "m1,2011-03-15,VEN/claims/CUB,-1750.25,USD,\n"
        + "m1,2011-03-15,CUB/debt/VEN,1750.25,USD,\n"
        + "p1,2011-04-01,CUB/debt/VEN,0.01,USD,payment\n"
        + "p1,2011-04-01,VEN/claims/CUB,-0.01,USD,\n",
    )
    result = post(based, extra)
    assert (result.posted, result.replayed, result.head_seq) == (1, 1, 4)
    assert balances(based)["VEN/claims/CUB"] == 1_828_975 - 1


def test_json_journal_posts_exact_amounts(store: Store, tmp_path: Path) -> None:
    open_accounts(store)
    journal = write(
        tmp_path,
        "j.json",
        """[
          {"id": "j1", "date": "2011-01-10", "description": "tenth of a cent? no: a dime",
           "postings": [{"account": "VEN/claims/CUB", "amount": 0.1, "unit": "USD"},
                        {"account": "CUB/debt/VEN", "amount": -0.1, "unit": "USD"}]},
          {"id": "j2", "date": "2011-01-11",
           "postings": [{"account": "VEN/claims/CUB", "amount": 0.2, "unit": "USD"},
                        {"account": "CUB/debt/VEN", "amount": "-0.20", "unit": "USD"}]}
        ]""",
    )
    assert post(store, journal).posted == 2
    # 0.1 + 0.2 is exactly 30 cents here (it is 0.30000000000000004 in floats).
    assert balances(store)["VEN/claims/CUB"] == 30
    assert balances(store)["CUB/debt/VEN"] == -30


def test_txn_id_reused_with_other_content_conflicts_and_writes_nothing(
    based: Store, tmp_path: Path
) -> None:
    before = snapshot(based)
    reused = write(
        tmp_path,
        "reused.csv",
        HEADER
        + "n1,2011-04-01,CUB/debt/VEN,1.00,USD,new and fine\n"
        + "n1,2011-04-01,VEN/claims/CUB,-1.00,USD,\n"
        + "s1,2011-02-01,VEN/oil,-250.500,bbl,shipment 1 (amended)\n"
        + "s1,2011-02-01,CUB/oil,250.500,bbl,\n",
    )
    with pytest.raises(ConflictError) as caught:
        post(based, reused)
    assert caught.value.problems == (
        Problem(
            "transaction s1 is already recorded with different content", str(reused), 4, "txn_id"
        ),
    )
    assert snapshot(based) == before


def test_txn_id_repeated_within_a_batch_with_other_content_conflicts(
    store: Store, tmp_path: Path
) -> None:
    open_accounts(store)
    before = snapshot(store)
    journal = write(
        tmp_path,
        "twice.json",
        """[
          {"id": "x", "date": "2011-01-10", "postings": [
            {"account": "VEN/claims/CUB", "amount": 1, "unit": "USD"},
            {"account": "CUB/debt/VEN", "amount": -1, "unit": "USD"}]},
          {"id": "x", "date": "2011-01-10", "postings": [
            {"account": "VEN/claims/CUB", "amount": 2, "unit": "USD"},
            {"account": "CUB/debt/VEN", "amount": -2, "unit": "USD"}]}
        ]""",
    )
    with pytest.raises(ConflictError) as caught:
        post(store, journal)
    assert [(p.file, p.field) for p in caught.value.problems] == [(str(journal), "[1]")]
    assert snapshot(store) == before


def test_one_bad_transaction_among_good_ones_writes_nothing(based: Store, tmp_path: Path) -> None:
    before = snapshot(based)
    batch = write(
        tmp_path,
        "batch.csv",
        HEADER
        + "g1,2011-04-01,CUB/debt/VEN,1.00,USD,good\n"  # line 2
        + "g1,2011-04-01,VEN/claims/CUB,-1.00,USD,\n"  # line 3
        + "b1,2011-04-02,CUB/debt/VEN,1.00,USD,bad\n"  # line 4
        + "b1,2011-04-02,VEN/claims/CUB,-0.99,USD,\n"  # line 5
        + "g2,2011-04-03,CUB/oil,1.000,bbl,good\n"  # line 6
        + "g2,2011-04-03,VEN/oil,-1.000,bbl,\n",  # line 7
    )
    with pytest.raises(InputError) as caught:
        post(based, batch)
    assert [(p.file, p.line, p.field) for p in caught.value.problems] == [(str(batch), 4, "amount")]
    assert "b1 does not balance: USD postings sum to +1 minor units" in str(caught.value)
    assert snapshot(based) == before
    with based.unit_of_work() as uow:
        assert uow.ledger.get("g1") is None
        assert uow.ledger.get("g2") is None


# Each bad journal is posted on top of the base ledger. (rows, error, line, field, message)
BAD_INPUTS = {
    "unbalanced": (
        "x1,2011-04-01,VEN/oil,-1.000,bbl,lopsided\nx1,2011-04-01,CUB/oil,0.999,bbl,\n",
        InputError,
        2,
        "amount",
        "transaction x1 does not balance: bbl postings sum to -1 minor units",
    ),
    "unknown account": (
        "x1,2011-04-01,VEN/oil,-1.000,bbl,to nowhere\nx1,2011-04-01,VEN/nowhere,1.000,bbl,\n",
        InputError,
        3,
        "account",
        "unknown account 'VEN/nowhere'",
    ),
    "unit differs from the account's": (
        "x1,2011-04-01,VEN/claims/CUB,-1.000,bbl,oil into dollars\n"
        "x1,2011-04-01,CUB/oil,1.000,bbl,\n",
        InputError,
        2,
        "unit",
        "bbl posted to VEN/claims/CUB, whose unit is USD",
    ),
    "too many decimals": (
        "x1,2011-04-01,VEN/claims/CUB,-1.001,USD,a tenth of a cent\n"
        "x1,2011-04-01,CUB/debt/VEN,1.00,USD,\n",
        InputError,
        2,
        "amount",
        "1.001 has more than 2 decimals (USD)",
    ),
    "bad date": (
        "x1,2011-04-01,VEN/claims/CUB,-1.00,USD,ok\nx2,2011-02-30,CUB/debt/VEN,1.00,USD,\n",
        InputError,
        3,
        "date",
        "'2011-02-30' is not a valid date",
    ),
    "malformed row": (
        "x1,2011-04-01,VEN/claims/CUB,-1.00,USD,ok\nx1,2011-04-01,CUB/debt/VEN,1.00\n",
        InputError,
        3,
        "row",
        "expected 6 fields, found 4",
    ),
    # VEN/oil holds 0 until 1000.000 bbl arrive on 2011-01-10 and 749.500 at the end; taking
    # 10.000 bbl on 2011-01-05 leaves the final balance fine but Jan 5 closes at -10.000.
    "floor broken on a past day": (
        "x1,2011-01-05,VEN/oil,-10.000,bbl,backdated\nx1,2011-01-05,CUB/oil,10.000,bbl,\n",
        InputError,
        2,
        "amount",
        "transaction x1: this would take VEN/oil to -10.000 bbl on 2011-01-05, "
        "below its floor 0.000",
    ),
    # 749.500 bbl left; taking 749.501 closes 2011-04-01 at -0.001.
    "floor broken at the end": (
        "x1,2011-04-01,CUB/oil,749.501,bbl,too much\nx1,2011-04-01,VEN/oil,-749.501,bbl,\n",
        InputError,
        3,
        "amount",
        "this would take VEN/oil to -0.001 bbl on 2011-04-01, below its floor 0.000",
    ),
    "txn_id reused with other content": (
        "d1,2011-01-10,VEN/oil,1000.001,bbl,opening stock\nd1,2011-01-10,CUB/oil,-1000.001,bbl,\n",
        ConflictError,
        2,
        "txn_id",
        "transaction d1 is already recorded with different content",
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS), ids=list(BAD_INPUTS))
def test_bad_input_is_located_and_leaves_the_store_as_it_was(
    based: Store, tmp_path: Path, case: str
) -> None:
    rows, error, line, field, message = BAD_INPUTS[case]
    bad = write(tmp_path, "bad.csv", HEADER + rows)
    before = snapshot(based)
    with pytest.raises(ConvenioError) as caught:
        post(based, bad)
    assert type(caught.value) is error
    assert len(caught.value.problems) == 1
    problem = caught.value.problems[0]
    assert (problem.file, problem.line, problem.field) == (str(bad), line, field)
    assert message in problem.message
    assert str(caught.value).startswith(f"{bad}:{line}: {field}: ")
    assert snapshot(based) == before


def test_problems_in_a_json_journal_are_located_by_path(based: Store, tmp_path: Path) -> None:
    before = snapshot(based)
    bad = write(
        tmp_path,
        "bad.json",
        """[
          {"id": "j0", "date": "2011-04-01", "postings": [
            {"account": "VEN/claims/CUB", "amount": "1.00", "unit": "USD"},
            {"account": "CUB/debt/VEN", "amount": "-1.00", "unit": "USD"}]},
          {"id": "j1", "date": "2011-04-01", "postings": [
            {"account": "CUB/oil", "amount": "1.000", "unit": "bbl"},
            {"account": "VEN/nowhere", "amount": "-1.000", "unit": "bbl"}]},
          {"id": "j2", "date": "2011-04-02", "postings": [
            {"account": "CUB/oil", "amount": "750", "unit": "bbl"},
            {"account": "VEN/oil", "amount": "-750", "unit": "bbl"}]}
        ]""",
    )
    with pytest.raises(InputError) as caught:
        post(based, bad)
    assert [(p.file, p.line, p.field) for p in caught.value.problems] == [
        (str(bad), None, "[1].postings[1].account")
    ]
    fixed = write(tmp_path, "bad.json", bad.read_text().replace("VEN/nowhere", "VEN/oil"))
    # Without the unknown account, the floor is next: 749.500 - 1.000 - 750.000 < 0.
    with pytest.raises(InputError) as caught:
        post(based, fixed)
    assert [(p.file, p.line, p.field) for p in caught.value.problems] == [
        (str(fixed), None, "[2].postings[1].amount")
    ]
    assert "VEN/oil to -1.500 bbl on 2011-04-02" in str(caught.value)
    assert snapshot(based) == before


def test_the_same_posting_is_accepted_once_the_floor_allows_it(
    based: Store, tmp_path: Path
) -> None:
    # Exactly the 749.500 bbl left: closes at 0.000, which the floor allows.
    exact = write(
        tmp_path,
        "exact.csv",
        HEADER + "x1,2011-04-01,CUB/oil,749.500,bbl,all\nx1,2011-04-01,VEN/oil,-749.500,bbl,\n",
    )
    assert post(based, exact).posted == 1
    assert balances(based)["VEN/oil"] == 0
    assert balances(based)["CUB/oil"] == 0


# -- balances --------------------------------------------------------------------------


AS_OF = [
    (date(2010, 12, 31), {}),
    (date(2011, 1, 9), {}),
    (date(2011, 1, 10), {"VEN/oil": 1_000_000, "CUB/oil": -1_000_000}),
    (date(2011, 1, 31), {"VEN/oil": 1_000_000, "CUB/oil": -1_000_000}),
    (
        date(2011, 2, 1),
        {
            "VEN/oil": 749_500,
            "CUB/oil": -749_500,
            "VEN/claims/CUB": 2_004_000,
            "CUB/debt/VEN": -2_004_000,
        },
    ),
    (
        date(2011, 3, 14),
        {
            "VEN/oil": 749_500,
            "CUB/oil": -749_500,
            "VEN/claims/CUB": 2_004_000,
            "CUB/debt/VEN": -2_004_000,
        },
    ),
    (date(2011, 3, 15), BASE_BALANCES),
    (date(2011, 12, 31), BASE_BALANCES),
    (date(2012, 1, 1), BASE_BALANCES),
    (date(2012, 6, 29), BASE_BALANCES),
    (date(2012, 6, 30), {**BASE_BALANCES, "VEN/oil": 649_500, "CUB/oil": -649_500}),
    (date(2013, 1, 1), {**BASE_BALANCES, "VEN/oil": 649_500, "CUB/oil": -649_500}),
]


def test_balances_as_of_a_date(based: Store, tmp_path: Path) -> None:
    # A second year, so that as-of reads combine year totals and day totals.
    post(
        based,
        write(
            tmp_path,
            "2012.csv",
            HEADER
            + "s2,2012-06-30,VEN/oil,-100.000,bbl,shipment 2\n"
            + "s2,2012-06-30,CUB/oil,100.000,bbl,\n",
        ),
    )
    for as_of, expected in AS_OF:
        assert balances(based, as_of=as_of) == {**ZERO, **expected}, as_of
        with based.unit_of_work() as uow:
            assert svc.account_balance(uow, "VEN/oil", as_of) == expected.get("VEN/oil", 0)
    assert balances(based) == {**BASE_BALANCES, "VEN/oil": 649_500, "CUB/oil": -649_500}


def test_balances_as_known_at_a_recorded_time(based: Store, tmp_path: Path) -> None:
    known = datetime.now(UTC)
    time.sleep(0.002)
    # Batch B, recorded later but effective before shipment 1: 100.000 bbl back to CUB.
    post(
        based,
        write(
            tmp_path,
            "b.csv",
            HEADER
            + "r1,2011-01-20,VEN/oil,-100.000,bbl,returned\n"
            + "r1,2011-01-20,CUB/oil,100.000,bbl,\n",
        ),
    )
    feb1 = date(2011, 2, 1)
    batch_a_on_feb1 = {
        **ZERO,
        "VEN/oil": 749_500,
        "CUB/oil": -749_500,
        "VEN/claims/CUB": 2_004_000,
        "CUB/debt/VEN": -2_004_000,
    }
    assert balances(based, as_of=feb1, known_at=known) == batch_a_on_feb1
    assert balances(based, as_of=feb1) == {
        **batch_a_on_feb1,
        "VEN/oil": 649_500,
        "CUB/oil": -649_500,
    }
    assert balances(based, known_at=known) == BASE_BALANCES
    assert balances(based, known_at=datetime(2000, 1, 1, tzinfo=UTC)) == ZERO
    with based.unit_of_work() as uow:
        assert svc.account_balance(uow, "VEN/oil", date(2011, 1, 20), known) == 1_000_000
        assert svc.account_balance(uow, "VEN/oil", date(2011, 1, 20)) == 900_000


def test_balances_per_party(based: Store) -> None:
    assert balances(based, party="VEN") == {
        "VEN/claims/CUB": 1_828_975,
        "VEN/oil": 749_500,
        "VEN/services/received": -350,
    }
    assert balances(based, party="CUB") == {
        "CUB/debt/VEN": -1_828_975,
        "CUB/oil": -749_500,
        "CUB/services/provided": 350,
    }
    with pytest.raises(
        InputError, match=r"'ARG' owns no account \(parties with accounts: CUB, VEN\)"
    ):
        balances(based, party="ARG")


def test_balance_of_an_unknown_account_is_an_input_error(based: Store) -> None:
    with based.unit_of_work() as uow, pytest.raises(InputError, match="VEN/gold"):
        svc.account_balance(uow, "VEN/gold")


# -- reversals -------------------------------------------------------------------------


def test_reversal_restores_balances_and_is_refused_a_second_time(based: Store) -> None:
    with based.unit_of_work(write=True) as uow:
        result = svc.reverse(uow, "s1", reason="wrong vessel")
    assert (result.posted, result.head_seq) == (1, 4)
    # Without shipment 1: 1000.000 bbl stay with VEN; only the services offset remains.
    assert balances(based) == {
        **BASE_BALANCES,
        "VEN/oil": 1_000_000,
        "CUB/oil": -1_000_000,
        "VEN/claims/CUB": -175_025,
        "CUB/debt/VEN": 175_025,
    }
    with based.unit_of_work() as uow:
        reversal = uow.ledger.get("s1/reversal")
    assert reversal is not None
    assert reversal.txn.reverses == "s1"
    assert reversal.txn.date == date(2011, 2, 1)
    assert reversal.txn.description == "Reversal of s1: wrong vessel"

    after = snapshot(based)
    # The very same reversal again is an idempotent replay of its id: nothing changes.
    with based.unit_of_work(write=True) as uow:
        replay = svc.reverse(uow, "s1", reason="wrong vessel")
    assert (replay.posted, replay.replayed, replay.head_seq) == (0, 1, 4)
    assert snapshot(based) == after
    with (
        based.unit_of_work(write=True) as uow,
        pytest.raises(ConflictError, match="s1 is already reversed by s1/reversal"),
    ):
        svc.reverse(uow, "s1", new_id="s1/reversal-2")
    with based.unit_of_work(write=True) as uow, pytest.raises(ConflictError):
        svc.reverse(uow, "s1", reason="another reason")
    with (
        based.unit_of_work(write=True) as uow,
        pytest.raises(ConflictError, match="itself a reversal"),
    ):
        svc.reverse(uow, "s1/reversal")
    assert snapshot(based) == after


def test_reversal_on_a_later_date_leaves_earlier_balances(based: Store) -> None:
    with based.unit_of_work(write=True) as uow:
        svc.reverse(uow, "m1", new_id="m1-undo", on=date(2011, 6, 30))
    assert balances(based, as_of=date(2011, 6, 29)) == BASE_BALANCES
    assert balances(based, as_of=date(2011, 6, 30)) == {
        **BASE_BALANCES,
        "VEN/claims/CUB": 2_004_000,
        "CUB/debt/VEN": -2_004_000,
        "CUB/services/provided": 0,
        "VEN/services/received": 0,
    }


def test_reversal_of_an_unknown_transaction_is_an_input_error(based: Store) -> None:
    before = snapshot(based)
    with based.unit_of_work(write=True) as uow, pytest.raises(InputError, match="'zz'"):
        svc.reverse(uow, "zz")
    assert snapshot(based) == before


def test_reversal_that_would_break_a_floor_is_refused(based: Store) -> None:
    # Undoing the 1000.000 bbl of d1 on its own date would leave VEN/oil at -250.500 on
    # 2011-02-01, once shipment 1 has gone out.
    before = snapshot(based)
    with (
        based.unit_of_work(write=True) as uow,
        pytest.raises(InputError, match=r"VEN/oil to -250\.500 bbl on 2011-02-01"),
    ):
        svc.reverse(uow, "d1")
    assert snapshot(based) == before


# -- verification ----------------------------------------------------------------------


def test_verify_passes_on_a_sound_ledger(store: Store, tmp_path: Path) -> None:
    open_accounts(store)
    # No audit entries: the audit trail's head is its genesis (as the ledger's is); the
    # log holds the accounts opened, then the transactions too.
    accounts = len(ACCOUNTS)
    with store.unit_of_work() as uow:
        root = b64(uow.log.head()[1])
        assert svc.verify(uow) == svc.VerifyReport(0, 0, "0" * 64, 0, AUDIT_GENESIS, accounts, root)
    result = post(store, write(tmp_path, "base.csv", BASE))
    with store.unit_of_work() as uow:
        root = b64(uow.log.head()[1])
        assert svc.verify(uow) == svc.VerifyReport(
            3, 3, result.head_hash, 0, AUDIT_GENESIS, accounts + 3, root
        )


TAMPERING = {
    "posting amount": (
        ["UPDATE postings SET amount = amount + 1 WHERE txn_seq = 2 AND idx = 0"],
        "chain broken at transaction s1 (seq 2): content does not match its hash",
    ),
    "description": (
        ["UPDATE transactions SET description = 'doctors and nurses' WHERE id = 'm1'"],
        "chain broken at transaction m1 (seq 3): content does not match its hash",
    ),
    "effective date": (
        ["UPDATE transactions SET date = '2011-01-11' WHERE id = 'd1'"],
        "chain broken at transaction d1 (seq 1): content does not match its hash",
    ),
    "delete the last transaction": (
        ["DELETE FROM postings WHERE txn_seq = 3", "DELETE FROM transactions WHERE seq = 3"],
        "the head says 3 transactions but 2 are stored: transactions were removed",
    ),
    "derived day total": (
        [
            "UPDATE account_days SET amount = amount + 1 WHERE day = '2011-03-15' AND "
            "account_id = (SELECT id FROM accounts WHERE name = 'VEN/claims/CUB')"
        ],
        "derived totals disagree with the postings: VEN/claims/CUB, day total of 2011-03-15",
    ),
}


@pytest.mark.parametrize("case", list(TAMPERING), ids=list(TAMPERING))
def test_verify_names_what_was_changed_behind_the_ledgers_back(based: Store, case: str) -> None:
    statements, message = TAMPERING[case]
    with based.engine.begin() as conn:
        for sql in statements:
            assert conn.execute(text(sql)).rowcount >= 1
    with based.unit_of_work() as uow, pytest.raises(IntegrityError) as caught:
        svc.verify(uow)
    assert str(caught.value) == message
    assert caught.value.exit_code == 4


def test_verify_detects_a_tampered_content_digest(based: Store) -> None:
    # The digest decides whether a re-posted transaction is a replay or a conflict; if it
    # can be changed unnoticed, an honest replay of s1 is refused as a conflict.
    with based.engine.begin() as conn:
        conn.execute(text("UPDATE transactions SET digest = :d WHERE id = 's1'"), {"d": "0" * 64})
    with based.unit_of_work() as uow, pytest.raises(IntegrityError, match="s1"):
        svc.verify(uow)


# -- schema ----------------------------------------------------------------------------


def test_alembic_schema_equals_the_tables_metadata(store: Store) -> None:
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
        assert revision_of(conn) == head_revision()


def test_migrating_twice_is_a_no_op(based: Store) -> None:
    before = snapshot(based)
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(based.engine, "before_cursor_execute", record)
    try:
        assert migrate(based.engine) == head_revision()
        again = Store(based.url)
        again.close()
    finally:
        event.remove(based.engine, "before_cursor_execute", record)
    writes = [
        s
        for s in statements
        if s.lstrip().split(None, 1)[0].upper()
        in {"CREATE", "ALTER", "DROP", "INSERT", "UPDATE", "DELETE"}
    ]
    assert writes == []
    assert snapshot(based) == before
    with based.unit_of_work() as uow:
        assert svc.verify(uow).transactions == 3


def test_day_magnitudes_bound_the_stored_totals_without_overflowing(store: Store) -> None:
    """The quick storage-limit check sums magnitudes in SQL: it must bound the true sum
    from above, and not overflow 64 bits while summing near the limit."""
    from convenio.ledger import Posting, Transaction
    from convenio.ledger.parse import Located

    with store.unit_of_work(write=True) as uow:
        svc.open_accounts(
            uow, [LocatedAccount(AccountSpec(n, "USD"), "t", None) for n in ("VEN/a", "CUB/b")]
        )
    # One day each; the balance stays within 64 bits, the sum of magnitudes (over 2**64) not.
    amounts = [2**62 + 12_345, -(2**62 + 2**61), 2**62 + 2**61 - 12_342, 3_000_000]
    for i, amount in enumerate(amounts):
        txn = Transaction(
            f"t{i}",
            date(2020, i + 1, 1),
            "",
            (Posting("VEN/a", amount, "USD"), Posting("CUB/b", -amount, "USD")),
        )
        with store.unit_of_work(write=True) as uow:
            svc.post(uow, [Located(txn, "t", None, (None, None))])
    true = sum(abs(a) for a in amounts)
    assert true > 2**63
    with store.unit_of_work() as uow:
        ids = uow.ledger.account_ids()
        found = uow.ledger.day_magnitudes_since([ids["VEN/a"], ids["CUB/b"]], date(2020, 1, 1))
        later = uow.ledger.day_magnitudes_since([ids["VEN/a"]], date(2020, 4, 1))
    for name in ("VEN/a", "CUB/b"):
        assert true <= found[ids[name]] <= true + len(amounts) * 2**20
    assert 3_000_000 <= later[ids["VEN/a"]] <= 3_000_000 + 2**20
