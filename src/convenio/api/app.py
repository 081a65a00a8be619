"""The server's wiring: the FastAPI application over one store, its routers, its
protections and its documentation (served from the package: no CDN).

`create_app(store)` is what `convenio serve` runs under uvicorn and what the tests run
in-process; routes live in `convenio.api.routes`, one module per capability, each route
one service call deep.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from convenio import web
from convenio.api import problems
from convenio.api.jobs import JobRunner
from convenio.api.middleware import Guard, LoginThrottle
from convenio.api.routes import ROUTERS
from convenio.settings import Settings, get_settings
from convenio.store import Store

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/api/v1"
_DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"


def create_app(store: Store | None = None, settings: Settings | None = None) -> FastAPI:
    """The application over `store` (default: the store of the settings, opened at
    start-up and closed at shutdown)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = store is None
        app.state.store = store or Store(settings.store_url, write_wait=settings.write_wait)
        app.state.jobs = JobRunner(app.state.store)
        try:
            yield
        finally:
            app.state.jobs.close()
            if own:
                app.state.store.close()

    app = FastAPI(
        title="convenio",
        version=version("convenio"),
        summary="Compensated cooperation agreements: terms, ledger, financing, settlement, "
        "missions.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.login_throttle = LoginThrottle()
    problems.install(app)
    for router in ROUTERS:
        app.include_router(router)
    _docs(app)
    web.install(app)
    _optional_credentials(app)
    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
        )
    app.add_middleware(Guard, max_body=settings.max_body)
    return app


def _optional_credentials(app: FastAPI) -> None:
    """Say in the OpenAPI document that every route may be called without a token too
    (``security: [{token: []}, {}]``): the public's routes answer it, the others say 401."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            for operations in document.get("paths", {}).values():
                for operation in operations.values():
                    if operation.get("security"):
                        operation["security"] = [*operation["security"], {}]
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _docs(app: FastAPI) -> None:
    """Swagger UI at /api/v1/docs, its script and style served by the server itself."""
    app.mount(f"{API_PREFIX}/docs/assets", StaticFiles(directory=_DOCS_ASSETS), name="docs")

    @app.get(f"{API_PREFIX}/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{API_PREFIX}/openapi.json",
            title="convenio API",
            swagger_js_url=f"{root}{API_PREFIX}/docs/assets/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{API_PREFIX}/docs/assets/swagger-ui.css",
            swagger_favicon_url=f"{root}{API_PREFIX}/docs/assets/favicon.png",
        )
