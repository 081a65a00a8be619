"""What the settlement pages show: the runs, a run's statement, and what makes each of its
figures — read-only views over the runs `services.settlement` wrote.

A statement is stored as the run made it (`RunRow.statement`); this module adds what a
reader needs around it — the terms version in force, the sign-offs
(`services.signoffs`), the log entry and the checkpoint that covers it — and, for a
reader of the ledger, the drill-down: for each figure of a direction, the claims,
allocations or payments it sums, each with the delivery and the ledger transactions
behind it. The drill-down recomputes each claim's position around the run from the
stored allocations (`positions`, a pure function): before the run, what earlier periods'
runs in force left of it; after, that less the run's own allocations.

Who reads: a reader of the ledger whose scope includes one of the run's parties (a
commission, the auditor, the parties' treasuries) reads everything; anyone else, the
public included, reads a settled run's statement only, without drill-down, ledger
transactions or the signers' logins — as the API publishes settled statements.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Final

from sqlalchemy import select

from convenio.auth import Action, Principal, Role
from convenio.errors import (
    AccessError,
    AuthenticationError,
    ConflictError,
    InputError,
    NotFoundError,
    Problem,
)
from convenio.financing.claims import Claim, ClaimType, Payment
from convenio.log import b64
from convenio.log.records import RUN
from convenio.periods import parse_period
from convenio.services.financing import current_agreement, settlement_sides
from convenio.services.log import latest_checkpoint
from convenio.services.settlement import RunOutcome, run_settlement
from convenio.services.signoffs import Signoff, awaiting, signers_of, signoffs_of_runs
from convenio.services.signoffs import statement_digest as digest_of
from convenio.store import UnitOfWork
from convenio.store.financing_repo import ACTIVE, RunRow
from convenio.store.financing_tables import allocations
from convenio.store.tables import transactions

__all__ = [
    "FIGURES",
    "PAGE_SIZE",
    "AllocationLine",
    "ClaimLine",
    "CoveringCheckpoint",
    "Direction",
    "FigureView",
    "NetSeries",
    "PaymentLine",
    "Position",
    "RunLine",
    "RunsView",
    "StatementView",
    "figure_view",
    "net_series",
    "positions",
    "reopen",
    "runs_view",
    "statement_view",
]

FIGURES: Final = ("invoiced", "outstanding", "offset", "cash", "carried", "overpaid")
"""The figures of a direction that drill down, in the statement's order."""
PAGE_SIZE: Final = 200
"""Lines of a figure shown at a time."""


# -- the runs --------------------------------------------------------------------------


@dataclass(frozen=True)
class RunLine:
    """A run as the list shows it, with who signed it and who has not yet."""

    run: RunRow
    signers: tuple[str, str]
    signoffs: tuple[Signoff, ...]
    awaiting: tuple[str, ...]
    may_sign: bool
    may_reopen: bool

    @property
    def net(self) -> Mapping[str, str | None]:
        net: Mapping[str, str | None] = self.run.statement["net"]
        return net


@dataclass(frozen=True)
class NetSeries:
    """What `debtor` owed `creditor` net before cash, period by period (oldest first; a
    negative amount: what `creditor` owed `debtor`), summed over the period's runs."""

    debtor: str
    creditor: str
    points: tuple[tuple[str, Decimal], ...]


@dataclass(frozen=True)
class RunsView:
    lines: tuple[RunLine, ...]
    years: tuple[int, ...]
    year: int | None
    may_settle: bool
    net: NetSeries | None


def _state(party: str) -> str:
    return party.split(".", 1)[0]


def net_series(runs: Sequence[RunRow]) -> NetSeries | None:
    """The net position of the settled runs of `runs` by period, between two states (the
    parties' top parties: VEN.PDVSA counts as VEN); oriented as the latest run's net
    (its debtor's state owes). None when there is no settled run, or when the runs are
    between more than two states (a multilateral clearing has no one line)."""
    settled = [r for r in runs if r.status == ACTIVE]
    if not settled:
        return None
    states = {s for r in settled for s in signers_of(r)}
    if len(states) != 2:
        return None
    latest = max(settled, key=lambda r: parse_period(r.period).end).statement["net"]
    debtor = _state(latest["debtor"] or settled[-1].party_b)
    (creditor,) = states - {debtor}
    totals: dict[str, Decimal] = {}
    for run in sorted(settled, key=lambda r: (parse_period(r.period).end, r.id)):
        net = run.statement["net"]
        amount = Decimal(net["amount"]) if net["debtor"] else Decimal(0)
        sign = 1 if net["debtor"] is None or _state(net["debtor"]) == debtor else -1
        totals[run.period] = totals.get(run.period, Decimal(0)) + sign * amount
    return NetSeries(debtor, creditor, tuple(totals.items()))


def _reads_ledger_of(who: Principal, run: RunRow) -> bool:
    return who.may(Action.READ_LEDGER) and (
        who.sees_all_parties() or who.may_act_for(run.party_a) or who.may_act_for(run.party_b)
    )


def _may_sign(who: Principal, run: RunRow, left: Sequence[str]) -> bool:
    return (
        who.role is Role.COMMISSION
        and who.may(Action.SETTLE)
        and run.status == ACTIVE
        and who.party in left
    )


def _may_reopen(who: Principal, run: RunRow) -> bool:
    return (
        who.may(Action.SETTLE)
        and not who.operator
        and run.status == ACTIVE
        and (who.may_act_for(run.party_a) or who.may_act_for(run.party_b))
    )


def _year(run: RunRow) -> int:
    return parse_period(run.period).start.year


def runs_view(uow: UnitOfWork, who: Principal, year: int | None = None) -> RunsView:
    """Every run the reader's scope includes (settled and reopened), newest period first,
    of `year` only if given; with what each still awaits and what `who` may do to it."""
    who.require(Action.READ_LEDGER)
    runs = [r for r in uow.financing.runs(status=None) if _reads_ledger_of(who, r)]
    years = tuple(sorted({_year(r) for r in runs}, reverse=True))
    shown = [r for r in reversed(runs) if year is None or _year(r) == year]
    done = signoffs_of_runs(uow, [r.id for r in shown])
    lines = []
    for run in shown:
        left = tuple(awaiting(run, done[run.id])) if run.status == ACTIVE else ()
        lines.append(
            RunLine(
                run,
                signers_of(run),
                tuple(done[run.id]),
                left,
                _may_sign(who, run, left),
                _may_reopen(who, run),
            )
        )
    net = net_series(list(reversed(shown)))
    return RunsView(tuple(lines), years, year, who.may(Action.SETTLE), net)


# -- a statement -----------------------------------------------------------------------


@dataclass(frozen=True)
class Direction:
    """One direction of a statement (`creditor`'s claims on `debtor`), as exact amounts
    of the run's currency; `index` is its place in the statement (0: party a's)."""

    index: int
    creditor: str
    debtor: str
    invoiced: tuple[tuple[str, Decimal], ...]
    invoiced_total: Decimal
    outstanding_before: Decimal
    offset: Decimal
    cash_paid: Decimal
    carried_forward: Decimal
    overpaid: Decimal

    def figure(self, name: str) -> Decimal:
        """The stated amount of figure `name` (one of `FIGURES`)."""
        return {
            "invoiced": self.invoiced_total,
            "outstanding": self.outstanding_before,
            "offset": self.offset,
            "cash": self.cash_paid,
            "carried": self.carried_forward,
            "overpaid": self.overpaid,
        }[name]


@dataclass(frozen=True)
class CoveringCheckpoint:
    """The signed checkpoint that covers a run's log entry: its size, root (base64) and
    the parties whose keys signed it."""

    size: int
    root: str
    signers: tuple[str, ...]


@dataclass(frozen=True)
class StatementView:
    run: RunRow
    agreement: str
    names: Mapping[str, str]
    """Every party of the terms (the run's and its signers) by code: its name."""
    version: tuple[str, str, date]
    """The terms version in force on the period's last day: id, name, effective date."""
    start: date
    end: date
    directions: tuple[Direction, ...]
    net_debtor: str | None
    net_creditor: str | None
    net_amount: Decimal
    signers: tuple[str, str]
    signoffs: tuple[Signoff, ...]
    awaiting: tuple[str, ...]
    digest: str
    """SHA-256 (hex) of the statement as the run's log entry holds it: what a sign-off signs."""
    entry: int | None
    checkpoint: CoveringCheckpoint | None
    replaced_by: str | None
    replaces: str | None
    detail: bool
    """Whether the reader drills down (and sees logins and ledger transactions)."""
    may_sign: bool
    may_reopen: bool

    @property
    def settled(self) -> bool:
        return self.run.status == ACTIVE


def _run(uow: UnitOfWork, run_id: str) -> RunRow:
    run = uow.financing.run(run_id)
    if run is None:
        raise NotFoundError(f"no settlement run {run_id}", [Problem("no such run", field="run")])
    return run


def _require_reader(who: Principal, run: RunRow) -> bool:
    """Whether `who` reads `run` in detail; the public reads a settled one's statement
    only, and nobody else's: `AuthenticationError` for the public, `AccessError` else."""
    if _reads_ledger_of(who, run):
        return True
    if run.status == ACTIVE:
        return False
    why = f"run {run.id} was reopened: only readers of its ledger read it"
    if who.anonymous:
        raise AuthenticationError(f"sign in: {why}")
    raise AccessError(f"{who.name} may not read it: {why}", [Problem("reopened", field="run")])


def _amount(text: str) -> Decimal:
    return Decimal(text)


def _directions(statement: Mapping[str, object]) -> tuple[Direction, ...]:
    listed = statement["directions"]
    assert isinstance(listed, list)
    return tuple(
        Direction(
            index=i,
            creditor=d["creditor"],
            debtor=d["debtor"],
            invoiced=tuple((kind, _amount(v)) for kind, v in d["invoiced"].items()),
            invoiced_total=_amount(d["invoiced_total"]),
            outstanding_before=_amount(d["outstanding_before"]),
            offset=_amount(d["offset"]),
            cash_paid=_amount(d["cash_paid"]),
            carried_forward=_amount(d["carried_forward"]),
            overpaid=_amount(d.get("overpaid", "0")),
        )
        for i, d in enumerate(listed)
    )


def _covering(uow: UnitOfWork, entry: int | None) -> CoveringCheckpoint | None:
    """The latest checkpoint signed by both parties that covers `entry`, else the latest
    signed by one that does."""
    if entry is None:
        return None
    for signers in (2, 1):
        found = latest_checkpoint(uow, signers)
        if found is not None and found.size > entry:
            return CoveringCheckpoint(found.size, b64(found.root), found.signers)
    return None


def statement_view(uow: UnitOfWork, run_id: str, who: Principal) -> StatementView:
    """Run `run_id`'s statement with its terms version, sign-offs, log entry and covering
    checkpoint, as `who` may read it (module docstring)."""
    run = _run(uow, run_id)
    detail = _require_reader(who, run)
    agreement = current_agreement(uow)
    period = parse_period(run.period)
    version = agreement.version_on(period.end)
    names = {p.code: p.name for p in agreement.parties}
    done = tuple(signoffs_of_runs(uow, [run.id])[run.id])
    left = tuple(awaiting(run, done)) if run.status == ACTIVE else ()
    siblings = {
        r.generation: r.id
        for r in uow.financing.runs(run.period, status=None)
        if (r.party_a, r.party_b) == (run.party_a, run.party_b)
    }
    entry = uow.log.locate(RUN, run.id)
    net = run.statement["net"]
    return StatementView(
        run=run,
        agreement=agreement.agreement.name,
        names=names,
        version=(version.id, version.name, version.effective),
        start=period.start,
        end=period.end,
        directions=_directions(run.statement),
        net_debtor=net["debtor"],
        net_creditor=net["creditor"],
        net_amount=_amount(net["amount"]),
        signers=signers_of(run),
        signoffs=done,
        awaiting=left,
        digest=digest_of(run),
        entry=entry,
        checkpoint=_covering(uow, entry),
        replaced_by=siblings.get(run.generation + 1),
        replaces=siblings.get(run.generation - 1),
        detail=detail,
        may_sign=_may_sign(who, run, left),
        may_reopen=_may_reopen(who, run),
    )


def reopen(uow: UnitOfWork, run_id: str, who: Principal) -> RunOutcome:
    """Reopen the period of settled run `run_id` and settle it again, as ``POST
    /api/v1/settlements/{period}?reopen=true`` does (`services.settlement.run_settlement`:
    every pair of the period that `who` settles); the run that replaced `run_id`.
    `ConflictError` if `run_id` was reopened already."""
    run = _run(uow, run_id)
    who.require(Action.SETTLE)
    if not (who.may_act_for(run.party_a) or who.may_act_for(run.party_b)):
        raise AccessError(
            f"{who.name} may not reopen run {run_id}: neither of its parties is theirs",
            [Problem("out of scope", field="run")],
        )
    if run.status != ACTIVE:
        raise ConflictError(
            f"run {run_id} was reopened already: reopen the run that replaced it",
            [Problem("reopened", field="run")],
        )
    outcomes = run_settlement(uow, run.period, reopen=True, actor=who)
    (replaced,) = [o for o in outcomes if o.reversed_run == run_id]
    return replaced


# -- what makes a figure ---------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """A claim around a run (minor units): outstanding before it, what it offset and
    paid in cash, and what is left after (`before - offset - cash`)."""

    before: int
    offset: int
    cash: int

    @property
    def after(self) -> int:
        return self.before - self.offset - self.cash


def positions(
    before: Mapping[str, int], allocated: Iterable[tuple[str, int, str, str]]
) -> dict[str, Position]:
    """Each claim's `Position` from its outstanding `before` the run and the run's
    allocations (claim, amount, method, against). A claim allocated that is not in
    `before` is refused (`InputError`): the run paid something that was not owed."""
    offset: dict[str, int] = defaultdict(int)
    cash: dict[str, int] = defaultdict(int)
    for claim, amount, method, _ in allocated:
        if claim not in before:
            raise InputError(f"the run allocated {amount} to claim {claim}, not outstanding")
        (offset if method == "offset" else cash)[claim] += amount
    return {c: Position(b, offset[c], cash[c]) for c, b in before.items()}


@dataclass(frozen=True)
class ClaimLine:
    """A claim of the direction, its position around the run (exact amounts), and what
    is behind it: the delivery and the ledger transaction that recorded it (None for
    late interest, whose `source` names the short-term claim charged)."""

    id: str
    type: str
    issued: date
    due: date
    amount: Decimal
    before: Decimal
    offset: Decimal
    cash: Decimal
    after: Decimal
    source: str
    delivery: str | None
    recorded_by: str | None


@dataclass(frozen=True)
class AllocationLine:
    """An allocation of the run to a claim of the direction: by offset against a claim
    of the other direction, or in cash against a payment; with the run's transaction."""

    claim: ClaimLine
    amount: Decimal
    method: str
    against: str
    against_delivery: str | None
    transaction: str | None


@dataclass(frozen=True)
class PaymentLine:
    """A payment of the period from the direction's debtor to its creditor, what the run
    applied of it and what it carried as the payer's credit."""

    id: str
    date: date
    payer: str
    payee: str
    amount: Decimal
    applied: Decimal
    excess: Decimal
    reference: str
    transaction: str | None


@dataclass(frozen=True)
class FigureView:
    statement: StatementView
    direction: Direction
    figure: str
    claim_type: str | None
    claims: tuple[ClaimLine, ...]
    allocations: tuple[AllocationLine, ...]
    payments: tuple[PaymentLine, ...]
    count: int
    total: Decimal
    """The sum of every line's share of the figure (all pages)."""
    page: int
    pages: int

    @property
    def stated(self) -> Decimal:
        if self.figure == "invoiced" and self.claim_type is not None:
            return dict(self.direction.invoiced).get(self.claim_type, Decimal(0))
        return self.direction.figure(self.figure)


@dataclass(frozen=True)
class _Around:
    """A direction's claims around a run: each with its outstanding before the run, the
    run's allocations to them, and their positions (minor units)."""

    claims: dict[str, tuple[Claim, int]]
    allocated: list[tuple[str, int, str, str]]
    held: dict[str, Position]


def _around(uow: UnitOfWork, run: RunRow, side: Direction, sides: Mapping[str, str]) -> _Around:
    """The claims of `side` the run saw, as `services.settlement` reads them: issued by
    the period's end, in the run's currency, outstanding after the runs in force of
    earlier periods or issued in the period (late interest of the period's own months is
    charged after the run, so it is not the run's)."""
    period = parse_period(run.period)

    def group(party: str) -> list[str]:
        return [code for code, s in sides.items() if s == party] or [party]

    found = uow.financing.open_claims(
        parties=(group(side.creditor), group(side.debtor)),
        issued_by=period.end,
        as_of=period.start - timedelta(days=1),
        issued_from=period.start,
    )
    claims = {
        c.id: (c, before)
        for c, before in found
        if sides.get(c.creditor, c.creditor) == side.creditor
        and c.currency == run.currency
        and not (c.type is ClaimType.LATE_INTEREST and c.issued >= period.start)
    }
    allocated = [a for a in _allocations(uow, run.id) if a[0] in claims]
    held = positions({cid: before for cid, (_, before) in claims.items()}, allocated)
    return _Around(claims, allocated, held)


def _sides_of(uow: UnitOfWork, end: date) -> dict[str, str]:
    """Every party of the terms mapped to the party that settles for it on `end`."""
    agreement = current_agreement(uow)
    sides = settlement_sides(agreement, end)
    return {p.code: sides.get(p.code, p.code) for p in agreement.parties}


def _run_transactions(
    uow: UnitOfWork, run: RunRow
) -> tuple[dict[frozenset[str], str], dict[str, str]]:
    """The run's offset transactions by the pair of claims they offset, and its payment
    transactions by payment (`settlement.postings` names them so in source and metadata)."""
    t = transactions.c
    pairs: dict[frozenset[str], str] = {}
    paid: dict[str, str] = {}
    ids = list(run.transactions)
    for at in range(0, len(ids), 500):
        rows = uow.connection.execute(
            select(t.id, t.source, t.metadata).where(t.id.in_(ids[at : at + 500]))
        )
        for txn_id, source, metadata in rows:
            payment = dict(json.loads(metadata)).get("payment")
            if payment is not None:
                paid[str(payment)] = txn_id
            else:
                pairs[frozenset(source.split(","))] = txn_id
    return pairs, paid


def _delivery(claim: Claim, tranche_delivery: str | None) -> str | None:
    """The delivery behind a claim (as `services.provenance` traces it)."""
    if claim.type is ClaimType.LATE_INTEREST:
        return None
    if claim.type in (ClaimType.INSTALLMENT, ClaimType.INTEREST):
        return tranche_delivery
    return claim.source


class _Lines:
    """Builds the lines of one page of a figure, in exact amounts."""

    def __init__(self, uow: UnitOfWork, run: RunRow, around: _Around, ids: Iterable[str]):
        self.around = around
        self.scale = uow.ledger.units()[run.currency].scale
        self.stored = uow.financing.claims_by_id(set(ids))

    def money(self, minor: int) -> Decimal:
        return Decimal(minor).scaleb(-self.scale)

    def delivery(self, claim_id: str) -> str | None:
        found = self.stored.get(claim_id)
        return None if found is None else _delivery(*found)

    def claim(self, claim_id: str) -> ClaimLine:
        c, before = self.around.claims[claim_id]
        p, delivery, money = self.around.held[claim_id], self.delivery(claim_id), self.money
        return ClaimLine(
            c.id, c.type.value, c.issued, c.due, money(c.amount), money(before),
            money(p.offset), money(p.cash), money(p.after), c.source, delivery,
            None if delivery is None else f"dlv:{delivery}:value",
        )  # fmt: skip


def figure_view(
    uow: UnitOfWork,
    run_id: str,
    who: Principal,
    figure: str,
    direction: int,
    claim_type: str | None = None,
    page: int = 1,
) -> FigureView:
    """What makes figure `figure` of direction `direction` of run `run_id` (a reader of
    the run's ledger only): its lines, `PAGE_SIZE` at a time (page `page`, from 1), and
    the sum of all of them — which equals the stated figure for a run of a period no
    earlier run was reopened after."""
    statement = statement_view(uow, run_id, who)
    if not statement.detail:
        raise AccessError(
            f"{who.name} may read the statement of run {run_id}, not what makes its figures",
            [Problem("no drill-down", field="role")],
        )
    if figure not in FIGURES or direction not in (0, 1) or page < 1:
        raise NotFoundError(f"run {run_id} has no figure {figure!r} in direction {direction}")
    if claim_type is not None and claim_type not in {t.value for t in ClaimType}:
        raise NotFoundError(f"no claim type {claim_type!r}")
    run, side = statement.run, statement.directions[direction]
    period = parse_period(run.period)
    sides = _sides_of(uow, period.end)
    around = _around(uow, run, side, sides)
    first, last = (page - 1) * PAGE_SIZE, page * PAGE_SIZE
    claims: tuple[ClaimLine, ...] = ()
    moves: tuple[AllocationLine, ...] = ()
    paid: tuple[PaymentLine, ...] = ()
    if figure in ("offset", "cash"):
        chosen = [a for a in around.allocated if a[2] == figure]
        shares = [a[1] for a in chosen]
        shown = chosen[first:last]
        lines = _Lines(uow, run, around, {x for a in shown for x in (a[0], a[3])})
        offsets, payments = _run_transactions(uow, run)
        moves = tuple(
            AllocationLine(
                lines.claim(claim),
                lines.money(amount),
                method,
                against,
                lines.delivery(against),
                offsets.get(frozenset((claim, against)))
                if method == "offset"
                else payments.get(against),
            )
            for claim, amount, method, against in shown
        )
    elif figure == "overpaid":
        applied: dict[str, int] = defaultdict(int)
        for _, amount, method, against in around.allocated:
            if method == "cash":
                applied[against] += amount
        found = _payments(uow, period.start, period.end, run.currency, sides, side)
        shares = [max(p.amount - applied[p.id], 0) for p in found]
        lines = _Lines(uow, run, around, ())
        _, payments = _run_transactions(uow, run)
        paid = tuple(
            PaymentLine(
                p.id,
                p.date,
                p.payer,
                p.payee,
                lines.money(p.amount),
                lines.money(applied[p.id]),
                lines.money(excess),
                p.reference,
                payments.get(p.id),
            )
            for p, excess in list(zip(found, shares, strict=True))[first:last]
        )
    else:
        wanted = _claims_of(figure, claim_type, around, period.contains)
        shares = [share for _, share in wanted]
        shown_ids = [cid for cid, _ in wanted[first:last]]
        lines = _Lines(uow, run, around, shown_ids)
        claims = tuple(lines.claim(cid) for cid in shown_ids)
    pages = max(1, -(-len(shares) // PAGE_SIZE))
    if page > pages:
        raise NotFoundError(f"figure {figure!r} of run {run_id} has {pages} page(s), not {page}")
    return FigureView(
        statement=statement,
        direction=side,
        figure=figure,
        claim_type=claim_type if figure == "invoiced" else None,
        claims=claims,
        allocations=moves,
        payments=paid,
        count=len(shares),
        total=lines.money(sum(shares)),
        page=page,
        pages=pages,
    )


def _claims_of(
    figure: str, claim_type: str | None, around: _Around, in_period: Callable[[date], bool]
) -> list[tuple[str, int]]:
    """The claims that make a figure of claims, each with its share of it (minor units):
    invoiced (issued in the period, of `claim_type` if given), outstanding before the
    run, or carried after it."""
    if figure == "invoiced":
        return [
            (cid, c.amount)
            for cid, (c, _) in around.claims.items()
            if in_period(c.issued) and claim_type in (None, c.type.value)
        ]
    return [
        (cid, p.before if figure == "outstanding" else p.after)
        for cid, p in around.held.items()
        if (p.before if figure == "outstanding" else p.after)
    ]


def _allocations(uow: UnitOfWork, run_id: str) -> list[tuple[str, int, str, str]]:
    """Run `run_id`'s allocations (claim, amount, method, against), in the order made."""
    a = allocations.c
    rows = uow.connection.execute(
        select(a.claim_id, a.amount, a.method, a.against).where(a.run_id == run_id).order_by(a.idx)
    )
    return [(str(c), int(n), str(m), str(x)) for c, n, m, x in rows]


def _payments(
    uow: UnitOfWork,
    first: date,
    last: date,
    currency: str,
    sides: Mapping[str, str],
    side: Direction,
) -> list[Payment]:
    """The period's payments in `currency` from the direction's debtor to its creditor."""
    return [
        p
        for p in uow.financing.payments_in(first, last)
        if p.currency == currency
        and sides.get(p.payer, p.payer) == side.debtor
        and sides.get(p.payee, p.payee) == side.creditor
    ]
