"""Tranches: the financed part of one invoice as a loan, and the claims it gives rise to.

The invoice split (`convenio.financing.invoicing`) lends the financed part of a
commodity invoice to the recipient on the terms of the price band
(`FinancingTerms.loan_for`); `tranche_for` turns those terms into a `Tranche` with its
`Schedule` (`build_schedule`), and `tranche_claims` lists what the schedule makes due:
an INSTALLMENT claim for each row's principal and an INTEREST claim for its interest.
Month-end interest accrual (`convenio.financing.accrual`) reads the same schedule.
Amounts are integers of the minor unit of the tranche's currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from convenio.errors import InputError, Problem
from convenio.financing.claims import Claim, ClaimType
from convenio.financing.daycount import DayCount
from convenio.financing.schedules import (
    Frequency,
    GraceInterest,
    Method,
    Schedule,
    build_schedule,
)
from convenio.terms import LoanTerms

__all__ = ["Tranche", "financing_day_count", "tranche_claims", "tranche_for"]


@dataclass(frozen=True, slots=True)
class Tranche:
    """`debtor` owes `creditor` `principal` minor units of `currency` lent on `start`.

    `id` is ``tr:{delivery id}``; `loan` is the band's loan terms as the terms file
    states them and `schedule` the repayment schedule computed from them.
    """

    id: str
    delivery_id: str
    creditor: str
    debtor: str
    currency: str
    principal: int
    start: date
    loan: LoanTerms
    schedule: Schedule


def financing_day_count(value: str, field: str = "day_count") -> DayCount:
    """The financing `DayCount` of a terms day count; `InputError` for one not computed
    here (the US ``30/360`` bond basis: the terms may name it, no schedule uses it)."""
    try:
        return DayCount(value)
    except ValueError:
        known = ", ".join(member.value for member in DayCount)
        message = f"the day count {value!s} is not computed by convenio.financing ({known})"
        raise InputError(message, [Problem(message, field=field)]) from None


def tranche_for(
    tranche_id: str,
    delivery_id: str,
    creditor: str,
    debtor: str,
    currency: str,
    principal: int,
    start: date,
    loan: LoanTerms,
) -> Tranche:
    """The tranche of `principal` minor units lent on `start` on `loan`, with its schedule.

    The schedule's interest basis is `build_schedule`'s default for the method (the terms
    do not state one): the day count for equal principal, the periodic rate for an annuity.
    """
    schedule = build_schedule(
        principal,
        loan.rate,
        start,
        loan.months,
        loan.grace_months,
        frequency=Frequency(loan.frequency.value),
        method=Method(loan.method.value),
        day_count=financing_day_count(loan.day_count.value, "loan.day_count"),
        grace_interest=GraceInterest(loan.grace_interest.value),
    )
    return Tranche(
        tranche_id, delivery_id, creditor, debtor, currency, principal, start, loan, schedule
    )


def tranche_claims(tranche: Tranche) -> list[Claim]:
    """The claims of `tranche`'s schedule, in order of due date: for installment n, the
    principal part as ``{tranche id}:inst:{n}`` (type INSTALLMENT) and the interest as
    ``{tranche id}:int:{n}`` (type INTEREST), both due on the installment's date. Zero
    amounts (the principal of a grace row) make no claim.

    The INSTALLMENT claims sum to the principal lent plus any capitalised grace interest.
    A schedule's claim arises when it falls due (`issued` = `due`): a settlement run takes
    up an installment in the period it is due, not while it is years away.
    """
    claims: list[Claim] = []
    for row in tranche.schedule.installments:
        for suffix, type_, amount in (
            ("inst", ClaimType.INSTALLMENT, row.principal),
            ("int", ClaimType.INTEREST, row.interest),
        ):
            if amount:
                claims.append(
                    Claim(
                        id=f"{tranche.id}:{suffix}:{row.number}",
                        creditor=tranche.creditor,
                        debtor=tranche.debtor,
                        type=type_,
                        amount=amount,
                        currency=tranche.currency,
                        issued=row.due,
                        due=row.due,
                        source=tranche.id,
                    )
                )
    return claims
