"""Properties of the log in a real store (SQLite), under random sequences of writes.

Hypothesis (derandomized, a few dozen examples) draws a sequence of writes — batches of
transactions posted, accounts opened, audit entries appended — each in its own unit of
work, on a fresh store copied from a migrated template. After them:

- `verify_log` passes, and its root is the RFC 6962 root (`Frontier`) of the entries
  `services.log.entries` recomputes from the records: the stored hashes are those of
  the records, in the order written;
- changing any one byte of any one stored hash makes `verify_log` fail, naming that
  hash: the entry whose leaf it is, or the stored hash itself for a node above.

Also here, because it is a property of the repository rather than of a tampering:
reading the log's spans (or the audit trail) leaves the unit of work able to write.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from itertools import count
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text, update

from convenio.auth import OPERATOR
from convenio.errors import IntegrityError
from convenio.ledger import AccountSpec, Posting, Transaction
from convenio.ledger.model import AccountKind
from convenio.ledger.parse import Located, LocatedAccount
from convenio.log import HASH_SIZE, Frontier, split_stored_hash_index, stored_hash_count
from convenio.services import access, ledger
from convenio.services import log as log_svc
from convenio.store import Store
from convenio.store.log_tables import BLOCK, log_hashes

BANK = "XBO/reserves/central-bank"
FREIGHT = "XBO/expense/freight"

Write = tuple[str, int]
"""("post", n transactions) | ("open", n accounts) | ("audit", 1)."""

WRITES = st.lists(
    st.one_of(
        st.tuples(st.just("post"), st.integers(1, 300)),
        st.tuples(st.just("open"), st.integers(1, 3)),
        st.tuples(st.just("audit"), st.just(1)),
    ),
    min_size=1,
    max_size=6,
)
SETTINGS = settings(
    derandomize=True,
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated store with two accounts, closed (its WAL folded in) and ready to copy."""
    path = tmp_path_factory.mktemp("log-properties") / "template.db"
    store = Store(f"sqlite:///{path}")
    try:
        with store.unit_of_work(write=True) as uow:
            ledger.open_accounts(
                uow,
                [
                    LocatedAccount(AccountSpec(BANK, "USD", AccountKind.ASSET), "t", None),
                    LocatedAccount(AccountSpec(FREIGHT, "USD", AccountKind.EXPENSE), "t", None),
                ],
            )
    finally:
        store.close()
    return path


def fresh(template: Path, folder: Path) -> Store:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"store-{next(_STORES)}.db"
    shutil.copyfile(template, path)
    return Store(f"sqlite:///{path}")


_STORES = count()


def apply(store: Store, writes: list[Write]) -> None:
    """Each write in its own unit of work, committed."""
    ids = count()
    for what, n in writes:
        with store.unit_of_work(write=True) as uow:
            if what == "post":
                batch = []
                for _ in range(n):
                    i = next(ids)
                    cents = 100 + i
                    postings = (Posting(FREIGHT, cents, "USD"), Posting(BANK, -cents, "USD"))
                    txn = Transaction(
                        f"t{i}",
                        date(2020, 1, 1) + timedelta(days=i % 1000),
                        f"freight {i}",
                        postings,
                    )
                    batch.append(Located(txn, "w", None, (None, None)))
                ledger.post(uow, batch)
            elif what == "open":
                specs = [AccountSpec(f"XBO/extra/a{next(ids)}", "USD") for _ in range(n)]
                ledger.open_accounts(uow, [LocatedAccount(s, "w", None) for s in specs])
            else:
                access.record(uow, OPERATOR, "POST", "/api/v1/x", None, "0" * 64, 201, b"{}",
                              0, 0, "a write")  # fmt: skip
                uow.commit()


@SETTINGS
@given(writes=WRITES)
def test_the_stored_root_is_the_root_of_the_records(
    template: Path, tmp_path: Path, writes: list[Write]
) -> None:
    store = fresh(template, tmp_path)
    try:
        apply(store, writes)
        with store.unit_of_work() as uow:
            report = log_svc.verify_log(uow)
            frontier = Frontier()
            for entry in log_svc.entries(uow, 0, log_svc.MAX_ENTRIES):
                frontier.append(entry.entry)
            checkpoint = log_svc.checkpoint(uow)
    finally:
        store.close()
    expected = 2 + sum(n for _, n in writes)  # two accounts in the template
    assert frontier.size == report.size == checkpoint.size == expected
    assert frontier.root() == report.root == checkpoint.root_hash


@SETTINGS
@given(writes=WRITES, data=st.data())
def test_any_byte_of_any_stored_hash_changed_is_named(
    template: Path, tmp_path: Path, writes: list[Write], data: st.DataObject
) -> None:
    store = fresh(template, tmp_path)
    try:
        apply(store, writes)
        with store.unit_of_work(write=True) as uow:  # never committed
            size, _ = uow.log.head()
            index = data.draw(st.integers(0, stored_hash_count(size) - 1), label="stored hash")
            at = data.draw(st.integers(0, HASH_SIZE - 1), label="byte")
            flip = data.draw(st.integers(1, 255), label="xor")
            block, offset = divmod(index, BLOCK)
            conn = uow.connection
            row = bytearray(
                conn.execute(
                    select(log_hashes.c.hashes).where(log_hashes.c.block == block)
                ).scalar_one()
            )
            row[offset * HASH_SIZE + at] ^= flip
            conn.execute(
                update(log_hashes).where(log_hashes.c.block == block).values(hashes=bytes(row))
            )
            level, n = split_stored_hash_index(index)
            named = f"entry {n} (" if level == 0 else f"stored hash {index} "
            with pytest.raises(IntegrityError, match=named.replace("(", r"\(")):
                log_svc.verify_log(uow)
    finally:
        store.close()


@pytest.mark.parametrize("reader", ["log spans", "audit trail"])
def test_reading_the_log_leaves_the_unit_of_work_able_to_write(store: Store, reader: str) -> None:
    """A reader that streams must not leave its option on the unit of work's connection:
    on PostgreSQL (SQLAlchemy 2 sets a connection's options in place) every later
    statement would be sent as a server-side cursor, and an UPDATE fail with a syntax
    error (DECLARE … CURSOR FOR UPDATE) — a follower that reads the log and then writes,
    in one unit of work, would."""
    with store.unit_of_work(write=True) as uow:
        if reader == "log spans":
            list(uow.log.spans())
        else:
            list(uow.auth.iter_audit())
        uow.connection.execute(text("UPDATE log_head SET size = size"))
