"""Missions: org units, metadata and data values — the CLI's `orgunits`, `metadata`
and `data` commands over HTTP; cooperants, deployments, cases, pathway indicators and
analytics are in `convenio.api.routes.fieldwork`, included here.

Org units and metadata are public reads and admin writes. Data values are written by
coordinators, each only in its subtree (the service checks the rows: a value at a
clinic elsewhere is 403 naming its pointer, and nothing is written).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from convenio.api.deps import (
    CanReadMissions,
    CanReadPublic,
    CanWriteCatalog,
    CanWriteMissions,
    JobsDep,
    RawBody,
    Reader,
)
from convenio.api.problems import PROBLEMS
from convenio.api.routes import fieldwork
from convenio.api.tables import as_table, as_upload
from convenio.api.writes import WriteDep
from convenio.files import Tell
from convenio.missions import DataValue
from convenio.missions.values import format_time
from convenio.services import bulk_import, catalog, mission_data
from convenio.services import missions as svc
from convenio.services.mission_data import ImportResult
from convenio.store import UnitOfWork

__all__ = [
    "VALUE_FIELDS",
    "DataValueIn",
    "DataValueOut",
    "DataValueSet",
    "ImportAnswer",
    "import_answer",
    "router",
    "value_out",
]

router = APIRouter(prefix="/api/v1", tags=["missions"], responses=PROBLEMS)

Id = Annotated[str, Field(min_length=1, max_length=50)]

# -- org units ----------------------------------------------------------------------------


class OrgUnitRead(BaseModel):
    """An org unit as it is now; `since`: the day its current version took effect."""

    id: str
    name: str
    level: int
    level_name: str | None
    parent: str | None
    code: str | None
    since: date | None
    versions: int


class OrgUnits(BaseModel):
    orgunits: list[OrgUnitRead]


class OrgUnitIn(BaseModel):
    """A row of the org units file."""

    id: Id
    name: str = Field(min_length=1, max_length=200)
    parent_id: str = Field("", max_length=50)
    level: int = Field(ge=1, le=999)
    code: str = Field("", max_length=50)


class OrgUnitsAnswer(BaseModel):
    added: int
    changed: int
    total: int


@router.get("/orgunits", response_model=OrgUnits)
def orgunits(
    uow: Reader,
    who: CanReadPublic,
    level: Annotated[int | None, Query(ge=1, le=999, description="Only this level")] = None,
    parent: Annotated[str | None, Query(max_length=50, description="Only below it")] = None,
) -> OrgUnits:
    """The org units as they are now, in tree order (public)."""
    rows = catalog.org_units(uow, level, parent)
    return OrgUnits(orgunits=[OrgUnitRead(**r._asdict()) for r in rows])


@router.post("/orgunits", status_code=201, response_model=OrgUnitsAnswer)
def load_orgunits(
    rows: list[OrgUnitIn],
    who: CanWriteCatalog,
    write: WriteDep,
    effective: Annotated[date | None, Query(description="Day changes take effect")] = None,
) -> Response:
    """Load org units (all or nothing, idempotent); a known unit that differs gets a new
    version from `effective` (default: today)."""
    day = effective or date.today()

    def work(uow: UnitOfWork) -> svc.OrgUnitsResult:
        with as_table(rows, ("id", "name", "parent_id", "level", "code")) as path:
            return svc.load_org_units(uow, path, day)

    return write.run(
        who,
        work,
        lambda r: OrgUnitsAnswer(added=r.added, changed=r.changed, total=r.total),
        lambda r: f"org units: {r.added} added, {r.changed} changed",
    )


# -- metadata -----------------------------------------------------------------------------


class ElementRead(BaseModel):
    id: str
    name: str
    value_type: str
    category_combo: str
    aggregation: str
    data_set: str | None
    code: str | None


class ComboRead(BaseModel):
    id: str
    name: str
    category_combo: str
    options: list[str]
    option_names: list[str]


class TargetRead(BaseModel):
    org_unit: str
    period: str
    value: str


class IndicatorRead(BaseModel):
    id: str
    name: str
    numerator: str
    denominator: str
    factor: int
    decimals: int
    targets: list[TargetRead]


class DataSetRead(BaseModel):
    id: str
    name: str
    period_type: str
    expiry_days: int
    mission: str | None
    elements: list[str]


class MetadataAnswer(BaseModel):
    """How many objects of each kind the document named; `changed` false: all stored."""

    counts: dict[str, int]
    changed: bool


@router.get("/metadata/elements", response_model=list[ElementRead])
def elements(
    uow: Reader,
    who: CanReadPublic,
    data_set: Annotated[str | None, Query(alias="dataSet", max_length=50)] = None,
) -> list[ElementRead]:
    """The data elements (of one data set), by id (public)."""
    return [ElementRead(**r._asdict()) for r in catalog.elements(uow, data_set)]


@router.get("/metadata/combos", response_model=list[ComboRead])
def combos(
    uow: Reader,
    who: CanReadPublic,
    element: Annotated[str | None, Query(max_length=50)] = None,
) -> list[ComboRead]:
    """The category option combos (those one element takes), the ids values name."""
    return [
        ComboRead(**{**r._asdict(), "options": [*r.options], "option_names": [*r.option_names]})
        for r in catalog.option_combos(uow, element)
    ]


@router.get("/metadata/indicators", response_model=list[IndicatorRead])
def indicators(uow: Reader, who: CanReadPublic) -> list[IndicatorRead]:
    """The indicators, their formulas and targets (public)."""
    return [
        IndicatorRead(
            **{**r._asdict(), "targets": [
                TargetRead(org_unit=t.org_unit, period=t.period, value=str(t.value))
                for t in r.targets
            ]}
        )
        for r in catalog.indicators(uow)
    ]  # fmt: skip


@router.get("/metadata/data-sets", response_model=list[DataSetRead])
def data_sets(uow: Reader, who: CanReadPublic) -> list[DataSetRead]:
    """The data sets: period type, expiry, mission and elements (public)."""
    return [
        DataSetRead(**{**r._asdict(), "elements": list(r.elements)}) for r in catalog.data_sets(uow)
    ]


@router.post(
    "/metadata",
    status_code=201,
    response_model=MetadataAnswer,
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The metadata document (docs/missions.md), YAML or JSON",
            "content": {
                "application/yaml": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "object"}},
            },
        }
    },
)
def load_metadata(body: RawBody, who: CanWriteCatalog, write: WriteDep) -> Response:
    """Add or replace the objects of a metadata document (YAML or JSON), all or
    nothing; objects values already depend on cannot change under them (409)."""

    def work(uow: UnitOfWork) -> svc.MetadataResult:
        with as_upload(body, ".yaml") as path:
            return svc.load_metadata(uow, path)

    return write.run(
        who,
        work,
        lambda r: MetadataAnswer(counts=r.counts, changed=r.changed),
        lambda r: "metadata: " + ", ".join(f"{n} {k}" for k, n in r.counts.items()),
    )


# -- data values --------------------------------------------------------------------------

VALUE_FIELDS = (
    "dataElement", "period", "orgUnit", "categoryOptionCombo", "attributeOptionCombo",
    "value", "storedBy", "created", "lastUpdated", "comment", "followup", "deleted",
)  # fmt: skip
"""DHIS2's names of a data value's fields (its CSV columns, case aside)."""


class DataValueIn(BaseModel):
    """A data value as DHIS2 names its fields (the columns of the values CSV)."""

    dataElement: Id  # noqa: N815 - DHIS2's names
    period: str = Field(min_length=1, max_length=30)
    orgUnit: Id  # noqa: N815
    categoryOptionCombo: str = Field("", max_length=50)  # noqa: N815
    attributeOptionCombo: str = Field("", max_length=50)  # noqa: N815
    value: str = Field("", max_length=50_000)
    storedBy: str = Field("", max_length=100)  # noqa: N815
    created: str = Field("", max_length=40)
    lastUpdated: str = Field("", max_length=40)  # noqa: N815
    comment: str = Field("", max_length=50_000)
    followup: bool = False
    deleted: bool = False


class DataValueOut(BaseModel):
    """A stored data value in DHIS2's JSON (every value a string)."""

    dataElement: str  # noqa: N815
    period: str
    orgUnit: str  # noqa: N815
    categoryOptionCombo: str  # noqa: N815
    attributeOptionCombo: str  # noqa: N815
    value: str
    storedBy: str | None = None  # noqa: N815
    created: str | None = None
    lastUpdated: str | None = None  # noqa: N815
    comment: str | None = None
    followup: bool = False


class DataValueSet(BaseModel):
    """DHIS2's ``dataValueSets`` document."""

    dataValues: list[DataValueOut]  # noqa: N815


def value_out(v: DataValue) -> DataValueOut:
    return DataValueOut(
        dataElement=v.element, period=v.pe, orgUnit=v.org_unit, categoryOptionCombo=v.coc,
        attributeOptionCombo=v.aoc, value=v.value, storedBy=v.stored_by,
        created=None if v.created is None else format_time(v.created),
        lastUpdated=None if v.last_updated is None else format_time(v.last_updated),
        comment=v.comment, followup=v.followup,
    )  # fmt: skip


class ImportAnswer(BaseModel):
    """What an import did (or would do, on a dry run); `settled`: settled periods that
    changed values fall in (their runs take them in when reopened)."""

    added: int
    updated: int
    deleted: int
    unchanged: int
    dry_run: bool
    settled: list[str]


def import_answer(r: ImportResult) -> ImportAnswer:
    return ImportAnswer(
        added=r.added, updated=r.updated, deleted=r.deleted, unchanged=r.unchanged,
        dry_run=r.dry_run, settled=list(r.settled),
    )  # fmt: skip


def _said_values(r: ImportResult) -> str:
    return f"data values: {r.added} added, {r.updated} updated, {r.deleted} deleted"


@router.post("/dataValues", status_code=201, response_model=ImportAnswer)
def post_values(
    values: list[DataValueIn],
    who: CanWriteMissions,
    write: WriteDep,
    dry_run: Annotated[bool, Query(description="Check and count, write nothing")] = False,
) -> Response:
    """Import data values, all or nothing; values identical to the stored change nothing.
    A coordinator writes only at org units of its subtree."""

    def work(uow: UnitOfWork) -> ImportResult:
        with as_table(values, VALUE_FIELDS) as path:
            return mission_data.import_values(uow, path, dry_run, actor=who)

    return write.run(who, work, import_answer, _said_values)


class Reopened(BaseModel):
    """`reopened`: false when the period was reopened already."""

    data_set: str
    period: str
    reopened: bool


@router.post("/dataValues/reopen", status_code=201, response_model=Reopened)
def reopen(
    who: CanWriteCatalog,
    write: WriteDep,
    data_set: Annotated[str, Query(alias="dataSet", max_length=50)],
    period: Annotated[str, Query(max_length=30)],
) -> Response:
    """Let a data set's locked period (past its expiry, or settled) take changes again,
    as `convenio data reopen` does. Administrators only."""
    return write.run(
        who,
        lambda uow: svc.reopen_period(uow, data_set, period),
        lambda added: Reopened(data_set=data_set, period=period, reopened=added),
        lambda added: f"reopened {data_set} {period}" if added else "already reopened",
    )


@router.get("/dataValues", response_model=DataValueSet, response_model_exclude_none=True)
def get_values(
    uow: Reader,
    who: CanReadMissions,
    data_set: Annotated[str | None, Query(alias="dataSet", max_length=50)] = None,
    period: Annotated[str | None, Query(max_length=30)] = None,
    org_unit: Annotated[str | None, Query(alias="orgUnit", max_length=50)] = None,
    children: Annotated[bool, Query(description="The org unit and all below it")] = False,
) -> DataValueSet:
    """The stored values (of a data set, a period, an org unit); a coordinator's subtree
    only."""
    found = mission_data.select_values(uow, data_set, period, org_unit, children, actor=who)
    return DataValueSet(dataValues=[value_out(v) for v in found])


@router.post(
    "/dataValues/bulk",
    status_code=202,
    response_model=None,
    responses={202: {"description": "The job: poll its `location`"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "A DHIS2 values CSV or a Parquet file of numeric values",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/vnd.apache.parquet": {
                    "schema": {"type": "string", "format": "binary"}
                },
            },
        }
    },
)
def bulk_values(
    body: RawBody,
    who: CanWriteMissions,
    write: WriteDep,
    jobs: JobsDep,
    kind: Annotated[
        Literal["csv", "parquet"], Query(alias="format", description="The body's format")
    ] = "csv",
) -> Response:
    """Import many numeric values into the embedded store's DuckDB file, as a job (202):
    every row checked set-wise, all or nothing (`convenio data import --bulk`)."""

    def work(uow: UnitOfWork, tell: Tell) -> BaseModel:
        with as_upload(body, f".{kind}") as path:
            return import_answer(bulk_import.import_bulk(uow, path, actor=who))

    return write.submit(who, jobs, "bulk import", work)


router.include_router(fieldwork.router)
