"""Ledger use cases: open accounts, post transactions, reverse, read balances, verify.

Posting is all-or-nothing: every problem in a batch is collected (with its file, line and
field) and the batch is refused as a whole; a replay of recorded transactions with the
same content changes nothing, with other content it is a conflict. Bounds are checked at
the end of every day from the earliest new posting on, under the writers' lock.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from convenio.auth import OPERATOR, Principal
from convenio.errors import ConflictError, InputError, IntegrityError, Problem
from convenio.files import PLAIN, FileOptions, Source, Tell, open_table, read_text
from convenio.ledger import (
    AccountSpec,
    RecordedTransaction,
    canonical_bytes,
    chain_hash,
    check_account,
    check_transaction,
    content_digest,
    encode_content,
    party_of,
    reversal_of,
    verify_chain,
)
from convenio.ledger.parse import (
    Located,
    LocatedAccount,
    parse_accounts_csv,
    parse_csv,
    parse_json,
)
from convenio.ledger.validate import MAX_AMOUNT, first_bound_break
from convenio.log import Checkpoint, b64
from convenio.store import UnitOfWork
from convenio.store.ledger_repo import from_micros, to_micros

__all__ = [
    "BalanceRow",
    "OpenResult",
    "PostResult",
    "VerifyReport",
    "account_balance",
    "balances",
    "declare_accounts",
    "ensure_accounts",
    "open_accounts",
    "open_accounts_file",
    "post",
    "post_file",
    "read_journal",
    "record",
    "reverse",
    "transaction",
    "verify",
]


@dataclass(frozen=True)
class OpenResult:
    opened: int
    unchanged: int


@dataclass(frozen=True)
class PostResult:
    posted: int
    replayed: int
    head_seq: int
    head_hash: str


@dataclass(frozen=True)
class BalanceRow:
    account: str
    unit: str
    balance: int
    scale: int


@dataclass(frozen=True)
class VerifyReport:
    transactions: int
    head_seq: int
    head_hash: str
    audit_entries: int = 0
    audit_head: str = ""
    log_size: int = 0
    log_root: str = ""


def _now() -> datetime:
    return datetime.now(UTC)


# -- accounts ------------------------------------------------------------------------


def open_accounts(uow: UnitOfWork, declared: Sequence[LocatedAccount]) -> OpenResult:
    """Open accounts; reopening one with the same attributes is a no-op, other ones conflict.
    Takes the write lock of a late-locking unit of work."""
    uow.lock()
    result = declare_accounts(uow, declared)
    uow.commit()
    return result


def ensure_accounts(uow: UnitOfWork, specs: Iterable[AccountSpec], origin: str) -> OpenResult:
    """Declare the accounts a service is about to post to (no commit)."""
    unique = {spec.name: spec for spec in specs}
    return declare_accounts(uow, [LocatedAccount(s, origin, None) for s in unique.values()])


def declare_accounts(uow: UnitOfWork, declared: Sequence[LocatedAccount]) -> OpenResult:
    """`open_accounts` without the commit."""
    registry = uow.ledger.units()
    uow.ledger.lock_head()
    existing = uow.ledger.accounts()
    problems: list[Problem] = []
    conflicts: list[Problem] = []
    new: dict[str, AccountSpec] = {}
    unchanged = 0
    for item in declared:
        spec = item.spec
        for issue in check_account(spec, registry):
            problems.append(Problem(issue.message, item.file, item.line, issue.field))
        known = existing.get(spec.name) or new.get(spec.name)
        if known is None:
            new[spec.name] = spec
        elif known == spec:
            unchanged += 1
        else:
            conflicts.append(
                Problem(
                    f"account {spec.name} is already open as {_describe(known)}",
                    item.file,
                    item.line,
                    "account",
                )
            )
    if problems:
        raise InputError.from_problems(problems, "accounts")
    if conflicts:
        raise ConflictError(str(conflicts[0]), conflicts)
    uow.ledger.add_accounts(list(new.values()), _now())
    return OpenResult(len(new), unchanged)


def _describe(spec: AccountSpec) -> str:
    parts = [spec.unit, spec.kind.value]
    if spec.floor is not None:
        parts.append(f"floor {spec.floor} minor units")
    if spec.ceiling is not None:
        parts.append(f"ceiling {spec.ceiling} minor units")
    return ", ".join(parts)


ACCOUNT_NUMERIC = ("floor", "ceiling")
JOURNAL_NUMERIC = ("amount",)
"""The columns of the accounts and journal files read the Spanish way under --locale es."""


def open_accounts_file(
    uow: UnitOfWork, path: Source, options: FileOptions = PLAIN, actor: Principal = OPERATOR
) -> OpenResult:
    """Open every account of a CSV or .xlsx file ``account,unit[,kind,floor,ceiling]``; an
    `actor` other than the operator opens only accounts its party owns."""
    scales = unit_scales(uow)
    with open_table(path, options, ACCOUNT_NUMERIC) as table:
        declared, problems = parse_accounts_csv(table.lines, table.name, scales)
        problems = table.problems(problems)
        if problems:
            raise InputError.from_problems(problems, table.name)
        actor.require_parties(
            (d.spec.party, Problem(f"account {d.spec.name}", d.file, d.line, "account"))
            for d in declared
        )
        return open_accounts(uow, declared)


# -- posting -------------------------------------------------------------------------


_JOURNAL_SUFFIXES = (".csv", ".json", ".xlsx", ".xlsm")


def read_journal(
    path: Source, scales: dict[str, int], options: FileOptions = PLAIN, tell: Tell | None = None
) -> list[Located]:
    """Parse a CSV, .xlsx or JSON journal file (by its extension; a name without one, as
    the API gives a JSON body's rows, is CSV); raise on any problem."""
    suffix = path.suffix.lower()
    if suffix and suffix not in _JOURNAL_SUFFIXES:
        raise InputError(f"{path}: expected a .csv, .xlsx or .json journal")
    if suffix == ".json":
        located, problems = parse_json(io.StringIO(read_text(path, options)), str(path), scales)
        if problems:
            raise InputError.from_problems(problems, str(path))
        return located
    with open_table(path, options, JOURNAL_NUMERIC, tell) as table:
        located, problems = parse_csv(table.lines, table.name, scales)
        problems = table.problems(problems)
        if problems:
            raise InputError.from_problems(problems, table.name)
    return located


def post_file(
    uow: UnitOfWork,
    path: Source,
    options: FileOptions = PLAIN,
    tell: Tell | None = None,
    actor: Principal = OPERATOR,
) -> PostResult:
    """Post every transaction of a journal file, all or nothing; `tell` hears the
    reading (bytes) and then the posting. An `actor` other than the operator posts only
    transactions whose every account its party owns.

    The file is parsed and every transaction checked against the stored units and
    accounts before the write lock is taken (`uow.lock()`, for a late-locking unit of
    work), so that a bad file is refused at once and a large one keeps no other writer
    waiting while it is read; under the lock `record` checks again what another writer
    may have changed meanwhile (replays, conflicts, bounds)."""
    scales = unit_scales(uow)
    specs = uow.ledger.accounts()
    batch = read_journal(path, scales, options, tell)
    _require_accounts(actor, batch)
    problems = [
        Problem(issue.message, item.file, line, f"{at}.{issue.field}" if at else issue.field)
        for item in batch
        for issue in check_transaction(item.txn, specs)
        for line, at in [item.where(issue.posting)]
    ]
    if problems:
        raise InputError.from_problems(problems, str(path))
    if tell is not None:
        tell(f"posting {len(batch):,} transactions", 0, 0)
    uow.lock()
    return post(uow, batch)


def _require_accounts(actor: Principal, batch: Sequence[Located]) -> None:
    """`AccessError` locating every posting to an account of a party `actor` may not act
    for (the account's party is its first segment: `party_of`)."""
    actor.require_parties(
        (party_of(p.account), Problem(f"transaction {item.txn.id}", item.file, line, field))
        for item in batch
        for i, p in enumerate(item.txn.postings)
        for line, at in [item.where(i)]
        for field in [f"{at}.account" if at else "account"]
    )


def post(uow: UnitOfWork, batch: Sequence[Located]) -> PostResult:
    """Record a batch of transactions atomically, in order, extending the hash chain."""
    result = record(uow, batch)
    uow.commit()
    return result


def record(uow: UnitOfWork, batch: Sequence[Located]) -> PostResult:
    """`post` without the commit: for services that write more in the same unit of work."""
    head = uow.ledger.lock_head()
    _refuse_rows_beyond(uow, head.seq)
    specs = uow.ledger.accounts()
    problems: list[Problem] = []
    conflicts: list[Problem] = []

    # Within the batch: an id may repeat only with identical content.
    digests: dict[str, tuple[str, Located]] = {}
    unique: list[tuple[Located, str]] = []
    encoded: dict[str, bytes] = {}
    for item in batch:
        content = encoded[item.txn.id] = encode_content(item.txn)
        digest = content_digest(item.txn, content)
        seen = digests.get(item.txn.id)
        if seen is None:
            digests[item.txn.id] = (digest, item)
            unique.append((item, digest))
        elif seen[0] != digest:
            line, path = item.where(None)
            conflicts.append(
                Problem(
                    f"transaction {item.txn.id} appears twice with different content",
                    item.file,
                    line,
                    path or "txn_id",
                )
            )

    stored = uow.ledger.digests(digests) if head.seq else {}
    fresh: list[tuple[Located, str]] = []
    for item, digest in unique:
        known = stored.get(item.txn.id)
        if known is None:
            fresh.append((item, digest))
        elif known != digest:
            line, path = item.where(None)
            conflicts.append(
                Problem(
                    f"transaction {item.txn.id} is already recorded with different content",
                    item.file,
                    line,
                    path or "txn_id",
                )
            )
    for item, _ in fresh:
        for issue in check_transaction(item.txn, specs):
            line, path = item.where(issue.posting)
            field = f"{path}.{issue.field}" if path else issue.field
            problems.append(Problem(issue.message, item.file, line, field))
    if not problems:
        problems.extend(_bound_problems(uow, specs, fresh))
    if problems:
        raise InputError.from_problems(problems, batch[0].file if batch else "batch")
    if conflicts:
        raise ConflictError(
            str(conflicts[0]) if len(conflicts) == 1 else f"{len(conflicts)} conflicting ids",
            conflicts,
        )

    records, entries = _chain(
        head.seq, head.hash, max(to_micros(_now()), head.recorded_at), fresh, encoded
    )
    uow.ledger.append(records, [digest for _, digest in fresh], entries)
    last = records[-1] if records else None
    return PostResult(
        posted=len(records),
        replayed=len(batch) - len(fresh),
        head_seq=last.seq if last else head.seq,
        head_hash=last.hash if last else head.hash,
    )


def _refuse_rows_beyond(uow: UnitOfWork, head_seq: int) -> None:
    """`IntegrityError` naming a stored row past the chain's head: verify would otherwise
    pass over it, balances count it, and the next post collide with it or take its id
    for a replay."""
    stray = uow.ledger.beyond_head(head_seq)
    if stray is not None:
        raise IntegrityError(
            f"a row the chain does not cover: {stray}; it was written outside convenio — "
            "restore the store from a backup"
        )


def _chain(
    seq: int,
    prev: str,
    recorded_micros: int,
    fresh: Sequence[tuple[Located, str]],
    encoded: dict[str, bytes],
) -> tuple[list[RecordedTransaction], list[bytes]]:
    """The new records chained after `seq`, and their canonical bytes (the log's entries)."""
    recorded_at = from_micros(recorded_micros)
    records = []
    entries = []
    for item, _ in fresh:
        seq += 1
        txn = item.txn
        entry = canonical_bytes(txn, seq, recorded_at, encoded[txn.id])
        digest = chain_hash(prev, entry)
        records.append(RecordedTransaction(seq, txn, recorded_at, prev, digest))
        entries.append(entry)
        prev = digest
    return records, entries


def _bound_problems(
    uow: UnitOfWork, specs: dict[str, AccountSpec], fresh: Sequence[tuple[Located, str]]
) -> list[Problem]:
    """Bounds and storage limits of every account the new postings touch.

    Accounts with a floor or a ceiling are walked day by day. Others only need their
    totals to fit in 64 bits: an account whose opening balance, stored day totals and new
    amounts add up, in magnitude, to no more than `MAX_AMOUNT` cannot overflow any of them
    and is not walked — the common case, read with one aggregate query."""
    if not fresh:
        return []
    magnitude: dict[str, int] = defaultdict(int)
    earliest = min(item.txn.date for item, _ in fresh)
    for item, _ in fresh:
        for p in item.txn.postings:
            magnitude[p.account] += abs(p.amount)
    ids = uow.ledger.account_ids()
    # From the first day of the earliest new day's year (the walk checks year totals
    # too): one read of the balances before it, one aggregate of the day totals since.
    first = date(earliest.year, 1, 1)
    opening = uow.ledger.balances(as_of=first - timedelta(days=1))
    stored_size = uow.ledger.day_magnitudes_since([ids[n] for n in magnitude], first)
    walked = {
        name
        for name, new in magnitude.items()
        if specs[name].floor is not None
        or specs[name].ceiling is not None
        or abs(opening.get(ids[name], 0)) + stored_size.get(ids[name], 0) + new > MAX_AMOUNT
    }
    if not walked:
        return []
    touched: dict[str, list[tuple[date, int, tuple[Located, int]]]] = defaultdict(list)
    for item, _ in fresh:
        for i, p in enumerate(item.txn.postings):
            if p.account in walked:
                touched[p.account].append((item.txn.date, p.amount, (item, i)))
    scales = unit_scales(uow)
    # The walked accounts' day totals themselves, in one read.
    stored = uow.ledger.day_totals_since([ids[name] for name in touched], first)
    problems = []
    for name, new in touched.items():
        spec = specs[name]
        account_id = ids[name]
        broken = first_bound_break(
            spec, opening.get(account_id, 0), stored.get(account_id, ()), new
        )
        if broken is not None:
            item, posting = broken.culprit
            line, path = item.where(posting)
            problems.append(
                Problem(
                    f"transaction {item.txn.id}: {broken.describe(spec, scales[spec.unit])}",
                    item.file,
                    line,
                    f"{path}.amount" if path else "amount",
                )
            )
    return problems


def reverse(
    uow: UnitOfWork, txn_id: str, new_id: str | None = None, on: date | None = None,
    reason: str = "", actor: Principal = OPERATOR,
) -> PostResult:  # fmt: skip
    """Post the reversal of a recorded transaction (once: a second reversal is refused).
    An `actor` other than the operator reverses only transactions whose every account its
    party owns; one that touches none of them is, to it, unknown."""
    original = transaction(uow, txn_id, actor)
    if original is None:
        raise InputError(f"no transaction {txn_id!r}", [Problem("unknown", field="txn_id")])
    actor.require_parties(
        (party_of(p.account), Problem(f"transaction {txn_id}", field="txn_id"))
        for p in original.txn.postings
    )
    if original.txn.reverses is not None:
        raise ConflictError(f"{txn_id} is itself a reversal; post a new transaction instead")
    new_id = new_id or f"{txn_id}/reversal"
    already = uow.ledger.reversed_by(txn_id)
    if already is not None and already != new_id:
        raise ConflictError(f"{txn_id} is already reversed by {already}")
    txn = reversal_of(original.txn, new_id, on or original.txn.date, reason)
    return post(uow, [Located(txn, "reversal", None, (None,) * len(txn.postings))])


# -- reading -------------------------------------------------------------------------


def transaction(
    uow: UnitOfWork, txn_id: str, actor: Principal = OPERATOR
) -> RecordedTransaction | None:
    """A recorded transaction, or None when there is none of that id or when `actor` may
    act for no party of its accounts (what it may not read, it does not learn exists)."""
    found = uow.ledger.get(txn_id)
    if found is None or actor.sees_all_parties():
        return found
    if any(actor.may_act_for(party_of(p.account)) for p in found.txn.postings):
        return found
    return None


def balances(
    uow: UnitOfWork,
    as_of: date | None = None,
    known_at: datetime | None = None,
    party: str | None = None,
    actor: Principal = OPERATOR,
) -> list[BalanceRow]:
    """Every account's balance (zero ones included), by account name; a `party` that
    owns no account: `InputError` naming the parties that own some. An `actor` that does
    not read every party's accounts (a treasury) reads its own party's: by default, and
    only those."""
    if party is None and not actor.sees_all_parties():
        party = actor.party
    if party is not None:
        actor.require_parties([(party, Problem("", field="--party"))])
    specs = uow.ledger.accounts(party)
    if party is not None and not specs:
        owners = sorted({spec.party for spec in uow.ledger.accounts().values()})
        listed = ", ".join(owners) if owners else "none yet"
        raise InputError(
            f"party {party!r} owns no account (parties with accounts: {listed})",
            [Problem("no accounts of this party", field="--party")],
        )
    ids = uow.ledger.account_ids()
    scales = unit_scales(uow)
    totals = uow.ledger.balances(as_of, known_at)
    return [
        BalanceRow(name, spec.unit, totals.get(ids[name], 0), scales[spec.unit])
        for name, spec in specs.items()
    ]


def account_balance(
    uow: UnitOfWork, account: str, as_of: date | None = None, known_at: datetime | None = None
) -> int:
    """One account's balance in minor units."""
    account_id = uow.ledger.account_ids().get(account)
    if account_id is None:
        raise InputError(f"unknown account {account!r}", [Problem("unknown", field="account")])
    return uow.ledger.balances(as_of, known_at, account_id).get(account_id, 0)


def unit_scales(uow: UnitOfWork) -> dict[str, int]:
    """Each unit's scale (decimals of its smallest step): USD 2, bbl 3."""
    return {code: unit.scale for code, unit in uow.ledger.units().items()}


@dataclass(frozen=True)
class VerifyOutcome:
    """`verify`'s answer for a caller that reports a break rather than failing on it."""

    ok: bool
    report: VerifyReport
    problem: str | None = None


def check(uow: UnitOfWork) -> VerifyOutcome:
    """`verify`, with a break as an answer (``ok`` false, `problem` naming it) beside the
    head as stored."""
    try:
        return VerifyOutcome(True, verify(uow))
    except IntegrityError as exc:
        head = uow.ledger.head()
        return VerifyOutcome(False, VerifyReport(head.seq, head.seq, head.hash), str(exc))


def verify(uow: UnitOfWork, expect: Checkpoint | None = None) -> VerifyReport:
    """Recompute the hash chain, the balance of every transaction, the derived totals,
    the audit trail's chain and the transparency log; with `expect`, check the log against
    that checkpoint."""
    head = uow.ledger.head()
    stale: list[str] = []

    def checked() -> Iterator[RecordedTransaction]:
        for record, digest in uow.ledger.iter_recorded_with_digests():
            if not stale and content_digest(record.txn) != digest:
                stale.append(record.txn.id)
            yield record

    count, broken = verify_chain(checked())
    if broken is not None:
        raise IntegrityError(
            f"chain broken at transaction {broken.txn_id} (seq {broken.seq}): {broken.reason}"
        )
    if count != head.seq:
        raise IntegrityError(
            f"the head says {head.seq} transactions but {count} are stored: "
            "transactions were removed"
        )
    _refuse_rows_beyond(uow, head.seq)
    last = next(uow.ledger.iter_recorded(head.seq, head.seq), None) if head.seq else None
    if last is not None and last.hash != head.hash:
        raise IntegrityError(f"the head hash does not match transaction {last.txn.id}")
    if stale:
        raise IntegrityError(
            f"the stored content digest of transaction {stale[0]} does not match its content"
        )
    mismatches = uow.ledger.derived_totals_mismatch()
    if mismatches:
        account, what = mismatches[0]
        raise IntegrityError(f"derived totals disagree with the postings: {account}, {what}")
    from convenio.services.access import verify_audit  # access imports this module's kin
    from convenio.services.log import verify_log  # log imports the store, as this does

    audit = verify_audit(uow)
    log = verify_log(uow, expect)
    return VerifyReport(
        count, head.seq, head.hash, audit.entries, audit.head_hash, log.size, b64(log.root)
    )
