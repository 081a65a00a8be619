"""The transparency log's repository: appends entries and their hashes in the caller's
unit of work, serves stored hashes to proofs, and recomputes every entry from its row.

Appending keeps the tree's right edge (`convenio.log.Frontier`) in memory for the unit of
work: the first append reads O(log n) hashes and the last partial row of hashes, and every
later one reads nothing. Writers queue on the ledger head row and then the log head row
(PostgreSQL ``FOR UPDATE``; SQLite's writer already holds the database), always in that
order — after the audit head, which the server takes first — so that no two writers wait
on each other in a cycle.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, insert, inspect, select, update
from sqlalchemy.engine import Connection

from convenio.errors import IntegrityError
from convenio.ledger import canonical_bytes
from convenio.log import HASH_SIZE, Frontier, Hash, stored_hash_count
from convenio.log.records import (
    ACCOUNT,
    AUDIT,
    KEY,
    REOPEN,
    RUN,
    SIGNOFF,
    TERMS,
    TXN,
    account_entry,
    key_entry,
    reopen_entry,
    run_entry,
    signoff_entry,
    terms_entry,
)
from convenio.store.auth_tables import audit_log
from convenio.store.financing_tables import (
    allocations,
    settlement_runs,
    statement_signoffs,
    terms_documents,
)
from convenio.store.log_tables import BLOCK, log_hashes, log_head, log_spans, party_keys
from convenio.store.tables import accounts, ledger_head, units

__all__ = ["BLOCK", "LogRepository", "Span", "run_fields", "runs_of"]

_BLOCK_BYTES = BLOCK * HASH_SIZE
_CHUNK = 5_000


# Built once: a post of one transaction runs each of them.
_HEAD = select(log_head.c.size, log_head.c.root, log_head.c.frontier).where(log_head.c.id == 1)
_HEAD_LOCKED = _HEAD.with_for_update()
_QUEUE = select(ledger_head.c.id).where(ledger_head.c.id == 1).with_for_update()
_ROW = select(log_hashes.c.hashes).where(log_hashes.c.block == bindparam("block"))
_ORIGIN = select(log_head.c.origin).where(log_head.c.id == 1)
_ADD_SPAN = insert(log_spans)
_MOVE_HEAD = (
    update(log_head)
    .where(log_head.c.id == 1)
    .values(
        size=bindparam("new_size"), root=bindparam("new_root"), frontier=bindparam("new_frontier")
    )
)


class Span(NamedTuple):
    """Entries ``first .. first+length-1``: records ``key_from ..`` of `kind`, or the one
    record `key_text`."""

    first: int
    length: int
    kind: str
    key_from: int | None
    key_text: str | None

    def key(self, n: int) -> int | str:
        """The key of the record at entry `n` of this span."""
        if self.key_text is not None:
            return self.key_text
        assert self.key_from is not None
        return self.key_from + (n - self.first)


def run_fields(row: Any) -> dict[str, object]:
    """The fields of a settlement run's row that its entry covers (all but its status)."""
    return {
        "id": row.id,
        "period": row.period,
        "period_start": str(row.period_start),
        "period_end": str(row.period_end),
        "party_a": row.party_a,
        "party_b": row.party_b,
        "currency": row.currency,
        "generation": row.generation,
        "statement": json.loads(row.statement),
        "transactions": json.loads(row.transactions),
    }


class LogRepository:
    """The log on `conn`; never commits (the unit of work does)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name
        self._ph = "?" if self.dialect == "sqlite" else "%s"
        self._frontier: Frontier | None = None
        self._tail = b""
        """The last partial row of stored hashes, as this unit of work wrote or read it."""

    # -- the head ----------------------------------------------------------------------

    def head(self) -> tuple[int, Hash]:
        """The tree's size and root hash as stored."""
        size, root, _ = self._one_head(_HEAD)
        return size, root

    def stored_frontier(self) -> list[Hash]:
        """The right edge the head row keeps (verification compares it with the entries')."""
        return self._one_head(_HEAD)[2]

    def _one_head(self, query: Any) -> tuple[int, Hash, list[Hash]]:
        rows = self.conn.execute(query).all()
        if len(rows) != 1:
            raise IntegrityError(
                f"the log head (table log_head) has {len(rows)} rows instead of 1: the store "
                "was altered outside convenio; restore it from a backup"
            )
        size, root, edge = rows[0]
        try:
            root_hash = bytes.fromhex(root)
            edge = bytes(edge)
        except (TypeError, ValueError):
            root_hash = b""
        if (
            not isinstance(size, int)
            or size < 0
            or len(root_hash) != HASH_SIZE
            or not isinstance(edge, bytes)
            or len(edge) != HASH_SIZE * len(Frontier.indexes(size))
        ):
            raise IntegrityError(
                "the log head (table log_head) holds values of the wrong type or length: the "
                "store was altered outside convenio; restore it from a backup"
            )
        return size, root_hash, [edge[i : i + HASH_SIZE] for i in range(0, len(edge), HASH_SIZE)]

    def lock(self) -> Frontier:
        """Queue behind other writers (the ledger head, then the log head) and read the
        tree's right edge; a no-op once this unit of work holds them."""
        if self._frontier is not None:
            return self._frontier
        if self.dialect != "sqlite":  # SQLite's writer holds the whole database already
            self.conn.execute(_QUEUE).all()
        size, root, edge = self._one_head(_HEAD if self.dialect == "sqlite" else _HEAD_LOCKED)
        frontier = Frontier(size, edge)
        if frontier.root() != root:
            raise IntegrityError(
                f"the log head's right edge does not give its root (size {size}): the store "
                "was altered outside convenio; run convenio ledger verify"
            )
        stored = stored_hash_count(size)
        if stored % BLOCK:
            row = self.conn.execute(_ROW, {"block": stored // BLOCK}).scalar_one_or_none()
            self._tail = bytes(row or b"")
            if len(self._tail) != (stored % BLOCK) * HASH_SIZE:
                raise IntegrityError(
                    f"the log's last row of hashes (block {stored // BLOCK}) holds "
                    f"{len(self._tail)} bytes, not {(stored % BLOCK) * HASH_SIZE}: the store "
                    "was altered outside convenio; restore it from a backup"
                )
        self._frontier = frontier
        return frontier

    def forget(self) -> None:
        """Drop what this unit of work knows of the tree (at a commit: the lock is gone,
        and another writer may append before the next)."""
        self._frontier = None
        self._tail = b""

    def origin(self) -> str:
        """The log's origin line (checkpoints name it), fixed when the log was created."""
        return str(self.conn.execute(_ORIGIN).scalar_one())

    def adopt_origin(self, origin: str) -> None:
        """Take another log's origin: only an empty log, about to become its replica."""
        if self.lock().size:
            raise IntegrityError("a log that holds entries keeps its origin")
        self.conn.execute(update(log_head).where(log_head.c.id == 1).values(origin=origin))

    # -- appending ---------------------------------------------------------------------

    def append(
        self,
        kind: str,
        entries: Sequence[bytes],
        key_from: int | None = None,
        key_text: str | None = None,
    ) -> int:
        """Append `entries` (records ``key_from ..`` of `kind`, or the one `key_text`) and
        their hashes; the index of the first."""
        assert (key_from is None) != (key_text is None), "a span has one kind of key"
        assert key_text is None or len(entries) == 1, "a text key names one record"
        frontier = self.lock()
        first = frontier.size
        if not entries:
            return first
        start = stored_hash_count(first)
        data = bytearray(self._tail)
        for entry in entries:
            for hash_ in frontier.append(entry):
                data += hash_
        block = start // BLOCK
        rows = [
            (block + i, bytes(data[at : at + _BLOCK_BYTES]))
            for i, at in enumerate(range(0, len(data), _BLOCK_BYTES))
        ]
        ph = self._ph
        self.conn.exec_driver_sql(
            f"INSERT INTO log_hashes (block, hashes) VALUES ({ph}, {ph}) "
            "ON CONFLICT (block) DO UPDATE SET hashes = excluded.hashes",
            rows,
        )
        last = rows[-1][1]
        self._tail = b"" if len(last) == _BLOCK_BYTES else last
        self.conn.execute(
            _ADD_SPAN,
            {
                "first": first,
                "length": len(entries),
                "kind": kind,
                "key_from": key_from,
                "key_text": key_text,
            },
        )
        self.conn.execute(
            _MOVE_HEAD,
            {
                "new_size": frontier.size,
                "new_root": frontier.root().hex(),
                "new_frontier": b"".join(frontier.subtrees()),
            },
        )
        return first

    # -- reading -----------------------------------------------------------------------

    def read_hashes(self, indexes: Sequence[int]) -> list[Hash]:
        """Stored hashes by index (a `convenio.log.HashReader`)."""
        wanted = sorted({i // BLOCK for i in indexes})
        blocks: dict[int, bytes] = {}
        for at in range(0, len(wanted), _CHUNK):
            rows = self.conn.execute(
                select(log_hashes.c.block, log_hashes.c.hashes).where(
                    log_hashes.c.block.in_(wanted[at : at + _CHUNK])
                )
            )
            blocks.update((int(b), bytes(h)) for b, h in rows)
        long = next((b for b, h in blocks.items() if len(h) > _BLOCK_BYTES), None)
        if long is not None:
            raise IntegrityError(
                f"the log's row of hashes {long} holds more than {BLOCK} hashes: the store was "
                "altered outside convenio; restore it from a backup"
            )
        found = []
        for index in indexes:
            offset = (index % BLOCK) * HASH_SIZE
            value = blocks.get(index // BLOCK, b"")[offset : offset + HASH_SIZE]
            if len(value) != HASH_SIZE:
                raise IntegrityError(
                    f"the log's stored hash {index} is missing: the store was altered outside "
                    "convenio; restore it from a backup"
                )
            found.append(value)
        return found

    def hash_blocks(self, first_block: int = 0) -> Iterator[tuple[int, bytes]]:
        """Every row of stored hashes from `first_block` on, in order."""
        block = first_block
        while True:
            rows = self.conn.execute(
                select(log_hashes.c.block, log_hashes.c.hashes)
                .where(log_hashes.c.block >= block)
                .order_by(log_hashes.c.block)
                .limit(256)
            ).all()
            if not rows:
                return
            for number, hashes in rows:
                yield int(number), bytes(hashes)
            block = int(rows[-1][0]) + 1

    def spans(self, first: int = 0) -> Iterator[Span]:
        """The spans that hold entries `first` on (the one holding `first` included), in
        order; read a page at a time, so that no cursor stays open between reads."""
        s = log_spans.c
        start = self.conn.execute(
            select(func.max(s.first)).where(s.first <= first)
        ).scalar_one_or_none()
        at = start or 0
        while True:
            rows = self.conn.execute(
                select(s.first, s.length, s.kind, s.key_from, s.key_text)
                .where(s.first >= at)
                .order_by(s.first)
                .limit(1_000)
            ).all()
            for r in rows:
                yield Span(int(r.first), int(r.length), r.kind, r.key_from, r.key_text)
            if len(rows) < 1_000:
                return
            at = int(rows[-1].first) + 1

    def span_at(self, n: int) -> Span | None:
        """The span holding entry `n`."""
        s = log_spans.c
        r = self.conn.execute(
            select(s.first, s.length, s.kind, s.key_from, s.key_text)
            .where(s.first <= n)
            .order_by(s.first.desc())
            .limit(1)
        ).first()
        if r is None or not r.first <= n < r.first + r.length:
            return None
        return Span(int(r.first), int(r.length), r.kind, r.key_from, r.key_text)

    def locate(self, kind: str, key: int | str) -> int | None:
        """The index of the entry of record `key` of `kind` (the first, for a run reopened:
        its creation)."""
        s = log_spans.c
        if isinstance(key, str):
            query = select(s.first).where(s.kind == kind, s.key_text == key)
        else:
            query = select(s.first + (key - s.key_from)).where(
                s.kind == kind, s.key_from <= key, s.key_from + s.length > key
            )
        found = self.conn.execute(query.order_by(s.first).limit(1)).scalar_one_or_none()
        return None if found is None else int(found)

    def logged(self) -> dict[str, int]:
        """How many entries of each kind the log holds."""
        s = log_spans.c
        return {
            kind: int(total)
            for kind, total in self.conn.execute(
                select(s.kind, func.sum(s.length)).group_by(s.kind)
            )
        }

    def add_key(self, party: str, verifier: str, replaces: str | None, note: str, at: int) -> int:
        """Record a party's announced verifier key and append its entry; its id."""
        self.lock()
        key_id = 1 + int(
            self.conn.execute(select(func.coalesce(func.max(party_keys.c.id), 0))).scalar_one()
        )
        values = {
            "id": key_id,
            "party": party,
            "verifier": verifier,
            "replaces": replaces,
            "note": note,
            "announced_at": at,
        }
        self.conn.execute(party_keys.insert().values(**values))
        self.append(KEY, [key_entry(key_id, at, party, verifier, replaces, note)], key_from=key_id)
        return key_id

    def backfill(self) -> None:
        """Log every record of a store written before the log existed, in a fixed order:
        accounts, terms versions, transactions, settlement runs, their reopenings, the
        audit trail, the statements' sign-offs (the migration that creates the log calls
        this once, before the sign-offs' table exists)."""
        self._backfill_keyed(ACCOUNT, accounts.c.id)
        self._backfill_keyed(TERMS, terms_documents.c.id)
        self._backfill_transactions()
        self._backfill_runs()
        self._backfill_keyed(AUDIT, audit_log.c.seq)
        if inspect(self.conn).has_table(statement_signoffs.name):
            self._backfill_keyed(SIGNOFF, statement_signoffs.c.id)

    def _backfill_keyed(self, kind: str, key: Any) -> None:
        keys = [int(k) for k in self.conn.execute(select(key).order_by(key)).scalars()]
        for lo, hi in runs_of(keys):
            self.append(kind, self.entries(Span(0, hi - lo + 1, kind, lo, None)), key_from=lo)

    def _backfill_transactions(self) -> None:
        last = self.conn.execute(select(ledger_head.c.seq)).scalar_one()
        for lo in range(1, last + 1, 20_000):
            hi = min(lo + 19_999, last)
            self.append(TXN, self.entries(Span(0, hi - lo + 1, TXN, lo, None)), key_from=lo)

    def _backfill_runs(self) -> None:
        r = settlement_runs.c
        for (run_id,) in self.conn.execute(select(r.id).order_by(r.created_at, r.id)).all():
            self.append(RUN, self._text_entries(RUN, run_id), key_text=run_id)
        reopened = select(r.id).where(r.reversed_at.is_not(None)).order_by(r.reversed_at, r.id)
        for (run_id,) in self.conn.execute(reopened).all():
            self.append(REOPEN, self._text_entries(REOPEN, run_id), key_text=run_id)

    # -- entries recomputed from the rows ----------------------------------------------

    def entries(self, span: Span, start: int | None = None, stop: int | None = None) -> list[bytes]:
        """The entries `start` .. `stop`-1 (all by default) of `span` recomputed from the
        stored rows, in order; a record whose row is missing is left out (the caller
        compares counts)."""
        if span.key_text is not None:
            return self._text_entries(span.kind, span.key_text)
        assert span.key_from is not None
        first = span.first if start is None else start
        end = span.first + span.length if stop is None else stop
        lo, hi = span.key_from + (first - span.first), span.key_from + (end - span.first) - 1
        if span.kind == TXN:
            from convenio.store.ledger_repo import LedgerRepository

            return [
                canonical_bytes(r.txn, r.seq, r.recorded_at)
                for r in LedgerRepository(self.conn).iter_recorded(lo, hi)
            ]
        reader = _KEYED.get(span.kind)
        if reader is None:
            raise IntegrityError(f"the log holds entries of an unknown kind {span.kind!r}")
        return reader(self.conn, lo, hi)

    def _text_entries(self, kind: str, key: str) -> list[bytes]:
        run = self.conn.execute(select(settlement_runs).where(settlement_runs.c.id == key)).first()
        if run is None:
            return []
        if kind == RUN:
            return [
                run_entry(run.id, run.created_at, run_fields(run), _allocations(self.conn, key))
            ]
        if kind == REOPEN and run.reversed_at is not None:
            return [reopen_entry(run.id, run.reversed_at)]
        if kind not in (RUN, REOPEN):
            raise IntegrityError(f"the log holds entries of an unknown kind {kind!r}")
        return []


def runs_of(keys: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted keys as (first, last) runs of consecutive values."""
    runs: list[tuple[int, int]] = []
    for key in keys:
        if runs and runs[-1][1] + 1 == key:
            runs[-1] = (runs[-1][0], key)
        else:
            runs.append((key, key))
    return runs


def _allocations(conn: Connection, run_id: str) -> list[tuple[object, ...]]:
    a = allocations.c
    return [
        tuple(r)
        for r in conn.execute(
            select(a.claim_id, a.amount, a.method, a.against)
            .where(a.run_id == run_id)
            .order_by(a.idx)
        )
    ]


def _account_entries(conn: Connection, lo: int, hi: int) -> list[bytes]:
    a, u = accounts.c, units.c
    rows = conn.execute(
        select(accounts, u.scale.label("unit_scale"), u.kind.label("unit_kind"))
        .select_from(accounts.outerjoin(units, a.unit == u.code))
        .where(a.id.between(lo, hi))
        .order_by(a.id)
    )
    return [
        account_entry(
            r.id, r.opened_at, r.name, r.party, r.unit, r.kind, r.floor, r.ceiling,
            r.unit_scale, r.unit_kind,
        )
        for r in rows
    ]  # fmt: skip


def _terms_entries(conn: Connection, lo: int, hi: int) -> list[bytes]:
    t = terms_documents.c
    rows = conn.execute(
        select(t.id, t.loaded_at, t.agreement_id, t.digest, t.source, t.text)
        .where(t.id.between(lo, hi))
        .order_by(t.id)
    )
    return [terms_entry(*row) for row in rows]


def _audit_entries(conn: Connection, lo: int, hi: int) -> list[bytes]:
    from convenio.store.auth_repo import audit_entry_of

    rows = conn.execute(
        select(audit_log).where(audit_log.c.seq.between(lo, hi)).order_by(audit_log.c.seq)
    )
    return [audit_entry_of(r).encode() for r in rows]


def _key_entries(conn: Connection, lo: int, hi: int) -> list[bytes]:
    k = party_keys.c
    rows = conn.execute(
        select(k.id, k.announced_at, k.party, k.verifier, k.replaces, k.note)
        .where(k.id.between(lo, hi))
        .order_by(k.id)
    )
    return [key_entry(*row) for row in rows]


def _signoff_entries(conn: Connection, lo: int, hi: int) -> list[bytes]:
    s = statement_signoffs.c
    rows = conn.execute(
        select(s.id, s.signed_at, s.run_id, s.party, s.login, s.digest)
        .where(s.id.between(lo, hi))
        .order_by(s.id)
    )
    return [signoff_entry(*row) for row in rows]


_KEYED = {
    ACCOUNT: _account_entries,
    TERMS: _terms_entries,
    AUDIT: _audit_entries,
    KEY: _key_entries,
    SIGNOFF: _signoff_entries,
}
