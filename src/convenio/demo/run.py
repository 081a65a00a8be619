"""Running the demo: load the generated inputs through the services, settle every quarter
from 2000Q4 to 2015Q4, and summarise the statements and the debt at each year end.

The service behind `convenio demo`. It writes only through the existing use cases —
`load_terms_file`, `load_prices`, `record_deliveries`, `record_payments`, the missions
loads of `convenio.demo.run_missions` and the deployments (converted into the services
deliveries the inputs left out) and cases of `convenio.demo.run_pathways` (before any
run), `run_settlement` — each in its
own unit of work, so every step is idempotent: running the demo again on the same
store finds everything recorded and settled and changes nothing. The summary reads what
is stored (`convenio.demo.figures`): the statements of the runs, the deliveries, the
ledger's payables at each year end, and the missions through analytics. Amounts are
integers of cents.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

from convenio.demo.cases import demo_cases
from convenio.demo.data import LABELS, DemoInputs, demo_inputs, from_deployments
from convenio.demo.deployments import demo_deployments
from convenio.demo.figures import QuarterFigures, YearEnd, quarter_figures, side, year_end
from convenio.demo.missions import missions_inputs
from convenio.demo.run_missions import MissionsSummary, load_missions, missions_summary
from convenio.demo.run_pathways import (
    CasesSummary,
    DeploymentsSummary,
    load_cases,
    load_deployments,
)
from convenio.examples import EXAMPLES
from convenio.files import Tell
from convenio.financing import PRICE_COLUMNS, Delivery
from convenio.periods import Period, PeriodType, period_of, periods_between
from convenio.services.financing import (
    load_prices,
    load_terms_file,
    record_deliveries,
    record_payments,
)
from convenio.services.settlement import run_settlement
from convenio.store import Store, UnitOfWork
from convenio.terms import ItemKind
from convenio.units import format_minor

__all__ = ["TERMS", "DemoSummary", "QuarterFigures", "YearEnd", "run_demo"]

TERMS: Final = EXAMPLES / "cuba-venezuela.yaml"
"""The shipped terms the demo runs under."""


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
    compensation: tuple[str, str] | None = None
    """The terms version from which two parties settle for their states, netting oil
    against services (its id and effective date), if any."""

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
            "compensation": None
            if self.compensation is None
            else {"version": self.compensation[0], "effective": self.compensation[1]},
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
                    "quarter": {
                        "netted": money(q.netted),
                        "net": {
                            "debtor": side(q.quarter_net),
                            "amount": money(abs(q.quarter_net)),
                        },
                        "carried": {
                            "debtor": side(q.quarter_carried),
                            "amount": money(abs(q.quarter_carried)),
                        },
                    },
                    "open_after": {
                        "debtor": side(q.open_after),
                        "amount": money(abs(q.open_after)),
                    },
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
                        "not_yet_due": money(y.not_yet_due),
                    },
                    "venezuela_owes": {"services": money(y.services)},
                    "net": {"debtor": y.net_debtor, "amount": money(abs(y.net))},
                    "net_due": {"debtor": side(y.net_due), "amount": money(abs(y.net_due))},
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


def run_demo(store: Store, progress: Tell | None = None, secret: str = "") -> DemoSummary:
    """Load the demo into `store` (idempotently), settle every quarter, and summarise;
    with `secret` (``CONVENIO_SECRET_KEY``) the cases' made-up personal data is sealed
    under it, without one the cases are events only."""
    tell = progress or (lambda stage, done, total: None)

    def stage(name: str) -> Callable[[int, int], None]:
        return lambda done, total: tell(name, done, total)

    tell("loading the terms and prices", 0, 3)
    with store.unit_of_work(write=True) as uow:
        agreement, _ = load_terms_file(uow, TERMS)
    tell("loading the terms and prices", 1, 3)
    inputs = demo_inputs(agreement)
    tell("loading the terms and prices", 2, 3)
    added: dict[str, int] = {}
    with store.unit_of_work(write=True) as uow:
        added["prices"] = _load_prices(uow, inputs)
    tell("loading the terms and prices", 3, 3)
    years = sorted({d.date.year for d in inputs.deliveries})
    added["deliveries"] = 0
    for done, year in enumerate(years):
        tell("loading deliveries", done, len(years) + 1)
        with store.unit_of_work(write=True) as uow:
            batch = [
                d for d in inputs.deliveries if d.date.year == year and not from_deployments(d)
            ]
            added["deliveries"] += record_deliveries(uow, agreement, batch, "demo").added
    tell("loading deliveries", len(years), len(years) + 1)
    with store.unit_of_work(write=True) as uow:
        added["payments"] = record_payments(uow, agreement, inputs.payments, "demo").added
    tell("loading deliveries", len(years) + 1, len(years) + 1)
    # The missions before any quarter is settled: a data value feeding a settled period
    # is refused; and the deliveries the deployments convert into must be recorded
    # before the runs that settle them.
    tell("loading the missions", 0, 3)
    missions = missions_inputs()
    added_missions = load_missions(store, missions, stage("loading the missions"))
    tell("deploying cooperants", 0, 3)
    services = [d for d in inputs.deliveries if d.kind is ItemKind.SERVICES]
    deployed = load_deployments(
        store, demo_deployments(missions.org_units), services, stage("deploying cooperants")
    )
    added["deliveries"] += dict(deployed.added)["deliveries"]
    tell("loading cases", 0, 1)
    cases = load_cases(store, demo_cases(missions.org_units), secret, stage("loading cases"))
    quarters = _quarters(inputs.deliveries)
    added["runs"] = 0
    for done, period in enumerate(quarters):
        tell("settling quarters", done, len(quarters))
        with store.unit_of_work(write=True) as uow:
            added["runs"] += sum(o.created for o in run_settlement(uow, period.iso()))
    tell("settling quarters", len(quarters), len(quarters))
    tell("summarising", 0, len(years) + 2)
    with store.unit_of_work() as uow:
        figures = quarter_figures(uow, quarters)
        tell("summarising", 1, len(years) + 2)
        year_ends = []
        for done, year in enumerate(years, start=2):
            year_ends.append(year_end(uow, year))
            tell("summarising", done, len(years) + 2)
        head = uow.ledger.head()
    mission_figures = missions_summary(store, added_missions, missions)
    tell("summarising", len(years) + 2, len(years) + 2)
    return DemoSummary(
        agreement=agreement.agreement.name,
        labels=LABELS,
        added=tuple(added.items()),
        quarters=figures,
        year_ends=tuple(year_ends),
        transactions=head.seq,
        head_hash=head.hash,
        missions=mission_figures,
        deployments=deployed,
        cases=cases,
        compensation=next(
            (
                (v.id, v.effective.isoformat())
                for v in agreement.versions
                if v.settlement is not None and len(v.settlement.parties) == 2
            ),
            None,
        ),
    )
