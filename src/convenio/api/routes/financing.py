"""Financing: payments (and, beside them, prices, deliveries, accrual, tranches)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.responses import Response

from convenio.api.deps import CanWriteFinance
from convenio.api.problems import PROBLEMS
from convenio.api.schemas import Decimal, LoadAnswer
from convenio.api.tables import as_table
from convenio.api.writes import WriteDep
from convenio.financing.payments import PAYMENT_COLUMNS
from convenio.services import financing as svc
from convenio.services.financing import LoadResult
from convenio.store import UnitOfWork

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["financing"], responses=PROBLEMS)


class PaymentIn(BaseModel):
    """A cash payment: the columns of the payments CSV."""

    payment_id: str = Field(min_length=1, max_length=50)
    date: date
    payer: str = Field(min_length=1, max_length=50)
    payee: str = Field(min_length=1, max_length=50)
    amount: Decimal
    currency: str = Field(min_length=1, max_length=20)
    reference: str = Field("", max_length=500)


def _answer(result: LoadResult) -> LoadAnswer:
    return LoadAnswer(
        added=result.added,
        unchanged=result.unchanged,
        posted=result.posted,
        settled=list(result.settled),
    )


def _said(what: str) -> Callable[[LoadResult], str]:
    return lambda r: f"{what}: {r.added} added, {r.unchanged} unchanged"


@router.post("/payments", status_code=201, response_model=LoadAnswer)
def payments(payments: list[PaymentIn], who: CanWriteFinance, write: WriteDep) -> Response:
    """Record cash payments (all or nothing; a payment id already stored with the same
    content is left as it is). A treasury records the payments its party makes."""

    def work(uow: UnitOfWork) -> LoadResult:
        with as_table(payments, (*PAYMENT_COLUMNS, "reference")) as path:
            return svc.load_payments(uow, path, actor=who)

    return write.run(who, work, _answer, _said("payments"))
