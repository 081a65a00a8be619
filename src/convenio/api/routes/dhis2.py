"""DHIS2's Web API where DHIS2 clients expect it (``/api/…``, not ``/api/v1``), so
existing DHIS2 scripts and tools work unchanged: ``dataValueSets`` (export, and import
with DHIS2's import summary), ``analytics`` (headers, rows, metaData) and
``organisationUnits``. The same roles and services as `convenio.api.routes.missions`;
DHIS2's ``Authorization: ApiToken <token>`` is accepted as well as ``Bearer``.

An import is all or nothing, as every convenio load: a document with any conflict
imports nothing and answers 409 with ``status: ERROR``, every value ``ignored`` and the
conflicts listed; else 200 with ``status: SUCCESS`` and what was imported, updated
(another value), ignored (the same value again, or a deletion of nothing) and deleted.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from convenio.api.deps import CanReadPublic, CanWriteMissions, RawBody, Reader
from convenio.api.problems import PROBLEMS, from_error_body
from convenio.api.routes import missions
from convenio.api.routes.missions import DataValueSet
from convenio.api.tables import as_upload
from convenio.api.writes import WriteDep
from convenio.errors import InputError, Problem
from convenio.services import analytics, catalog, mission_data
from convenio.services.mission_data import ImportResult
from convenio.store import UnitOfWork

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["dhis2"], responses=PROBLEMS)

_INDEX: Final = re.compile(r"dataValues\[(\d+)\]")

# -- dataValueSets ------------------------------------------------------------------------


# DHIS2's path for what /api/v1/dataValues answers: the same route function, twice routed.
router.add_api_route(
    "/dataValueSets",
    missions.get_values,
    methods=["GET"],
    name="get_data_value_sets",
    response_model=DataValueSet,
    response_model_exclude_none=True,
    description="DHIS2's data value set: the stored values of a data set, period and org "
    "unit (a coordinator's subtree only).",
)


class ImportCount(BaseModel):
    imported: int
    updated: int
    ignored: int
    deleted: int


class ImportConflict(BaseModel):
    """One conflict: `object` where (``dataValues[3].orgUnit``), `value` what is wrong."""

    object: str
    value: str
    property: str | None = None
    indexes: list[int] = Field(default_factory=list)


class ImportSummary(BaseModel):
    """DHIS2's import summary."""

    responseType: Literal["ImportSummary"] = "ImportSummary"  # noqa: N815 - DHIS2's names
    status: Literal["SUCCESS", "WARNING", "ERROR"]
    description: str
    importCount: ImportCount  # noqa: N815
    conflicts: list[ImportConflict] = Field(default_factory=list)
    dryRun: bool = False  # noqa: N815


def _summary(r: ImportResult) -> ImportSummary:
    return ImportSummary(
        status="SUCCESS",
        description="Import process completed successfully"
        + (" (dry run: nothing written)" if r.dry_run else ""),
        importCount=ImportCount(
            imported=r.added, updated=r.updated, ignored=r.unchanged, deleted=r.deleted
        ),
        dryRun=r.dry_run,
    )


def _conflict(p: Problem) -> ImportConflict:
    where = p.field or ""
    found = _INDEX.match(where)
    return ImportConflict(
        object=where or "dataValues",
        value=p.message,
        property=where.rpartition(".")[2] or None if "." in where else None,
        indexes=[int(found.group(1))] if found else [],
    )


def _entries(body: bytes) -> int:
    """How many values the document holds (0 if it holds no list of them)."""
    try:
        document = json.loads(body)
    except ValueError:
        return 0
    entries = document.get("dataValues") if isinstance(document, dict) else None
    return len(entries) if isinstance(entries, list) else 0


@router.post(
    "/dataValueSets",
    response_model=ImportSummary,
    responses={409: {"model": ImportSummary, "description": "Conflicts: nothing imported"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": 'DHIS2\'s data value set: {"dataValues": [{"dataElement", "period", '
            '"orgUnit", "categoryOptionCombo", "attributeOptionCombo", "value", …}]}',
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
def post_data_value_sets(
    body: RawBody,
    who: CanWriteMissions,
    write: WriteDep,
    dry_run: Annotated[bool, Query(alias="dryRun", description="Check, write nothing")] = False,
) -> Response:
    """Import a DHIS2 data value set, all or nothing; answers DHIS2's import summary
    (200 SUCCESS, or 409 ERROR listing the conflicts with nothing imported). A
    coordinator imports only at org units of its subtree (else 403)."""

    def work(uow: UnitOfWork) -> ImportResult:
        with as_upload(body, ".json") as path:
            return mission_data.import_values(uow, path, dry_run, actor=who)

    def said(r: ImportResult) -> str:
        return f"dataValueSets: {r.added} imported, {r.updated} updated, {r.deleted} deleted"

    try:
        return write.run(who, work, _summary, said, status=200)
    except InputError as error:
        refused = ImportSummary(
            status="ERROR",
            description="The import process failed: nothing was imported",
            importCount=ImportCount(imported=0, updated=0, ignored=_entries(body), deleted=0),
            conflicts=[_conflict(p) for p in error.problems]
            or [ImportConflict(object="dataValues", value=from_error_body(error)["detail"])],
            dryRun=dry_run,
        )
        return Response(refused.model_dump_json().encode(), 409, media_type="application/json")


# -- analytics ----------------------------------------------------------------------------

_COLUMNS: Final = {"dx": "Data", "pe": "Period", "ou": "Organisation unit"}


class Header(BaseModel):
    name: str
    column: str
    valueType: str  # noqa: N815 - DHIS2's names
    type: str
    hidden: bool = False
    meta: bool


class MetaData(BaseModel):
    items: dict[str, dict[str, str]]
    dimensions: dict[str, list[str]]


class Grid(BaseModel):
    """DHIS2's analytics grid: `rows` of strings in the order of `headers`."""

    headers: list[Header]
    metaData: MetaData  # noqa: N815
    rows: list[list[str]]
    height: int
    width: int
    headerWidth: int  # noqa: N815


def _dimensions(dimension: list[str], filters: list[str]) -> tuple[list[str], dict[str, str]]:
    """The dimensions' order (of dx, pe, ou) and each one's items, from DHIS2's
    ``dimension=dx:A;B`` and ``filter=ou:X`` parameters; a filter takes one item."""
    order: list[str] = []
    items: dict[str, str] = {}
    problems: list[Problem] = []
    for name, given in (("dimension", dimension), ("filter", filters)):
        for text in given:
            dim, _, chosen = text.partition(":")
            if dim not in _COLUMNS or not chosen or dim in items:
                why = "repeated" if dim in items else "expected dx:…, pe:… or ou:…"
                problems.append(Problem(f"{text!r}: {why}", field=name))
                continue
            if name == "filter" and (dim == "dx" or ";" in chosen):
                problems.append(
                    Problem(f"{text!r}: a filter takes one period or org unit", field=name)
                )
                continue
            items[dim] = chosen
            if name == "dimension":
                order.append(dim)
    for dim in ("dx", "pe"):
        if dim not in items and not any(p.message.startswith(f"'{dim}") for p in problems):
            problems.append(Problem(f"name the {dim} dimension ({dim}:…)", field="dimension"))
    if problems:
        raise InputError.from_problems(problems, "analytics request")
    return order, items


@router.get("/analytics", response_model=Grid)
def dhis2_analytics(
    uow: Reader,
    who: CanReadPublic,
    dimension: Annotated[
        list[str], Query(max_length=20, description="dx:A;B, pe:2005;2005Q1, ou:VE;LEVEL-2")
    ],
    filters: Annotated[
        list[str], Query(alias="filter", max_length=20, description="pe:… or ou:…, one item")
    ] = [],  # noqa: B006 - FastAPI copies the default
) -> Grid:
    """DHIS2's analytics: one row per item of the dimensions asked, the value last;
    filters narrow without a column. Those who may not read mission data get the
    public answer, rows with small counts left out."""
    order, items = _dimensions(dimension, filters)
    rows = analytics.query(uow, items["dx"], items["pe"], items.get("ou", ""), actor=who)
    shown = [r for r in rows if not r.suppressed and r.value is not None]
    names: dict[str, dict[str, str]] = {d: {"name": c} for d, c in _COLUMNS.items()}
    found: dict[str, list[str]] = {d: [] for d in _COLUMNS}
    grid: list[list[str]] = []
    for r in shown:
        record = r.as_dict()
        for dim, name_key in (("dx", "dx_name"), ("pe", "pe"), ("ou", "ou_name")):
            uid = str(record[dim])
            names.setdefault(uid, {"name": str(record[name_key])})
            if uid not in found[dim]:
                found[dim].append(uid)
        grid.append([*(str(record[d]) for d in order), str(record["value"])])
    headers = [
        Header(name=d, column=_COLUMNS[d], valueType="TEXT", type="java.lang.String", meta=True)
        for d in order
    ]
    headers.append(
        Header(
            name="value", column="Value", valueType="NUMBER", type="java.lang.Double", meta=False
        )
    )
    return Grid(
        headers=headers,
        metaData=MetaData(items=names, dimensions={**found, "co": []}),
        rows=grid,
        height=len(grid),
        width=len(headers),
        headerWidth=len(headers),
    )


# -- organisationUnits --------------------------------------------------------------------


class Reference(BaseModel):
    id: str


class OrganisationUnit(BaseModel):
    """DHIS2's org unit, with the fields asked (``fields=id,displayName,level,parent``)."""

    id: str | None = None
    displayName: str | None = None  # noqa: N815
    name: str | None = None
    code: str | None = None
    level: int | None = None
    parent: Reference | None = None


class Pager(BaseModel):
    page: int
    pageCount: int  # noqa: N815
    total: int
    pageSize: int  # noqa: N815


class OrganisationUnits(BaseModel):
    pager: Pager | None = None
    organisationUnits: list[OrganisationUnit]  # noqa: N815


_FIELDS: Final = tuple(OrganisationUnit.model_fields)


def _unit(row: catalog.OrgUnitRow, wanted: set[str]) -> OrganisationUnit:
    parent = None if row.parent is None else Reference(id=row.parent)
    every: dict[str, Any] = {
        "id": row.id, "displayName": row.name, "name": row.name, "code": row.code,
        "level": row.level, "parent": parent,
    }  # fmt: skip
    return OrganisationUnit(**{k: v for k, v in every.items() if k in wanted})


@router.get(
    "/organisationUnits", response_model=OrganisationUnits, response_model_exclude_none=True
)
def organisation_units(
    uow: Reader,
    who: CanReadPublic,
    fields: Annotated[
        str, Query(max_length=200, description="id, displayName, name, code, level, parent; *")
    ] = "id,displayName",
    level: Annotated[int | None, Query(ge=1, le=999)] = None,
    paging: bool = True,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(alias="pageSize", ge=1, le=10_000)] = 50,
) -> OrganisationUnits:
    """DHIS2's list of org units (public), in tree order, paged as DHIS2 pages."""
    asked = {f.strip().removeprefix(":") for f in fields.split(",")}
    wanted = set(_FIELDS) if asked & {"*", "all"} else asked & set(_FIELDS)
    rows = catalog.org_units(uow, level)
    total = len(rows)
    if paging:
        rows = rows[(page - 1) * page_size : page * page_size]
    units = [_unit(r, wanted) for r in rows]
    pager = None
    if paging:
        pager = Pager(
            page=page, pageCount=max(1, -(-total // page_size)), total=total, pageSize=page_size
        )
    return OrganisationUnits(pager=pager, organisationUnits=units)
