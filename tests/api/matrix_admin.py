"""Matrix cases of the admin routes (sign-in, users, tokens, audit, jobs, demo).

Order matters: the disable case disables the user the add case created for admin.
"""

from __future__ import annotations

from tests.api.conftest import job_id, spare_token_id
from tests.api.matrix import ALL_USERS, EVERYONE, Case, Request

__all__ = ["CASES"]

ADMIN = frozenset({"admin"})
PASSWORD = "a long enough password"  # the one `prepare` gives every user


def _login(name: str) -> str:
    return "auditor" if name == "anonymous" else name.lower()


CASES: list[Case] = [
    Case(
        "POST",
        "/api/v1/auth/token",
        EVERYONE,
        lambda name: Request(
            "/api/v1/auth/token", json={"login": _login(name), "password": PASSWORD}
        ),
    ),
    Case("GET", "/api/v1/me", ALL_USERS, lambda name: Request("/api/v1/me")),
    Case("GET", "/api/v1/users", ADMIN, lambda name: Request("/api/v1/users")),
    Case(
        "POST",
        "/api/v1/users",
        ADMIN,
        lambda name: Request(
            "/api/v1/users", json={"login": f"new-{name.lower()}", "role": "auditor"}
        ),
    ),
    Case(
        "POST",
        "/api/v1/users/{login}/disable",
        ADMIN,
        lambda name: Request(f"/api/v1/users/new-{name.lower()}/disable"),
    ),
    Case(
        "POST",
        "/api/v1/tokens",
        ADMIN,
        lambda name: Request("/api/v1/tokens", json={"login": "auditor", "label": name}),
    ),
    Case("GET", "/api/v1/tokens", ADMIN, lambda name: Request("/api/v1/tokens")),
    Case(
        "DELETE",
        "/api/v1/tokens/{token_id}",
        ALL_USERS,  # each revokes a token of their own (an admin any: tests/api)
        lambda name: Request(
            f"/api/v1/tokens/{spare_token_id(name) if name != 'anonymous' else '0' * 12}"
        ),
    ),
    Case(
        "GET",
        "/api/v1/audit",
        frozenset({"admin", "auditor"}),
        lambda name: Request("/api/v1/audit", params={"limit": "5"}),
    ),
    Case(
        "GET",
        "/api/v1/jobs/{job_id}",
        ALL_USERS,  # each reads a job of their own (others' answer 404: tests/api)
        lambda name: Request(f"/api/v1/jobs/{job_id(name) if name != 'anonymous' else 'x'}"),
    ),
    Case("POST", "/api/v1/demo", ADMIN, lambda name: Request("/api/v1/demo")),
]
