"""Sign-offs of settlement statements: each party's commission approves a run's statement.

The server holds no private key, so a sign-off here is an authenticated commission user's
approval, recorded tamper-evidently: a row of `statement_signoffs` and, in the same unit of
work, an entry of kind ``signoff`` in the transparency log (which `ledger verify`
recomputes from the row). Its digest is the SHA-256 of the statement's bytes exactly as
the run's log entry holds them (`convenio.log.records.statement_bytes`). A party's
cryptographic signature of a statement stays the bundle of ``convenio checkpoint
statement``.

The two signers of a run are the states of its two parties (``VEN.PDVSA`` signs as
``VEN``); a run reopened is signed no more — its replacement is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from convenio.auth import OPERATOR, Action, Principal, Role
from convenio.errors import (
    AccessError,
    AuthenticationError,
    ConflictError,
    Problem,
)
from convenio.log.records import statement_bytes
from convenio.services.settlement import find_run, reads_run
from convenio.store import UnitOfWork
from convenio.store.financing_repo import ACTIVE, RunRow, SignoffRow
from convenio.store.ledger_repo import from_micros, to_micros
from convenio.terms import state_of

__all__ = [
    "RunSignoffs",
    "Signoff",
    "awaiting",
    "run_signoffs",
    "sign_off",
    "signers_of",
    "signoffs",
    "signoffs_of_runs",
    "statement_digest",
]


@dataclass(frozen=True)
class Signoff:
    """A party's commission signed off a run's statement."""

    run_id: str
    party: str
    """The signing commission's party, a state: ``VEN``, ``CUB``."""
    login: str
    """Who signed."""
    signed_at: str
    """ISO 8601, UTC, to the microsecond: ``2026-12-06T17:30:00.123456+00:00``."""
    statement_digest: str
    """SHA-256 (hex) of the run's statement bytes as its log entry holds them."""


def signers_of(run: RunRow) -> tuple[str, str]:
    """The two states that sign `run`: the top party of its `party_a` and its `party_b`,
    in that order (``VEN.PDVSA`` → ``VEN``)."""
    return state_of(run.party_a), state_of(run.party_b)


def statement_digest(run: RunRow) -> str:
    """SHA-256 (hex) of `run`'s statement as its log entry holds it."""
    return hashlib.sha256(statement_bytes(run.statement)).hexdigest()


def awaiting(run: RunRow, done: Sequence[Signoff]) -> list[str]:
    """The signers of `run` that have not signed it yet (of `done`), in signing order;
    none for a reopened run, which is signed no more (its replacement is)."""
    if run.status != ACTIVE:
        return []
    signed = {s.party for s in done if s.run_id == run.id}
    return [party for party in dict.fromkeys(signers_of(run)) if party not in signed]


def _signoff(row: SignoffRow) -> Signoff:
    return Signoff(
        row.run_id,
        row.party,
        row.login,
        from_micros(row.signed_at).isoformat(timespec="microseconds"),
        row.digest,
    )


def signoffs(uow: UnitOfWork, run_id: str) -> list[Signoff]:
    """The sign-offs of run `run_id`, oldest first; `NotFoundError` if there is no run."""
    find_run(uow, run_id)
    return [_signoff(r) for r in uow.financing.signoffs([run_id])]


def signoffs_of_runs(uow: UnitOfWork, run_ids: Sequence[str]) -> dict[str, list[Signoff]]:
    """The sign-offs of each of `run_ids` (oldest first; an empty list for a run none
    signed, or an id that names no run)."""
    found: dict[str, list[Signoff]] = {run_id: [] for run_id in run_ids}
    for row in uow.financing.signoffs(run_ids):
        found[row.run_id].append(_signoff(row))
    return found


@dataclass(frozen=True)
class RunSignoffs:
    """A run's sign-offs (oldest first), its signers and those it awaits."""

    run: RunRow
    signers: tuple[str, str]
    signoffs: list[Signoff]
    awaiting: list[str]


def run_signoffs(uow: UnitOfWork, run_id: str, actor: Principal = OPERATOR) -> RunSignoffs:
    """Who signed run `run_id` and whom it awaits, to whoever reads the run
    (`services.settlement.reads_run`): a settled run's are public, as its statement is;
    a reopened run's are read by the readers of the ledger who read its pair (a
    commission, the auditor, a treasury of one of its parties)."""
    run = find_run(uow, run_id)
    if not reads_run(actor, run):
        why = f"run {run_id} was reopened: its sign-offs are not published"
        if actor.anonymous:
            raise AuthenticationError(f"sign in: {why}")
        raise AccessError(
            f"{actor.name} may not read them: {why}", [Problem("reopened", field="run_id")]
        )
    done = [_signoff(r) for r in uow.financing.signoffs([run_id])]
    return RunSignoffs(run, signers_of(run), done, awaiting(run, done))


def sign_off(uow: UnitOfWork, run_id: str, who: Principal) -> Signoff:
    """`who`, a commission user of one of the run's signing parties, signs off the
    statement of settled run `run_id`; commits.

    `AccessError` for anyone else (the operator included: a sign-off names a commission
    user), `NotFoundError` for no run, `ConflictError` for a run reopened or one the
    party already signed."""
    who.require(Action.SETTLE)
    if who.operator or who.role is not Role.COMMISSION or who.login is None:
        raise AccessError(
            f"{who.name} may not sign off a statement: a sign-off needs a commission user",
            [Problem("not a commission", field="role")],
        )
    uow.lock()
    # Queue behind the other writers before reading (PostgreSQL): a sign-off or reopening
    # of this run committed meanwhile is then seen, not met as a duplicate row.
    uow.log.lock()
    run = find_run(uow, run_id)
    signers = signers_of(run)
    if who.party not in signers:
        raise AccessError(
            f"{who.name} ({who.party} commission) may not sign off run {run_id}: its "
            f"signers are {' and '.join(dict.fromkeys(signers))}",
            [Problem("not a signing party", field="party")],
        )
    if run.status != ACTIVE:
        raise ConflictError(
            f"run {run_id} was reopened: sign the run that replaced it",
            [Problem("reopened", field="run_id")],
        )
    party = who.party
    if any(s.party == party for s in uow.financing.signoffs([run_id])):
        raise ConflictError(
            f"{party} already signed off run {run_id}",
            [Problem("already signed", field="party")],
        )
    row = SignoffRow(run_id, party, who.login, to_micros(datetime.now(UTC)), statement_digest(run))
    uow.financing.add_signoff(row)
    uow.commit()
    return _signoff(row)
