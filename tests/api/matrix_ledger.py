"""Matrix cases of the terms and ledger routes (tests/api/matrix.py says how they run).

Order matters: each treasury opens two accounts of its own party, then posts one
transaction between them (``matrix-treasury-XAT``, ``matrix-treasury-XBO``); the reads
and the reversals that follow use those transactions. Readers of every party
(commission, auditor) read Atlántida's treasury's.
"""

from __future__ import annotations

from tests.api.conftest import TUTORIAL
from tests.api.matrix import EVERYONE, Case, Request

__all__ = ["CASES"]

TREASURIES = frozenset({"treasury-XAT", "treasury-XBO"})
LEDGER_READERS = TREASURIES | {"commission-XAT", "commission-XBO", "auditor"}
VERIFIERS = frozenset({"commission-XAT", "commission-XBO", "auditor"})
YAML = {"Content-Type": "application/yaml"}


def _party(name: str) -> str:
    return "XBO" if name.endswith("XBO") else "XAT"


def _accounts(name: str) -> list[str]:
    return [f"{_party(name)}/matrix/{name}/{side}" for side in ("a", "b")]


def _journal(name: str) -> list[dict[str, str]]:
    a, b = _accounts(name)
    return [
        {"txn_id": f"matrix-{name}", "date": "2024-02-01", "account": account,
         "amount": amount, "unit": "USD", "description": f"moved by {name}"}
        for account, amount in ((a, "1.00"), (b, "-1.00"))
    ]  # fmt: skip


def _readable(name: str) -> str:
    """A transaction `name` may read: its own party's treasury's, or Atlántida's."""
    return f"matrix-{name}" if name in TREASURIES else "matrix-treasury-XAT"


CASES: list[Case] = [
    Case("GET", "/api/v1/parties", EVERYONE, lambda name: Request("/api/v1/parties")),
    Case("GET", "/api/v1/terms/versions", EVERYONE, lambda name: Request("/api/v1/terms/versions")),
    Case(
        "GET",
        "/api/v1/terms/versions/{version_id}",
        EVERYONE,
        lambda name: Request("/api/v1/terms/versions/tutorial-2024"),
    ),
    Case(
        "POST",
        "/api/v1/terms",
        frozenset({"admin"}),
        lambda name: Request("/api/v1/terms", content=TUTORIAL.read_bytes(), headers=YAML),
    ),
    Case(
        "POST",
        "/api/v1/accounts",
        TREASURIES,
        lambda name: Request(
            "/api/v1/accounts", json=[{"account": a, "unit": "USD"} for a in _accounts(name)]
        ),
    ),
    Case("GET", "/api/v1/accounts", LEDGER_READERS, lambda name: Request("/api/v1/accounts")),
    Case(
        "POST",
        "/api/v1/transactions",
        TREASURIES,
        lambda name: Request("/api/v1/transactions", json=_journal(name)),
    ),
    Case(
        "GET",
        "/api/v1/transactions/{txn_id}",
        LEDGER_READERS,
        lambda name: Request(f"/api/v1/transactions/{_readable(name)}"),
    ),
    Case(
        "POST",
        "/api/v1/transactions/{txn_id}/reverse",
        TREASURIES,
        lambda name: Request(
            f"/api/v1/transactions/matrix-{name}/reverse",
            json={"id": f"matrix-{name}/reversal", "reason": "matrix"},
        ),
    ),
    Case(
        "GET",
        "/api/v1/balances",
        LEDGER_READERS,
        lambda name: Request("/api/v1/balances", params={"as_of": "2024-12-31"}),
    ),
    Case("GET", "/api/v1/ledger/verify", VERIFIERS, lambda name: Request("/api/v1/ledger/verify")),
    Case(
        "GET",
        "/api/v1/ledger/export",
        VERIFIERS,
        lambda name: Request("/api/v1/ledger/export", params={"format": "beancount"}),
    ),
]
