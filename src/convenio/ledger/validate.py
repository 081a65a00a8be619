"""Checks on transactions and accounts before they are written; problems are data.

`check_transaction` names every problem with the posting it concerns, so that a file
loader can point at the line. Bound checks need the stored history of an account and
so take it as plain values: `first_bound_break` walks an account's day totals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Generic, NamedTuple, TypeVar

from convenio.ledger.model import ACCOUNT_NAME, AccountSpec, Posting, Transaction, TxnId
from convenio.units import UnitRegistry, format_minor

R = TypeVar("R")

__all__ = [
    "MAX_AMOUNT",
    "BoundBreak",
    "Issue",
    "check_account",
    "check_transaction",
    "first_bound_break",
    "reversal_of",
]

MAX_AMOUNT = 2**63 - 1
"""The largest magnitude of a posting, in minor units (it is stored as a 64-bit integer)."""


class Issue(NamedTuple):
    """A problem with a transaction; `posting` is the index of the posting it concerns."""

    posting: int | None
    field: str
    message: str


def check_account(spec: AccountSpec, units: UnitRegistry) -> list[Issue]:
    """Problems with an account declaration: its name, unit and bounds."""
    issues = []
    if not ACCOUNT_NAME.match(spec.name):
        issues.append(
            Issue(
                None,
                "account",
                f"{spec.name!r} is not an account path: a party code such as VEN or "
                "CUB.BNC, then '/'-separated segments (letters, digits, '-', '_', '.')",
            )
        )
    if spec.unit not in units:
        issues.append(Issue(None, "unit", f"unknown unit {spec.unit!r}"))
    if spec.floor is not None and spec.ceiling is not None and spec.floor > spec.ceiling:
        issues.append(Issue(None, "floor", "the floor is above the ceiling"))
    return issues


def check_transaction(txn: Transaction, accounts: Mapping[str, AccountSpec]) -> list[Issue]:
    """Every problem that makes `txn` unfit to post against the declared `accounts`.

    A transaction needs an id, two or more postings, known accounts, each posting in its
    account's unit, and postings that sum to zero per unit.
    """
    issues: list[Issue] = []
    if not txn.id or txn.id != txn.id.strip():
        issues.append(Issue(None, "txn_id", "a transaction id must be non-empty text"))
    if len(txn.postings) < 2:
        issues.append(Issue(None, "postings", f"transaction {txn.id} has fewer than 2 postings"))
    sums: dict[str, int] = {}
    for i, p in enumerate(txn.postings):
        spec = accounts.get(p.account)
        if spec is None:
            issues.append(Issue(i, "account", f"unknown account {p.account!r}"))
        elif spec.unit != p.unit:
            issues.append(
                Issue(i, "unit", f"{p.unit} posted to {p.account}, whose unit is {spec.unit}")
            )
        if abs(p.amount) > MAX_AMOUNT:
            issues.append(Issue(i, "amount", "amount is too large to store"))
        sums[p.unit] = sums.get(p.unit, 0) + p.amount
    for unit, total in sums.items():
        if total:
            issues.append(
                Issue(
                    None,
                    "amount",
                    f"transaction {txn.id} does not balance: {unit} postings sum to "
                    f"{total:+d} minor units",
                )
            )
    return issues


def reversal_of(original: Transaction, new_id: TxnId, on: date, reason: str = "") -> Transaction:
    """The transaction that undoes `original`: the same postings with opposite signs."""
    description = f"Reversal of {original.id}" + (f": {reason}" if reason else "")
    return Transaction(
        id=new_id,
        date=on,
        description=description,
        postings=tuple(Posting(p.account, -p.amount, p.unit) for p in original.postings),
        kind="reversal",
        source=original.source,
        metadata=original.metadata,
        reverses=original.id,
    )


class BoundBreak(NamedTuple, Generic[R]):
    """The first day on which an account's balance would leave its bounds."""

    day: date
    balance: int
    culprit: R

    def describe(self, spec: AccountSpec, scale: int) -> str:
        bound, side = (
            (spec.floor, "below its floor")
            if spec.floor is not None and self.balance < spec.floor
            else (spec.ceiling, "above its ceiling")
        )
        assert bound is not None
        return (
            f"this would take {spec.name} to {format_minor(self.balance, scale)} {spec.unit} "
            f"on {self.day.isoformat()}, {side} {format_minor(bound, scale)}"
        )


def first_bound_break(
    spec: AccountSpec,
    opening: int,
    stored: Iterable[tuple[date, int]],
    new: Sequence[tuple[date, int, R]],
) -> BoundBreak[R] | None:
    """Check the balance at the end of every day from the first new posting onwards.

    `opening` is the stored balance before the earliest new date, `stored` the stored day
    totals from that date on, `new` the new postings (day, amount, a reference to blame).
    Returns the first day whose closing balance breaks a bound, blaming the last new
    posting on or before that day, or None.
    """
    if not new or (spec.floor is None and spec.ceiling is None):
        return None
    by_day: dict[date, int] = {}
    for day, amount in stored:
        by_day[day] = by_day.get(day, 0) + amount
    new_sorted = sorted(range(len(new)), key=lambda i: new[i][0])
    for i in new_sorted:
        day, amount, _ = new[i]
        by_day[day] = by_day.get(day, 0) + amount
    balance = opening
    culprit_pos = -1
    for day in sorted(by_day):
        balance += by_day[day]
        while culprit_pos + 1 < len(new_sorted) and new[new_sorted[culprit_pos + 1]][0] <= day:
            culprit_pos += 1
        if culprit_pos >= 0 and spec.breaks_bound(balance):
            return BoundBreak(day, balance, new[new_sorted[culprit_pos]][2])
    return None
