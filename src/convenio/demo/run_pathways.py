"""Running the demo's cooperants and cases: deployments converted into services
deliveries, and a sample of person-level pathways, read back through their services.

Called by `convenio.demo.run` after the missions' org units and before the first
settlement run: the deliveries the deployments convert into must be recorded before the
runs that settle them. Writes only through the use cases of `convenio cooperants|
deployments load`, `convenio services from-deployments` (`convert_periods`: every
quarter of `CONVERTED` at once, so the deployments are read and counted once) and
`convenio cases load` (`record_cases`), each in its own unit of work and idempotent: a
second run finds everything stored and converted and writes nothing. The deliveries
recorded must be those `convenio.demo.data` planned — the cash of each quarter was
computed from them — or the demo stops before settling anything.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from convenio.demo.cases import EYE_CASES, LEARNERS, DemoCases
from convenio.demo.deployments import DemoDeployments
from convenio.demo.headcounts import CONVERTED, from_deployments
from convenio.errors import ConflictError, Problem
from convenio.financing import Delivery
from convenio.missions.cases import PATHWAYS
from convenio.periods import PeriodType, period_of, periods_between
from convenio.services.cases import pathway_indicators, record_cases
from convenio.services.deployments import convert_periods, record_cooperants, record_deployments
from convenio.store import Store
from convenio.terms import ItemKind
from convenio.units import format_minor

__all__ = ["CASES_LABELS", "CasesSummary", "DeploymentsSummary", "load_cases", "load_deployments"]

SOURCE: Final = "convenio demo (deployments)"
CASES_SOURCE: Final = "convenio demo (cases)"
CASES_LABELS: Final = (
    f"Synthetic cases: a sample of {EYE_CASES:,} Milagro patients and {LEARNERS:,} Robinson "
    "learners at the demo's sites, to show the pathways; the reported totals are the data "
    "values above (docs/demo.md).",
)


@dataclass(frozen=True, slots=True)
class DeploymentsSummary:
    """What the deployments part loaded: `added` (cooperants, deployments, months and
    deliveries written by this run), the cooperants by profession, the converted span
    per profession (first and last month, ``2003-04``), the deliveries converted and
    their value, and the value of all the services delivered (cents of USD)."""

    added: tuple[tuple[str, int], ...]
    cooperants: tuple[tuple[str, int], ...]
    spans: tuple[tuple[str, str, str], ...]
    deliveries: int
    value: int
    services_value: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values: counts as integers, amounts as decimal text of USD."""
        return {
            "added": dict(self.added),
            "cooperants": dict(self.cooperants),
            "converted": [
                {"profession": p, "first": first, "last": last} for p, first, last in self.spans
            ],
            "deliveries": self.deliveries,
            "value": format_minor(self.value, 2),
            "services_value": format_minor(self.services_value, 2),
        }


def _quarters() -> list[str]:
    first = min(start for start, _ in CONVERTED.values())
    last = max(end for _, end in CONVERTED.values())
    return [
        p.iso()
        for p in periods_between(
            period_of(first, PeriodType.QUARTERLY), period_of(last, PeriodType.QUARTERLY)
        )
    ]


def _stored_services(store: Store) -> list[tuple[Delivery, int]]:
    with store.unit_of_work() as uow:
        return [(d, v) for d, v, _ in uow.financing.deliveries() if d.kind is ItemKind.SERVICES]


def load_deployments(
    store: Store,
    generated: DemoDeployments,
    services: Sequence[Delivery],
    step: Callable[[int, int], None] | None = None,
) -> DeploymentsSummary:
    """Cooperants and deployments into `store`, then every quarter of `CONVERTED`
    converted into services deliveries, which must be exactly those of the demo's
    `services` that come `from_deployments`; `ConflictError` naming the first difference
    if not — and, before anything is written, if the store holds services deliveries
    the demo does not make (an earlier demo's quarterly invoices for months now
    converted would count those months twice). `step(done, 3)` is told after the
    cooperants, the deployments and the conversion."""
    moved = step or (lambda done, total: None)
    planned = [d for d in services if from_deployments(d)]
    known = {d.delivery_id for d in services}
    alien = sorted(d.delivery_id for d, _ in _stored_services(store) if d.delivery_id not in known)
    if alien:
        raise ConflictError(
            f"{SOURCE}: the store holds {len(alien)} services deliveries this demo does not "
            f"make (the first {alien[0]}: an earlier demo's invoice for months the "
            "deployments now give?); converting would count them twice: use a fresh "
            "CONVENIO_DATA_DIR",
            [Problem(f"{alien[0]} is not the demo's", SOURCE)],
        )
    with store.unit_of_work(write=True) as uow:
        people = record_cooperants(uow, generated.cooperants, SOURCE)
    moved(1, 3)
    with store.unit_of_work(write=True) as uow:
        posts = record_deployments(uow, generated.deployments, SOURCE)
    moved(2, 3)
    with store.unit_of_work(write=True) as uow:
        conversion = convert_periods(uow, _quarters())
    moved(3, 3)
    ids = {p.delivery_id for p in planned}
    recorded: dict[str, Delivery] = {}
    value = services_value = 0
    for d, amount in _stored_services(store):
        services_value += amount
        if d.delivery_id in ids:
            recorded[d.delivery_id] = d
            value += amount
    wrong = [p for p in planned if recorded.get(p.delivery_id) != p]
    extra = {d.delivery_id for d in conversion.deliveries} - {p.delivery_id for p in planned}
    if wrong or extra:
        first = wrong[0].delivery_id if wrong else sorted(extra)[0]
        raise ConflictError(
            f"{SOURCE}: the deployments did not convert into the planned services "
            f"deliveries ({len(wrong) + len(extra)} differ, the first {first}); the "
            "store holds other deployments: use a fresh CONVENIO_DATA_DIR",
            [Problem(f"{first} differs", SOURCE)],
        )
    added = {
        "cooperants": people.added + people.changed,
        "deployments": posts.added + posts.changed,
        "months": len(conversion.converted),
        "deliveries": len(conversion.deliveries),
    }
    spans = tuple(
        (profession, f"{first:%Y-%m}", f"{last:%Y-%m}")
        for profession, (first, last) in CONVERTED.items()
    )
    by_profession = Counter(c.profession for c in generated.cooperants)
    return DeploymentsSummary(
        tuple(added.items()),
        tuple(by_profession.items()),
        spans,
        len(planned),
        value,
        services_value,
    )


@dataclass(frozen=True, slots=True)
class CasesSummary:
    """What the cases part loaded — `added` (cases, events and personal data written by
    this run), whether personal data was given (a key was set) — and the indicators of
    each pathway as `convenio cases indicators --json` gives them."""

    labels: tuple[str, ...]
    added: tuple[tuple[str, int], ...]
    personal_data: bool
    sample: tuple[tuple[str, int], ...]
    indicators: tuple[dict[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "labels": list(self.labels),
            "added": dict(self.added),
            "personal_data": self.personal_data,
            "sample": dict(self.sample),
            "indicators": {found["pathway"]: found for found in self.indicators},
        }


def load_cases(
    store: Store,
    generated: DemoCases,
    secret: str = "",
    step: Callable[[int, int], None] | None = None,
) -> CasesSummary:
    """The sample's events into `store` and, with a `secret` (``CONVENIO_SECRET_KEY``),
    its made-up personal data sealed under it; then the indicators of every pathway
    through `pathway_indicators`, the path of `convenio cases indicators`. `step(done,
    total)` is told after the load and after each pathway's indicators."""
    moved = step or (lambda done, total: None)
    people = generated.people if secret else ()
    with store.unit_of_work(write=True) as uow:
        result = record_cases(uow, generated.events, people, secret, CASES_SOURCE)
    moved(1, 1 + len(PATHWAYS))
    found_rows = []
    with store.unit_of_work() as uow:
        for done, pathway in enumerate(PATHWAYS, start=2):
            found_rows.append(pathway_indicators(uow, pathway))
            moved(done, 1 + len(PATHWAYS))
    found = tuple(found_rows)
    added = {
        "cases": result.cases_added,
        "events": result.events_added,
        "people": result.people_added + result.people_changed,
    }
    sample = {
        "cases": len({e.case for e in generated.events}),
        "events": len(generated.events),
    }
    return CasesSummary(
        CASES_LABELS, tuple(added.items()), bool(secret), tuple(sample.items()), found
    )
