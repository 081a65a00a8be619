"""Tamper evidence: the canonical encoding of a transaction and the hash chain over them.

Each recorded transaction's hash is SHA-256 over the previous hash and the canonical
encoding of the transaction with its position and recorded-at time. Changing any stored
field of any transaction, or removing or reordering one, changes every hash after it;
`verify_chain` recomputes the chain and names the first transaction that does not match.
The encoding is versioned and must never change for an existing version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

from convenio.ledger.model import RecordedTransaction, Transaction

__all__ = [
    "ENCODING_VERSION",
    "GENESIS_HASH",
    "ChainBreak",
    "canonical_bytes",
    "chain_hash",
    "content_digest",
    "encode_content",
    "verify_chain",
]

ENCODING_VERSION = "convenio.txn/1"
GENESIS_HASH = "0" * 64

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


def _content(txn: Transaction) -> list[object]:
    return [
        txn.id,
        txn.date.isoformat(),
        txn.kind,
        txn.description,
        txn.source,
        txn.reverses,
        [list(kv) for kv in txn.metadata],
        [[p.account, p.unit, p.amount] for p in txn.postings],
    ]


def encode_content(txn: Transaction) -> bytes:
    """The canonical encoding of what the caller submitted: compact JSON, fixed field order.

    Amounts are integers of minor units, dates ISO 8601; metadata keeps its (sorted) order.
    """
    return _dumps(_content(txn)).encode()


def content_digest(txn: Transaction, encoded: bytes | None = None) -> str:
    """A digest of what the caller submitted: equal digests mean an idempotent replay."""
    return hashlib.sha256(encode_content(txn) if encoded is None else encoded).hexdigest()


def canonical_bytes(
    txn: Transaction, seq: int, recorded_at: datetime, encoded: bytes | None = None
) -> bytes:
    """The canonical encoding of a recorded transaction.

    A header line ``["convenio.txn/1",SEQ,"RECORDED_AT"]`` (UTC, microseconds), a newline,
    then the content (`encode_content`, passed in when already computed).
    """
    return b'["%s",%d,"%s"]\n%s' % (
        ENCODING_VERSION.encode(),
        seq,
        _iso(recorded_at),
        encode_content(txn) if encoded is None else encoded,
    )


@lru_cache(maxsize=64)
def _iso(moment: datetime) -> bytes:
    return moment.isoformat(timespec="microseconds").encode()


def chain_hash(prev_hash: str, encoded: bytes) -> str:
    """The hash of one link: SHA-256 of the previous hash (hex, ASCII) and the encoding."""
    h = hashlib.sha256(prev_hash.encode("ascii"))
    h.update(encoded)
    return h.hexdigest()


class ChainBreak(NamedTuple):
    """Where verification failed first, and why."""

    seq: int
    txn_id: str
    reason: str


def verify_chain(records: Iterable[RecordedTransaction]) -> tuple[int, ChainBreak | None]:
    """Recompute the chain over records in `seq` order.

    Returns the number of records checked and the first break (or None). A record breaks
    the chain if its sequence number is not the next one, its `prev_hash` is not the hash
    of the record before it, its stored hash is not the hash of its content, or its
    postings do not balance per unit.
    """
    prev = GENESIS_HASH
    expected_seq = 1
    count = 0
    for rec in records:
        count += 1
        txn = rec.txn
        if rec.seq != expected_seq:
            return count, ChainBreak(rec.seq, txn.id, f"expected sequence number {expected_seq}")
        if rec.prev_hash != prev:
            return count, ChainBreak(rec.seq, txn.id, "previous hash does not match the chain")
        if chain_hash(prev, canonical_bytes(txn, rec.seq, rec.recorded_at)) != rec.hash:
            return count, ChainBreak(rec.seq, txn.id, "content does not match its hash")
        sums: dict[str, int] = {}
        for p in txn.postings:
            sums[p.unit] = sums.get(p.unit, 0) + p.amount
        if len(txn.postings) < 2 or any(sums.values()):
            return count, ChainBreak(rec.seq, txn.id, "postings do not balance")
        prev = rec.hash
        expected_seq += 1
    return count, None
