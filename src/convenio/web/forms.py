"""A web form's write: the form token, then the API's write machinery (`Write.apply`):
one held unit of work, serialised with every other write, audited with the route, the
body's digest and a summary — a refused form writes nothing and leaves no entry.

A page route that writes takes ``write: FormWrite`` and calls
``write.apply(page.principal, lambda uow: service(uow, ...), lambda r: "summary")``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Request

from convenio.api.deps import RawBody, StoreDep
from convenio.api.writes import Write
from convenio.web.session import FORM_FIELD, check_form

__all__ = ["FormWrite"]


def form_write(
    request: Request,
    store: StoreDep,
    body: RawBody,
    token: Annotated[str, Form(alias=FORM_FIELD)] = "",
) -> Write:
    check_form(request, token)
    return Write(store, request, body, None)


FormWrite = Annotated[Write, Depends(form_write)]
