"""Data entry for coordinators, the way DHIS2's data-entry app works: pick a data set, an
org unit of your subtree and a period (``GET /entry``), fill the grid and save it
(``POST /entry``, all or nothing, through the importer of ``POST /api/v1/dataValues``);
or upload a CSV, .xlsx or JSON file of values (``/entry/upload``, the importer of
``convenio data import``, with its located problems). Who: `Action.WRITE_MISSIONS`, in
the coordinator's subtree only — a unit elsewhere is refused as the API refuses it.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from starlette.responses import Response

from convenio.api.deps import Reader
from convenio.auth import Action
from convenio.errors import AccessError, ConflictError, InputError
from convenio.files import FileOptions
from convenio.services import entry_views
from convenio.services.entry_views import CellKey, SaveOutcome, UploadOutcome
from convenio.web.forms import FormWrite
from convenio.web.i18n import mark as _
from convenio.web.render import Page, PageDep

__all__ = ["MESSAGES", "router"]

router = APIRouter(include_in_schema=False)

SHOWN_PROBLEMS = 200
"""Problems of an upload listed on the page; the rest are counted."""


MESSAGES = (
    _("Enter a whole number"),
    _("Enter a number, with a point before any decimals"),
    _("Enter a percentage from 0 to 100"),
    _("Enter true or false"),
    _("Enter a shorter text"),
    _("A count cannot be negative"),
    _("This period takes no changes"),
    _("This org unit takes no values here"),
    _("This value cannot be saved"),
    _("This cell cannot be saved"),
)
"""The services' words for a refused cell (`entry_views`), in the catalogue."""

PERIOD_TYPES = {
    "Daily": _("daily"),
    "Weekly": _("weekly"),
    "Monthly": _("monthly"),
    "Quarterly": _("quarterly"),
    "SixMonthly": _("six-monthly"),
    "Yearly": _("yearly"),
    "FinancialApril": _("financial year from April"),
    "FinancialJuly": _("financial year from July"),
    "FinancialOct": _("financial year from October"),
}
VALUE_TYPES = {
    "INTEGER": _("whole number"),
    "NUMBER": _("number"),
    "PERCENTAGE": _("percentage"),
    "BOOLEAN": _("true or false"),
    "TEXT": _("text"),
}
"""How the page names period types and value types (DHIS2's names are the keys)."""

Choice = Annotated[str | None, Query(max_length=50)]


async def _fields(request: Request) -> dict[str, str]:
    """The text fields of the posted form (the grid's cells are named by their keys)."""
    form = await request.form()
    return {name: value for name, value in form.multi_items() if isinstance(value, str)}


Fields = Annotated[dict[str, str], Depends(_fields)]


def _cell_id(key: CellKey) -> str:
    """A cell's input id (letters, digits, ``-`` and ``_`` only)."""
    return "cell-" + re.sub(r"[^A-Za-z0-9_-]", "_", f"{key[0]}--{key[1]}")


def _form_page(page: Page, status: int = 200, **values: object) -> Response:
    return page.render(
        "entry/form.html",
        status,
        title=page.gettext("Data entry"),
        cell_id=_cell_id,
        cell_field=entry_views.cell_field,
        period_types=PERIOD_TYPES,
        value_types=VALUE_TYPES,
        **values,
    )


@router.get("/entry")
def entry(
    page: PageDep,
    uow: Reader,
    data_set: Annotated[str | None, Query(alias="dataSet", max_length=50)] = None,
    org_unit: Annotated[str | None, Query(alias="orgUnit", max_length=50)] = None,
    period: Annotated[str | None, Query(max_length=30)] = None,
) -> Response:
    """The choice of a data set, an org unit and a period, and then the form."""
    page.require(Action.WRITE_MISSIONS)
    view = entry_views.entry_page(uow, page.principal, data_set, org_unit, period)
    status = 422 if view.error else 200
    return _form_page(page, status, view=view, typed=None, outcome=None)


def _said(outcome: SaveOutcome) -> str:
    form, result = outcome.form, outcome.result
    assert result is not None  # a refusal writes nothing and is not audited
    return (
        f"data entry {form.data_set.id} {form.org_unit.id} {form.period.id}: "
        f"{result.added} added, {result.updated} updated, {result.deleted} deleted"
    )


@router.post("/entry")
def save(
    page: PageDep,
    write: FormWrite,
    fields: Fields,
    data_set: Annotated[str, Form(alias="dataSet", max_length=50)],
    org_unit: Annotated[str, Form(alias="orgUnit", max_length=50)],
    period: Annotated[str, Form(max_length=30)],
) -> Response:
    """Save the grid, all or nothing; a refused cell shows its message beside it."""
    page.require(Action.WRITE_MISSIONS)
    who = page.principal
    typed = {
        key: value
        for name, value in fields.items()
        if (key := entry_views.parse_cell_field(name)) is not None
    }
    outcome = write.apply(
        who,
        lambda uow: entry_views.save_entry(
            uow, who, data_set, org_unit, period, typed, language=page.language
        ),
        _said,
    )
    status = 422 if outcome.error else 200
    return _form_page(page, status, view=outcome.page, typed=outcome.typed, outcome=outcome)


@router.get("/entry/upload")
def upload_form(page: PageDep) -> Response:
    """The upload of a file of data values."""
    page.require(Action.WRITE_MISSIONS)
    return page.render("entry/upload.html", title=page.gettext("Upload data values"))


def _said_upload(outcome: UploadOutcome) -> str:
    r = outcome.result
    return (
        f"data values from {outcome.name}: {r.added} added, {r.updated} updated, "
        f"{r.deleted} deleted"
    )


@router.post("/entry/upload")
def upload(
    page: PageDep,
    write: FormWrite,
    file: Annotated[UploadFile, File()],
    spanish: Annotated[bool, Form()] = False,
    dry_run: Annotated[bool, Form()] = False,
) -> Response:
    """Import the file as ``convenio data import`` does: all or nothing, its problems
    located by file, line and field."""
    page.require(Action.WRITE_MISSIONS)
    who = page.principal
    name, content = file.filename or "upload", file.file.read()
    options = FileOptions(locale="es" if spanish else None)
    title = page.gettext("Upload data values")
    try:
        outcome = write.apply(
            who,
            lambda uow: entry_views.import_upload(uow, who, name, content, dry_run, options),
            _said_upload,
        )
    except (InputError, ConflictError, AccessError) as error:
        status = 403 if isinstance(error, AccessError) else 409
        status = 422 if isinstance(error, InputError) else status
        return page.render(
            "entry/upload.html",
            status,
            title=title,
            error=error,
            shown=error.problems[:SHOWN_PROBLEMS],
            spanish=spanish,
            dry_run=dry_run,
        )
    return page.render(
        "entry/upload.html", title=title, outcome=outcome, spanish=spanish, dry_run=dry_run
    )
