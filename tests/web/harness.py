"""The web application's test harness: the demo on a real server, a real browser.

- `web_app` (session): the demo (`convenio demo`, built once per session and copied),
  one user per role of `PEOPLE` (password `PASSWORD`), served by a real ``convenio
  serve`` on a free loopback port.
- `browser` (session): Debian's Chromium (``/usr/bin/chromium``) driven by Playwright;
  without it the test is skipped with the reason — failed under ``CI=true``.
- `context` (per test): a fresh browser context (no cookies) that records every request
  its pages make; at the end of the test every request must have gone to the server's
  own host (no CDN, no font service, nothing else).
- `sign_in(context, app, person, language, next=None)` → a page signed in through the
  sign-in form, on the role's first page or, given `next`, on that path.
- `reading(app)`: a read-only unit of work on the served store (the store closed after).
- `assert_accessible(page)`: axe-core (from the npm registry: ``.ci/run`` installs it in
  ``.cache/npm``; the context loads it into every page) finds no serious or critical
  violation on the page.
- `screenshot(page, name)`: the page's first screen as PNG, into
  ``$CONVENIO_SCREENSHOTS`` when set (the docs' screenshots:
  ``CONVENIO_SCREENSHOTS=docs/screenshots .venv/bin/pytest tests/web``), else into the
  test's temporary directory.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

import tests.api.conftest  # noqa: F401  (it imports tests.api.live last: load it first)
from convenio.services import access
from convenio.store import Store, UnitOfWork
from tests.api.live import serve
from tests.conftest import skip_unless_ci

__all__ = [
    "PASSWORD",
    "PEOPLE",
    "Recorder",
    "WebApp",
    "assert_accessible",
    "axe_violations",
    "reading",
    "screenshot",
    "sign_in",
]

ROOT: Final = Path(__file__).resolve().parents[2]
CHROMIUM: Final = Path("/usr/bin/chromium")
AXE: Final = Path(
    os.environ.get("CONVENIO_AXE", ROOT / ".cache/npm/node_modules/axe-core/axe.min.js")
)
PASSWORD: Final = "a long enough password"
PEOPLE: Final[dict[str, tuple[str, str | None, str | None]]] = {
    "admin": ("admin", None, None),
    "ven-commission": ("commission", "VEN", None),
    "cub-commission": ("commission", "CUB", None),
    "ven-treasury": ("treasury", "VEN", None),
    "cub-treasury": ("treasury", "CUB", None),
    "zulia-coordinator": ("coordinator", None, "VE-V"),
    "auditor": ("auditor", None, None),
}
"""Login → (role, party, org unit) of the demo's users; every one's password is PASSWORD."""


@dataclass(frozen=True)
class WebApp:
    """The demo served: its base URL, its store's URL and data directory."""

    url: str
    store_url: str
    data: Path

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc

    def store(self) -> Store:
        """The served store, opened by the test (close it after use)."""
        return Store(self.store_url)


@contextmanager
def reading(app: WebApp) -> Iterator[UnitOfWork]:
    """A read-only unit of work on the served store, which is closed after."""
    store = app.store()
    try:
        with store.unit_of_work() as uow:
            yield uow
    finally:
        store.close()


@dataclass
class Recorder:
    """Every URL a browser context asked for."""

    urls: list[str] = field(default_factory=list)

    def foreign(self, host: str) -> list[str]:
        """The requests that went anywhere but `host` (data: URLs stay in the page)."""
        return [
            url
            for url in self.urls
            if not url.startswith(("data:", "about:", "blob:")) and urlsplit(url).netloc != host
        ]


def _add_people(store_url: str) -> None:
    store = Store(store_url)
    try:
        for login, (role, party, unit) in PEOPLE.items():
            with store.unit_of_work(write=True, late_lock=True) as uow:
                access.add_user(uow, login, role, party, unit, PASSWORD)
    finally:
        store.close()


@pytest.fixture(scope="session")
def web_app(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebApp]:
    tmp = tmp_path_factory.mktemp("web")
    data = tmp / "data"
    shutil.copytree(demo_store, data)
    store_url = f"sqlite:///{data / 'convenio.db'}"
    _add_people(store_url)
    with serve(store_url, tmp, {}) as server:
        yield WebApp(server.url, store_url, data)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        skip_unless_ci(
            f"{CHROMIUM} is not installed (apt-get install chromium): no browser for the pages"
        )
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
    try:
        yield launched
    finally:
        launched.close()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def context(browser: Browser, web_app: WebApp, recorder: Recorder) -> Iterator[BrowserContext]:
    """A fresh context (no cookies, 1280×900); every request it makes is recorded and,
    at the end of the test, must have gone to the server's own host."""
    made = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    made.on("request", lambda request: recorder.urls.append(request.url))
    if AXE.exists():
        # Into every page before its own scripts, outside the page's security policy
        # (which forbids the inline script `add_script_tag` would make): the policy is
        # part of what is tested, so it is not bypassed.
        made.add_init_script(path=str(AXE))
    made.set_default_timeout(15_000)
    try:
        yield made
    finally:
        made.close()
    foreign = recorder.foreign(web_app.host)
    assert not foreign, f"requests to other hosts: {foreign}"


def sign_in(
    context: BrowserContext,
    app: WebApp,
    login: str,
    language: str = "es",
    next: str | None = None,
) -> Page:
    """A page of `context` signed in as `login` through the sign-in form, in `language`:
    on the role's first page or, given `next` (a path, the form's ``next``), on `next`."""
    page = context.new_page()
    query = {"next": next, "lang": language} if next is not None else {"lang": language}
    page.goto(f"{app.url}/signin?" + urlencode(query))
    page.fill("#login", login)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("form[action='/signin'] button[type=submit]")
    assert "/signin" not in page.url, f"{login} could not sign in: {page.inner_text('main')}"
    if next is not None:
        assert page.url == app.url + next, f"{login} landed on {page.url}, not on {next}"
    return page


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not AXE.exists():
        skip_unless_ci(
            f"axe-core is not installed at {AXE} (npm install --prefix .cache/npm axe-core)"
        )
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]


def assert_accessible(page: Page) -> None:
    """No serious or critical axe-core violation on `page`."""
    found = axe_violations(page)
    said = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
        for v in found
    ]
    assert not found, f"{page.url}:\n" + "\n".join(said)


def screenshot(page: Page, name: str, tmp: Path) -> Path:
    """A screenshot `name`.png of the page's first screen (what a reader sees on opening
    it; a whole page of 104 tranches is a megabyte) in $CONVENIO_SCREENSHOTS, else in
    `tmp`."""
    folder = Path(os.environ.get("CONVENIO_SCREENSHOTS") or tmp)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def as_json(page: Page) -> Any:
    """The body of the page as JSON (for a route answering JSON)."""
    return json.loads(page.inner_text("body"))
