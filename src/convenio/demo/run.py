"""Running the demo: load the generated inputs through the services, settle every quarter
from 2000Q4 to 2015Q4, and summarise the statements and the debt at each year end.

The service behind `convenio demo`. It writes only through the existing use cases —
`load_terms_file`, `load_prices`, `record_deliveries`, `record_payments`, the missions
loads of `convenio.demo.run_missions` and the deployments (converted into the services
deliveries the inputs left out) and cases of `convenio.demo.run_pathways` (before any
run), `run_settlement` — each in its
own unit of work, so every step is idempotent: running the demo again on the same
store finds everything recorded and settled and changes nothing. The summary reads what
is stored: the statements of the runs, the deliveries, the ledger's payables at each
year end, and the missions through analytics. Amounts are integers of cents; a party's
state is the first segment of its code (``VEN.PDVSA`` is Venezuela's).
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

from convenio.demo.cases import demo_cases
from convenio.demo.data import LABELS, DemoInputs, demo_inputs, from_deployments
from convenio.demo.deployments import demo_deployments
from convenio.demo.missions import missions_inputs
from convenio.demo.run_missions import MissionsSummary, load_missions, missions_summary
from convenio.demo.run_pathways import (
    CasesSummary,
    DeploymentsSummary,
    load_cases,
    load_deployments,
)
from convenio.examples import EXAMPLES
from convenio.financing import PRICE_COLUMNS, Delivery
from convenio.periods import Period, PeriodType, period_of, periods_between
from convenio.services import ledger
from convenio.services.financing import (
    load_prices,
    load_terms_file,
    record_deliveries,
    record_payments,
)
from convenio.services.settlement import run_settlement
from convenio.store import Store, UnitOfWork
from convenio.store.financing_repo import RunRow
from convenio.terms import ItemKind
from convenio.units import format_minor, parse_minor

__all__ = ["TERMS", "DemoSummary", "Progress", "QuarterFigures", "YearEnd", "run_demo"]

TERMS: Final = EXAMPLES / "cuba-venezuela.yaml"
"""The shipped terms the demo runs under."""

SUPPLIER: Final = "VEN"
RECIPIENT: Final = "CUB"

Progress = Callable[[str, int, int], None]
"""Told what the demo is doing: a stage, steps done and the steps of the stage."""


@dataclass(frozen=True, slots=True)
class QuarterFigures:
    """One quarter's statements between the two states, summed over the quarter's runs
    (one for the PDVSA–BNC compensation; before it, oil and services settle apart).

    `oil_invoiced` is the value of the oil delivered in the quarter and `oil_short_term`
    its short-term part (the rest was lent as tranches); `due_to_ven` and `due_to_cub`
    are the claims of each state outstanding before the run (the quarter's invoices,
    installments and interest falling due, and what earlier runs carried), `net` their
    difference, owed by `net_debtor` (None when even). `offset` is what services paid
    in kind; `cash_to_ven` and `cash_to_cub` what each state received in cash;
    `carried_to_ven` and `carried_to_cub` what each is still owed after the run.
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

    @property
    def oil_financed(self) -> int:
        return self.oil_invoiced - self.oil_short_term

    @property
    def net(self) -> int:
        return abs(self.due_to_ven - self.due_to_cub)

    @property
    def net_debtor(self) -> str | None:
        if self.due_to_ven == self.due_to_cub:
            return None
        return RECIPIENT if self.due_to_ven > self.due_to_cub else SUPPLIER


@dataclass(frozen=True, slots=True)
class YearEnd:
    """The debt between the states at the end of `year` (31 December), in cents.

    What Cuba owes Venezuela: `tranche_principal`, the financed parts lent and not yet
    repaid (installments due and unpaid included); `short_term`, the short-term parts of
    oil invoices not yet paid; `interest`, interest on the tranches accrued and not yet
    paid. What Venezuela owes Cuba: `services`, services invoiced and not yet paid.
    """

    year: int
    tranche_principal: int
    short_term: int
    interest: int
    services: int

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
        return RECIPIENT if self.net > 0 else SUPPLIER if self.net < 0 else None


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What `run_demo` did and what the store then holds (amounts in cents of USD)."""

    agreement: str
    labels: tuple[str, ...]
    added: tuple[tuple[str, int], ...]
    quarters: tuple[QuarterFigures, ...]
    year_ends: tuple[YearEnd, ...]
    transactions: int
    head_hash: str
    currency: str = "USD"
    scale: int = 2
    missions: MissionsSummary | None = None
    """The missions part: what was loaded and what analytics answers (`run_missions`)."""
    deployments: DeploymentsSummary | None = None
    """The cooperants part: what was deployed and converted (`run_pathways`)."""
    cases: CasesSummary | None = None
    """The cases part: the sample loaded and its pathway indicators (`run_pathways`)."""

    def quarter(self, period: str) -> QuarterFigures:
        """The figures of `period` (``2011Q4``); `KeyError` if the demo has none."""
        for figures in self.quarters:
            if figures.period == period:
                return figures
        raise KeyError(period)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values; amounts as decimal text in USD."""

        def money(minor: int) -> str:
            return format_minor(minor, self.scale)

        found = {
            "agreement": self.agreement,
            "labels": list(self.labels),
            "currency": self.currency,
            "added": dict(self.added),
            "ledger": {"transactions": self.transactions, "head_hash": self.head_hash},
            "quarters": [
                {
                    "period": q.period,
                    "runs": q.runs,
                    "oil_invoiced": money(q.oil_invoiced),
                    "oil_short_term": money(q.oil_short_term),
                    "oil_financed": money(q.oil_financed),
                    "services_invoiced": money(q.services_invoiced),
                    "due_to_ven": money(q.due_to_ven),
                    "due_to_cub": money(q.due_to_cub),
                    "offset": money(q.offset),
                    "net": {"debtor": q.net_debtor, "amount": money(q.net)},
                    "cash_to_ven": money(q.cash_to_ven),
                    "cash_to_cub": money(q.cash_to_cub),
                    "carried_to_ven": money(q.carried_to_ven),
                    "carried_to_cub": money(q.carried_to_cub),
                }
                for q in self.quarters
            ],
            "year_ends": [
                {
                    "date": date(y.year, 12, 31).isoformat(),
                    "cuba_owes": {
                        "tranche_principal": money(y.tranche_principal),
                        "short_term": money(y.short_term),
                        "interest": money(y.interest),
                        "total": money(y.cuba_owes),
                    },
                    "venezuela_owes": {"services": money(y.services)},
                    "net": {"debtor": y.net_debtor, "amount": money(abs(y.net))},
                }
                for y in self.year_ends
            ],
        }
        if self.missions is not None:
            found["missions"] = self.missions.to_dict()
        if self.deployments is not None:
            found["deployments"] = self.deployments.to_dict()
        if self.cases is not None:
            found["cases"] = self.cases.to_dict()
        return found


def _state(party: str) -> str:
    return party.split(".", maxsplit=1)[0]


def _quarters(deliveries: Sequence[Delivery]) -> list[Period]:
    first = period_of(min(d.date for d in deliveries), PeriodType.QUARTERLY)
    last = period_of(max(d.date for d in deliveries), PeriodType.QUARTERLY)
    return list(periods_between(first, last))


def _load_prices(uow: UnitOfWork, inputs: DemoInputs) -> int:
    """The price points through `load_prices`, which reads a CSV file: written to a
    temporary directory and loaded from there."""
    with tempfile.TemporaryDirectory(prefix="convenio-demo-") as folder:
        path = Path(folder) / "ven-basket.csv"
        with path.open("w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream, lineterminator="\n")
            writer.writerow(PRICE_COLUMNS)
            writer.writerows((p.series, p.date.isoformat(), str(p.price)) for p in inputs.prices)
        return load_prices(uow, path).added


def run_demo(store: Store, progress: Progress | None = None, secret: str = "") -> DemoSummary:
    """Load the demo into `store` (idempotently), settle every quarter, and summarise;
    with `secret` (``CONVENIO_SECRET_KEY``) the cases' made-up personal data is sealed
    under it, without one the cases are events only."""
    tell = progress or (lambda stage, done, total: None)
    tell("loading the terms and prices", 0, 1)
    with store.unit_of_work(write=True) as uow:
        agreement, _ = load_terms_file(uow, TERMS)
    inputs = demo_inputs(agreement)
    added: dict[str, int] = {}
    with store.unit_of_work(write=True) as uow:
        added["prices"] = _load_prices(uow, inputs)
    years = sorted({d.date.year for d in inputs.deliveries})
    added["deliveries"] = 0
    for done, year in enumerate(years):
        tell("loading deliveries", done, len(years))
        with store.unit_of_work(write=True) as uow:
            batch = [
                d for d in inputs.deliveries if d.date.year == year and not from_deployments(d)
            ]
            added["deliveries"] += record_deliveries(uow, agreement, batch, "demo").added
    with store.unit_of_work(write=True) as uow:
        added["payments"] = record_payments(uow, agreement, inputs.payments, "demo").added
    # The missions before any quarter is settled: a data value feeding a settled period
    # is refused; and the deliveries the deployments convert into must be recorded
    # before the runs that settle them.
    tell("loading the missions", 0, 1)
    missions = missions_inputs()
    added_missions = load_missions(store, missions)
    tell("deploying cooperants", 0, 1)
    services = [d for d in inputs.deliveries if d.kind is ItemKind.SERVICES]
    deployed = load_deployments(store, demo_deployments(missions.org_units), services)
    added["deliveries"] += dict(deployed.added)["deliveries"]
    tell("loading cases", 0, 1)
    cases = load_cases(store, demo_cases(missions.org_units), secret)
    quarters = _quarters(inputs.deliveries)
    added["runs"] = 0
    for done, period in enumerate(quarters):
        tell("settling quarters", done, len(quarters))
        with store.unit_of_work(write=True) as uow:
            added["runs"] += sum(o.created for o in run_settlement(uow, period.iso()))
    tell("summarising", 0, 1)
    with store.unit_of_work() as uow:
        figures = _figures(uow, quarters)
        year_ends = tuple(_year_end(uow, year) for year in years)
        head = uow.ledger.head()
    mission_figures = missions_summary(store, added_missions, missions)
    tell("summarising", 1, 1)
    return DemoSummary(
        agreement=agreement.agreement.name,
        labels=LABELS,
        added=tuple(added.items()),
        quarters=figures,
        year_ends=year_ends,
        transactions=head.seq,
        head_hash=head.hash,
        missions=mission_figures,
        deployments=deployed,
        cases=cases,
    )


def _directions(runs: Iterable[RunRow]) -> list[dict[str, Any]]:
    return [d for run in runs for d in run.statement["directions"]]


def _figures(uow: UnitOfWork, quarters: Sequence[Period]) -> tuple[QuarterFigures, ...]:
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
            totals = to[_state(d["creditor"])]
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
            )
        )
    return tuple(found)


def _year_end(uow: UnitOfWork, year: int) -> YearEnd:
    """The debt on 31 December of `year`, read from the ledger's payables: every claim
    is booked in its debtor's ``payable/TYPE/CREDITOR`` account when it arises (a
    tranche's whole principal at the invoice, interest as it accrues) and taken off as
    settlement runs pay it, whichever party settles for the debtor."""
    totals = {"financed": 0, "short-term": 0, "interest": 0, "services": 0}
    for row in ledger.balances(uow, as_of=date(year, 12, 31)):
        debtor, kind, *rest = row.account.split("/")
        if kind != "payable" or len(rest) != 2 or row.unit != "USD":
            continue
        type_, creditor = rest
        debt = -row.balance
        if (_state(debtor), _state(creditor)) == (RECIPIENT, SUPPLIER) and type_ in totals:
            totals[type_] += debt
        elif (_state(debtor), _state(creditor)) == (SUPPLIER, RECIPIENT) and type_ == "services":
            totals["services"] += debt
    return YearEnd(
        year, totals["financed"], totals["short-term"], totals["interest"], totals["services"]
    )
