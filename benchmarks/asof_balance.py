"""Benchmark: the as-of balance of one account with millions of postings stored.

    python benchmarks/asof_balance.py --postings 10000000 [--url sqlite:///path.db]

Fills a fresh store through the posting service (batches of 250,000 transactions, each
moving an amount between the hot account and one of 50 others over 20 years), then times
`account_balance` as of random dates — and, side by side, the plain `SUM` over the
account's postings that a store without derived totals would run.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import text

from convenio.ledger import AccountKind, AccountSpec, Posting, Transaction
from convenio.ledger.parse import Located, LocatedAccount
from convenio.services import ledger as svc
from convenio.store import Store

HOT = "VEN/claims/oil/CUB"
BATCH = 250_000


def fill(store: Store, postings: int, seed: int) -> float:
    rng = random.Random(seed)
    others = [f"CUB/account-{i:02d}" for i in range(50)]
    with store.unit_of_work(write=True) as uow:
        specs = [AccountSpec(HOT, "USD", AccountKind.ASSET)] + [
            AccountSpec(name, "USD", AccountKind.LIABILITY) for name in others
        ]
        svc.open_accounts(uow, [LocatedAccount(s, "bench", None) for s in specs])
    start = date(2000, 1, 1)
    days = 20 * 365
    started = time.perf_counter()
    n = 0
    while n < postings:
        batch = []
        for _ in range(min(BATCH, postings - n)):
            amount = rng.randrange(1, 10_000_000)
            day = start + timedelta(days=rng.randrange(days))
            txn = Transaction(
                f"t{n}",
                day,
                "bench",
                (Posting(HOT, amount, "USD"), Posting(rng.choice(others), -amount, "USD")),
            )
            batch.append(Located(txn, "bench", None, (None, None)))
            n += 1
        with store.unit_of_work(write=True) as uow:
            svc.post(uow, batch)
        print(f"  {n:,} postings to {HOT} stored ({time.perf_counter() - started:.0f} s)")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postings", type=int, default=10_000_000)
    parser.add_argument("--url", default="", help="store URL (default: a temporary SQLite file)")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'asof.db'}"
        store = Store(url)
        fill_seconds = fill(store, args.postings, args.seed)
        rng = random.Random(args.seed + 1)
        dates = [date(2000, 1, 1) + timedelta(days=rng.randrange(20 * 365)) for _ in range(50)]
        ours, naive = [], []
        with store.unit_of_work() as uow:
            account_id = uow.ledger.account_ids()[HOT]
            for i in range(args.queries):
                day = dates[i % len(dates)]
                t = time.perf_counter()
                balance = svc.account_balance(uow, HOT, as_of=day)
                ours.append(time.perf_counter() - t)
                if i < 5:
                    t = time.perf_counter()
                    reference = uow.connection.execute(
                        text(
                            "SELECT COALESCE(SUM(p.amount), 0) FROM postings p "
                            "JOIN transactions t ON t.seq = p.txn_seq "
                            "WHERE p.account_id = :a AND t.date <= :d"
                        ),
                        {"a": account_id, "d": day},
                    ).scalar_one()
                    naive.append(time.perf_counter() - t)
                    assert int(reference) == balance, (day, reference, balance)
        store.close()
    ms = sorted(x * 1000 for x in ours)
    print(
        f"store: {url.split(':')[0]}, {args.postings:,} postings on {HOT}, filled in "
        f"{fill_seconds:.0f} s"
    )
    print(
        f"as-of balance (derived totals): median {statistics.median(ms):.2f} ms, "
        f"p95 {ms[int(len(ms) * 0.95) - 1]:.2f} ms, max {ms[-1]:.2f} ms over {len(ms)} queries"
    )
    print(
        f"as-of balance (plain SUM over postings): median "
        f"{statistics.median(naive) * 1000:.0f} ms over {len(naive)} queries "
        "(same balances)"
    )


if __name__ == "__main__":
    main()
