"""The public page in a real browser, without signing in: the settled statements as the
store holds them, the mission results and pathways exactly as the public's API answers
them (small counts suppressed), the checkpoint, and a citation whose address names the
day and the log's size and whose root is the log's at that size."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page

from convenio.log import b64, tree_hash
from convenio.missions import Item
from convenio.services import log
from convenio.web.i18n import Formats, translations
from tests.web.harness import WebApp, assert_accessible, screenshot

LANGUAGES = pytest.mark.parametrize("lang", ["es", "en"])


def _(lang: str, text: str) -> str:
    return translations(lang).gettext(text)


def cells(page: Page, rows: str) -> list[list[str]]:
    found: list[list[str]] = page.eval_on_selector_all(
        rows, "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))"
    )
    return found


def api(page: Page, app: WebApp, path: str, **params: str) -> Any:
    """The API's answer to the public (no token)."""
    answer = page.request.get(f"{app.url}{path}", params=params)
    assert answer.ok, answer.text()
    return answer.json()


def shown(lang: str, value: str | int | None) -> str:
    """A figure of the public's answer as the page shows it (None: suppressed)."""
    return _(lang, "suppressed") if value is None else Formats(lang).number(Decimal(value))


def check_statements(page: Page, app: WebApp, lang: str) -> date:
    """The settled runs, newest first, each with its net before cash; the page's day."""
    store = app.store()
    try:
        with store.unit_of_work() as uow:
            runs = uow.financing.runs()  # the settled runs, not reopened
    finally:
        store.close()
    day = max(date.fromisoformat(r.statement["end"]) for r in runs)
    listed = page.eval_on_selector_all("#runs tbody tr", "rows => rows.map(r => r.dataset.run)")
    newest = sorted(runs, key=lambda r: (r.statement["end"], r.id), reverse=True)
    assert listed == [r.id for r in newest]
    fmt = Formats(lang)
    for run, row in zip(newest, cells(page, "#runs tbody tr"), strict=True):
        net = run.statement["net"]
        if net.get("debtor") is None:  # a run whose two sides are equal (a reopened one)
            said = _(lang, "even")
        else:
            owes = _(lang, "%(debtor)s owes %(creditor)s") % net
            said = f"{owes} {fmt.money(Decimal(net['amount']), run.currency)}"
        assert row == [run.period, f"{run.party_a} · {run.party_b}", said]
    first = page.locator("#runs tbody a").first.get_attribute("href")
    assert first == f"/settlement/runs/{newest[0].id}"
    return day


def check_results(page: Page, app: WebApp, lang: str, day: date) -> None:
    """Each cell is the public's analytics answer; an indicator only where what it counts
    has data."""
    columns: list[str] = page.eval_on_selector_all(
        "#results thead th[data-dx]", "hs => hs.map(h => h.dataset.dx)"
    )
    store = app.store()
    try:
        with store.unit_of_work() as uow:
            catalog = uow.missions.catalog()
    finally:
        store.close()
    counts = {
        uid: i.numerator.element
        for uid, i in catalog.indicators.items()
        if isinstance(i.numerator, Item)
    }
    assert set(columns) == set(catalog.indicators) | set(counts.values())
    answer = api(page, app, "/api/v1/analytics", dx=";".join(columns), pe="yearly", ou="VE")
    assert answer["public"] is True
    rows = {(r["dx"], r["ou"], r["pe"]): r for r in answer["rows"]}
    years = sorted({pe for _dx, _ou, pe in rows if pe <= str(day.year)})
    page_rows = cells(page, "#results tbody tr")
    assert [row[0] for row in page_rows] == years
    for row in page_rows:
        year = row[0]
        for uid, text in zip(columns, row[1:], strict=True):
            found = rows.get((uid, "VE", year))
            if found is None or (uid in counts and (counts[uid], "VE", year) not in rows):
                assert text == "—", (uid, year)
            else:
                flag = found["flag"] or ""
                assert text == shown(lang, None if found["suppressed"] else found["value"]) + flag


def check_pathways(page: Page, app: WebApp, lang: str) -> None:
    for pathway in ("eye-surgery", "literacy"):
        answer = api(page, app, "/api/v1/indicators/pathways", pathway=pathway)
        facts = page.locator(f"dl[data-pathway='{pathway}']")
        for field in ("started", "completed"):
            said = facts.locator(f"dd[data-field='{field}']").inner_text()
            assert said == shown(lang, answer[field])
        stages = cells(page, f"table[data-pathway='{pathway}'] tbody tr")
        assert stages == [[s, shown(lang, n)] for s, n in answer["stopped_at"].items()]
    assert any(n is None for n in answer["stopped_at"].values())  # literacy: suppressed


@LANGUAGES
def test_the_public_reads_the_published_record_without_signing_in(
    context: BrowserContext, web_app: WebApp, tmp_path: Path, lang: str
) -> None:
    page = context.new_page()
    if lang == "en":
        page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{web_app.url}/public?lang={lang}")
    assert page.get_attribute("html", "lang") == lang
    assert page.inner_text("h1") == _(lang, "Published statements and mission results")
    day = check_statements(page, web_app, lang)
    assert Formats(lang).date(day, "long") in page.inner_text("#as-of")
    check_results(page, web_app, lang, day)
    check_pathways(page, web_app, lang)
    store = web_app.store()
    try:
        with store.unit_of_work() as uow:
            signed = log.latest_checkpoint(uow)
            size, root = uow.log.head()
    finally:
        store.close()
    if signed is None:
        assert page.inner_text("#checkpoint") == _(
            lang, "No checkpoint of the log has been signed yet."
        )
    cited = signed.size if signed else size
    link = page.get_attribute("#cite-url", "href")
    assert link == f"/public?as_of={day.isoformat()}&log={cited}"
    assert b64(root) in page.inner_text("#cite-text") or signed is not None
    if lang == "en":
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page)
    screenshot(page, f"public-{lang}", tmp_path)


def test_a_cited_address_names_the_logs_root_at_its_size(
    context: BrowserContext, web_app: WebApp
) -> None:
    day, size, fmt = date(2010, 6, 30), 1000, Formats("en")
    address = f"/public?as_of={day.isoformat()}&log={size}"
    page = context.new_page()
    page.goto(f"{web_app.url}{address}&lang=en")
    store = web_app.store()
    try:
        with store.unit_of_work() as uow:
            root = b64(tree_hash(size, uow.log))
    finally:
        store.close()
    text = page.inner_text("#cite-text")
    assert fmt.date(day, "long") in text, text
    assert f"{fmt.number(size)} entries" in text and root in text, text
    assert page.get_attribute("#cite-url", "href") == address
    quarter = f"{day.year}Q{(day.month - 1) // 3 + 1}"
    assert cells(page, "#runs tbody tr")[0][0] == quarter  # periods ended by then only
    assert all(row[0] <= str(day.year) for row in cells(page, "#results tbody tr"))
    too_far = page.goto(f"{web_app.url}/public?log=999999999&lang=en")
    assert too_far is not None and too_far.status == 422
