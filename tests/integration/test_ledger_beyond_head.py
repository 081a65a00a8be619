"""Rows past the chain's head are caught, on SQLite and PostgreSQL (issue 10's defect to
fix at once): a transaction inserted with plain SQL after the head — even an unbalanced
one — or a posting of a position past it. `verify` names it (exit 4 in the CLI) instead
of passing over it, and `post` refuses to write beside it instead of colliding with it
or taking its id for a replay."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import insert, select

from convenio.errors import IntegrityError
from convenio.services import ledger as svc
from convenio.store import Store
from convenio.store.tables import accounts, postings, transactions

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "convenio" / "examples"
NEW = (
    "txn_id,date,account,amount,unit,description\n"
    "later,2024-03-01,XAT/reserves/treasury,1.00,USD,later\n"
    "later,2024-03-01,XAT/equity/opening,-1.00,USD,later\n"
)


@pytest.fixture
def posted(store: Store) -> Store:
    with store.unit_of_work(write=True) as uow:
        svc.open_accounts_file(uow, EXAMPLES / "accounts.csv")
    with store.unit_of_work(write=True) as uow:
        svc.post_file(uow, EXAMPLES / "journal.csv")
    return store


def _forge(store: Store, with_transaction: bool) -> None:
    with store.engine.begin() as conn:
        last = conn.execute(select(transactions).order_by(transactions.c.seq.desc())).first()
        account = conn.execute(select(accounts.c.id).limit(1)).scalar_one()
        assert last is not None
        if with_transaction:
            values = dict(last._mapping)
            values.update(seq=last.seq + 1, id="forged", digest="0" * 64, hash="1" * 64)
            conn.execute(insert(transactions).values(values))
            conn.execute(
                insert(postings).values(txn_seq=last.seq + 1, idx=0, account_id=account, amount=1)
            )  # one posting: unbalanced, as a forger need not balance
        else:
            conn.execute(
                insert(postings).values(txn_seq=last.seq, idx=99, account_id=account, amount=5)
            )


def test_a_forged_transaction_past_the_head_is_named(posted: Store, tmp_path: Path) -> None:
    _forge(posted, with_transaction=True)
    with posted.unit_of_work() as uow, pytest.raises(IntegrityError, match="forged at position 4"):
        svc.verify(uow)
    journal = tmp_path / "later.csv"
    journal.write_text(NEW, encoding="utf-8")
    with posted.unit_of_work(write=True) as uow, pytest.raises(IntegrityError, match="forged"):
        svc.post_file(uow, journal)


def test_a_posting_added_to_the_last_transaction_breaks_its_hash(posted: Store) -> None:
    _forge(posted, with_transaction=False)
    with posted.unit_of_work() as uow, pytest.raises(IntegrityError):
        svc.verify(uow)


def test_a_sound_store_verifies_and_posts(posted: Store, tmp_path: Path) -> None:
    journal = tmp_path / "later.csv"
    journal.write_text(NEW, encoding="utf-8")
    with posted.unit_of_work(write=True) as uow:
        assert svc.post_file(uow, journal).posted == 1
    with posted.unit_of_work() as uow:
        assert svc.verify(uow).transactions == 4
