"""The statement of a settlement run: the page both parties sign.

`convenio.settlement.offset.settle` builds it from the claims and allocations of a run;
reports render it (PDF, the dashboard) and the API returns `Statement.to_dict()`. For
each direction (A's claims on B, B's claims on A) it states what was invoiced in the
period by claim type, what was outstanding before the run, what the offset in kind and
the cash paid off, and what is carried forward; and, over both directions, the net
position before cash: who owes whom, and how much. Amounts are integers of the minor
unit of `currency`; `to_dict` writes them as decimal text at the scale it is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from convenio.financing.claims import ClaimType
from convenio.periods import Period
from convenio.units import format_minor

__all__ = ["DirectionStatement", "Statement"]


@dataclass(frozen=True, slots=True)
class DirectionStatement:
    """What `creditor` is owed by `debtor`, and what the run did with it (minor units).

    `invoiced` is, by claim type (in `ClaimType` order, types with no claim left out),
    the amount of the claims issued within the period, whether or not they are still
    outstanding. `outstanding_before` is the sum outstanding of the claims that took
    part; `offset` and `cash_paid` are what the offset in kind and the payments took
    off them; `carried_forward` is what is left. `overpaid` is what `debtor` paid
    `creditor` beyond its claims, carried as the debtor's credit.
    """

    creditor: str
    debtor: str
    invoiced: tuple[tuple[ClaimType, int], ...]
    outstanding_before: int
    offset: int
    cash_paid: int
    carried_forward: int
    overpaid: int = 0

    def __post_init__(self) -> None:
        after = self.outstanding_before - self.offset - self.cash_paid
        if after != self.carried_forward or min(self.offset, self.cash_paid, after) < 0:
            raise ValueError(
                f"{self.creditor} on {self.debtor}: {self.outstanding_before} outstanding "
                f"- {self.offset} offset - {self.cash_paid} cash != "
                f"{self.carried_forward} carried"
            )

    @property
    def invoiced_total(self) -> int:
        return sum(amount for _, amount in self.invoiced)

    def to_dict(self, scale: int) -> dict[str, Any]:
        """Plain JSON-ready values; amounts as decimal text with `scale` decimals."""

        def text(minor: int) -> str:
            return format_minor(minor, scale)

        return {
            "creditor": self.creditor,
            "debtor": self.debtor,
            "invoiced": {type_.value: text(amount) for type_, amount in self.invoiced},
            "invoiced_total": text(self.invoiced_total),
            "outstanding_before": text(self.outstanding_before),
            "offset": text(self.offset),
            "cash_paid": text(self.cash_paid),
            "carried_forward": text(self.carried_forward),
            "overpaid": text(self.overpaid),
        }


@dataclass(frozen=True, slots=True)
class Statement:
    """The statement of a run between `party_a` and `party_b` for `period`, in `currency`.

    `a_on_b` and `b_on_a` are the two directions. The net position is taken before
    cash: `net_amount` = |A's outstanding on B − B's outstanding on A| before the run
    (the offset takes the same amount off both sides, so it is also the position after
    the offset); `net_debtor` owes it to `net_creditor`. Both are None when the two
    sides are equal.
    """

    period: Period
    party_a: str
    party_b: str
    currency: str
    a_on_b: DirectionStatement
    b_on_a: DirectionStatement
    net_debtor: str | None
    net_creditor: str | None
    net_amount: int

    @property
    def directions(self) -> tuple[DirectionStatement, DirectionStatement]:
        return (self.a_on_b, self.b_on_a)

    def to_dict(self, scale: int) -> dict[str, Any]:
        """Plain JSON-ready values; amounts as decimal text with `scale` decimals (2 for USD)."""
        return {
            "period": self.period.iso(),
            "start": self.period.start.isoformat(),
            "end": self.period.end.isoformat(),
            "currency": self.currency,
            "parties": [self.party_a, self.party_b],
            "directions": [d.to_dict(scale) for d in self.directions],
            "net": {
                "debtor": self.net_debtor,
                "creditor": self.net_creditor,
                "amount": format_minor(self.net_amount, scale),
            },
        }
