"""The ledger: balances, verification."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from convenio.api.deps import CanReadLedger, CanVerify, Reader
from convenio.api.problems import PROBLEMS
from convenio.errors import IntegrityError, Problem
from convenio.services import ledger as svc
from convenio.units import format_minor

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["ledger"], responses=PROBLEMS)


class Balance(BaseModel):
    account: str
    unit: str
    amount: str


class Balances(BaseModel):
    balances: list[Balance]


@router.get("/balances", response_model=Balances)
def balances(
    uow: Reader,
    who: CanReadLedger,
    as_of: Annotated[date | None, Query(description="Effective date (ISO); default: all")] = None,
    known_at: Annotated[datetime | None, Query(description="As recorded at this moment")] = None,
    party: Annotated[str | None, Query(description="Only this party's accounts")] = None,
) -> Balances:
    """Every account's balance (or one party's), as of a date, as known at a moment. A
    party's treasury reads its own party's accounts only."""
    if party is None and not who.sees_all_parties():
        party = who.party
    if party is not None:
        who.require_parties([(party, Problem("", field="party"))])
    rows = svc.balances(uow, as_of, known_at, party)
    return Balances(
        balances=[Balance(account=r.account, unit=r.unit, amount=format_minor(r.balance, r.scale))
                  for r in rows]
    )  # fmt: skip


class VerifyAnswer(BaseModel):
    ok: bool
    transactions: int
    head: str
    head_seq: int
    audit_entries: int
    problem: str | None = None


@router.get("/ledger/verify", response_model=VerifyAnswer)
def verify(uow: Reader, who: CanVerify) -> VerifyAnswer:
    """Recompute the hash chain, every transaction's balance, the derived totals and the
    audit trail; ``ok: false`` names the first break."""
    try:
        report = svc.verify(uow)
    except IntegrityError as exc:
        head = uow.ledger.head()
        return VerifyAnswer(
            ok=False, transactions=head.seq, head=head.hash, head_seq=head.seq,
            audit_entries=0, problem=str(exc),
        )  # fmt: skip
    return VerifyAnswer(
        ok=True, transactions=report.transactions, head=report.head_hash,
        head_seq=report.head_seq, audit_entries=report.audit_entries,
    )  # fmt: skip
