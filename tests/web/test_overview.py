"""The overview page in a real browser against `convenio serve` over the demo: who owes
whom and by what (equal to every party's statement, `convenio statement`), the position
by quarter (its table equal to the series), the next installments, the ledger's state
and the checkpoint; each role sees what it may (tests/web/harness.py)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page

from convenio.auth import Action, Principal, Role
from convenio.services import log
from convenio.services.financing import current_agreement
from convenio.services.overview import overview
from convenio.services.settlement import party_statement
from convenio.store.ledger_repo import from_micros
from convenio.terms import state_of
from convenio.web.i18n import Formats, translations
from tests.web.harness import PEOPLE, WebApp, assert_accessible, screenshot, sign_in

KINDS = {"short-term": "short-term", "interest": "interest", "late-interest": "interest",
         "services": "services", "goods": "services", "financed": "due"}  # fmt: skip
"""Claim types as the overview groups them; an installment due is within the principal."""
AUDITOR = Principal("auditor", Role.AUDITOR)


def _(lang: str, text: str) -> str:
    return translations(lang).gettext(text)


def owes(lang: str, debtor: str, creditor: str) -> str:
    return _(lang, "%(debtor)s owes %(creditor)s") % {"debtor": debtor, "creditor": creditor}


def settled_through(app: WebApp) -> date:
    store = app.store()
    try:
        with store.unit_of_work() as uow:
            return max(end for _, _, end, _, _ in uow.financing.settled_periods())
    finally:
        store.close()


def expected_debts(app: WebApp, day: date) -> dict[tuple[str, str], dict[str, Decimal]]:
    """What each debtor owes each creditor on `day`, by kind (``due``: the installments due,
    within ``principal``): every party's statement's payable rows (each debt is its
    debtor's payable once), as `convenio statement` says."""
    found: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    store = app.store()
    try:
        with store.unit_of_work() as uow:
            for party in current_agreement(uow).parties:
                statement = party_statement(uow, party.code, day)
                for row in statement["claims"]:
                    if row["direction"] == "payable":
                        pair = (party.code, row["counterparty"])
                        found[pair][KINDS[row["type"]]] += Decimal(row["outstanding"])
                for section, kind, field in (
                    ("tranche_principal", "principal", "outstanding"),
                    ("accrued_interest_not_due", "interest", "amount"),
                ):
                    for row in statement[section]:
                        if row["direction"] == "payable":
                            found[party.code, row["counterparty"]][kind] += Decimal(row[field])
    finally:
        store.close()
    return found


def net_text(lang: str, debts: dict[tuple[str, str], dict[str, Decimal]]) -> str:
    """The net card's figure of the two states: ``VEN owes CUB 1,234.00 USD``."""
    by_state: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for (debtor, creditor), kinds in debts.items():
        by_state[state_of(debtor), state_of(creditor)] += total(kinds)
    diff = by_state["CUB", "VEN"] - by_state["VEN", "CUB"]
    debtor, creditor = ("CUB", "VEN") if diff > 0 else ("VEN", "CUB")
    return f"{owes(lang, debtor, creditor)} {Formats(lang).money(abs(diff), 'USD')}"


def cells(page: Page, rows: str) -> list[list[str]]:
    """The text of each cell (``th`` and ``td``) of the rows `rows` selects, in one read
    (also of a table in a closed disclosure, which is not rendered)."""
    found: list[list[str]] = page.eval_on_selector_all(
        rows, "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))"
    )
    return found


def check_debts(page: Page, lang: str, debts: dict[tuple[str, str], dict[str, Decimal]]) -> None:
    fmt = Formats(lang)
    shown = {tuple(row[0].split(" → ")): row[1:] for row in cells(page, "#debts tbody tr")}
    assert set(shown) == {pair for pair, kinds in debts.items() if total(kinds)}
    for pair, row in shown.items():
        kinds = debts[pair]
        due = kinds.get("due", Decimal(0))
        said = _(lang, "of which due: %(amount)s") % {"amount": fmt.money(due, "USD")}
        amounts = [kinds.get(k, Decimal(0)) for k in ("short-term", "principal", "interest")]
        amounts += [kinds.get("services", Decimal(0)), total(kinds)]
        expected = [fmt.money(a, "USD") for a in amounts]
        expected[1] += said if due else ""
        assert row == expected, pair


def total(kinds: dict[str, Decimal]) -> Decimal:
    return sum((v for k, v in kinds.items() if k != "due"), Decimal(0))


def check_chart_table(page: Page, app: WebApp, lang: str, who: Principal, day: date) -> None:
    """The chart's table holds the series, and ends at the day's position."""
    fmt = Formats(lang)
    store = app.store()
    try:
        with store.unit_of_work() as uow:
            (series,) = overview(uow, who, day).series
    finally:
        store.close()
    table = "#position-usd-caption ~ details table"
    (headers,) = cells(page, f"{table} thead tr")
    assert headers[1:3] == [owes(lang, d, c) for d, c in series.directions]
    rows = cells(page, f"{table} tbody tr")
    assert len(rows) == len(series.days)
    for j, row in enumerate(rows):
        assert row[1:3] == [fmt.money(values[j], "USD") for values in series.owed]
    assert rows[-1][0] == day.isoformat() or rows[-1][0].endswith(("Q1", "Q2", "Q3", "Q4"))


@pytest.mark.parametrize(("login", "lang"), [("auditor", "es"), ("ven-commission", "en")])
def test_a_reader_of_every_party_sees_who_owes_whom_and_by_what(
    context: BrowserContext, web_app: WebApp, tmp_path: Path, login: str, lang: str
) -> None:
    page = sign_in(context, web_app, login, lang)
    page.goto(f"{web_app.url}/overview")
    day = settled_through(web_app)
    fmt = Formats(lang)
    assert page.inner_text("h1") == _(lang, "Overview")
    assert fmt.date(day, "long") in page.inner_text("#as-of")
    assert page.locator(".scope").count() == 0  # every party's figures
    debts = expected_debts(web_app, day)
    assert {state_of(d) for d, _c in debts} == {"CUB", "VEN"}
    check_debts(page, lang, debts)
    assert page.inner_text("#net-CUB-VEN-USD .figure") == net_text(lang, debts)
    check_chart_table(page, web_app, lang, AUDITOR, day)
    store = web_app.store()
    try:
        with store.unit_of_work() as uow:
            head = uow.ledger.head()
            size, _root = uow.log.head()
            signed = log.latest_checkpoint(uow, 2)
            verified = uow.auth.last_audit_entry(["/audit/verify", "/api/v1/ledger/verify"])
            dues = sorted(
                (row.due, t.id) for t in uow.financing.tranches()
                for row in t.schedule.installments if row.due > day
            )  # fmt: skip
    finally:
        store.close()
    first = cells(page, "#installments tbody tr")[0]
    assert first[0] == fmt.date(dues[0][0]) and first[1].startswith(dues[0][1])
    assert page.inner_text("#transactions") == fmt.number(head.seq)
    assert page.inner_text("#head-hash").startswith(head.hash[:16])
    assert fmt.number(size) in page.inner_text("#log-size")
    if verified is None:  # the audit page's test may have verified from the web before
        assert page.inner_text("#last-verification") == _(lang, "not verified from the web yet")
    else:
        shown, moment = page.inner_text("#last-verification"), fmt.moment(from_micros(verified.at))
        role, party, _unit = PEOPLE[login]
        if Principal(login, Role(role), party=party).may(Action.READ_AUDIT):
            assert shown == f"{moment} · {verified.login} · {verified.summary}"
        else:  # who verified, and what, is the audit trail's: a commission sees when only
            assert shown == moment
    if signed is None:
        assert page.inner_text("#checkpoint") == _(
            lang, "No checkpoint signed by both parties yet."
        )
    assert_accessible(page)
    screenshot(page, f"overview-{lang}", tmp_path)
    # Another day, through the form: the statements of that day.
    page.fill("#as_of", "2011-12-31")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    assert "as_of=2011-12-31" in page.url
    earlier = expected_debts(web_app, date(2011, 12, 31))
    check_debts(page, lang, earlier)
    assert page.inner_text("#net-CUB-VEN-USD .figure") == net_text(lang, earlier)


@pytest.mark.parametrize(("login", "party", "lang"), [("ven-treasury", "VEN", "es"),
                                                      ("cub-treasury", "CUB", "en")])  # fmt: skip
def test_a_treasury_sees_its_own_partys_position(
    context: BrowserContext, web_app: WebApp, login: str, party: str, lang: str
) -> None:
    page = sign_in(context, web_app, login, lang)
    if lang == "es":
        page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{web_app.url}/overview")
    day = settled_through(web_app)
    assert party in page.inner_text(".scope")
    debts = {
        pair: kinds
        for pair, kinds in expected_debts(web_app, day).items()
        if party in {state_of(pair[0]), state_of(pair[1])}
    }
    check_debts(page, lang, debts)
    who = Principal(login, Role.TREASURY, party=party)
    check_chart_table(page, web_app, lang, who, day)
    for row in cells(page, "#installments tbody tr"):
        assert party in {state_of(p.strip()) for p in row[2].split("→")}
    if lang == "es":
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page)


@pytest.mark.parametrize(("login", "lang"), [("zulia-coordinator", "es"), ("admin", "en")])
def test_roles_that_do_not_read_the_ledger_are_refused(
    context: BrowserContext, web_app: WebApp, login: str, lang: str
) -> None:
    public = context.new_page()
    public.goto(f"{web_app.url}/overview?lang={lang}")
    assert "/signin?next=/overview" in public.url
    page = sign_in(context, web_app, login, lang)
    answer = page.goto(f"{web_app.url}/overview")
    assert answer is not None and answer.status == 403
    assert page.inner_text("h1") == _(lang, "Not allowed")
    assert page.locator("header nav a[href='/overview']").count() == 0
