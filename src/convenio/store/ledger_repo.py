"""The ledger's repository: rows to domain values and back, on one open connection.

Writes append only: transactions, their postings, the derived day and year totals, and
the head of the hash chain, all inside the caller's unit of work. Bulk paths hand plain
tuples to the driver's ``executemany`` — the ORM layer would cost more than the work.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import BigInteger, func, literal_column, select, text, union_all
from sqlalchemy.engine import Connection

from convenio.errors import IntegrityError
from convenio.ledger import (
    AccountKind,
    AccountSpec,
    Metadata,
    Posting,
    RecordedTransaction,
    Transaction,
)
from convenio.log.records import ACCOUNT, TXN
from convenio.store.log_repo import LogRepository, Span, runs_of
from convenio.store.tables import (
    account_days,
    account_years,
    accounts,
    ledger_head,
    postings,
    transactions,
    units,
)
from convenio.units import Unit, UnitKind, UnitRegistry

__all__ = ["Head", "LedgerRepository", "from_micros", "to_micros"]

ID_CHUNK = 5_000
STREAM_CHUNK = 20_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_micros(moment: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    return datetime.fromtimestamp(micros // 1_000_000, UTC).replace(microsecond=micros % 1_000_000)


@lru_cache(maxsize=65_536)
def _iso_day(day: date) -> str:
    return day.isoformat()


def driver_day(dialect: str, day: date) -> Any:
    """A date as the driver of `dialect` takes it in raw SQL: ISO text for SQLite (whose
    date adapters are deprecated), the date itself elsewhere."""
    return _iso_day(day) if dialect == "sqlite" else day


@lru_cache(maxsize=65_536)
def _stored_date(value: date | str) -> date:
    """A date column as the driver returns it: ISO text from SQLite, a date elsewhere."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def _decode_metadata(text: str) -> Metadata:
    return () if text == "{}" else tuple(sorted(json.loads(text).items()))


def _encode_metadata(meta: Metadata) -> str:
    return json.dumps(dict(meta), ensure_ascii=False, sort_keys=True) if meta else "{}"


class Head(NamedTuple):
    """The end of the hash chain: last sequence number, its hash and recorded-at time."""

    seq: int
    hash: str
    recorded_at: int


class LedgerRepository:
    """Reads and appends ledger rows on `conn`; never commits (the unit of work does)."""

    def __init__(self, conn: Connection, log: LogRepository | None = None) -> None:
        self.conn = conn
        self.log = LogRepository(conn) if log is None else log
        self.dialect = conn.dialect.name
        self._ph = "?" if self.dialect == "sqlite" else "%s"
        self._account_ids: dict[str, int] | None = None

    # -- units and accounts ------------------------------------------------------------

    def units(self) -> UnitRegistry:
        rows = self.conn.execute(select(units.c.code, units.c.scale, units.c.kind, units.c.name))
        return UnitRegistry(Unit(r.code, r.scale, UnitKind(r.kind), r.name) for r in rows)

    def add_unit(self, unit: Unit) -> None:
        self.conn.execute(
            units.insert().values(
                code=unit.code, scale=unit.scale, kind=unit.kind.value, name=unit.name
            )
        )

    def accounts(self, party: str | None = None) -> dict[str, AccountSpec]:
        query = select(accounts).order_by(accounts.c.name)
        if party is not None:
            query = query.where(accounts.c.party == party)
        return {
            r.name: AccountSpec(r.name, r.unit, AccountKind(r.kind), r.floor, r.ceiling)
            for r in self.conn.execute(query)
        }

    def account_ids(self) -> dict[str, int]:
        if self._account_ids is None:
            rows = self.conn.execute(select(accounts.c.name, accounts.c.id))
            self._account_ids = {r[0]: r[1] for r in rows}
        return self._account_ids

    def add_accounts(self, specs: Sequence[AccountSpec], opened_at: datetime) -> None:
        if not specs:
            return
        micros = to_micros(opened_at)
        self.conn.execute(
            accounts.insert(),
            [
                {
                    "name": s.name,
                    "party": s.party,
                    "unit": s.unit,
                    "kind": s.kind.value,
                    "floor": s.floor,
                    "ceiling": s.ceiling,
                    "opened_at": micros,
                }
                for s in specs
            ],
        )
        self._account_ids = None
        self._log_accounts([s.name for s in specs])

    def _log_accounts(self, names: Sequence[str]) -> None:
        """Append the entries of the accounts just opened (as their rows give them back),
        one span per run of ids."""
        ids: list[int] = []
        for start in range(0, len(names), ID_CHUNK):
            chunk = names[start : start + ID_CHUNK]
            ids += self.conn.execute(
                select(accounts.c.id).where(accounts.c.name.in_(chunk))
            ).scalars()
        for lo, hi in runs_of(sorted(ids)):
            span = Span(0, hi - lo + 1, ACCOUNT, lo, None)
            self.log.append(ACCOUNT, self.log.entries(span), key_from=lo)

    # -- the chain head --------------------------------------------------------------

    def lock_head(self) -> Head:
        """Read the chain head, holding the write lock on it until the unit of work ends.

        On SQLite the whole database is already locked by ``BEGIN IMMEDIATE``.
        """
        query = select(ledger_head.c.seq, ledger_head.c.hash, ledger_head.c.recorded_at).where(
            ledger_head.c.id == 1
        )
        if self.dialect != "sqlite":
            query = query.with_for_update()
        return self._one_head(query)

    def head(self) -> Head:
        return self._one_head(
            select(ledger_head.c.seq, ledger_head.c.hash, ledger_head.c.recorded_at)
        )

    def _one_head(self, query: Any) -> Head:
        """The one head row; a missing or doubled one means the store was altered."""
        rows = self.conn.execute(query).all()
        if len(rows) != 1:
            raise IntegrityError(
                f"the ledger head (table ledger_head) has {len(rows)} rows instead of 1: "
                "the store was altered outside convenio; restore it from a backup"
            )
        row = rows[0]
        if not (isinstance(row.seq, int) and isinstance(row.hash, str)):
            raise IntegrityError(
                "the ledger head (table ledger_head) holds values of the wrong type: "
                "the store was altered outside convenio; restore it from a backup"
            )
        return Head(row.seq, row.hash, row.recorded_at)

    # -- transactions ----------------------------------------------------------------

    def digests(self, ids: Iterable[str]) -> dict[str, str]:
        """The stored content digests of those of `ids` that are already recorded."""
        found: dict[str, str] = {}
        wanted = list(ids)
        for start in range(0, len(wanted), ID_CHUNK):
            chunk = wanted[start : start + ID_CHUNK]
            rows = self.conn.execute(
                select(transactions.c.id, transactions.c.digest).where(transactions.c.id.in_(chunk))
            )
            found.update((r.id, r.digest) for r in rows)
        return found

    def _day(self, day: date) -> Any:
        return driver_day(self.dialect, day)

    def append(
        self,
        records: Sequence[RecordedTransaction],
        digests: Sequence[str],
        entries: Sequence[bytes],
    ) -> None:
        """Append recorded transactions (already chained) with their content digests, and
        their canonical bytes (`canonical_bytes`, as chained) to the log."""
        if not records:
            return
        ids = self.account_ids()
        day_of = self._day
        txn_rows = []
        posting_rows = []
        day_totals: dict[tuple[int, date], int] = defaultdict(int)
        micros = {rec.recorded_at: to_micros(rec.recorded_at) for rec in (records[0], records[-1])}
        for rec, digest in zip(records, digests, strict=True):
            t = rec.txn
            recorded = micros.get(rec.recorded_at)
            if recorded is None:
                recorded = micros[rec.recorded_at] = to_micros(rec.recorded_at)
            txn_rows.append(
                (
                    rec.seq,
                    t.id,
                    day_of(t.date),
                    recorded,
                    t.kind,
                    t.description,
                    t.source,
                    _encode_metadata(t.metadata),
                    t.reverses,
                    digest,
                    rec.prev_hash,
                    rec.hash,
                )
            )
            for idx, p in enumerate(t.postings):
                account_id = ids[p.account]
                posting_rows.append((rec.seq, idx, account_id, p.amount))
                day_totals[account_id, t.date] += p.amount
        year_totals: dict[tuple[int, int], int] = defaultdict(int)
        for (account_id, day), amount in day_totals.items():
            year_totals[account_id, day.year] += amount
        ph = self._ph
        sql = self.conn.exec_driver_sql
        cols = ", ".join(c.name for c in transactions.columns)
        sql(
            f"INSERT INTO transactions ({cols}) VALUES ({', '.join([ph] * 12)})",
            txn_rows,
        )
        sql(
            f"INSERT INTO postings (txn_seq, idx, account_id, amount) VALUES ({ph},{ph},{ph},{ph})",
            posting_rows,
        )
        sql(
            f"INSERT INTO account_days (account_id, day, amount) VALUES ({ph},{ph},{ph}) "
            "ON CONFLICT (account_id, day) DO UPDATE "
            "SET amount = account_days.amount + excluded.amount",
            [(a, day_of(d), v) for (a, d), v in day_totals.items()],
        )
        sql(
            f"INSERT INTO account_years (account_id, year, amount) VALUES ({ph},{ph},{ph}) "
            "ON CONFLICT (account_id, year) DO UPDATE "
            "SET amount = account_years.amount + excluded.amount",
            [(a, y, v) for (a, y), v in year_totals.items()],
        )
        last = records[-1]
        self.conn.execute(
            ledger_head.update()
            .where(ledger_head.c.id == 1)
            .values(seq=last.seq, hash=last.hash, recorded_at=to_micros(last.recorded_at))
        )
        self.log.append(TXN, entries, key_from=records[0].seq)

    def get(self, txn_id: str) -> RecordedTransaction | None:
        seq = self.conn.execute(
            select(transactions.c.seq).where(transactions.c.id == txn_id)
        ).scalar_one_or_none()
        if seq is None:
            return None
        return next(self.iter_recorded(seq, seq), None)

    def reversed_by(self, txn_id: str) -> str | None:
        """The id of the transaction that reverses `txn_id`, if any."""
        return self.conn.execute(
            select(transactions.c.id).where(transactions.c.reverses == txn_id)
        ).scalar_one_or_none()

    def iter_recorded(
        self, first_seq: int = 1, last_seq: int | None = None
    ) -> Iterator[RecordedTransaction]:
        """Recorded transactions in chain order, streamed in chunks of `STREAM_CHUNK`."""
        for record, _ in self.iter_recorded_with_digests(first_seq, last_seq):
            yield record

    def iter_recorded_with_digests(
        self, first_seq: int = 1, last_seq: int | None = None
    ) -> Iterator[tuple[RecordedTransaction, str]]:
        """Recorded transactions with their stored content digests, in chain order."""
        names = {id_: name for name, id_ in self.account_ids().items()}
        unit_of = {name: spec.unit for name, spec in self.accounts().items()}
        last = self.head().seq if last_seq is None else last_seq
        ph = self._ph
        cols = ", ".join(c.name for c in transactions.columns)
        txn_sql = f"SELECT {cols} FROM transactions WHERE seq BETWEEN {ph} AND {ph} ORDER BY seq"
        posting_sql = (
            "SELECT txn_seq, account_id, amount FROM postings "
            f"WHERE txn_seq BETWEEN {ph} AND {ph} ORDER BY txn_seq, idx"
        )
        as_date = _stored_date
        moments: dict[int, datetime] = {}
        for lo in range(first_seq, last + 1, STREAM_CHUNK):
            hi = min(lo + STREAM_CHUNK - 1, last)
            txn_rows = self.conn.exec_driver_sql(txn_sql, (lo, hi)).fetchall()
            grouped: dict[int, list[Posting]] = defaultdict(list)
            for seq, account_id, amount in self.conn.exec_driver_sql(posting_sql, (lo, hi)):
                name = names.get(account_id, f"#{account_id}")
                grouped[seq].append(Posting(name, amount, unit_of.get(name, "?")))
            for (
                seq, id_, day, recorded, kind, desc, source, meta, reverses, digest, prev_hash,
                hash_,
            ) in txn_rows:  # fmt: skip
                moment = moments.get(recorded)
                if moment is None:
                    moment = moments[recorded] = from_micros(recorded)
                txn = Transaction(
                    id_,
                    as_date(day),
                    desc,
                    tuple(grouped.get(seq, ())),
                    kind,
                    source,
                    _decode_metadata(meta),
                    reverses,
                )
                yield RecordedTransaction(seq, txn, moment, prev_hash, hash_), digest

    # -- balances ----------------------------------------------------------------------

    def seq_known_at(self, moment: datetime) -> int:
        """The last sequence number recorded at or before `moment` (0 if none)."""
        value = self.conn.execute(
            select(func.max(transactions.c.seq)).where(
                transactions.c.recorded_at <= to_micros(moment)
            )
        ).scalar_one()
        return int(value or 0)

    def balances(
        self,
        as_of: date | None = None,
        known_at: datetime | None = None,
        account_id: int | None = None,
    ) -> dict[int, int]:
        """Balances by account id as of an effective date and as known at a recorded time.

        Reads at most one row per account and year before `as_of`'s year plus one per day
        of that year; what was recorded after `known_at` is subtracted from the postings.
        """
        y, d = account_years.c, account_days.c
        if as_of is None:
            parts = [select(y.account_id, y.amount)]
            if account_id is not None:
                parts[0] = parts[0].where(y.account_id == account_id)
        else:
            year_part = select(y.account_id, y.amount).where(y.year < as_of.year)
            day_part = select(d.account_id, d.amount).where(
                d.day >= date(as_of.year, 1, 1), d.day <= as_of
            )
            if account_id is not None:
                year_part = year_part.where(y.account_id == account_id)
                day_part = day_part.where(d.account_id == account_id)
            parts = [year_part, day_part]
        union = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
        totals: dict[int, int] = defaultdict(int)
        for acc, amount in self.conn.execute(
            select(union.c.account_id, func.sum(union.c.amount)).group_by(union.c.account_id)
        ):
            totals[acc] += int(amount)
        if known_at is not None:
            for acc, amount in self._recorded_after(self.seq_known_at(known_at), as_of, account_id):
                totals[acc] -= amount
        return dict(totals)

    def _recorded_after(
        self, seq: int, as_of: date | None, account_id: int | None
    ) -> Iterable[tuple[int, int]]:
        p, t = postings.c, transactions.c
        query = (
            select(p.account_id, func.sum(p.amount))
            .select_from(postings.join(transactions, p.txn_seq == t.seq))
            .where(p.txn_seq > seq)
            .group_by(p.account_id)
        )
        if as_of is not None:
            query = query.where(t.date <= as_of)
        if account_id is not None:
            query = query.where(p.account_id == account_id)
        return [(acc, int(amount)) for acc, amount in self.conn.execute(query)]

    def day_totals_since(
        self, account_ids: Sequence[int], day: date
    ) -> dict[int, list[tuple[date, int]]]:
        """Per account, the stored day totals from `day` on, in date order."""
        d = account_days.c
        found: dict[int, list[tuple[date, int]]] = defaultdict(list)
        for start in range(0, len(account_ids), ID_CHUNK):
            rows = self.conn.execute(
                select(d.account_id, d.day, d.amount)
                .where(d.account_id.in_(account_ids[start : start + ID_CHUNK]), d.day >= day)
                .order_by(d.account_id, d.day)
            )
            for r in rows:
                found[r.account_id].append((r.day, r.amount))
        return dict(found)

    def day_magnitudes_since(self, account_ids: Sequence[int], day: date) -> dict[int, int]:
        """Per account, an upper bound of the sum of the magnitudes of its stored day totals
        from `day` on. Summed in steps of 2**20 minor units, rounded up, so that the SQL sum
        itself cannot overflow 64 bits (SQLite raises on overflow)."""
        d = account_days.c
        step = 2**20
        whole_steps = literal_column(str(step), BigInteger)  # integer division, both backends
        found: dict[int, int] = {}
        for start in range(0, len(account_ids), ID_CHUNK):
            steps = func.sum(func.abs(d.amount).op("/")(whole_steps))
            rows = self.conn.execute(
                select(d.account_id, steps, func.count())
                .where(d.account_id.in_(account_ids[start : start + ID_CHUNK]), d.day >= day)
                .group_by(d.account_id)
            )
            found.update((account, (int(steps) + int(n)) * step) for account, steps, n in rows)
        return found

    # -- integrity ---------------------------------------------------------------------

    def beyond_head(self, head_seq: int) -> str | None:
        """The first stored row the chain up to `head_seq` does not cover — a transaction
        or a posting past the head, or a posting of no transaction — named; None if none.

        The chain check reads positions 1..head; a row written past it (a forged
        transaction, say) would otherwise be counted by balances yet never verified."""
        t, p = transactions.c, postings.c
        stray = self.conn.execute(
            select(t.seq, t.id).where(t.seq > head_seq).order_by(t.seq).limit(1)
        ).first()
        if stray is not None:
            return f"transaction {stray.id} at position {stray.seq}, past the head ({head_seq})"
        orphan = self.conn.execute(
            select(p.txn_seq, p.idx)
            .where((p.txn_seq > head_seq) | (p.txn_seq < 1))
            .order_by(p.txn_seq, p.idx)
            .limit(1)
        ).first()
        if orphan is not None:
            return f"posting {orphan.idx} of position {orphan.txn_seq}, past the head ({head_seq})"
        return None

    def derived_totals_mismatch(self) -> list[tuple[str, str]]:
        """(account, what) pairs where day or year totals differ from the postings."""
        ids = {id_: name for name, id_ in self.account_ids().items()}
        p, t = postings.c, transactions.c
        by_day = {
            (acc, day): int(total)
            for acc, day, total in self.conn.execute(
                select(p.account_id, t.date, func.sum(p.amount))
                .select_from(postings.join(transactions, p.txn_seq == t.seq))
                .group_by(p.account_id, t.date)
            )
        }
        stored_days = {
            (r.account_id, r.day): r.amount for r in self.conn.execute(select(account_days))
        }
        problems: list[tuple[str, str]] = []
        for key in sorted(set(by_day) | set(stored_days)):
            if by_day.get(key, 0) != stored_days.get(key, 0):
                problems.append((ids.get(key[0], f"#{key[0]}"), f"day total of {key[1]}"))
        by_year: dict[tuple[int, int], int] = defaultdict(int)
        for (acc, day), total in by_day.items():
            by_year[acc, day.year] += total
        stored_years = {
            (r.account_id, r.year): r.amount for r in self.conn.execute(select(account_years))
        }
        for key in sorted(set(by_year) | set(stored_years)):
            if by_year.get(key, 0) != stored_years.get(key, 0):
                problems.append((ids.get(key[0], f"#{key[0]}"), f"year total of {key[1]}"))
        return problems

    def counts(self) -> Mapping[str, int]:
        return {
            "transactions": self.conn.execute(
                select(func.count()).select_from(transactions)
            ).scalar_one(),
            "postings": self.conn.execute(select(func.count()).select_from(postings)).scalar_one(),
            "accounts": self.conn.execute(select(func.count()).select_from(accounts)).scalar_one(),
        }

    def ping(self) -> None:
        self.conn.execute(text("SELECT 1"))
