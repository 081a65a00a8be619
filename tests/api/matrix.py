"""The vocabulary of the authorization matrix: one `Case` per route.

Each area's `tests/api/matrix_<area>.py` defines ``CASES: list[Case]``; the matrix test
(`test_authorization_matrix.py`) runs every case for every name of `NAMES` on one store,
and checks that the allowed names get 2xx and every other gets 401 (anonymous) or 403
(a user) with nothing written. A route of the OpenAPI document without a case fails it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ALL_USERS", "EVERYONE", "NAMES", "Case", "Request"]

NAMES: tuple[str, ...] = (
    "admin",
    "commission-XAT",
    "commission-XBO",
    "treasury-XAT",
    "treasury-XBO",
    "coordinator-ZU",
    "auditor",
    "anonymous",
)
ALL_USERS: frozenset[str] = frozenset(NAMES) - {"anonymous"}
EVERYONE: frozenset[str] = frozenset(NAMES)


@dataclass(frozen=True)
class Request:
    """What to send: `path` with its placeholders filled, and the rest of the request."""

    path: str
    params: Mapping[str, str] = field(default_factory=dict)
    json: Any = None
    content: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    """A route (`method`, `path` as in the OpenAPI document, placeholders included), who
    may call it, and `request(name)`: a request that succeeds for an allowed name —
    different for each name, so that every allowed name's write is a new one."""

    method: str
    path: str
    allowed: frozenset[str]
    request: Callable[[str], Request]
