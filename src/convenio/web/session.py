"""Who is looking at a page: the sign-in cookie, and the form token that guards writes.

Signing in on the web is the API's sign-in (`access.sign_in`: the same throttle, the same
audit entry, a token lasting 12 hours); the token is kept in a cookie the page's scripts
cannot read (``HttpOnly``), sent to this server only and never from another site's page
(``SameSite=Strict``), over TLS only when the server is reached over TLS (``Secure``).
The API never reads this cookie (it reads the ``Authorization`` header only), so a
browser session cannot be turned against it.

Every form that writes carries a token derived from the session's own secret
(`form_token`); a POST without it, or from a page of another origin, is refused before
anything is read — besides SameSite, which older browsers lack.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

from starlette.requests import Request
from starlette.responses import Response

from convenio.auth import ANONYMOUS, Principal
from convenio.errors import AccessError, AuthenticationError, Problem
from convenio.services import access
from convenio.store import Store

__all__ = [
    "FORM_FIELD",
    "SESSION_COOKIE",
    "check_form",
    "check_origin",
    "end_session",
    "form_token",
    "session_principal",
    "start_session",
]

SESSION_COOKIE: Final = "convenio_session"
FORM_FIELD: Final = "form_token"
_LIFETIME: Final = 12 * 3600  # seconds, as the token the API hands out on sign-in


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or None


def session_principal(store: Store, request: Request) -> Principal:
    """The user of the session cookie; the public when there is none or it no longer
    holds (expired, revoked, a disabled user)."""
    token = session_token(request)
    if token is None:
        return ANONYMOUS
    try:
        with store.unit_of_work() as uow:
            return access.authenticate(uow, token)
    except AuthenticationError:
        return ANONYMOUS


def start_session(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=_LIFETIME,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")


def form_token(request: Request) -> str:
    """The token every writing form of this session carries (empty for the public)."""
    token = session_token(request)
    if token is None:
        return ""
    return hmac.new(token.encode(), b"convenio web form", hashlib.sha256).hexdigest()


def check_origin(request: Request) -> None:
    """Refuse a POST that a page of another origin sent (the sign-in form too: another
    site must not sign a reader in as an account of its choosing)."""
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.url.netloc}"
    if origin is not None and origin != own:
        raise AccessError(
            f"a form of {origin} may not write here", [Problem("another origin", field="Origin")]
        )


def check_form(request: Request, sent: str | None) -> None:
    """Refuse a POST from another origin or without this session's form token."""
    check_origin(request)
    expected = form_token(request)
    if not expected or not hmac.compare_digest(expected, sent or ""):
        raise AccessError(
            "the form has expired or did not come from this site: "
            "reload the page and send it again",
            [Problem("missing or wrong", field=FORM_FIELD)],
        )
