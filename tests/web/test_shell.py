"""The frame every page shares: signing in and out, the language, refusals, the assets.

In a real browser against `convenio serve` over the demo (tests/web/harness.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext

from tests.web.harness import Recorder, WebApp, assert_accessible, screenshot, sign_in


def test_the_public_lands_on_the_public_page_and_is_asked_to_sign_in(
    context: BrowserContext, web_app: WebApp
) -> None:
    page = context.new_page()
    page.goto(f"{web_app.url}/audit")
    assert "/signin?next=/audit" in page.url
    assert page.get_attribute("html", "lang") == "es"
    assert page.inner_text("h1") == "Iniciar sesión"
    assert_accessible(page)


def test_a_wrong_password_is_refused_in_the_readers_language(
    context: BrowserContext, web_app: WebApp
) -> None:
    page = context.new_page()
    page.goto(f"{web_app.url}/signin?lang=en")
    page.fill("#login", "auditor")
    page.fill("#password", "not the password at all")
    page.click("form[action='/signin'] button[type=submit]")
    assert "The login or the password is wrong." in page.inner_text("[role=alert]")
    assert page.get_attribute("#login", "value") == "auditor"


def test_sign_in_switch_language_and_sign_out(
    context: BrowserContext, web_app: WebApp, tmp_path: Path
) -> None:
    page = sign_in(context, web_app, "auditor", "es")
    assert "auditor · auditoría" in page.inner_text("header")
    page.click("a[hreflang=en]")
    assert page.get_attribute("html", "lang") == "en"
    assert "auditor · auditor" in page.inner_text("header")
    screenshot(page, "shell-en", tmp_path)
    page.click("header button:has-text('Sign out')")
    assert page.url.endswith("/public")
    page.goto(f"{web_app.url}/audit")
    assert "/signin" in page.url  # the token was revoked with the cookie


def test_a_form_from_another_page_is_refused(context: BrowserContext, web_app: WebApp) -> None:
    page = sign_in(context, web_app, "auditor")
    answer = page.request.post(f"{web_app.url}/signout", form={"form_token": "forged"})
    assert answer.status == 403


EXPECTED_NAVIGATION = {
    # What each role's header offers: the pages its role may see (principal.py's table).
    None: ["/missions", "/public"],
    "admin": ["/missions", "/audit", "/public"],
    "ven-commission": ["/overview", "/settlement", "/financing", "/missions", "/public"],
    "ven-treasury": ["/overview", "/settlement", "/financing", "/missions", "/public"],
    "zulia-coordinator": ["/missions", "/entry", "/public"],
    "auditor": ["/overview", "/settlement", "/financing", "/missions", "/audit", "/public"],
}
EVERY_PAGE = ["/overview", "/settlement", "/financing", "/missions", "/entry", "/audit", "/public"]


@pytest.mark.parametrize("login", list(EXPECTED_NAVIGATION), ids=str)
def test_every_role_reaches_its_pages_only_and_nothing_leaves_the_server(
    context: BrowserContext, web_app: WebApp, recorder: Recorder, login: str | None
) -> None:
    """Each role's header links answer 200, every other page 403 (or sign-in for the
    public), and — checked by the `context` fixture for every test — no page asked a
    host other than the server for anything."""
    page = context.new_page() if login is None else sign_in(context, web_app, login)
    page.goto(f"{web_app.url}/public")
    offered = page.eval_on_selector_all(
        "header nav[aria-label] ul a", "links => links.map(a => a.getAttribute('href'))"
    )
    assert offered == EXPECTED_NAVIGATION[login]
    for path in EVERY_PAGE:
        answer = page.goto(f"{web_app.url}{path}")
        assert answer is not None
        if path in offered:
            assert answer.status == 200, (login, path)
        elif login is None:
            assert "/signin?next=" in page.url, path
        else:
            assert answer.status == 403, (login, path)
    assert recorder.urls and not recorder.foreign(web_app.host)
