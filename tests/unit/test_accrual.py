"""Month-end accrual of tranche interest, late interest, and their ledger transactions.

The expected accruals are worked by hand in each test: interest earned from the start
through each month's last day, rounded once (half to even), minus the previous month's.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convenio.errors import InputError
from convenio.financing import (
    Accrual,
    Tranche,
    accrual_accounts,
    accrual_transactions,
    accrue_through,
    late_interest,
    tranche_for,
)
from convenio.financing.claims import Claim, ClaimType
from convenio.ledger import check_transaction
from convenio.terms import LateInterest, LoanTerms, ShortTerm

VEN, CUPET = "VEN.PDVSA", "CUB.CUPET"


def loan(**changes: Any) -> LoanTerms:
    terms: dict[str, Any] = {
        "term_years": 25,
        "grace_months": 24,
        "rate": "1%",
        "method": "equal-principal",
        "frequency": "quarterly",
        "day_count": "30E/360",
        "grace_interest": "paid",
    }
    return LoanTerms.model_validate({**terms, **changes})


def tranche(principal: int, start: date, terms: LoanTerms, tid: str = "tr:D1") -> Tranche:
    return tranche_for(tid, tid[3:], VEN, CUPET, "USD", principal, start, terms)


def by_month(accruals: list[Accrual]) -> dict[str, tuple[int, int]]:
    return {a.month: (a.interest, a.capitalised) for a in accruals}


def test_petrocaribe_tranche_accrues_month_by_month_to_its_installment_interest() -> None:
    # 13,500.00 USD lent on 10 Mar 2006 at 1 %, 30E/360, quarterly, grace interest paid.
    # Earned through a month end = 1,350,000 × 0.01 × days / 360 = 37.5 cents a day.
    t = tranche(1_350_000, date(2006, 3, 10), loan())
    accruals = accrue_through([t], date(2006, 7, 31))
    # Mar: 10 Mar → 1 Apr, 21 days: 787.5 → 788 (half to even)
    # Apr: through 30 Apr, 51 days: 1,912.5 → 1,912, so 1,912 − 788 = 1,124
    # May: 81 days: 3,037.5 → 3,038, so 1,126
    # Jun: the first quarter (90 days) is 3,375 in full; then 10 Jun → 1 Jul, 21 days of the
    #      second: 787.5 → 788; 3,375 + 788 − 3,038 = 1,125
    # Jul: second quarter through 31 Jul, 51 days: 1,912; 3,375 + 1,912 − 4,163 = 1,124
    assert by_month(accruals) == {
        "2006-03": (788, 0),
        "2006-04": (1_124, 0),
        "2006-05": (1_126, 0),
        "2006-06": (1_125, 0),
        "2006-07": (1_124, 0),
    }
    assert accruals[0].date == date(2006, 3, 31) and accruals[1].date == date(2006, 4, 30)
    # the accruals of the first quarter and the 10 days of June add to its 3,375
    assert t.schedule.installments[0].interest == 788 + 1_124 + 1_126 + (3_375 - 3_038)


def test_accrual_follows_the_principal_outstanding_after_each_installment() -> None:
    # 4,000.00 USD at 2 %, 30E/360, quarterly, one year, no grace, from 15 Jan 2024.
    # Quarter 1 (15 Jan → 15 Apr, 90 days): 400,000 × 0.02 × 90/360 = 2,000; 100,000 repaid.
    t = tranche(400_000, date(2024, 1, 15), loan(term_years=1, grace_months=0, rate="2%"))
    assert t.schedule.installments[0].interest == 2_000
    got = by_month(accrue_through([t], date(2024, 4, 30)))
    # Jan: 16 days → 355.56 → 356; Feb: 46 days → 1,022.22 → 1,022 (666);
    # Mar: 76 days → 1,688.89 → 1,689 (667);
    # Apr: 2,000 + on 300,000 from 15 Apr → 1 May, 16 days: 266.67 → 267: 2,267 − 1,689 = 578
    assert got == {
        "2024-01": (356, 0),
        "2024-02": (666, 0),
        "2024-03": (667, 0),
        "2024-04": (578, 0),
    }


def test_monthly_periods_on_act_360_accrue_each_rows_interest() -> None:
    # 12,000.00 at 12 %, monthly, act/360, from 1 Jan 2024: months and periods coincide.
    t = tranche(
        1_200_000,
        date(2024, 1, 1),
        loan(term_months=12, term_years=None, grace_months=0, rate="12%", frequency="monthly",
             day_count="act/360"),
    )  # fmt: skip
    got = by_month(accrue_through([t], date(2024, 2, 29)))
    # Jan: 1,200,000 × 0.12 × 31/360 = 12,400; Feb on 1,100,000: × 29/360 = 10,633.33 → 10,633
    assert got == {"2024-01": (12_400, 0), "2024-02": (10_633, 0)}


def test_capitalised_grace_interest_is_accrued_into_the_principal() -> None:
    # 100,000.00 at 2 %, quarterly, 30E/360, 2 years of grace capitalised, from 31 Jan 2007.
    t = tranche(10_000_000, date(2007, 1, 31), loan(grace_interest="capitalised", rate="2%"))
    schedule = t.schedule
    # 8 grace quarters of 10,000,000 × 0.02 × 90/360 = 50,000 each
    assert schedule.capitalised_interest == 400_000
    accruals = accrue_through([t], date(2032, 12, 31))
    assert sum(a.capitalised for a in accruals) == 400_000
    assert sum(a.interest for a in accruals) == schedule.total_interest
    # 10,000,000 × 0.02 / 360 = 555.56 cents a day under 30E/360, which counts 31 Jan as 30 Jan:
    # Jan: 31 Jan → 1 Feb, 1 day: 555.56 → 556; Feb: through 28 Feb, 31 days: 17,222.22 → 17,222,
    # so 17,222 − 556 = 16,666
    first = by_month(accruals)
    assert (first["2007-01"], first["2007-02"]) == ((0, 556), (0, 16_666))
    assert all(a.interest == 0 for a in accruals if a.date < date(2009, 1, 31))
    assert all(a.capitalised == 0 for a in accruals if a.date > date(2009, 1, 31))


@pytest.mark.parametrize(
    "terms",
    [
        loan(),
        loan(method="annuity"),
        loan(grace_interest="capitalised", day_count="act/365"),
        loan(
            term_years=15, grace_months=12, rate="2%", day_count="act/act", frequency="semiannual"
        ),
        loan(
            method="annuity", grace_interest="capitalised", frequency="monthly", day_count="act/360"
        ),
    ],
)
def test_accruals_to_maturity_sum_to_the_schedules_interest(terms: LoanTerms) -> None:
    t = tranche(123_456_789, date(2008, 8, 29), terms)
    # the last month end on or after maturity: the last accrual is dated at that month's end
    accruals = accrue_through([t], date(t.schedule.maturity.year, 12, 31))
    assert accruals[-1].date.month == t.schedule.maturity.month
    assert sum(a.interest for a in accruals) == t.schedule.total_interest
    assert sum(a.capitalised for a in accruals) == t.schedule.capitalised_interest
    assert all(a.interest >= 0 and a.capitalised >= 0 for a in accruals)
    assert len({a.key for a in accruals}) == len(accruals)


@settings(max_examples=40, deadline=None)
@given(
    principal=st.integers(min_value=1, max_value=10**11),
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2015, 12, 31)),
    first=st.dates(min_value=date(2000, 1, 1), max_value=date(2045, 12, 31)),
    second=st.dates(min_value=date(2000, 1, 1), max_value=date(2045, 12, 31)),
    capitalised=st.booleans(),
)
def test_accrual_is_deterministic_and_a_later_date_only_extends_it(
    principal: int, start: date, first: date, second: date, capitalised: bool
) -> None:
    grace = "capitalised" if capitalised else "paid"
    t = tranche(principal, start, loan(grace_interest=grace, term_years=10))
    early, late = sorted((first, second))
    before = accrue_through([t], early)
    after = accrue_through([t], late)
    assert accrue_through([t], early) == before
    assert after[: len(before)] == before
    assert all(a.date <= early for a in before) and all(
        a.date > early for a in after[len(before) :]
    )
    whole = accrue_through([t], date(t.schedule.maturity.year + 1, 1, 31))
    assert (
        sum(a.amount for a in whole) == t.schedule.total_interest + t.schedule.capitalised_interest
    )


def test_accruals_of_several_tranches_are_ordered_by_date_then_tranche() -> None:
    one = tranche(1_000_000, date(2006, 3, 10), loan(), "tr:B")
    two = tranche(2_000_000, date(2006, 3, 20), loan(), "tr:A")
    accruals = accrue_through([one, two], date(2006, 5, 31))
    assert [(a.month, a.tranche_id) for a in accruals] == [
        ("2006-03", "tr:A"), ("2006-03", "tr:B"),
        ("2006-04", "tr:A"), ("2006-04", "tr:B"),
        ("2006-05", "tr:A"), ("2006-05", "tr:B"),
    ]  # fmt: skip
    assert accrue_through([one, two], date(2006, 3, 30)) == []


def test_accrual_transactions_balance_and_are_keyed_by_tranche_and_month() -> None:
    t = tranche(
        10_000_000, date(2007, 1, 31), loan(grace_interest="capitalised", term_years=5, rate="2%")
    )
    accruals = accrue_through([t], date(2010, 1, 31))
    transactions = accrual_transactions(accruals)
    accounts = {spec.name: spec for spec in accrual_accounts(accruals)}
    assert [txn.id for txn in transactions][:2] == ["acr:tr:D1:2007-01", "acr:tr:D1:2007-02"]
    for txn in transactions:
        assert check_transaction(txn, accounts) == []
        assert txn.kind == "accrual" and txn.source == "tr:D1"
    feb = {p.account: p.amount for p in transactions[1].postings}
    assert feb == {  # grace interest capitalised: it joins the financed claim
        "VEN.PDVSA/claims/financed/CUB.CUPET": 16_666,
        "VEN.PDVSA/income/interest": -16_666,
        "CUB.CUPET/expense/interest": 16_666,
        "CUB.CUPET/payable/financed/VEN.PDVSA": -16_666,
    }
    later = {p.account: p.amount for p in transactions[-1].postings}
    assert set(later) == {
        "VEN.PDVSA/claims/interest/CUB.CUPET",
        "VEN.PDVSA/income/interest",
        "CUB.CUPET/expense/interest",
        "CUB.CUPET/payable/interest/VEN.PDVSA",
    }
    assert accrual_transactions(accruals) == transactions


# --- late interest ------------------------------------------------------------------

PETROCARIBE_SHORT = ShortTerm.model_validate(
    {"days": 90, "late_interest": {"rate": "2%", "after_days": 30, "day_count": "act/360"}}
)
SHORT = Claim("inv:D1:st", VEN, CUPET, ClaimType.SHORT_TERM, 1_000_000, "USD",
              date(2006, 3, 10), date(2006, 6, 8))  # fmt: skip


def test_late_interest_runs_from_thirty_days_after_the_invoice_date() -> None:
    # invoiced 10 Mar 2006 (due 8 Jun); charged from day 30 of the invoice, 9 Apr; paid
    # 9 May: 30 days × 2 % / 360 on 10,000.00 USD = 1,000,000 × 0.02 × 30 / 360
    # = 1,666.67 → 1,667 cents
    assert late_interest(SHORT, date(2006, 5, 9), PETROCARIBE_SHORT) == 1_667
    assert late_interest(SHORT, date(2006, 4, 9), PETROCARIBE_SHORT) == 0  # paid by day 30
    assert late_interest(SHORT, date(2006, 4, 1), PETROCARIBE_SHORT) == 0  # paid early
    # on half the claim still outstanding: 833.33 → 833
    assert late_interest(SHORT, date(2006, 5, 9), PETROCARIBE_SHORT, outstanding=500_000) == 833
    assert late_interest(SHORT, date(2006, 5, 9), PETROCARIBE_SHORT.late_interest) == 1_667


def test_no_late_interest_where_the_terms_charge_none() -> None:
    assert late_interest(SHORT, date(2010, 1, 1), ShortTerm(days=90)) == 0
    assert late_interest(SHORT, date(2010, 1, 1), None) == 0


def test_a_day_count_financing_does_not_compute_is_refused() -> None:
    us = LateInterest.model_validate({"rate": "2%", "after_days": 30, "day_count": "30/360"})
    with pytest.raises(InputError, match="30/360"):
        late_interest(SHORT, date(2006, 5, 9), us)
    assert Decimal("0.02") == us.rate


@settings(max_examples=40, deadline=None)
@given(
    principal=st.integers(min_value=1, max_value=10**12),
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2010, 12, 31)),
    months_booked=st.integers(min_value=0, max_value=200),
    capitalised=st.booleans(),
)
def test_accruing_after_a_booked_month_gives_the_tail_of_the_full_run(
    principal: int, start: date, months_booked: int, capitalised: bool
) -> None:
    from convenio.financing.tranches import tranche_for
    from convenio.terms import LoanTerms

    loan = LoanTerms.model_validate(
        {
            "term_years": 10,
            "grace_months": 24,
            "rate": "0.02",
            "method": "equal-principal",
            "frequency": "quarterly",
            "day_count": "act/360",
            "grace_interest": "capitalised" if capitalised else "paid",
        }
    )
    tranche = tranche_for("tr:T", "T", "VEN.PDVSA", "CUB.BNC", "USD", principal, start, loan)
    through = date(2022, 6, 30)
    full = accrue_through([tranche], through)
    booked = [a for a in full if a.date <= _month_end(start, months_booked)]
    if not booked:
        return
    tail = accrue_through([tranche], through, {"tr:T": booked[-1].month})
    assert tail == [a for a in full if a.month > booked[-1].month]


def _month_end(start: date, months: int) -> date:
    from datetime import timedelta

    from convenio.financing import add_months

    return add_months(date(start.year, start.month, 1), months + 1) - timedelta(days=1)
