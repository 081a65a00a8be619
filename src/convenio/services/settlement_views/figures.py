"""What makes a figure of a statement, for a reader of the run's ledger: for each figure
of a direction, the claims, allocations or payments it sums, each with the delivery and
the ledger transactions behind it.

The run's allocations are read from its log entry (`services.provenance.run_allocations`)
and the transaction that recorded each claim as `services.provenance` names it
(`recording_transactions`). Each claim's position around the run is recomputed from them
(`convenio.settlement.drilldown.positions`): before the run, what earlier periods' runs
in force left of it; after, that less the run's own allocations.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Final

from sqlalchemy import select

from convenio.auth import Principal
from convenio.errors import AccessError, IntegrityError, NotFoundError, Problem
from convenio.financing.claims import Claim, ClaimType, Payment
from convenio.periods import parse_period
from convenio.services.financing import current_agreement, settlement_sides
from convenio.services.provenance import recording_transactions, run_allocations
from convenio.services.settlement_views.statement import Direction, StatementView, statement_view
from convenio.settlement.drilldown import Position, positions
from convenio.store import UnitOfWork
from convenio.store.financing_repo import RunRow
from convenio.store.tables import transactions

__all__ = [
    "FIGURES",
    "PAGE_SIZE",
    "AllocationLine",
    "ClaimLine",
    "FigureView",
    "PaymentLine",
    "figure_view",
]

FIGURES: Final = ("invoiced", "outstanding", "offset", "cash", "carried", "overpaid")
"""The figures of a direction that drill down, in the statement's order."""
PAGE_SIZE: Final = 200
"""Lines of a figure shown at a time."""


@dataclass(frozen=True)
class ClaimLine:
    """A claim of the direction, its position around the run (exact amounts), and what
    is behind it: the delivery (None for late interest, whose `source` names the
    short-term claim charged) and the ledger transaction that recorded it."""

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


def _allocations(
    uow: UnitOfWork, run_id: str, entry: int | None
) -> list[tuple[str, int, str, str]]:
    """Run `run_id`'s allocations (claim, amount, method, against), in the order made,
    from its log entry (at `entry`) as the store recomputes it."""
    span = None if entry is None else uow.log.span_at(entry)
    recomputed = [] if span is None else uow.log.entries(span)
    if len(recomputed) != 1:
        raise IntegrityError(f"run {run_id} has no entry in the transparency log")
    return run_allocations(recomputed[0], run_id)


def _around(
    uow: UnitOfWork, view: StatementView, side: Direction, sides: Mapping[str, str]
) -> _Around:
    """The claims of `side` the run saw, as `services.settlement` reads them: issued by
    the period's end, in the run's currency, outstanding after the runs in force of
    earlier periods or issued in the period (late interest of the period's own months is
    charged after the run, so it is not the run's)."""
    run = view.run
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
    allocated = [a for a in _allocations(uow, run.id, view.entry) if a[0] in claims]
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


def _delivery_of(transaction: str | None) -> str | None:
    """The delivery whose value transaction ``dlv:<delivery>:value`` recorded a claim
    (`services.provenance`); None for another transaction (late interest's)."""
    if transaction is None or not transaction.startswith("dlv:"):
        return None
    return transaction.removeprefix("dlv:").removesuffix(":value")


class _Lines:
    """Builds the lines of one page of a figure, in exact amounts."""

    def __init__(self, uow: UnitOfWork, run: RunRow, around: _Around, ids: Collection[str]):
        """`ids`: the claims the page shows, whose recording transactions it names."""
        self.around = around
        self.scale = uow.ledger.units()[run.currency].scale
        self.recorded = recording_transactions(uow, set(ids))

    def money(self, minor: int) -> Decimal:
        return Decimal(minor).scaleb(-self.scale)

    def delivery(self, claim_id: str) -> str | None:
        return _delivery_of(self.recorded.get(claim_id))

    def claim(self, claim_id: str) -> ClaimLine:
        c, before = self.around.claims[claim_id]
        p, money = self.around.held[claim_id], self.money
        return ClaimLine(
            c.id, c.type.value, c.issued, c.due, money(c.amount), money(before),
            money(p.offset), money(p.cash), money(p.after), c.source,
            self.delivery(claim_id), self.recorded.get(claim_id),
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
    around = _around(uow, statement, side, sides)
    first, last = (page - 1) * PAGE_SIZE, page * PAGE_SIZE
    claims: tuple[ClaimLine, ...] = ()
    moves: tuple[AllocationLine, ...] = ()
    paid: tuple[PaymentLine, ...] = ()
    if figure in ("offset", "cash"):
        chosen = [a for a in around.allocated if a[2] == figure]
        shares = [a[1] for a in chosen]
        shown = chosen[first:last]
        named = {a[0] for a in shown} | {a[3] for a in shown if a[2] == "offset"}
        lines = _Lines(uow, run, around, named)
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
