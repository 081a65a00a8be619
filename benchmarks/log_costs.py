"""Benchmark: what the transparency log costs — on `ledger post`, on proofs at 10 M
entries, on verifying a store of 1 M transactions (embedded SQLite store).

    python benchmarks/log_costs.py [--only post|proofs|replica]
        [--transactions 20000] [--reps 5]      # post: with and without the log
        [--entries 10000000] [--proofs 1000]   # proofs
        [--replica 1000000]                    # replica

- **post**: the same journals posted through `services.ledger.post_file` (what `convenio
  ledger post FILE` runs) into fresh stores, with the log and with
  `LogRepository.append` replaced by a no-op, alternately in the same run, `--reps`
  times: one file of N transactions, N/1,000 files of 1,000, and 200 files of one.
  Medians of wall and CPU time and their ratios, and the CPU time spent inside
  `LogRepository.append` in the runs with the log (its share, and per post).
- **proofs**: a store's `log_hashes` filled directly for `--entries` synthetic entries
  (a `Frontier` over them, rows of 256 hashes inserted in bulk; no records, no spans),
  then `--proofs` inclusion proofs of random entries in the whole tree and consistency
  proofs between random sizes: the proof alone (`prove_record` / `prove_tree` over
  `LogRepository.read_hashes`) and what `convenio proof` asks of the service
  (`services.log.inclusion` / `consistency`: the leaf, both roots and the proof), each
  checked with `check_record` / `check_tree` outside the timing. Median and p99.
- **replica**: a store of `--replica` transactions posted through `services.ledger.post`
  in batches of 100,000, then `services.log.verify_log` (every entry recomputed from
  its record, every stored hash and the root) and the whole `services.ledger.verify`
  timed once: entries per second.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from convenio.ledger import AccountSpec, Posting, Transaction
from convenio.ledger.model import AccountKind
from convenio.ledger.parse import Located, LocatedAccount
from convenio.log import (
    Frontier,
    check_record,
    check_tree,
    prove_record,
    prove_tree,
    stored_hash_count,
    tree_hash,
)
from convenio.services import ledger
from convenio.services import log as log_svc
from convenio.store import Store
from convenio.store.log_repo import BLOCK, LogRepository

T = TypeVar("T")
ACCOUNTS = [f"XBO/acct-{i:02d}" for i in range(20)]
FLUSH_BLOCKS = 2_000
"""Rows of 256 hashes inserted at a time while filling the proofs' store."""


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.3f} ms"


def p99(values: list[float]) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * 0.99))]


def fresh_store(folder: Path, name: str) -> Store:
    path = folder / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    store = Store(f"sqlite:///{path}")
    with store.unit_of_work(write=True) as uow:
        specs = [AccountSpec(a, "USD", AccountKind.ASSET) for a in ACCOUNTS]
        ledger.open_accounts(uow, [LocatedAccount(s, "bench", None) for s in specs])
    return store


def transactions(first: int, count: int, seed: int) -> Iterator[Transaction]:
    rng = random.Random(seed)
    start = date(2000, 1, 1)
    for i in range(first, first + count):
        a, b = rng.sample(ACCOUNTS, 2)
        cents = rng.randrange(1, 10_000_000)
        yield Transaction(
            f"t{i}",
            start + timedelta(days=i % 9000),
            f"payment {i}",
            (Posting(a, cents, "USD"), Posting(b, -cents, "USD")),
        )


def write_journal(path: Path, first: int, count: int) -> Path:
    with path.open("w", encoding="utf-8") as out:
        out.write("txn_id,date,account,amount,unit,description\n")
        for t in transactions(first, count, seed=first):
            for p in t.postings:
                sign = "-" if p.amount < 0 else ""
                whole, cents = divmod(abs(p.amount), 100)
                out.write(f"{t.id},{t.date},{p.account},{sign}{whole}.{cents:02d},USD,"
                          f"{t.description}\n")  # fmt: skip
    return path


@contextmanager
def without_log() -> Iterator[None]:
    """`LogRepository.append` as a no-op: the writes without their log."""
    real = LogRepository.append

    def nothing(self: LogRepository, *args: object, **kwargs: object) -> int:
        return 0

    LogRepository.append = nothing  # type: ignore[method-assign]
    try:
        yield
    finally:
        LogRepository.append = real  # type: ignore[method-assign]


@contextmanager
def timing_log(spent: list[float]) -> Iterator[None]:
    """`LogRepository.append` as it is, its CPU time added to ``spent[0]``."""
    real = LogRepository.append

    def timed_append(self: LogRepository, *args: Any, **kwargs: Any) -> int:
        used = time.process_time()
        try:
            return real(self, *args, **kwargs)
        finally:
            spent[0] += time.process_time() - used

    LogRepository.append = timed_append  # type: ignore[method-assign]
    try:
        yield
    finally:
        LogRepository.append = real  # type: ignore[method-assign]


# -- (a) ledger post, with and without the log ---------------------------------------------


def post_costs(folder: Path, total: int, reps: int) -> None:
    journals = folder / "journals"
    journals.mkdir(exist_ok=True)
    shapes: dict[str, list[Path]] = {
        f"1 file of {total:,}": [write_journal(journals / "all.csv", 0, total)],
        f"{total // 1000} files of 1,000": [
            write_journal(journals / f"k{i}.csv", i * 1000, 1000) for i in range(total // 1000)
        ],
        "200 files of 1": [write_journal(journals / f"one{i}.csv", i, 1) for i in range(200)],
    }
    print(f"(a) ledger post: {reps} repetitions, with and without the log alternately;")
    print("    medians of the wall time and of this process's CPU time (the latter moves less")
    print("    when other processes share the machine)")
    print("    and, with the log, the CPU time spent in LogRepository.append itself")
    print(f"{'journal':<22} {'wall with':>10} {'without':>10} {'ratio':>7}"
          f" {'CPU with':>10} {'without':>10} {'ratio':>7} {'in append':>10}")  # fmt: skip
    for shape, files in shapes.items():
        wall: dict[bool, list[float]] = {True: [], False: []}
        cpu: dict[bool, list[float]] = {True: [], False: []}
        inside: list[float] = []
        warm = fresh_store(folder, "post")  # imports and caches warmed, not timed
        try:
            for path in files:
                with warm.unit_of_work(write=True, late_lock=True) as uow:
                    ledger.post_file(uow, path)
        finally:
            warm.close()
        for rep in range(reps):
            for logged in (True, False) if rep % 2 == 0 else (False, True):
                store = fresh_store(folder, "post")
                spent = [0.0]
                try:
                    with timing_log(spent) if logged else without_log():
                        started, used = time.perf_counter(), time.process_time()
                        for path in files:
                            with store.unit_of_work(write=True, late_lock=True) as uow:
                                ledger.post_file(uow, path)
                        wall[logged].append(time.perf_counter() - started)
                        cpu[logged].append(time.process_time() - used)
                    if logged:
                        inside.append(spent[0])
                finally:
                    store.close()
        w1, w0, c1, c0 = (statistics.median(t[k]) for t in (wall, cpu) for k in (True, False))
        share = statistics.median(inside)
        print(f"{shape:<22} {w1:>8.3f} s {w0:>8.3f} s {w1 / w0:>6.3f}×"
              f" {c1:>8.3f} s {c0:>8.3f} s {c1 / c0:>6.3f}× {share:>8.3f} s"
              f" ({share / c1:.1%}, {share / len(files) * 1000:.2f} ms a post)")  # fmt: skip


# -- (b) proofs at 10 M entries -----------------------------------------------------------


def fill_log(store: Store, entries: int) -> float:
    """`entries` synthetic entries' hashes written straight into `log_hashes`; seconds."""
    started = time.perf_counter()
    frontier = Frontier()
    data = bytearray()
    block = 0
    row_bytes = BLOCK * 32
    with store.engine.begin() as conn:
        insert = "INSERT INTO log_hashes (block, hashes) VALUES (?, ?)"
        conn.exec_driver_sql("DELETE FROM log_spans")  # the accounts' entries: replaced
        conn.exec_driver_sql("DELETE FROM log_hashes")

        def flush(final: bool) -> None:
            """Insert the full rows gathered (and the partial last one at the end)."""
            nonlocal block
            usable = len(data) if final else len(data) // row_bytes * row_bytes
            rows = [
                (block + i, bytes(data[at : at + row_bytes]))
                for i, at in enumerate(range(0, usable, row_bytes))
            ]
            if rows:
                conn.exec_driver_sql(insert, rows)
            block += usable // row_bytes
            del data[:usable]

        for n in range(entries):
            for h in frontier.append(b"synthetic entry %d" % n):
                data += h
            if len(data) >= FLUSH_BLOCKS * row_bytes:
                flush(final=False)
            if n and n % 1_000_000 == 0:
                print(f"    {n:,} entries hashed and stored", flush=True)
        flush(final=True)
        conn.exec_driver_sql(
            "UPDATE log_head SET size = ?, root = ?, frontier = ? WHERE id = 1",
            (entries, frontier.root().hex(), b"".join(frontier.subtrees())),
        )
    return time.perf_counter() - started


def timed(calls: list[Callable[[], T]]) -> tuple[list[float], list[T]]:
    """Each call timed alone; the seconds and the results."""
    seconds: list[float] = []
    results: list[T] = []
    for call in calls:
        started = time.perf_counter()
        results.append(call())
        seconds.append(time.perf_counter() - started)
    return seconds, results


def proof_costs(folder: Path, entries: int, proofs: int) -> None:
    store = fresh_store(folder, "proofs")
    try:
        print(f"(b) proofs: filling a log of {entries:,} entries")
        fill = fill_log(store, entries)
        size_mb = (folder / "proofs.db").stat().st_size / 1e6
        print(f"    filled in {fill:.1f} s; store {size_mb:,.1f} MB")
        rng = random.Random(7)
        indexes = [rng.randrange(entries) for _ in range(proofs)]
        pairs = [tuple(sorted(rng.sample(range(1, entries + 1), 2))) for _ in range(proofs)]
        with store.unit_of_work() as uow:
            reader = uow.log
            root = tree_hash(entries, reader)
            rows: list[tuple[str, list[float]]] = []
            t, paths = timed([partial(prove_record, entries, n, reader) for n in indexes])
            for n, path in zip(indexes, paths, strict=True):
                (leaf,) = reader.read_hashes([stored_hash_count(n)])
                check_record(path, entries, root, n, leaf)
            rows.append(("inclusion, prove_record", t))
            t, found = timed([partial(log_svc.inclusion, uow, n) for n in indexes])
            for p in found:
                check_record(p.hashes, p.tree_size, p.root_hash, p.index, p.leaf_hash)
            rows.append(("inclusion, services.log.inclusion", t))
            t, _ = timed([partial(prove_tree, b, a, reader) for a, b in pairs])
            rows.append(("consistency, prove_tree", t))
            t, consistent = timed([partial(log_svc.consistency, uow, a, b) for a, b in pairs])
            for c in consistent:
                check_tree(c.hashes, c.to_size, c.to_root, c.from_size, c.from_root)
            rows.append(("consistency, services.log.consistency", t))
        print(f"    {proofs:,} random proofs each, every one checked")
        print(f"    {'':<40} {'median':>12} {'p99':>12} {'max':>12}")
        for name, seconds in rows:
            print(f"    {name:<40} {ms(statistics.median(seconds)):>12} "
                  f"{ms(p99(seconds)):>12} {ms(max(seconds)):>12}")  # fmt: skip
    finally:
        store.close()


# -- (c) verifying a store of 1 M transactions ---------------------------------------------


def replica_costs(folder: Path, count: int) -> None:
    store = fresh_store(folder, "replica")
    try:
        print(f"(c) verify: posting {count:,} transactions in batches of 100,000")
        started = time.perf_counter()
        for first in range(0, count, 100_000):
            batch = [
                Located(t, "bench", None, (None, None))
                for t in transactions(first, min(100_000, count - first), seed=first)
            ]
            with store.unit_of_work(write=True) as uow:
                ledger.post(uow, batch)
        print(f"    posted in {time.perf_counter() - started:.1f} s")
        with store.unit_of_work() as uow:
            started = time.perf_counter()
            report = log_svc.verify_log(uow)
            log_seconds = time.perf_counter() - started
        with store.unit_of_work() as uow:
            started = time.perf_counter()
            ledger.verify(uow)
            all_seconds = time.perf_counter() - started
        size_mb = sum(p.stat().st_size for p in folder.glob("replica.db*")) / 1e6
        print(f"    store {size_mb:,.1f} MB; log of {report.size:,} entries")
        print(f"    services.log.verify_log   {log_seconds:8.1f} s  "
              f"{report.size / log_seconds:,.0f} entries/s")  # fmt: skip
        print(f"    services.ledger.verify    {all_seconds:8.1f} s  "
              f"(chain, totals, audit trail and log)")  # fmt: skip
    finally:
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["post", "proofs", "replica"], default=None)
    parser.add_argument("--transactions", type=int, default=20_000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--entries", type=int, default=10_000_000)
    parser.add_argument("--proofs", type=int, default=1_000)
    parser.add_argument("--replica", type=int, default=1_000_000)
    parser.add_argument("--dir", default=None, help="where the stores go (a disk)")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, SQLite (WAL)")
    with tempfile.TemporaryDirectory(prefix="convenio-log-", dir=args.dir) as tmp:
        folder = Path(tmp)
        if args.only in (None, "post"):
            post_costs(folder, args.transactions, args.reps)
        if args.only in (None, "proofs"):
            proof_costs(folder, args.entries, args.proofs)
        if args.only in (None, "replica"):
            replica_costs(folder, args.replica)
    return 0


if __name__ == "__main__":
    sys.exit(main())
