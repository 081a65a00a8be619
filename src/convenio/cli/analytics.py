"""`convenio analytics query`: pivots of mission data by org unit level × period type."""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from typing import Annotated

import typer

from convenio.cli.common import err_console, guard, open_store, print_json
from convenio.cli.render import Cell, Column, Listing, emit

analytics_app = typer.Typer(help="Pivots of mission data and indicators, with roll-up.")

_COLUMNS = (
    "dx",
    "dx_name",
    "pe",
    "ou",
    "ou_name",
    "value",
    "numerator",
    "denominator",
    "factor",
    "target",
    "flag",
    "suppressed",
)


@analytics_app.command("query")
def query(
    dx: Annotated[
        str, typer.Option("--dx", help="Elements (E or E.COMBO) and indicators, ';'-separated")
    ],
    pe: Annotated[
        str, typer.Option("--pe", help="Periods (2005, 2005Q1) or types (Monthly), ';'-separated")
    ],
    ou: Annotated[
        str, typer.Option("--ou", help="Org units, LEVEL-n, OU_GROUP-id; e.g. VE;LEVEL-2")
    ] = "",
    mission: Annotated[str | None, typer.Option(help="Only this mission's values")] = None,
    public: Annotated[bool, typer.Option("--public", help="Suppress small counts")] = False,
    threshold: Annotated[
        int, typer.Option(help="With --public: counts under this are hidden", min=1)
    ] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV on stdout")] = False,
) -> None:
    """One row per data item × org unit × period: sums rolled up the hierarchy and into
    the period type asked; indicators with their numerator, denominator, target, flag."""
    from convenio.services import analytics

    with guard(), open_store().unit_of_work() as uow:
        rows = analytics.query(uow, dx, pe, ou, public, threshold, mission)
    records = [r.as_dict() for r in rows]
    empty = (
        f"no data values for --dx {dx} --pe {pe}" + (f" --ou {ou}" if ou else "")
        + (f" --mission {mission}" if mission else "")
        + ": `convenio data export` shows the values stored (element, period, org unit); "
        "load some with `convenio data import FILE`"
    )  # fmt: skip
    if not rows and (as_json or as_csv):
        err_console.print(empty, highlight=False, markup=False, soft_wrap=True)
    if as_json:
        print_json(records)
        return
    if as_csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(_COLUMNS)
        for rec in records:
            writer.writerow(
                [
                    ""
                    if rec[c] is None
                    else str(rec[c]).lower()
                    if isinstance(rec[c], bool)
                    else rec[c]
                    for c in _COLUMNS
                ]
            )
        return
    columns = [
        Column("dx_name", "data", wrap=True), Column("pe", "period"),
        Column("ou_name", "org unit", wrap=True), Column("value"), Column("numerator"),
        Column("denominator"), Column("target"), Column("flag", wrap=True),
    ]  # fmt: skip
    cells: list[Sequence[Cell]] = [
        [
            r.dx_name, r.pe, r.ou_name, "suppressed" if r.suppressed else r.value,
            r.numerator, r.denominator, r.target, r.flag,
        ]
        for r in rows
    ]  # fmt: skip
    title = f"{len(rows)} row(s)" + (" — public: small counts suppressed" if public else "")
    emit(Listing(title, columns, cells, empty=empty), "table")
