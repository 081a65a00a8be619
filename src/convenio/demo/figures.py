"""The demo's figures, read from the store: each quarter's statements and the debt at
each year end, in cents of USD.

The last step of `convenio.demo.run`: once every quarter is settled, `quarter_figures`
sums the statements of each quarter's runs — the quarter's own invoices, and what the
runs left open, cumulative — and `year_end` reads the ledger's payables on 31 December,
with the part of Cuba's debt no run has taken up yet, so that the two tables reconcile
exactly (a year's net less what is not yet due is its fourth quarter's `open_after`).
A party's state is the first segment of its code (``VEN.PDVSA`` is Venezuela's).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from convenio.financing.claims import ClaimType
from convenio.periods import Period, PeriodType, period_of
from convenio.services import ledger
from convenio.store import UnitOfWork
from convenio.store.financing_repo import RunRow
from convenio.terms import ItemKind, state_of
from convenio.units import parse_minor

__all__ = ["QuarterFigures", "YearEnd", "quarter_figures", "side", "year_end"]

SUPPLIER: Final = "VEN"
RECIPIENT: Final = "CUB"


def side(cuba_owes: int) -> str | None:
    """Who owes a signed net (positive: Cuba owes Venezuela): ``CUB``, ``VEN`` or None."""
    return RECIPIENT if cuba_owes > 0 else SUPPLIER if cuba_owes < 0 else None


@dataclass(frozen=True, slots=True)
class QuarterFigures:
    """One quarter's statements between the two states, summed over the quarter's runs
    (one for the PDVSA–BNC compensation; before it, oil and services settle apart).

    The quarter's own invoices: `oil_invoiced` is the value of the oil delivered in the
    quarter and `oil_short_term` its short-term part (the rest was lent as tranches);
    `services_invoiced` the services; `netted` what of them the run netted against each
    other (the smaller of the two; 0 when the quarter's runs offset nothing).
    `quarter_net`, `quarter_carried` (properties) are their difference before and after
    the quarter's cash — the figures a report of the quarter gives.

    The run, cumulative: `due_to_ven` and `due_to_cub` are the claims of each state
    outstanding before the run (the quarter's invoices, installments and interest
    falling due, and what earlier runs carried), `net` their difference, owed by
    `net_debtor` (None when even). `offset` is all the run offset in kind (earlier
    claims included); `cash_to_ven` and `cash_to_cub` what each state received in cash;
    `carried_to_ven` and `carried_to_cub` what each is still owed after the run, whose
    difference is `open_after`.
    """

    period: str
    runs: int
    oil_invoiced: int
    oil_short_term: int
    services_invoiced: int
    due_to_ven: int
    due_to_cub: int
    offset: int
    cash_to_ven: int
    cash_to_cub: int
    carried_to_ven: int
    carried_to_cub: int
    netted: int = 0

    @property
    def oil_financed(self) -> int:
        return self.oil_invoiced - self.oil_short_term

    @property
    def quarter_net(self) -> int:
        """The quarter's own invoices netted, signed (positive: Cuba owes): the oil's
        short-term part less the services."""
        return self.oil_short_term - self.services_invoiced

    @property
    def quarter_carried(self) -> int:
        """`quarter_net` after the quarter's cash (Venezuela's cash to Cuba lowers what
        Venezuela owes), signed as `quarter_net`."""
        return self.quarter_net - self.cash_to_ven + self.cash_to_cub

    @property
    def open_after(self) -> int:
        """Every claim still open after the run, signed (positive: Cuba owes): what
        earlier quarters carried included."""
        return self.carried_to_ven - self.carried_to_cub

    @property
    def net(self) -> int:
        return abs(self.due_to_ven - self.due_to_cub)

    @property
    def net_debtor(self) -> str | None:
        return side(self.due_to_ven - self.due_to_cub)


@dataclass(frozen=True, slots=True)
class YearEnd:
    """The debt between the states at the end of `year` (31 December), in cents.

    What Cuba owes Venezuela: `tranche_principal`, the financed parts lent and not yet
    repaid (installments due and unpaid included); `short_term`, the short-term parts of
    oil invoices not yet paid; `interest`, interest on the tranches (and any late
    interest) accrued and not yet paid; `not_yet_due`, the part of those that no
    settlement run has taken up yet — principal of installments falling due later and
    interest accrued for periods not yet due. What Venezuela owes Cuba: `services`,
    services invoiced and not yet paid. Less `not_yet_due`, `net` is the fourth
    quarter's `QuarterFigures.open_after`.
    """

    year: int
    tranche_principal: int
    short_term: int
    interest: int
    services: int
    not_yet_due: int = 0

    @property
    def cuba_owes(self) -> int:
        return self.tranche_principal + self.short_term + self.interest

    @property
    def net(self) -> int:
        """Cuba's debt to Venezuela less Venezuela's to Cuba (negative: Venezuela owes)."""
        return self.cuba_owes - self.services

    @property
    def net_debtor(self) -> str | None:
        """The state that owes the net (``CUB`` or ``VEN``), None when even."""
        return side(self.net)

    @property
    def net_due(self) -> int:
        """`net` less what is not yet due: the claims the settlement runs hold."""
        return self.net - self.not_yet_due


def _directions(runs: Iterable[RunRow]) -> list[dict[str, Any]]:
    return [d for run in runs for d in run.statement["directions"]]


def quarter_figures(uow: UnitOfWork, quarters: Sequence[Period]) -> tuple[QuarterFigures, ...]:
    scale = uow.ledger.units()["USD"].scale
    oil: dict[str, int] = {}
    for delivery, value, currency in uow.financing.deliveries():
        if delivery.kind is ItemKind.COMMODITY and currency == "USD":
            key = period_of(delivery.date, PeriodType.QUARTERLY).iso()
            oil[key] = oil.get(key, 0) + value
    runs: dict[str, list[RunRow]] = {}
    for run in uow.financing.runs():
        runs.setdefault(run.period, []).append(run)
    found = []
    for period in quarters:
        key = period.iso()
        to: dict[str, dict[str, int]] = {SUPPLIER: {}, RECIPIENT: {}}
        for d in _directions(runs.get(key, [])):
            totals = to[state_of(d["creditor"])]
            for field in ("outstanding_before", "offset", "cash_paid", "carried_forward"):
                totals[field] = totals.get(field, 0) + parse_minor(d[field], scale)
            for type_, amount in d["invoiced"].items():
                totals[type_] = totals.get(type_, 0) + parse_minor(amount, scale)
        ven, cub = to[SUPPLIER], to[RECIPIENT]
        found.append(
            QuarterFigures(
                period=key,
                runs=len(runs.get(key, [])),
                oil_invoiced=oil.get(key, 0),
                oil_short_term=ven.get("short-term", 0),
                services_invoiced=cub.get("services", 0),
                due_to_ven=ven.get("outstanding_before", 0),
                due_to_cub=cub.get("outstanding_before", 0),
                offset=ven.get("offset", 0),
                cash_to_ven=ven.get("cash_paid", 0),
                cash_to_cub=cub.get("cash_paid", 0),
                carried_to_ven=ven.get("carried_forward", 0),
                carried_to_cub=cub.get("carried_forward", 0),
                netted=min(ven.get("short-term", 0), cub.get("services", 0))
                if ven.get("offset", 0)
                else 0,
            )
        )
    return tuple(found)


def year_end(uow: UnitOfWork, year: int) -> YearEnd:
    """The debt on 31 December of `year`, read from the ledger's payables: every claim
    is booked in its debtor's ``payable/TYPE/CREDITOR`` account when it arises (a
    tranche's whole principal at the invoice, interest as it accrues) and taken off as
    settlement runs pay it, whichever party settles for the debtor."""
    totals = {"financed": 0, "short-term": 0, "interest": 0, "late-interest": 0, "services": 0}
    for row in ledger.balances(uow, as_of=date(year, 12, 31)):
        debtor, kind, *rest = row.account.split("/")
        if kind != "payable" or len(rest) != 2 or row.unit != "USD":
            continue
        type_, creditor = rest
        debt = -row.balance
        if (state_of(debtor), state_of(creditor)) == (RECIPIENT, SUPPLIER) and type_ in totals:
            totals[type_] += debt
        elif (state_of(debtor), state_of(creditor)) == (
            SUPPLIER,
            RECIPIENT,
        ) and type_ == "services":
            totals["services"] += debt
    return YearEnd(
        year,
        totals["financed"],
        totals["short-term"],
        totals["interest"] + totals["late-interest"],
        totals["services"],
        _not_yet_due(uow, date(year, 12, 31)),
    )


def _not_yet_due(uow: UnitOfWork, day: date) -> int:
    """What Cuba owes Venezuela on `day` that no settlement run has taken up yet, in
    cents: the principal of tranche installments falling due after `day` and the
    interest accrued by `day` for periods not yet due. (Claims arise when they fall due;
    a run takes up every claim issued by its period's end.)"""
    accrued = uow.financing.accrued_by(day)
    due_interest = uow.financing.due_by_source(day, ClaimType.INTEREST)
    total = 0
    for tranche in uow.financing.tranches():
        owed_by_cuba = (state_of(tranche.debtor), state_of(tranche.creditor)) == (
            RECIPIENT,
            SUPPLIER,
        )
        if not owed_by_cuba or tranche.start > day or tranche.currency != "USD":
            continue
        total += sum(r.principal for r in tranche.schedule.installments if r.due > day)
        total += accrued.get(tranche.id, 0) - due_interest.get(tranche.id, 0)
    return total
