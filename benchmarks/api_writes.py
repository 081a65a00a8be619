"""Benchmark: idempotent API writes per second, over a live server on the embedded store.

    python benchmarks/api_writes.py [--clients 8] [--requests 4000] [--batched 200]
                                    [--database-url postgresql://...]

Prepares a fresh store (the tutorial's terms, a treasury user of Boreal and its token),
starts `convenio serve` on a free loopback port, and has N client threads post payments
as fast as the server answers: first one payment per request, each with its own
Idempotency-Key (writes/s, latency p50/p99), then 100 payments per request (records/s).
Prints each figure beside the reference of issue 9 — Formance's ledger, "optimised for
1K writes/s" — and the moonshot of 5,000/s. The clients are plain keep-alive
`http.client` connections, so that the client costs as little as it can on the same
machine; they share its cores with the server, as a local client would.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from convenio.services import access
from convenio.services.financing import load_terms_file
from convenio.store import Store

TERMS = Path(__file__).resolve().parents[1] / "src" / "convenio" / "examples" / "tutorial.yaml"
CONVENIO = Path(sys.executable).with_name("convenio")
GOAL = 1_000  # writes/s: Formance's stated goal, issue 9's reference
MOONSHOT = 5_000


@dataclass
class Run:
    label: str
    requests: int
    records: int
    seconds: float
    latencies: list[float]


def prepare(url: str) -> str:
    """Terms and a treasury user of XBO in the store at `url`; its token."""
    store = Store(url)
    try:
        with store.unit_of_work(write=True) as uow:
            load_terms_file(uow, TERMS)
        with store.unit_of_work(write=True, late_lock=True) as uow:
            access.add_user(uow, "bench", "treasury", "XBO", None, "a long enough password")
        with store.unit_of_work(write=True, late_lock=True) as uow:
            issued, _ = access.issue_token(uow, "bench", None)
        return issued.text
    finally:
        store.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve(url: str, data_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CONVENIO_DATABASE_URL": url, "CONVENIO_DATA_DIR": str(data_dir)}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(CONVENIO), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    for _ in range(600):
        if proc.poll() is not None:
            sys.exit(f"convenio serve exited {proc.returncode}:\n{log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    sys.exit("convenio serve did not start")


def payment(tag: str, n: int) -> dict[str, str]:
    cents = 100 + n
    return {
        "payment_id": f"{tag}-{n}", "date": "2024-03-28", "payer": "XBO", "payee": "XAT",
        "amount": f"{cents // 100}.{cents % 100:02d}", "currency": "USD", "reference": "",
    }  # fmt: skip


def run(port: int, token: str, label: str, clients: int, requests: int, per_request: int) -> Run:
    """`requests` POST /api/v1/payments shared among `clients` threads."""
    tag = label.split(maxsplit=1)[0]  # ids and keys: visible ASCII, no spaces
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures: list[str] = []
    barrier = threading.Barrier(clients + 1)

    def client(c: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        mine = range(c, requests, clients)
        bodies = [
            json.dumps([payment(tag, r * per_request + k) for k in range(per_request)]).encode()
            for r in mine
        ]
        barrier.wait()
        for r, body in zip(mine, bodies, strict=True):
            headers = {
                "Authorization": f"Bearer {token}", "Content-Type": "application/json",
                "Idempotency-Key": f"{tag}-{r}",
            }  # fmt: skip
            started = time.perf_counter()
            conn.request("POST", "/api/v1/payments", body, headers)
            answer = conn.getresponse()
            text = answer.read()
            latencies[c].append(time.perf_counter() - started)
            if answer.status != 201:
                failures.append(f"{answer.status} {text[:300]!r}")
        conn.close()

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    if failures:
        sys.exit(f"{len(failures)} writes failed, first: {failures[0]}")
    flat = [x for per in latencies for x in per]
    return Run(label, requests, requests * per_request, seconds, flat)


def report(result: Run, unit: str) -> None:
    rate = result.records / result.seconds
    cuts = statistics.quantiles(result.latencies, n=100)
    print(
        f"{result.label:<22} {result.requests:>6} requests {result.records:>7} {unit:<8} "
        f"{result.seconds:7.2f} s  {rate:>8,.0f} {unit}/s   "
        f"p50 {cuts[49] * 1000:6.1f} ms  p99 {cuts[98] * 1000:6.1f} ms   "
        f"goal {GOAL:,}/s ({rate / GOAL:.2f}×)  moonshot {MOONSHOT:,}/s ({rate / MOONSHOT:.2f}×)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=4000, help="one payment each")
    parser.add_argument("--batched", type=int, default=200, help="requests of 100 payments")
    parser.add_argument("--database-url", default="", help="default: the embedded store")
    parser.add_argument("--dir", default=None, help="where the embedded store goes (a disk)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="convenio-bench-", dir=args.dir) as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'convenio.db'}"
        token = prepare(url)
        port = free_port()
        proc = serve(url, Path(tmp), port, Path(tmp) / "serve.log")
        try:
            run(port, token, "warm-up", args.clients, 200, 1)
            single = run(port, token, "1 payment/request", args.clients, args.requests, 1)
            batched = run(port, token, "100 payments/request", args.clients, args.batched, 100)
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)
    print(f"{args.clients} clients, {'PostgreSQL' if args.database_url else 'embedded store'}, "
          f"{os.cpu_count()} cores")  # fmt: skip
    report(single, "writes")
    report(batched, "records")


if __name__ == "__main__":
    main()
