"""A ledger transaction's page: its postings, its place in the hash chain and the log
(with the inclusion proof), and what it belongs to — a delivery, a payment, a settlement
run, and the claims it settled, each with the logged transaction that recorded it as
`services.provenance` names it.

A treasury reads the transactions that touch an account of its party
(`ledger.transaction`); the commission and the auditor read every one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Final

from sqlalchemy import select

from convenio.auth import Principal
from convenio.errors import NotFoundError, Problem
from convenio.financing.claims import Claim, ClaimType
from convenio.log.records import TXN
from convenio.services import ledger, log
from convenio.services.financing_common import scaled
from convenio.services.provenance import recording_transactions
from convenio.store import UnitOfWork
from convenio.store.financing_tables import settlement_runs

__all__ = ["Belonging", "PostingRow", "TransactionView", "transaction"]


@dataclass(frozen=True)
class PostingRow:
    account: str
    amount: Decimal
    unit: str


@dataclass(frozen=True)
class Belonging:
    """A claim a settlement transaction took up, the logged transaction that recorded it
    (`provenance.recording_transactions`: a delivery's value transaction, or a month's
    late-interest charge), that delivery, and the tranche of an installment or interest."""

    claim_id: str
    type: str
    recorded_by: str
    delivery_id: str | None
    tranche_id: str | None


@dataclass(frozen=True)
class TransactionView:
    """A recorded transaction, where it stands in the chain and the log, and what it
    belongs to: a delivery, a payment, a settlement run, the claims it settled."""

    txn_id: str
    date: date
    kind: str
    description: str
    source: str
    metadata: tuple[tuple[str, str], ...]
    postings: tuple[PostingRow, ...]
    seq: int
    hash: str
    prev_hash: str
    recorded_at: datetime
    reverses: str | None
    reversed_by: str | None
    log_index: int | None
    delivery_id: str | None
    payment_id: str | None
    run_id: str | None
    run_status: str | None
    claims: tuple[Belonging, ...]
    proof: log.InclusionProof | None


_OF_TRANCHE: Final = (ClaimType.INSTALLMENT, ClaimType.INTEREST)
_VALUE: Final = ("dlv:", ":value")
"""A delivery's value transaction is ``dlv:<delivery>:value``."""


def _belonging(claim: Claim, recorded_by: str) -> Belonging:
    first, last = _VALUE
    delivery = (
        recorded_by.removeprefix(first).removesuffix(last)
        if recorded_by.startswith(first) and recorded_by.endswith(last)
        else None
    )
    tranche = claim.source if claim.type in _OF_TRANCHE else None
    return Belonging(claim.id, claim.type.value, recorded_by, delivery, tranche)


def transaction(
    uow: UnitOfWork, txn_id: str, *, actor: Principal, with_proof: bool = False
) -> TransactionView:
    """The transaction `txn_id` as `ledger.transaction` gives it to `actor` (a treasury:
    one touching an account of its party; any other is not found), with its log entry
    and, `with_proof`, that entry's inclusion proof in today's tree."""
    found = ledger.transaction(uow, txn_id, actor=actor)
    if found is None:
        raise NotFoundError(f"no transaction {txn_id!r}", [Problem("unknown", field="txn_id")])
    txn = found.txn
    scales = ledger.unit_scales(uow)
    meta = dict(txn.metadata)
    index = uow.log.locate(TXN, found.seq)
    run = None
    if txn.kind == "settlement":
        r = settlement_runs.c
        for run_id, status, listed in uow.connection.execute(
            select(r.id, r.status, r.transactions).where(
                r.transactions.contains(txn.id, autoescape=True)
            )
        ):
            if txn.id in json.loads(listed):
                run = (run_id, status)
    claim_ids = [c for c in txn.source.split(",") if c] if txn.kind == "settlement" else []
    known = uow.financing.claims_by_id(claim_ids)
    recorded = recording_transactions(uow, known.keys())
    belongs = tuple(_belonging(known[cid][0], recorded[cid]) for cid in claim_ids if cid in known)
    delivery = meta.get("delivery") or (txn.source if txn.kind == "delivery" else None)
    return TransactionView(
        txn_id=txn.id, date=txn.date, kind=txn.kind, description=txn.description,
        source=txn.source, metadata=tuple(txn.metadata),
        postings=tuple(
            PostingRow(p.account, scaled(p.amount, scales[p.unit]), p.unit)
            for p in txn.postings
        ),
        seq=found.seq, hash=found.hash, prev_hash=found.prev_hash,
        recorded_at=found.recorded_at, reverses=txn.reverses,
        reversed_by=uow.ledger.reversed_by(txn.id), log_index=index,
        delivery_id=delivery, payment_id=meta.get("payment"),
        run_id=run[0] if run else None, run_status=run[1] if run else None,
        claims=belongs,
        proof=log.inclusion(uow, index) if with_proof and index is not None else None,
    )  # fmt: skip
