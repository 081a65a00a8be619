"""The ledger: accounts, transactions (post, read, reverse), balances, verification and
the journal's export — the capabilities of ``convenio ledger`` over the same services.

A treasury reads and writes its own party's accounts only: the services check each row's
party (`actor=who`) after parsing and before locking, so a refused request writes nothing.
Commission and auditor read every party's; only they verify and export.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from datetime import date, datetime
from typing import IO, Annotated, Final, Literal

from fastapi import APIRouter, Path, Query
from fastapi.exceptions import HTTPException
from pydantic import BaseModel, Field
from starlette.responses import Response, StreamingResponse

from convenio.api.deps import CanReadLedger, CanVerify, CanWriteFinance, Reader
from convenio.api.problems import PROBLEMS
from convenio.api.schemas import Decimal
from convenio.api.tables import as_table
from convenio.api.writes import WriteDep
from convenio.ledger import AccountKind
from convenio.ledger.parse import ACCOUNT_COLUMNS, ACCOUNT_OPTIONAL, CSV_COLUMNS, CSV_OPTIONAL
from convenio.services import catalog, exports
from convenio.services import ledger as svc
from convenio.store import UnitOfWork
from convenio.units import format_minor

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["ledger"], responses=PROBLEMS)

Day = date  # for fields named `date`, whose default would hide the type
TxnIdPath = Annotated[
    str, Path(description="A transaction's id (it may contain `/`: `open-XAT/reversal`)")
]


# -- accounts ------------------------------------------------------------------------


class AccountRead(BaseModel):
    """An account, the bounds its balance must keep and its balance, in its unit."""

    account: str
    party: str
    unit: str
    kind: AccountKind
    floor: Decimal | None
    ceiling: Decimal | None
    balance: Decimal


class Accounts(BaseModel):
    accounts: list[AccountRead]


def _amount(minor: int | None, scale: int) -> str | None:
    return None if minor is None else format_minor(minor, scale)


@router.get("/accounts", response_model=Accounts)
def accounts(
    uow: Reader,
    who: CanReadLedger,
    party: Annotated[
        str | None, Query(description="Only this party's accounts and its agencies'")
    ] = None,
    unit: Annotated[str | None, Query(description="Only accounts in this unit, e.g. USD")] = None,
    as_of: Annotated[date | None, Query(description="Balances as of (ISO); default: all")] = None,
) -> Accounts:
    """The ledger's accounts (what journals name), with their bounds and balances. A
    party's treasury reads its own party's accounts only."""
    rows = catalog.accounts(uow, party, unit, as_of, actor=who)
    return Accounts(
        accounts=[
            AccountRead(
                account=r.account, party=r.party, unit=r.unit, kind=AccountKind(r.kind),
                floor=_amount(r.floor, r.scale), ceiling=_amount(r.ceiling, r.scale),
                balance=format_minor(r.balance, r.scale),
            )
            for r in rows
        ]
    )  # fmt: skip


class AccountIn(BaseModel):
    """An account to open: the columns of the accounts CSV. Bounds in the account's unit
    (empty: none); ``floor: "0"`` keeps the balance from ever going below zero."""

    account: str = Field(min_length=1, max_length=200, examples=["XAT/reserves/treasury"])
    unit: str = Field(min_length=1, max_length=20, examples=["USD"])
    kind: AccountKind = AccountKind.ASSET
    floor: Decimal | None = None
    ceiling: Decimal | None = None


class Opened(BaseModel):
    """Accounts opened, and accounts already open with the same attributes."""

    opened: int
    unchanged: int


@router.post("/accounts", status_code=201, response_model=Opened)
def open_accounts(accounts: list[AccountIn], who: CanWriteFinance, write: WriteDep) -> Response:
    """Open accounts, all or nothing (reopening one with the same attributes changes
    nothing; with others, 409). A treasury opens its own party's accounts: those whose
    first segment is its party or one of its agencies."""

    def work(uow: UnitOfWork) -> svc.OpenResult:
        with as_table(accounts, (*ACCOUNT_COLUMNS, *ACCOUNT_OPTIONAL)) as path:
            return svc.open_accounts_file(uow, path, actor=who)

    return write.run(
        who,
        work,
        lambda r: Opened(opened=r.opened, unchanged=r.unchanged),
        lambda r: f"accounts: {r.opened} opened, {r.unchanged} unchanged",
    )


# -- transactions --------------------------------------------------------------------


class JournalRow(BaseModel):
    """One posting of a journal: the columns of the journal CSV. The rows of one
    transaction share its ``txn_id``, date and description, and balance per unit."""

    txn_id: str = Field(min_length=1, max_length=200)
    date: date
    account: str = Field(min_length=1, max_length=200)
    amount: Decimal
    unit: str = Field(min_length=1, max_length=20)
    description: str = Field("", max_length=1000)
    kind: str = Field("", max_length=50, description="Default: manual")
    source: str = Field("", max_length=500)


class Posted(BaseModel):
    """Transactions recorded, transactions already recorded with the same content, and
    the head of the hash chain after the write."""

    posted: int
    replayed: int
    head_seq: int
    head_hash: str


def _posted(result: svc.PostResult) -> Posted:
    return Posted(
        posted=result.posted,
        replayed=result.replayed,
        head_seq=result.head_seq,
        head_hash=result.head_hash,
    )


def _said(result: svc.PostResult) -> str:
    return f"transactions: {result.posted} posted, {result.replayed} replayed"


@router.post("/transactions", status_code=201, response_model=Posted)
def post_transactions(rows: list[JournalRow], who: CanWriteFinance, write: WriteDep) -> Response:
    """Post a journal, all or nothing: a transaction already recorded with the same id and
    content is replayed (nothing written), with other content it is a conflict (409). A
    treasury posts only transactions whose every account is its own party's."""

    def work(uow: UnitOfWork) -> svc.PostResult:
        with as_table(rows, (*CSV_COLUMNS, *CSV_OPTIONAL)) as path:
            return svc.post_file(uow, path, actor=who)

    return write.run(who, work, _posted, _said)


class PostingRead(BaseModel):
    account: str
    unit: str
    amount: Decimal


class TransactionRead(BaseModel):
    """A recorded transaction: its content, its place in the hash chain and when it was
    recorded."""

    id: str
    date: date
    kind: str
    description: str
    source: str
    reverses: str | None
    metadata: dict[str, str]
    postings: list[PostingRead]
    seq: int
    hash: str
    recorded_at: datetime


@router.get("/transactions/{txn_id:path}", response_model=TransactionRead)
def transaction(uow: Reader, who: CanReadLedger, txn_id: TxnIdPath) -> TransactionRead:
    """One recorded transaction. A treasury reads those that touch an account of its
    party; any other is, to it, not found."""
    found = svc.transaction(uow, txn_id, actor=who)
    if found is None:
        raise HTTPException(404, f"no transaction {txn_id!r}")
    scales = svc.unit_scales(uow)
    txn = found.txn
    postings = [
        PostingRead(account=p.account, unit=p.unit, amount=format_minor(p.amount, scales[p.unit]))
        for p in txn.postings
    ]
    return TransactionRead(
        id=txn.id, date=txn.date, kind=txn.kind, description=txn.description,
        source=txn.source, reverses=txn.reverses, metadata=dict(txn.metadata),
        postings=postings, seq=found.seq, hash=found.hash, recorded_at=found.recorded_at,
    )  # fmt: skip


class ReverseIn(BaseModel):
    """The reversal to post: its id (default: ``{txn_id}/reversal``), its effective date
    (default: the original's) and why."""

    id: str | None = Field(None, min_length=1, max_length=200)
    date: Day | None = None
    reason: str = Field("", max_length=500)


@router.post("/transactions/{txn_id:path}/reverse", status_code=201, response_model=Posted)
def reverse(txn_id: TxnIdPath, body: ReverseIn, who: CanWriteFinance, write: WriteDep) -> Response:
    """Undo a recorded transaction with its reversal (nothing is ever edited or deleted);
    once only, and reversing again with the same id changes nothing. A treasury reverses
    only transactions whose every account is its own party's."""

    def work(uow: UnitOfWork) -> svc.PostResult:
        return svc.reverse(uow, txn_id, body.id, body.date, body.reason, actor=who)

    return write.run(who, work, _posted, _said)


# -- balances and verification -------------------------------------------------------


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
    rows = svc.balances(uow, as_of, known_at, party, actor=who)
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
    outcome = svc.check(uow)
    report = outcome.report
    return VerifyAnswer(
        ok=outcome.ok, transactions=report.transactions, head=report.head_hash,
        head_seq=report.head_seq, audit_entries=report.audit_entries, problem=outcome.problem,
    )  # fmt: skip


# -- export --------------------------------------------------------------------------

_CHUNK: Final = 64 * 1024
_IN_MEMORY: Final = 4 * 1024 * 1024
"""A larger export is spooled to a temporary file rather than held in memory."""
_SUFFIX: Final = {"beancount": "beancount", "ledger": "ledger"}


def _chunks(spool: IO[bytes]) -> Iterator[bytes]:
    with spool:
        while chunk := spool.read(_CHUNK):
            yield chunk


@router.get(
    "/ledger/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The journal as Beancount or ledger-cli text (UTF-8); the "
            "`Convenio-Transactions` header says how many transactions it holds",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
)
def export(
    uow: Reader,
    who: CanVerify,
    fmt: Annotated[
        Literal["beancount", "ledger"],
        Query(alias="format", description="beancount (bean-check) or ledger (ledger-cli)"),
    ],
) -> StreamingResponse:
    """Every recorded transaction as a Beancount or ledger-cli journal whose balances are
    the ledger's (`text/plain`, UTF-8). The store is read once into a spooled file, which
    is then streamed: the read ends before the answer starts."""
    spool = tempfile.SpooledTemporaryFile(max_size=_IN_MEMORY)  # noqa: SIM115 (_chunks closes it)
    text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
    try:
        count = exports.export_journal(uow, fmt, text)
        text.flush()
    except BaseException:
        spool.close()
        raise
    text.detach()  # the spool stays open for the answer
    spool.seek(0)
    headers = {
        "Convenio-Transactions": str(count),
        "Content-Disposition": f'attachment; filename="journal.{_SUFFIX[fmt]}"',
    }
    return StreamingResponse(_chunks(spool), media_type="text/plain", headers=headers)
