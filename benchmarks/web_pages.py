"""Benchmark: how long the server takes to make the heaviest pages on the demo store,
against the issue's target of 200 ms each.

    python benchmarks/web_pages.py [--data DIR] [--reps 30]

The demo (`convenio demo`, 2000–2015: 12,384 transactions, 76 settlement runs, 2,342 org
units) is built into a temporary data directory, or `--data` names one already built
(copied first: the benchmark adds a user). An auditor signs in through the sign-in page;
then each page is asked for `--reps` times in turn, in-process (FastAPI's TestClient: the
whole ASGI application — session, services, templates — without a network or a
browser), after two warm-up requests. For each page: median, 90th percentile and worst
wall time, its size, and whether the median is under the target.

Pages: the overview (`/overview`), a settlement statement (`/settlement/runs/{id}` of the
2011Q4 run, the quarter with the most claims), its printable form, the public page, the
missions page and the deliveries list.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from convenio.api.app import create_app
from convenio.services import access
from convenio.settings import Settings
from convenio.store import Store

TARGET_MS = 200.0
PASSWORD = "a long enough password"


def _demo(into: Path, given: Path | None) -> Path:
    data = into / "data"
    if given is not None:
        shutil.copytree(given, data)
        return data
    convenio = Path(sys.executable).with_name("convenio")
    env = {"CONVENIO_DATA_DIR": str(data), "CONVENIO_DATABASE_URL": "", "PATH": ""}
    started = time.perf_counter()
    subprocess.run([str(convenio), "demo"], env=env, check=True, capture_output=True)
    print(f"demo built in {time.perf_counter() - started:.0f} s")
    return data


def _run_of(store: Store, period: str) -> str:
    with store.unit_of_work() as uow:
        runs = [r for r in uow.financing.runs() if r.period == period and r.status == "settled"]
    return runs[-1].id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="a data directory the demo filled")
    parser.add_argument("--reps", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = _demo(Path(tmp), args.data)
        store = Store(f"sqlite:///{data / 'convenio.db'}")
        with store.unit_of_work(write=True, late_lock=True) as uow:
            access.add_user(uow, "bench-auditor", "auditor", None, None, PASSWORD)
        run = _run_of(store, "2011Q4")
        pages = {
            "overview": "/overview",
            "statement 2011Q4": f"/settlement/runs/{run}",
            "statement, printable": f"/settlement/runs/{run}/print",
            "public": "/public",
            "missions": "/missions",
            "deliveries": "/financing",
        }
        with TestClient(create_app(store, Settings(data_dir=data))) as client:
            signed = client.post(
                "/signin",
                data={"login": "bench-auditor", "password": PASSWORD},
                follow_redirects=False,
            )
            assert signed.status_code == 303, signed.text
            head = f"{'page':<24}{'median':>9}{'p90':>9}{'worst':>9}{'size':>10}"
            print(f"{head}  target {TARGET_MS:.0f} ms")
            for name, path in pages.items():
                times: list[float] = []
                size = 0
                for rep in range(args.reps + 2):
                    started = time.perf_counter()
                    answer = client.get(path)
                    elapsed = (time.perf_counter() - started) * 1000
                    assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
                    size = len(answer.content)
                    if rep >= 2:
                        times.append(elapsed)
                median = statistics.median(times)
                p90 = statistics.quantiles(times, n=10)[-1]
                verdict = "under" if median < TARGET_MS else "OVER"
                print(
                    f"{name:<24}{median:>7.1f}ms{p90:>7.1f}ms{max(times):>7.1f}ms"
                    f"{size / 1024:>8.0f}KB  {verdict}"
                )
        store.close()


if __name__ == "__main__":
    main()
