"""Sign-offs of settlement statements on SQLite and PostgreSQL: who may sign, once per
party, never a reopened run; each a row and a logged entry that `ledger verify` checks
(an altered or deleted row is named, and `convenio ledger verify` exits 4), and that a
replica followed from the log holds too."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import Executable, delete, text, update
from typer.testing import CliRunner

from convenio.auth import OPERATOR, Principal, Role
from convenio.cli.main import app
from convenio.errors import AccessError, ConflictError, IntegrityError, NotFoundError
from convenio.log.records import RUN, SIGNOFF, read_entry
from convenio.services import financing as fin
from convenio.services import ledger, replica, settlement, signoffs
from convenio.store import Store, UnitOfWork
from convenio.store.financing_repo import SignoffRow
from convenio.store.financing_tables import statement_signoffs
from tests.conftest import ConvenioEnv
from tests.integration.test_log_tamper import RUN_1, RUN_2, write_files

VEN = Principal("ven-commission", Role.COMMISSION, party="VEN")
CUB = Principal("cub-commission", Role.COMMISSION, party="CUB")
XBO = Principal("xbo-commission", Role.COMMISSION, party="XBO")
VEN_TREASURY = Principal("ven-treasury", Role.TREASURY, party="VEN")
AUDITOR = Principal("auditor", Role.AUDITOR)


def settled(store: Store, folder: Path, reopen: bool = False) -> None:
    """The tamper tests' quarter settled (run 1), and, if `reopen`, reopened (run 2)."""
    files = write_files(folder)

    def write(service: Callable[[UnitOfWork], object]) -> None:
        with store.unit_of_work(write=True) as uow:
            service(uow)

    write(lambda uow: fin.load_terms_file(uow, files / "terms.yaml", source="terms.yaml"))
    write(lambda uow: fin.load_prices(uow, files / "prices.csv"))
    write(lambda uow: fin.load_deliveries(uow, files / "deliveries.csv"))
    write(lambda uow: fin.load_payments(uow, files / "payments.csv"))
    write(lambda uow: settlement.run_settlement(uow, "2011Q4"))
    if reopen:
        write(lambda uow: fin.load_payments(uow, files / "late.csv"))
        write(lambda uow: settlement.run_settlement(uow, "2011Q4", reopen=True))


def logged(uow: UnitOfWork, kind: str, key: int | str) -> bytes:
    """The entry of record `key` of `kind` as the log holds it (recomputed from its row)."""
    index = uow.log.locate(kind, key)
    assert index is not None
    span = uow.log.span_at(index)
    assert span is not None
    return uow.log.entries(span, index, index + 1)[0]


def sign(store: Store, run_id: str, who: Principal) -> signoffs.Signoff:
    with store.unit_of_work(write=True) as uow:
        return signoffs.sign_off(uow, run_id, who)


def test_both_parties_sign_once_and_the_log_holds_each(store: Store, tmp_path: Path) -> None:
    settled(store, tmp_path)
    with store.unit_of_work() as uow:
        run = uow.financing.run(RUN_1)
        assert run is not None
        assert signoffs.signers_of(run) == ("VEN", "CUB")
        run_entry = logged(uow, RUN, RUN_1)
    first = sign(store, RUN_1, CUB)
    second = sign(store, RUN_1, VEN)
    # The digest is of the statement's bytes as the run's entry holds them.
    statement = run_entry.partition(b"\n")[2]
    start = statement.index(b'"statement":') + len(b'"statement":')
    held = statement[start : statement.index(b',"transactions":')]
    assert first.statement_digest == second.statement_digest == hashlib.sha256(held).hexdigest()
    assert (first.party, first.login, first.run_id) == ("CUB", "cub-commission", RUN_1)
    assert first.signed_at.endswith("+00:00") and len(first.signed_at) == 32
    with store.unit_of_work() as uow:
        done = signoffs.signoffs(uow, RUN_1)
        assert done == [first, second]
        assert signoffs.signoffs_of_runs(uow, [RUN_1, "nothing"]) == {
            RUN_1: [first, second],
            "nothing": [],
        }
        assert signoffs.awaiting(run, done) == []
        assert signoffs.awaiting(run, done[:1]) == ["VEN"]
        assert uow.log.logged()[SIGNOFF] == 2
        entry = read_entry(logged(uow, SIGNOFF, 2))
        assert (entry.kind, entry.key, entry.fields["party"]) == (SIGNOFF, 2, "VEN")
        ledger.verify(uow)
    with pytest.raises(ConflictError, match="VEN already signed off run"):
        sign(store, RUN_1, VEN)


def test_who_may_not_sign(store: Store, tmp_path: Path) -> None:
    settled(store, tmp_path)
    for who, message in [
        (XBO, "its signers are VEN and CUB"),
        (VEN_TREASURY, "may not settle"),
        (AUDITOR, "may not settle"),
        (OPERATOR, "a sign-off needs a commission user"),
    ]:
        with pytest.raises(AccessError, match=message):
            sign(store, RUN_1, who)
    with pytest.raises(NotFoundError, match="no settlement run 2011Q1:X:Y:1"):
        sign(store, "2011Q1:X:Y:1", VEN)
    with store.unit_of_work() as uow:
        assert signoffs.signoffs(uow, RUN_1) == []
        with pytest.raises(NotFoundError):
            signoffs.signoffs(uow, "2011Q1:X:Y:1")


def test_a_reopened_run_is_not_signed_its_replacement_is(store: Store, tmp_path: Path) -> None:
    settled(store, tmp_path, reopen=True)
    with pytest.raises(ConflictError, match=f"run {RUN_1} was reopened: sign the run that"):
        sign(store, RUN_1, VEN)
    assert sign(store, RUN_2, VEN).run_id == RUN_2


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (update(statement_signoffs).values(login="someone-else"), "differs from its record"),
        (update(statement_signoffs).values(digest="0" * 64), "differs from its record"),
        (delete(statement_signoffs), "its record is missing from the store"),
    ],
    ids=["login", "digest", "deleted"],
)
def test_an_altered_or_deleted_signoff_is_named(
    store: Store, tmp_path: Path, edit: Executable, said: str
) -> None:
    settled(store, tmp_path)
    sign(store, RUN_1, VEN)
    with store.unit_of_work() as uow:
        n = uow.log.locate(SIGNOFF, 1)
        ledger.verify(uow)
    with store.unit_of_work(write=True) as uow:
        uow.connection.execute(edit)
        with pytest.raises(IntegrityError, match=f"entry {n} \\(signoff 1\\)(:)? {said}"):
            ledger.verify(uow)


def test_ledger_verify_exits_4_naming_the_altered_signoff(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    store = Store(f"sqlite:///{data / 'convenio.db'}")
    try:
        settled(store, tmp_path / "files")
        sign(store, RUN_1, CUB)
        with store.unit_of_work() as uow:
            n = uow.log.locate(SIGNOFF, 1)
        with store.engine.begin() as conn:
            conn.execute(update(statement_signoffs).values(party="VEN"))
    finally:
        store.close()
    with ConvenioEnv(data, tmp_path):
        result = CliRunner().invoke(app, ["ledger", "verify"])
    assert result.exit_code == 4, result.output
    assert f"entry {n} (signoff 1) differs from its record" in " ".join(result.stderr.split())


def test_a_replica_holds_the_signoffs(store: Store, tmp_path: Path) -> None:
    settled(store, tmp_path / "files")
    first, second = sign(store, RUN_1, VEN), sign(store, RUN_1, CUB)
    export = tmp_path / "log.jsonl"
    with store.unit_of_work() as uow, export.open("w", encoding="utf-8") as out:
        head, items = replica.export(uow, 0)
        out.write(json.dumps(head.as_json()) + "\n")
        for item in items:
            out.write(json.dumps(item.as_json()) + "\n")
    copy = Store(f"sqlite:///{tmp_path / 'replica.db'}")
    try:
        with replica.open_source(str(export)) as src, copy.unit_of_work(write=True) as uow:
            replica.follow(uow, src)
        with copy.unit_of_work() as mine, store.unit_of_work() as theirs:
            assert mine.log.head() == theirs.log.head()
            assert signoffs.signoffs(mine, RUN_1) == [first, second]
            ledger.verify(mine)
    finally:
        copy.close()


def blocked_by(store: Store, holder: int) -> list[str]:
    """The queries of PostgreSQL's backends that wait for a lock backend `holder` holds."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT query FROM pg_stat_activity WHERE :holder = ANY(pg_blocking_pids(pid))"),
            {"holder": holder},
        )
        return [str(query) for (query,) in rows]


def test_a_signoff_waits_for_another_writer_then_finds_its_signoff(
    store: Store, tmp_path: Path
) -> None:
    """While another writer holds the lock and writes VEN's sign-off, a second VEN user's
    sign-off waits, then finds it: a ConflictError, not a duplicate row (the unique
    constraint is the last guard, never met).

    That it waits is seen, not assumed: on SQLite its store says so (`on_wait`, called once
    the database's lock has refused it for a while), on PostgreSQL its backend is among
    those blocked by the holder's; and it has not returned while the lock is held."""
    settled(store, tmp_path)
    outcomes: list[object] = []
    waits = threading.Event()
    # Its own store: on SQLite it queues on the database's lock, not on this store's gate.
    other = Store(store.url, auto_migrate=False, on_wait=waits.set)

    def attempt() -> None:
        try:
            outcomes.append(sign(other, RUN_1, Principal("ven-2", Role.COMMISSION, party="VEN")))
        except ConflictError as exc:
            outcomes.append(exc)

    waiting = threading.Thread(target=attempt, daemon=True)
    try:
        with store.unit_of_work(write=True) as uow:
            uow.log.lock()
            waiting.start()
            if store.engine.dialect.name == "sqlite":
                waits_now: Callable[[], object] = waits.is_set
            else:
                holder = uow.connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
                waits_now = partial(blocked_by, store, holder)
            deadline = time.monotonic() + 30
            while not waits_now():
                assert waiting.is_alive(), f"the second signer did not wait: {outcomes}"
                assert time.monotonic() < deadline, "the second signer never waited for the lock"
                waiting.join(timeout=0.01)  # poll: returns at once if it ends
            assert waiting.is_alive() and outcomes == []  # blocked: it has not returned
            run = uow.financing.run(RUN_1)
            assert run is not None
            uow.financing.add_signoff(
                SignoffRow(RUN_1, "VEN", "ven-commission", 1, signoffs.statement_digest(run))
            )
            uow.commit()
        waiting.join(timeout=60)
        assert not waiting.is_alive(), "the second signer is still waiting after the commit"
    finally:
        if waiting.is_alive():  # a failed check above: the lock is released by now
            waiting.join(timeout=60)
        other.close()
    assert [type(o) for o in outcomes] == [ConflictError]
    with store.unit_of_work() as uow:
        assert [s.login for s in signoffs.signoffs(uow, RUN_1)] == ["ven-commission"]
        ledger.verify(uow)
