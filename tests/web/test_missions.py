"""The missions pages in a real browser against `convenio serve` over the demo
(tests/web/harness.py): the public sees the map and the funnels with the API's public
answer cell for cell, the Zulia coordinator drills down to a site and is refused
another state, the auditor sees the services' unsuppressed figures. Expected figures
come from the API (fetched without a token: the public) or the services on the served
store, formatted with `Formats`; nothing here is written."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page

from convenio.auth import Principal, Role
from convenio.services import analytics, cases
from convenio.web.i18n import Formats
from tests.web.harness import WebApp, assert_accessible, screenshot, sign_in

LANGUAGES = ("es", "en")
SUPPRESSED = {"es": "suprimido", "en": "suppressed"}
AUDITOR = Principal("auditor", Role.AUDITOR)
ZULIA = Principal("zulia-coordinator", Role.COORDINATOR, org_unit="VE-V")


def _tiles(page: Page) -> dict[str, str]:
    """Org unit → the text on its tile."""
    pairs = page.eval_on_selector_all(
        ".cartogram li.tile",
        "els => els.map(e => [e.dataset.ou, e.querySelector('.value').textContent])",
    )
    return dict(pairs)


def _stops(page: Page, pathway: str) -> dict[str, str]:
    """Stage → the count in the table of where the pathway's unfinished cases stopped."""
    pairs = page.eval_on_selector_all(
        f"table.stops[data-pathway='{pathway}'] tbody tr",
        "rows => rows.map(r => [r.dataset.stage, r.querySelector('td').textContent.trim()])",
    )
    return dict(pairs)


def _said(value: Any, fmt: Formats, lang: str) -> str:
    return SUPPRESSED[lang] if value is None else fmt.number(Decimal(str(value)))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_public_sees_the_map_and_the_funnels_suppressed_as_the_api_answers(
    context: BrowserContext, web_app: WebApp, lang: str, tmp_path: Path
) -> None:
    fmt = Formats(lang)
    page = context.new_page()
    page.goto(f"{web_app.url}/missions?lang={lang}")
    assert page.inner_text("h1") == {"es": "Misiones", "en": "Missions"}[lang]
    dx, pe = page.input_value("#dx"), page.input_value("#pe")
    assert (dx, pe) == ("LITERACY_RATE", "2005")  # the first indicator, its last year
    answer = page.request.get(
        f"{web_app.url}/api/v1/analytics", params={"dx": dx, "pe": pe, "ou": "VE;LEVEL-2"}
    ).json()
    assert answer["public"] is True
    tiles = _tiles(page)
    assert len(tiles) == 24
    assert tiles == {r["ou"]: _said(r["value"], fmt, lang) for r in answer["rows"]}
    assert page.locator(".cartogram a").count() == 24  # every state's page, for everyone
    assert_accessible(page)
    screenshot(page, f"missions-{lang}", tmp_path)
    if lang == "en":  # at a phone's width: the map scrolls in its frame, not the page
        page.set_viewport_size({"width": 390, "height": 844})
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert_accessible(page)

    page.goto(f"{web_app.url}/missions/pathways?lang={lang}")
    for pathway in ("eye-surgery", "literacy"):
        public = page.request.get(
            f"{web_app.url}/api/v1/indicators/pathways", params={"pathway": pathway}
        ).json()
        assert public["public"] is True
        assert _stops(page, pathway) == {
            stage: _said(n, fmt, lang) for stage, n in public["stopped_at"].items()
        }
        section = page.locator(f"section#{pathway}")
        for field in ("started", "completed"):
            shown = section.locator(f"[data-field={field}]").inner_text()
            assert shown == _said(public[field], fmt, lang)
    assert SUPPRESSED[lang] in _stops(page, "literacy").values()  # small counts are hidden
    assert_accessible(page)
    screenshot(page, f"missions-pathways-{lang}", tmp_path)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_zulia_coordinator_drills_down_to_a_site_and_is_refused_another_state(
    context: BrowserContext, web_app: WebApp, lang: str, tmp_path: Path
) -> None:
    fmt = Formats(lang)
    page = sign_in(context, web_app, "zulia-coordinator", lang)
    page.goto(f"{web_app.url}/missions?lang={lang}")
    assert page.locator(".cartogram a").count() == 1  # its own state only
    with page.expect_navigation():
        page.click(".cartogram li[data-ou='VE-V'] a")
    assert page.url.split("?")[0].endswith("/missions/units/VE-V")
    crumbs = page.locator(".breadcrumbs li")
    assert crumbs.nth(1).inner_text() == "Venezuela"
    assert crumbs.nth(1).locator("a").count() == 0  # above its subtree: no link
    with page.expect_navigation():
        page.click("#children a[href^='/missions/units/VE-V-01?']")
    with page.expect_navigation():
        page.click("#children a[href^='/missions/units/VE-V-01-CDI?']")
    assert "CDI" in page.inner_text("h1")
    year = page.input_value("#pe")
    store = web_app.store()
    try:
        with store.unit_of_work() as uow:
            rows = analytics.query(uow, "CONSULT", year, "VE-V-01-CDI", actor=ZULIA)
    finally:
        store.close()
    (row,) = rows
    assert row.value is not None
    shown = page.inner_text("#unit-figures tr[data-dx='CONSULT'] td")
    assert shown == fmt.number(row.value)
    assert_accessible(page)
    screenshot(page, f"missions-unit-{lang}", tmp_path)
    refused = page.goto(f"{web_app.url}/missions/units/VE-A?lang={lang}")
    assert refused is not None and refused.status == 403


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_auditor_sees_the_services_figures_unsuppressed(
    context: BrowserContext, web_app: WebApp, lang: str
) -> None:
    fmt = Formats(lang)
    page = sign_in(context, web_app, "auditor", lang)
    page.goto(f"{web_app.url}/missions?lang={lang}&dx=MIL_SURGERY&pe=2007")
    store = web_app.store()
    try:
        with store.unit_of_work() as uow:
            rows = analytics.query(uow, "MIL_SURGERY", "2007", "VE;LEVEL-2", actor=AUDITOR)
            answers = {
                p: cases.pathway_indicators(uow, p, None, actor=AUDITOR)
                for p in ("eye-surgery", "literacy")
            }
    finally:
        store.close()
    assert _tiles(page) == {r.ou: _said(r.value, fmt, lang) for r in rows}
    assert all(r.value is not None for r in rows)
    assert page.locator(".notice.suppression").count() == 0
    page.goto(f"{web_app.url}/missions/pathways?lang={lang}")
    for pathway, answer in answers.items():
        assert answer["public"] is False
        assert _stops(page, pathway) == {
            stage: fmt.number(n) for stage, n in answer["stopped_at"].items()
        }
    assert SUPPRESSED[lang] not in page.inner_text("main")
    assert_accessible(page)
