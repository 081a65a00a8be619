"""The log's entries: the canonical bytes of every record that matters, and their reading.

An entry is what the Merkle tree hashes (its leaf is ``SHA-256(0x00 ‖ entry)``). Each kind
has a versioned encoding that must never change for an existing version; a record's entry
is recomputed from its stored row on every verification, so any edit of a row shows:

- ``txn``: a recorded transaction, ``convenio.ledger.canonical_bytes`` (position, recorded-at
  time and content — the bytes its hash-chain link covers);
- ``audit``: an entry of the API's audit trail, ``AuditEntry.encode``;
- ``account``, ``terms``, ``run``, ``reopen``, ``key``, ``signoff``: a header line
  ``["convenio.KIND/1",KEY,MICROS]`` (the record's key and the time it was written, in
  microseconds since the epoch, UTC), a newline, and the record as compact JSON.

A ``signoff`` is a commission user's approval of a settlement run's statement: the run, the
signing party, the login and the SHA-256 of the statement's bytes as the run's entry holds
them (`statement_bytes`).

`read_entry` parses any of them back into its kind, key and fields (for replicas and for
naming what differs between two logs).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from convenio.errors import IntegrityError

__all__ = [
    "ACCOUNT",
    "AUDIT",
    "KEY",
    "KINDS",
    "REOPEN",
    "RUN",
    "SIGNOFF",
    "TERMS",
    "TXN",
    "Difference",
    "Entry",
    "account_entry",
    "differences",
    "key_entry",
    "read_entry",
    "reopen_entry",
    "run_entry",
    "signoff_entry",
    "statement_bytes",
    "terms_entry",
]

TXN: Final = "txn"
ACCOUNT: Final = "account"
TERMS: Final = "terms"
RUN: Final = "run"
REOPEN: Final = "reopen"
AUDIT: Final = "audit"
KEY: Final = "key"
SIGNOFF: Final = "signoff"
KINDS: Final = (TXN, ACCOUNT, TERMS, RUN, REOPEN, AUDIT, KEY, SIGNOFF)

_AUDIT_FIELDS = (
    "seq", "at", "login", "role", "party", "method", "route", "idempotency_key",
    "body_digest", "status", "answer_digest", "first_txn", "last_txn", "summary",
)  # fmt: skip
"""The fields of an audit entry's encoding (`convenio.auth.AuditEntry`), in order."""

_dumps = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), sort_keys=True, check_circular=False
).encode


def _entry(kind: str, key: int | str, micros: int, payload: object) -> bytes:
    return b"%s\n%s" % (
        _dumps([f"convenio.{kind}/1", key, micros]).encode(),
        _dumps(payload).encode(),
    )


def account_entry(
    account_id: int,
    opened_at: int,
    name: str,
    party: str,
    unit: str,
    kind: str,
    floor: int | None,
    ceiling: int | None,
    unit_scale: int,
    unit_kind: str,
) -> bytes:
    """An account declaration, with its unit's scale and kind (a replica needs both)."""
    return _entry(
        ACCOUNT,
        account_id,
        opened_at,
        {
            "name": name,
            "party": party,
            "unit": unit,
            "kind": kind,
            "floor": floor,
            "ceiling": ceiling,
            "unit_scale": unit_scale,
            "unit_kind": unit_kind,
        },
    )


def terms_entry(
    terms_id: int, loaded_at: int, agreement_id: str, digest: str, source: str, text: str
) -> bytes:
    """A version of the agreement's terms, its whole text included."""
    return _entry(
        TERMS,
        terms_id,
        loaded_at,
        {"agreement_id": agreement_id, "digest": digest, "source": source, "text": text},
    )


def run_entry(
    run_id: str,
    created_at: int,
    fields: Mapping[str, object],
    allocations: Sequence[Sequence[object]],
) -> bytes:
    """A settlement run as created — its period, parties, statement and the transactions
    it recorded — with its allocations (claim, amount, method, against) in order. Its
    reopening is a later `reopen_entry`."""
    return _entry(
        RUN, run_id, created_at, {**fields, "allocations": [list(a) for a in allocations]}
    )


def statement_bytes(statement: Mapping[str, object]) -> bytes:
    """A run's statement exactly as its `run_entry` holds it (compact JSON, keys sorted,
    UTF-8): what a sign-off's digest is the SHA-256 of."""
    return _dumps(statement).encode()


def reopen_entry(run_id: str, reopened_at: int) -> bytes:
    """The reopening of a settlement run (its status becomes reversed)."""
    return _entry(REOPEN, run_id, reopened_at, {"run": run_id})


def key_entry(
    key_id: int, announced_at: int, party: str, verifier: str, replaces: str | None, note: str
) -> bytes:
    """A party's signing key announced: its verifier key, the key it replaces (if any) and
    the signed note of the announcement (signed by the key it replaces, or by itself)."""
    return _entry(
        KEY,
        key_id,
        announced_at,
        {"party": party, "verifier": verifier, "replaces": replaces, "note": note},
    )


def signoff_entry(
    signoff_id: int, signed_at: int, run_id: str, party: str, login: str, digest: str
) -> bytes:
    """A party's commission signed off a settlement run's statement: who, and the SHA-256
    (hex) of the statement's bytes (`statement_bytes`)."""
    return _entry(
        SIGNOFF,
        signoff_id,
        signed_at,
        {"run": run_id, "party": party, "login": login, "digest": digest},
    )


@dataclass(frozen=True)
class Entry:
    """An entry read back: its kind, the record's key, when it was written (microseconds,
    UTC) and its fields."""

    kind: str
    key: int | str
    at: int
    fields: dict[str, Any]


def read_entry(entry: bytes) -> Entry:
    """Parse an entry of any kind; `IntegrityError` if it is not one of ours."""
    try:
        head, _, rest = entry.partition(b"\n")
        header = json.loads(head)
        if not (isinstance(header, list) and header and isinstance(header[0], str)):
            raise ValueError("no header")
        name, _, version = header[0].partition("/")
        kind = name.removeprefix("convenio.")
        if version != "1" or kind not in KINDS:
            raise ValueError(f"unknown encoding {header[0]!r}")
        if kind == AUDIT:
            names = _AUDIT_FIELDS
            values = dict(zip(names, header[1:], strict=True))
            return Entry(AUDIT, int(values["seq"]), int(values["at"]), values)
        if kind == TXN:
            seq, recorded = header[1], header[2]
            id_, day, txn_kind, desc, source, reverses, meta, postings = json.loads(rest)
            return Entry(
                TXN,
                int(seq),
                0,
                {
                    "recorded_at": recorded,
                    "id": id_,
                    "date": day,
                    "kind": txn_kind,
                    "description": desc,
                    "source": source,
                    "reverses": reverses,
                    "metadata": meta,
                    "postings": postings,
                },
            )
        key, at = header[1], header[2]
        fields = json.loads(rest)
        if not isinstance(fields, dict) or not isinstance(at, int):
            raise ValueError("bad record")
        return Entry(kind, key, at, fields)
    except (ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
        raise IntegrityError(f"a log entry that convenio cannot read: {exc}") from exc


@dataclass(frozen=True)
class Difference:
    """A field whose value differs between two entries (`field` a dotted path)."""

    field: str
    a: object
    b: object

    def __str__(self) -> str:
        return f"{self.field}: {self.a!r} ≠ {self.b!r}"

    def as_json(self) -> dict[str, object]:
        return {"field": self.field, "a": self.a, "b": self.b}


def differences(a: bytes, b: bytes) -> list[Difference]:
    """What differs between two entries, field by field (their bytes if unreadable)."""
    try:
        x, y = read_entry(a), read_entry(b)
    except IntegrityError:
        return [Difference("entry", a.decode(errors="replace"), b.decode(errors="replace"))]
    found: list[Difference] = []
    for name in ("kind", "key", "at"):
        if getattr(x, name) != getattr(y, name):
            found.append(Difference(name, getattr(x, name), getattr(y, name)))
    _walk("", x.fields, y.fields, found)
    return found or [Difference("entry", a.decode(errors="replace"), b.decode(errors="replace"))]


def _walk(path: str, a: object, b: object, found: list[Difference]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            _walk(f"{path}.{k}" if path else str(k), a.get(k), b.get(k), found)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (p, q) in enumerate(zip(a, b, strict=True)):
            _walk(f"{path}[{i}]", p, q, found)
    elif a != b or type(a) is not type(b):
        found.append(Difference(path, a, b))
