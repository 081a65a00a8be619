"""Deliveries and financing in a real browser: the auditor filters deliveries and opens an
invoice, its split and a ledger transaction, and a settlement's claims with the
transactions that recorded them; the tranches and their debt service; a treasury
records a payment, and the other party's treasury may not record it for it; the
coordinator is refused. Every figure expected is computed here, through the services
on the served store, and formatted with `Formats(lang)`.

The payments written are this module's own (``WEB-PAY-ES-1``, ``WEB-PAY-EN-1``), dated in
January 2016, after the demo's last settled period: no settled run changes.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import BrowserContext, Locator, Page
from sqlalchemy import select

from convenio.financing import series_from_points, split_invoice, value_delivery
from convenio.financing.claims import Payment
from convenio.services import financing, ledger
from convenio.store.tables import transactions
from convenio.web.i18n import Formats
from tests.web.harness import WebApp, assert_accessible, reading, screenshot, sign_in

LANGUAGES = pytest.mark.parametrize("lang", ["es", "en"])
AS_OF = date(2015, 12, 31)  # the demo's last settled day, given: other groups may settle more


def _scaled(minor: int, scale: int) -> Decimal:
    return Decimal(minor).scaleb(-scale)


def _texts(where: Page | Locator, selector: str) -> list[str]:
    return [t.strip() for t in where.locator(selector).all_inner_texts()]


@LANGUAGES
def test_the_auditor_filters_deliveries_opens_an_invoice_and_its_transaction(
    context: BrowserContext, web_app: WebApp, lang: str, tmp_path: Path
) -> None:
    fmt = Formats(lang)
    with reading(web_app) as uow:
        scales = ledger.unit_scales(uow)
        agreement = financing.current_agreement(uow)
        crude = [(d, v, c) for d, v, c in uow.financing.deliveries() if d.item == "crude"]
        chosen = next(d for d, _, _ in crude if d.date.year == 2003 and d.date.month == 5)
        series = dict(series_from_points(uow.financing.prices())[0])
    quantity = sum(d.quantity for d, _, _ in crude)
    value = sum(v for _, v, _ in crude)

    page = sign_in(context, web_app, "auditor", lang)
    page.goto(f"{web_app.url}/financing")
    assert_accessible(page)
    screenshot(page, f"financing-deliveries-{lang}", tmp_path)

    page.select_option("#product", "crude")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    assert _texts(page, "[data-total=quantity]") == [fmt.quantity(_scaled(quantity, 3), "bbl")]
    assert _texts(page, "[data-total=value]") == [fmt.money(_scaled(value, 2), "USD")]
    assert fmt.number(len(crude)) in page.inner_text("#matching")

    page.fill("#month", "2003-05")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    assert "month=2003-05" in page.url and "product=crude" in page.url
    rows = page.locator("table.deliveries tbody tr")
    assert rows.count() == 1
    worth = next(v for d, v, _ in crude if d.delivery_id == chosen.delivery_id)
    assert _texts(page, "[data-total=value]") == [fmt.money(_scaled(worth, 2), "USD")]

    # The invoice: its split is the engine's, from the prices and the terms.
    valuation = value_delivery(chosen, agreement, series)
    invoice = split_invoice(valuation, chosen, agreement.version(valuation.version_id))
    assert invoice.financed > 0
    with page.expect_navigation():
        rows.locator("a").first.click()
    assert page.inner_text("h1").endswith(chosen.delivery_id)
    scale = scales["USD"]
    figure = {
        "value": fmt.money(_scaled(invoice.value, scale), "USD"),
        "short-term": fmt.money(_scaled(invoice.short_term, scale), "USD"),
        "financed": fmt.money(_scaled(invoice.financed, scale), "USD"),
        "share": fmt.percent(invoice.share),
    }
    for name, expected in figure.items():
        assert expected in page.inner_text(f"[data-figure={name}]"), name
    assert page.locator("table.bands tr.applied").count() == 1
    assert fmt.percent(invoice.share) in page.inner_text("table.bands tr.applied")
    assert page.locator(".status.good").count() == 1  # the engine agrees with the record
    assert_accessible(page)
    screenshot(page, f"financing-invoice-{lang}", tmp_path)

    # Its ledger transaction: the chain hash and log entry are the store's.
    txn_id = f"dlv:{chosen.delivery_id}:value"
    with page.expect_navigation():
        page.click(f"ul.transactions a:has-text('{txn_id}')")
    with reading(web_app) as uow:
        recorded = ledger.transaction(uow, txn_id)
        assert recorded is not None
        index = uow.log.locate("txn", recorded.seq)
    assert page.inner_text("[data-figure=hash]") == recorded.hash
    assert page.inner_text("[data-figure=log-index]") == fmt.number(index or 0)
    assert chosen.delivery_id in page.inner_text("ul.belongs")
    assert_accessible(page)

    # The ledger's first settlement: each claim it settled names the transaction that
    # recorded it (a delivery's value transaction: the tranche's delivery's for an
    # installment or interest, the claim's own delivery's otherwise).
    with reading(web_app) as uow:
        t = transactions.c
        settled, source = uow.connection.execute(
            select(t.id, t.source).where(t.kind == "settlement").order_by(t.seq).limit(1)
        ).one()
        claims = uow.financing.claims_by_id(source.split(","))
    recorded_by = [
        f"dlv:{claim.source if of_tranche is None else of_tranche}:value"
        for cid in source.split(",")
        if cid in claims
        for claim, of_tranche in [claims[cid]]
    ]
    page.goto(f"{web_app.url}/ledger/transactions/{quote(settled, safe=':/')}")
    assert recorded_by and _texts(page, "[data-figure=recorded-by]") == recorded_by
    assert_accessible(page)


@LANGUAGES
def test_the_tranches_their_debt_service_and_a_schedule(
    context: BrowserContext, web_app: WebApp, lang: str, tmp_path: Path
) -> None:
    fmt = Formats(lang)
    with reading(web_app) as uow:
        tranches = financing.tranches(uow)
    years: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for t in tranches:
        for row in t.schedule.installments:
            if row.due > AS_OF:
                years[row.due.year][0] += row.principal
                years[row.due.year][1] += row.interest
    expected = [
        [str(year), *(fmt.money(_scaled(v, 2), "USD") for v in (p, i, p + i))]
        for year, (p, i) in sorted(years.items())
    ]

    page = sign_in(context, web_app, "auditor", lang)
    page.goto(f"{web_app.url}/financing/tranches?as_of={AS_OF.isoformat()}")
    assert page.locator("svg.chart rect.bar").count() == len(expected)
    page.click("details.chart-table summary")
    shown = [_texts(row, "td") for row in page.locator("details.chart-table tbody tr").all()]
    assert shown == expected
    assert page.locator("table.tranches tbody tr").count() == len(tranches)
    assert_accessible(page)
    screenshot(page, f"financing-tranches-{lang}", tmp_path)

    lent = next(t for t in tranches if t.schedule.maturity > AS_OF)
    with page.expect_navigation():
        page.click(f"table.tranches a:text-is('{lent.id}')")
    rows = page.locator("table.schedule tbody tr")
    assert rows.count() == len(lent.schedule.installments)
    last = lent.schedule.installments[-1]
    cells = _texts(rows.last, "td")
    assert cells[0] == fmt.date(last.due)
    assert cells[2] == fmt.money(_scaled(last.interest, 2), "USD")
    assert fmt.money(_scaled(lent.principal, 2), "USD") in page.inner_text(
        "[data-figure=principal]"
    )
    assert_accessible(page)


def _fill_payment(page: Page, payment_id: str, day: str, amount: str) -> None:
    page.fill("#payment_id", payment_id)
    page.fill("#date", day)
    page.fill("#amount", amount)
    page.fill("#reference", "web form test")


def _stored_payment(app: WebApp, payment_id: str) -> Payment | None:
    with reading(app) as uow:
        found = uow.financing.payments_in(date(2016, 1, 1), date(2016, 1, 31))
    return next((p for p in found if p.id == payment_id), None)


PAYMENT = {  # id, date, the amount as each language writes 250 000.50 USD
    "es": ("WEB-PAY-ES-1", "2016-01-28", "250.000,50"),
    "en": ("WEB-PAY-EN-1", "2016-01-29", "250,000.50"),
}


@LANGUAGES
def test_a_treasury_records_a_payment_through_the_form(
    context: BrowserContext, web_app: WebApp, lang: str, tmp_path: Path
) -> None:
    fmt = Formats(lang)
    payment_id, day, amount = PAYMENT[lang]
    page = sign_in(context, web_app, "ven-treasury", lang)
    page.goto(f"{web_app.url}/financing/payments")
    assert _texts(page, "#payer option") == ["VEN", "VEN.PDVSA"]
    assert page.input_value("#payer") == "VEN.PDVSA"  # who settles for VEN
    assert page.input_value("#payee") == "CUB.BNC"

    # Bad input: each problem on its field, and nothing written.
    _fill_payment(page, payment_id, "2016-13-40", "12,3,4")
    with page.expect_navigation():
        page.click("form.payment button[type=submit]")
    assert page.get_attribute("#date", "aria-invalid") == "true"
    assert page.get_attribute("#amount", "aria-invalid") == "true"
    assert page.get_attribute("#payment_id", "aria-invalid") is None
    assert "2016-13-40" in page.inner_text("#date-error")
    assert "12,3,4" in page.inner_text("#amount-error")
    assert page.input_value("#amount") == "12,3,4"  # the values are kept
    assert_accessible(page)
    assert _stored_payment(web_app, payment_id) is None

    # Good input: recorded, listed, and stored as the loader reads it.
    _fill_payment(page, payment_id, day, amount)
    with page.expect_navigation():
        page.click("form.payment button[type=submit]")
    assert "recorded=" in page.url
    assert payment_id in page.inner_text("#recorded")
    row = page.locator(f"tr[data-payment='{payment_id}']")
    assert fmt.money(Decimal("250000.50"), "USD") in row.inner_text()
    assert fmt.date(date.fromisoformat(day)) in row.inner_text()
    stored = _stored_payment(web_app, payment_id)
    assert stored == Payment(
        payment_id, "VEN.PDVSA", "CUB.BNC", 25_000_050, "USD", date.fromisoformat(day),
        "web form test",
    )  # fmt: skip
    screenshot(page, f"financing-payment-{lang}", tmp_path)
    if lang == "es":  # once, at a phone's width: no page-wide horizontal scroll
        page.set_viewport_size({"width": 390, "height": 844})
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert_accessible(page)


@LANGUAGES
def test_the_other_partys_treasury_may_not_record_its_payment(
    context: BrowserContext, web_app: WebApp, lang: str
) -> None:
    payment_id, day, amount = PAYMENT[lang]
    before = _stored_payment(web_app, payment_id)  # the VEN treasury's, if recorded yet
    page = sign_in(context, web_app, "cub-treasury", lang)
    page.goto(f"{web_app.url}/financing/payments")
    assert "VEN.PDVSA" not in _texts(page, "#payer option")
    # The form offers CUB's agencies only: a forged choice reaches the server's scope check.
    page.evaluate(
        """() => {
        const payer = document.querySelector('#payer');
        payer.add(new Option('VEN.PDVSA', 'VEN.PDVSA', true, true));
        const payee = document.querySelector('#payee');
        payee.add(new Option('CUB.BNC', 'CUB.BNC', true, true));
        }"""
    )
    _fill_payment(page, payment_id, day, amount)
    with page.expect_navigation() as answer:
        page.click("form.payment button[type=submit]")
    assert answer.value is not None and answer.value.status == 403
    assert page.get_attribute("#payer", "aria-invalid") == "true"
    assert "cub-treasury may not act for VEN.PDVSA" in page.inner_text("#payer-error")
    assert page.locator("#problems").is_visible()
    assert _stored_payment(web_app, payment_id) == before


@LANGUAGES
def test_the_coordinator_is_refused_the_financing_pages(
    context: BrowserContext, web_app: WebApp, lang: str
) -> None:
    page = sign_in(context, web_app, "zulia-coordinator", lang)
    answer = page.goto(f"{web_app.url}/financing")
    assert answer is not None and answer.status == 403
    assert "/financing" not in [a.get_attribute("href") for a in page.locator("header a").all()]
    answer = page.goto(f"{web_app.url}/ledger/transactions/dlv:oil-2003-05-crude:value")
    assert answer is not None and answer.status == 403
