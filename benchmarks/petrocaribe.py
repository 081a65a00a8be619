"""Benchmark: a Petrocaribe-sized run — one supplier, many bilateral agreements, decades.

    python benchmarks/petrocaribe.py --years 30 --agreements 20

Generates terms (Petrocaribe 2005 bands and loans, one version, 20 recipient states),
a monthly price series, monthly oil shipments to every recipient, quarterly services and
goods deliveries from each, quarterly cash payments, then loads them through the services
into a fresh embedded store and settles every quarter for every pair, timing each phase.
Prints the times, the ledger's size (transactions, postings, file size) and checks that
the ledger verifies. All data is synthetic.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

from convenio.services import financing, ledger
from convenio.services.settlement import run_settlement
from convenio.store import Store

STATES = ["ATG", "BHS", "BLZ", "CUB", "DMA", "DOM", "GRD", "GUY", "HTI", "HND",
          "JAM", "KNA", "LCA", "NIC", "SLV", "SUR", "VCT", "GTM", "CRI", "PAN",
          "BOL", "ECU", "URY", "PRY", "ARG"]  # fmt: skip
START = date(2005, 7, 1)


def terms_yaml(recipients: list[str], years: int) -> str:
    parties = "\n".join(f"  - {{code: {s}, name: State {s}, kind: state}}" for s in recipients)
    flows = "\n".join(
        f"      - {{supplier: VEN.PDVSA, recipient: {s}, items: [crude, diesel]}}\n"
        f"      - {{supplier: {s}, recipient: VEN.PDVSA, items: [teacher, sugar]}}"
        for s in recipients
    )
    bands = [(15, 5), (20, 10), (22, 15), (24, 20), (30, 25), (40, 30), (50, 40), (100, 50)]
    band_text = "\n".join(f"        - {{at_or_above: {p}, share: {s}%}}" for p, s in bands)
    return f"""schema: convenio.terms/1
agreement: {{id: petrocaribe-bench, name: Petrocaribe benchmark (synthetic), signed: 2005-06-29}}
parties:
  - {{code: VEN, name: Venezuela, kind: state}}
  - {{code: VEN.PDVSA, name: PDVSA, kind: company, parent: VEN}}
{parties}
items:
  - {{id: crude, kind: commodity, unit: bbl, name: crude, group: oil}}
  - {{id: diesel, kind: commodity, unit: bbl, name: diesel, group: oil}}
  - {{id: teacher, kind: services, unit: person-month, name: teacher}}
  - {{id: sugar, kind: goods, unit: t, name: sugar}}
price_series:
  - {{id: basket, unit: USD, per: bbl, name: synthetic basket}}
versions:
  - id: petrocaribe-2005
    name: Petrocaribe (synthetic benchmark)
    effective: 2005-06-29
    ends: {START.year + years - 1}-12-31
    flows:
{flows}
    pricing: {{reference_series: basket, rule: month-average}}
    financing:
      short_term: {{days: 90}}
      bands:
{band_text}
      loan: {{term_years: 17, grace_months: 24, rate: 2%, method: equal-principal,
              frequency: quarterly, day_count: 30E/360, grace_interest: paid}}
      loan_by_price:
        - above: 40
          loan: {{term_years: 25, grace_months: 24, rate: 1%, method: equal-principal,
                  frequency: quarterly, day_count: 30E/360, grace_interest: paid}}
    rate_cards:
      - {{item: teacher, price: 3000, currency: USD, per: person-month}}
      - {{item: sugar, price: 400, currency: USD, per: t}}
    settlement:
      period: quarter
      services_may_pay: [any]
      allocation_order: [interest, oldest-due]
      cash_currency: USD
      overpayment: carry
"""


def months(years: int) -> list[date]:
    return [date(START.year + (START.month - 1 + i) // 12, (START.month - 1 + i) % 12 + 1, 1)
            for i in range(12 * years - START.month + 1)]  # fmt: skip


def write_inputs(work: Path, recipients: list[str], years: int, seed: int) -> dict[str, Path]:
    rng = random.Random(seed)
    firsts = months(years)
    paths = {name: work / f"{name}.csv" for name in ("prices", "deliveries", "payments")}
    with paths["prices"].open("w") as out:
        out.write("series,date,price\n")
        for d in firsts:
            out.write(f"basket,{d.isoformat()},{Decimal(rng.randrange(3000, 12000)) / 100}\n")
    with paths["deliveries"].open("w") as out:
        out.write("delivery_id,date,supplier,recipient,kind,item,quantity,unit,price\n")
        for d in firsts:
            day = d.replace(day=15)
            for s in recipients:
                bbl = rng.randrange(100_000, 600_000)
                out.write(f"o-{s}-{d:%Y%m},{day},VEN.PDVSA,{s},commodity,crude,{bbl},bbl,\n")
                if d.month % 3 == 0:
                    pm = rng.randrange(50, 400)
                    out.write(f"t-{s}-{d:%Y%m},{day},{s},VEN.PDVSA,services,teacher,{pm},"
                              "person-month,\n")  # fmt: skip
                    tonnes = rng.randrange(100, 5000)
                    out.write(f"g-{s}-{d:%Y%m},{day},{s},VEN.PDVSA,goods,sugar,{tonnes},t,\n")
    with paths["payments"].open("w") as out:
        out.write("payment_id,date,payer,payee,amount,currency\n")
        for d in firsts:
            if d.month % 3 == 0:
                for s in recipients:
                    amount = rng.randrange(1_000_000, 20_000_000)
                    out.write(f"p-{s}-{d:%Y%m},{d.replace(day=28)},{s},VEN.PDVSA,"
                              f"{amount}.00,USD\n")  # fmt: skip
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=30)
    parser.add_argument("--agreements", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    recipients = STATES[: args.agreements]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "terms.yaml").write_text(terms_yaml(recipients, args.years), encoding="utf-8")
        paths = write_inputs(work, recipients, args.years, args.seed)
        store = Store(f"sqlite:///{work / 'store' / 'convenio.db'}")
        timings: list[tuple[str, float]] = []

        def timed(name: str, fn, *a):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            with store.unit_of_work(write=True) as uow:
                result = fn(uow, *a)
            timings.append((name, time.perf_counter() - started))
            return result

        timed("terms load", financing.load_terms_file, work / "terms.yaml")
        timed("prices load", financing.load_prices, paths["prices"])
        loaded = timed("deliveries load", financing.load_deliveries, paths["deliveries"])
        timed("payments load", financing.load_payments, paths["payments"])
        quarters = sorted({f"{d.year}Q{(d.month - 1) // 3 + 1}" for d in months(args.years)})
        started = time.perf_counter()
        runs = 0
        for q in quarters:
            with store.unit_of_work(write=True) as uow:
                runs += len(run_settlement(uow, q))
        timings.append(
            (f"settle {len(quarters)} quarters ({runs} runs)", time.perf_counter() - started)
        )
        started = time.perf_counter()
        with store.unit_of_work() as uow:
            report = ledger.verify(uow)
            counts = uow.ledger.counts()
        timings.append(("ledger verify", time.perf_counter() - started))
        size = sum(p.stat().st_size for p in (work / "store").iterdir())
        store.close()
    print(f"{args.agreements} agreements x {args.years} years: {loaded.added:,} deliveries, "
          f"{counts['transactions']:,} ledger transactions, {counts['postings']:,} postings, "
          f"{counts['accounts']:,} accounts, store {size / 1e6:.0f} MB; chain verified over "
          f"{report.transactions:,}")  # fmt: skip
    width = max(len(n) for n, _ in timings)
    for name, seconds in timings:
        print(f"{name:<{width}}  {seconds:8.1f} s")
    print(f"{'total':<{width}}  {sum(s for _, s in timings):8.1f} s")


if __name__ == "__main__":
    main()
