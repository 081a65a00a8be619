"""Signing in and out, and the start page: the first page the reader's role may see."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from convenio.errors import AuthenticationError, ConvenioError
from convenio.services import access
from convenio.web.forms import FormWrite
from convenio.web.render import Page, PageDep
from convenio.web.session import check_origin, end_session, start_session

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this site only — never another host, nor
    what a browser might read as one (``//host``, ``/\\host``, control characters)."""
    if (
        target
        and target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and "\\" not in target
        and target.isprintable()
    ):
        return target
    return "/"


@router.get("/")
def start(page: PageDep) -> Response:
    """The first page of the navigation the reader may see (the public's: /public)."""
    first = "/public" if page.principal.anonymous else page.navigation[0].path
    return page.finish(RedirectResponse(first, 303))


@router.get("/signin")
def signin_form(page: PageDep, next: str | None = None) -> Response:
    return page.render("signin.html", title=page.gettext("Sign in"), next=_safe_next(next))


def _refused(page: Page, status: int, message: str, login: str, next: str) -> Response:
    error = AuthenticationError(message)
    title = page.gettext("Sign in")
    return page.render("signin.html", status, title=title, error=error, login=login, next=next)


@router.post("/signin")
def signin(
    page: PageDep,
    request: Request,
    login: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    """The API's sign-in (throttled and audited the same way); the token goes to an
    HttpOnly cookie. A failure says the same for a wrong login as for a wrong password."""
    check_origin(request)
    throttle = request.app.state.login_throttle
    store = request.app.state.store
    address = request.client.host if request.client else ""
    target = _safe_next(next)
    wait = throttle.retry_after(login, address)
    if wait:
        said = page.gettext("Too many failed sign-ins: try again in %(s)s s") % {"s": wait}
        return _refused(page, 429, said, login, target)
    try:
        with (
            throttle.hashing,
            store.unit_of_work(write=True, late_lock=True, hold_commits=True) as uow,
        ):
            issued, _row = access.sign_in(uow, login, password, request.url.path)
            uow.release()
    except ConvenioError:
        throttle.failed(login, address)
        return _refused(
            page, 401, page.gettext("The login or the password is wrong."), login, target
        )
    throttle.succeeded(login, address)
    response = RedirectResponse(target, 303)
    start_session(response, request, issued.text)
    return page.finish(response)


@router.post("/signout")
def signout(page: PageDep, write: FormWrite) -> Response:
    """Revoke the session's token (audited) and forget the cookie."""
    who, token_id = page.principal, page.principal.token_id
    if token_id is not None:
        write.apply(
            who,
            lambda uow: access.revoke_token(uow, token_id, who),
            lambda r: f"signed out: token {r.id} revoked",
        )
    response = RedirectResponse("/public", 303)
    end_session(response)
    return page.finish(response)
