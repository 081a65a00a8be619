"""Settlement: runs of a period (settle, reopen), many periods as a job, the runs stored,
their statements' sign-offs, and a party's statement.

The answers are the CLI's JSON: a run as ``convenio settle PERIOD --json`` prints it, a
statement as ``convenio statement --party P --as-of D --json`` does, amounts as decimal
strings. A commission settles the pairs that include its party; the public reads a
statement only where it is a settled one (the last day of a period settled for the party).
A sign-off is a commission user's approval of a run's statement (`services.signoffs`): the
commission of each of the run's two states signs once; a settled run's sign-offs are
public, as its statement is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field, RootModel
from starlette.responses import Response

from convenio.api.deps import CanReadLedger, CanSettle, CurrentPrincipal, JobsDep, Reader
from convenio.api.jobs import JobAnswer
from convenio.api.problems import PROBLEMS
from convenio.api.schemas import Decimal
from convenio.api.writes import WriteDep
from convenio.files import Tell
from convenio.services import settlement as svc
from convenio.services import signoffs as signing
from convenio.services.settlement import RunOutcome
from convenio.store import UnitOfWork
from convenio.store.financing_repo import RunRow

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["settlement"], responses=PROBLEMS)

PERIOD_HELP = "A period: 2024Q1, 2024-03, 2024H1 or 2024"


class DirectionRead(BaseModel):
    """One direction of a run: what `creditor` invoiced `debtor` and how it was paid."""

    creditor: str
    debtor: str
    invoiced: dict[str, Decimal] = Field(description="Invoiced in the period, by claim type")
    invoiced_total: Decimal
    outstanding_before: Decimal
    offset: Decimal
    cash_paid: Decimal
    carried_forward: Decimal
    overpaid: Decimal


class NetRead(BaseModel):
    """The net position before cash: `debtor` owes `creditor` `amount` (both None when
    the two sides are equal)."""

    debtor: str | None = None
    creditor: str | None = None
    amount: Decimal = "0"


class RunStatement(BaseModel):
    """The statement of a run, in its cash currency."""

    period: str
    start: date
    end: date
    currency: str
    parties: list[str]
    directions: list[DirectionRead]
    net: NetRead = Field(default_factory=NetRead)


class RunRead(BaseModel):
    """A run as ``convenio settle --json`` prints it: its id, whether this call created
    it, the run it reversed (a reopening) and its statement."""

    run: str
    created: bool
    reversed: str | None
    statement: RunStatement


class RunsRead(BaseModel):
    runs: list[RunRead]


class RunList(RootModel[list[RunRead]]):
    """The runs of a period, as a JSON list."""


class StoredRun(BaseModel):
    """A settlement run as stored: its pair, generation (1, then 2… after reopenings),
    statement and the ledger transactions it posted."""

    id: str
    period: str
    party_a: str
    party_b: str
    currency: str
    generation: int
    status: str
    statement: RunStatement
    transactions: list[str]


class StoredRuns(BaseModel):
    runs: list[StoredRun]


def _runs(outcomes: Sequence[RunOutcome]) -> RunsRead:
    return RunsRead(
        runs=[
            RunRead(
                run=o.run.id,
                created=o.created,
                reversed=o.reversed_run,
                statement=RunStatement.model_validate(o.run.statement),
            )
            for o in outcomes
        ]
    )


def _stored(run: RunRow) -> StoredRun:
    return StoredRun.model_validate(run._asdict())


def _said(outcomes: Sequence[RunOutcome]) -> str:
    made = [o.run.id for o in outcomes if o.created]
    return f"settled: {', '.join(made) or 'nothing new'}"


@router.post(
    "/settlements/{period}",
    status_code=201,
    response_model=RunList,
    response_description="The runs of the period, as `convenio settle PERIOD --json`",
)
def settle(
    who: CanSettle,
    write: WriteDep,
    period: Annotated[str, Path(min_length=1, max_length=40, description=PERIOD_HELP)],
    reopen: Annotated[
        bool, Query(description="Reverse the period's earlier runs and settle again")
    ] = False,
) -> Response:
    """Run the compensation of a period for every pair of parties that includes the
    commission's party: offsets in kind, cash applied, the rest carried. A pair already
    settled keeps its run (``created: false``) unless `reopen`."""

    def work(uow: UnitOfWork) -> list[RunOutcome]:
        return svc.run_settlement(uow, period, reopen, actor=who)

    return write.run(who, work, lambda o: RunList(_runs(o).runs), _said)


@router.post(
    "/settlements",
    status_code=202,
    response_model=JobAnswer,
    response_description='The job; when done its result is `{"runs": [...]}`',
)
def settle_many(
    who: CanSettle,
    write: WriteDep,
    jobs: JobsDep,
    through: Annotated[str, Query(min_length=1, max_length=40, description=PERIOD_HELP)],
    first: Annotated[
        str | None,
        Query(
            alias="from",
            min_length=1,
            max_length=40,
            description="The first period (default: the one after the last settled)",
        ),
    ] = None,
) -> Response:
    """Settle every period from `from` to `through` in order, as a job (202): poll
    ``GET /api/v1/jobs/{id}``; its result lists the runs as ``POST
    /api/v1/settlements/{period}`` answers them. All or nothing."""

    def work(uow: UnitOfWork, tell: Tell) -> RunsRead:
        return _runs(svc.settle_periods(uow, through, first, actor=who, tell=tell))

    return write.submit(who, jobs, "settle", work)


@router.get("/settlements", response_model=StoredRuns)
def runs(
    uow: Reader,
    who: CanReadLedger,
    period: Annotated[
        str | None, Query(min_length=1, max_length=40, description=PERIOD_HELP)
    ] = None,
) -> StoredRuns:
    """The active settlement runs (of one period, or all), by period end. A treasury
    reads the runs of its party's pairs."""
    return StoredRuns(runs=[_stored(r) for r in svc.settlement_runs(uow, period, actor=who)])


class ClaimLine(BaseModel):
    direction: str = Field(description="receivable or payable")
    counterparty: str
    type: str
    age: str = Field(description="current, 1-30, 31-90 or over 90 days past due")
    currency: str
    outstanding: Decimal


class PrincipalLine(BaseModel):
    direction: str
    counterparty: str
    currency: str
    outstanding: Decimal


class InterestLine(BaseModel):
    direction: str
    counterparty: str
    currency: str
    amount: Decimal


class PartyStatement(BaseModel):
    """What a party is owed (receivable) and owes (payable) on a date, as ``convenio
    statement --json`` prints it."""

    party: str
    as_of: date
    settled_by: str | None
    parties_with_claims: list[str]
    claims: list[ClaimLine]
    tranche_principal: list[PrincipalLine]
    accrued_interest_not_due: list[InterestLine]


@router.get("/statements/{party}", response_model=PartyStatement)
def statement(
    uow: Reader,
    who: CurrentPrincipal,
    party: Annotated[str, Path(min_length=1, max_length=50, description="The party: XBO")],
    as_of: Annotated[date, Query(description="Date (ISO)")],
) -> PartyStatement:
    """A party's claims by type and age, its tranches' principal outstanding and the
    interest accrued but not due. A commission and the auditor read every party's, a
    treasury its own; anyone, the public included, reads a settled statement (`as_of` the
    last day of a period settled for the party)."""
    return PartyStatement.model_validate(svc.party_statement(uow, party, as_of, actor=who))


class SignoffLine(BaseModel):
    """A party's commission signed off the run's statement."""

    party: str = Field(description="The signing commission's party (a state): VEN")
    login: str = Field(description="Who signed")
    signed_at: str = Field(description="When, ISO 8601 UTC to the microsecond")
    statement_digest: str = Field(
        description="SHA-256 (hex) of the run's statement as its log entry holds it"
    )


class SignoffRead(SignoffLine):
    """A sign-off, with the run it signs."""

    run: str


class RunSignoffsRead(BaseModel):
    """Who signed a run's statement, and whom it awaits (none once a run is reopened)."""

    run: str
    signers: list[str] = Field(description="The run's two signing states, in its order")
    signoffs: list[SignoffLine] = Field(description="Oldest first")
    awaiting: list[str]


def _line(s: signing.Signoff) -> SignoffLine:
    return SignoffLine(
        party=s.party, login=s.login, signed_at=s.signed_at, statement_digest=s.statement_digest
    )


RUN_ID_HELP = "A settlement run's id: 2024Q1:XAT:XBO:1"


@router.get("/settlements/runs/{run_id}/signoffs", response_model=RunSignoffsRead)
def signoffs(
    uow: Reader,
    who: CurrentPrincipal,
    run_id: Annotated[str, Path(min_length=1, max_length=200, description=RUN_ID_HELP)],
) -> RunSignoffsRead:
    """Who signed off the run's statement and whom it awaits. Anyone, the public included,
    reads a settled run's, as its statement is; a reopened run's only a treasury of its
    pair, a commission and the auditor."""
    found = signing.run_signoffs(uow, run_id, actor=who)
    return RunSignoffsRead(
        run=found.run.id,
        signers=list(found.signers),
        signoffs=[_line(s) for s in found.signoffs],
        awaiting=found.awaiting,
    )


@router.post(
    "/settlements/runs/{run_id}/signoffs",
    status_code=201,
    response_model=SignoffRead,
    response_description="The sign-off",
)
def sign_off(
    who: CanSettle,
    write: WriteDep,
    run_id: Annotated[str, Path(min_length=1, max_length=200, description=RUN_ID_HELP)],
) -> Response:
    """Sign off the run's statement as the commission of one of its two states (no body):
    recorded with the SHA-256 of the statement and logged. A party signs a run once
    (409 the second time); a reopened run is not signed (409: sign its replacement)."""

    def work(uow: UnitOfWork) -> signing.Signoff:
        return signing.sign_off(uow, run_id, who)

    return write.run(
        who,
        work,
        lambda s: SignoffRead(run=s.run_id, **_line(s).model_dump()),
        lambda s: f"signed off run {s.run_id} for {s.party}",
    )
