"""The payments page: the latest payments a reader sees, with the settlement
transactions that applied them, and the payment form — read by the payments loader of
``POST /api/v1/payments`` (`financing.load_payments`) as the one-line table that route
would give it.

Amounts are exact `Decimal` in their currency. A treasury reads the payments its party
made or received, and records those its party makes; the commission and the auditor
read every party's.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final

from sqlalchemy import and_, func, or_, select

from convenio.auth import Principal
from convenio.errors import InputError, Problem
from convenio.files import PLAIN, FileOptions, InMemory
from convenio.files.numbers import english_number
from convenio.financing.payments import PAYMENT_COLUMNS
from convenio.services import financing, ledger
from convenio.services.financing import LoadResult
from convenio.services.financing_common import party_scope, scaled
from convenio.store import UnitOfWork
from convenio.store.financing_tables import payments as payment_rows
from convenio.store.tables import transactions

__all__ = [
    "RECENT_PAYMENTS",
    "PaymentForm",
    "PaymentRow",
    "PaymentsView",
    "payments",
    "record_payment",
]

RECENT_PAYMENTS: Final = 25
"""Payments listed on the page."""


@dataclass(frozen=True)
class PaymentRow:
    """A recorded payment and the ledger transactions of the runs that applied it."""

    payment_id: str
    date: date
    payer: str
    payee: str
    amount: Decimal
    currency: str
    reference: str
    transactions: tuple[str, ...]


@dataclass(frozen=True)
class PaymentsView:
    """The latest payments a reader sees, and the choices of the payment form: payers
    are the parties the reader acts for, payees the others."""

    rows: tuple[PaymentRow, ...]
    count: int
    payers: tuple[str, ...]
    payees: tuple[str, ...]
    currencies: tuple[str, ...]
    payer: str | None
    payee: str | None
    currency: str | None


def payments(uow: UnitOfWork, *, actor: Principal, limit: int = RECENT_PAYMENTS) -> PaymentsView:
    """The `limit` latest payments (by date, then id) that `actor` reads — a treasury,
    those its party made or received — and the payment form's choices."""
    p = payment_rows.c
    scope = party_scope(actor, p.payer, p.payee)
    condition = and_(True, scope) if scope is not None else and_(True)
    conn = uow.connection
    count = conn.execute(select(func.count()).select_from(payment_rows).where(condition))
    query = select(payment_rows).where(condition).order_by(p.date.desc(), p.id.desc()).limit(limit)
    found = list(conn.execute(query))
    scales = ledger.unit_scales(uow)
    applied = _applied(uow, [r.id for r in found])
    rows = tuple(
        PaymentRow(
            r.id, r.date, r.payer, r.payee, scaled(r.amount, scales[r.currency]), r.currency,
            r.reference, applied.get(r.id, ()),
        )
        for r in found
    )  # fmt: skip
    agreement = financing.stored_agreement(uow)
    codes = [x.code for x in agreement.parties] if agreement else []
    payers = tuple(c for c in codes if not actor.sees_all_parties() and actor.may_act_for(c))
    payees = tuple(c for c in codes if c not in payers)
    currencies = tuple(
        sorted(code for code, unit in uow.ledger.units().items() if unit.kind.value == "currency")
    )
    sides: dict[str, str] = {}
    cash = None
    if agreement is not None and agreement.versions:
        latest = agreement.versions[-1]
        sides = financing.settlement_sides(agreement, latest.effective)
        cash = latest.settlement.cash_currency if latest.settlement is not None else None
    payer = next((sides[c] for c in payers if sides.get(c) in payers), None)
    payee = next((sides[c] for c in payees if sides.get(c) in payees), None)
    return PaymentsView(rows, count.scalar_one(), payers, payees, currencies, payer, payee, cash)


def _applied(uow: UnitOfWork, payment_ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Per payment, the settlement transactions that applied it (their metadata name it)."""
    if not payment_ids:
        return {}
    t = transactions.c
    # The metadata is JSON text: find the rows that mention an id, then read them.
    mentions = or_(*(t.metadata.contains(pid, autoescape=True) for pid in payment_ids))
    query = select(t.id, t.metadata).where(t.kind == "settlement", mentions).order_by(t.seq)
    found: dict[str, list[str]] = defaultdict(list)
    wanted = set(payment_ids)
    for txn_id, metadata in uow.connection.execute(query):
        named = json.loads(metadata).get("payment")
        if named in wanted:
            found[named].append(txn_id)
    return {pid: tuple(ids) for pid, ids in found.items()}


@dataclass(frozen=True)
class PaymentForm:
    """A payment as typed in the form: text, read by the payments loader."""

    payment_id: str
    date: str
    payer: str
    payee: str
    amount: str
    currency: str
    reference: str = ""


_LIMITS: Final = {"payment_id": 50, "payer": 50, "payee": 50, "currency": 20, "reference": 500}
"""The longest text of each field (those of ``POST /api/v1/payments``)."""


def record_payment(
    uow: UnitOfWork, form: PaymentForm, language: str, *, actor: Principal
) -> LoadResult:
    """Record the payment of a web form through `financing.load_payments` (the loader of
    ``POST /api/v1/payments``: the same checks, the same row scope — a treasury records
    the payments its party makes), the amount read the way `language` writes numbers
    (``es``: ``1.234,56``; ``en``: ``1,234.56`` or ``1234.56``). Its problems name the
    form's fields."""
    long = [
        Problem(f"at most {most} characters", field=name)
        for name, most in _LIMITS.items()
        if len(getattr(form, name)) > most
    ]
    if long:
        raise InputError.from_problems(long, "payment")
    amount = form.amount.strip() if language == "es" else english_number(form.amount)
    values = (form.payment_id.strip(), form.date.strip(), form.payer, form.payee, amount,
              form.currency, form.reference.strip())  # fmt: skip
    out = io.StringIO()
    # A Spanish table separates its fields by ';' (its decimal mark is the comma).
    writer = csv.writer(out, delimiter=";" if language == "es" else ",", lineterminator="\n")
    writer.writerow((*PAYMENT_COLUMNS, "reference"))
    writer.writerow(values)
    options = FileOptions(locale="es") if language == "es" else PLAIN
    table = InMemory("payment.csv", out.getvalue().encode())
    return financing.load_payments(uow, table, options, actor=actor)
