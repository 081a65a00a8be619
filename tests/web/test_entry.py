"""Data entry in a real browser against ``convenio serve`` over the demo: the Zulia
coordinator enters a month of Barrio Adentro consultations at a Zulia CDI in the grid
(es: 2016-01, en: 2016-02 — after the demo's data, so no other page's figures move),
bad cells are refused on the cell and write nothing, a settled month takes no change,
another state's unit is refused; a CSV upload names its bad line and field as the CLI's
importer does, the corrected file imports, and so does an .xlsx workbook.

What was stored is read back through ``GET /api/v1/dataValues`` with a token the test
makes itself; the located problems an upload shows are those the importer gives the
same bytes in the test.
"""

from __future__ import annotations

import io
import json
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode

import openpyxl
import pytest
from playwright.sync_api import BrowserContext, FilePayload, Page

from convenio.auth import Principal, Role
from convenio.errors import InputError
from convenio.files import InMemory
from convenio.services import access, catalog, mission_data
from tests.web.harness import PEOPLE, WebApp, assert_accessible, screenshot, sign_in

COORDINATOR: Final = "zulia-coordinator"
DATA_SET: Final = "BA_MONTHLY"
ELEMENT: Final = "CONSULT"
MONTH: Final = {"es": "2016-01", "en": "2016-02"}
SITE: Final = "VE-V-02-CDI"  # the grid's journeys
UPLOAD_SITE: Final = "VE-V-03-CDI"  # the CSV uploads
XLSX_SITE: Final = "VE-V-04-CDI"
ELSEWHERE: Final = "VE-A-01-CDI"  # a CDI of Distrito Capital, outside Zulia
SETTLED: Final = "2015-12"  # inside the demo's settled run of 2015Q4
HEADER: Final = "dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value\n"

SAID: Final = {
    "es": {
        "whole": "Introduzca un número entero",
        "negative": "Un conteo no puede ser negativo",
        "locked": "Este período no admite cambios",
        "saved": "Valores guardados: 2 (2 agregados, 0 actualizados, 0 eliminados).",
        "imported": "Se importó values.csv: 2 valores agregados",
        "head": "Elemento de datos",
    },
    "en": {
        "whole": "Enter a whole number",
        "negative": "A count cannot be negative",
        "locked": "This period takes no changes",
        "saved": "Values saved: 2 (2 added, 0 updated, 0 removed).",
        "imported": "values.csv was imported: 2 values added",
        "head": "Data element",
    },
}


@pytest.fixture(scope="module")
def token(web_app: WebApp) -> Iterator[str]:
    """An API token of the coordinator, made through the services for this module."""
    store = web_app.store()
    try:
        with store.unit_of_work(write=True, late_lock=True) as uow:
            issued, _ = access.issue_token(uow, COORDINATOR, timedelta(hours=1), "test_entry")
        yield issued.text
    finally:
        store.close()


def stored(app: WebApp, token: str, unit: str, period: str) -> dict[str, str]:
    """The values of the data set at `unit` in `period`, by option combo, as the API
    answers them."""
    query = urlencode({"dataSet": DATA_SET, "orgUnit": unit, "period": period})
    request = urllib.request.Request(
        f"{app.url}/api/v1/dataValues?{query}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request) as answer:
        found: list[dict[str, Any]] = json.load(answer)["dataValues"]
    return {v["categoryOptionCombo"]: v["value"] for v in found}


def cell(coc: str) -> str:
    return f"#cell-{ELEMENT}--{coc}"


def form_url(app: WebApp, unit: str, period: str) -> str:
    return f"{app.url}/entry?" + urlencode({"dataSet": DATA_SET, "orgUnit": unit, "period": period})


def save(page: Page) -> int:
    with page.expect_navigation() as answer:
        page.click("form.entry-grid button[type=submit]")
    response = answer.value
    assert response is not None
    return response.status


@pytest.mark.parametrize("lang", ["es", "en"])
def test_a_coordinator_enters_a_month_in_the_grid_and_finds_it_stored(
    context: BrowserContext, web_app: WebApp, token: str, tmp_path: Path, lang: str
) -> None:
    said, month = SAID[lang], MONTH[lang]
    store = web_app.store()
    try:
        with store.unit_of_work() as uow:
            combos = catalog.option_combos(uow, ELEMENT)
    finally:
        store.close()
    assert stored(web_app, token, SITE, month) == {}

    page = sign_in(context, web_app, COORDINATOR, lang, next="/entry")
    with page.expect_response(lambda r: "/entry?dataSet=" in r.url):
        page.select_option("#dataSet", DATA_SET)  # its units come (htmx) before one is picked
    page.select_option("#orgUnit", SITE)
    page.fill("#period", month)
    with page.expect_navigation():
        page.click("#choice button[type=submit]")
    assert page.url == form_url(web_app, SITE, month)
    headers = page.locator("table.grid thead th").all_inner_texts()
    assert headers == [said["head"], *(c.name for c in combos)]
    first, second = (c.id for c in combos)

    # A word and a negative count: each refused on its cell, nothing written.
    page.fill(cell(first), "abc")
    page.fill(cell(second), "-3")
    assert save(page) == 422
    assert page.get_attribute(cell(first), "aria-invalid") == "true"
    assert page.get_attribute(cell(second), "aria-invalid") == "true"
    assert said["whole"] in page.inner_text(f"{cell(first)}-error")
    assert said["negative"] in page.inner_text(f"{cell(second)}-error")
    assert page.input_value(cell(first)) == "abc"  # what was typed is kept
    assert stored(web_app, token, SITE, month) == {}

    # Numbers as the page's language writes them: 1.234 in Spanish, 1,234 in English.
    thousands = "1.234" if lang == "es" else "1,234"
    page.fill(cell(first), thousands)
    page.fill(cell(second), "30")
    assert save(page) == 200
    assert page.inner_text("#saved") == said["saved"]
    assert stored(web_app, token, SITE, month) == {first: "1234", second: "30"}

    page.goto(form_url(web_app, SITE, month))  # shown again, as stored, in the language
    assert [page.input_value(cell(c.id)) for c in combos] == [thousands, "30"]
    if lang == "es":
        page.set_viewport_size({"width": 390, "height": 844})
        assert_accessible(page)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.set_viewport_size({"width": 1280, "height": 900})
    else:
        assert_accessible(page)
    screenshot(page, f"entry-form-{lang}", tmp_path)

    if lang == "en":  # a settled month takes no change: the message on the cell
        before = stored(web_app, token, SITE, SETTLED)
        page.goto(form_url(web_app, SITE, SETTLED))
        assert said["locked"] in page.inner_text("#locked")
        page.fill(cell(first), str(int(before[first]) + 1))
        assert save(page) == 422
        assert said["locked"] in page.inner_text(f"{cell(first)}-error")
        assert stored(web_app, token, SITE, SETTLED) == before

    refused = page.goto(form_url(web_app, ELSEWHERE, month))
    assert refused is not None and refused.status == 403
    store = web_app.store()
    try:
        with store.unit_of_work() as uow:
            assert mission_data.select_values(uow, DATA_SET, month, ELSEWHERE) == []
    finally:
        store.close()


def importer_problems(app: WebApp, name: str, data: bytes) -> list[tuple[str, str, str, str]]:
    """(file, line, field, message) of what the importer (the CLI's) says of `data`."""
    coordinator = Principal(COORDINATOR, Role.COORDINATOR, None, PEOPLE[COORDINATOR][2])
    store = app.store()
    try:
        with store.unit_of_work() as uow, pytest.raises(InputError) as refused:
            mission_data.import_values(uow, InMemory(name, data), True, actor=coordinator)
    finally:
        store.close()
    return [
        (p.file or "", "" if p.line is None else str(p.line), p.field or "", p.message)
        for p in refused.value.problems
    ]


def upload(page: Page, name: str, data: bytes, mime: str) -> int:
    page.set_input_files("#file", files=FilePayload(name=name, mimeType=mime, buffer=data))
    with page.expect_navigation() as answer:
        page.click("form.upload button[type=submit]")
    response = answer.value
    assert response is not None
    return response.status


@pytest.mark.parametrize("lang", ["es", "en"])
def test_an_upload_names_its_bad_line_and_field_and_the_corrected_file_imports(
    context: BrowserContext, web_app: WebApp, token: str, tmp_path: Path, lang: str
) -> None:
    month = MONTH[lang]
    first = f"{ELEMENT},{month},{UPLOAD_SITE},A0_14,,41\n"
    second = f"{ELEMENT},{month},{UPLOAD_SITE},A15P,,"
    bad = (HEADER + first + second + "4l\n").encode()
    expected = importer_problems(web_app, "values.csv", bad)
    assert [(f, line, field) for f, line, field, _ in expected] == [("values.csv", "3", "value")]

    page = sign_in(context, web_app, COORDINATOR, lang, next="/entry/upload")
    assert_accessible(page)
    assert upload(page, "values.csv", bad, "text/csv") == 422
    shown = [
        tuple(row.locator("td").all_inner_texts())
        for row in page.locator("table.located tbody tr").all()
    ]
    assert shown == expected
    assert stored(web_app, token, UPLOAD_SITE, month) == {}

    good = (HEADER + first + second + "41\n").encode()
    assert upload(page, "values.csv", good, "text/csv") == 200
    assert page.inner_text("#imported").startswith(SAID[lang]["imported"])
    assert stored(web_app, token, UPLOAD_SITE, month) == {"A0_14": "41", "A15P": "41"}
    assert_accessible(page)
    screenshot(page, f"entry-upload-{lang}", tmp_path)


def test_an_xlsx_workbook_imports(context: BrowserContext, web_app: WebApp, token: str) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER.strip().split(","))
    sheet.append([ELEMENT, "201601", XLSX_SITE, "A0_14", "", 5])
    sheet.append([ELEMENT, "201601", XLSX_SITE, "A15P", "", 8])
    out = io.BytesIO()
    book.save(out)
    page = sign_in(context, web_app, COORDINATOR, "en", next="/entry/upload")
    mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert upload(page, "consultations.xlsx", out.getvalue(), mime) == 200
    assert "consultations.xlsx was imported: 2 values added" in page.inner_text("#imported")
    assert stored(web_app, token, XLSX_SITE, "2016-01") == {"A0_14": "5", "A15P": "8"}
