"""What the overview and the public page show, gathered in one call each.

`overview` — for a reader of the ledger (a commission, the auditor, a treasury for its
own party): who owes whom as of a day and by what, from the parties' statements
(`settlement.party_statement`); the position at each quarter end, from the same
payables the demo's debt at each year end reads (`ledger.balances`' day totals); the
next installments of the tranches; the ledger's head and the log's, with the last
verification the audit trail holds; the last checkpoint both parties signed.

It only reads; amounts are exact `Decimal`s of their currency. (The public page's
figures: `convenio.services.published`.)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Final

from sqlalchemy import select

from convenio.auth import Principal
from convenio.log import b64
from convenio.services import financing, ledger, log, settlement
from convenio.settlement.positions import (
    Owed,
    Pair,
    balances_on,
    debt_accounts,
    quarter_ends,
    statement_debts,
)
from convenio.store import UnitOfWork
from convenio.store.ledger_repo import from_micros
from convenio.store.log_tables import checkpoints
from convenio.terms import state_of
from convenio.units import to_decimal

__all__ = [
    "VERIFY_ROUTES",
    "Debt",
    "Installment",
    "LedgerState",
    "Net",
    "Overview",
    "PositionSeries",
    "SignedCheckpoint",
    "Verification",
    "overview",
    "signed_checkpoint",
]

VERIFY_ROUTES: Final = ("/audit/verify",)
"""Routes whose audit entry records a verification of the whole record that passed (the
API's ``GET /api/v1/ledger/verify`` is a read, and reads are not audited)."""
INSTALLMENTS_SHOWN: Final = 8
Reads = Callable[[str], bool]


@dataclass(frozen=True)
class Debt:
    """What `debtor` owes `creditor` in `currency`; `principal_due` is the part of
    `principal` already due and unpaid (within it, not on top)."""

    debtor: str
    creditor: str
    currency: str
    short_term: Decimal
    principal: Decimal
    principal_due: Decimal
    interest: Decimal
    services: Decimal

    @property
    def total(self) -> Decimal:
        return self.short_term + self.principal + self.interest + self.services


@dataclass(frozen=True)
class Net:
    """Between two states in one currency: what each owes the other and the net, owed by
    `debtor` to `creditor` (both None when even)."""

    first: str
    second: str
    currency: str
    first_owes: Decimal
    second_owes: Decimal

    @property
    def amount(self) -> Decimal:
        return abs(self.first_owes - self.second_owes)

    @property
    def debtor(self) -> str | None:
        diff = self.first_owes - self.second_owes
        return self.first if diff > 0 else self.second if diff < 0 else None

    @property
    def creditor(self) -> str | None:
        return None if self.debtor is None else ({self.first, self.second} - {self.debtor}).pop()


@dataclass(frozen=True)
class PositionSeries:
    """What each state owed another at each day of `days` (quarter ends, the last the
    overview's day), in `currency`: `owed[i][j]` is direction `i` on day `j`."""

    currency: str
    directions: tuple[tuple[str, str], ...]  # (debtor state, creditor state)
    days: tuple[date, ...]
    owed: tuple[tuple[Decimal, ...], ...]


@dataclass(frozen=True)
class Installment:
    """An installment of a tranche falling due: principal, interest and their sum."""

    due: date
    tranche: str
    number: int
    debtor: str
    creditor: str
    currency: str
    principal: Decimal
    interest: Decimal
    payment: Decimal


@dataclass(frozen=True)
class Verification:
    """The last verification the audit trail records."""

    at: datetime
    login: str
    status: int
    summary: str


@dataclass(frozen=True)
class LedgerState:
    """The ledger's chain head and the log's tree head, as stored (not re-verified)."""

    transactions: int
    head_hash: str
    head_recorded: datetime | None
    log_origin: str
    log_size: int
    log_root: str  # base64, as in checkpoints
    verified: Verification | None


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint of the log signed by `signers` (key names), filed at `filed`."""

    size: int
    root: str  # base64
    signers: tuple[str, ...]
    filed: datetime | None


@dataclass(frozen=True)
class Overview:
    as_of: date
    settled_through: date | None  # the last day of the latest settled period
    parties: tuple[str, ...]  # the parties whose statements were read
    scope: str | None  # a treasury's party (its view only); None: every party
    debts: tuple[Debt, ...]
    nets: tuple[Net, ...]
    series: tuple[PositionSeries, ...]  # one per currency
    installments: tuple[Installment, ...]
    ledger: LedgerState
    checkpoint: SignedCheckpoint | None  # signed by both parties


def overview(uow: UnitOfWork, who: Principal, as_of: date | None = None) -> Overview:
    """The overview as of `as_of` (default: the last day of the latest settled period,
    else today) for `who`, who reads the ledger (`Action.READ_LEDGER`, checked by the
    caller): every party's figures, or a treasury's own party's."""
    settled = uow.financing.last_settled_day()
    day = as_of or settled or date.today()

    def reads(party: str) -> bool:
        return who.sees_all_parties() or who.may_act_for(party)

    scales = ledger.unit_scales(uow)
    read, owed = _statements(uow, who, day, reads, scales)
    debts = tuple(
        Debt(
            pair.debtor, pair.creditor, pair.currency,
            *(to_decimal(getattr(o, f), scales[pair.currency])
              for f in ("short_term", "principal", "principal_due", "interest", "services")),
        )
        for pair, o in owed.items()
    )  # fmt: skip
    return Overview(
        as_of=day,
        settled_through=settled,
        parties=read,
        scope=None if who.sees_all_parties() else who.party,
        debts=debts,
        nets=_nets(debts),
        series=_series(uow, day, reads, scales),
        installments=_installments(uow, who, day, scales),
        ledger=_ledger_state(uow),
        checkpoint=signed_checkpoint(uow, 2),
    )


def _statements(
    uow: UnitOfWork, who: Principal, day: date, reads: Reads, scales: dict[str, int]
) -> tuple[tuple[str, ...], dict[Pair, Owed]]:
    """The statements of the parties `who` reads that answer for themselves on `day`,
    as few as cover every pair of parties with claims (a statement holds all of its
    party's pairs), and what they say is owed, each pair once."""
    agreement = financing.current_agreement(uow)
    sides = financing.settlement_sides(agreement, day)
    candidates = [
        p.code for p in agreement.parties if sides.get(p.code, p.code) == p.code and reads(p.code)
    ]
    read: list[str] = []
    holders: set[str] | None = None
    owed: dict[Pair, Owed] = {}
    for party in candidates:
        if holders is not None and (party not in holders or holders - {party} <= set(read)):
            continue  # it holds nothing, or every pair it could hold is read already
        statement = settlement.party_statement(uow, party, day, actor=who)
        read.append(party)
        holders = (holders or set()) | set(statement["parties_with_claims"])
        for pair, amounts in statement_debts(statement, scales).items():
            owed.setdefault(pair, amounts)
    return tuple(read), dict(sorted(owed.items()))


def _nets(debts: Sequence[Debt]) -> tuple[Net, ...]:
    owes: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for d in debts:
        owes[state_of(d.debtor), state_of(d.creditor), d.currency] += d.total
    pairs = sorted({(min(a, b), max(a, b), c) for a, b, c in owes if a != b})
    return tuple(
        Net(a, b, c, owes.get((a, b, c), Decimal(0)), owes.get((b, a, c), Decimal(0)))
        for a, b, c in pairs
    )


def _series(
    uow: UnitOfWork, day: date, reads: Reads, scales: dict[str, int]
) -> tuple[PositionSeries, ...]:
    """The payables (or, for a party's own view, its claims) at each quarter end, summed
    by debtor and creditor state."""
    specs = uow.ledger.accounts()
    ids = uow.ledger.account_ids()
    chosen = debt_accounts(specs, reads)
    moves = uow.ledger.day_totals_since([ids[name] for name in chosen], date(1, 1, 1))
    by_key: dict[tuple[str, str, str], list[tuple[date, int]]] = defaultdict(list)
    for name, debt in chosen.items():
        key = (state_of(debt.debtor), state_of(debt.creditor), specs[name].unit)
        by_key[key] += [(d, debt.sign * amount) for d, amount in moves.get(ids[name], [])]
    merged = {key: sorted(dated) for key, dated in by_key.items() if key[0] != key[1]}
    first = min((dated[0][0] for dated in merged.values() if dated), default=None)
    days = quarter_ends(first, day) if first is not None else ()
    points = balances_on(days, merged)
    found = []
    for currency in sorted({key[2] for key in merged}):
        keys = sorted(k for k in merged if k[2] == currency)
        found.append(
            PositionSeries(
                currency,
                tuple((k[0], k[1]) for k in keys),
                days,
                tuple(tuple(to_decimal(p[k], scales[currency]) for p in points) for k in keys),
            )
        )
    return tuple(found)


def _installments(
    uow: UnitOfWork, who: Principal, day: date, scales: dict[str, int]
) -> tuple[Installment, ...]:
    rows = sorted(
        (row.due, t.id, row.number, t, row)
        for t in financing.tranches(uow, actor=who)
        for row in t.schedule.installments
        if row.due > day
    )[:INSTALLMENTS_SHOWN]
    return tuple(
        Installment(
            due, tranche_id, number, t.debtor, t.creditor, t.currency,
            to_decimal(row.principal, scales[t.currency]),
            to_decimal(row.interest, scales[t.currency]),
            to_decimal(row.payment, scales[t.currency]),
        )
        for due, tranche_id, number, t, row in rows
    )  # fmt: skip


def _ledger_state(uow: UnitOfWork) -> LedgerState:
    head = uow.ledger.head()
    size, root = uow.log.head()
    last = uow.auth.last_audit_entry(VERIFY_ROUTES)
    return LedgerState(
        transactions=head.seq,
        head_hash=head.hash,
        head_recorded=from_micros(head.recorded_at) if head.recorded_at else None,
        log_origin=log.origin(uow),
        log_size=size,
        log_root=b64(root),
        verified=None
        if last is None
        else Verification(from_micros(last.at), last.login, last.status, last.summary),
    )


def signed_checkpoint(uow: UnitOfWork, signers: int) -> SignedCheckpoint | None:
    """The largest checkpoint signed by at least `signers` parties, and when it was filed."""
    found = log.latest_checkpoint(uow, signers)
    if found is None:
        return None
    c = checkpoints.c
    filed = uow.connection.execute(
        select(c.stored_at)
        .where(c.size == found.size, c.note == found.note.decode())
        .order_by(c.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return SignedCheckpoint(
        found.size, b64(found.root), found.signers, None if filed is None else from_micros(filed)
    )
