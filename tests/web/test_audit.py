"""The audit page in a real browser against ``convenio serve`` over the demo: the
coordinator saves a month of data, the auditor finds that save in the trail through the
filter (user, days, method, route) as the services record it, and verifies the ledger
from the page — the report is the one `services.ledger.verify` gives in the test, and
the verification, having passed, is recorded in the trail; an administrator reads the
trail without the button (and is refused the verification), a treasury is refused the
page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final
from urllib.parse import urlencode

import pytest
from playwright.sync_api import BrowserContext

from convenio.auth import AuditEntry
from convenio.services import access, ledger
from convenio.store.ledger_repo import from_micros
from convenio.web.i18n import Formats
from tests.web.harness import WebApp, assert_accessible, reading, screenshot, sign_in

COORDINATOR: Final = "zulia-coordinator"
SITE: Final = "VE-V-05-CDI"  # where the coordinator saves before the auditor looks
MONTH: Final = {"es": "2016-01", "en": "2016-02"}
VERIFIED: Final = {"es": "Verificado", "en": "Verified"}


def last_entry_save(app: WebApp) -> tuple[AuditEntry, str]:
    """The coordinator's newest save of the entry form, and its stored hash."""
    with reading(app) as uow:
        saves = [e for e in access.audit_entries(uow, COORDINATOR) if e.route == "/entry"]
        hashes = {e.seq: h for e, h in uow.auth.iter_audit() if e.seq == saves[-1].seq}
    return saves[-1], hashes[saves[-1].seq]


@pytest.mark.parametrize("lang", ["es", "en"])
def test_the_auditor_finds_a_save_in_the_trail_and_verifies_the_ledger(
    context: BrowserContext, web_app: WebApp, tmp_path: Path, lang: str
) -> None:
    fmt = Formats(lang)
    query = urlencode({"dataSet": "BA_MONTHLY", "orgUnit": SITE, "period": MONTH[lang]})
    page = sign_in(context, web_app, COORDINATOR, lang, next=f"/entry?{query}")
    page.fill("#cell-CONSULT--A0_14", "7")
    page.fill("#cell-CONSULT--A15P", "9")
    with page.expect_navigation():
        page.click("form.entry-grid button[type=submit]")
    saved, digest = last_entry_save(web_app)
    day = from_micros(saved.at).date().isoformat()

    page = sign_in(context, web_app, "auditor", lang, next="/audit")
    page.select_option("#user", COORDINATOR)
    page.fill("#since", day)
    page.fill("#until", day)
    page.select_option("#method", "POST")
    page.fill("#route", "/entry")
    with page.expect_navigation():
        page.click("#filters button[type=submit]")
    first = page.locator("table.trail tbody tr").first
    assert first.get_attribute("id") == f"entry-{saved.seq}"
    cells = first.locator("td").all_inner_texts()
    assert cells[0] == str(saved.seq)
    assert cells[1] == fmt.moment(from_micros(saved.at))
    assert cells[2].startswith(COORDINATOR)
    assert cells[3:6] == [f"POST {saved.route}", "200", saved.summary]
    assert saved.summary.endswith(": 2 added, 0 updated, 0 deleted")
    assert cells[7] == digest[:16] + "…"
    assert_accessible(page)

    with reading(web_app) as uow:
        report = ledger.verify(uow)  # what the page must find: the record as it is now
    page.click("#verify")
    page.wait_for_selector("#verify-result .verified")
    assert page.inner_text("#verify-result .verified") == VERIFIED[lang]
    assert page.inner_text("#head-hash") == report.head_hash
    assert page.inner_text("#transactions") == fmt.number(report.transactions)
    assert fmt.number(report.head_seq) in page.inner_text("#verify-result dd")
    assert page.inner_text("#log-root") == report.log_root
    assert fmt.number(report.log_size) in page.inner_text("#verify-result")
    assert page.inner_text("#audit-head") == report.audit_head
    assert fmt.number(report.audit_entries) in page.inner_text("#verify-result")
    with reading(web_app) as uow:
        after = ledger.verify(uow)
        recorded = uow.auth.last_audit_entry(["/audit/verify"])
    # It passed, so it is recorded: one audit entry more (and its log entry), its own.
    assert (after.audit_entries, after.log_size) == (report.audit_entries + 1, report.log_size + 1)
    assert recorded is not None and (recorded.login, recorded.status) == ("auditor", 200)
    assert recorded.summary == (
        f"verified: {report.transactions} transactions (head {report.head_hash[:16]}), log of "
        f"{report.log_size} entries (root {report.log_root}), {report.audit_entries} audit entries"
    )
    screenshot(page, f"audit-{lang}", tmp_path)


def test_an_admin_reads_the_trail_without_verifying_and_a_treasury_is_refused(
    context: BrowserContext, web_app: WebApp
) -> None:
    page = sign_in(context, web_app, "admin", "en", next="/audit")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.locator("table.trail").count() == 1
    assert page.locator("#verify").count() == 0
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    token = page.get_attribute("header input[name=form_token]", "value")
    refused = page.request.post(f"{web_app.url}/audit/verify", form={"form_token": token or ""})
    assert refused.status == 403

    page = sign_in(context, web_app, "ven-treasury", "en", next="/overview")
    answer = page.goto(f"{web_app.url}/audit")
    assert answer is not None and answer.status == 403
