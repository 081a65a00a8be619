"""Matrix cases of the financing and settlement routes, in the tutorial's order: XAT
quotes diesel and ships it, XBO sends teachers and nurses and pays, the commissions
accrue and settle 2024Q1 (then 2024Q2 and 2024Q3 as jobs), and the readers read.

Order matters: a case's request succeeds on what the cases before it recorded.
"""

from __future__ import annotations

import csv
from typing import Any

from tests.api.conftest import EXAMPLES
from tests.api.matrix import Case, Request

__all__ = ["CASES"]

COMMISSIONS = frozenset({"commission-XAT", "commission-XBO"})
TREASURIES = frozenset({"treasury-XAT", "treasury-XBO"})
LEDGER_READERS = COMMISSIONS | TREASURIES | {"auditor"}


def _rows(name: str) -> list[dict[str, Any]]:
    with (EXAMPLES / name).open(encoding="utf-8", newline="") as f:
        return [{k: v for k, v in row.items() if v != ""} for row in csv.DictReader(f)]


def _q1(supplier: str) -> list[dict[str, Any]]:
    return [
        d for d in _rows("deliveries.csv") if d["supplier"] == supplier and d["date"] < "2024-04"
    ]


def _payment(name: str) -> list[dict[str, Any]]:
    payer, payee = ("XAT", "XBO") if name == "treasury-XAT" else ("XBO", "XAT")
    return [
        {"payment_id": f"MX-{name}", "date": "2024-03-28", "payer": payer, "payee": payee,
         "amount": "1500000.00", "currency": "USD", "reference": f"matrix: {name}"}
    ]  # fmt: skip


def _quarter(name: str) -> str:
    return "2024Q3" if name == "commission-XBO" else "2024Q2"


CASES: list[Case] = [
    # Only XAT issues diesel-gulf (it supplies the diesel the series prices).
    Case(
        "POST",
        "/api/v1/prices",
        frozenset({"treasury-XAT"}),
        lambda name: Request("/api/v1/prices", json=_rows("prices.csv")),
    ),
    Case(
        "POST",
        "/api/v1/deliveries",
        TREASURIES,
        lambda name: Request(
            "/api/v1/deliveries", json=_q1("XBO" if name == "treasury-XBO" else "XAT")
        ),
    ),
    Case(
        "POST",
        "/api/v1/payments",
        TREASURIES,
        lambda name: Request("/api/v1/payments", json=_payment(name)),
    ),
    Case(
        "POST",
        "/api/v1/accruals",
        COMMISSIONS,
        lambda name: Request(
            "/api/v1/accruals",
            params={"through": "2024-02-29" if name == "commission-XBO" else "2024-01-31"},
        ),
    ),
    Case("GET", "/api/v1/tranches", LEDGER_READERS, lambda name: Request("/api/v1/tranches")),
    Case(
        "GET",
        "/api/v1/tranches/{tranche_id}/schedule",
        LEDGER_READERS,  # XAT lends, XBO owes: both treasuries read it
        lambda name: Request("/api/v1/tranches/tr:D-2401/schedule"),
    ),
    # XAT's commission settles 2024Q1; XBO's then reopens it (a new run).
    Case(
        "POST",
        "/api/v1/settlements/{period}",
        COMMISSIONS,
        lambda name: Request(
            "/api/v1/settlements/2024Q1",
            params={"reopen": "true"} if name == "commission-XBO" else {},
        ),
    ),
    Case(
        "POST",
        "/api/v1/settlements",
        COMMISSIONS,
        lambda name: Request(
            "/api/v1/settlements",
            params={"from": _quarter(name), "through": _quarter(name)},
        ),
    ),
    Case(
        "GET",
        "/api/v1/settlements",
        LEDGER_READERS,
        lambda name: Request("/api/v1/settlements", params={"period": "2024Q1"}),
    ),
    # Not the end of a settled period: the public (401) and the users who do not read
    # XBO's accounts (403) may not read it.
    Case(
        "GET",
        "/api/v1/statements/{party}",
        COMMISSIONS | {"treasury-XBO", "auditor"},
        lambda name: Request("/api/v1/statements/XBO", params={"as_of": "2024-02-15"}),
    ),
]
