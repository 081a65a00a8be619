"""Matrix cases of the sign-offs of settlement statements. They run after
matrix_financing's (files in name order), whose commissions settled 2024Q1 (run 1, by
XAT's) and reopened it (run 2, by XBO's).

A reopened run's sign-offs are read by the ledger's readers of its pair only (a settled
run's are public: tests/api/test_signoff_routes.py); both commissions sign the run in
force, each once.
"""

from __future__ import annotations

from tests.api.matrix import Case, Request

__all__ = ["CASES"]

COMMISSIONS = frozenset({"commission-XAT", "commission-XBO"})
LEDGER_READERS = COMMISSIONS | {"treasury-XAT", "treasury-XBO", "auditor"}
REOPENED = "2024Q1:XAT:XBO:1"
IN_FORCE = "2024Q1:XAT:XBO:2"

CASES: list[Case] = [
    Case(
        "GET",
        "/api/v1/settlements/runs/{run_id}/signoffs",
        LEDGER_READERS,
        lambda name: Request(f"/api/v1/settlements/runs/{REOPENED}/signoffs"),
    ),
    Case(
        "POST",
        "/api/v1/settlements/runs/{run_id}/signoffs",
        COMMISSIONS,
        lambda name: Request(f"/api/v1/settlements/runs/{IN_FORCE}/signoffs"),
    ),
]
