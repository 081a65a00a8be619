"""`convenio orgunits load`, `convenio metadata load`, `convenio data import|export|reopen`."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from convenio.cli.common import console, guard, open_store, parse_date_option, print_json
from convenio.cli.files import (
    EncodingOpt,
    ErrorsFileOpt,
    LocaleOpt,
    SheetOpt,
    file_options,
    loading,
)
from convenio.cli.progress import progress
from convenio.errors import InputError, Problem

orgunits_app = typer.Typer(help="Org units: the missions' sites, in a hierarchy with history.")
metadata_app = typer.Typer(
    help="Missions metadata: data elements, disaggregations, data sets, indicators."
)
data_app = typer.Typer(help="Aggregate data values, in CSV or DHIS2 dataValueSets JSON.")

FileArg = Annotated[Path, typer.Argument(help="The file to load", show_default=False)]


@orgunits_app.command("load")
def load_orgunits(
    file: FileArg,
    effective: Annotated[
        str | None,
        typer.Option(
            help="Day the changes take effect (ISO; default today). New units "
            "are taken to have always existed."
        ),
    ] = None,
    encoding: EncodingOpt = "utf-8",
    locale: LocaleOpt = None,
    sheet: SheetOpt = None,
    errors_file: ErrorsFileOpt = None,
) -> None:
    """Load org units (CSV or .xlsx id,name,parent_id,level[,code]); all or nothing, idempotent.
    A known unit with another parent, name, level or code gets a new version."""
    from convenio.services import missions

    options = file_options(encoding, locale, sheet)
    with guard():
        day = parse_date_option(effective, "--effective") or date.today()
    with loading(errors_file) as (uow, tell):
        result = missions.load_org_units(uow, file, day, options, tell)
    console.print(
        f"org units: {result.added} added, {result.changed} changed (from {day}), "
        f"{result.total} in all",
        highlight=False,
    )


@metadata_app.command("load")
def load_metadata(
    file: FileArg, encoding: EncodingOpt = "utf-8", errors_file: ErrorsFileOpt = None
) -> None:
    """Load a metadata file (YAML or JSON; docs/missions.md): objects are added or
    replaced by id, nothing is removed."""
    from convenio.services import missions

    with loading(errors_file) as (uow, _):
        result = missions.load_metadata(uow, file, file_options(encoding))
    named = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in result.counts.items())
    console.print(f"metadata: {named or 'nothing'} loaded", highlight=False)


@data_app.command("import")
def import_data(
    file: FileArg,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and count, write nothing")
    ] = False,
    today: Annotated[
        str | None, typer.Option(help="The day that decides expiry (ISO; default today)")
    ] = None,
    bulk: Annotated[
        bool,
        typer.Option(
            "--bulk",
            help="Numeric values from .parquet or .csv, checked and stored in the embedded "
            "store's DuckDB file (docs/missions.md, Bulk import)",
        ),
    ] = False,
    encoding: EncodingOpt = "utf-8",
    locale: LocaleOpt = None,
    sheet: SheetOpt = None,
    errors_file: ErrorsFileOpt = None,
) -> None:
    """Import data values (DHIS2 CSV or .xlsx, or dataValueSets JSON by extension or
    content): all or nothing; values identical to the stored ones change nothing."""
    from convenio.services import bulk_import, mission_data

    options = file_options(encoding, locale, sheet)
    with guard(errors_file), progress() as tell:
        day = parse_date_option(today, "--today")
        with open_store().unit_of_work(write=not dry_run or bulk, late_lock=not bulk) as uow:
            if bulk:
                result = bulk_import.import_bulk(uow, file, dry_run, day, options)
            else:
                result = mission_data.import_values(uow, file, dry_run, day, options, tell)
    verb = "would be" if result.dry_run else "were"
    console.print(
        f"data values: {result.added} added, {result.updated} updated, {result.deleted} "
        f"deleted, {result.unchanged} unchanged{' (dry run: nothing written)' if dry_run else ''}",
        highlight=False,
    )
    for reason in result.settled:
        console.print(
            f"[yellow]note:[/] values in a reopened period {verb} changed while {reason}: its "
            "run takes them in only when reopened (`convenio settle PERIOD --reopen`)",
            highlight=False,
        )


@data_app.command("export")
def export_data(
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="File (default stdout)")
    ] = None,
    format: Annotated[str, typer.Option("--format", help="csv or dhis2-json")] = "csv",
    data_set: Annotated[
        str | None, typer.Option("--data-set", help="Only this data set's elements")
    ] = None,
) -> None:
    """Export the stored data values in DHIS2's CSV or dataValueSets JSON."""
    from convenio.services import mission_data

    with guard():
        if format not in ("csv", "dhis2-json"):
            raise InputError(
                f"--format {format!r}: csv or dhis2-json",
                [Problem("unknown format", field="--format")],
            )
        fmt: mission_data.ExportFormat = "csv" if format == "csv" else "dhis2-json"
        with open_store().unit_of_work() as uow:
            if output is None:
                count = mission_data.export_values(uow, sys.stdout, fmt, data_set)
                return
            from convenio.cli.outputs import atomic_output

            with atomic_output(output) as out:
                count = mission_data.export_values(uow, out, fmt, data_set)
    console.print(f"{count} data value(s) written to {output}", highlight=False)


@data_app.command("reopen")
def reopen(
    data_set: Annotated[str, typer.Argument(metavar="DATA_SET", help="The data set's id")],
    period: Annotated[str, typer.Argument(metavar="PERIOD", help="A period of its type")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout")] = False,
) -> None:
    """Let a locked period (past its expiry, or settled) take changes again."""
    from convenio.services import missions

    with guard(), open_store().unit_of_work(write=True) as uow:
        added = missions.reopen_period(uow, data_set, period)
    if as_json:
        print_json({"data_set": data_set, "period": period, "reopened": added})
    else:
        state = "reopened" if added else "already reopened"
        console.print(f"{data_set} {period}: {state}", highlight=False)
