"""Errors as RFC 9457 problem details (``application/problem+json``).

Every refusal of the API has one shape: ``type`` (a stable URI naming the kind of
problem), ``title``, ``status``, ``detail`` (the message the CLI prints) and ``errors``,
one per located problem, each with ``detail`` and where it is: ``pointer`` (RFC 6901, into
the JSON body: ``/3/amount``), or ``line`` and ``field`` of an uploaded file, or
``parameter`` (a query or path parameter) or ``header``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any, Final

import orjson
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from convenio.errors import (
    AccessError,
    AuthenticationError,
    ConflictError,
    ConvenioError,
    InputError,
    IntegrityError,
    NotFoundError,
    Problem,
    StorageError,
)

__all__ = [
    "BODY",
    "PROBLEMS",
    "PROBLEM_JSON",
    "ProblemDetail",
    "ProblemLocation",
    "from_error",
    "from_error_body",
    "install",
    "problem_body",
    "problem_response",
]

PROBLEM_JSON: Final = "application/problem+json"
BODY: Final = "request body"
"""The file name that a JSON body's rows carry while a loader reads them: a problem on
line L of it is the record at index L − 2 (line 1 is the header)."""
_BASE: Final = "https://convenio.dev/problems/"
_log = logging.getLogger("convenio.api")
_HEADER: Final = re.compile(r"[A-Z][a-z]+(-[A-Z][a-z]+)*")
"""How a problem's field names a header, not a parameter: Idempotency-Key, Authorization."""
_FOLDER: Final = re.compile(r"[^\s'\"]*convenio-(?:body|upload)-[^/\\]+[/\\]")

_KINDS: Final[dict[type[ConvenioError], tuple[int, str, str]]] = {
    NotFoundError: (404, "not-found", "No such thing"),  # before InputError: a kind of it
    InputError: (422, "invalid-input", "The input is not valid"),
    ConflictError: (409, "conflict", "The write contradicts what is stored"),
    IntegrityError: (500, "integrity", "The stored record does not verify"),
    StorageError: (503, "storage", "The store cannot be used"),
    AuthenticationError: (401, "unauthenticated", "Credentials are missing or not valid"),
    AccessError: (403, "forbidden", "Outside the role or scope of the credentials"),
}


class ProblemLocation(BaseModel):
    detail: str
    pointer: str | None = None
    line: int | None = None
    field: str | None = None
    parameter: str | None = None
    header: str | None = None
    file: str | None = None


class ProblemDetail(BaseModel):
    """RFC 9457 problem details, with the located problems under ``errors``."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[ProblemLocation] = Field(default_factory=list)


def _bare(text: str) -> str:
    """A message or file name without the private folder a body was read from."""
    return _FOLDER.sub("", text)


def _location(problem: Problem) -> ProblemLocation:
    problem = problem._replace(
        message=_bare(problem.message), file=None if problem.file is None else _bare(problem.file)
    )
    if problem.file == BODY:
        if problem.line is not None and problem.line >= 2:
            pointer = f"/{problem.line - 2}" + (f"/{problem.field}" if problem.field else "")
            return ProblemLocation(detail=problem.message, pointer=pointer)
        return ProblemLocation(detail=problem.message, pointer="", field=problem.field)
    if problem.file is None and problem.line is None and problem.field:
        if _HEADER.fullmatch(problem.field):  # Idempotency-Key, Content-Type
            return ProblemLocation(detail=problem.message, header=problem.field)
        name = problem.field.removeprefix("--").replace("-", "_")
        name = name.lower() if name.isupper() else name  # the CLI's DATA_SET: data_set
        return ProblemLocation(detail=problem.message, parameter=name)
    return ProblemLocation(
        detail=problem.message, file=problem.file, line=problem.line, field=problem.field
    )


def _detail(error: ConvenioError) -> str:
    return _bare(str(error))


def problem_body(
    status: int, kind: str, title: str, detail: str, errors: Sequence[ProblemLocation] = ()
) -> dict[str, Any]:
    """Problem details as a JSON object (what a failed job keeps, what an answer carries)."""
    return {
        "type": _BASE + kind,
        "title": title,
        "status": status,
        "detail": detail,
        "errors": [e.model_dump(exclude_none=True) for e in errors],
    }


def problem_response(
    status: int,
    kind: str,
    title: str,
    detail: str,
    errors: Sequence[ProblemLocation] = (),
    headers: dict[str, str] | None = None,
) -> Response:
    body = problem_body(status, kind, title, detail, errors)
    return Response(orjson.dumps(body), status, headers, media_type=PROBLEM_JSON)


def _kind(error: ConvenioError) -> tuple[int, str, str]:
    return next((v for k, v in _KINDS.items() if isinstance(error, k)), (400, "refused", "Refused"))


def from_error_body(error: ConvenioError) -> dict[str, Any]:
    """The problem details of `error` as a JSON object (a failed job keeps it)."""
    status, kind, title = _kind(error)
    return ProblemDetail(
        type=_BASE + kind,
        title=title,
        status=status,
        detail=_detail(error),
        errors=[_location(p) for p in error.problems],
    ).model_dump(exclude_none=True)


def from_error(error: ConvenioError) -> Response:
    status, kind, title = _kind(error)
    headers = {"WWW-Authenticate": 'Bearer realm="convenio"'} if status == 401 else None
    return problem_response(
        status, kind, title, _detail(error), [_location(p) for p in error.problems], headers
    )


def _validation(error: RequestValidationError) -> Response:
    errors: list[ProblemLocation] = []
    for item in error.errors():
        where, *rest = item.get("loc", ("body",))
        message = str(item.get("msg", "not valid"))
        if where == "body":
            pointer = "".join(f"/{part}" for part in rest)
            errors.append(ProblemLocation(detail=message, pointer=pointer))
        elif where == "header":
            errors.append(ProblemLocation(detail=message, header=str(rest[0]) if rest else None))
        else:
            errors.append(ProblemLocation(detail=message, parameter=str(rest[0]) if rest else None))
    first = errors[0] if errors else None
    detail = "the request is not valid"
    if first is not None:
        where = first.pointer if first.pointer is not None else first.parameter or first.header
        detail = f"{where}: {first.detail}" if where else first.detail
    return problem_response(422, "invalid-input", "The input is not valid", detail, errors)


def install(app: Any) -> None:
    """Answer every refusal as problem details: convenio's errors, request validation,
    Starlette's own (404, 405) and, last, anything unexpected (500, details logged)."""

    async def convenio_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ConvenioError)
        return from_error(exc)

    async def validation_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return _validation(exc)

    async def http_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        kind = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http")
        return problem_response(
            exc.status_code,
            kind,
            str(exc.detail),
            str(exc.detail),
            headers=dict(exc.headers or {}) or None,
        )

    async def internal_error(request: Request, exc: Exception) -> Response:
        _log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return problem_response(
            500, "internal", "Internal error", "the server failed; the error is in its log"
        )

    app.add_exception_handler(ConvenioError, convenio_error)
    app.add_exception_handler(Exception, internal_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)


def _documented(description: str) -> dict[str, Any]:
    return {"model": ProblemDetail, "description": description, "content": {PROBLEM_JSON: {}}}


PROBLEMS: Final[dict[int | str, dict[str, Any]]] = {
    400: _documented("The body cannot be read (not JSON, not UTF-8)"),
    401: _documented("No credentials, or credentials that are not valid"),
    403: _documented("Outside the role or scope of the credentials; nothing was written"),
    404: _documented("No such thing"),
    409: _documented("Contradicts what is stored (or an idempotency key reused)"),
    413: _documented("The body is larger than CONVENIO_MAX_BODY"),
    422: _documented("The input is not valid; `errors` locates each problem"),
    429: _documented("Too many attempts; wait `Retry-After` seconds"),
    503: _documented("The store cannot be used (another writer holds it too long)"),
}
"""The problem answers every route documents (routers pass them as ``responses``)."""
