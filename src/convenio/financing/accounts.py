"""The chart of accounts that valuation, financing and settlement post to.

Every claim is carried twice, once in each party's books: the creditor's asset
``CREDITOR/claims/TYPE/DEBTOR`` and the debtor's liability ``DEBTOR/payable/TYPE/CREDITOR``.
Deliveries credit the supplier's income and debit the recipient's expense; cash moves
between the parties' ``cash`` accounts; physical quantities move between ``stock``
accounts. One naming rule here keeps every writer consistent.
"""

from __future__ import annotations

from convenio.financing.claims import ClaimType
from convenio.ledger import AccountKind, AccountSpec

__all__ = [
    "cash_account",
    "claim_account",
    "delivered_account",
    "expense_account",
    "income_account",
    "interest_income_account",
    "payable_account",
    "received_account",
]


def claim_account(creditor: str, type_: ClaimType, debtor: str, currency: str) -> AccountSpec:
    """What `creditor` is owed by `debtor` for claims of `type_` (asset, never negative)."""
    return AccountSpec(
        f"{creditor}/claims/{type_.value}/{debtor}", currency, AccountKind.ASSET, floor=0
    )


def payable_account(debtor: str, type_: ClaimType, creditor: str, currency: str) -> AccountSpec:
    """What `debtor` owes `creditor` for claims of `type_` (liability, never positive)."""
    return AccountSpec(
        f"{debtor}/payable/{type_.value}/{creditor}", currency, AccountKind.LIABILITY, ceiling=0
    )


def income_account(supplier: str, kind: str, currency: str) -> AccountSpec:
    """The supplier's income from deliveries of `kind` (commodity, goods, services)."""
    return AccountSpec(f"{supplier}/income/{kind}", currency, AccountKind.INCOME)


def interest_income_account(creditor: str, currency: str) -> AccountSpec:
    return AccountSpec(f"{creditor}/income/interest", currency, AccountKind.INCOME)


def expense_account(recipient: str, kind: str, currency: str) -> AccountSpec:
    """The recipient's expense for deliveries of `kind`, or for interest (``interest``)."""
    return AccountSpec(f"{recipient}/expense/{kind}", currency, AccountKind.EXPENSE)


def cash_account(party: str, currency: str) -> AccountSpec:
    return AccountSpec(f"{party}/cash", currency, AccountKind.ASSET)


def delivered_account(supplier: str, item: str, unit: str) -> AccountSpec:
    """Physical quantities the supplier has delivered (goes negative as it delivers)."""
    return AccountSpec(f"{supplier}/delivered/{item}", unit, AccountKind.ASSET)


def received_account(recipient: str, item: str, unit: str) -> AccountSpec:
    """Physical quantities the recipient has received."""
    return AccountSpec(f"{recipient}/received/{item}", unit, AccountKind.ASSET)
