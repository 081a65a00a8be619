"""Late interest on short-term parts, charged at each month end on what is still unpaid.

After the invoice split (`convenio.financing.invoicing`) the short-term part of an
invoice is a claim due in cash at the short term (90 days); when the terms version in
force on the invoice date sets ``short_term.late_interest``, interest runs on it from
`after_days` days after the invoice date (Petrocaribe, Belize's contract: 2 % a year
after day 30 of the invoice), on the part still unpaid day by day. `late_charges` books
that interest month by month, as late-interest claims that settlement pays off like any
other (its ``late-interest`` allocation step). The rule, with a worked example, is in
docs/financing.md, "Late interest"; this module is its only implementation. Pure:
amounts are integers of minor units, interest is summed exactly (`fractions.Fraction`)
and rounded once per claim and month end.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import NamedTuple

from convenio.financing.accounts import (
    claim_account,
    expense_account,
    interest_income_account,
    payable_account,
)
from convenio.financing.claims import Claim, ClaimType
from convenio.financing.daycount import (
    check_rate,
    day_ratio,
    month_end,
    month_ends,
    round_fraction,
)
from convenio.financing.tranches import financing_day_count
from convenio.ledger import AccountSpec, Posting, Transaction
from convenio.terms import LateInterest

__all__ = [
    "LateCharge",
    "Reduction",
    "late_charge_accounts",
    "late_charge_transactions",
    "late_charges",
    "late_interest_through",
]


class Reduction(NamedTuple):
    """`amount` minor units of a claim paid off, no longer bearing interest from `day` on
    (a cash payment: its date; an offset: the last day of the settlement run's period)."""

    day: date
    amount: int


@dataclass(frozen=True, slots=True)
class LateCharge:
    """The late interest `debtor` owes `creditor` on short-term claim `claim_id` for the
    calendar `month` (``YYYY-MM``), charged on its last day `date`, in minor units."""

    claim_id: str
    month: str
    date: date
    creditor: str
    debtor: str
    currency: str
    amount: int

    @property
    def id(self) -> str:
        """The late-interest claim's id: ``late:{claim id}:{YYYY-MM}``."""
        return f"late:{self.claim_id}:{self.month}"

    def claim(self) -> Claim:
        """The late-interest claim it becomes: issued and due on the month's last day."""
        return Claim(
            self.id,
            self.creditor,
            self.debtor,
            ClaimType.LATE_INTEREST,
            self.amount,
            self.currency,
            self.date,
            self.date,
            self.claim_id,
        )


def _starts(claim: Claim, rule: LateInterest) -> date:
    """The first day that bears late interest: the invoice date + `after_days`."""
    return claim.issued + timedelta(days=rule.after_days)


def _exact(
    claim: Claim, rule: LateInterest, reductions: Sequence[Reduction], end: date
) -> Fraction:
    """Late interest from the first charged day to `end` (excluded), exact, in minor units:
    the outstanding of each stretch between reductions × the day-count fraction × rate."""
    convention = financing_day_count(rule.day_count.value, "late_interest.day_count")
    check_rate(rule.rate)
    start = _starts(claim, rule)
    if end <= start:
        return Fraction(0)
    outstanding = claim.amount - sum(r.amount for r in reductions if r.day <= start)
    total = Fraction(0)
    cursor = start
    for day in sorted({r.day for r in reductions if start < r.day < end}):
        if outstanding > 0:
            numerator, denominator = day_ratio(cursor, day, convention)
            total += Fraction(outstanding * numerator, denominator)
        outstanding -= sum(r.amount for r in reductions if r.day == day)
        cursor = day
    if outstanding > 0:
        numerator, denominator = day_ratio(cursor, end, convention)
        total += Fraction(outstanding * numerator, denominator)
    return total * Fraction(rule.rate)


def late_interest_through(
    claim: Claim, rule: LateInterest | None, reductions: Sequence[Reduction], last: date
) -> int:
    """The late interest on `claim` for every day up to and including `last`, rounded
    once (half to even) to minor units; 0 without a rule. `reductions` are what was
    paid off and from when; they must not exceed the claim's amount."""
    if rule is None:
        return 0
    if sum(r.amount for r in reductions) > claim.amount or any(r.amount < 0 for r in reductions):
        raise ValueError(f"claim {claim.id}: reductions beyond its amount {claim.amount}")
    return round_fraction(_exact(claim, rule, reductions, last + timedelta(days=1)))


def late_charges(
    claim: Claim,
    rule: LateInterest | None,
    reductions: Sequence[Reduction],
    through: date,
    booked: tuple[str, int] | None = None,
) -> list[LateCharge]:
    """The month-end late-interest charges on `claim` for every calendar month ending on
    or before `through`, after those already `booked` (the last month booked and the
    total booked so far), months charging nothing left out.

    A month's charge is the interest through its last day (`late_interest_through`,
    rounded once) less everything charged before, so the charges of a claim sum exactly
    to its rounded interest through the last month charged, and the result depends only
    on the inputs and the month ends, not on how the months were split among calls. A
    charge is never negative: a month whose total falls below what was charged (a
    reduction dated in a month already charged, which only a reopened settlement run can
    bring) charges nothing until the interest catches up.
    """
    if rule is None or claim.type is not ClaimType.SHORT_TERM:
        return []
    after, charged = booked if booked is not None else ("", 0)
    start = _starts(claim, rule)
    paid_off = [r.day for r in reductions]
    left = claim.amount - sum(r.amount for r in reductions)
    # Once paid in full, no later month bears interest: stop at that month's end.
    last = through if left > 0 or not paid_off else min(through, month_end(max(paid_off)))
    found: list[LateCharge] = []
    for end, _ in month_ends(start, last):
        if end > last:
            break
        month = f"{end.year:04d}-{end.month:02d}"
        if month <= after:
            continue
        amount = late_interest_through(claim, rule, reductions, end) - charged
        if amount <= 0:
            continue
        charged += amount
        found.append(
            LateCharge(claim.id, month, end, claim.creditor, claim.debtor, claim.currency, amount)
        )
    return found


def _legs(creditor: str, debtor: str, currency: str, amount: int) -> list[tuple[AccountSpec, int]]:
    return [
        (claim_account(creditor, ClaimType.LATE_INTEREST, debtor, currency), amount),
        (interest_income_account(creditor, currency), -amount),
        (expense_account(debtor, "interest", currency), amount),
        (payable_account(debtor, ClaimType.LATE_INTEREST, creditor, currency), -amount),
    ]


def late_charge_accounts(charges: Iterable[LateCharge]) -> tuple[AccountSpec, ...]:
    """The accounts `late_charge_transactions` posts to, each once."""
    specs: dict[str, AccountSpec] = {}
    for c in charges:
        for spec, _ in _legs(c.creditor, c.debtor, c.currency, c.amount):
            specs.setdefault(spec.name, spec)
    return tuple(specs.values())


def late_charge_transactions(charges: Iterable[LateCharge]) -> list[Transaction]:
    """One balanced transaction per creditor, debtor, currency and month, summing its
    charges: ``late:{creditor}>{debtor}:{digest}:{YYYY-MM}``, the digest (12 hex
    characters of SHA-256) naming the claims it charges, so a replay of the same charges
    has the same id. The creditor's ``claims/late-interest/{debtor}`` against its
    interest income; the debtor's interest expense against ``payable/late-interest``."""
    groups: dict[tuple[str, str, str, str], list[LateCharge]] = defaultdict(list)
    for c in charges:
        groups[c.creditor, c.debtor, c.currency, c.month].append(c)
    txns = []
    for (creditor, debtor, currency, month), members in sorted(groups.items()):
        digest = hashlib.sha256(",".join(sorted(c.claim_id for c in members)).encode())
        amount = sum(c.amount for c in members)
        txns.append(
            Transaction(
                id=f"late:{creditor}>{debtor}:{digest.hexdigest()[:12]}:{month}",
                date=members[0].date,
                description=f"Late interest on {len(members)} short-term claim(s), {month}",
                postings=tuple(
                    Posting(spec.name, value, spec.unit)
                    for spec, value in _legs(creditor, debtor, currency, amount)
                ),
                kind="accrual",
                source=",".join(sorted(c.claim_id for c in members))[:200],
                metadata=(("claims", str(len(members))), ("month", month)),
            )
        )
    return txns
