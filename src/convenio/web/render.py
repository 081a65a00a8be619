"""Pages: the templates, the navigation each role sees, and one page's context.

A page route takes a `PageDep` — the reader's principal, language, formats and form
token — and answers ``page.render("group/name.html", figures=...)``. Templates are
Jinja2 with autoescaping and the i18n extension (``{% trans %}``, ``_()``); the
formats are filters (``{{ amount | money("USD") }}``), so a template never formats a
number itself. Every page answers with a strict Content-Security-Policy: scripts and
styles from this server only, no inline script or style, no request to another host.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Final
from urllib.parse import quote, urlencode

from fastapi import Depends, Request
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.responses import HTMLResponse, Response

from convenio.auth import Action, Principal
from convenio.errors import AuthenticationError
from convenio.store import Store
from convenio.web.i18n import LANGUAGES, Formats, choose_language, translations
from convenio.web.i18n import mark as _
from convenio.web.session import FORM_FIELD, form_token, session_principal

__all__ = [
    "LANGUAGE_COOKIE",
    "NAVIGATION",
    "PAGE_POLICY",
    "NavItem",
    "Page",
    "PageDep",
    "environment",
    "link",
    "page_for",
]

LANGUAGE_COOKIE: Final = "convenio_lang"
PAGE_POLICY: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
"""The pages' Content-Security-Policy: nothing inline, nothing from another host."""
STATIC: Final = Path(__file__).parent / "static"


@dataclass(frozen=True)
class NavItem:
    """An entry of the navigation, shown to a principal whose role allows `action`."""

    path: str
    label: str  # English; translated when shown
    action: Action
    signed_in: bool = True  # shown to signed-in users only (the public has its own page)


NAVIGATION: Final[tuple[NavItem, ...]] = (
    NavItem("/overview", _("Overview"), Action.READ_LEDGER),
    NavItem("/settlement", _("Settlement"), Action.READ_LEDGER),
    NavItem("/financing", _("Deliveries and financing"), Action.READ_LEDGER),
    NavItem("/missions", _("Missions"), Action.READ_PUBLIC),
    NavItem("/entry", _("Data entry"), Action.WRITE_MISSIONS),
    NavItem("/audit", _("Audit"), Action.READ_AUDIT),
    NavItem("/public", _("Public"), Action.READ_PUBLIC, signed_in=False),
)


ROLE_LABELS: Final = (
    _("admin"),
    _("commission"),
    _("treasury"),
    _("coordinator"),
    _("auditor"),
)  # the roles' names, as the header shows them


def link(path: str, key: str) -> str:
    """`path` followed by the id `key`, escaped for a URL (ids hold ``:`` and ``/``)."""
    return f"{path}/{quote(key, safe=':/')}"


def environment(language: str) -> Environment:
    """The templates in `language`: its catalogue installed, its formats as filters."""
    env = Environment(
        loader=PackageLoader("convenio.web", "templates"),
        autoescape=select_autoescape(("html", "svg")),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["LANGUAGES"] = LANGUAGES
    env.globals["FORM_FIELD"] = FORM_FIELD
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    formats = Formats(language)
    env.filters.update(
        money=formats.money,
        number=formats.number,
        quantity=formats.quantity,
        percent=formats.percent,
        date=formats.date,
        moment=formats.moment,
    )
    return env


_ENVIRONMENTS: Final = {language: environment(language) for language in LANGUAGES}
"""One environment per language, made once: templates are compiled once per language and
a compiled template keeps the catalogue of the environment that loaded it."""


@dataclass
class Page:
    """One request's page context: who reads, in which language, with which formats."""

    request: Request
    principal: Principal
    language: str
    remember_language: bool
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def formats(self) -> Formats:
        return Formats(self.language)

    def gettext(self, text: str) -> str:
        return translations(self.language).gettext(text)

    def ngettext(self, one: str, many: str, n: int) -> str:
        return translations(self.language).ngettext(one, many, n)

    def may(self, action: Action) -> bool:
        return self.principal.may(action)

    def require(self, action: Action) -> None:
        """Refuse the page: the public is asked to sign in, a user is told no (403)."""
        if self.principal.anonymous and not self.principal.may(action):
            raise AuthenticationError(f"sign in: the public may not {action}")
        self.principal.require(action)

    @property
    def navigation(self) -> list[NavItem]:
        return [
            item
            for item in NAVIGATION
            if self.principal.may(item.action)
            and (self.principal.anonymous or item.signed_in or item.path == "/public")
        ]

    def url(self, path: str, **query: Any) -> str:
        """`path` with `query` (None values left out), for links."""
        kept = {k: v for k, v in query.items() if v is not None}
        return path + ("?" + urlencode(kept, doseq=True) if kept else "")

    def language_url(self, language: str) -> str:
        """This page in `language`."""
        query = [(k, v) for k, v in self.request.query_params.multi_items() if k != "lang"]
        return self.request.url.path + "?" + urlencode([*query, ("lang", language)])

    def context(self, values: Mapping[str, Any]) -> dict[str, Any]:
        formats = self.formats
        return {
            "page": self,
            "who": self.principal,
            "lang": self.language,
            "fmt": formats,
            "form_token": form_token(self.request),
            "path": self.request.url.path,
            **values,
        }

    def render_text(self, template: str, **values: Any) -> str:
        """The HTML of `template` with `values`, in the page's language."""
        env = _ENVIRONMENTS[self.language]
        return env.get_template(template).render(self.context(values))

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        """The page as an answer, with the pages' security policy."""
        response = HTMLResponse(self.render_text(template, **values), status)
        self.finish(response)
        return response

    def finish(self, response: Response) -> Response:
        response.headers["Content-Security-Policy"] = PAGE_POLICY
        # The API's no-referrer would make browsers send `Origin: null` with a page's
        # forms; the pages' own origin is what `check_form` compares.
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Content-Language"] = self.language
        response.headers.update(self.headers)
        if self.remember_language:
            response.set_cookie(
                LANGUAGE_COOKIE, self.language, max_age=365 * 86400, path="/", samesite="lax"
            )
        return response


def page_for(request: Request) -> Page:
    store = request.app.state.store
    assert isinstance(store, Store)
    asked = request.query_params.get("lang")
    language = choose_language(asked, request.cookies.get(LANGUAGE_COOKIE))
    return Page(
        request=request,
        principal=session_principal(store, request),
        language=language,
        remember_language=asked in LANGUAGES,
    )


PageDep = Annotated[Page, Depends(page_for)]
