"""Month-end interest accrual on tranches, and late interest on short-term parts.

After the invoice split (`convenio.financing.invoicing`) the ledger holds each tranche's
principal; interest is booked as it is earned, at every calendar month end, by
`accrue_through` and `accrual_transactions`. Accruals follow the tranche's schedule —
its rate, day count and interest basis, on the principal outstanding after the
installments the schedule has made due — and are rounded so that they add up exactly
to the schedule's interest: the amount accrued for a month is the interest earned from
the start through the month's last day, rounded once, minus the same through the
previous month's last day. They are keyed by tranche and month, so a re-run yields the
same values and the same transaction ids. `late_interest` prices a short-term part
paid late, by the rule `convenio.financing.late` charges month by month. Amounts are
integers of minor units.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, localcontext
from typing import NamedTuple

from convenio.financing.accounts import (
    claim_account,
    expense_account,
    interest_income_account,
    payable_account,
)
from convenio.financing.claims import Claim, ClaimType
from convenio.financing.daycount import (
    DECIMAL_CONTEXT,
    accrue,
    add_months,
    month_end,
    month_ends,
    round_minor,
    year_fraction,
)
from convenio.financing.late import Reduction, late_interest_through
from convenio.financing.schedules import GraceInterest, InterestBasis, Schedule
from convenio.financing.tranches import Tranche
from convenio.ledger import AccountSpec, Posting, Transaction
from convenio.terms import LateInterest, ShortTerm

__all__ = [
    "Accrual",
    "accrual_accounts",
    "accrual_transactions",
    "accrue_through",
    "late_interest",
]


@dataclass(frozen=True, slots=True)
class Accrual:
    """Interest `debtor` owes `creditor` on tranche `tranche_id` for the calendar `month`
    (``YYYY-MM``), booked on its last day `date`, in minor units of `currency`.

    `interest` becomes an interest claim (paid with the installments); `capitalised` is
    grace interest that the terms add to the principal instead. One accrual per tranche
    and month (`key`).
    """

    tranche_id: str
    month: str
    date: date
    creditor: str
    debtor: str
    currency: str
    interest: int
    capitalised: int

    @property
    def key(self) -> tuple[str, str]:
        """What identifies the accrual: (tranche id, month)."""
        return self.tranche_id, self.month

    @property
    def amount(self) -> int:
        """All interest earned in the month, in minor units."""
        return self.interest + self.capitalised


class _Period(NamedTuple):
    start: date
    due: date
    opening: int
    interest: int
    capitalised: bool


def _periods(schedule: Schedule) -> list[_Period]:
    """Every interest period of `schedule` in order: capitalised grace periods (which the
    schedule has no rows for, recomputed as `build_schedule` computes them), then rows."""
    periods: list[_Period] = []
    if schedule.grace_interest is GraceInterest.CAPITALISED:
        step = schedule.frequency.months
        for k in range(1, schedule.grace_months // step + 1):
            start, due = (
                add_months(schedule.start, (k - 1) * step),
                add_months(schedule.start, k * step),
            )
            if schedule.interest_basis is InterestBasis.PERIODIC:
                with localcontext(DECIMAL_CONTEXT):
                    exact = (
                        Decimal(schedule.principal)
                        * schedule.rate
                        / schedule.frequency.periods_per_year
                    )
                interest = round_minor(exact)
            else:
                interest = accrue(schedule.principal, schedule.rate, start, due, schedule.day_count)
            periods.append(_Period(start, due, schedule.principal, interest, True))
        # The same formulas as the schedule's: the grace interest adds up to what it capitalised.
        assert sum(p.interest for p in periods) == schedule.capitalised_interest
    for row in schedule.installments:
        periods.append(_Period(row.period_start, row.due, row.opening, row.interest, False))
    return periods


def _earned(schedule: Schedule, period: _Period, boundary: date) -> int:
    """Interest of `period` earned on the days before `boundary` (start < boundary < due),
    in minor units: by the day count for a day-count schedule, else the period's interest
    pro rata to the day-count fraction of the period elapsed."""
    if schedule.interest_basis is InterestBasis.DAY_COUNT:
        return accrue(period.opening, schedule.rate, period.start, boundary, schedule.day_count)
    whole = year_fraction(period.start, period.due, schedule.day_count)
    if not whole:
        return 0
    part = year_fraction(period.start, boundary, schedule.day_count)
    with localcontext(DECIMAL_CONTEXT):
        return round_minor(Decimal(period.interest) * part / whole)


def _month_end_of(month: str) -> date:
    year, number = (int(part) for part in month.split("-"))
    return month_end(date(year, number, 1))


def _tranche_accruals(tranche: Tranche, through: date, after: str | None = None) -> list[Accrual]:
    """The accruals of one tranche up to `through`, leaving out the months up to and
    including `after` (``YYYY-MM``), which were booked before."""
    schedule = tranche.schedule
    periods = _periods(schedule)
    if not periods:
        return []
    accruals: list[Accrual] = []
    done = {False: 0, True: 0}  # interest of the periods wholly earned, by capitalised
    before = {False: 0, True: 0}  # earned through the previous month end
    index = 0
    first = schedule.start
    if after is not None:
        # Start from the state at the end of `after`: what was earned by then is booked.
        last_booked = _month_end_of(after)
        boundary = last_booked + timedelta(days=1)
        while index < len(periods) and periods[index].due <= boundary:
            done[periods[index].capitalised] += periods[index].interest
            index += 1
        before = dict(done)
        if index < len(periods) and periods[index].start < boundary:
            current = periods[index]
            before[current.capitalised] += _earned(schedule, current, boundary)
        first = max(first, boundary)
    last = min(through, periods[-1].due)
    for end, boundary in month_ends(first, last):
        if end > through:
            break
        while index < len(periods) and periods[index].due <= boundary:
            done[periods[index].capitalised] += periods[index].interest
            index += 1
        now = dict(done)
        if index < len(periods) and periods[index].start < boundary:
            current = periods[index]
            now[current.capitalised] += _earned(schedule, current, boundary)
        interest, capitalised = now[False] - before[False], now[True] - before[True]
        before = now
        if interest or capitalised:
            accruals.append(
                Accrual(
                    tranche.id,
                    f"{end.year:04d}-{end.month:02d}",
                    end,
                    tranche.creditor,
                    tranche.debtor,
                    tranche.currency,
                    interest,
                    capitalised,
                )
            )
    return accruals


def accrue_through(
    tranches: Iterable[Tranche], through: date, after: Mapping[str, str] | None = None
) -> list[Accrual]:
    """The month-end accruals of `tranches` for every calendar month ending on or before
    `through`, ordered by date and tranche id; months with nothing earned are left out.

    The interest earned by a month end is the schedule's interest of every period due by
    then plus, for the period running, the interest of its days up to and including the
    month end (on the period's opening principal: installments are taken as paid when the
    schedule makes them due). A month's accrual is that, rounded, minus the previous
    month's: the accruals of a period sum exactly to its installment's interest. Grace
    interest that the terms capitalise is accrued as `Accrual.capitalised`. The result
    depends only on the tranches and `through`; a later `through` extends it.

    `after` maps a tranche id to the last month (``YYYY-MM``) already booked: only the
    months after it are returned, the same as the tail of the full result, without
    recomputing what was booked.
    """
    booked = after or {}
    accruals = [
        accrual
        for tranche in tranches
        for accrual in _tranche_accruals(tranche, through, booked.get(tranche.id))
    ]
    return sorted(accruals, key=lambda accrual: (accrual.date, accrual.tranche_id))


def late_interest(
    claim: Claim, on: date, terms: ShortTerm | LateInterest | None, outstanding: int | None = None
) -> int:
    """Late interest, in minor units, on `claim` (a short-term part) with `outstanding`
    (default: the whole claim) unpaid until `on` (excluded: the day it is paid, or the
    day of a statement) — the one-payment case of `late.late_interest_through`, which
    holds the rule (docs/financing.md, "Late interest"). 0 when the terms charge none."""
    rule = terms.late_interest if isinstance(terms, ShortTerm) else terms
    paid = [] if outstanding is None else [Reduction(claim.issued, claim.amount - outstanding)]
    return late_interest_through(claim, rule, paid, on - timedelta(days=1))


def _legs(accrual: Accrual) -> list[tuple[AccountSpec, int]]:
    creditor, debtor, currency = accrual.creditor, accrual.debtor, accrual.currency
    legs = [
        (claim_account(creditor, ClaimType.INTEREST, debtor, currency), accrual.interest),
        (claim_account(creditor, ClaimType.INSTALLMENT, debtor, currency), accrual.capitalised),
        (interest_income_account(creditor, currency), -accrual.amount),
        (expense_account(debtor, "interest", currency), accrual.amount),
        (payable_account(debtor, ClaimType.INTEREST, creditor, currency), -accrual.interest),
        (payable_account(debtor, ClaimType.INSTALLMENT, creditor, currency), -accrual.capitalised),
    ]
    return [(spec, amount) for spec, amount in legs if amount]


def accrual_accounts(accruals: Iterable[Accrual]) -> tuple[AccountSpec, ...]:
    """The accounts `accrual_transactions` posts to, each once, to declare before posting."""
    specs: dict[str, AccountSpec] = {}
    for accrual in accruals:
        for spec, _ in _legs(accrual):
            specs.setdefault(spec.name, spec)
    return tuple(specs.values())


def accrual_transactions(accruals: Iterable[Accrual]) -> list[Transaction]:
    """One balanced transaction per accrual, ``acr:{tranche id}:{YYYY-MM}``, on its date:
    the creditor's interest claim (and, for capitalised grace interest, its financed
    claim) against its interest income, the debtor's interest expense against the
    matching payables."""
    return [
        Transaction(
            id=f"acr:{accrual.tranche_id}:{accrual.month}",
            date=accrual.date,
            description=f"Interest on {accrual.tranche_id} for {accrual.month}",
            postings=tuple(
                Posting(spec.name, amount, spec.unit) for spec, amount in _legs(accrual)
            ),
            kind="accrual",
            source=accrual.tranche_id,
            metadata=(("month", accrual.month), ("tranche", accrual.tranche_id)),
        )
        for accrual in accruals
    ]
