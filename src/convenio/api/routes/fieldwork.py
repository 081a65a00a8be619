"""Mission field work: cooperants and deployments, cases and their personal data,
pathway indicators and analytics (included in `convenio.api.routes.missions`).

Deployments and cases are written by coordinators, each only in its subtree (the
services check the rows); cooperants by coordinators and the admin. Analytics and
pathway indicators answer everyone: those who may read mission data get the figures (a
coordinator its subtree's), everybody else the public answer with small counts
suppressed. Personal data is accepted (sealed with ``CONVENIO_SECRET_KEY``) and never
returned.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from convenio.api.deps import (
    CanReadMissions,
    CanReadPublic,
    CanSettle,
    CanWriteMissions,
    CurrentPrincipal,
    Reader,
    SettingsDep,
    allowed,
)
from convenio.api.tables import as_table
from convenio.api.writes import WriteDep
from convenio.auth import Action, Principal
from convenio.missions.cases import EVENT_COLUMNS, PERSON_COLUMNS
from convenio.missions.deployments import (
    COOPERANT_COLUMNS,
    DEPLOYMENT_COLUMNS,
    PERSON_MONTH_SCALE,
)
from convenio.services import analytics, cases, deployments
from convenio.services.cases import CasesResult
from convenio.services.deployments import RegistryResult
from convenio.store import UnitOfWork
from convenio.units import format_minor

__all__ = ["router"]

router = APIRouter(tags=["missions"])
"""Prefixed and documented by the missions router that includes it."""

Id = Annotated[str, Field(min_length=1, max_length=50)]


def _registry_writer(who: CurrentPrincipal) -> Principal:
    """Cooperants are registered by coordinators and by the admin."""
    if who.may(Action.WRITE_CATALOG):
        return who
    return allowed(Action.WRITE_MISSIONS)(who)


CanRegister = Annotated[Principal, Depends(_registry_writer)]

# -- cooperants and deployments -----------------------------------------------------------


class CooperantIn(BaseModel):
    id: Id
    profession: Id
    party: Id


class DeploymentIn(BaseModel):
    """A cooperant at a site from `start` to `end` (both included; none: still there)."""

    id: Id
    cooperant_id: Id
    org_unit: Id
    start: date
    end: date | None = None
    mission: str | None = Field(None, max_length=50)


class RegistryAnswer(BaseModel):
    """Rows added, changed, unchanged; `stale`: converted months that now differ."""

    added: int
    changed: int
    unchanged: int
    stale: list[str]


def _registry(r: RegistryResult) -> RegistryAnswer:
    return RegistryAnswer(
        added=r.added, changed=r.changed, unchanged=r.unchanged, stale=list(r.stale)
    )


def _said(what: str) -> Callable[[RegistryResult], str]:
    return lambda r: f"{what}: {r.added} added, {r.changed} changed"


@router.post("/cooperants", status_code=201, response_model=RegistryAnswer)
def post_cooperants(rows: list[CooperantIn], who: CanRegister, write: WriteDep) -> Response:
    """Register cooperants (id, profession, home party); all or nothing, idempotent."""

    def work(uow: UnitOfWork) -> RegistryResult:
        with as_table(rows, COOPERANT_COLUMNS) as path:
            return deployments.load_cooperants(uow, path, actor=who)

    return write.run(who, work, _registry, _said("cooperants"))


@router.post("/deployments", status_code=201, response_model=RegistryAnswer)
def post_deployments(rows: list[DeploymentIn], who: CanWriteMissions, write: WriteDep) -> Response:
    """Record deployments (all or nothing); a coordinator deploys to its subtree only."""

    def work(uow: UnitOfWork) -> RegistryResult:
        with as_table(rows, (*DEPLOYMENT_COLUMNS, "mission")) as path:
            return deployments.load_deployments(uow, path, actor=who)

    return write.run(who, work, _registry, _said("deployments"))


class PersonMonthsRead(BaseModel):
    profession: str
    org_unit: str
    month: str
    quantity: str = Field(description="Person-months, a decimal string (`1.50`)")


class PersonMonthsAnswer(BaseModel):
    person_months: list[PersonMonthsRead]


@router.get("/deployments/person-months", response_model=PersonMonthsAnswer)
def person_months(
    uow: Reader,
    who: CanReadMissions,
    period: Annotated[str, Query(max_length=30, description="2011-10, 2011Q4, 2011")],
) -> PersonMonthsAnswer:
    """Person-months per profession, site and month of a period (a coordinator's sites)."""
    found = deployments.period_person_months(uow, period, actor=who)
    return PersonMonthsAnswer(
        person_months=[
            PersonMonthsRead(
                profession=f.profession, org_unit=f.org_unit, month=f.month.iso(),
                quantity=format_minor(f.quantity, PERSON_MONTH_SCALE),
            )
            for f in found
        ]
    )  # fmt: skip


# -- cases --------------------------------------------------------------------------------


class CaseEventIn(BaseModel):
    case_id: Id
    pathway: Id
    org_unit: Id
    stage: Id
    date: date


class PersonIn(BaseModel):
    """Personal data of a case: sealed at rest, never returned by any route."""

    case_id: Id
    name: str = Field(min_length=1, max_length=200)
    national_id: str = Field(min_length=1, max_length=50)
    birth_date: date


class CaseIds(BaseModel):
    """What the audit trail digests of a request carrying personal data."""

    case_ids: list[str]


class CasesAnswer(BaseModel):
    cases_added: int
    events_added: int
    events_unchanged: int
    people_added: int
    people_changed: int
    people_unchanged: int


def _cases(r: CasesResult) -> CasesAnswer:
    return CasesAnswer(
        cases_added=r.cases_added, events_added=r.events_added,
        events_unchanged=r.events_unchanged, people_added=r.people_added,
        people_changed=r.people_changed, people_unchanged=r.people_unchanged,
    )  # fmt: skip


def _said_cases(r: CasesResult) -> str:
    return f"cases: {r.cases_added} added; events {r.events_added}; people {r.people_added}"


class ServicesDelivery(BaseModel):
    delivery_id: str
    date: date
    supplier: str
    recipient: str
    item: str
    quantity: str
    unit: str


class ConversionAnswer(BaseModel):
    """The months of the period converted now and those converted before (unchanged),
    the services deliveries recorded now, and settled periods they fall in."""

    period: str
    converted: list[str]
    unchanged: list[str]
    deliveries: list[ServicesDelivery]
    settled: list[str]


@router.post(
    "/services/from-deployments/{period}", status_code=201, response_model=ConversionAnswer
)
def services_from_deployments(
    period: Annotated[str, Path(max_length=30, description="2011-10, 2011Q4, 2011")],
    who: CanSettle,
    write: WriteDep,
) -> Response:
    """Turn the person-months of a period into services deliveries (one per profession
    and month), valued by the rate card in force and posted to the ledger — a step of
    the periodic compensation, as `convenio services from-deployments` is. Again:
    nothing changes; changed deployments of a converted month: 409."""
    return write.run(
        who,
        lambda uow: deployments.convert_period(uow, period),
        lambda r: ConversionAnswer.model_validate(r.as_json()),
        lambda r: f"services {r.period}: {len(r.deliveries)} deliveries",
    )


@router.post("/cases", status_code=201, response_model=CasesAnswer)
def post_cases(events: list[CaseEventIn], who: CanWriteMissions, write: WriteDep) -> Response:
    """Record pathway events (all or nothing, idempotent); cases are pseudonymised. A
    coordinator records cases at sites of its subtree."""

    def work(uow: UnitOfWork) -> CasesResult:
        with as_table(events, EVENT_COLUMNS) as path:
            return cases.load_cases(uow, path, actor=who)

    return write.run(who, work, _cases, _said_cases)


@router.post("/cases/people", status_code=201, response_model=CasesAnswer)
def post_people(
    people: list[PersonIn], who: CanWriteMissions, write: WriteDep, settings: SettingsDep
) -> Response:
    """Seal the personal data of stored cases with ``CONVENIO_SECRET_KEY`` (refused
    without one); it is never returned. The audit trail digests the case ids alone: a
    digest of names and national ids would let its readers test guesses."""
    secret = settings.secret_key.get_secret_value()
    write.keep_secret(CaseIds(case_ids=[p.case_id for p in people]))

    def work(uow: UnitOfWork) -> CasesResult:
        with as_table([], EVENT_COLUMNS) as none, as_table(people, PERSON_COLUMNS) as path:
            return cases.load_cases(uow, none, path, secret, actor=who)

    return write.run(who, work, _cases, _said_cases)


class PathwayAnswer(BaseModel):
    """Counts, rate (%) and median days; None where suppressed in public answers."""

    pathway: str
    org_unit: str | None
    public: bool
    started: int | None
    completed: int | None
    completion_rate: str | None
    median_days: str | None
    timed: int | None
    stopped_at: dict[str, int | None]


@router.get("/indicators/pathways", response_model=PathwayAnswer)
def pathways(
    uow: Reader,
    who: CanReadPublic,
    pathway: Annotated[str, Query(max_length=50, description="eye-surgery or literacy")],
    ou: Annotated[str | None, Query(max_length=50, description="This org unit and below")] = None,
) -> PathwayAnswer:
    """A pathway's completion rate, median days and where cases stopped; the public (and
    roles that may not read mission data) get counts under 5 suppressed."""
    found: dict[str, Any] = cases.pathway_indicators(uow, pathway, ou, actor=who)
    return PathwayAnswer(**found)


# -- analytics ----------------------------------------------------------------------------


class AnalyticsRow(BaseModel):
    """One data item × org unit × period; `value` None when suppressed."""

    dx: str
    dx_name: str
    pe: str
    ou: str
    ou_name: str
    value: str | None
    numerator: str | None
    denominator: str | None
    factor: int | None
    target: str | None
    flag: str | None
    suppressed: bool


class AnalyticsAnswer(BaseModel):
    public: bool
    rows: list[AnalyticsRow]


@router.get("/analytics", response_model=AnalyticsAnswer)
def query(
    uow: Reader,
    who: CanReadPublic,
    dx: Annotated[str, Query(max_length=2000, description="Elements, E.COMBO, indicators; ';'")],
    pe: Annotated[str, Query(max_length=2000, description="Periods or period types; ';'")],
    ou: Annotated[str, Query(max_length=2000, description="Org units, LEVEL-n, OU_GROUP-id")] = "",
    mission: Annotated[str | None, Query(max_length=50)] = None,
) -> AnalyticsAnswer:
    """Sums rolled up the hierarchy and into the periods asked, and indicators, as
    `convenio analytics query`. Roles that read mission data get every figure (a
    coordinator its subtree); everybody else the public answer, small counts
    suppressed."""
    public = who.reads_published_only()
    rows = analytics.query(uow, dx, pe, ou, public, mission=mission, actor=who)
    return AnalyticsAnswer(public=public, rows=[AnalyticsRow(**r.as_dict()) for r in rows])
