"""What the public page shows, in one call: `published` — for anyone, no sign-in — the
settled statements, the mission results and the pathways as the public's API answers
them (small counts suppressed), the latest signed checkpoint, and what a citation of the
page names (the day, the log's size and root). It only reads; amounts are exact
`Decimal`s of their currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from convenio.analytics import ResultRow
from convenio.auth import ANONYMOUS
from convenio.errors import InputError, Problem
from convenio.log import b64
from convenio.missions import Item
from convenio.missions.cases import PATHWAYS
from convenio.services import analytics, cases, financing, log, settlement
from convenio.services.overview import SignedCheckpoint, signed_checkpoint
from convenio.store import UnitOfWork

__all__ = ["Pathway", "Published", "PublishedRun", "Results", "published"]


@dataclass(frozen=True)
class PublishedRun:
    """A settled (not reopened) run: its net before cash, owed by `debtor`."""

    run_id: str
    period: str
    end: date
    party_a: str
    party_b: str
    currency: str
    debtor: str | None
    creditor: str | None
    net: Decimal


@dataclass(frozen=True)
class Results:
    """Mission results as the public's analytics answer: `columns` (data item id and
    name), `rows` (org unit name and period), `cells` by (column id, org unit, period)."""

    columns: tuple[tuple[str, str], ...]
    rows: tuple[tuple[str, str, str], ...]  # (org unit, its name, period)
    cells: dict[tuple[str, str, str], ResultRow]

    @property
    def many_units(self) -> bool:
        return len({ou for ou, _, _ in self.rows}) > 1


@dataclass(frozen=True)
class Pathway:
    """A pathway's indicators as the public's API answers them (None: suppressed)."""

    pathway: str
    started: int | None
    completed: int | None
    completion_rate: str | None
    median_days: str | None
    stopped_at: tuple[tuple[str, int | None], ...]


@dataclass(frozen=True)
class Published:
    as_of: date
    agreement: str
    runs: tuple[PublishedRun, ...]  # newest first
    results: Results
    pathways: tuple[Pathway, ...]
    checkpoint: SignedCheckpoint | None  # the latest signed one
    log_origin: str
    log_size: int  # now
    cited_size: int  # the size a citation names
    cited_root: str  # the log's root at that size (base64)


def published(uow: UnitOfWork, as_of: date | None = None, size: int | None = None) -> Published:
    """What anyone may read as of `as_of` (default: the last settled day): the settled
    runs of periods ended by then, mission results of its year and before, the pathways,
    the latest signed checkpoint; `size` (default: that checkpoint's, else the log's)
    is the log size a citation names, and its root is given."""
    day = as_of or uow.financing.last_settled_day() or date.today()
    agreement = financing.current_agreement(uow)
    runs = sorted(
        (r for r in settlement.settlement_runs(uow) if r.statement["end"] <= day.isoformat()),
        key=lambda r: (r.statement["end"], r.id),
        reverse=True,
    )
    checkpoint = signed_checkpoint(uow, 1)
    current, root = uow.log.head()
    cited = size if size is not None else checkpoint.size if checkpoint else current
    if not 0 < cited <= current:
        raise InputError(
            f"the log holds {current} entries: cite a size from 1 to {current}",
            [Problem("out of range", field="log")],
        )
    cited_root = root if cited == current else log.consistency(uow, cited).from_root
    return Published(
        as_of=day,
        agreement=agreement.agreement.name,
        runs=tuple(_published_run(r.id, r.statement) for r in runs),
        results=_results(uow, day),
        pathways=tuple(_pathway(uow, name) for name in PATHWAYS),
        checkpoint=checkpoint,
        log_origin=log.origin(uow),
        log_size=current,
        cited_size=cited,
        cited_root=b64(cited_root),
    )


def _published_run(run_id: str, statement: dict[str, Any]) -> PublishedRun:
    net, parties = statement.get("net") or {}, statement["parties"]
    return PublishedRun(
        run_id,
        statement["period"],
        date.fromisoformat(statement["end"]),
        parties[0],
        parties[1],
        statement["currency"],
        net.get("debtor"),
        net.get("creditor"),
        Decimal(net.get("amount", "0")),
    )


def _results(uow: UnitOfWork, day: date) -> Results:
    """Each indicator and the element it counts, by year, for the hierarchy's roots, as
    the public's analytics answer (an indicator shown only where its count has data)."""
    catalog = uow.missions.catalog()
    elements = catalog.elements
    roots = [u.uid for u in uow.missions.hierarchy().as_of().values() if u.parent is None]
    columns: list[tuple[str, str]] = []
    counted: dict[str, str] = {}  # indicator → the element its numerator counts
    for indicator in catalog.indicators.values():
        counts = indicator.numerator
        if isinstance(counts, Item) and counts.combo is None and counts.element in elements:
            columns.append((counts.element, elements[counts.element].name))
            counted[indicator.uid] = counts.element
        columns.append((indicator.uid, indicator.name))
    if not columns or not roots:
        return Results((), (), {})
    dx = ";".join(dict.fromkeys(uid for uid, _ in columns))
    found = analytics.query(uow, dx, "yearly", ";".join(roots), actor=ANONYMOUS)
    cells = {(r.dx, r.ou, r.pe): r for r in found if r.pe <= str(day.year)}
    cells = {
        (dx_, ou, pe): r
        for (dx_, ou, pe), r in cells.items()
        if dx_ not in counted or (counted[dx_], ou, pe) in cells
    }
    names = {r.ou: r.ou_name for r in found}
    rows = sorted({(ou, names[ou], pe) for _, ou, pe in cells}, key=lambda r: (r[0], r[2]))
    return Results(tuple(dict.fromkeys(columns)), tuple(rows), cells)


def _pathway(uow: UnitOfWork, name: str) -> Pathway:
    found = cases.pathway_indicators(uow, name, actor=ANONYMOUS)
    return Pathway(
        name,
        found["started"],
        found["completed"],
        found["completion_rate"],
        found["median_days"],
        tuple(found["stopped_at"].items()),
    )
