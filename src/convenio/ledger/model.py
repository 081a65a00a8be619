"""The ledger's facts: accounts, postings and transactions as immutable values.

A transaction is two or more postings that balance per unit; amounts are integers of the
unit's smallest step. Once recorded, a transaction carries its place in the hash chain.
Nothing here touches storage: the store converts rows to these values and back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import NamedTuple

__all__ = [
    "ACCOUNT_NAME",
    "Account",
    "AccountKind",
    "AccountSpec",
    "Metadata",
    "Posting",
    "RecordedTransaction",
    "Transaction",
    "TxnId",
    "party_of",
]

Account = str
"""An account path owned by a party, e.g. ``VEN/claims/short-term/CUB``."""

TxnId = str
"""A transaction's id, which is also its idempotency key."""

Metadata = tuple[tuple[str, str], ...]
"""Key/value metadata, sorted by key (a tuple so that transactions stay hashable values)."""

ACCOUNT_NAME = re.compile(
    r"^[A-Z][A-Z0-9]*(\.[A-Z0-9][A-Za-z0-9-]*)*(/[A-Za-z0-9][A-Za-z0-9_.-]*)+$"
)
"""A party code (``VEN``, ``CUB.BNC``) then one or more ``/``-separated path segments."""


def party_of(account: Account) -> str:
    """The party that owns an account: its first path segment."""
    return account.split("/", 1)[0]


class AccountKind(StrEnum):
    """What an account holds; decides its sign convention in exports (debit positive)."""

    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"


@dataclass(frozen=True, slots=True)
class AccountSpec:
    """A declared account: its unit, kind and optional bounds on its balance (minor units).

    ``floor=0`` means the balance must never go below zero at any effective date.
    """

    name: Account
    unit: str
    kind: AccountKind = AccountKind.ASSET
    floor: int | None = None
    ceiling: int | None = None

    @property
    def party(self) -> str:
        return party_of(self.name)

    def breaks_bound(self, balance: int) -> bool:
        return (self.floor is not None and balance < self.floor) or (
            self.ceiling is not None and balance > self.ceiling
        )


class Posting(NamedTuple):
    """A signed amount, in minor units of `unit`, posted to one account."""

    account: Account
    amount: int
    unit: str


class Transaction(NamedTuple):
    """A balanced set of postings on one effective date, as the caller submits it.

    `id` is the idempotency key: submitting the same id with the same content again is a
    no-op, with different content a conflict. `reverses` names the transaction that this
    one undoes; corrections are reversals plus new transactions, never edits.
    """

    id: TxnId
    date: date
    description: str
    postings: tuple[Posting, ...]
    kind: str = "manual"
    source: str = ""
    metadata: Metadata = ()
    reverses: TxnId | None = None


class RecordedTransaction(NamedTuple):
    """A transaction as stored: its position, when it was recorded, and its chain hashes."""

    seq: int
    txn: Transaction
    recorded_at: datetime
    prev_hash: str
    hash: str
