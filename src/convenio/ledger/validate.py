"""Checks on transactions and accounts before they are written; problems are data.

`check_transaction` names every problem with the posting it concerns, so that a file
loader can point at the line. Bound checks need the stored history of an account and
so take it as plain values: `first_bound_break` walks an account's day totals.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import Generic, NamedTuple, TypeVar

from convenio.ledger.model import ACCOUNT_NAME, AccountSpec, Posting, Transaction, TxnId
from convenio.units import UnitRegistry, format_minor

R = TypeVar("R")

__all__ = [
    "MAX_ACCOUNT",
    "MAX_AMOUNT",
    "MAX_ID",
    "MAX_KIND",
    "MAX_PARTY",
    "BoundBreak",
    "Issue",
    "check_account",
    "check_transaction",
    "first_bound_break",
    "reversal_of",
]

MAX_AMOUNT = 2**63 - 1
"""The largest magnitude of a posting, a bound, a day or year total and a balance, in minor
units: each is stored as a 64-bit integer."""

MAX_ID = 200
"""The longest transaction id (and `reverses`), in characters."""

MAX_KIND = 40
"""The longest transaction kind, in characters."""

MAX_ACCOUNT = 200
"""The longest account name, in characters."""

MAX_PARTY = 64
"""The longest party code (an account's first segment), in characters."""


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
    if len(spec.name) > MAX_ACCOUNT:
        issues.append(
            Issue(None, "account", f"an account name has at most {MAX_ACCOUNT} characters")
        )
    if len(spec.party) > MAX_PARTY:
        issues.append(Issue(None, "account", f"a party code has at most {MAX_PARTY} characters"))
    if spec.unit not in units:
        issues.append(Issue(None, "unit", f"unknown unit {spec.unit!r}"))
    for field, bound in (("floor", spec.floor), ("ceiling", spec.ceiling)):
        if bound is not None and abs(bound) > MAX_AMOUNT:
            issues.append(Issue(None, field, f"the {field} is too large to store"))
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
    issues.extend(_text_issues(txn))
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


def _text_issues(txn: Transaction) -> Iterator[Issue]:
    """What the store cannot hold, or the hash would not cover as given: over-long ids and
    kinds, NUL characters, metadata keys out of order or repeated."""
    reverses = txn.reverses or ""
    for field, value, limit in (
        ("txn_id", txn.id, MAX_ID),
        ("kind", txn.kind, MAX_KIND),
        ("reverses", reverses, MAX_ID),
    ):
        if len(value) > limit:
            yield Issue(None, field, f"{field} has at most {limit} characters, got {len(value)}")
    texts = (txn.id, txn.description, txn.kind, txn.source, reverses)
    if "\x00" in "".join(texts):  # one scan in the common case
        for field, value in zip(_TEXT_FIELDS, texts, strict=True):
            if "\x00" in value:
                yield Issue(None, field, "text may not contain the NUL character")
    if not txn.metadata:
        return
    for key, value in txn.metadata:
        if "\x00" in key + value:
            yield Issue(None, f"metadata.{key}", "text may not contain the NUL character")
    for (before, _), (after, _) in itertools.pairwise(txn.metadata):
        if before == after:
            yield Issue(None, "metadata", f"metadata key {after!r} is given twice")
        elif before > after:
            message = f"metadata keys must be sorted: {after!r} after {before!r}"
            yield Issue(None, "metadata", message)


_TEXT_FIELDS = ("txn_id", "description", "kind", "source", "reverses")


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
    """The first day on which an account's balance would leave its bounds, or a total the
    store keeps for it (the day's, the year's, the balance) would not fit in 64 bits."""

    day: date
    balance: int
    culprit: R
    overflow: str | None = None
    """What would not fit ("day total", "year total", "balance"), or None for a bound."""

    def describe(self, spec: AccountSpec, scale: int) -> str:
        if self.overflow is not None:
            return (
                f"this would take the {self.overflow} of {spec.name} on "
                f"{self.day.isoformat()} to {format_minor(self.balance, scale)} {spec.unit}, "
                "beyond what the store holds (64-bit minor units)"
            )
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
    """Check the account at the end of every day from the first new posting onwards.

    `opening` is the stored balance at the end of the year before the earliest new date,
    `stored` the stored day totals from the first day of that year on, `new` the new
    postings (day, amount, a reference to blame). Returns the first day whose closing
    balance breaks a bound, or whose day total, year total or balance would not fit in
    64 bits, blaming the last new posting on or before that day; or None.
    """
    if not new:
        return None
    by_day: dict[date, int] = {}
    for day, amount in stored:
        by_day[day] = by_day.get(day, 0) + amount
    new_sorted = sorted(range(len(new)), key=lambda i: new[i][0])
    for i in new_sorted:
        day, amount, _ = new[i]
        by_day[day] = by_day.get(day, 0) + amount
    days = sorted(by_day)
    balance = opening
    year_total = 0
    culprit_pos = -1
    for n, day in enumerate(days):
        total = by_day[day]
        balance += total
        year_total += total
        while culprit_pos + 1 < len(new_sorted) and new[new_sorted[culprit_pos + 1]][0] <= day:
            culprit_pos += 1
        year_ends = n + 1 == len(days) or days[n + 1].year != day.year
        if culprit_pos >= 0:
            culprit = new[new_sorted[culprit_pos]][2]
            for what, value in (("day total", total), ("balance", balance)) + (
                (("year total", year_total),) if year_ends else ()
            ):
                if abs(value) > MAX_AMOUNT:
                    return BoundBreak(day, value, culprit, what)
            if spec.breaks_bound(balance):
                return BoundBreak(day, balance, culprit)
        if year_ends:
            year_total = 0
    return None
