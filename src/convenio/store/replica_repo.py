"""A replica's side of the store: the records of another party's log entries written back
with the keys they name, and a store's log read position by position.

`convenio follow` hands `write` a batch of decoded entries of one kind; the records are
written so that the replica's log — recomputed from these rows like any store's — gives
back the source's entries. Transactions go through the ledger's `append` with the exact
position and recorded-at time (so the hash chain is the source's too), runs and their
reopening through the financing repository, audit entries, keys and sign-offs through
theirs (each then names its own position, which must be the entry's). Accounts and terms versions,
whose ids the other repositories choose, are written here with the entry's id; on
PostgreSQL `sync_sequences` then moves the id sequences past them.

Allocations name claims, which the log does not carry (claims are derived from deliveries
and terms, not facts both parties sign), yet the schema's foreign key asks for the row. A
claim an allocation names that the replica lacks gets a placeholder that no read selects:
type ``replica``, amount 0, no parties, dated 0001-01-01, source ``replica:RUN``.

A record that cannot be written as its entry says raises `ValueError` — `RecordError`,
which says which entry of the batch, where a batch holds more than one — and the caller
names the entry. Like every repository, this one never commits.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from convenio.ledger import Posting, RecordedTransaction, Transaction
from convenio.ledger.chain import chain_hash, content_digest
from convenio.log import Hash, stored_hash_count
from convenio.log.records import ACCOUNT, AUDIT, KEY, REOPEN, RUN, SIGNOFF, TERMS, TXN, Entry
from convenio.store.auth_repo import AuthRepository
from convenio.store.financing_repo import ACTIVE, FinancingRepository, RunRow, SignoffRow
from convenio.store.financing_tables import claims, settlement_runs, terms_documents
from convenio.store.ledger_repo import LedgerRepository, to_micros
from convenio.store.log_repo import LogRepository, Span
from convenio.store.tables import accounts, units

__all__ = ["PLACEHOLDER_CLAIM_TYPE", "Held", "RecordError", "ReplicaRepository"]

PLACEHOLDER_CLAIM_TYPE = "replica"
"""The type of a claim row that only stands for a claim an allocation names."""
_PLACEHOLDER_DAY = date(1, 1, 1)


class Held(NamedTuple):
    """One position of a store's log: its kind and key (``?`` where no span holds it),
    the entry its record gives (None: the record is missing) and the leaf hash stored."""

    kind: str
    key: int | str
    entry: bytes | None
    leaf: Hash


class RecordError(ValueError):
    """The record of the entry at `offset` of a batch cannot be written as it says."""

    def __init__(self, offset: int, cause: Exception) -> None:
        self.offset = offset
        super().__init__(
            f"its record has no field {cause}" if isinstance(cause, KeyError) else str(cause)
        )


class ReplicaRepository:
    """Writes the records of received entries on `conn`, logging them on `log`."""

    def __init__(self, conn: Connection, log: LogRepository) -> None:
        self.conn = conn
        self.log = log
        self.financing = FinancingRepository(conn, log)
        self.auth = AuthRepository(conn, log)

    # -- writing -----------------------------------------------------------------------

    def write(self, batch: Sequence[tuple[bytes, Entry]]) -> Span:
        """Write the records of `batch` — entries of one kind, consecutive keys — and log
        them; the span they now take in this store's log."""
        first = self.log.lock().size
        entry = batch[0][1]
        kind, key, f = entry.kind, entry.key, entry.fields
        received = [raw for raw, _ in batch]
        if kind == TXN:
            self._transactions(batch)
        elif kind == ACCOUNT:
            self._accounts([e for _, e in batch])
            self.log.append(ACCOUNT, received, key_from=int(key))
        elif kind == TERMS:
            self.conn.execute(
                terms_documents.insert().values(
                    id=int(key),
                    agreement_id=f["agreement_id"],
                    digest=f["digest"],
                    source=f["source"],
                    text=f["text"],
                    loaded_at=entry.at,
                )
            )
            self.log.append(TERMS, received, key_from=int(key))
        elif kind == RUN:
            self._run(str(key), entry.at, f)
        elif kind == REOPEN:
            r = settlement_runs.c
            status = self.conn.execute(
                select(r.status).where(r.id == str(key))
            ).scalar_one_or_none()
            if status != ACTIVE:
                raise ValueError(f"the replica holds no settlement run {key} in force to reopen")
            self.financing.mark_reversed(str(key), entry.at)
        elif kind == AUDIT:
            written = self.auth.append_audit({k: v for k, v in f.items() if k != "seq"}, "")
            _same(kind, key, written.seq)
        elif kind == KEY:
            made = self.log.add_key(f["party"], f["verifier"], f["replaces"], f["note"], entry.at)
            _same(kind, key, made)
        elif kind == SIGNOFF:
            if self.financing.run(str(f["run"])) is None:
                raise ValueError(f"the replica holds no settlement run {f['run']} to sign off")
            row = SignoffRow(f["run"], f["party"], f["login"], entry.at, f["digest"])
            _same(kind, key, self.financing.add_signoff(row))
        if isinstance(key, str):
            return Span(first, 1, kind, None, key)
        return Span(first, len(batch), kind, int(key), None)

    def _transactions(self, batch: Sequence[tuple[bytes, Entry]]) -> None:
        ledger = LedgerRepository(self.conn, self.log)  # fresh: accounts may be new
        head = ledger.lock_head()
        known = ledger.account_ids()
        prev, records, digests = head.hash, [], []
        for offset, (raw, e) in enumerate(batch):
            try:
                _same(TXN, e.key, head.seq + 1 + offset)
                f = e.fields
                postings = tuple(Posting(a, int(n), u) for a, u, n in f["postings"])
                stray = next((p.account for p in postings if p.account not in known), None)
                if stray is not None:
                    raise ValueError(f"it posts to {stray}, an account the log has not declared")
                txn = Transaction(
                    f["id"], date.fromisoformat(f["date"]), f["description"], postings,
                    f["kind"], f["source"], tuple((k, v) for k, v in f["metadata"]),
                    f["reverses"],
                )  # fmt: skip
                moment = datetime.fromisoformat(f["recorded_at"])
                to_micros(moment)  # an aware moment, or TypeError
            except (KeyError, TypeError, ValueError) as exc:
                raise RecordError(offset, exc) from None
            digest = chain_hash(prev, raw)
            records.append(RecordedTransaction(int(e.key), txn, moment, prev, digest))
            digests.append(content_digest(txn))
            prev = digest
        ledger.append(records, digests, [raw for raw, _ in batch])

    def _accounts(self, batch: Sequence[Entry]) -> None:
        rows = []
        for offset, e in enumerate(batch):
            try:
                a = e.fields
                unit = a["unit"]
                known = self.conn.execute(select(units.c.code).where(units.c.code == unit))
                if known.first() is None:  # the entry's scale and kind; a known unit stays
                    self.conn.execute(
                        units.insert().values(
                            code=unit, scale=a["unit_scale"], kind=a["unit_kind"], name=""
                        )
                    )
                rows.append(
                    {
                        "id": int(e.key),
                        "name": a["name"],
                        "party": a["party"],
                        "unit": unit,
                        "kind": a["kind"],
                        "floor": a["floor"],
                        "ceiling": a["ceiling"],
                        "opened_at": e.at,
                    }
                )
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise RecordError(offset, exc) from None
        self.conn.execute(accounts.insert(), rows)

    def _run(self, run_id: str, at: int, f: dict[str, Any]) -> None:
        allocated = [(str(c), int(a), str(m), str(g)) for c, a, m, g in f["allocations"]]
        self._claim_placeholders(sorted({a[0] for a in allocated}), run_id)
        run = RunRow(
            run_id, f["period"], f["party_a"], f["party_b"], f["currency"], f["generation"],
            ACTIVE, f["statement"], f["transactions"],
        )  # fmt: skip
        start, end = date.fromisoformat(f["period_start"]), date.fromisoformat(f["period_end"])
        self.financing.add_run(run, start, end, allocated, at)

    def _claim_placeholders(self, wanted: Sequence[str], run_id: str) -> None:
        known: set[str] = set()
        for at in range(0, len(wanted), 5_000):
            chunk = list(wanted[at : at + 5_000])
            known.update(
                self.conn.execute(select(claims.c.id).where(claims.c.id.in_(chunk))).scalars()
            )
        missing = [c for c in wanted if c not in known]
        if missing:
            self.conn.execute(
                claims.insert(),
                [
                    {
                        "id": claim_id,
                        "creditor": "",
                        "debtor": "",
                        "type": PLACEHOLDER_CLAIM_TYPE,
                        "amount": 0,
                        "currency": "",
                        "issued": _PLACEHOLDER_DAY,
                        "due": _PLACEHOLDER_DAY,
                        "source": f"replica:{run_id}",
                    }
                    for claim_id in missing
                ],
            )

    def sync_sequences(self) -> None:
        """On PostgreSQL, move the id sequences of accounts and terms versions past the
        ids written here (SQLite takes the largest id + 1 by itself)."""
        if self.conn.dialect.name != "postgresql":
            return
        for table in (accounts, terms_documents):
            largest = self.conn.execute(select(func.max(table.c.id))).scalar_one()
            if largest is not None:
                self.conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), {int(largest)})"
                )

    # -- reading -----------------------------------------------------------------------

    def held(self, size: int) -> Iterator[Held]:
        """Each position 0..size-1 of this store's log, a span at a time."""
        n = 0
        for span in self.log.spans():
            end = min(span.first + span.length, size)
            if span.first > n:
                yield from self._unheld(n, min(span.first, size))
                n = min(span.first, size)
            if n >= size:
                return
            if end <= n:
                continue
            given = self.log.entries(span)
            leaves = self.log.read_hashes([stored_hash_count(i) for i in range(n, end)])
            for i, leaf in zip(range(n, end), leaves, strict=True):
                at = i - span.first
                yield Held(span.kind, span.key(i), given[at] if at < len(given) else None, leaf)
            n = end
        yield from self._unheld(n, size)

    def _unheld(self, lo: int, hi: int) -> Iterator[Held]:
        leaves = self.log.read_hashes([stored_hash_count(i) for i in range(lo, hi)])
        for i, leaf in zip(range(lo, hi), leaves, strict=True):
            yield Held("?", i, None, leaf)


def _same(kind: str, key: int | str, written: int) -> None:
    if written != key:
        raise ValueError(
            f"the replica's next {kind} is {written}: the source's entries are missing or out "
            "of order"
        )
