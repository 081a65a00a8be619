"""The server's protections, as plain ASGI middleware (no per-request task overhead).

`Guard` adds the security headers every answer carries and refuses a body larger than
``CONVENIO_MAX_BODY`` with 413 — from ``Content-Length`` before reading it, and while
reading a body sent in chunks. `LoginThrottle` counts failed sign-ins per login and
client address in a sliding window (in the server's memory: per process).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any, Final

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from convenio.api.problems import PROBLEM_JSON

__all__ = ["SECURITY_HEADERS", "Guard", "LoginThrottle"]

SECURITY_HEADERS: Final[tuple[tuple[bytes, bytes], ...]] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        b"script-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"cache-control", b"no-store"),
)


class _TooLargeError(Exception):
    pass


def _too_large(limit: int) -> tuple[dict[str, Any], bytes]:
    body = orjson.dumps(
        {
            "type": "https://convenio.dev/problems/too-large",
            "title": "The request body is too large",
            "status": 413,
            "detail": f"the body is larger than {limit} bytes (CONVENIO_MAX_BODY)",
            "errors": [],
        }
    )
    start = {
        "type": "http.response.start",
        "status": 413,
        "headers": [
            (b"content-type", PROBLEM_JSON.encode()),
            (b"content-length", str(len(body)).encode()),
            *SECURITY_HEADERS,
        ],
    }
    return start, body


class Guard:
    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app, self.max_body = app, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_body
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await self._refuse(send, limit)
                return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLargeError
            return message

        async def secured(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                present = {name.lower() for name, _ in message.get("headers", ())}
                extra = [h for h in SECURITY_HEADERS if h[0] not in present]
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            await send(message)

        try:
            await self.app(scope, counted, secured)
        except _TooLargeError:
            if not started:
                await self._refuse(send, limit)

    @staticmethod
    async def _refuse(send: Send, limit: int) -> None:
        start, body = _too_large(limit)
        await send(start)
        await send({"type": "http.response.body", "body": body})


class LoginThrottle:
    """Failed sign-ins in a sliding window of `window` seconds: at most `attempts` per
    (login, address), and `per_address` per address whatever the login (trying many
    logins from one place); at most `hashing` password checks at once (each costs an
    Argon2id hash: 64 MiB and tens of milliseconds). Kept in memory, per process; a
    window with nothing left in it is forgotten."""

    def __init__(
        self,
        attempts: int = 5,
        window: float = 60.0,
        per_address: int = 30,
        hashing: int = 2,
    ) -> None:
        self.attempts, self.window, self.per_address = attempts, window, per_address
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._by_address: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self.hashing = threading.BoundedSemaphore(hashing)
        """Held around a password check, so that sign-ins cannot exhaust the server."""

    def _recent(self, table: dict[Any, deque[float]], key: Any, now: float) -> deque[float]:
        times = table.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del table[key]
        return times

    def retry_after(self, login: str, address: str) -> int:
        """Seconds to wait before trying again (0: may try now)."""
        now = time.monotonic()
        with self._lock:
            mine = self._recent(self._failures, (login, address), now)
            here = self._recent(self._by_address, address, now)
            waits = [
                times[0] + self.window - now
                for times, limit in ((mine, self.attempts), (here, self.per_address))
                if len(times) >= limit
            ]
        return max(1, int(max(waits)) + 1) if waits else 0

    def failed(self, login: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._failures.setdefault((login, address), deque()).append(now)
            self._by_address.setdefault(address, deque()).append(now)

    def succeeded(self, login: str, address: str) -> None:
        with self._lock:
            self._failures.pop((login, address), None)
