"""The transparency log's use cases: verify it against the records (and a checkpoint), the
checkpoint of the store as it is, and inclusion and consistency proofs.

`verify_log` recomputes every entry from its record, every stored hash and the root, and
checks that every record is logged once (and that each sign-off's digest is its run's
statement's); given a checkpoint, that the store's first
``checkpoint.size`` entries are the ones it signed, and a consistency proof from it to
today. Whatever differs raises `IntegrityError` (exit 4) naming the first entry.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, select

from convenio.errors import ConflictError, InputError, IntegrityError, NotFoundError, Problem
from convenio.log import (
    HASH_SIZE,
    Checkpoint,
    Frontier,
    Hash,
    Opened,
    VerifierKey,
    b64,
    check_tree,
    open_note,
    parse_verifier,
    prove_record,
    prove_tree,
    read_once,
    stored_hash_count,
    tree_hash,
)
from convenio.log.records import (
    ACCOUNT,
    AUDIT,
    KEY,
    KINDS,
    REOPEN,
    RUN,
    SIGNOFF,
    TERMS,
    TXN,
    statement_bytes,
)
from convenio.store import UnitOfWork
from convenio.store.auth_tables import audit_log
from convenio.store.financing_repo import ACTIVE
from convenio.store.financing_tables import settlement_runs, statement_signoffs, terms_documents
from convenio.store.log_repo import BLOCK, Span
from convenio.store.log_tables import checkpoints, log_spans, party_keys
from convenio.store.tables import accounts, transactions

__all__ = [
    "ConsistencyProof",
    "InclusionProof",
    "LogReport",
    "LoggedEntry",
    "StoredCheckpoint",
    "announced_verifiers",
    "checkpoint",
    "consistency",
    "describe",
    "entries",
    "inclusion",
    "inclusion_of",
    "latest_checkpoint",
    "not_of_log",
    "open_checkpoint",
    "origin",
    "party_verifiers",
    "store_checkpoint",
    "verify_log",
]

_CHUNK = 20_000
"""Entries recomputed at a time when verifying (a span may hold a million)."""


@dataclass(frozen=True)
class LogReport:
    """A verified log: its size, root, and entries by kind."""

    size: int
    root: Hash
    kinds: dict[str, int] = field(default_factory=dict)
    checkpoint_size: int | None = None


@dataclass(frozen=True)
class InclusionProof:
    """That entry `index` (leaf hash `leaf_hash`) is in the tree of `tree_size` entries
    whose root is `root_hash`: RFC 6962's audit path, leaf side first."""

    index: int
    tree_size: int
    leaf_hash: Hash
    root_hash: Hash
    hashes: list[Hash]

    def as_json(self) -> dict[str, object]:
        return {
            "index": self.index,
            "tree_size": self.tree_size,
            "leaf_hash": b64(self.leaf_hash),
            "root_hash": b64(self.root_hash),
            "hashes": [b64(h) for h in self.hashes],
        }


@dataclass(frozen=True)
class ConsistencyProof:
    """That the tree of `from_size` entries (root `from_root`) is a prefix of the tree of
    `to_size` (root `to_root`)."""

    from_size: int
    to_size: int
    from_root: Hash
    to_root: Hash
    hashes: list[Hash]

    def as_json(self) -> dict[str, object]:
        return {
            "from_size": self.from_size,
            "to_size": self.to_size,
            "from_root": b64(self.from_root),
            "to_root": b64(self.to_root),
            "hashes": [b64(h) for h in self.hashes],
        }


# -- checkpoints and proofs -------------------------------------------------------------


def origin(uow: UnitOfWork) -> str:
    """The log's origin line, fixed when the log was created (``convenio/`` and 16 random
    hexadecimal digits: unique to this log and its replicas, which take it over)."""
    return uow.log.origin()


def checkpoint(uow: UnitOfWork) -> Checkpoint:
    """The checkpoint (unsigned) of the log as stored."""
    size, root = uow.log.head()
    return Checkpoint(origin(uow), size, root)


def _size(uow: UnitOfWork, size: int | None) -> int:
    current, _ = uow.log.head()
    if size is None:
        return current
    if not 0 < size <= current:
        raise NotFoundError(f"the log holds {current} entries: no tree of size {size}")
    return size


def inclusion(uow: UnitOfWork, index: int, size: int | None = None) -> InclusionProof:
    """The inclusion proof of entry `index` in the tree of `size` entries (today's)."""
    tree_size = _size(uow, size)
    if not 0 <= index < tree_size:
        raise NotFoundError(f"no entry {index} in a tree of {tree_size} entries")
    return read_once(
        uow.log,
        lambda reader: InclusionProof(
            index,
            tree_size,
            reader.read_hashes([stored_hash_count(index)])[0],
            tree_hash(tree_size, reader),
            prove_record(tree_size, index, reader),
        ),
    )


def inclusion_of(
    uow: UnitOfWork, kind: str, key: int | str, size: int | None = None
) -> InclusionProof:
    """The inclusion proof of the entry of a record: a transaction by id, an account by
    name, a settlement run by id, an audit entry, key or sign-off by its number."""
    index = uow.log.locate(kind, _record_key(uow, kind, key))
    if index is None:
        raise NotFoundError(f"no {kind} {key} in the log")
    return inclusion(uow, index, size)


def _record_key(uow: UnitOfWork, kind: str, key: int | str) -> int | str:
    conn = uow.connection
    if kind == TXN:
        seq = conn.execute(
            select(transactions.c.seq).where(transactions.c.id == str(key))
        ).scalar_one_or_none()
        if seq is None:
            raise NotFoundError(f"no transaction {key}")
        return int(seq)
    if kind == ACCOUNT:
        found = conn.execute(
            select(accounts.c.id).where(accounts.c.name == str(key))
        ).scalar_one_or_none()
        if found is None:
            raise NotFoundError(f"no account {key}")
        return int(found)
    if kind in (RUN, REOPEN):
        return str(key)
    try:
        return int(key)
    except ValueError:
        raise NotFoundError(f"no {kind} {key}: its key is a number") from None


def consistency(uow: UnitOfWork, old: int, new: int | None = None) -> ConsistencyProof:
    """The consistency proof from the tree of `old` entries to that of `new` (today's)."""
    to_size = _size(uow, new)
    if not 0 < old <= to_size:
        raise NotFoundError(f"no consistency proof from {old} to {to_size} entries")
    return read_once(
        uow.log,
        lambda reader: ConsistencyProof(
            old,
            to_size,
            tree_hash(old, reader),
            tree_hash(to_size, reader),
            prove_tree(to_size, old, reader),
        ),
    )


def named(index: int, kind: str, key: int | str) -> str:
    """An entry named for a person: its number, kind and record."""
    return f"entry {index} ({kind} {key})"


def describe(span: Span, index: int) -> str:
    """Entry `index` of `span`, named (`named`)."""
    return named(index, span.kind, span.key(index))


@dataclass(frozen=True)
class LoggedEntry:
    """An entry of the log with where it stands and which record it is."""

    index: int
    kind: str
    key: int | str
    entry: bytes

    def as_json(self) -> dict[str, object]:
        return {"index": self.index, "kind": self.kind, "key": self.key, "entry": b64(self.entry)}

    def __str__(self) -> str:
        return named(self.index, self.kind, self.key)


MAX_ENTRIES = 10_000
"""The most entries one read returns (a follower pages)."""


def entries(uow: UnitOfWork, start: int = 0, limit: int = 1_000) -> list[LoggedEntry]:
    """Entries `start` .. `start+limit-1` (fewer at the end of the log), recomputed from
    their records; `IntegrityError` if a record is missing."""
    if start < 0 or not 0 < limit <= MAX_ENTRIES:
        raise InputError(
            f"entries from {start}, {limit} at a time: expected start ≥ 0 and "
            f"1 ≤ limit ≤ {MAX_ENTRIES}"
        )
    size, _ = uow.log.head()
    end = min(size, start + limit)
    found: list[LoggedEntry] = []
    for span in uow.log.spans(start):
        if span.first >= end:
            break
        recomputed = uow.log.entries(span)
        if len(recomputed) != span.length:
            n = span.first + len(recomputed)
            raise IntegrityError(f"{describe(span, n)}: its record is missing from the store")
        for offset, entry in enumerate(recomputed):
            n = span.first + offset
            if start <= n < end:
                found.append(LoggedEntry(n, span.kind, span.key(n), entry))
    return found


# -- the parties' keys and their signed checkpoints -------------------------------------


def announced_verifiers(uow: UnitOfWork) -> list[VerifierKey]:
    """Every verifier key the parties announced, current and retired."""
    return [v for keys in party_verifiers(uow).values() for v in keys]


def party_verifiers(uow: UnitOfWork) -> dict[str, list[VerifierKey]]:
    """Each party's announced verifier keys, oldest first (its current key last)."""
    k = party_keys.c
    found: dict[str, list[VerifierKey]] = {}
    for party, text in uow.connection.execute(select(k.party, k.verifier).order_by(k.id)):
        found.setdefault(party, []).append(parse_verifier(text))
    return found


@dataclass(frozen=True)
class StoredCheckpoint:
    """A signed checkpoint the store holds: the note as signed and who signed it."""

    size: int
    root: Hash
    note: bytes
    signers: tuple[str, ...]


def open_checkpoint(note: bytes, verifiers: Iterable[VerifierKey]) -> tuple[Checkpoint, Opened]:
    """Check a signed checkpoint's signatures (at least one of `verifiers` must have
    signed) and read its body; `SignatureError` / `InputError` otherwise."""
    opened = open_note(note, verifiers)
    return Checkpoint.parse(opened.text), opened


def store_checkpoint(uow: UnitOfWork, note: bytes) -> StoredCheckpoint:
    """Keep a checkpoint signed by parties whose keys the log announced, once it is shown
    to be of this log (its size held, its root the root of that size). No commit."""
    known = announced_verifiers(uow)
    if not known:
        raise InputError("no party has announced a key in this log: convenio keys generate")
    body, opened = open_checkpoint(note, known)
    problem = not_of_log(uow, body)
    if problem is not None:
        raise ConflictError(f"the checkpoint {problem}", [Problem(problem, field="checkpoint")])
    signers = tuple(sorted(set(opened.verified)))
    uow.connection.execute(
        checkpoints.insert().values(
            size=body.size,
            root=body.root_hash.hex(),
            note=note.decode(),
            signers=",".join(signers),
            stored_at=int(time.time() * 1_000_000),
        )
    )
    return StoredCheckpoint(body.size, body.root_hash, note, signers)


def not_of_log(uow: UnitOfWork, body: Checkpoint) -> str | None:
    """Why `body` is not a checkpoint of this store's log (None when it is): another
    origin, a size the log does not hold, or another root at that size."""
    mine = origin(uow)
    if body.origin != mine:
        return f"is of the log {body.origin!r}, not of {mine!r}"
    size, _ = uow.log.head()
    if not 0 < body.size <= size:
        return f"covers {body.size} entries but this store's log holds {size}"
    if tree_hash(body.size, uow.log) != body.root_hash:
        return f"has a root that is not this store's root at {body.size} entries"
    return None


def latest_checkpoint(uow: UnitOfWork, signers: int = 1) -> StoredCheckpoint | None:
    """The largest checkpoint the store holds signed by at least `signers` parties (the
    latest of them among equal sizes). A key is named by its party's code, so counting
    the names that verified counts parties: a party's old and new key count once."""
    c = checkpoints.c
    known = announced_verifiers(uow)
    rows = uow.connection.execute(select(c.size, c.note).order_by(c.size.desc(), c.id.desc())).all()
    for size, text in rows:
        # Counted again from the note itself: a column of names is anyone's to edit.
        note = text.encode()
        try:
            body, opened = open_checkpoint(note, known)
        except (InputError, IntegrityError):
            continue
        if len(set(opened.verified)) >= signers and body.size == size:
            return StoredCheckpoint(size, body.root_hash, note, tuple(sorted(set(opened.verified))))
    return None


# -- verification -------------------------------------------------------------------------


class _StoredHashes:
    """The `total` stored hashes read in order, a row at a time; a row of another length
    than its place gives (256 hashes, the last row the rest) is refused."""

    def __init__(self, blocks: Iterator[tuple[int, bytes]], total: int) -> None:
        self._blocks = blocks
        self._total = total
        self._next_block = 0
        self._data = b""
        self._base = 0

    def at(self, index: int) -> Hash | None:
        while index >= self._base + len(self._data) // HASH_SIZE:
            found = next(self._blocks, None)
            if found is None or found[0] != self._next_block:
                return None
            block, data = found
            wanted = min(BLOCK, self._total - block * BLOCK) * HASH_SIZE
            if len(data) != wanted:
                raise IntegrityError(
                    f"the log's row of hashes {block} holds {len(data)} bytes, not {wanted}: "
                    "the store was altered outside convenio"
                )
            self._base = block * BLOCK
            self._data = data
            self._next_block += 1
        offset = (index - self._base) * HASH_SIZE
        return self._data[offset : offset + HASH_SIZE]

    def rest(self, index: int) -> bool:
        """Whether any hash is stored at `index` or after it."""
        if index < self._base + len(self._data) // HASH_SIZE:
            return True
        return next(self._blocks, None) is not None


def verify_log(uow: UnitOfWork, expect: Checkpoint | None = None) -> LogReport:
    """Recompute the log from the records; with `expect`, check it against a checkpoint."""
    size, root = uow.log.head()
    if expect is not None:
        if expect.size > size:
            raise IntegrityError(
                f"the store's log holds {size} entries but the checkpoint covers "
                f"{expect.size}: entries {size}..{expect.size - 1} were removed (the store "
                "was truncated, wiped or replaced)"
            )
        _check_origin(uow, expect)
    frontier = Frontier()
    stored = _StoredHashes(uow.log.hash_blocks(), stored_hash_count(size))
    kinds: dict[str, int] = dict.fromkeys(KINDS, 0)
    root_at_checkpoint = frontier.root() if expect is not None and expect.size == 0 else None
    for span in uow.log.spans():
        if span.first != frontier.size:
            raise IntegrityError(
                f"the log's entries {frontier.size}..{span.first - 1} are missing"
                if span.first > frontier.size
                else f"the log's entry {span.first} is held twice (spans overlap)"
            )
        for start in range(span.first, span.first + span.length, _CHUNK):
            stop = min(start + _CHUNK, span.first + span.length)
            entries = uow.log.entries(span, start, stop)
            for n, entry in enumerate(entries, start):
                at = stored_hash_count(n)
                for i, value in enumerate(frontier.append(entry)):
                    if stored.at(at + i) != value:
                        if i == 0:
                            raise IntegrityError(
                                f"{describe(span, n)} differs from its record: the record was "
                                "changed, or the log rewritten, after it was logged"
                            )
                        raise IntegrityError(
                            f"the log's stored hash {at + i} (above {describe(span, n)}) is wrong"
                        )
                if expect is not None and frontier.size == expect.size:
                    root_at_checkpoint = frontier.root()
            if len(entries) != stop - start:
                n = start + len(entries)
                raise IntegrityError(f"{describe(span, n)}: its record is missing from the store")
        kinds[span.kind] = kinds.get(span.kind, 0) + span.length
    if frontier.size != size:
        raise IntegrityError(
            f"the log head says {size} entries but its spans hold {frontier.size}: "
            + ("entries were removed" if frontier.size < size else "the head was set back")
        )
    if stored.rest(stored_hash_count(size)):
        raise IntegrityError(f"the log stores hashes past its last entry ({size - 1})")
    if frontier.root() != root:
        raise IntegrityError("the log head's root hash is not the root of its entries")
    if uow.log.stored_frontier() != frontier.subtrees():
        raise IntegrityError("the log head's right edge is not that of its entries")
    _require_all_logged(uow)
    from convenio.services.keys import verify_keys  # keys imports this module

    verify_keys(uow)
    if expect is not None:
        if root_at_checkpoint != expect.root_hash:
            raise IntegrityError(
                f"the store's first {expect.size} entries are not the ones the checkpoint "
                "signed (their root differs): an entry before entry "
                f"{expect.size} was changed, removed, reordered or inserted and the log "
                "rewritten; convenio diff against a replica names it"
            )
        if expect.size:
            check_tree(
                prove_tree(size, expect.size, uow.log), size, root, expect.size, expect.root_hash
            )
    return LogReport(
        size,
        root,
        {k: v for k, v in kinds.items() if v},
        None if expect is None else expect.size,
    )


def _check_origin(uow: UnitOfWork, expect: Checkpoint) -> None:
    mine = origin(uow)
    if expect.origin != mine:
        raise IntegrityError(
            f"the checkpoint is of the log {expect.origin!r}, this store's log is {mine!r}: "
            "the store was replaced by another log"
        )


def _require_all_logged(uow: UnitOfWork) -> None:
    """`IntegrityError` naming the first record of each kind that no entry covers."""
    s = log_spans.c
    conn = uow.connection

    def keyed(kind: str, key: Any) -> ColumnElement[bool]:
        return ~exists().where(and_(s.kind == kind, s.key_from <= key, s.key_from + s.length > key))

    def texted(kind: str, key: Any) -> ColumnElement[bool]:
        return ~exists().where(and_(s.kind == kind, s.key_text == key))

    r = settlement_runs.c
    g = statement_signoffs.c
    checks = [
        ("account", select(accounts.c.name).where(keyed(ACCOUNT, accounts.c.id))),
        ("transaction", select(transactions.c.id).where(keyed(TXN, transactions.c.seq))),
        ("terms version", select(terms_documents.c.id).where(keyed(TERMS, terms_documents.c.id))),
        ("settlement run", select(r.id).where(texted(RUN, r.id))),
        (
            "reopening of settlement run",
            select(r.id).where(r.reversed_at.is_not(None), texted(REOPEN, r.id)),
        ),
        (
            "status of settlement run",
            select(r.id).where((r.reversed_at.is_(None)) != (r.status == ACTIVE)),
        ),
        ("audit entry", select(audit_log.c.seq).where(keyed(AUDIT, audit_log.c.seq))),
        ("key of party", select(party_keys.c.party).where(keyed(KEY, party_keys.c.id))),
        ("sign-off", select(g.party + " of run " + g.run_id).where(keyed(SIGNOFF, g.id))),
    ]
    for what, query in checks:
        stray = conn.execute(query.limit(1)).scalar_one_or_none()
        if stray is not None:
            raise IntegrityError(
                f"{what} {stray} is not in the log: it was written outside convenio"
            )
    _require_signoffs_agree(uow)


def _require_signoffs_agree(uow: UnitOfWork) -> None:
    """`IntegrityError` naming the first sign-off whose digest is not the SHA-256 of its
    run's statement as stored: a statement rewritten after it was signed (even with the
    whole log rebuilt from the rewritten rows)."""
    g, r = statement_signoffs.c, settlement_runs.c
    rows = uow.connection.execute(
        select(g.id, g.party, g.run_id, g.digest, r.statement)
        .select_from(statement_signoffs.join(settlement_runs, g.run_id == r.id))
        .order_by(g.id)
    )
    for id_, party, run_id, digest, statement in rows:
        if hashlib.sha256(statement_bytes(json.loads(statement))).hexdigest() != digest:
            raise IntegrityError(
                f"sign-off {id_} ({party} of run {run_id}) is of another statement than the "
                "run's: the statement was changed after it was signed"
            )
