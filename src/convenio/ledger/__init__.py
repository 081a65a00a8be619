"""The ledger: an append-only journal of balanced transactions with a hash chain.

Pure values and checks only; the store writes and reads them.
"""

from convenio.ledger.balances import Balances, balances_as_of
from convenio.ledger.chain import (
    GENESIS_HASH,
    ChainBreak,
    canonical_bytes,
    chain_hash,
    content_digest,
    encode_content,
    verify_chain,
)
from convenio.ledger.model import (
    Account,
    AccountKind,
    AccountSpec,
    Metadata,
    Posting,
    RecordedTransaction,
    Transaction,
    TxnId,
    party_of,
)
from convenio.ledger.validate import check_account, check_transaction, reversal_of

__all__ = [
    "GENESIS_HASH",
    "Account",
    "AccountKind",
    "AccountSpec",
    "Balances",
    "ChainBreak",
    "Metadata",
    "Posting",
    "RecordedTransaction",
    "Transaction",
    "TxnId",
    "balances_as_of",
    "canonical_bytes",
    "chain_hash",
    "check_account",
    "check_transaction",
    "content_digest",
    "encode_content",
    "party_of",
    "reversal_of",
    "verify_chain",
]
