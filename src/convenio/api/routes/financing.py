"""Financing: prices, deliveries and payments (as JSON records or an uploaded CSV or
.xlsx file), interest accrual, tranches and their schedules.

The loads take a JSON list of the records of the CLI's file, or the file itself
(``Content-Type: text/csv`` or the .xlsx media type): both reach the same loader through
one file (`convenio.api.tables`), so the problems are the CLI's, located by JSON pointer
or by line and field. The services check the row scope: a treasury records the prices of
the series its party issues, the deliveries its party supplies, the payments it makes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any, Final, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from starlette.responses import Response

from convenio.api.deps import CanReadLedger, CanSettle, CanWriteFinance, RawBody, Reader
from convenio.api.problems import PROBLEMS
from convenio.api.schemas import Decimal, LoadAnswer
from convenio.api.tables import as_table, as_upload
from convenio.api.writes import WriteDep
from convenio.errors import InputError, Problem
from convenio.files import Source
from convenio.financing import Tranche
from convenio.financing.deliveries import DELIVERY_COLUMNS
from convenio.financing.payments import PAYMENT_COLUMNS
from convenio.financing.prices import PRICE_COLUMNS
from convenio.financing.schedules import Installment
from convenio.services import financing as svc
from convenio.services import ledger
from convenio.services.financing import LoadResult
from convenio.store import UnitOfWork
from convenio.units import format_minor

__all__ = ["XLSX", "router"]

router = APIRouter(prefix="/api/v1", tags=["financing"], responses=PROBLEMS)

XLSX: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Record = TypeVar("Record", bound=BaseModel)
Code = Annotated[str, Field(min_length=1, max_length=50)]


class PaymentIn(BaseModel):
    """A cash payment: the columns of the payments CSV."""

    payment_id: Code
    date: date
    payer: Code
    payee: Code
    amount: Decimal
    currency: str = Field(min_length=1, max_length=20)
    reference: str = Field("", max_length=500)


class PriceIn(BaseModel):
    """A quote of a reference series: the columns of the prices CSV (series currency per
    unit, e.g. USD per bbl)."""

    series: Code
    date: date
    price: Decimal


class DeliveryIn(BaseModel):
    """A delivery: the columns of the deliveries CSV; ``price`` empty or absent where the
    terms set it (pricing rule or rate card)."""

    delivery_id: Code
    date: date
    supplier: Code
    recipient: Code
    kind: str = Field(min_length=1, max_length=20, description="commodity, goods or services")
    item: Code
    quantity: Decimal
    unit: Code
    price: Decimal | None = None


def _documented(model: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI request body of a load: JSON records, or the CSV or .xlsx file."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"type": "array", "items": model.model_json_schema()}
                },
                "text/csv": {"schema": {"type": "string"}},
                XLSX: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    }


def _records(model: type[Record], body: bytes) -> list[Record]:
    try:
        return TypeAdapter(list[model]).validate_json(body)  # type: ignore[valid-type]
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from exc


class _Body:
    """A load's body, checked before the write: JSON records or an uploaded file."""

    def __init__(
        self, request: Request, body: bytes, model: type[BaseModel], columns: Sequence[str]
    ) -> None:
        kind = request.headers.get("content-type", "application/json")
        self.kind = kind.split(";")[0].strip().lower()
        self.body = body
        self.columns = columns
        self.records: list[BaseModel] = []
        if self.kind == "application/json":
            self.records = list(_records(model, body))
        elif self.kind not in ("text/csv", XLSX):
            raise InputError(
                f"Content-Type {self.kind!r}: send application/json, text/csv or {XLSX}",
                [Problem("not a supported media type", field="Content-Type")],
            )

    @contextmanager
    def file(self) -> Iterator[Source]:
        if self.kind == "application/json":
            with as_table(self.records, self.columns) as path:
                yield path
        else:
            with as_upload(self.body, ".csv" if self.kind == "text/csv" else ".xlsx") as path:
                yield path


def _answer(result: LoadResult) -> LoadAnswer:
    return LoadAnswer(
        added=result.added,
        unchanged=result.unchanged,
        posted=result.posted,
        settled=list(result.settled),
    )


def _said(what: str) -> Callable[[LoadResult], str]:
    return lambda r: f"{what}: {r.added} added, {r.unchanged} unchanged"


@router.post(
    "/payments",
    status_code=201,
    response_model=LoadAnswer,
    openapi_extra=_documented(PaymentIn),
)
def payments(request: Request, body: RawBody, who: CanWriteFinance, write: WriteDep) -> Response:
    """Record cash payments (all or nothing; a payment id already stored with the same
    content is left as it is). A treasury records the payments its party makes."""
    loaded = _Body(request, body, PaymentIn, (*PAYMENT_COLUMNS, "reference"))

    def work(uow: UnitOfWork) -> LoadResult:
        with loaded.file() as path:
            return svc.load_payments(uow, path, actor=who)

    return write.run(who, work, _answer, _said("payments"))


@router.post(
    "/prices", status_code=201, response_model=LoadAnswer, openapi_extra=_documented(PriceIn)
)
def prices(request: Request, body: RawBody, who: CanWriteFinance, write: WriteDep) -> Response:
    """Record price quotes of reference series (all or nothing; a quote already stored is
    left as it is, another price on its date is a conflict). A treasury quotes the series
    its party issues: those by which the terms price the commodities its party supplies."""
    loaded = _Body(request, body, PriceIn, PRICE_COLUMNS)

    def work(uow: UnitOfWork) -> LoadResult:
        with loaded.file() as path:
            return svc.load_prices(uow, path, actor=who)

    return write.run(who, work, _answer, _said("prices"))


@router.post(
    "/deliveries",
    status_code=201,
    response_model=LoadAnswer,
    openapi_extra=_documented(DeliveryIn),
)
def deliveries(request: Request, body: RawBody, who: CanWriteFinance, write: WriteDep) -> Response:
    """Record deliveries, each valued by the terms in force on its date, split into the
    part due at short term and a tranche, and posted to the ledger (all or nothing,
    idempotent; binding quotas are checked). A treasury records what its party supplies."""
    loaded = _Body(request, body, DeliveryIn, DELIVERY_COLUMNS)

    def work(uow: UnitOfWork) -> LoadResult:
        with loaded.file() as path:
            return svc.load_deliveries(uow, path, actor=who)

    return write.run(who, work, _answer, _said("deliveries"))


@router.post("/accruals", status_code=201, response_model=LoadAnswer)
def accruals(
    who: CanSettle,
    write: WriteDep,
    through: Annotated[date, Query(description="Book month ends up to this date (ISO)")],
) -> Response:
    """Accrue interest on every tranche, and late interest on unpaid short-term parts
    where the terms charge it, at each month end up to `through` (idempotent):
    ``added`` accruals booked, ``unchanged`` tranches already booked before."""
    return write.run(who, lambda uow: svc.accrue(uow, through), _answer, _said("accruals"))


class TrancheRead(BaseModel):
    """A tranche: the financed part of a delivery, lent by `creditor` to `debtor`."""

    tranche: str
    delivery_id: str
    creditor: str
    debtor: str
    start: date
    principal: Decimal
    currency: str
    rate: Decimal = Field(description="Yearly rate as a fraction: `0.02` is 2 %")
    months: int
    grace_months: int
    grace_interest: str
    method: str
    frequency: str
    day_count: str


class Tranches(BaseModel):
    tranches: list[TrancheRead]


class InstallmentRead(BaseModel):
    """One row of a schedule, amounts in the tranche's currency."""

    number: int
    due: date
    opening: Decimal
    interest: Decimal
    principal: Decimal
    payment: Decimal
    closing: Decimal


class ScheduleRead(BaseModel):
    tranche: TrancheRead
    installments: list[InstallmentRead]


def _tranche(t: Tranche, scale: int) -> TrancheRead:
    s = t.schedule
    return TrancheRead(
        tranche=t.id, delivery_id=t.delivery_id, creditor=t.creditor, debtor=t.debtor,
        start=t.start, principal=format_minor(t.principal, scale), currency=t.currency,
        rate=format(s.rate.normalize(), "f"), months=s.term_months, grace_months=s.grace_months,
        grace_interest=s.grace_interest.value, method=s.method.value,
        frequency=s.frequency.value, day_count=s.day_count.value,
    )  # fmt: skip


def _installment(i: Installment, scale: int) -> InstallmentRead:
    def text(minor: int) -> str:
        return format_minor(minor, scale)

    return InstallmentRead(
        number=i.number, due=i.due, opening=text(i.opening), interest=text(i.interest),
        principal=text(i.principal), payment=text(i.payment), closing=text(i.closing),
    )  # fmt: skip


@router.get("/tranches", response_model=Tranches)
def tranches(
    uow: Reader,
    who: CanReadLedger,
    party: Annotated[
        str | None,
        Query(description="Only tranches where this party is creditor or debtor (VEN: VEN.*)"),
    ] = None,
) -> Tranches:
    """The financed tranches (principal and loan terms), or one party's. A treasury reads
    its own party's only."""
    found, scales = svc.tranches(uow, party, actor=who), ledger.unit_scales(uow)
    return Tranches(tranches=[_tranche(t, scales[t.currency]) for t in found])


@router.get("/tranches/{tranche_id}/schedule", response_model=ScheduleRead)
def schedule(uow: Reader, who: CanReadLedger, tranche_id: str) -> ScheduleRead:
    """A tranche's repayment schedule: every installment's due date, opening principal,
    interest, principal, payment and closing principal (decimal strings)."""
    t, scales = svc.tranche(uow, tranche_id, actor=who), ledger.unit_scales(uow)
    scale = scales[t.currency]
    rows = [_installment(i, scale) for i in t.schedule.installments]
    return ScheduleRead(tranche=_tranche(t, scale), installments=rows)
