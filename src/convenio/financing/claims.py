"""Claims: amounts one party is owed by another, with a due date.

Invoices (their short-term part), installments of financed tranches, interest and late
interest, and invoices for services and goods are all claims. Valuation and the invoice
split create them; settlement offsets and pays them. Amounts are integers of the minor
unit of `currency` (cents for USD).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

__all__ = ["Claim", "ClaimType", "Payment"]


class ClaimType(StrEnum):
    """What a claim is for; settlement rules select claims by these."""

    SHORT_TERM = "short-term"
    """The part of a commodity invoice due in cash at the short term (e.g. 90 days)."""
    INSTALLMENT = "financed"
    """An installment of principal of a financed tranche (terms word: ``financed``)."""
    INTEREST = "interest"
    """Interest on a financed tranche, due with its installments."""
    LATE_INTEREST = "late-interest"
    """Interest charged on a short-term part paid after its due date (+ grace days)."""
    SERVICES = "services"
    """An invoice for services (person-months at the rate card)."""
    GOODS = "goods"
    """An invoice for goods at the rate card."""


@dataclass(frozen=True, slots=True)
class Claim:
    """`debtor` owes `creditor` `amount` minor units of `currency`, due on `due`.

    `id` is stable and unique (e.g. ``inv:D123:st`` for the short-term part of delivery
    D123, ``tr:D123:inst:7`` for the 7th installment of its tranche); `source` names what
    created it (a delivery id, a tranche id).
    """

    id: str
    creditor: str
    debtor: str
    type: ClaimType
    amount: int
    currency: str
    issued: date
    due: date
    source: str = ""


@dataclass(frozen=True, slots=True)
class Payment:
    """A cash payment from `payer` to `payee`, recorded on `date`."""

    id: str
    payer: str
    payee: str
    amount: int
    currency: str
    date: date
    reference: str = ""
