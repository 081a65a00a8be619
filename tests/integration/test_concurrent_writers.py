"""Several processes posting at once break neither the hash chain nor a bound.

Four spawned OS processes, each with its own `Store`, wait on one event and then post
small withdrawals from one shared floor-0 pool, one transaction per unit of work, plus a
few transactions that every worker posts with the same id and content. The pool is funded
with about half of what the workers ask for, so many withdrawals must be refused. After
they finish: the chain verifies and has no gaps, exactly the accepted withdrawals (and
each shared transaction once) are stored, the pool holds its funding minus the accepted
withdrawals, and its balance was never below zero at any day-end. Runs on a SQLite file
and on a fresh PostgreSQL schema (the `store_url` fixture).
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import random
import sqlite3
import subprocess
import sys
import time
import traceback
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any, Literal, NamedTuple

from convenio.errors import InputError
from convenio.ledger import AccountSpec, Posting, Transaction
from convenio.ledger.parse import Located, LocatedAccount
from convenio.services import ledger as svc
from convenio.store import Store

WORKERS = 4
WITHDRAWALS = 50
"""Withdrawals per worker, each posted in a unit of work of its own."""
SHARED = 5
"""Transactions that every worker posts with the same id and content."""

FUND_DAY = date(2025, 1, 1)
POOL = "CUB/pool/USD"
SOURCE = "VEN/cash/USD"
ELSEWHERE = "VEN/fees/USD"
START_TIMEOUT = 120.0
"""Seconds to wait for the workers to open their stores, and then for all to finish."""

Message = tuple[str, int, Any]
"""What a worker sends back: ("ready" | "done" | "error", worker, payload)."""

Outcome = Literal["posted", "replayed", "refused"]


class Attempt(NamedTuple):
    """One post by a worker: what it sent, what the service answered, and when."""

    txn_id: str
    outcome: Outcome
    message: str
    started: float
    ended: float


def sink(worker: int) -> str:
    return f"VEN/received/w{worker}"


def withdrawals(worker: int) -> list[Transaction]:
    """A worker's withdrawals from the pool: small amounts on days around the funding day.

    About one in twenty is dated before the funding day, when the pool is still empty, so
    it can never be accepted.
    """
    rng = random.Random(f"withdrawals-{worker}")
    txns = []
    for i in range(WITHDRAWALS):
        before = rng.random() < 0.05
        day = FUND_DAY + timedelta(days=-rng.randint(1, 30) if before else rng.randint(0, 180))
        amount = rng.randint(1, 10_000)
        txns.append(
            Transaction(
                f"w{worker}-{i}",
                day,
                f"withdrawal {i} by worker {worker}",
                (Posting(POOL, -amount, "USD"), Posting(sink(worker), amount, "USD")),
                kind="payment",
            )
        )
    return txns


def shared() -> list[Transaction]:
    """Transactions that every worker posts: one of them records each, the rest replay."""
    return [
        Transaction(
            f"shared-{k}",
            FUND_DAY + timedelta(days=k),
            f"shared fee {k}",
            (Posting(SOURCE, -(k + 1), "USD"), Posting(ELSEWHERE, k + 1, "USD")),
        )
        for k in range(SHARED)
    ]


def worker_plan(worker: int) -> list[Transaction]:
    """A worker's posts in order: its withdrawals with the shared transactions between."""
    step = WITHDRAWALS // SHARED
    common = {k * step + worker: txn for k, txn in enumerate(shared())}
    plan = []
    for i, txn in enumerate(withdrawals(worker)):
        if i in common:
            plan.append(common[i])
        plan.append(txn)
    return plan


def funding() -> int:
    """About half of everything the workers will ask for (minor units)."""
    asked = sum(-t.postings[0].amount for w in range(WORKERS) for t in withdrawals(w))
    return asked // 2


def post_from_worker(url: str, worker: int, go: Event, out: Queue[Message]) -> None:
    """A worker process: open the store, say ready, wait for the start, post the plan."""
    try:
        store = Store(url)
        try:
            with store.unit_of_work() as uow:
                uow.ledger.ping()  # connect now, so that the start finds every worker ready
            out.put(("ready", worker, None))
            if not go.wait(START_TIMEOUT):
                raise RuntimeError("the start signal never came")
            attempts = []
            for txn in worker_plan(worker):
                started = time.time()
                with store.unit_of_work(write=True) as uow:
                    try:
                        result = svc.post(
                            uow, [Located(txn, f"worker {worker}", None, (None, None))]
                        )
                    except InputError as exc:
                        outcome: Outcome = "refused"
                        message = exc.render()
                    else:
                        outcome = "posted" if result.posted else "replayed"
                        message = ""
                attempts.append(Attempt(txn.id, outcome, message, started, time.time()))
        finally:
            store.close()
        out.put(("done", worker, attempts))
    except BaseException:
        out.put(("error", worker, traceback.format_exc()))


def run_workers(url: str) -> dict[int, list[Attempt]]:
    """Start the workers together and collect every worker's attempts."""
    ctx = multiprocessing.get_context("spawn")
    go = ctx.Event()
    out: Queue[Message] = ctx.Queue()
    processes = [
        ctx.Process(target=post_from_worker, args=(url, w, go, out), name=f"writer-{w}")
        for w in range(WORKERS)
    ]
    for p in processes:
        p.start()
    results: dict[int, list[Attempt]] = {}
    ready = 0
    deadline = time.monotonic() + START_TIMEOUT
    try:
        while len(results) < WORKERS:
            try:
                kind, worker, payload = out.get(timeout=1.0)
            except queue.Empty:
                dead = [p.name for p in processes if p.exitcode not in (None, 0)]
                assert not dead, f"{', '.join(dead)} died without a word"
                assert time.monotonic() < deadline, (
                    f"workers stalled: {ready} ready, {len(results)} done"
                )
                continue
            if kind == "error":
                raise AssertionError(f"worker {worker} failed:\n{payload}")
            if kind == "ready":
                ready += 1
                if ready == WORKERS:
                    go.set()
                    deadline = time.monotonic() + START_TIMEOUT
            else:
                results[worker] = payload
        for p in processes:
            p.join(START_TIMEOUT)
            assert p.exitcode == 0, f"{p.name} exited with {p.exitcode}"
    finally:
        for p in processes:
            if p.is_alive():
                p.terminate()
                p.join()
        out.close()
        out.join_thread()
    return results


def day_end_balances(txns: Iterable[Transaction], account: str) -> list[tuple[date, int]]:
    """The balance of `account` at the end of every day on which it has postings."""
    by_day: dict[date, int] = defaultdict(int)
    for txn in txns:
        for p in txn.postings:
            if p.account == account:
                by_day[txn.date] += p.amount
    balance, ends = 0, []
    for day in sorted(by_day):
        balance += by_day[day]
        ends.append((day, balance))
    return ends


def lowest(txns: Sequence[Transaction], account: str) -> int:
    return min((b for _, b in day_end_balances(txns, account)), default=0)


def test_concurrent_writers_keep_chain_and_floor(store_url: str) -> None:
    fund = funding()
    store = Store(store_url)
    try:
        with store.unit_of_work(write=True) as uow:
            specs = [
                AccountSpec(SOURCE, "USD"),
                AccountSpec(ELSEWHERE, "USD"),
                AccountSpec(POOL, "USD", floor=0),
                *(AccountSpec(sink(w), "USD") for w in range(WORKERS)),
            ]
            svc.open_accounts(uow, [LocatedAccount(s, "setup", None) for s in specs])
        funding_txn = Transaction(
            "fund",
            FUND_DAY,
            "funding of the pool",
            (Posting(SOURCE, -fund, "USD"), Posting(POOL, fund, "USD")),
        )
        with store.unit_of_work(write=True) as uow:
            svc.post(uow, [Located(funding_txn, "setup", None, (None, None))])

        results = run_workers(store_url)

        # The workers really overlapped: each started before any of them finished.
        assert max(a[0].started for a in results.values()) < min(
            a[-1].ended for a in results.values()
        )
        attempts = [a for w in range(WORKERS) for a in results[w]]
        by_id = {t.id: t for w in range(WORKERS) for t in worker_plan(w)}
        accepted = {a.txn_id for a in attempts if a.outcome == "posted"}
        refused = [a for a in attempts if a.outcome == "refused"]
        taken = {i for i in accepted if not i.startswith("shared-")}

        for a in refused:
            assert not a.txn_id.startswith("shared-"), a.message
            assert "below its floor" in a.message, a.message
        for txn in shared():  # recorded by exactly one worker, replayed by the others
            outcomes = sorted(a.outcome for a in attempts if a.txn_id == txn.id)
            assert outcomes == ["posted"] + ["replayed"] * (WORKERS - 1), txn.id
        assert taken and refused, "the funding should admit some withdrawals, not all"

        with store.unit_of_work() as uow:
            report = svc.verify(uow)
            records = list(uow.ledger.iter_recorded())
            pool_balance = svc.account_balance(uow, POOL)
            ends = day_end_balances([r.txn for r in records], POOL)
            stored_ends = [(d, svc.account_balance(uow, POOL, as_of=d)) for d, _ in ends]

        stored = [r.txn for r in records]
        assert [r.seq for r in records] == list(range(1, len(records) + 1))
        assert report.transactions == report.head_seq == len(records) == 1 + len(accepted)
        assert {t.id for t in stored} == {"fund"} | accepted
        assert all(t == by_id[t.id] for t in stored if t.id != "fund")
        assert [r.recorded_at for r in records] == sorted(r.recorded_at for r in records)

        withdrawn = sum(-by_id[i].postings[0].amount for i in taken)
        assert pool_balance == fund - withdrawn
        assert pool_balance >= 0
        assert stored_ends == ends
        assert all(balance >= 0 for _, balance in ends), ends
        # Only withdrawals happened after the funding, so a refused one would still break
        # the floor on top of the final ledger: none was refused without cause.
        for a in refused:
            assert lowest([*stored, by_id[a.txn_id]], POOL) < 0, a.txn_id
    finally:
        store.close()


# -- the command line: parse and check before the lock, wait for it, give up with exit 5 --

CLI = [sys.executable, "-c", "from convenio.cli.main import main; main()"]
JOURNAL_HEADER = "txn_id,date,account,amount,unit,description\n"


def cli_env(data: Path, wait: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVENIO_")}
    env.update(CONVENIO_DATA_DIR=str(data), CONVENIO_DATABASE_URL="", COLUMNS="1000")
    env["CONVENIO_WRITE_WAIT"] = str(wait)
    return env


def journal(path: Path, prefix: str, count: int, account: str = SOURCE) -> Path:
    rows = [JOURNAL_HEADER]
    for i in range(count):
        day = FUND_DAY + timedelta(days=i % 365)
        rows.append(f"{prefix}{i},{day},{account},-{i + 1}.00,USD,t{i}\n")
        rows.append(f"{prefix}{i},{day},{ELSEWHERE},{i + 1}.00,USD,\n")
    path.write_text("".join(rows))
    return path


def cli_store(tmp_path: Path) -> tuple[Path, sqlite3.Connection]:
    """An embedded store with the two accounts, and a raw connection to its file."""
    data = tmp_path / "data"
    store = Store(f"sqlite:///{data / 'convenio.db'}")
    try:
        with store.unit_of_work(write=True) as uow:
            specs = [AccountSpec(SOURCE, "USD"), AccountSpec(ELSEWHERE, "USD")]
            svc.open_accounts(uow, [LocatedAccount(s, "setup", None) for s in specs])
    finally:
        store.close()
    raw = sqlite3.connect(data / "convenio.db", isolation_level=None)
    return data, raw


def stored_transactions(raw: sqlite3.Connection) -> int:
    return int(raw.execute("SELECT count(*) FROM transactions").fetchone()[0])


def test_a_post_waits_for_the_writer_before_it_says_so_once_and_then_posts(
    tmp_path: Path,
) -> None:
    data, raw = cli_store(tmp_path)
    path = journal(tmp_path / "j.csv", "a", 50)
    raw.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    post = subprocess.Popen(
        [*CLI, "ledger", "post", str(path)],
        env=cli_env(data, 600),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert post.stderr is not None
        first = post.stderr.readline()  # blocks until the post says that it waits
        assert first.strip() == "waiting for another writer…"
        assert stored_transactions(raw) == 0
        raw.execute("COMMIT")
        out, err = post.communicate(timeout=START_TIMEOUT)
    finally:
        if post.poll() is None:
            post.kill()
            post.wait()
    assert post.returncode == 0, err
    assert "posted 50 transaction(s)" in out and "waiting" not in err
    assert stored_transactions(raw) == 50


def test_a_post_that_never_gets_the_lock_exits_5_with_advice_and_writes_nothing(
    tmp_path: Path,
) -> None:
    data, raw = cli_store(tmp_path)
    path = journal(tmp_path / "j.csv", "a", 50)
    raw.execute("BEGIN IMMEDIATE")
    try:
        done = subprocess.run(
            [*CLI, "ledger", "post", str(path)],
            check=False,
            env=cli_env(data, 1),
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT,
        )
    finally:
        raw.execute("ROLLBACK")
    assert done.returncode == 5, done.stderr
    err = " ".join(done.stderr.split())
    assert err.count("waiting for another writer…") == 1
    assert f"another convenio process is writing to {data / 'convenio.db'}; try again" in err
    assert "Traceback" not in err
    assert stored_transactions(raw) == 0


def test_a_bad_journal_is_refused_while_another_writer_holds_the_lock(tmp_path: Path) -> None:
    """Parsed and checked before the lock: with no wait at all, exit 2, not 5."""
    data, raw = cli_store(tmp_path)
    malformed = tmp_path / "bad.csv"
    malformed.write_text(JOURNAL_HEADER + "b1,2025-13-01,VEN/cash/USD,1.00,USD,x\n")
    unknown = journal(tmp_path / "unknown.csv", "u", 3, account="VEN/nowhere/USD")
    raw.execute("BEGIN IMMEDIATE")
    try:
        results = [
            subprocess.run(
                [*CLI, "ledger", "post", str(p)],
                check=False,
                env=cli_env(data, 0),
                capture_output=True,
                text=True,
                timeout=START_TIMEOUT,
            )
            for p in (malformed, unknown)
        ]
    finally:
        raw.execute("ROLLBACK")
    for done in results:
        assert done.returncode == 2, done.stderr
        assert "waiting" not in done.stderr and "Traceback" not in done.stderr
    assert "bad.csv:2: date" in results[0].stderr
    assert "unknown.csv:2" in results[1].stderr and "VEN/nowhere/USD" in results[1].stderr


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
LOADS = {
    "ledger open --file": ("ledger", "open", "--file"),
    "prices load": ("prices", "load"),
    "deliveries load": ("deliveries", "load"),
    "payments load": ("payments", "load"),
    "orgunits load": ("orgunits", "load"),
    "data import": ("data", "import"),
    "cooperants load": ("cooperants", "load"),
    "deployments load": ("deployments", "load"),
    "cases load": ("cases", "load"),
}


def test_every_loader_checks_its_file_before_it_takes_the_lock(tmp_path: Path) -> None:
    """With another writer holding the lock and no wait at all, a malformed file of any
    loader is refused as input (exit 2), and a good one cannot be written (exit 5): the
    file was read and checked first, the lock taken only to write."""
    data, raw = cli_store(tmp_path)
    env = cli_env(data, 0)
    terms = subprocess.run(
        [*CLI, "terms", "load", str(EXAMPLES / "tutorial.yaml")],
        check=False, env=env, capture_output=True, text=True, timeout=START_TIMEOUT,
    )  # fmt: skip
    assert terms.returncode == 0, terms.stderr
    malformed = tmp_path / "malformed.csv"
    malformed.write_text("no_such_column\nx\n")
    raw.execute("BEGIN IMMEDIATE")
    try:
        refused = {
            name: subprocess.run(
                [*CLI, *args, str(malformed)],
                check=False,
                env=env,
                capture_output=True,
                text=True,
                timeout=START_TIMEOUT,
            )
            for name, args in LOADS.items()
        }
        good = subprocess.run(
            [*CLI, "prices", "load", str(EXAMPLES / "prices.csv")],
            check=False, env=env, capture_output=True, text=True, timeout=START_TIMEOUT,
        )  # fmt: skip
    finally:
        raw.execute("ROLLBACK")
    for name, done in refused.items():
        assert done.returncode == 2, (name, done.stderr)
        assert "malformed.csv" in done.stderr and "Traceback" not in done.stderr, name
    assert good.returncode == 5, good.stderr
    assert "another convenio process is writing to" in " ".join(good.stderr.split())


def test_concurrent_cli_posts_all_succeed_and_the_chain_verifies(tmp_path: Path) -> None:
    data, raw = cli_store(tmp_path)
    count, writers = 2_000, 4
    paths = [journal(tmp_path / f"j{w}.csv", f"w{w}-", count) for w in range(writers)]
    posts = [
        subprocess.Popen(
            [*CLI, "ledger", "post", str(p)],
            env=cli_env(data, 600),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in paths
    ]
    outcomes = [p.communicate(timeout=START_TIMEOUT * 4) for p in posts]
    for post, (out, err) in zip(posts, outcomes, strict=True):
        assert post.returncode == 0, err
        assert f"posted {count} transaction(s)" in out
    assert stored_transactions(raw) == count * writers
    verified = subprocess.run(
        [*CLI, "ledger", "verify"],
        check=False,
        env=cli_env(data, 0),
        capture_output=True,
        text=True,
    )
    assert verified.returncode == 0, verified.stderr
    assert f"{count * writers:,} transaction(s) verified" in verified.stdout
