"""Migration 0006 logs a store written before the log existed, on SQLite and PostgreSQL
(and 0007, the statements' sign-offs, goes and comes back; see the end).

A store at revision 0005 cannot be filled through today's services (they write to the
log), so it is made the other way round: a full store built through the services (see
`test_log_tamper.build_store`), then brought back to 0005 — by Alembic's downgrade, or
by hand as an old store would look (the log's tables absent, `alembic_version` 0005).
Opening it with `Store` migrates it: every record is logged, once, and the store
verifies.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text

from convenio.log import b64, check_record, leaf_hash
from convenio.log.records import ACCOUNT, AUDIT, REOPEN, RUN, SIGNOFF, TERMS, TXN
from convenio.services import ledger, signoffs
from convenio.services import log as log_svc
from convenio.store import Store
from convenio.store.auth_tables import audit_log
from convenio.store.engine import HEAD_REVISION, WRITE, alembic_config, revision_of
from convenio.store.financing_tables import settlement_runs, terms_documents
from convenio.store.log_repo import LogRepository
from convenio.store.tables import accounts, transactions
from tests.integration.test_log_tamper import (
    RUN_2,
    VEN_COMMISSION,
    build_store,
    empty_log,
    write_files,
)

LOG_TABLES = ("checkpoints", "party_keys", "log_hashes", "log_spans", "log_head")
LATER_TABLES = ("statement_signoffs",)
"""Tables of revisions after 0006, which a store at 0005 does not have either."""


def records(store: Store) -> dict[str, int]:
    """How many records of each kind the store holds (what its log must hold)."""
    r = settlement_runs.c
    queries = {
        ACCOUNT: select(func.count()).select_from(accounts),
        TERMS: select(func.count()).select_from(terms_documents),
        TXN: select(func.count()).select_from(transactions),
        RUN: select(func.count()).select_from(settlement_runs),
        REOPEN: select(func.count()).where(r.reversed_at.is_not(None)),
        AUDIT: select(func.count()).select_from(audit_log),
    }
    with store.engine.connect() as conn:
        return {kind: int(conn.execute(q).scalar_one()) for kind, q in queries.items()}


def built(url: str, tmp_path: Path) -> tuple[dict[str, int], str]:
    """A full store at `url`: its records by kind, and the root of its log as the
    migration's backfill builds it from them (the log rebuilt in place, then rolled back)."""
    store = Store(url)
    try:
        build_store(store, write_files(tmp_path / "files"))
        with store.unit_of_work(write=True) as uow:
            empty_log(uow.connection)
            LogRepository(uow.connection).backfill()
            _, root = uow.log.head()
        return records(store), b64(root)
    finally:
        store.close()


def to_0005_by_hand(url: str) -> None:
    """The store as revision 0005 left it: no log tables, the revision set back."""
    store = Store(url)
    try:
        with store.engine.begin() as conn:
            for table in LATER_TABLES + LOG_TABLES:
                conn.execute(text(f"DROP TABLE {table}"))
            conn.execute(text("UPDATE alembic_version SET version_num = '0005'"))
    finally:
        store.close()


def to_0005_by_alembic(url: str) -> None:
    downgrade(url, "0005")


def downgrade(url: str, revision: str) -> None:
    from alembic import command

    store = Store(url)
    try:
        with store.engine.connect() as plain:
            conn = plain.execution_options(**{WRITE: True})
            with conn.begin():
                command.downgrade(alembic_config(conn), revision)
    finally:
        store.close()


def assert_at_0005(url: str) -> None:
    store = Store(url, auto_migrate=False)
    try:
        with store.engine.connect() as conn:
            assert revision_of(conn) == "0005"
            tables = set(inspect(conn).get_table_names())
        assert tables.isdisjoint(LOG_TABLES + LATER_TABLES)
        assert {"transactions", "audit_log", "settlement_runs"} <= tables
    finally:
        store.close()


def assert_logged_on_open(url: str, expected: dict[str, int], root: str) -> None:
    """Opening the store migrates it: every record logged once, in the backfill's order
    (the same root), and the store verifies, with proofs that check."""
    store = Store(url)
    try:
        with store.unit_of_work() as uow:
            assert revision_of(uow.connection) == HEAD_REVISION
            report = ledger.verify(uow)
            logged = uow.log.logged()
            proof = log_svc.inclusion_of(uow, TXN, "f7")
            entry = log_svc.entries(uow, proof.index, 1)[0].entry
        assert {k: v for k, v in expected.items() if v} == logged
        assert report.log_size == sum(expected.values())
        assert report.log_root == root
        assert leaf_hash(entry) == proof.leaf_hash
        check_record(proof.hashes, proof.tree_size, proof.root_hash, proof.index, proof.leaf_hash)
    finally:
        store.close()


def test_a_store_from_before_the_log_is_logged_when_opened(store_url: str, tmp_path: Path) -> None:
    expected, root = built(store_url, tmp_path)
    assert expected[RUN] == 2 and expected[REOPEN] == 1 and expected[AUDIT] == 1
    to_0005_by_hand(store_url)
    assert_at_0005(store_url)
    assert_logged_on_open(store_url, expected, root)


def test_the_log_migration_downgrades_and_upgrades_again(store_url: str, tmp_path: Path) -> None:
    expected, root = built(store_url, tmp_path)
    to_0005_by_alembic(store_url)
    assert_at_0005(store_url)
    # The ledger of 0005 is whole without its log: its own chain still verifies.
    store = Store(store_url, auto_migrate=False)
    try:
        with store.engine.connect() as conn:
            head = conn.execute(text("SELECT seq FROM ledger_head")).scalar_one()
        assert head == expected[TXN]
    finally:
        store.close()
    assert_logged_on_open(store_url, expected, root)


def test_a_store_written_through_the_services_logs_every_record_once(
    store_url: str, tmp_path: Path
) -> None:
    """The same counts without a migration: each service logs what it writes, and opening
    the store again (at the newest revision) logs nothing more."""
    expected, _ = built(store_url, tmp_path)
    for _ in range(2):
        store = Store(store_url)
        try:
            with store.unit_of_work() as uow:
                assert uow.log.logged() == {k: v for k, v in expected.items() if v}
        finally:
            store.close()


# -- 0007: the statements' sign-offs ------------------------------------------------------


def test_the_signoffs_migration_downgrades_and_upgrades_again(
    store_url: str, tmp_path: Path
) -> None:
    """0007 → 0006 → 0007 on a store without sign-offs: the table goes and comes back,
    the log is untouched, and a sign-off is then written, logged and verified."""
    expected, _ = built(store_url, tmp_path)
    store = Store(store_url)
    try:
        with store.unit_of_work() as uow:
            before = ledger.verify(uow).log_root
    finally:
        store.close()
    downgrade(store_url, "0006")
    store = Store(store_url, auto_migrate=False)
    try:
        with store.engine.connect() as conn:
            assert revision_of(conn) == "0006"
            assert "statement_signoffs" not in inspect(conn).get_table_names()
    finally:
        store.close()
    store = Store(store_url)
    try:
        with store.unit_of_work() as uow:
            assert revision_of(uow.connection) == HEAD_REVISION == "0007"
            assert uow.log.logged() == {k: v for k, v in expected.items() if v}
            assert ledger.verify(uow).log_root == before
        with store.unit_of_work(write=True) as uow:
            signoffs.sign_off(uow, RUN_2, VEN_COMMISSION)
        with store.unit_of_work() as uow:
            assert ledger.verify(uow).log_size == sum(expected.values()) + 1
            assert uow.log.logged()[SIGNOFF] == 1
    finally:
        store.close()


def test_a_store_that_holds_signoffs_does_not_go_back_to_0006(
    store_url: str, tmp_path: Path
) -> None:
    store = Store(store_url)
    try:
        build_store(store, write_files(tmp_path / "files"), signed=True)
    finally:
        store.close()
    with pytest.raises(RuntimeError, match="holds 1 logged sign-off"):
        downgrade(store_url, "0006")
    store = Store(store_url)
    try:
        with store.unit_of_work() as uow:
            assert revision_of(uow.connection) == "0007"
            assert uow.log.logged()[SIGNOFF] == 1
            ledger.verify(uow)
    finally:
        store.close()
