"""Running totals over postings: a small mutable class that checks its own invariants.

Used by the pure side (validation before a write, tests that recompute what the store
says) — the store keeps its own per-day and per-year totals for fast as-of reads.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date

from convenio.ledger.model import Account, Transaction

__all__ = ["Balances", "balances_as_of"]


class Balances:
    """Balances per account (minor units), with the per-unit sum that must stay zero."""

    def __init__(self) -> None:
        self._by_account: dict[Account, int] = defaultdict(int)
        self._by_unit: dict[str, int] = defaultdict(int)

    def apply(self, txn: Transaction, sign: int = 1) -> None:
        for p in txn.postings:
            self._by_account[p.account] += sign * p.amount
            self._by_unit[p.unit] += sign * p.amount

    def __getitem__(self, account: Account) -> int:
        return self._by_account.get(account, 0)

    def as_dict(self) -> dict[Account, int]:
        """Every account that was ever posted to, zero balances included."""
        return dict(self._by_account)

    def unit_totals(self) -> Mapping[str, int]:
        """The sum of all balances per unit; zero for every unit in a sound ledger."""
        return dict(self._by_unit)

    def is_balanced(self) -> bool:
        return not any(self._by_unit.values())


def balances_as_of(txns: Iterable[Transaction], as_of: date | None = None) -> Balances:
    """Balances of the transactions whose effective date is on or before `as_of`."""
    result = Balances()
    for txn in txns:
        if as_of is None or txn.date <= as_of:
            result.apply(txn)
    return result
