"""The shipped example, end to end: check the terms, open the accounts, post the reported
Q4 2011 compensation, verify the chain and read the balances.

It is what the README's first command runs until the full demo dataset exists. Running it
again changes nothing: accounts and transactions are idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass

from convenio.examples import EXAMPLES
from convenio.services import ledger
from convenio.store import Store

__all__ = ["ExampleReport", "run_example"]


@dataclass(frozen=True)
class ExampleReport:
    agreement: str
    versions: tuple[str, ...]
    opened: ledger.OpenResult
    posted: ledger.PostResult
    verified: ledger.VerifyReport
    balances: tuple[ledger.BalanceRow, ...]


def run_example(store: Store) -> ExampleReport:
    """Load the shipped example into `store` (idempotently) and report what it holds."""
    from convenio.terms import load_terms

    terms = load_terms(EXAMPLES / "cuba-venezuela.yaml")
    with store.unit_of_work(write=True) as uow:
        opened = ledger.open_accounts_file(uow, EXAMPLES / "accounts.csv")
    with store.unit_of_work(write=True) as uow:
        posted = ledger.post_file(uow, EXAMPLES / "q4-2011.csv")
    with store.unit_of_work() as uow:
        verified = ledger.verify(uow)
        rows = tuple(ledger.balances(uow))
    return ExampleReport(
        agreement=terms.agreement.name,
        versions=tuple(f"{v.id} ({v.effective})" for v in terms.versions),
        opened=opened,
        posted=posted,
        verified=verified,
        balances=rows,
    )
