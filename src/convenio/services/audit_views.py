"""The audit trail as the audit page reads it, and the ledger verified from that page.

`trail` is the read side of ``GET /api/v1/audit`` (`access.audit_entries`) turned the way
a person reads a trail: newest first, a page at a time (keyset paging on the chain
position), filtered by login, a range of days (UTC), the method and part of the route;
each entry with the ledger transactions it recorded (their ids, for links) and the
prefix of its stored hash. `parse_filter` reads the filter form's text, naming the field
of anything it cannot read. `verify_ledger` runs `ledger.verify` — the full check — and
answers its report or the `IntegrityError`'s message naming the first bad record; it
records nothing. None of these writes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import Select, func, select

from convenio.errors import InputError, IntegrityError, Problem
from convenio.services import ledger
from convenio.services.ledger import VerifyReport
from convenio.store import UnitOfWork
from convenio.store.auth_tables import audit_log
from convenio.store.ledger_repo import from_micros, to_micros
from convenio.store.tables import transactions

__all__ = [
    "HASH_SHOWN",
    "METHODS",
    "PAGE_SIZE",
    "TXNS_SHOWN",
    "AuditFilter",
    "TrailEntry",
    "TrailPage",
    "Verification",
    "parse_filter",
    "trail",
    "verify_ledger",
]

PAGE_SIZE: Final = 50
"""Entries on one page of the trail."""
TXNS_SHOWN: Final = 10
"""Transactions named per entry; the rest are counted."""
HASH_SHOWN: Final = 16
"""Hex digits of an entry's hash shown (64 bits: enough to tell entries apart)."""
METHODS: Final = ("POST", "PUT", "PATCH", "DELETE")
"""The methods of state-changing requests, which the trail records."""


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to show: of `login`, from day `since` to day `until` (both
    included, UTC), of `method`, whose route contains `route`; `before`: only entries
    before that chain position (the next page, newest first)."""

    login: str | None = None
    since: date | None = None
    until: date | None = None
    method: str | None = None
    route: str | None = None
    before: int | None = None


@dataclass(frozen=True)
class TrailEntry:
    """One audit entry as the page shows it: `transactions` the ids of the first
    `TXNS_SHOWN` ledger transactions it recorded (`more`: how many others)."""

    seq: int
    at: datetime
    login: str
    role: str
    party: str
    method: str
    route: str
    status: int
    summary: str
    hash: str
    transactions: tuple[str, ...]
    more: int


@dataclass(frozen=True)
class TrailPage:
    """A page of the trail, newest first; `next_before`: the `before` of the next page
    (None: no older entries); `matching`: entries the filter lets through in all;
    `logins`: everyone in the trail (the filter's choices)."""

    entries: tuple[TrailEntry, ...]
    next_before: int | None
    matching: int
    logins: tuple[str, ...]


@dataclass(frozen=True)
class Verification:
    """What verifying the whole record found: the `report`, or the `problem` naming the
    first bad record; `seconds` it took."""

    report: VerifyReport | None
    problem: str | None
    seconds: float

    @property
    def ok(self) -> bool:
        return self.problem is None


def _day(name: str, text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        message = f"{text!r} is not a day (YYYY-MM-DD)"
        raise InputError(f"{name}: {message}", [Problem(message, field=name)]) from None


def parse_filter(
    login: str | None = None,
    since: str | None = None,
    until: str | None = None,
    method: str | None = None,
    route: str | None = None,
    before: int | None = None,
) -> AuditFilter:
    """The filter of the form's fields (empty: no filter); `InputError` naming the field
    of a day that is not one, a range that ends before it starts, an unknown method."""
    first, last = _day("since", since), _day("until", until)
    if first and last and last < first:
        message = f"the range ends ({last}) before it starts ({first})"
        raise InputError(f"until: {message}", [Problem(message, field="until")])
    verb = (method or "").strip().upper() or None
    if verb is not None and verb not in METHODS:
        message = f"{method!r} is not one of {', '.join(METHODS)}"
        raise InputError(f"method: {message}", [Problem(message, field="method")])
    return AuditFilter(
        (login or "").strip() or None, first, last, verb, (route or "").strip() or None, before
    )


def _filtered(query: Select[Any], f: AuditFilter) -> Select[Any]:
    a = audit_log.c
    if f.login is not None:
        query = query.where(a.login == f.login)
    if f.since is not None:
        query = query.where(a.at >= _midnight(f.since))
    if f.until is not None:
        query = query.where(a.at < _midnight(f.until + timedelta(days=1)))
    if f.method is not None:
        query = query.where(a.method == f.method)
    if f.route is not None:
        query = query.where(a.route.contains(f.route, autoescape=True))
    return query


def _midnight(day: date) -> int:
    return to_micros(datetime(day.year, day.month, day.day, tzinfo=UTC))


def trail(uow: UnitOfWork, f: AuditFilter, size: int = PAGE_SIZE) -> TrailPage:
    """The entries `f` lets through, newest first, `size` of them from `f.before` on."""
    a = audit_log.c
    conn = uow.connection
    matching = conn.execute(_filtered(select(func.count()).select_from(audit_log), f))
    query = _filtered(select(audit_log), f)
    if f.before is not None:
        query = query.where(a.seq < f.before)
    rows = conn.execute(query.order_by(a.seq.desc()).limit(size + 1)).all()
    entries = tuple(_entry(uow, r) for r in rows[:size])
    logins = conn.execute(select(a.login).distinct().order_by(a.login)).scalars()
    return TrailPage(
        entries,
        entries[-1].seq if len(rows) > size else None,
        int(matching.scalar_one()),
        tuple(logins),
    )


def _entry(uow: UnitOfWork, row: Any) -> TrailEntry:
    first, last = int(row.first_txn), int(row.last_txn)
    ids: tuple[str, ...] = ()
    if first:
        t = transactions.c
        query = select(t.id).where(t.seq >= first, t.seq <= last).order_by(t.seq)
        ids = tuple(uow.connection.execute(query.limit(TXNS_SHOWN)).scalars())
    return TrailEntry(
        int(row.seq),
        from_micros(int(row.at)),
        row.login,
        row.role,
        row.party,
        row.method,
        row.route,
        int(row.status),
        row.summary,
        str(row.hash)[:HASH_SHOWN],
        ids,
        last - first + 1 - len(ids) if first else 0,
    )


def verify_ledger(uow: UnitOfWork) -> Verification:
    """`ledger.verify` — chain, balances, derived totals, audit trail, log — with its
    report, or the message of the first break it found."""
    started = time.perf_counter()
    try:
        report = ledger.verify(uow)
    except IntegrityError as exc:
        return Verification(None, str(exc), time.perf_counter() - started)
    return Verification(report, None, time.perf_counter() - started)


def verify_and_record(uow: UnitOfWork) -> Verification:
    """`verify_ledger` in a writer's held unit of work (a web form's write): when the
    record verifies, the unit of work commits — nothing of its own — so that the write
    records the verification in the audit trail (who verified, when, which heads: the
    overview's "last verification"); a verification that fails records nothing, and
    the page names the first bad record."""
    found = verify_ledger(uow)
    if found.ok:
        uow.commit()
    return found


def verification_summary(found: Verification) -> str:
    """How the audit trail says what a verification found."""
    if found.report is None:
        return f"verification failed: {found.problem}"
    r = found.report
    return (
        f"verified: {r.transactions} transactions (head {r.head_hash[:16]}), log of "
        f"{r.log_size} entries (root {r.log_root}), {r.audit_entries} audit entries"
    )
