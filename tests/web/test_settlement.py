"""The settlement pages in a real browser (tests/web/harness.py): both commissions sign a
statement, a treasury reads and is refused the writes, the auditor drills down from a
figure to a ledger transaction, the public reads a settled statement, a commission
reopens a period and settles again; the printable statement prints to PDF and downloads
as one self-contained file.

The figures expected are the runs' statements as the services hold them, formatted by
`Formats(lang)`. Periods are this group's own: 2014Q4 (signed in Spanish), 2015Q4
(signed in English), 2003Q2 (reopened); the others are only read."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Final

import pytest
from playwright.sync_api import BrowserContext, Page

from convenio.services import signoffs
from convenio.store.financing_repo import RunRow
from convenio.web.i18n import Formats
from convenio.web.pages.settlement import FILE_POLICY
from tests.web.harness import WebApp, assert_accessible, screenshot, sign_in

LANGS: Final = ("es", "en")
SIGNED: Final = {"es": "2014Q4", "en": "2015Q4"}
FIGURES: Final = {
    "invoiced": "invoiced_total",
    "outstanding": "outstanding_before",
    "offset": "offset",
    "cash": "cash_paid",
    "carried": "carried_forward",
    "overpaid": "overpaid",
}
COMPACT: Final = {  # Babel's short forms: es "1,5 M" (no-break space), en "1.5M"
    "es": re.compile(r"-?\d{1,4}(,\d)?(\u00a0(K|M|B))?"),
    "en": re.compile(r"-?\d{1,3}(\.\d)?[KMBT]?"),
}
AWAITING: Final = {"es": "En espera de la firma de {}", "en": "Awaiting the sign-off of {}"}
SAID: Final = {
    "es": {"signed": "Firmado por {}", "awaiting": ", en espera de {}", "and": " y "},
    "en": {"signed": "Signed by {}", "awaiting": ", awaiting {}", "and": " and "},
}


def runs_of(app: WebApp, period: str) -> list[RunRow]:
    """The settled runs of `period`, as the store holds them now."""
    store = app.store()
    try:
        with store.unit_of_work() as uow:
            return uow.financing.runs(period)
    finally:
        store.close()


def signoffs_of(app: WebApp, run_id: str) -> list[signoffs.Signoff]:
    store = app.store()
    try:
        with store.unit_of_work() as uow:
            return signoffs.signoffs(uow, run_id)
    finally:
        store.close()


def url(app: WebApp, run: RunRow, tail: str = "") -> str:
    return f"{app.url}/settlement/runs/{run.id}{tail}"


def assert_figures(page: Page, run: RunRow, lang: str) -> None:
    """Every figure of the page is the run's statement, formatted for `lang`."""
    fmt, unit = Formats(lang), run.currency
    for i, direction in enumerate(run.statement["directions"]):
        for name, key in FIGURES.items():
            assert page.inner_text(f"#fig-{i}-{name}") == fmt.money(Decimal(direction[key]), unit)
        for kind, amount in direction["invoiced"].items():
            shown = page.inner_text(f"#fig-{i}-invoiced-{kind}")
            assert shown == fmt.money(Decimal(amount), unit)
    net, said = run.statement["net"], page.inner_text("#net")
    if net["debtor"]:
        assert net["debtor"] in said and fmt.money(Decimal(net["amount"]), unit) in said
    else:
        assert run.party_a not in said and run.party_b not in said


def signed_text(lang: str, done: list[signoffs.Signoff], awaiting: str | None) -> str:
    words, fmt = SAID[lang], Formats(lang)
    who = words["and"].join(f"{s.party} ({s.login}, {fmt.date(s.signed_at[:10])})" for s in done)
    return words["signed"].format(who) + (words["awaiting"].format(awaiting) if awaiting else "")


def form_token(page: Page) -> str:
    token = page.get_attribute("header input[name=form_token]", "value")
    assert token
    return token


@pytest.mark.parametrize("lang", LANGS)
def test_both_commissions_sign_a_statement(
    context: BrowserContext, web_app: WebApp, tmp_path: Path, lang: str
) -> None:
    (run,) = runs_of(web_app, SIGNED[lang])
    page = sign_in(context, web_app, "ven-commission", lang)
    page.goto(url(web_app, run))
    assert_figures(page, run, lang)
    assert_accessible(page)
    screenshot(page, f"settlement-statement-{lang}", tmp_path)
    with page.expect_navigation():
        page.click("#sign")
    assert "?done=signed" in page.url, page.inner_text("main")
    (ven,) = signoffs_of(web_app, run.id)
    assert page.inner_text("#signature-status").strip() == signed_text(lang, [ven], "CUB")
    assert ven.statement_digest in page.inner_text("#signoffs")

    with page.expect_navigation():
        page.click("header form[action='/signout'] button")
    page = sign_in(context, web_app, "cub-commission", lang)
    page.goto(url(web_app, run))
    with page.expect_navigation():
        page.click("#sign")
    both = signoffs_of(web_app, run.id)
    assert [s.party for s in both] == ["VEN", "CUB"]
    assert page.inner_text("#signature-status").strip() == signed_text(lang, both, None)
    assert page.locator("#sign").count() == 0
    again = page.request.post(url(web_app, run, "/sign"), form={"form_token": form_token(page)})
    assert again.status == 409 and "already signed" in again.text()
    assert len(signoffs_of(web_app, run.id)) == 2

    page.goto(url(web_app, run, "/print"))
    assert_figures(page, run, lang)
    for s in both:
        block = page.inner_text(f"#signature-{s.party}")
        assert s.login in block and s.statement_digest in block
    assert_accessible(page)
    screenshot(page, f"settlement-print-{lang}", tmp_path)
    page.emulate_media(media="print")
    assert page.is_hidden("header.top") and page.is_hidden(".print-help")
    assert page.is_visible(".statement-document")
    pdf = page.pdf()
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000


@pytest.mark.parametrize("lang", LANGS)
def test_a_treasury_reads_a_statement_and_may_not_sign_settle_or_reopen(
    context: BrowserContext, web_app: WebApp, lang: str
) -> None:
    (run,) = runs_of(web_app, "2012Q1")
    page = sign_in(context, web_app, "ven-treasury", lang)
    page.goto(f"{web_app.url}/settlement?year=2012")
    assert page.locator("#period").count() == 0  # no settle form
    assert page.locator("#runs button").count() == 0  # no sign button
    page.goto(url(web_app, run))
    assert_figures(page, run, lang)
    assert page.locator("#sign, #reopen").count() == 0
    with page.expect_navigation():
        page.click("#fig-1-cash")  # a treasury drills down too
    cash = Decimal(run.statement["directions"][1]["cash_paid"])
    assert page.inner_text("#total").startswith(Formats(lang).money(cash, run.currency))
    assert_accessible(page)
    token = form_token(page)
    for tail in ("/sign", "/reopen"):
        refused = page.request.post(url(web_app, run, tail), form={"form_token": token})
        assert refused.status == 403
    settle = page.request.post(
        f"{web_app.url}/settlement/settle", form={"form_token": token, "period": "2012Q1"}
    )
    assert settle.status == 403
    assert signoffs_of(web_app, run.id) == [] and runs_of(web_app, "2012Q1") == [run]


@pytest.mark.parametrize("lang", LANGS)
def test_the_auditor_drills_down_from_a_figure_to_a_transaction(
    context: BrowserContext, web_app: WebApp, tmp_path: Path, lang: str
) -> None:
    (run,) = runs_of(web_app, "2011Q4")
    fmt = Formats(lang)
    page = sign_in(context, web_app, "auditor", lang)
    page.goto(f"{web_app.url}/settlement")
    assert_accessible(page)
    screenshot(page, f"settlement-list-{lang}", tmp_path)
    ticks = page.locator("figure.chart-figure svg text.value").all_text_contents()
    # The axis reads in the page's locale, shortened (the table beside it is exact).
    assert ticks and all(COMPACT[lang].fullmatch(label) for label in ticks), ticks
    assert any(label[-1].isalpha() for label in ticks), ticks  # millions, thousands…
    page.select_option("#year", "2011")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    periods = page.locator("#runs tbody th[scope=row] a").all_inner_texts()
    assert periods == ["2011Q4", "2011Q3", "2011Q2", "2011Q1"]
    with page.expect_navigation():
        page.click("#runs a:text-is('2011Q4')")
    if lang == "es":  # once, at a phone's width
        page.set_viewport_size({"width": 390, "height": 844})
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert_accessible(page)
        page.set_viewport_size({"width": 1280, "height": 900})
    with page.expect_navigation():
        page.click("#fig-1-offset")
    offset = run.statement["directions"][1]["offset"]
    assert page.inner_text("#stated") == fmt.money(Decimal(offset), run.currency)
    assert page.inner_text("#total").startswith(fmt.money(Decimal(offset), run.currency))
    link = page.locator("#lines tbody a[href^='/ledger/transactions/']").first
    txn = link.inner_text()
    assert txn in run.transactions
    with page.expect_navigation() as went:
        link.click()
    answer = went.value
    assert answer is not None and answer.status == 200
    assert txn in page.inner_text("main")


@pytest.mark.parametrize("lang", LANGS)
def test_the_public_reads_a_settled_statement_without_drill_down(
    context: BrowserContext, web_app: WebApp, lang: str
) -> None:
    (run,) = runs_of(web_app, "2013Q1")
    page = context.new_page()
    page.goto(url(web_app, run, f"?lang={lang}"))
    assert_figures(page, run, lang)
    assert page.locator("main a[href*='/figures/'], main a[href*='/ledger/']").count() == 0
    assert page.locator("#sign, #reopen, #signoffs").count() == 0
    citation = page.inner_text("#citation")
    assert run.id in citation and "petrocaribe-2008" in citation
    assert page.inner_text("#cite-url") == url(web_app, run)
    page.goto(url(web_app, run, "/figures/offset?direction=0"))
    assert "/signin" in page.url
    answer = page.request.get(url(web_app, run, "/statement.html"))
    assert answer.status == 200
    assert answer.headers["content-security-policy"] == FILE_POLICY
    assert answer.headers["content-disposition"].startswith("attachment;")
    body = answer.text()
    assert "<style>" in body and ".statement-document" in body
    for outside in ("<script", "<link", "src=", "href=", "url("):
        assert outside not in body
    assert run.id in body and run.statement["net"]["creditor"] in body
    signed = runs_of(web_app, SIGNED[lang])[0]  # signed or not yet: as the API says
    published = page.request.get(f"{web_app.url}/api/v1/settlements/runs/{signed.id}/signoffs")
    assert published.status == 200
    page.goto(url(web_app, signed, f"?lang={lang}"))
    said = published.json()
    done = [signoffs.Signoff(signed.id, **s) for s in said["signoffs"]]
    # The page says what the API publishes, the signers' logins included (whether or not
    # the signing test has run yet: this one reads either state).
    awaiting = SAID[lang]["and"].join(said["awaiting"])
    shown = page.inner_text("#signature-status").strip()
    if done:
        assert shown == signed_text(lang, done, awaiting)
    else:
        assert said["awaiting"] and shown == AWAITING[lang].format(awaiting)


def test_a_commission_reopens_a_period_and_settles_it_again(
    context: BrowserContext, web_app: WebApp
) -> None:
    before = {(r.party_a, r.party_b): r for r in runs_of(web_app, "2003Q2")}
    run = before["CUB", "VEN"]
    page = sign_in(context, web_app, "ven-commission", "es")
    page.goto(url(web_app, run))
    page.click("details.reopen summary")
    with page.expect_navigation():
        page.click("#reopen")
    after = {(r.party_a, r.party_b): r for r in runs_of(web_app, "2003Q2")}
    assert set(after) == set(before)  # every pair of the period, settled again
    for pair, new in after.items():
        assert new.generation == before[pair].generation + 1
    replaced = after["CUB", "VEN"]
    assert page.url.endswith(f"/settlement/runs/{replaced.id}?done=reopened")
    assert run.id in page.inner_text("main")  # "This run replaced …"
    assert_figures(page, replaced, "es")
    page.goto(url(web_app, run))
    assert page.locator("#reopened a").get_attribute("href") == f"/settlement/runs/{replaced.id}"

    page.goto(f"{web_app.url}/settlement?lang=en")
    page.fill("#period", "2003Q2")
    with page.expect_navigation():
        page.click("form.settle-form button[type=submit]")
    assert "Nothing new" in page.inner_text("main")
    assert runs_of(web_app, "2003Q2") == list(after.values())
    page.goto(f"{web_app.url}/settlement")
    page.fill("#period", "2003Q5")
    with page.expect_navigation() as went:
        page.click("form.settle-form button[type=submit]")
    answer = went.value
    assert answer is not None and answer.status == 422
    assert page.get_attribute("#period", "aria-invalid") == "true"
    assert page.get_attribute("#period", "value") == "2003Q5"
    assert "invalid period '2003Q5'" in page.inner_text("#period-error")
