"""Another party's convenio server, from this machine: a small HTTP client (stdlib urllib)
for the commands that act on a server instead of the local store (``convenio keys
generate|rotate --server URL``).

The token goes in ``Authorization: Bearer …`` and a redirect is never followed: urllib
would send the token wherever the server points. A refusal comes back as the exception
the server raised — the same kind and exit code as had the command run on the store:
its problem details' ``detail`` is the message (401 `AuthenticationError`, 403
`AccessError`, 404 `NotFoundError`, 409 `ConflictError`, 400/422 `InputError`); a server
that cannot be reached, or answers anything else, is a `StorageError`.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from typing import Any, Final

from convenio.errors import (
    AccessError,
    AuthenticationError,
    ConflictError,
    ConvenioError,
    InputError,
    NotFoundError,
    StorageError,
)

__all__ = ["Remote"]

TIMEOUT: Final = 120.0
"""Seconds to wait for an answer (a write may wait for the server's other writers)."""

_REFUSALS: Final[dict[int, type[ConvenioError]]] = {
    400: InputError,
    401: AuthenticationError,
    403: AccessError,
    404: NotFoundError,
    409: ConflictError,
    422: InputError,
}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is answered as an error, so the token never goes elsewhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER: Final = urllib.request.build_opener(_NoRedirect)


def _detail(error: urllib.error.HTTPError) -> str | None:
    """The ``detail`` of a problem-details answer, if that is what it is."""
    try:
        value = json.loads(error.read(64_000) or b"null")
    except (ValueError, OSError, http.client.HTTPException):
        return None
    found = value.get("detail") if isinstance(value, dict) else None
    return found if isinstance(found, str) and found else None


class Remote:
    """A convenio server at `url` (http:// or https://), reached with `token` if given."""

    def __init__(self, url: str, token: str | None, option: str = "--server") -> None:
        if not url.startswith(("http://", "https://")):
            raise InputError(f"{option}: {url!r} is not a server's URL (http://… or https://…)")
        self.url = url.rstrip("/")
        self._headers = {"Accept": "application/json"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str) -> Any:
        """The JSON answer to GET `path` (``/api/v1/…``)."""
        return self._send(urllib.request.Request(self.url + path, headers=self._headers))

    def post(self, path: str, body: bytes, content_type: str) -> Any:
        """The JSON answer to POST `body` to `path`."""
        headers = {**self._headers, "Content-Type": content_type}
        request = urllib.request.Request(self.url + path, body, headers, method="POST")
        return self._send(request)

    def _send(self, request: urllib.request.Request) -> Any:
        said = f"{request.get_method()} {request.full_url}"
        try:
            with _OPENER.open(request, timeout=TIMEOUT) as answer:
                return json.load(answer)
        except urllib.error.HTTPError as exc:
            detail = _detail(exc)
            refusal = _REFUSALS.get(exc.code)
            if refusal is AuthenticationError:
                why = "" if detail is None else f" ({detail})"
                raise refusal(
                    f"{said} answered HTTP 401{why}: give a token (--token or CONVENIO_TOKEN)"
                ) from None
            if refusal is not None and detail is not None:
                raise refusal(f"{self.url} refused it: {detail}") from None
            if refusal is not None:
                raise refusal(f"{said} answered HTTP {exc.code}") from None
            redirect = " (a redirect is not followed)" if 300 <= exc.code < 400 else ""
            raise StorageError(f"{said} answered HTTP {exc.code}{redirect}") from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            raise StorageError(f"cannot reach {request.full_url}: {reason}") from None
        except ValueError:
            raise StorageError(f"{said} did not answer JSON") from None
