"""The values a settlement run reads and returns: open claims, allocations, credits.

A settlement (compensation) run starts from the claims the ledger still carries between
two parties — each an `OpenClaim`, a `Claim` with what is still unpaid of it — and the
cash payments of the period; `convenio.settlement.offset.settle` turns them into a
`Settlement`: every `Allocation` it made, what each claim still owes afterwards, any
overpayment carried as a `Credit`, and the `Statement` both parties sign.
`convenio.settlement.postings` turns the `Settlement` into ledger transactions. All
amounts are integers of the minor unit of the settlement's currency (cents for USD).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from convenio.errors import InputError, Problem
from convenio.financing.claims import Claim, Payment
from convenio.periods import Period
from convenio.settlement.statement import Statement

__all__ = ["Allocation", "Credit", "Method", "OpenClaim", "Settlement"]


@dataclass(frozen=True, slots=True)
class OpenClaim:
    """A claim and `outstanding`, the part of its amount still unpaid (minor units).

    `0 <= outstanding <= claim.amount`; anything else is refused with `InputError`, as
    it can only come from a ledger that disagrees with its own claims.
    """

    claim: Claim
    outstanding: int

    def __post_init__(self) -> None:
        if not 0 <= self.outstanding <= self.claim.amount:
            message = (
                f"claim {self.claim.id}: outstanding {self.outstanding} is not within 0 and "
                f"its amount {self.claim.amount} (minor units of {self.claim.currency})"
            )
            raise InputError(message, [Problem(message, field="outstanding")])

    @property
    def id(self) -> str:
        return self.claim.id


class Method(StrEnum):
    """How an allocation paid a claim."""

    OFFSET = "offset"
    """Against a claim in the other direction (services and goods paying oil)."""
    CASH = "cash"
    """With a cash payment of the period."""


@dataclass(frozen=True, slots=True)
class Allocation:
    """`amount` of claim `claim_id` paid off, by `method`, against `against`.

    `against` is the id of the opposing claim for an offset (which receives an
    allocation of the same amount against this one) or of the payment for cash.
    """

    claim_id: str
    amount: int
    method: Method
    against: str


@dataclass(frozen=True, slots=True)
class Credit:
    """The part of payment `payment_id` beyond what `payee` was owed: `payer`'s credit."""

    payment_id: str
    payer: str
    payee: str
    amount: int


@dataclass(frozen=True, slots=True)
class Settlement:
    """The result of one settlement run between `party_a` and `party_b` in `currency`.

    `claims` are the claims that took part, with their outstanding *before* the run,
    sorted by id; `remaining` the same claims with their outstanding *after* it (same
    order, zero included), so that `remaining` is the input of the next run. `payments`
    are the payments applied, by date then id; `allocations` every allocation in the
    order the run made them; `credits` the overpayments carried (only when the terms
    say ``overpayment: carry``).
    """

    period: Period
    party_a: str
    party_b: str
    currency: str
    claims: tuple[OpenClaim, ...]
    remaining: tuple[OpenClaim, ...]
    payments: tuple[Payment, ...]
    allocations: tuple[Allocation, ...]
    credits: tuple[Credit, ...]
    statement: Statement

    @property
    def carried(self) -> tuple[OpenClaim, ...]:
        """The claims still outstanding after the run, carried to the next period."""
        return tuple(c for c in self.remaining if c.outstanding > 0)

    def claim(self, claim_id: str) -> Claim:
        """The claim `claim_id` of this run; `KeyError` if it took no part."""
        for open_claim in self.claims:
            if open_claim.id == claim_id:
                return open_claim.claim
        raise KeyError(claim_id)

    def outstanding_before(self, claim_id: str) -> int:
        """What claim `claim_id` owed before the run; `KeyError` if it took no part."""
        for open_claim in self.claims:
            if open_claim.id == claim_id:
                return open_claim.outstanding
        raise KeyError(claim_id)

    def outstanding_after(self, claim_id: str) -> int:
        """What claim `claim_id` still owes after the run; `KeyError` if it took no part."""
        for open_claim in self.remaining:
            if open_claim.id == claim_id:
                return open_claim.outstanding
        raise KeyError(claim_id)

    def allocated(self, claim_id: str, method: Method | None = None) -> int:
        """The total allocated to claim `claim_id` (by `method` only, if given)."""
        return sum(
            a.amount
            for a in self.allocations
            if a.claim_id == claim_id and (method is None or a.method is method)
        )
