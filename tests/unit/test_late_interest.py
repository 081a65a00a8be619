"""Late interest charged month by month on short-term parts (`convenio.financing.late`).

The rule (docs/financing.md, "Late interest"): from the invoice date + `after_days` on,
every day bears the yearly rate by the day count on what is still unpaid that day; a
payment or offset stops interest on its amount from its own date; the interest through
each month's last day is rounded once (half to even) and the month is charged that less
everything charged before. The expected figures are worked by hand in each docstring;
the properties compare with a plain day-by-day sum.
"""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convenio.financing.claims import Claim, ClaimType
from convenio.financing.late import (
    LateCharge,
    Reduction,
    late_charge_accounts,
    late_charge_transactions,
    late_charges,
    late_interest_through,
)
from convenio.ledger import check_transaction
from convenio.terms import LateInterest

PDVSA, BNC = "VEN.PDVSA", "CUB.BNC"
BELIZE = LateInterest.model_validate({"rate": "2%", "after_days": 30, "day_count": "act/360"})


def short_term(amount: int, issued: date = date(2011, 10, 15), cid: str = "inv:oil-10:st") -> Claim:
    return Claim(
        cid, PDVSA, BNC, ClaimType.SHORT_TERM, amount, "USD", issued, issued + timedelta(days=90)
    )


def months(charges: list[LateCharge]) -> list[tuple[str, int]]:
    return [(c.month, c.amount) for c in charges]


def test_unpaid_claim_is_charged_from_day_30_of_the_invoice() -> None:
    """10,000.00 USD invoiced 15 Oct 2011; interest from 15 Oct + 30 days = 14 Nov.

    Through 30 Nov: 17 days (14–30 Nov) × 1,000,000 × 0.02 / 360 = 944.44 → 944.
    Through 31 Dec: 48 days → 2,666.67 → 2,667; December: 2,667 − 944 = 1,723.
    Through 31 Jan 2012: 79 days → 4,388.89 → 4,389; January: 4,389 − 2,667 = 1,722.
    """
    claim = short_term(1_000_000)
    found = late_charges(claim, BELIZE, [], date(2012, 1, 31))
    assert months(found) == [("2011-11", 944), ("2011-12", 1_723), ("2012-01", 1_722)]
    assert sum(c.amount for c in found) == 4_389
    first = found[0]
    assert first.id == "late:inv:oil-10:st:2011-11" and first.date == date(2011, 11, 30)
    assert first.claim() == Claim(
        "late:inv:oil-10:st:2011-11", PDVSA, BNC, ClaimType.LATE_INTEREST, 944, "USD",
        date(2011, 11, 30), date(2011, 11, 30), "inv:oil-10:st",
    )  # fmt: skip


def test_payments_and_offsets_stop_interest_from_their_own_date() -> None:
    """6,000.00 of the 10,000.00 paid in cash on 1 Dec, the rest offset on 31 Dec.

    November as before, 944. Through 31 Dec: 17 days × 1,000,000 (14–30 Nov) + 30 days
    × 400,000 (1–30 Dec) + 31 Dec on nothing = 29,000,000 cent-days × 0.02 / 360
    = 1,611.11 → 1,611; December 1,611 − 944 = 667. Paid off: nothing after.
    """
    claim = short_term(1_000_000)
    paid = [Reduction(date(2011, 12, 1), 600_000), Reduction(date(2011, 12, 31), 400_000)]
    found = late_charges(claim, BELIZE, paid, date(2012, 6, 30))
    assert months(found) == [("2011-11", 944), ("2011-12", 667)]


def test_each_month_rounds_the_running_total_once_half_to_even() -> None:
    """90.00 USD: 9,000 × 0.02 / 360 = 0.5 cent a day.

    Through 30 Nov, 17 days: 8.5 → 8 (half to even; half up would say 9). Through 31
    Dec, 48 days: 24; December 24 − 8 = 16. The months add up to the rounded total."""
    found = late_charges(short_term(9_000), BELIZE, [], date(2011, 12, 31))
    assert months(found) == [("2011-11", 8), ("2011-12", 16)]
    assert late_interest_through(short_term(9_000), BELIZE, [], date(2011, 12, 31)) == 24


def test_no_rule_no_charge_and_only_short_term_claims_are_charged() -> None:
    assert late_charges(short_term(1_000_000), None, [], date(2020, 1, 1)) == []
    services = Claim("inv:s:services", BNC, PDVSA, ClaimType.SERVICES, 10**6, "USD",
                     date(2011, 10, 15), date(2011, 10, 15))  # fmt: skip
    assert late_charges(services, BELIZE, [], date(2020, 1, 1)) == []


def test_reductions_beyond_the_claim_are_refused() -> None:
    with pytest.raises(ValueError, match="beyond"):
        late_interest_through(
            short_term(100), BELIZE, [Reduction(date(2011, 11, 1), 101)], date(2012, 1, 1)
        )


def test_transactions_sum_a_month_per_pair_and_balance() -> None:
    a = late_charges(short_term(1_000_000), BELIZE, [], date(2011, 12, 31))
    b = late_charges(short_term(9_000, cid="inv:oil-11:st"), BELIZE, [], date(2011, 12, 31))
    txns = late_charge_transactions(a + b)
    assert [t.date for t in txns] == [date(2011, 11, 30), date(2011, 12, 31)]
    november = txns[0]
    accounts = {spec.name: spec for spec in late_charge_accounts(a + b)}
    assert all(check_transaction(txn, accounts) == [] for txn in txns)
    assert {p.account: p.amount for p in november.postings} == {
        "VEN.PDVSA/claims/late-interest/CUB.BNC": 944 + 8,
        "VEN.PDVSA/income/interest": -(944 + 8),
        "CUB.BNC/expense/interest": 944 + 8,
        "CUB.BNC/payable/late-interest/VEN.PDVSA": -(944 + 8),
    }
    assert november.id.startswith("late:VEN.PDVSA>CUB.BNC:") and november.id.endswith(":2011-11")
    assert late_charge_transactions(list(reversed(a + b))) == txns  # order does not matter
    assert set(accounts) == {p.account for p in november.postings}


# -- properties ------------------------------------------------------------------------

DAY0 = date(2011, 1, 1)


@st.composite
def cases(draw: st.DrawFn) -> tuple[Claim, list[Reduction]]:
    amount = draw(st.integers(1, 10**9))
    issued = DAY0 + timedelta(days=draw(st.integers(0, 400)))
    parts = draw(st.lists(st.integers(1, 10**9), max_size=4))
    reductions = []
    left = amount
    for part in parts:
        taken = min(part, left)
        if taken:
            day = issued + timedelta(days=draw(st.integers(0, 500)))
            reductions.append(Reduction(day, taken))
            left -= taken
    return short_term(amount, issued), reductions


def by_hand(claim: Claim, reductions: list[Reduction], last: date) -> int:
    """Act/360 at 2 %, one day at a time: the cents unpaid that day × 2 / 100 / 360."""
    total = Fraction(0)
    day = claim.issued + timedelta(days=30)
    while day <= last:
        unpaid = claim.amount - sum(r.amount for r in reductions if r.day <= day)
        total += Fraction(unpaid * 2, 100 * 360)
        day += timedelta(days=1)
    return round(total)  # Fraction rounds half to even


@settings(max_examples=60, deadline=None)
@given(cases(), st.integers(0, 900), st.integers(0, 900))
def test_splitting_the_months_between_two_runs_changes_nothing(
    case: tuple[Claim, list[Reduction]], first: int, second: int
) -> None:
    claim, reductions = case
    early, late = sorted((DAY0 + timedelta(days=first), DAY0 + timedelta(days=first + second)))
    whole = late_charges(claim, BELIZE, reductions, late)
    head = late_charges(claim, BELIZE, reductions, early)
    booked = (head[-1].month, sum(c.amount for c in head)) if head else None
    tail = late_charges(claim, BELIZE, reductions, late, booked)
    assert head + tail == whole
    if whole:
        last = whole[-1].date
        assert sum(c.amount for c in whole) == by_hand(claim, reductions, last)
        assert all(c.amount > 0 for c in whole)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 10**9), st.lists(st.integers(0, 30), min_size=1, max_size=3))
def test_a_claim_paid_in_full_by_day_30_owes_nothing(amount: int, days: list[int]) -> None:
    claim = short_term(amount)
    shares = [amount // len(days)] * len(days)
    shares[0] += amount - sum(shares)
    paid = [
        Reduction(claim.issued + timedelta(days=d), s) for d, s in zip(days, shares, strict=True)
    ]
    assert late_charges(claim, BELIZE, [r for r in paid if r.amount], date(2030, 1, 1)) == []
