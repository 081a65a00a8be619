"""Financing and settlement use cases against a real store, on SQLite and PostgreSQL.

Every figure asserted here is worked out by hand in the comments: the reported Q4 2011
compensation (public reporting: oil 1,002.55 M USD, services 1,275.00 M USD, Venezuela owing
272.45 M USD of which 163.47 M USD paid in cash), and Petrocaribe invoices split by
table A of the example terms. Amounts are integers of cents (USD), thousandths (bbl)
and hundredths (person-month), as the store keeps them.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from convenio.errors import ConflictError, InputError
from convenio.financing import Delivery
from convenio.financing.claims import Claim, ClaimType
from convenio.services import financing as fin
from convenio.services import ledger
from convenio.services import settlement as svc
from convenio.settlement import settle as real_settle
from convenio.store import Store, UnitOfWork
from convenio.store.financing_repo import REVERSED
from convenio.store.financing_tables import (
    accruals,
    allocations,
    claims,
    deliveries,
    payments,
    price_points,
    settlement_runs,
    terms_documents,
    tranches,
)
from convenio.terms import Agreement, ItemKind
from tests.terms_fixtures import LENDING_EXAMPLE

EXAMPLE = LENDING_EXAMPLE  # the example, its band table lending (tests/terms_fixtures.py)

# The worked quarter: the example terms plus a version in which nothing is financed, so
# the oil is all short-term, as in the reported compensation.
WORKED_VERSION = """
  - id: test-2011q4
    inherits: previous
    name: Q4 2011 as reported, oil all short-term
    effective: 2011-10-01
    financing: null
"""
PRICES = (
    "series,date,price\n"
    "ven-basket,2011-10-03,100.00\n"
    "ven-basket,2011-11-01,100.00\n"
    "ven-basket,2011-12-01,100.00\n"
)
DELIVERY_HEADER = "delivery_id,date,supplier,recipient,kind,item,quantity,unit,price\n"
DELIVERIES = DELIVERY_HEADER + (
    "oil-10,2011-10-15,VEN.PDVSA,CUB.CUPET,commodity,crude,3000000,bbl,100.00\n"
    "oil-11,2011-11-15,VEN.PDVSA,CUB.CUPET,commodity,crude,3000000,bbl,100.00\n"
    "oil-12,2011-12-15,VEN.PDVSA,CUB.CUPET,commodity,crude,4025500,bbl,100.00\n"
    "svc-q4,2011-12-31,CUB,VEN,services,doctor,1,person-month,1275000000.00\n"
)
PAYMENT_HEADER = "payment_id,date,payer,payee,amount,currency\n"
PAYMENTS = PAYMENT_HEADER + "bnc-q4,2011-12-30,VEN.PDVSA,CUB.BNC,163470000.00,USD\n"

M = 100_000_000  # one million USD, in cents
# 3,000,000 + 3,000,000 + 4,025,500 bbl at 100.00 USD = 1,002,550,000.00 USD.
OIL = (3_000_000 + 3_000_000 + 4_025_500) * 100 * 100
SERVICES = 1_275 * M  # 1 person-month at 1,275,000,000.00 USD
CASH = 163_470_000 * 100
assert OIL == 1_002_550_000 * 100
NET = SERVICES - OIL  # 1,275.00 − 1,002.55 = 272.45 M USD, owed by Venezuela
assert NET == 272_450_000 * 100
CARRIED = NET - CASH  # 272.45 − 163.47 = 108.98 M USD
assert CARRIED == 108_980_000 * 100

PAIR_KEY = "2011Q4 VEN.PDVSA-CUB.BNC"
RUN_1 = "2011Q4:VEN.PDVSA:CUB.BNC:1"
RUN_2 = "2011Q4:VEN.PDVSA:CUB.BNC:2"


def usd(cents: int) -> str:
    """Cents as the statement writes them (``272450000.00``)."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def worked_terms(tmp_path: Path) -> Path:
    return write(tmp_path, "terms.yaml", EXAMPLE.read_text(encoding="utf-8") + WORKED_VERSION)


COUNTED = (
    terms_documents,
    price_points,
    deliveries,
    tranches,
    claims,
    payments,
    accruals,
    settlement_runs,
    allocations,
)


def snapshot(store: Store) -> dict[str, Any]:
    """Everything a write could change: row counts, the chain head, every balance."""
    with store.unit_of_work() as uow:
        counts: dict[str, Any] = dict(uow.ledger.counts())
        for table in COUNTED:
            counts[table.name] = uow.connection.execute(
                select(func.count()).select_from(table)
            ).scalar_one()
        head = uow.ledger.head()
        counts["head"] = (head.seq, head.hash)
        counts["balances"] = balances_of(uow)
        counts["runs"] = [(r.id, r.status, r.statement) for r in uow.financing.runs(status=None)]
    return counts


def balances_of(uow: UnitOfWork) -> dict[str, int]:
    """Every non-zero balance, by account, in minor units."""
    return {row.account: row.balance for row in ledger.balances(uow) if row.balance}


def load_worked_quarter(store: Store, tmp_path: Path) -> None:
    with store.unit_of_work(write=True) as uow:
        _, added = fin.load_terms_file(uow, worked_terms(tmp_path))
    assert added
    with store.unit_of_work(write=True) as uow:
        assert fin.load_prices(uow, write(tmp_path, "prices.csv", PRICES)) == fin.LoadResult(3, 0)
    with store.unit_of_work(write=True) as uow:
        result = fin.load_deliveries(uow, write(tmp_path, "deliveries.csv", DELIVERIES))
    # Each delivery posts its value and its quantity.
    assert result == fin.LoadResult(4, 0, posted=8)
    with store.unit_of_work(write=True) as uow:
        result = fin.load_payments(uow, write(tmp_path, "payments.csv", PAYMENTS))
    assert result == fin.LoadResult(1, 0)


def settle(store: Store, period: str = "2011Q4", reopen: bool = False) -> svc.RunOutcome:
    with store.unit_of_work(write=True) as uow:
        outcomes = svc.run_settlement(uow, period, reopen=reopen)
    assert len(outcomes) == 1
    return outcomes[0]


def verify(store: Store) -> None:
    with store.unit_of_work() as uow:
        report = ledger.verify(uow)
        assert report.transactions == report.head_seq
        totals: dict[str, int] = {}
        for row in ledger.balances(uow):
            totals[row.unit] = totals.get(row.unit, 0) + row.balance
    assert set(totals.values()) <= {0}, totals


# -- the worked quarter --------------------------------------------------------------


def test_the_worked_quarter_reproduces_the_reported_figures(store: Store, tmp_path: Path) -> None:
    load_worked_quarter(store, tmp_path)
    with store.unit_of_work() as uow:
        before = balances_of(uow)
    # Before the run each side holds its invoices, in both parties' books.
    assert before["VEN.PDVSA/claims/short-term/CUB.CUPET"] == OIL
    assert before["CUB.CUPET/payable/short-term/VEN.PDVSA"] == -OIL
    assert before["CUB/claims/services/VEN"] == SERVICES
    assert before["VEN/payable/services/CUB"] == -SERVICES
    assert before["VEN.PDVSA/delivered/crude"] == -10_025_500_000  # bbl in thousandths

    outcome = settle(store)
    assert outcome.created and outcome.reversed_run is None
    assert outcome.run.id == RUN_1
    statement = outcome.run.statement
    assert statement["period"] == "2011Q4"
    assert (statement["start"], statement["end"]) == ("2011-10-01", "2011-12-31")
    assert statement["net"] == {"debtor": "VEN.PDVSA", "creditor": "CUB.BNC", "amount": usd(NET)}
    oil, services = statement["directions"]
    assert (oil["creditor"], oil["debtor"]) == ("VEN.PDVSA", "CUB.BNC")
    assert oil["invoiced"] == {"short-term": usd(OIL)}
    assert (oil["offset"], oil["cash_paid"], oil["carried_forward"]) == (usd(OIL), "0.00", "0.00")
    assert (services["creditor"], services["debtor"]) == ("CUB.BNC", "VEN.PDVSA")
    assert services["invoiced"] == {"services": usd(SERVICES)}
    assert services["outstanding_before"] == usd(SERVICES)
    assert services["offset"] == usd(OIL)  # all the oil: the smaller side
    assert services["cash_paid"] == usd(CASH)
    assert services["carried_forward"] == usd(CARRIED)
    assert services["overpaid"] == "0.00"

    with store.unit_of_work() as uow:
        after = balances_of(uow)
        still_open = uow.financing.open_claims()
    assert "VEN.PDVSA/claims/short-term/CUB.CUPET" not in after  # all offset
    assert after["CUB/claims/services/VEN"] == CARRIED
    assert after["VEN/payable/services/CUB"] == -CARRIED
    assert after["CUB.BNC/cash"] == CASH
    assert after["VEN.PDVSA/cash"] == -CASH
    assert [(c.id, left) for c, left in still_open] == [("inv:svc-q4:services", CARRIED)]
    verify(store)


def test_loading_the_same_files_again_changes_nothing(store: Store, tmp_path: Path) -> None:
    load_worked_quarter(store, tmp_path)
    settle(store)
    before = snapshot(store)
    with store.unit_of_work(write=True) as uow:
        assert fin.load_terms_file(uow, tmp_path / "terms.yaml")[1] is False
    with store.unit_of_work(write=True) as uow:
        assert fin.load_prices(uow, tmp_path / "prices.csv") == fin.LoadResult(0, 3)
    with store.unit_of_work(write=True) as uow:
        assert fin.load_deliveries(uow, tmp_path / "deliveries.csv") == fin.LoadResult(0, 4)
    with store.unit_of_work(write=True) as uow:
        # Recorded again, in a settled period: flagged, but nothing new is written.
        result = fin.load_payments(uow, tmp_path / "payments.csv")
    assert (result.added, result.unchanged) == (0, 1)
    assert snapshot(store) == before


def test_a_delivery_id_reused_with_other_content_is_a_conflict(
    store: Store, tmp_path: Path
) -> None:
    load_worked_quarter(store, tmp_path)
    before = snapshot(store)
    changed = DELIVERY_HEADER + (
        "oil-new,2011-12-20,VEN.PDVSA,CUB.CUPET,commodity,crude,1000,bbl,100.00\n"
        "oil-11,2011-11-15,VEN.PDVSA,CUB.CUPET,commodity,crude,3000001,bbl,100.00\n"
    )
    with store.unit_of_work(write=True) as uow, pytest.raises(ConflictError) as caught:
        fin.load_deliveries(uow, write(tmp_path, "changed.csv", changed))
    assert "delivery oil-11 is already recorded with different content" in str(caught.value)
    assert [p.field for p in caught.value.problems] == ["delivery_id"]
    assert snapshot(store) == before
    with store.unit_of_work() as uow:
        assert uow.financing.delivery_digests(["oil-new"]) == {}


def test_a_payment_id_reused_with_other_content_is_a_conflict(store: Store, tmp_path: Path) -> None:
    load_worked_quarter(store, tmp_path)
    before = snapshot(store)
    changed = PAYMENT_HEADER + "bnc-q4,2011-12-30,VEN.PDVSA,CUB.BNC,163470000.01,USD\n"
    with store.unit_of_work(write=True) as uow, pytest.raises(ConflictError):
        fin.load_payments(uow, write(tmp_path, "changed.csv", changed))
    assert snapshot(store) == before


def test_running_a_settled_period_again_changes_nothing(store: Store, tmp_path: Path) -> None:
    load_worked_quarter(store, tmp_path)
    first = settle(store)
    before = snapshot(store)
    again = settle(store)
    assert not again.created and again.reversed_run is None
    assert again.run == first.run
    assert snapshot(store) == before


def test_a_late_payment_waits_for_reopen_which_reverses_the_old_run(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_worked_quarter(store, tmp_path)
    with store.unit_of_work() as uow:
        unsettled = balances_of(uow)
    first = settle(store)

    late = PAYMENT_HEADER + "bnc-late,2011-12-15,VEN.PDVSA,CUB.BNC,50000000.00,USD\n"
    with store.unit_of_work(write=True) as uow:
        result = fin.load_payments(uow, write(tmp_path, "late.csv", late))
    assert result == fin.LoadResult(1, 0, settled=(PAIR_KEY,))
    # A payment between parties the settlement sides stand for is flagged too.
    cupet = PAYMENT_HEADER + "ven-late,2011-11-02,VEN,CUB.CUPET,0.01,USD\n"
    with store.unit_of_work(write=True) as uow:
        result = fin.load_payments(uow, write(tmp_path, "cupet.csv", cupet))
    assert result.settled == (PAIR_KEY,)
    outside = PAYMENT_HEADER + "next-q,2012-01-02,VEN.PDVSA,CUB.BNC,1.00,USD\n"
    with store.unit_of_work(write=True) as uow:
        assert fin.load_payments(uow, write(tmp_path, "next.csv", outside)).settled == ()

    before = snapshot(store)
    unchanged = settle(store)
    assert not unchanged.created and unchanged.run == first.run
    assert snapshot(store) == before

    # Inside the reopening, the new run starts from the ledger as it was before any run.
    seen: list[dict[str, int]] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(balances_of(uow))
        return real_settle(*args, **kwargs)

    monkeypatch.setattr(svc, "settle", spy)
    with store.unit_of_work(write=True) as uow:
        (reopened,) = svc.run_settlement(uow, "2011Q4", reopen=True)
    assert len(seen) == 1
    claim_accounts = {a: b for a, b in seen[0].items() if "/claims/" in a or "/payable/" in a}
    assert claim_accounts == {
        a: b for a, b in unsettled.items() if "/claims/" in a or "/payable/" in a
    }
    assert {a: b for a, b in seen[0].items() if a.endswith("/cash")} == {}

    assert reopened.created and reopened.reversed_run == RUN_1
    assert reopened.run.id == RUN_2 and reopened.run.generation == 2
    services = reopened.run.statement["directions"][1]
    # 163.47 M + 50.00 M (the late payment) + 0.01 (VEN for VEN.PDVSA to CUPET for CUB.BNC)
    cash = CASH + 50 * M + 1
    assert services["cash_paid"] == usd(cash)
    assert services["carried_forward"] == usd(NET - cash)  # 272.45 − 213.4701 M
    assert reopened.run.statement["net"]["amount"] == usd(NET)

    with store.unit_of_work() as uow:
        runs = {r.id: r for r in uow.financing.runs("2011Q4", status=None)}
        assert runs[RUN_1].status == REVERSED
        assert runs[RUN_1].statement == first.run.statement
        assert len(first.run.transactions) == 4  # each oil invoice offset, and the payment
        for txn_id in first.run.transactions:
            reversal = uow.ledger.reversed_by(txn_id)
            assert reversal is not None and reversal not in reopened.run.transactions
        after = balances_of(uow)
        assert [r.id for r in uow.financing.runs("2011Q4")] == [RUN_2]
    assert after["CUB/claims/services/VEN"] == NET - cash
    assert after["CUB.BNC/cash"] == CASH + 50 * M
    assert after["VEN/cash"] == -1 and after["CUB.CUPET/cash"] == 1
    # The payment of 2012 is not the quarter's.
    assert "next-q" not in str(reopened.run.transactions)
    verify(store)


def test_a_reopened_statement_still_counts_what_a_later_run_paid(
    store: Store, tmp_path: Path
) -> None:
    """docs/settlement.md: `invoiced` counts every claim issued within the period,
    "whether or not they are still outstanding (a claim paid before the run was still
    invoiced)"."""
    load_worked_quarter(store, tmp_path)
    settle(store)
    late = DELIVERY_HEADER + (
        "svc-late,2011-12-20,CUB,VEN,services,doctor,1,person-month,1000.00\n"
        # 2,000,000 bbl × 100.00 = 200,000,000.00 USD, more than all CUB.BNC is owed.
        "oil-01,2012-01-16,VEN.PDVSA,CUB.CUPET,commodity,crude,2000000,bbl,100.00\n"
    )
    with store.unit_of_work(write=True) as uow:
        loaded = fin.load_deliveries(uow, write(tmp_path, "late.csv", late))
    assert loaded.settled == (PAIR_KEY,)
    q1 = settle(store, "2012Q1").run.statement
    services = q1["directions"][1]
    # Carried from 2011Q4 (108,980,000.00) and the late invoice (1,000.00), all offset.
    assert services["outstanding_before"] == usd(CARRIED + 1_000 * 100)
    assert services["offset"] == usd(CARRIED + 1_000 * 100)
    assert services["carried_forward"] == "0.00"

    reopened = settle(store, "2011Q4", reopen=True).run.statement
    assert reopened["directions"][1]["invoiced"] == {"services": usd(SERVICES + 1_000 * 100)}
    verify(store)


# -- Petrocaribe invoices under the unmodified example terms -------------------------


def delivery(delivery_id: str, day: date, barrels: Decimal, price: str | None = None) -> Delivery:
    return Delivery(
        delivery_id,
        day,
        "VEN.PDVSA",
        "CUB.CUPET",
        ItemKind.COMMODITY,
        "crude",
        int(barrels * 1000),
        "bbl",
        None if price is None else Decimal(price),
    )


def example_store(store: Store, tmp_path: Path, prices: str = "") -> Agreement:
    with store.unit_of_work(write=True) as uow:
        agreement, _ = fin.load_terms_file(uow, EXAMPLE)
    if prices:
        with store.unit_of_work(write=True) as uow:
            fin.load_prices(uow, write(tmp_path, "prices.csv", "series,date,price\n" + prices))
    return agreement


# April 2011: 44.50 and 45.50 average 45.0000 (month-average rule).
APRIL_2011 = "ven-basket,2011-04-01,44.50\nven-basket,2011-04-15,45.50\n"


@pytest.mark.parametrize(
    ("day", "share"),
    [
        (date(2008, 6, 16), Decimal("0.50")),  # Petrocaribe 2005: ≥ 100 → 50 %
        (date(2008, 7, 15), Decimal("0.60")),  # July 2008 amendment: ≥ 100 → 60 %
    ],
)
def test_at_100_usd_half_is_financed_before_july_2008_and_60_percent_after(
    store: Store, tmp_path: Path, day: date, share: Decimal
) -> None:
    agreement = example_store(store, tmp_path)
    value = 1_000 * 100 * 100  # 1,000 bbl at 100.00 USD = 100,000.00 USD
    financed = int(value * share)
    with store.unit_of_work(write=True) as uow:
        result = fin.record_deliveries(
            uow, agreement, [delivery("D100", day, Decimal(1000), "100.00")], "test"
        )
    assert result == fin.LoadResult(1, 0, posted=2)
    with store.unit_of_work() as uow:
        (tranche,) = uow.financing.tranches()
        (short,) = [c for c, _ in uow.financing.open_claims() if c.type is ClaimType.SHORT_TERM]
        found = balances_of(uow)
    assert tranche.principal == financed
    # Above 40 USD: 25 years including 2 of grace, at 1 %.
    assert (tranche.loan.months, tranche.loan.grace_months) == (300, 24)
    assert tranche.loan.rate == Decimal("0.01")
    assert short.amount == value - financed
    assert short.due == day + timedelta(days=90)
    assert found["VEN.PDVSA/claims/short-term/CUB.CUPET"] == value - financed
    assert found["VEN.PDVSA/claims/financed/CUB.CUPET"] == financed
    assert found["CUB.CUPET/payable/financed/VEN.PDVSA"] == -financed
    assert found["VEN.PDVSA/income/commodity"] == -value


def test_petrocaribe_bands_and_loans_at_45_40_and_35_usd(store: Store, tmp_path: Path) -> None:
    agreement = example_store(store, tmp_path, APRIL_2011)
    batch = [
        delivery("D45", date(2011, 4, 1), Decimal("1234.5")),  # month average 45.0000
        delivery("D40", date(2011, 5, 20), Decimal(1000), "40.00"),
        delivery("D35", date(2011, 5, 10), Decimal(2000), "35.00"),
    ]
    with store.unit_of_work(write=True) as uow:
        assert fin.record_deliveries(uow, agreement, batch, "test") == fin.LoadResult(3, 0, 6)

    # 1,234.5 bbl × 45 = 55,552.50 USD; ≥ 40 → 30 % = 16,665.75; the rest 38,886.75.
    # 40.00 is not above 40: 40,000.00 × 30 % = 12,000.00 on the 17-year loan at 2 %.
    # 2,000 bbl × 35 = 70,000.00 USD; ≥ 30 → 25 % = 17,500.00 on the 17-year loan.
    values = {"D45": 5_555_250, "D40": 4_000_000, "D35": 7_000_000}
    financed = {"D45": 1_666_575, "D40": 1_200_000, "D35": 1_750_000}
    loans = {
        "D45": (300, 24, Decimal("0.01")),
        "D40": (204, 24, Decimal("0.02")),
        "D35": (204, 24, Decimal("0.02")),
    }
    with store.unit_of_work() as uow:
        stored = {t.delivery_id: t for t in uow.financing.tranches()}
        all_claims = {c.id: c for c, _ in uow.financing.open_claims()}
        found = balances_of(uow)
    assert set(stored) == set(values)
    for key, tranche in stored.items():
        assert tranche.id == f"tr:{key}"
        assert tranche.principal == financed[key]
        loan = tranche.loan
        assert (loan.months, loan.grace_months, loan.rate) == loans[key]
        rows = tranche.schedule.installments
        assert sum(row.principal for row in rows) == tranche.principal  # exactly
        assert all(row.principal == 0 for row in rows[:8])  # 2 years of quarterly grace
        installments = [c for c in all_claims.values() if c.id.startswith(f"{tranche.id}:inst:")]
        assert sum(c.amount for c in installments) == tranche.principal
        assert all_claims[f"inv:{key}:st"].amount == values[key] - financed[key]

    d45 = stored["D45"].schedule.installments
    # 8 interest-only quarters then 92 repayments; 1,666,575 = 92 × 18,114 + 87.
    assert len(d45) == 100
    assert [row.principal for row in d45[8:]] == [18_115] * 87 + [18_114] * 5
    # 30E/360, 90 days a quarter: 1,666,575 × 1 % / 4 = 4,166.4375 → 4,166 cents.
    assert {row.interest for row in d45[:8]} == {4_166}
    assert d45[0].due == date(2011, 7, 1) and d45[-1].due == date(2036, 4, 1)
    d35 = stored["D35"].schedule.installments
    # 180 months of repayment, quarterly: 60; 1,750,000 = 60 × 29,166 + 40.
    assert len(d35) == 68
    assert [row.principal for row in d35[8:]] == [29_167] * 40 + [29_166] * 20
    assert {row.interest for row in d35[:8]} == {8_750}  # 1,750,000 × 2 % / 4

    assert found["VEN.PDVSA/claims/short-term/CUB.CUPET"] + found[
        "VEN.PDVSA/claims/financed/CUB.CUPET"
    ] == sum(values.values())
    assert found["VEN.PDVSA/claims/financed/CUB.CUPET"] == sum(financed.values())
    assert found["CUB.CUPET/expense/commodity"] == sum(values.values())
    verify(store)


def test_accrual_is_idempotent_and_sums_to_each_installments_interest(
    store: Store, tmp_path: Path
) -> None:
    agreement = example_store(store, tmp_path, APRIL_2011)
    with store.unit_of_work(write=True) as uow:
        fin.record_deliveries(
            uow, agreement, [delivery("D45", date(2011, 4, 1), Decimal("1234.5"))], "test"
        )
    with store.unit_of_work(write=True) as uow:
        # April to December 2011: nine month ends.
        assert fin.accrue(uow, date(2011, 12, 31)) == fin.LoadResult(9, 0, 9)
    before = snapshot(store)
    for through in (date(2011, 12, 31), date(2011, 7, 31), date(2012, 1, 30)):  # no new month
        with store.unit_of_work(write=True) as uow:
            again = fin.accrue(uow, through)
        assert (again.added, again.posted) == (0, 0)
    assert snapshot(store) == before

    with store.unit_of_work() as uow:
        (tranche,) = uow.financing.tranches()
        rows = tranche.schedule.installments

        def accrued(day: date) -> int:
            return uow.financing.accrued_by(day).get(tranche.id, 0)

        # The periods start on the 1st, so month ends up to an installment date hold
        # exactly the interest of the installments due by then.
        assert accrued(date(2011, 6, 30)) == rows[0].interest == 4_166
        assert accrued(date(2011, 9, 30)) - accrued(date(2011, 6, 30)) == rows[1].interest
        assert accrued(date(2011, 12, 31)) - accrued(date(2011, 9, 30)) == rows[2].interest
        booked = [r.txn for r in uow.ledger.iter_recorded() if r.txn.kind == "accrual"]
        ends = [(4, 30), (5, 31), (6, 30), (7, 31), (8, 31), (9, 30), (10, 31), (11, 30), (12, 31)]
        assert sorted(t.date for t in booked) == [date(2011, m, d) for m, d in ends]
        found = balances_of(uow)
        report = svc.party_statement(uow, "CUB.BNC", date(2011, 12, 31))
    assert found["VEN.PDVSA/claims/interest/CUB.CUPET"] == 3 * 4_166
    assert found["CUB.CUPET/payable/interest/VEN.PDVSA"] == -3 * 4_166

    # Owed by CUB.CUPET, answered for by CUB.BNC: the short-term part (38,886.75 USD, due
    # 30 Jun 2011, 184 days late) and the interest due 1 Jul and 1 Oct (183 and 91 days).
    assert report["claims"] == [
        row("payable", "VEN.PDVSA", "interest", "over 90", usd(2 * 4_166)),
        row("payable", "VEN.PDVSA", "short-term", "over 90", usd(3_888_675)),
    ]
    assert report["tranche_principal"] == [
        {
            "direction": "payable",
            "counterparty": "VEN.PDVSA",
            "currency": "USD",
            "outstanding": usd(1_666_575),
        }
    ]
    # Accrued through December, but the third quarter's interest is due on 1 Jan 2012.
    assert report["accrued_interest_not_due"] == [
        {"direction": "payable", "counterparty": "VEN.PDVSA", "currency": "USD", "amount": "41.66"}
    ]
    verify(store)


def test_running_a_settled_period_again_books_nothing_new(store: Store, tmp_path: Path) -> None:
    """A quarter run again is unchanged, even when a financed delivery was loaded into it
    since: the run, and the ledger, change only when it is reopened."""
    agreement = example_store(store, tmp_path)
    doctor = Delivery(
        "S1", date(2011, 8, 1), "CUB", "VEN", ItemKind.SERVICES, "doctor", 100, "person-month"
    )
    with store.unit_of_work(write=True) as uow:
        first = [delivery("Q3a", date(2011, 7, 15), Decimal(1000), "45.00"), doctor]
        fin.record_deliveries(uow, agreement, first, "test")
    run = settle(store, "2011Q3").run
    with store.unit_of_work(write=True) as uow:
        late = [delivery("Q3b", date(2011, 8, 10), Decimal(1000), "45.00")]
        result = fin.record_deliveries(uow, agreement, late, "late")
    assert result.settled == ("2011Q3 VEN.PDVSA-CUB.BNC",)
    before = snapshot(store)
    again = settle(store, "2011Q3")
    assert not again.created and again.run == run
    assert snapshot(store) == before


# -- party statements ----------------------------------------------------------------


def row(direction: str, other: str, type_: str, age: str, amount: str) -> dict[str, str]:
    return {
        "direction": direction,
        "counterparty": other,
        "type": type_,
        "age": age,
        "currency": "USD",
        "outstanding": amount,
    }


def test_party_statement_ages_claims_by_days_past_due(store: Store, tmp_path: Path) -> None:
    example_store(store, tmp_path)
    as_of = date(2012, 3, 31)
    made: list[Claim] = []

    def claim(
        cid: str, due: date, cents: int, creditor: str = "VEN.PDVSA", debtor: str = "CUB.CUPET"
    ) -> None:
        type_ = ClaimType.SHORT_TERM if creditor == "VEN.PDVSA" else ClaimType.SERVICES
        made.append(Claim(cid, creditor, debtor, type_, cents, "USD", date(2011, 1, 3), due))

    claim("not-due", date(2012, 4, 15), 1)  # current
    claim("due-today", as_of, 2)  # 0 days: current
    claim("one-day", date(2012, 3, 30), 4)  # 1-30
    claim("thirty", date(2012, 3, 1), 8)  # 30 days: 1-30
    claim("thirty-one", date(2012, 2, 29), 16)  # 31 days: 31-90
    claim("ninety", date(2012, 1, 1), 32)  # 30 + 29 + 31 = 90 days: 31-90
    claim("ninety-one", date(2011, 12, 31), 64)  # over 90
    claim("old", date(2011, 3, 1), 128)  # over 90
    claim("svc", date(2012, 3, 15), 256, "CUB", "VEN")  # 16 days: 1-30, payable for PDVSA
    made.append(
        Claim(
            "later",
            "VEN.PDVSA",
            "CUB.CUPET",
            ClaimType.SHORT_TERM,
            512,
            "USD",
            date(2012, 4, 1),  # issued after the statement date: not in it
            date(2012, 4, 1),
        )
    )
    with store.unit_of_work(write=True) as uow:
        uow.financing.add_claims(made)
        uow.commit()

    with store.unit_of_work() as uow:
        pdvsa = svc.party_statement(uow, "VEN.PDVSA", as_of)
        bnc = svc.party_statement(uow, "CUB.BNC", as_of)
        with pytest.raises(InputError, match=r"unknown party 'CUB\.XYZ'"):
            svc.party_statement(uow, "CUB.XYZ", as_of)
    assert pdvsa["party"] == "VEN.PDVSA" and pdvsa["as_of"] == "2012-03-31"
    assert pdvsa["claims"] == [
        row("payable", "CUB.BNC", "services", "1-30", "2.56"),
        row("receivable", "CUB.BNC", "short-term", "1-30", usd(4 + 8)),
        row("receivable", "CUB.BNC", "short-term", "31-90", usd(16 + 32)),
        row("receivable", "CUB.BNC", "short-term", "current", usd(1 + 2)),
        row("receivable", "CUB.BNC", "short-term", "over 90", usd(64 + 128)),
    ]
    assert pdvsa["tranche_principal"] == [] and pdvsa["accrued_interest_not_due"] == []
    assert bnc["claims"] == [
        row("payable", "VEN.PDVSA", "short-term", "1-30", usd(4 + 8)),
        row("payable", "VEN.PDVSA", "short-term", "31-90", usd(16 + 32)),
        row("payable", "VEN.PDVSA", "short-term", "current", usd(1 + 2)),
        row("payable", "VEN.PDVSA", "short-term", "over 90", usd(64 + 128)),
        row("receivable", "VEN.PDVSA", "services", "1-30", "2.56"),
    ]


def test_settled_claims_leave_the_statement(store: Store, tmp_path: Path) -> None:
    load_worked_quarter(store, tmp_path)
    settle(store)
    with store.unit_of_work() as uow:
        report = svc.party_statement(uow, "VEN.PDVSA", date(2012, 1, 31))
        before = svc.party_statement(uow, "VEN.PDVSA", date(2011, 12, 30))
    # 31 days after the services invoice fell due on 31 Dec 2011.
    assert report["claims"] == [row("payable", "CUB.BNC", "services", "31-90", usd(CARRIED))]
    # On 30 Dec no run had ended yet: every invoice issued by then is whole. The oil of
    # 15 Oct, 15 Nov and 15 Dec was due on its delivery date (nothing financed).
    assert before["claims"] == [
        row("receivable", "CUB.BNC", "short-term", "1-30", usd(402_550_000 * 100)),  # 15 days
        row("receivable", "CUB.BNC", "short-term", "31-90", usd(600_000_000 * 100)),  # 45, 76
    ]
