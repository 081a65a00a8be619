"""Settlement: the bilateral compensation run that nets claims each period.

Valuation and financing leave claims in both directions between two parties; each
period `settle` offsets services and goods against what the terms let them pay, applies
the period's cash payments in the terms' allocation order, carries the rest, and
returns a `Settlement` with every `Allocation` and the `Statement` both parties sign.
`settlement_transactions` books the run on the ledger's chart of accounts. Pure values
and functions, amounts in integer minor units; see ``docs/settlement.md``.
"""

from convenio.settlement.model import Allocation, Credit, Method, OpenClaim, Settlement
from convenio.settlement.offset import (
    ALL_TYPES,
    IN_KIND,
    allocation_sequence,
    payable_in_kind,
    settle,
)
from convenio.settlement.postings import (
    MAX_TXN_ID,
    TXN_KIND,
    advance_account,
    prepaid_account,
    settlement_accounts,
    settlement_transactions,
)
from convenio.settlement.statement import DirectionStatement, Statement

__all__ = [
    "ALL_TYPES",
    "IN_KIND",
    "MAX_TXN_ID",
    "TXN_KIND",
    "Allocation",
    "Credit",
    "DirectionStatement",
    "Method",
    "OpenClaim",
    "Settlement",
    "Statement",
    "advance_account",
    "allocation_sequence",
    "payable_in_kind",
    "prepaid_account",
    "settle",
    "settlement_accounts",
    "settlement_transactions",
]
