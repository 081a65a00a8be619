"""Cooperants and deployments use cases, and their conversion into services deliveries.

Loads are all-or-nothing and idempotent: the same file again changes nothing; a row with
a known id and other content replaces the stored one (a deployment gets its end date when
the cooperant comes home). `convert_period` turns the person-months of a period
(`convenio.missions.deployments.person_months`) into **one services delivery per
profession and month** — ``dep-2011-10-doctor``, dated the month's last day, so each month
is valued by the rate card in force on that day — recorded through
`convenio.services.financing.record_deliveries`, which values them, splits them and posts
them to the ledger, where settlement runs find them. Each converted month is remembered
with what it recorded (also a month with no person-months): converting it again changes
nothing, and deployments changed since are a conflict naming the differences, never a
second delivery.

The supplier and recipient of a delivery come from the terms' flows, as for any
delivery: the flow of the version in force that carries the profession from the
cooperant's home party (or a party of its state: ``CUB`` for ``CUB.MINSAP``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from convenio.auth import OPERATOR, Principal, Role
from convenio.errors import AccessError, ConflictError, InputError, Problem
from convenio.files import PLAIN, FileOptions, Source, Tell, open_table
from convenio.financing import Delivery
from convenio.missions.deployments import (
    PERSON_MONTH_SCALE,
    Cooperant,
    Deployment,
    Located,
    PersonMonths,
    check_cooperants,
    check_deployments,
    months_of,
    parse_cooperants_csv,
    parse_deployments_csv,
    person_months,
)
from convenio.periods import Period, PeriodType, parse_period
from convenio.services.financing import (
    LoadResult,
    current_agreement,
    lock_under,
    record_deliveries,
)
from convenio.services.missions import refuse, require_reach, scope_of
from convenio.store import UnitOfWork
from convenio.store.deployments_repo import ConversionRow
from convenio.store.missions_tables import missions, org_units
from convenio.terms import Agreement, ItemKind, state_of
from convenio.units import format_minor

__all__ = [
    "Conversion",
    "RegistryResult",
    "convert_period",
    "convert_periods",
    "load_cooperants",
    "load_deployments",
    "period_person_months",
    "profession_check",
    "record_cooperants",
    "record_deployments",
    "services_flow",
]

UNIT = "person-month"


@dataclass(frozen=True)
class RegistryResult:
    """What a load did; `stale` lists converted months whose person-months now differ
    (converting them again is refused until that is sorted out)."""

    added: int
    changed: int
    unchanged: int
    stale: tuple[str, ...] = ()


@dataclass(frozen=True)
class Conversion:
    """What `convert_period` did: the months newly converted and those already converted
    (unchanged), the deliveries recorded now, the person-months behind them, and the
    financing load's result (ledger transactions, settled periods they fall in)."""

    period: str
    converted: tuple[str, ...]
    unchanged: tuple[str, ...]
    deliveries: tuple[Delivery, ...]
    figures: tuple[PersonMonths, ...]
    load: LoadResult | None = None

    def as_json(self) -> dict[str, Any]:
        """What the CLI's ``--json`` prints and the API answers: amounts as exact strings."""
        return {
            "period": self.period,
            "converted": list(self.converted),
            "unchanged": list(self.unchanged),
            "deliveries": [
                {
                    "delivery_id": d.delivery_id,
                    "date": d.date.isoformat(),
                    "supplier": d.supplier,
                    "recipient": d.recipient,
                    "item": d.item,
                    "quantity": format_minor(d.quantity, PERSON_MONTH_SCALE),
                    "unit": d.unit,
                }
                for d in self.deliveries
            ],
            "settled": list(self.load.settled) if self.load is not None else [],
        }


def _now_millis() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


def profession_check(agreement: Agreement) -> Callable[[str], str | None]:
    """What is wrong with a profession under `agreement` (None: nothing): it must be a
    services item counted in person-months that some version has a rate card for."""

    items = {i.id: i for i in agreement.items}

    @cache  # a registry of thousands of cooperants has a handful of professions
    def check(profession: str) -> str | None:
        item = items.get(profession)
        if item is None:
            return f"unknown profession {profession!r}: not an item of the terms"
        if item.kind is not ItemKind.SERVICES or item.unit != UNIT:
            return f"{profession} is {item.kind.value} in {item.unit}, not services in {UNIT}"
        if not any(c.item == profession for v in agreement.versions for c in v.rate_cards):
            return f"the terms have no rate card for {profession}"
        return None

    return check


def services_flow(agreement: Agreement, day: date, item: str, home: str) -> tuple[str, str]:
    """(supplier, recipient) of `item` supplied by `home`'s side on `day`: the flow of the
    version in force carrying `item` from `home` (or else from a party of `home`'s state)."""
    version = agreement.version_on(day)
    flows = [f for f in version.flows if item in f.items and state_of(f.supplier) == state_of(home)]
    exact = [f for f in flows if f.supplier == home]
    chosen = exact or flows
    if len(chosen) != 1:
        why = "no flow" if not chosen else f"{len(chosen)} flows"
        raise InputError(
            f"version {version.id} has {why} of {item} from {home} (or its state)",
            [Problem(f"{why} of {item} from {home}", field=f"versions[{version.id}].flows")],
        )
    return chosen[0].supplier, chosen[0].recipient


# -- cooperants and deployments ------------------------------------------------------------


def load_cooperants(
    uow: UnitOfWork,
    path: Source,
    options: FileOptions = PLAIN,
    tell: Tell | None = None,
    actor: Principal = OPERATOR,
) -> RegistryResult:
    """Load ``id,profession,party`` rows (CSV or .xlsx); all or nothing, idempotent.

    A coordinator registers new cooperants; changing a registered one's profession or
    home party — which changes how every deployment of theirs is billed, in any site —
    is for an administrator (or the operator)."""
    with open_table(path, options, (), tell) as table:
        located, problems = parse_cooperants_csv(table.lines, table.name)
        return _record_cooperants(uow, located, table.problems(problems), table.name, actor)


def record_cooperants(
    uow: UnitOfWork, rows: Sequence[Cooperant], name: str = "cooperants"
) -> RegistryResult:
    """The Python API of `load_cooperants`: check, record, commit (problems name the
    row's position, 1, 2, …, as its line)."""
    return _record_cooperants(uow, [Located(i, c) for i, c in enumerate(rows, 1)], [], name)


def _record_cooperants(
    uow: UnitOfWork,
    located: Sequence[Located],
    problems: list[Problem],
    name: str,
    actor: Principal = OPERATOR,
) -> RegistryResult:
    agreement = current_agreement(uow)
    parties = {p.code for p in agreement.parties}
    problems.extend(check_cooperants(located, name, profession_check(agreement), parties))
    if problems:
        raise refuse(sorted(problems, key=lambda p: p.line or 0), name)
    lock_under(uow, agreement)
    stored = uow.deployments.cooperants()
    rows = [c for _, c in located if isinstance(c, Cooperant)]
    new = [c for c in rows if c.id not in stored]
    changed = [c for c in rows if c.id in stored and stored[c.id] != c]
    if changed and actor.role is Role.COORDINATOR:
        lines = {c.id: line for line, c in located if isinstance(c, Cooperant)}
        raise AccessError.from_problems(
            [
                Problem(
                    f"cooperant {c.id} is registered as {stored[c.id].profession} of "
                    f"{stored[c.id].party}: only an administrator changes a registration",
                    name,
                    lines[c.id],
                    "id",
                )
                for c in changed
            ],
            "out of scope",
        )
    uow.deployments.save_cooperants(new, changed)
    stale = _stale(uow, agreement) if changed else ()
    uow.commit()
    return RegistryResult(len(new), len(changed), len(rows) - len(new) - len(changed), stale)


def load_deployments(
    uow: UnitOfWork,
    path: Source,
    options: FileOptions = PLAIN,
    tell: Tell | None = None,
    actor: Principal = OPERATOR,
) -> RegistryResult:
    """Load ``id,cooperant_id,org_unit,start,end[,mission]`` rows (CSV or .xlsx); all or
    nothing. `actor` (a coordinator) deploys only to sites of its subtree."""
    with open_table(path, options, (), tell) as table:
        located, problems = parse_deployments_csv(table.lines, table.name)
        return _record_deployments(uow, located, table.problems(problems), table.name, actor)


def record_deployments(
    uow: UnitOfWork, rows: Sequence[Deployment], name: str = "deployments"
) -> RegistryResult:
    """The Python API of `load_deployments`: check, record, commit (problems name the
    row's position, 1, 2, …, as its line)."""
    return _record_deployments(uow, [Located(i, d) for i, d in enumerate(rows, 1)], [], name)


def _record_deployments(
    uow: UnitOfWork,
    located: Sequence[Located],
    problems: list[Problem],
    name: str,
    actor: Principal = OPERATOR,
) -> RegistryResult:
    if problems:  # the file's own: refused before waiting for the write lock
        raise refuse(sorted(problems, key=lambda p: p.line or 0), name)
    hierarchy = uow.missions.hierarchy()
    require_reach(
        actor,
        hierarchy,
        [
            (d.org_unit, Problem("", name, line, "org_unit"))
            for line, d in located
            if isinstance(d, Deployment)
        ],
    )
    uow.lock()
    repo = uow.deployments
    stored = {d.id: d for d in repo.deployments()}
    if scope_of(actor, hierarchy) is not None:  # moving a deployment out of elsewhere
        require_reach(
            actor,
            hierarchy,
            [
                (stored[d.id].org_unit, Problem("", name, line, "id"))
                for line, d in located
                if isinstance(d, Deployment) and d.id in stored
            ],
        )
    problems.extend(
        check_deployments(
            located,
            name,
            set(repo.cooperants()),
            set(uow.missions.ids(org_units)),
            set(uow.missions.ids(missions)),
            stored.values(),
        )
    )
    if problems:
        raise refuse(sorted(problems, key=lambda p: p.line or 0), name)
    rows = [d for _, d in located if isinstance(d, Deployment)]
    new = [d for d in rows if d.id not in stored]
    changed = [d for d in rows if d.id in stored and stored[d.id] != d]
    repo.save_deployments(new, changed)
    stale = _stale(uow, current_agreement(uow)) if new or changed else ()
    uow.commit()
    return RegistryResult(len(new), len(changed), len(rows) - len(new) - len(changed), stale)


# -- person-months and conversion -------------------------------------------------------------


def _months(period: Period) -> list[Period]:
    if period.type in (PeriodType.DAILY, PeriodType.WEEKLY):
        raise InputError(
            f"{period.iso()}: services are converted by month; give a month, quarter, "
            "half-year or year (2011-10, 2011Q4, 2011H1, 2011)",
            [Problem("not a month or longer", field="period")],
        )
    return months_of(period)


def period_person_months(
    uow: UnitOfWork, period_text: str, actor: Principal = OPERATOR
) -> list[PersonMonths]:
    """The person-months per profession, site and month of a period, from what is stored
    (a coordinator `actor`: at the sites of its subtree only)."""
    months = _months(parse_period(period_text))
    found = person_months(uow.deployments.deployments(), uow.deployments.cooperants(), months)
    sites = scope_of(actor, uow.missions.hierarchy())
    return found if sites is None else [f for f in found if f.org_unit in sites]


def _plans(
    agreement: Agreement,
    months: Sequence[Period],
    deployments: Sequence[Deployment],
    cooperants: dict[str, Cooperant],
) -> dict[Period, tuple[list[ConversionRow], list[PersonMonths]]]:
    """The deliveries each month converts into, one per profession, and the figures:
    the person-months of all the months at once, per home party (one pass over the
    deployments per party, not one per month)."""
    by_party: dict[str, list[Deployment]] = defaultdict(list)
    for d in deployments:
        by_party[cooperants[d.cooperant].party].append(d)
    # Keyed by the month's first day: hashing a date is cheaper than hashing a Period.
    totals: dict[date, dict[str, int]] = {m.start: defaultdict(int) for m in months}
    parties: dict[tuple[date, str], set[str]] = defaultdict(set)
    figures: dict[date, list[PersonMonths]] = {m.start: [] for m in months}
    for party, own in sorted(by_party.items()):
        for f in person_months(own, cooperants, months):
            start = f.month.start
            figures[start].append(f)
            totals[start][f.profession] += f.quantity
            parties[start, f.profession].add(party)
    found = {}
    for month in months:
        rows = []
        for item, quantity in sorted(totals[month.start].items()):
            sides = {
                services_flow(agreement, month.end, item, party)
                for party in sorted(parties[month.start, item])
            }
            if len(sides) > 1:
                raise InputError(
                    f"{month.iso()}: {item} is supplied by {len(sides)} parties "
                    "(one delivery per profession and month needs one supplier)",
                    [Problem("several suppliers", field="party")],
                )
            ((supplier, recipient),) = sides
            delivery_id = f"dep-{month.iso()}-{item}"
            rows.append(
                ConversionRow(delivery_id, month.iso(), item, supplier, recipient, quantity)
            )
        listed = figures[month.start]
        if len(by_party) > 1:
            listed.sort(key=lambda f: (f.profession, f.org_unit))
        found[month] = (rows, listed)
    return found


def _differences(stored: Sequence[ConversionRow], now: Sequence[ConversionRow]) -> list[str]:
    before = {r.item: r for r in stored}
    after = {r.item: r for r in now}
    found = []
    for item in sorted(set(before) | set(after)):
        was, is_ = before.get(item), after.get(item)
        if was is not None and is_ is not None and was[2:] == is_[2:]:
            continue
        old = "nothing" if was is None else f"{format_minor(was.quantity, 2)} person-months"
        new = "nothing" if is_ is None else f"{format_minor(is_.quantity, 2)}"
        if was is not None and is_ is not None and was.quantity == is_.quantity:
            new = f"the same from {is_.supplier} to {is_.recipient}"
        found.append(f"{item}: converted as {old}, deployments now give {new}")
    return found


def _stale(uow: UnitOfWork, agreement: Agreement) -> tuple[str, ...]:
    """Converted months whose deployments now give other deliveries."""
    converted = uow.deployments.converted()
    if not converted:
        return ()
    deployments = uow.deployments.deployments()
    cooperants = uow.deployments.cooperants()
    months = [parse_period(key) for key in sorted(converted)]
    plans = _plans(agreement, months, deployments, cooperants)
    return tuple(m.iso() for m in months if _differences(converted[m.iso()], plans[m][0]))


def convert_period(uow: UnitOfWork, period_text: str) -> Conversion:
    """Record the services deliveries of every month of a period not yet converted
    (module docstring), then commit; months already converted must still agree."""
    period = parse_period(period_text)
    return _convert(uow, period.iso(), _months(period))


def convert_periods(uow: UnitOfWork, period_texts: Sequence[str]) -> Conversion:
    """`convert_period` for several periods at once — every quarter from 2003Q2 to
    2015Q4 — in one unit of work: the deployments are read and counted once, not once a
    period. All or nothing; the `period` of the result names the first and the last."""
    periods = [parse_period(text) for text in period_texts]
    if not periods:
        raise InputError("no period to convert", [Problem("no period", field="period")])
    months = sorted({m for p in periods for m in _months(p)})
    label = periods[0].iso() if len(periods) == 1 else f"{periods[0].iso()}..{periods[-1].iso()}"
    return _convert(uow, label, months)


def _convert(uow: UnitOfWork, label: str, months: list[Period]) -> Conversion:
    agreement = current_agreement(uow)
    repo = uow.deployments
    deployments = repo.deployments()
    cooperants = repo.cooperants()
    converted = repo.converted(m.iso() for m in months)
    new_months: list[str] = []
    new_rows: list[ConversionRow] = []
    unchanged: list[str] = []
    figures: list[PersonMonths] = []
    conflicts: list[Problem] = []
    for month, (rows, found) in _plans(agreement, months, deployments, cooperants).items():
        figures.extend(found)
        key = month.iso()
        if key in converted:
            conflicts.extend(
                Problem(f"{key} {why}", field="deployments")
                for why in _differences(converted[key], rows)
            )
            unchanged.append(key)
        else:
            new_months.append(key)
            new_rows.extend(rows)
    if conflicts:
        raise ConflictError(
            f"{label}: deployments changed after their month was converted into "
            f"services deliveries ({'; '.join(p.message for p in conflicts)}); the recorded "
            "deliveries stand: nothing was converted (a correction is a new delivery, "
            "`convenio deliveries load`)",
            conflicts,
        )
    deliveries = tuple(
        Delivery(
            r.delivery_id,
            parse_period(r.month).end,
            r.supplier,
            r.recipient,
            ItemKind.SERVICES,
            r.item,
            r.quantity,
            UNIT,
        )
        for r in new_rows
    )
    repo.add_conversions(new_months, new_rows, _now_millis())
    load = None
    if deliveries:
        load = record_deliveries(uow, agreement, deliveries, f"deployments {label}")
    else:
        uow.commit()
    return Conversion(label, tuple(new_months), tuple(unchanged), deliveries, tuple(figures), load)
