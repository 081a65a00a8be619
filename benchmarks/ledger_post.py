"""Benchmark: post a generated journal into a fresh embedded store, then read balances,
side by side with ledger-cli reading the same journal.

    python benchmarks/ledger_post.py --transactions 250000 --accounts 200

Prints the timings of each step and of `ledger -f FILE bal` (and of `hledger` and
`bean-check` where installed), and checks that every tool reports the same balances.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

PARTIES = ["VEN", "CUB", "VEN.PDVSA", "CUB.BNC", "BOL", "NIC", "JAM", "DOM"]


def generate(dir_: Path, n_txns: int, n_accounts: int, seed: int) -> tuple[Path, Path, Path]:
    """Accounts CSV, convenio journal CSV and the same journal in ledger-cli format."""
    rng = random.Random(seed)
    accounts = [f"{PARTIES[i % len(PARTIES)]}/acct-{i:03d}/sub{i % 7}" for i in range(n_accounts)]
    acc_csv = dir_ / "accounts.csv"
    acc_csv.write_text("account,unit\n" + "".join(f"{a},USD\n" for a in accounts), encoding="utf-8")
    journal = dir_ / "journal.csv"
    ledger_file = dir_ / "journal.ledger"
    start = date(2000, 1, 1)
    with journal.open("w", encoding="utf-8") as out, ledger_file.open("w") as led:
        out.write("txn_id,date,account,amount,unit,description\n")
        for i in range(n_txns):
            day = (start + timedelta(days=i * 5800 // n_txns)).isoformat()
            a, b = rng.sample(accounts, 2)
            cents = rng.randrange(1, 10_000_000)
            amount = f"{cents // 100}.{cents % 100:02d}"
            out.write(f"t{i},{day},{a},{amount},USD,payment {i}\n")
            out.write(f"t{i},{day},{b},-{amount},USD,payment {i}\n")
            led.write(
                f"{day} payment {i}\n    {a.replace('/', ':')}  {amount} USD\n"
                f"    {b.replace('/', ':')}  -{amount} USD\n\n"
            )
    return acc_csv, journal, ledger_file


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return elapsed, proc.stdout


def ledger_balances(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        account, _, amount = line.partition("\t")
        if account:
            out[account.replace(":", "/")] = amount.replace(" USD", "").replace(",", "")
    return out


def compare_balances(ours: dict[str, str], theirs: dict[str, str]) -> list[str]:
    """The accounts whose balance differs between convenio's (every account, zero ones
    included) and ledger-cli's (non-zero ones only), one line each; empty when they agree."""
    nonzero = {k: v for k, v in ours.items() if v.strip("-0.")}
    return [
        f"{account}: convenio {nonzero.get(account, '0')}, ledger-cli {theirs.get(account, '0')}"
        for account in sorted(nonzero.keys() | theirs.keys())
        if nonzero.get(account) != theirs.get(account)
    ]


def main() -> int:
    """Run the benchmark; 1 when ledger-cli's balances differ from convenio's."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=250_000)
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    convenio = shutil.which("convenio") or str(Path(sys.executable).parent / "convenio")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        acc_csv, journal, ledger_file = generate(work, args.transactions, args.accounts, args.seed)
        env = {**os.environ, "CONVENIO_DATA_DIR": str(work / "store"), "CONVENIO_DATABASE_URL": ""}
        print(
            f"journal: {args.transactions:,} transactions, {2 * args.transactions:,} postings, "
            f"{args.accounts} accounts, {journal.stat().st_size / 1e6:.1f} MB CSV"
        )
        t_init, _ = timed([convenio, "init"], env)
        t_open, _ = timed([convenio, "ledger", "open", "--file", str(acc_csv)], env)
        t_post, _ = timed([convenio, "ledger", "post", str(journal)], env)
        t_bal, out = timed([convenio, "ledger", "balances", "--json"], env)
        ours = {r["account"]: r["balance"] for r in json.loads(out)}
        t_verify, _ = timed([convenio, "ledger", "verify"], env)
        db = work / "store" / "convenio.db"
        size = sum(p.stat().st_size for p in db.parent.iterdir())
        rows = [
            ("convenio init + open accounts", t_init + t_open),
            ("convenio ledger post", t_post),
            ("convenio ledger balances", t_bal),
            ("convenio post + balances", t_post + t_bal),
            ("convenio ledger verify", t_verify),
        ]
        if shutil.which("ledger"):
            fmt = "%(account)\t%(display_total)\n"
            t_led, out = timed(
                ["ledger", "-f", str(ledger_file), "bal", "--flat", "--no-total", "-F", fmt]
            )
            differences = compare_balances(ours, ledger_balances(out))
            status = "BALANCES DIFFER" if differences else "same balances"
            rows.append((f"ledger-cli -f FILE bal ({status})", t_led))
        else:
            differences = []
            rows.append(("ledger-cli: not installed (apt-get install ledger)", float("nan")))
        print(f"store size: {size / 1e6:.1f} MB (SQLite, WAL)")
        width = max(len(name) for name, _ in rows)
        for name, seconds in rows:
            print(f"{name:<{width}}  {seconds:7.2f} s")
        for line in differences:
            print(f"differs: {line}", file=sys.stderr)
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
