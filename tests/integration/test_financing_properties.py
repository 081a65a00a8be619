"""Properties of financing and settlement on a real SQLite store, under the example terms.

Hypothesis draws a sequence of steps within 2011–2012 (the Petrocaribe terms of July
2008): deliveries of oil from VEN.PDVSA to CUB.CUPET and of services from CUB to VEN at
random explicit prices (services sometimes at the rate card), cash payments between the
two settlement sides, and quarterly settlement runs taken in order, sometimes run again
and sometimes reopened. A model written here from the terms (table A, the Petrocaribe
loans, 30E/360) follows the same steps without the code under test, and after each step
and at the end these must hold:

- the ledger verifies and every unit's balances sum to zero;
- a settled period's stored statement changes only when it is reopened, and running it
  again changes nothing;
- loads into a settled period are flagged with that period;
- for each side, what the other owes it is what it invoiced less what the runs in force
  offset and applied in cash; across both, the net position is invoices less payments
  (plus any overpayment carried as a credit);
- the ledger's ``claims`` accounts agree with the store's open claims.
"""

from __future__ import annotations

import calendar
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from convenio.financing import Delivery
from convenio.financing.claims import Payment
from convenio.services import financing as fin
from convenio.services import ledger
from convenio.services import settlement as svc
from convenio.store import Store
from convenio.terms import ItemKind, load_terms
from tests.terms_fixtures import LENDING_EXAMPLE

EXAMPLE = LENDING_EXAMPLE  # the example, its band table lending (tests/terms_fixtures.py)
AGREEMENT = load_terms(EXAMPLE)
FIRST, LAST = date(2011, 1, 1), date(2012, 12, 31)
QUARTERS = [f"{year}Q{q}" for year in (2011, 2012) for q in (1, 2, 3, 4)]
SIDE = {"VEN": "VEN", "VEN.PDVSA": "VEN", "CUB": "CUB", "CUB.BNC": "CUB", "CUB.CUPET": "CUB"}
PAIR = "VEN.PDVSA-CUB.BNC"

# Table A, column Petrocaribe July 2008: (price at or above, in cents; share financed).
BANDS = [
    (1_500, "0.05"),
    (2_000, "0.10"),
    (2_200, "0.15"),
    (2_400, "0.20"),
    (3_000, "0.25"),
    (4_000, "0.30"),
    (5_000, "0.40"),
    (10_000, "0.60"),
    (15_000, "0.70"),
]
RATE_CARD = {"doctor": 800_000, "nurse": 500_000}  # cents per person-month (the example's)


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarter_span(key: str) -> tuple[date, date]:
    year, q = int(key[:4]), int(key[5])
    last_month = q * 3
    return date(year, last_month - 2, 1), date(
        year, last_month, calendar.monthrange(year, last_month)[1]
    )


def round_to(value: Decimal, how: str) -> int:
    return int(value.quantize(Decimal(1), rounding=how))


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def days_30e_360(start: date, end: date) -> int:
    """Days between two dates on the Eurobond basis: a 31st counts as the 30th."""
    d1, d2 = min(start.day, 30), min(end.day, 30)
    return 360 * (end.year - start.year) + 30 * (end.month - start.month) + d2 - d1


# -- what is drawn -------------------------------------------------------------------


@dataclass(frozen=True)
class Oil:
    day: date
    thousandths: int  # bbl × 1,000
    cents: int  # explicit price, USD per bbl × 100


@dataclass(frozen=True)
class Services:
    day: date
    item: str
    hundredths: int  # person-months × 100
    cents: int | None  # explicit price, or None for the rate card


@dataclass(frozen=True)
class Pay:
    day: date
    payer: str
    payee: str
    cents: int


days = st.dates(min_value=FIRST, max_value=LAST)
oil = st.builds(Oil, days, st.integers(1, 500_000_000), st.integers(500, 16_000))
services = st.builds(
    Services,
    days,
    st.sampled_from(sorted(RATE_CARD)),
    st.integers(1, 100_000),
    st.none() | st.integers(100, 2_000_000),
)
PAIRS = [
    ("VEN.PDVSA", "CUB.BNC"),
    ("CUB.BNC", "VEN.PDVSA"),
    ("CUB.CUPET", "VEN.PDVSA"),  # for CUB.BNC
    ("VEN", "CUB.CUPET"),  # for VEN.PDVSA, to CUB.BNC's side
]
pay = st.tuples(days, st.sampled_from(PAIRS), st.integers(1, 5_000_000_000)).map(
    lambda t: Pay(t[0], t[1][0], t[1][1], t[2])
)
step = st.one_of(
    st.tuples(st.just("deliver"), st.lists(oil | services, min_size=1, max_size=3)),
    st.tuples(st.just("pay"), pay),
    st.tuples(st.just("settle"), st.just(0)),
    st.tuples(st.just("settle"), st.just(0)),
    st.tuples(st.just("rerun"), st.integers(0, 7)),
    st.tuples(st.just("reopen"), st.integers(0, 7)),
)


# -- the model -----------------------------------------------------------------------


@dataclass(frozen=True)
class ModelClaim:
    creditor: str  # side: VEN or CUB
    amount: int
    issued: date


@dataclass
class ModelRun:
    run_id: str
    statement: dict[str, Any]
    payments: frozenset[str]


@dataclass
class Model:
    claims: list[ModelClaim] = field(default_factory=list)
    payments: dict[str, Pay] = field(default_factory=dict)
    runs: dict[str, ModelRun] = field(default_factory=dict)
    generations: dict[str, int] = field(default_factory=dict)
    settled_up_to: int = 0  # quarters settled in order so far

    def oil(self, o: Oil) -> None:
        value = round_to(Decimal(o.thousandths * o.cents) / 1000, ROUND_HALF_UP)
        share = Decimal(0)
        for at_or_above, band in BANDS:
            if o.cents >= at_or_above:
                share = Decimal(band)
        financed = round_to(value * share, ROUND_HALF_UP)
        if value - financed:
            self.claims.append(ModelClaim("VEN", value - financed, o.day))
        if not financed:
            return
        # Petrocaribe: above 40 USD 25 years at 1 %, else 17 years at 2 %; both with two
        # years of grace whose interest is paid quarterly (30E/360, the example's
        # assumption), so the only claims of 2011–2012 are those quarters' interest.
        rate = Decimal("0.01") if o.cents > 4_000 else Decimal("0.02")
        k = 1
        while (due := add_months(o.day, 3 * k)) <= LAST:
            start = add_months(o.day, 3 * (k - 1))
            exact = Decimal(financed) * rate * days_30e_360(start, due) / 360
            interest = round_to(exact, ROUND_HALF_EVEN)
            if interest:
                self.claims.append(ModelClaim("VEN", interest, due))
            k += 1

    def services(self, s: Services) -> None:
        cents = RATE_CARD[s.item] if s.cents is None else s.cents
        value = round_to(Decimal(s.hundredths * cents) / 100, ROUND_HALF_UP)
        self.claims.append(ModelClaim("CUB", value, s.day))

    def invoiced(self, side: str, key: str) -> int:
        first, last = quarter_span(key)
        return sum(
            c.amount for c in self.claims if c.creditor == side and first <= c.issued <= last
        )

    def settled_flags(self, days_: list[date]) -> tuple[str, ...]:
        return tuple(
            sorted({f"{quarter_of(d)} {PAIR}" for d in days_ if quarter_of(d) in self.runs})
        )

    def paid_in(self, run: ModelRun, payer: str) -> int:
        return sum(
            self.payments[p].cents for p in run.payments if SIDE[self.payments[p].payer] == payer
        )


def cents(text: str) -> int:
    return int(Decimal(text) * 100)


# -- the store -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite store holding the example terms, copied for every example."""
    path = tmp_path_factory.mktemp("template") / "convenio.db"
    store = Store(f"sqlite:///{path}")
    try:
        with store.unit_of_work(write=True) as uow:
            fin.load_terms_file(uow, EXAMPLE)
    finally:
        store.close()
    return path


class Harness:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.model = Model()
        self.next_id = 0

    def new_id(self, prefix: str) -> str:
        self.next_id += 1
        return f"{prefix}{self.next_id}"

    def head(self) -> tuple[int, str]:
        with self.store.unit_of_work() as uow:
            head = uow.ledger.head()
        return head.seq, head.hash

    # -- steps

    def deliver(self, drawn: list[Oil | Services]) -> None:
        batch = []
        for d in drawn:
            if isinstance(d, Oil):
                batch.append(
                    Delivery(
                        self.new_id("d"), d.day, "VEN.PDVSA", "CUB.CUPET", ItemKind.COMMODITY,
                        "crude", d.thousandths, "bbl", Decimal(d.cents) / 100,
                    )
                )  # fmt: skip
                self.model.oil(d)
            else:
                price = None if d.cents is None else Decimal(d.cents) / 100
                batch.append(
                    Delivery(
                        self.new_id("d"), d.day, "CUB", "VEN", ItemKind.SERVICES, d.item,
                        d.hundredths, "person-month", price,
                    )
                )  # fmt: skip
                self.model.services(d)
        with self.store.unit_of_work(write=True) as uow:
            result = fin.record_deliveries(uow, AGREEMENT, batch, "drawn")
        assert (result.added, result.unchanged) == (len(batch), 0)
        assert result.settled == self.model.settled_flags([d.day for d in drawn])

    def pay(self, p: Pay) -> None:
        payment = Payment(self.new_id("p"), p.payer, p.payee, p.cents, "USD", p.day)
        with self.store.unit_of_work(write=True) as uow:
            result = fin.record_payments(uow, AGREEMENT, [payment], "drawn")
        assert result.added == 1
        assert result.settled == self.model.settled_flags([p.day])
        self.model.payments[payment.id] = p

    def settle(self, key: str, reopen: bool = False) -> None:
        before = self.model.runs.get(key)
        head = self.head()
        with self.store.unit_of_work(write=True) as uow:
            (outcome,) = svc.run_settlement(uow, key, reopen=reopen)
        if before is not None and not reopen:
            assert not outcome.created
            assert (outcome.run.id, outcome.run.statement) == (before.run_id, before.statement)
            assert self.head() == head
            return
        generation = self.model.generations.get(key, 0) + 1
        self.model.generations[key] = generation
        assert outcome.created
        assert outcome.run.id == f"{key}:VEN.PDVSA:CUB.BNC:{generation}"
        assert outcome.reversed_run == (None if before is None else before.run_id)
        first, last = quarter_span(key)
        paid = frozenset(i for i, p in self.model.payments.items() if first <= p.day <= last)
        run = ModelRun(outcome.run.id, outcome.run.statement, paid)
        self.model.runs[key] = run
        self.check_statement(key, run)

    def check_statement(self, key: str, run: ModelRun) -> None:
        s = run.statement
        assert s["period"] == key and s["parties"] == ["VEN.PDVSA", "CUB.BNC"]
        ven, cub = s["directions"]
        assert (ven["creditor"], cub["creditor"]) == ("VEN.PDVSA", "CUB.BNC")
        # Services may pay any claim: the offset takes the smaller side whole.
        before = cents(ven["outstanding_before"]), cents(cub["outstanding_before"])
        assert cents(ven["offset"]) == cents(cub["offset"]) == min(before)
        assert min(cents(ven["carried_forward"]), cents(cub["carried_forward"])) == 0
        net = before[0] - before[1]
        expected_net = {
            "debtor": "CUB.BNC" if net > 0 else "VEN.PDVSA" if net < 0 else None,
            "creditor": "VEN.PDVSA" if net > 0 else "CUB.BNC" if net < 0 else None,
            "amount": f"{abs(net) // 100}.{abs(net) % 100:02d}",
        }
        assert s["net"] == expected_net
        # Everything invoiced in the period, paid or not.
        assert cents(ven["invoiced_total"]) == self.model.invoiced("VEN", key)
        assert cents(cub["invoiced_total"]) == self.model.invoiced("CUB", key)
        # Each payment of the period is applied to the payee's claims or carried.
        for d, payer in ((ven, "CUB"), (cub, "VEN")):
            applied = cents(d["cash_paid"]) + cents(d["overpaid"])
            assert applied == self.model.paid_in(run, payer)

    # -- checks

    def check_runs(self) -> None:
        with self.store.unit_of_work() as uow:
            stored = {r.period: (r.id, r.statement) for r in uow.financing.runs()}
        assert stored == {k: (r.run_id, r.statement) for k, r in self.model.runs.items()}

    def check_end(self) -> None:
        with self.store.unit_of_work() as uow:
            report = ledger.verify(uow)
            assert report.transactions == report.head_seq
            rows = ledger.balances(uow)
            open_claims = uow.financing.open_claims()
            in_window = uow.financing.open_claims(issued_by=LAST)
            accrued = sum(uow.financing.accrued_by(date(2100, 1, 1)).values())
            allocated = uow.financing.allocated_totals()
        per_unit: dict[str, int] = {}
        for row in rows:
            per_unit[row.unit] = per_unit.get(row.unit, 0) + row.balance
        assert set(per_unit.values()) <= {0}, per_unit
        balance = {row.account: row.balance for row in rows if row.balance}

        # The ledger's claims accounts against the open claims. Principal is booked
        # whole at issue, so the financed account holds every installment still open;
        # interest is booked as it accrues, less what the runs applied to it.
        expected: dict[str, int] = {}
        for claim, left in open_claims:
            if claim.type.value != "interest":
                name = f"{claim.creditor}/claims/{claim.type.value}/{claim.debtor}"
                expected[name] = expected.get(name, 0) + left
        interest = accrued - sum(v for k, v in allocated.items() if ":int:" in k)
        if interest:
            expected["VEN.PDVSA/claims/interest/CUB.CUPET"] = interest
        held = {k: v for k, v in balance.items() if "/claims/" in k}
        assert held == expected
        for name, amount in held.items():
            creditor, _, type_, debtor = name.split("/")
            assert balance[f"{debtor}/payable/{type_}/{creditor}"] == -amount
        credit = {"VEN": 0, "CUB": 0}
        for name, amount in balance.items():
            if "/prepaid/" in name:
                payer, _, payee = name.split("/")
                assert balance[f"{payee}/advances/{payer}"] == -amount
                credit[SIDE[payer]] += amount

        # Outstanding on each side = invoiced − offset − cash applied by the runs in force.
        owed = {"VEN": 0, "CUB": 0}
        for claim, left in in_window:
            owed[SIDE[claim.creditor]] += left
        invoiced = {
            side: sum(c.amount for c in self.model.claims if c.creditor == side)
            for side in ("VEN", "CUB")
        }
        runs = list(self.model.runs.values())
        for i, side in enumerate(("VEN", "CUB")):
            offset = sum(cents(r.statement["directions"][i]["offset"]) for r in runs)
            cash = sum(cents(r.statement["directions"][i]["cash_paid"]) for r in runs)
            assert owed[side] == invoiced[side] - offset - cash
        # Net: offsets cancel out; payments count whole, their excess as the payer's credit.
        paid = {side: sum(self.model.paid_in(r, side) for r in runs) for side in ("VEN", "CUB")}
        assert owed["VEN"] - owed["CUB"] == (
            invoiced["VEN"] - invoiced["CUB"] - paid["CUB"] + paid["VEN"]
            + credit["CUB"] - credit["VEN"]
        )  # fmt: skip


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=1, max_size=12))
# A financed delivery loaded into a settled quarter, then the quarter run again.
@example(
    steps=[("settle", 0), ("deliver", [Oil(date(2011, 2, 10), 1_000_000, 4_500)]), ("rerun", 0)]
)
# A claim loaded into a settled quarter and paid off by the next run; then a reopening.
@example(
    steps=[
        ("settle", 0),
        ("deliver", [Services(date(2011, 2, 1), "doctor", 100, 10_000)]),
        ("deliver", [Oil(date(2011, 5, 1), 1_000_000, 1_000)]),
        ("settle", 0),
        ("reopen", 0),
    ]
)
def test_settlement_keeps_the_books_consistent(
    template: Path, steps: list[tuple[str, Any]]
) -> None:
    with tempfile.TemporaryDirectory(prefix="convenio-hyp-") as where:
        shutil.copy(template, Path(where) / "convenio.db")
        store = Store(f"sqlite:///{where}/convenio.db")
        try:
            run_steps(Harness(store), steps)
        finally:
            store.close()


def run_steps(harness: Harness, steps: list[tuple[str, Any]]) -> None:
    model = harness.model
    for action, arg in steps:
        if action == "deliver":
            harness.deliver(arg)
        elif action == "pay":
            harness.pay(arg)
        elif action == "settle" and model.settled_up_to < len(QUARTERS):
            harness.settle(QUARTERS[model.settled_up_to])
            model.settled_up_to += 1
        elif action in ("rerun", "reopen") and model.settled_up_to:
            harness.settle(QUARTERS[arg % model.settled_up_to], reopen=action == "reopen")
        harness.check_runs()
    harness.check_end()
