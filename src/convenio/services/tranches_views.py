"""The tranches page and a tranche's page: what was lent, the principal outstanding as
the party statement counts it, each installment paid or not, and the debt service still
to come by year.

Amounts are exact `Decimal` in their currency (converted from minor units here, once).
A treasury reads its own party's tranches (`financing.tranches`); the commission and the
auditor read every party's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from convenio.auth import Principal
from convenio.financing import Tranche
from convenio.financing.claims import ClaimType
from convenio.services import financing, ledger
from convenio.services.financing_common import Amount, scaled
from convenio.store import UnitOfWork
from convenio.terms import LoanTerms

__all__ = [
    "InstallmentRow",
    "TrancheList",
    "TrancheRow",
    "TrancheView",
    "YearService",
    "debt_service_by_year",
    "installment_status",
    "tranche",
    "tranches",
]


@dataclass(frozen=True)
class TrancheRow:
    """A tranche: what was lent, on which terms, and the principal still outstanding."""

    tranche_id: str
    delivery_id: str
    creditor: str
    debtor: str
    currency: str
    start: date
    maturity: date
    principal: Decimal
    outstanding: Decimal
    rate: Decimal
    months: int
    grace_months: int
    grace_interest: str
    method: str
    frequency: str
    day_count: str


@dataclass(frozen=True)
class YearService:
    """What the tranches' schedules make due in one year: principal and interest."""

    year: int
    currency: str
    principal: Decimal
    interest: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest


@dataclass(frozen=True)
class TrancheList:
    """The tranches a reader sees, as of a day, and their debt service after it."""

    as_of: date
    rows: tuple[TrancheRow, ...]
    service: tuple[YearService, ...]
    principal: tuple[Amount, ...]
    outstanding: tuple[Amount, ...]


def debt_service_by_year(
    found: Iterable[Tranche], after: date
) -> dict[tuple[int, str], tuple[int, int]]:
    """Per (year, currency), the principal and interest (minor units) of the installments
    of `found` due after `after` — pure: the schedules alone, paid or not."""
    totals: dict[tuple[int, str], tuple[int, int]] = {}
    for t in found:
        for row in t.schedule.installments:
            if row.due > after:
                principal, interest = totals.get((row.due.year, t.currency), (0, 0))
                totals[row.due.year, t.currency] = (
                    principal + row.principal,
                    interest + row.interest,
                )
    return dict(sorted(totals.items()))


def _tranche_row(t: Tranche, repaid: int, scale: int, as_of: date) -> TrancheRow:
    """`t` with its principal outstanding as of `as_of`: what was lent less `repaid`
    (what the runs allocated to its installments), all of it before it starts."""
    s = t.schedule
    outstanding = t.principal - repaid if t.start <= as_of else t.principal
    return TrancheRow(
        t.id, t.delivery_id, t.creditor, t.debtor, t.currency, t.start, s.maturity,
        scaled(t.principal, scale), scaled(outstanding, scale), s.rate, s.term_months,
        s.grace_months, s.grace_interest.value, s.method.value, s.frequency.value,
        s.day_count.value,
    )  # fmt: skip


def _sums(rows: Iterable[tuple[str, Decimal]]) -> tuple[Amount, ...]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for unit, value in rows:
        totals[unit] += value
    return tuple(Amount(value, unit) for unit, value in sorted(totals.items()))


def tranches(uow: UnitOfWork, as_of: date | None = None, *, actor: Principal) -> TrancheList:
    """The tranches `actor` reads (`financing.tranches`: a treasury, its party's) with the
    principal outstanding as of `as_of` (default: the last settled day, else today) — what
    was lent less what the settlement runs ending by then repaid of its installments
    (the repository's `allocated_by_source`, as the party statement counts it) — and
    the debt service due after `as_of`, by year."""
    day = as_of or uow.financing.last_settled_day() or date.today()
    found = financing.tranches(uow, actor=actor)
    scales = ledger.unit_scales(uow)
    repaid = uow.financing.allocated_by_source(day, ClaimType.INSTALLMENT)
    rows = tuple(_tranche_row(t, repaid.get(t.id, 0), scales[t.currency], day) for t in found)
    service = tuple(
        YearService(year, currency, scaled(p, scales[currency]), scaled(i, scales[currency]))
        for (year, currency), (p, i) in debt_service_by_year(found, day).items()
    )
    return TrancheList(
        day,
        rows,
        service,
        _sums((r.currency, r.principal) for r in rows),
        _sums((r.currency, r.outstanding) for r in rows),
    )


@dataclass(frozen=True)
class InstallmentRow:
    """A row of a schedule with what the settlement runs paid of it and its status."""

    number: int
    due: date
    opening: Decimal
    interest: Decimal
    principal: Decimal
    payment: Decimal
    closing: Decimal
    paid: Decimal
    status: str


@dataclass(frozen=True)
class TrancheView:
    """A tranche, its loan terms and its schedule as of a day."""

    row: TrancheRow
    as_of: date
    loan: LoanTerms
    installments: tuple[InstallmentRow, ...]


def installment_status(due: date, payment: int, paid: int, as_of: date) -> str:
    """``paid`` (all of it), ``part-paid``, ``unpaid`` (due by `as_of`, nothing paid) or
    ``not-due`` (due after `as_of`, nothing paid yet)."""
    if paid >= payment:
        return "paid"
    if paid > 0:
        return "part-paid"
    return "unpaid" if due <= as_of else "not-due"


def tranche(
    uow: UnitOfWork, tranche_id: str, as_of: date | None = None, *, actor: Principal
) -> TrancheView:
    """The tranche `tranche_id` (`financing.tranche`: `NotFoundError` for one the actor
    does not read) with each installment's payment status as of `as_of` (default
    the last settled day, else today): what the runs in force ending by then allocated to
    its installment and its interest."""
    day = as_of or uow.financing.last_settled_day() or date.today()
    t = financing.tranche(uow, tranche_id, actor=actor)
    scale = ledger.unit_scales(uow)[t.currency]
    rows = t.schedule.installments
    ids = [f"{t.id}:{kind}:{row.number}" for row in rows for kind in ("inst", "int")]
    paid = uow.financing.allocated_totals(day, claim_ids=ids)

    def money(minor: int) -> Decimal:
        return scaled(minor, scale)

    installments = []
    for row in rows:
        settled = paid.get(f"{t.id}:inst:{row.number}", 0) + paid.get(f"{t.id}:int:{row.number}", 0)
        installments.append(
            InstallmentRow(
                row.number, row.due, money(row.opening), money(row.interest),
                money(row.principal), money(row.payment), money(row.closing), money(settled),
                installment_status(row.due, row.payment, settled, day),
            )
        )  # fmt: skip
    repaid = uow.financing.allocated_by_source(day, ClaimType.INSTALLMENT).get(t.id, 0)
    return TrancheView(_tranche_row(t, repaid, scale, day), day, t.loan, tuple(installments))
