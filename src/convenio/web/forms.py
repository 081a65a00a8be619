"""A web form's write: the form token, then the API's write machinery (`Write.apply`):
one held unit of work, serialised with every other write, audited with the route, the
body's digest and a summary — a refused form writes nothing and leaves no entry.

A page route that writes takes ``write: FormWrite`` and calls
``write.apply(page.principal, lambda uow: service(uow, ...), lambda r: "summary")``.
The audited body is the form's fields as sent, without the form token (a secret of the
session) and with each uploaded file as its name and SHA-256.
"""

from __future__ import annotations

import hashlib
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Request
from starlette.datastructures import FormData, UploadFile

from convenio.api.deps import StoreDep
from convenio.api.writes import Write
from convenio.web.session import FORM_FIELD, check_form

__all__ = ["FormWrite", "form_body"]


async def form_body(form: FormData) -> bytes:
    """The form's fields as the audit trail digests them (files by name and SHA-256)."""
    fields: list[tuple[str, str]] = []
    for name, value in form.multi_items():
        if name == FORM_FIELD:
            continue
        if isinstance(value, UploadFile):
            content = await value.read()
            await value.seek(0)
            fields.append((name, f"{value.filename} sha256:{hashlib.sha256(content).hexdigest()}"))
        else:
            fields.append((name, value))
    return urlencode(fields).encode()


async def form_write(request: Request, store: StoreDep) -> Write:
    form = await request.form()  # parsed once; Starlette keeps it for the route's fields
    sent = form.get(FORM_FIELD)
    check_form(request, sent if isinstance(sent, str) else None)
    return Write(store, request, await form_body(form), None)


FormWrite = Annotated[Write, Depends(form_write)]
