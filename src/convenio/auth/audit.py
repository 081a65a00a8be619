"""The audit trail: one record per request that changed state, chained by hash.

Each entry's hash is SHA-256 over the previous entry's hash and the canonical encoding
(compact JSON, fixed field order) of the entry: who (login, role, party), when, what
(method, route, idempotency key, digest of the body), the result (HTTP status, the
answer's digest) and the ledger transactions it caused (the range of chain positions).
Changing, removing or reordering an entry changes every hash after it; the ledger's
`verify` recomputes the chain, as it does the ledger's own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import astuple, dataclass
from typing import Final

__all__ = ["AUDIT_ENCODING", "AUDIT_GENESIS", "AuditEntry", "audit_hash", "verify_audit_chain"]

AUDIT_ENCODING: Final = "convenio.audit/1"
AUDIT_GENESIS: Final = "0" * 64

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@dataclass(frozen=True)
class AuditEntry:
    """What one state-changing request did. `at` is microseconds since the epoch (UTC);
    `first_txn`..`last_txn` the chain positions of the ledger transactions it recorded
    (0, 0 when none)."""

    seq: int
    at: int
    login: str
    role: str
    party: str
    method: str
    route: str
    idempotency_key: str
    body_digest: str
    status: int
    answer_digest: str
    first_txn: int
    last_txn: int
    summary: str

    def encode(self) -> bytes:
        return _dumps([AUDIT_ENCODING, *astuple(self)]).encode()


def audit_hash(previous: str, entry: AuditEntry) -> str:
    return hashlib.sha256(previous.encode("ascii") + entry.encode()).hexdigest()


def verify_audit_chain(
    entries: Iterable[tuple[AuditEntry, str]],
) -> tuple[int, str, int | None]:
    """(entries checked, the last hash, seq of the first entry whose stored hash or
    position is wrong — None when every one holds)."""
    previous, count = AUDIT_GENESIS, 0
    for entry, stored in entries:
        count += 1
        if entry.seq != count or audit_hash(previous, entry) != stored:
            return count, previous, entry.seq
        previous = stored
    return count, previous, None
