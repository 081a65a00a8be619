"""Positions between parties: who owes whom, by what, on a day and at each quarter end.

Every claim is carried in two accounts (`convenio.financing.accounts`): the debtor's
``DEBTOR/payable/TYPE/CREDITOR`` and the creditor's ``CREDITOR/claims/TYPE/DEBTOR``. The
debt at the end of a day is the balance of one of them — what the demo's debt at each
year end reads (`convenio.demo.figures.year_end`) — and a party's statement
(`services.settlement.party_statement`) says the same by claim and age. These pure
functions turn either into the four things a reader asks about (short-term parts, loan
principal, interest, services and goods), and day totals into the position at each
quarter end; the overview service (`services.overview`) reads the rows. Amounts are
integers of the unit's minor step.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, Final, NamedTuple, TypeVar

from convenio.financing.claims import ClaimType
from convenio.periods import PeriodType, period_of
from convenio.units import parse_minor

__all__ = [
    "KIND_OF_CLAIM",
    "DebtAccount",
    "Kind",
    "Owed",
    "Pair",
    "balances_on",
    "debt_account",
    "debt_accounts",
    "quarter_ends",
    "statement_debts",
]

K = TypeVar("K")


class Kind(StrEnum):
    """What a debt is for, as the overview groups claims."""

    SHORT_TERM = "short-term"
    """Short-term parts of commodity invoices, not yet paid."""
    PRINCIPAL = "principal"
    """Loan (tranche) principal outstanding: installments due and unpaid included."""
    INTEREST = "interest"
    """Interest accrued and unpaid, due or not, and late interest."""
    SERVICES = "services"
    """Services and goods invoiced and not yet paid."""


KIND_OF_CLAIM: Final[Mapping[ClaimType, Kind]] = {
    ClaimType.SHORT_TERM: Kind.SHORT_TERM,
    ClaimType.INSTALLMENT: Kind.PRINCIPAL,
    ClaimType.INTEREST: Kind.INTEREST,
    ClaimType.LATE_INTEREST: Kind.INTEREST,
    ClaimType.SERVICES: Kind.SERVICES,
    ClaimType.GOODS: Kind.SERVICES,
}


class Pair(NamedTuple):
    """`debtor` owes `creditor` in `currency`."""

    debtor: str
    creditor: str
    currency: str


@dataclass(frozen=True, slots=True)
class Owed:
    """What one debtor owes one creditor, by kind, in minor units. `principal_due` is
    the part of `principal` already due (installments unpaid): not an amount on top."""

    short_term: int = 0
    principal: int = 0
    interest: int = 0
    services: int = 0
    principal_due: int = 0

    @property
    def total(self) -> int:
        return self.short_term + self.principal + self.interest + self.services

    def of(self, kind: Kind) -> int:
        value: int = getattr(self, _FIELD[kind])
        return value


class DebtAccount(NamedTuple):
    """An account that carries a debt: `debtor` owes `creditor` for claims of
    `claim_type`; `owner` keeps it, and `sign` turns its balance into the debt (a
    payable is a liability, negative; a claim an asset, positive)."""

    debtor: str
    creditor: str
    claim_type: ClaimType
    owner: str
    sign: int


def debt_account(name: str) -> DebtAccount | None:
    """The debt `name` carries (``CUB.CUPET/payable/financed/VEN.PDVSA``), or None for
    an account that carries none (cash, income, stock)."""
    parts = name.split("/")
    if len(parts) != 4:
        return None
    owner, side, kind, other = parts
    try:
        claim_type = ClaimType(kind)
    except ValueError:
        return None
    if side == "payable":
        return DebtAccount(owner, other, claim_type, owner, -1)
    if side == "claims":
        return DebtAccount(other, owner, claim_type, owner, 1)
    return None


def debt_accounts(names: Iterable[str], reads: Callable[[str], bool]) -> dict[str, DebtAccount]:
    """The accounts of `names` to read each debt from once, among the accounts of the
    parties `reads` allows: the debtor's payable when the reader reads the debtor, else
    the creditor's claim when it reads the creditor."""
    found = {name: debt for name in names if (debt := debt_account(name)) is not None}
    return {
        name: debt
        for name, debt in found.items()
        if reads(debt.owner) and (debt.sign < 0 or not reads(debt.debtor))
    }


def quarter_ends(first: date, last: date) -> tuple[date, ...]:
    """Each quarter's last day from `first`'s quarter on, before `last`, then `last`
    itself (a quarter's end too when it is one); empty when `first` comes after `last`."""
    if first > last:
        return ()
    ends = []
    quarter = period_of(first, PeriodType.QUARTERLY)
    while quarter.end < last:
        ends.append(quarter.end)
        quarter = quarter.next()
    return (*ends, last)


def balances_on(
    days: Sequence[date],
    moves: Mapping[K, Sequence[tuple[date, int]]],
    opening: Mapping[K, int] | None = None,
) -> list[dict[K, int]]:
    """Each key's balance at the end of each of `days` (ascending): its `opening` plus
    every move dated on or before that day. `moves` of a key are in date order."""
    totals: dict[K, int] = dict(opening or {})
    for key in moves:
        totals.setdefault(key, 0)
    at = dict.fromkeys(moves, 0)  # the next move of each key to add
    found = []
    for day in days:
        for key, dated in moves.items():
            i = at[key]
            while i < len(dated) and dated[i][0] <= day:
                totals[key] += dated[i][1]
                i += 1
            at[key] = i
        found.append(dict(totals))
    return found


def statement_debts(statement: Mapping[str, Any], scales: Mapping[str, int]) -> dict[Pair, Owed]:
    """What a party's statement (`party_statement`'s answer) says is owed to it and by
    it, by debtor, creditor and currency: the claims by kind (installments due only as
    `principal_due`, since the tranche principal holds them), the tranche principal
    outstanding and the interest accrued not yet due."""
    party = str(statement["party"])
    sums: dict[tuple[Pair, str], int] = defaultdict(int)

    def add(row: Mapping[str, Any], field: str, amount_field: str) -> None:
        other, currency = str(row["counterparty"]), str(row["currency"])
        payable = row["direction"] == "payable"
        pair = Pair(party, other, currency) if payable else Pair(other, party, currency)
        sums[pair, field] += parse_minor(str(row[amount_field]), scales[currency])

    for row in statement["claims"]:
        claim_type = ClaimType(row["type"])
        due = claim_type is ClaimType.INSTALLMENT
        add(row, "principal_due" if due else _FIELD[KIND_OF_CLAIM[claim_type]], "outstanding")
    for row in statement["tranche_principal"]:
        add(row, "principal", "outstanding")
    for row in statement["accrued_interest_not_due"]:
        add(row, "interest", "amount")
    return {
        pair: Owed(**{field: amount for (p, field), amount in sums.items() if p == pair})
        for pair in sorted({pair for pair, _ in sums})
    }


_FIELD: Final[Mapping[Kind, str]] = {
    Kind.SHORT_TERM: "short_term",
    Kind.PRINCIPAL: "principal",
    Kind.INTEREST: "interest",
    Kind.SERVICES: "services",
}
