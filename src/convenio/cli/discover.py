"""The commands that list what the other commands ask for: parties, accounts, org units,
data elements, category option combos, indicators, data sets (and, in
`convenio.cli.terms_show`, the terms' versions).

Each is one call to `convenio.services.catalog` and a `render.Listing`: a table for
people, `--json` or `--csv` for programs. A list that finds nothing says why and what to
load. `convenio.cli.main` registers them: `parties` at the top, the others on the
`terms`, `ledger`, `orgunits` and `metadata` groups.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer

from convenio.cli.common import console, guard, open_store, print_json
from convenio.cli.render import (
    Amount,
    Cell,
    Column,
    Format,
    Listing,
    emit,
    format_amount,
    human,
    json_value,
    output_format,
)

if TYPE_CHECKING:
    from convenio.services import catalog

__all__ = [
    "accounts",
    "combos",
    "data_sets",
    "elements",
    "indicators",
    "orgunits",
    "parties",
]

JsonFlag = Annotated[bool, typer.Option("--json", help="JSON on stdout")]
CsvFlag = Annotated[bool, typer.Option("--csv", help="CSV on stdout")]

NO_TERMS = (
    "no terms in this store: load them with `convenio terms load FILE` "
    "(examples/cuba-venezuela.yaml is one), or run `convenio demo`"
)
NO_METADATA = (
    "load the missions' metadata with `convenio metadata load FILE` (docs/missions.md), "
    "or run `convenio demo`"
)


def _emit(listing: Listing, fmt: Format, lists: Sequence[dict[str, Any]] = ()) -> None:
    """`render.emit`, with list-valued fields in JSON: `lists[i]` replaces fields of row i."""
    if fmt != "json" or not listing.rows:
        emit(listing, fmt)
        return
    print_json([{**r, **extra} for r, extra in zip(listing.records(), lists, strict=True)])


# -- set up: parties ------------------------------------------------------------------


def parties(as_json: JsonFlag = False, as_csv: CsvFlag = False) -> None:
    """The parties of the current terms: code (what --party and the files ask for),
    name, kind and the party an agency or company belongs to."""
    from convenio.services import catalog

    with guard(), open_store().unit_of_work() as uow:
        rows = catalog.parties(uow)
    columns = [Column("code"), Column("name", wrap=True), Column("kind"), Column("parent")]
    listing = Listing(f"{len(rows)} part{'y' if len(rows) == 1 else 'ies'}", columns,
                      [list(r) for r in rows], empty=NO_TERMS)  # fmt: skip
    emit(listing, output_format(as_json, as_csv))


# -- ledger --------------------------------------------------------------------------------


def accounts(
    party: Annotated[
        str | None, typer.Option(help="Only this party's accounts and its agencies' (VEN: VEN.*)")
    ] = None,
    unit: Annotated[str | None, typer.Option(help="Only accounts in this unit, e.g. USD")] = None,
    as_json: JsonFlag = False,
    as_csv: CsvFlag = False,
) -> None:
    """The ledger's accounts: name (what journals and --account ask for), party, unit,
    kind, the bounds their balance must keep, and the balance today."""
    from convenio.services import catalog

    today = date.today()
    with guard(), open_store().unit_of_work() as uow:
        rows = catalog.accounts(uow, party, unit, today)
        known = {r.party for r in catalog.accounts(uow)} if not rows else set()
    # For people: the party and unit are in the name and the balance, the bounds one
    # short column, and the kind only if the table still fits the terminal.
    fmt = output_format(as_json, as_csv)
    people = fmt == "table"
    cells: list[list[Cell]] = []
    for r in rows:
        floor = None if r.floor is None else Amount(r.floor, r.scale, r.unit)
        ceiling = None if r.ceiling is None else Amount(r.ceiling, r.scale, r.unit)
        row: list[Cell] = [r.account, r.party, r.unit, r.kind, floor, ceiling]
        row.append(Amount(r.balance, r.scale, r.unit))
        if people:
            row.append(_bounds(r.floor, r.ceiling, r.scale))
        cells.append(row)
    widths = [max((len(human(row[i])) for row in cells), default=0) for i in (0, 3, 6, -1)]
    columns = [Column("account"), Column("party", people=False), Column("unit", people=False),
               Column("kind", people=sum(widths) + 13 <= console.width),
               Column("floor", people=False), Column("ceiling", people=False),
               Column("balance")]  # fmt: skip
    if people:
        columns.insert(-1, Column("bounds", people=any(row[-1] for row in cells)))
        cells = [[*row[:-2], row[-1], row[-2]] for row in cells]
    if not known:
        empty = (
            "no accounts in this store: open them with `convenio ledger open` (or --file), "
            "or load deliveries (`convenio deliveries load FILE`), which open their own"
        )
    else:
        wanted = " and ".join(
            p for p in (party and f"of {party}", unit and f"in {unit}") if p
        )  # fmt: skip
        empty = f"no accounts {wanted}; parties with accounts: {', '.join(sorted(known))}"
    title = f"{len(rows)} account(s), balances as of {today}"
    listing = Listing(title, columns, list(cells), empty=empty)
    emit(listing, fmt)


def _bounds(floor: int | None, ceiling: int | None, scale: int) -> str | None:
    """An account's bounds for people: ``≥ 0.00``, ``≤ 0.00``, ``0.00 to 1,000.00``."""
    low = None if floor is None else format_amount(floor, scale)
    high = None if ceiling is None else format_amount(ceiling, scale)
    if low is not None and high is not None:
        return f"{low} to {high}"
    return f"≥ {low}" if low is not None else f"≤ {high}" if high is not None else None


# -- missions ------------------------------------------------------------------------------


def orgunits(
    level: Annotated[int | None, typer.Option(min=1, help="Only units at this level")] = None,
    parent: Annotated[
        str | None, typer.Option(help="Only units below this one (any depth; with --level, one)")
    ] = None,
    as_json: JsonFlag = False,
    as_csv: CsvFlag = False,
) -> None:
    """The org units as they are now, each after its parent: id (what --ou and data files
    ask for), name, level, parent, code, the day the current version took effect (empty:
    as first loaded) and how many versions the unit has had. Units are never closed: a
    change opens a new version."""
    from convenio.services import catalog

    with guard(), open_store().unit_of_work() as uow:
        rows = catalog.org_units(uow, level, parent)
        levels = catalog.org_unit_levels(uow) if not rows else []
    changed = any(r.since for r in rows)
    columns = [Column("id"), Column("name", wrap=True), Column("level"),
               Column("level_name", "level name", people=False), Column("parent"),
               Column("code", people=any(r.code for r in rows)),
               Column("since", people=changed), Column("versions", people=changed)]  # fmt: skip
    if not levels:
        empty = (
            "no org units in this store: load them with `convenio orgunits load FILE` "
            "(CSV id,name,parent_id,level[,code]), or run `convenio demo`"
        )
    else:
        where = " ".join(p for p in (level and f"at level {level}", parent and f"below {parent}")
                         if p)  # fmt: skip
        empty = f"no org units {where}; levels with units: {', '.join(map(str, levels))}"
    fmt = output_format(as_json, as_csv)
    listing = Listing(f"{len(rows)} org unit(s)", columns, [list(r) for r in rows], empty=empty)
    emit(listing, fmt)


def elements(
    data_set: Annotated[
        str | None, typer.Option("--data-set", help="Only this data set's elements")
    ] = None,
    as_json: JsonFlag = False,
    as_csv: CsvFlag = False,
) -> None:
    """The data elements: id (what --dx and data files ask for), name, value type,
    category combo, aggregation, data set and code."""
    from convenio.services import catalog

    with guard(), open_store().unit_of_work() as uow:
        rows = catalog.elements(uow, data_set)
    columns = [Column("id"), Column("name", wrap=True), Column("value_type", "type"),
               Column("category_combo", "combo"), Column("aggregation", people=False),
               Column("data_set", "data set"),
               Column("code", people=any(r.code for r in rows))]  # fmt: skip
    empty = (
        f"data set {data_set} has no elements" if data_set else f"no data elements: {NO_METADATA}"
    )
    listing = Listing(f"{len(rows)} data element(s)", columns, [list(r) for r in rows], empty=empty)
    emit(listing, output_format(as_json, as_csv))


def combos(
    element: Annotated[
        str | None, typer.Option(help="Only the option combos this data element takes")
    ] = None,
    as_json: JsonFlag = False,
    as_csv: CsvFlag = False,
) -> None:
    """The category option combos: id (a data value's categoryoptioncombo), name,
    category combo and category options. `default` is the one of values without
    disaggregation."""
    from convenio.services import catalog

    with guard(), open_store().unit_of_work() as uow:
        rows = catalog.option_combos(uow, element)
    columns = [Column("id"), Column("name", wrap=True), Column("category_combo", "combo"),
               Column("options", wrap=True)]  # fmt: skip
    joiner = ";" if as_csv else ", "
    cells: list[Sequence[Cell]] = [
        [r.id, r.name, r.category_combo, joiner.join(r.options)] for r in rows
    ]
    lists = [{"options": list(r.options), "option_names": list(r.option_names)} for r in rows]
    listing = Listing(f"{len(rows)} category option combo(s)", columns, cells,
                      empty=f"no category option combos: {NO_METADATA}")  # fmt: skip
    _emit(listing, output_format(as_json, as_csv), lists)


def indicators(as_json: JsonFlag = False, as_csv: CsvFlag = False) -> None:
    """The indicators: id (what --dx asks for), name, numerator and denominator
    formulas, factor, decimals and targets (org unit, period, value)."""
    from convenio.services import catalog

    with guard(), open_store().unit_of_work() as uow:
        rows = catalog.indicators(uow)
    columns = [Column("id"), Column("name", wrap=True), Column("numerator", wrap=True),
               Column("denominator", wrap=True), Column("factor"), Column("decimals"),
               Column("targets", wrap=True)]  # fmt: skip
    cells: list[Sequence[Cell]] = [
        [r.id, r.name, r.numerator, r.denominator, r.factor, r.decimals,
         ";".join(f"{t.org_unit} {t.period}: {json_value(t.value)}" for t in r.targets)
         if as_csv else _targets(r.targets)]
        for r in rows
    ]  # fmt: skip
    lists = [
        {"targets": [{"org_unit": t.org_unit, "period": t.period, "value": json_value(t.value)}
                     for t in r.targets]}
        for r in rows
    ]  # fmt: skip
    listing = Listing(f"{len(rows)} indicator(s)", columns, cells,
                      empty=f"no indicators: {NO_METADATA}")  # fmt: skip
    _emit(listing, output_format(as_json, as_csv), lists)


def _targets(targets: Sequence[catalog.TargetRow]) -> str:
    """Targets for people: each unit's, or how many units share a period's value."""
    groups: dict[tuple[str, str], list[str]] = {}
    for t in targets:
        groups.setdefault((t.period, human(t.value)), []).append(t.org_unit)
    return ", ".join(
        f"{', '.join(units)} {period}: {value}" if len(units) <= 3
        else f"{period}: {value} at {len(units)} org units (--json lists them)"
        for (period, value), units in groups.items()
    )  # fmt: skip


def data_sets(as_json: JsonFlag = False, as_csv: CsvFlag = False) -> None:
    """The data sets: id (what --data-set asks for), name, period type, days before a
    period locks (0: never), mission and data elements."""
    from convenio.services import catalog

    with guard(), open_store().unit_of_work() as uow:
        rows = catalog.data_sets(uow)
    columns = [Column("id"), Column("name", wrap=True), Column("period_type", "period"),
               Column("expiry_days", "expiry (days)"), Column("mission"),
               Column("elements", wrap=True)]  # fmt: skip
    joiner = ";" if as_csv else ", "
    cells: list[Sequence[Cell]] = [
        [r.id, r.name, r.period_type, r.expiry_days, r.mission, joiner.join(r.elements)]
        for r in rows
    ]
    lists = [{"elements": list(r.elements)} for r in rows]
    listing = Listing(f"{len(rows)} data set(s)", columns, cells,
                      empty=f"no data sets: {NO_METADATA}")  # fmt: skip
    _emit(listing, output_format(as_json, as_csv), lists)
