"""Wiring the pages into the server: the static assets, the page routers, and answers
to refusals as pages (the API keeps its problem details)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from convenio.errors import AccessError, AuthenticationError, ConvenioError, NotFoundError
from convenio.web.pages import ROUTERS
from convenio.web.render import STATIC, page_for

__all__ = ["install"]

Handler = Callable[[Request, Any], Response | Awaitable[Response]]


def install(app: FastAPI) -> None:
    """Serve the pages and their assets on `app`, whose API handlers are installed."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in ROUTERS:
        app.include_router(router)
    for kind in (ConvenioError, StarletteHTTPException, RequestValidationError):
        api = app.exception_handlers[kind]
        app.add_exception_handler(kind, _either(api))


def _is_page(request: Request) -> bool:
    path = request.url.path
    return not (path == "/api" or path.startswith("/api/") or path.startswith("/static/"))


def _either(api: Handler) -> Callable[[Request, Any], Awaitable[Response]]:
    async def handle(request: Request, exc: Exception) -> Response:
        if not _is_page(request):
            answer = api(request, exc)
            return await answer if isinstance(answer, Awaitable) else answer
        return _page_refusal(request, exc)

    return handle


def _page_refusal(request: Request, exc: Exception) -> Response:
    page = page_for(request)
    if isinstance(exc, AuthenticationError) and request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return page.finish(RedirectResponse(f"/signin?next={quote(target)}", 303))
    if isinstance(exc, AccessError | AuthenticationError):
        status, title = (403 if isinstance(exc, AccessError) else 401), page.gettext("Not allowed")
        message = page.gettext("Your role may not see or do this.") + f" ({exc})"
    elif isinstance(exc, NotFoundError) or (
        isinstance(exc, StarletteHTTPException) and exc.status_code == 404
    ):
        status, title = 404, page.gettext("Not found")
        message = page.gettext("There is no such page or record.")
    elif isinstance(exc, StarletteHTTPException):
        status, title, message = exc.status_code, page.gettext("Refused"), str(exc.detail)
    elif isinstance(exc, RequestValidationError):
        status, title = 422, page.gettext("Refused")
        message = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
            for e in exc.errors()
        )
    else:
        status, title, message = 422, page.gettext("Refused"), str(exc)
    return page.render("error.html", status, title=title, message=message)
