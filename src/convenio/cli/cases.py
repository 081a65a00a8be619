"""`convenio cases load` and `convenio cases indicators`."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer

from convenio.cli.common import console, guard, open_store, print_json
from convenio.cli.files import (
    EncodingOpt,
    ErrorsFileOpt,
    LocaleOpt,
    SheetOpt,
    file_options,
    loading,
)
from convenio.cli.render import Cell, Column, Listing, Rate, emit

cases_app = typer.Typer(
    help="Person-level cases: eye surgery (Milagro) and literacy (Robinson) pathways."
)


@cases_app.command("load")
def load_cases(
    events: Annotated[
        Path, typer.Argument(help="CSV case_id,pathway,org_unit,stage,date", show_default=False)
    ],
    people: Annotated[
        Path | None,
        typer.Option(
            "--people",
            help="CSV case_id,name,national_id,birth_date: sealed with CONVENIO_SECRET_KEY",
        ),
    ] = None,
    encoding: EncodingOpt = "utf-8",
    locale: LocaleOpt = None,
    sheet: SheetOpt = None,
    errors_file: ErrorsFileOpt = None,
) -> None:
    """Load pathway events (and, apart, personal data); all or nothing, idempotent.
    Stages must not be dated before earlier ones; every case starts at the first."""
    from convenio.services import cases
    from convenio.settings import get_settings

    options = file_options(encoding, locale, sheet)
    with loading(errors_file) as (uow, tell):
        secret = get_settings().secret_key.get_secret_value()
        r = cases.load_cases(uow, events, people, secret, options, tell)
    console.print(
        f"cases: {r.cases_added} added; events: {r.events_added} added, {r.events_unchanged} "
        f"unchanged; personal data: {r.people_added} added, {r.people_changed} changed, "
        f"{r.people_unchanged} unchanged",
        highlight=False,
    )


@cases_app.command("indicators")
def show_indicators(
    pathway: Annotated[str, typer.Option("--pathway", help="eye-surgery or literacy")],
    ou: Annotated[str | None, typer.Option("--ou", help="Only this org unit and below")] = None,
    public: Annotated[
        bool, typer.Option("--public", help="Suppress counts under 5, as public output does")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout")] = False,
    as_csv: Annotated[
        bool, typer.Option("--csv", help="CSV on stdout: indicator,value (rate in %)")
    ] = False,
) -> None:
    """Completion rate, median days from the first stage to the surgery or graduation,
    and how many stopped at each stage. Cases are counted, never named."""
    from convenio.services import cases

    with guard(), open_store().unit_of_work() as uow:
        found = cases.pathway_indicators(uow, pathway, ou, public)
    if as_json:
        print_json(found)
        return

    def cell(value: int | str | None) -> Cell:
        return (
            "suppressed" if value is None else Decimal(value) if isinstance(value, str) else value
        )

    rate = found["completion_rate"]
    figures: list[tuple[str, str, Cell]] = [
        ("started", "cases started", cell(found["started"])),
        ("completed", "cases completed", cell(found["completed"])),
        (
            "completion_rate",
            "completion rate",
            "suppressed" if rate is None else Rate(Decimal(rate).scaleb(-2)),
        ),
        ("median_days", "median days to completion", cell(found["median_days"])),
        *(
            (f"stopped_at:{stage}", f"stopped at {stage}", cell(n))
            for stage, n in found["stopped_at"].items()
        ),
    ]
    where = f" at {ou}" if ou else ""
    title = f"{pathway}{where}" + (" (public)" if public else "")
    if as_csv:
        # CSV: the keys of the JSON, the rate in % as the JSON has it.
        rows: list[Sequence[Cell]] = [
            [key, Decimal(rate) if key == "completion_rate" and rate is not None else value]
            for key, _, value in figures
        ]
        emit(Listing(title, [Column("indicator"), Column("value")], rows), "csv")
        return
    if found["started"] == 0:
        console.print(
            f"{title}: no cases — none of the {pathway} pathway{where}; load events with "
            "`convenio cases load FILE` (case_id,pathway,org_unit,stage,date)",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        return
    rows = [[label, value] for _, label, value in figures]
    emit(Listing(title, [Column("indicator"), Column("value")], rows), "table")
