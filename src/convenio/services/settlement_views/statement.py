"""A run's statement as its page, its printable form and its file show it: the
statement as the run stored it, with the terms version in force, the sign-offs, the log
entry and the checkpoint that covers it; and reopening a run from its page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from convenio.auth import Action, Principal
from convenio.errors import AccessError, AuthenticationError, ConflictError, Problem
from convenio.log import b64
from convenio.log.records import RUN
from convenio.periods import parse_period
from convenio.services.financing import current_agreement
from convenio.services.log import latest_checkpoint
from convenio.services.settlement import (
    RunOutcome,
    find_run,
    may_settle,
    reads_run,
    run_settlement,
)
from convenio.services.settlement_views.runs import may_reopen, may_sign
from convenio.services.signoffs import Signoff, awaiting, signers_of, signoffs_of_runs
from convenio.services.signoffs import statement_digest as digest_of
from convenio.store import UnitOfWork
from convenio.store.financing_repo import ACTIVE, RunRow

__all__ = [
    "CoveringCheckpoint",
    "Direction",
    "StatementView",
    "find_run",
    "reopen",
    "statement_view",
]


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
    """Whether the reader drills down and sees the run's ledger transactions."""
    may_sign: bool
    may_reopen: bool

    @property
    def settled(self) -> bool:
        return self.run.status == ACTIVE


def _require_reader(who: Principal, run: RunRow) -> bool:
    """Whether `who` reads `run` in detail (`services.settlement.reads_run`); refused a
    run it does not read at all: `AuthenticationError` for the public, `AccessError` else."""
    if reads_run(who, run, detail=True):
        return True
    if reads_run(who, run):
        return False
    why = f"run {run.id} was reopened: only readers of its ledger read it"
    if who.anonymous:
        raise AuthenticationError(f"sign in: {why}")
    raise AccessError(f"{who.name} may not read it: {why}", [Problem("reopened", field="run")])


def _directions(statement: Mapping[str, object]) -> tuple[Direction, ...]:
    listed = statement["directions"]
    assert isinstance(listed, list)
    return tuple(
        Direction(
            index=i,
            creditor=d["creditor"],
            debtor=d["debtor"],
            invoiced=tuple((kind, Decimal(v)) for kind, v in d["invoiced"].items()),
            invoiced_total=Decimal(d["invoiced_total"]),
            outstanding_before=Decimal(d["outstanding_before"]),
            offset=Decimal(d["offset"]),
            cash_paid=Decimal(d["cash_paid"]),
            carried_forward=Decimal(d["carried_forward"]),
            overpaid=Decimal(d.get("overpaid", "0")),
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
    checkpoint, as `who` may read it (`services.settlement.reads_run`): a reader of the
    run's ledger in detail; anyone else a settled run's statement and sign-offs only."""
    run = find_run(uow, run_id)
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
        net_amount=Decimal(net["amount"]),
        signers=signers_of(run),
        signoffs=done,
        awaiting=left,
        digest=digest_of(run),
        entry=entry,
        checkpoint=_covering(uow, entry),
        replaced_by=siblings.get(run.generation + 1),
        replaces=siblings.get(run.generation - 1),
        detail=detail,
        may_sign=may_sign(who, run, left),
        may_reopen=may_reopen(who, run),
    )


def reopen(uow: UnitOfWork, run_id: str, who: Principal) -> RunOutcome:
    """Reopen the period of settled run `run_id` and settle it again, as ``POST
    /api/v1/settlements/{period}?reopen=true`` does (`services.settlement.run_settlement`:
    every pair of the period that `who` settles); the run that replaced `run_id`.
    `ConflictError` if `run_id` was reopened already."""
    run = find_run(uow, run_id)
    who.require(Action.SETTLE)
    if not may_settle(who, run.party_a, run.party_b):
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
