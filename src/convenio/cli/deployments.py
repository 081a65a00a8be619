"""`convenio cooperants load`, `convenio deployments load|person-months`,
`convenio services from-deployments PERIOD`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from convenio.cli.common import console, guard, open_store, print_json
from convenio.cli.files import (
    EncodingOpt,
    ErrorsFileOpt,
    LocaleOpt,
    SheetOpt,
    file_options,
    loading,
    note_settled,
)
from convenio.cli.render import (
    Amount,
    Column,
    Listing,
    emit,
    format_amount,
    output_format,
)
from convenio.missions.deployments import PERSON_MONTH_SCALE

if TYPE_CHECKING:
    from convenio.services.deployments import RegistryResult

cooperants_app = typer.Typer(
    help="Cooperants: professionals of a home party (CSV id,profession,party)."
)
deployments_app = typer.Typer(help="Deployments of cooperants to sites, and their person-months.")
services_app = typer.Typer(help="Services deliveries made from the missions' deployments.")

FileArg = Annotated[Path, typer.Argument(help="A CSV or .xlsx file", show_default=False)]
PeriodArg = Annotated[str, typer.Argument(help="2011-10, 2011Q4, 2011H1 or 2011")]


def _report(what: str, result: RegistryResult) -> None:
    console.print(
        f"{what}: {result.added} added, {result.changed} changed, {result.unchanged} unchanged",
        highlight=False,
    )
    for month in result.stale:
        console.print(
            f"[yellow]note:[/] {month} was converted into services deliveries and its "
            "person-months now differ: `convenio services from-deployments` refuses it",
            highlight=False,
        )


@cooperants_app.command("load")
def load_cooperants(
    file: FileArg,
    encoding: EncodingOpt = "utf-8",
    locale: LocaleOpt = None,
    sheet: SheetOpt = None,
    errors_file: ErrorsFileOpt = None,
) -> None:
    """Load cooperants (CSV id,profession,party): the profession is a services item of the
    terms with a rate card; all or nothing, idempotent."""
    from convenio.services import deployments

    options = file_options(encoding, locale, sheet)
    with loading(errors_file) as (uow, tell):
        result = deployments.load_cooperants(uow, file, options, tell)
    _report("cooperants", result)


@deployments_app.command("load")
def load_deployments(
    file: FileArg,
    encoding: EncodingOpt = "utf-8",
    locale: LocaleOpt = None,
    sheet: SheetOpt = None,
    errors_file: ErrorsFileOpt = None,
) -> None:
    """Load deployments (CSV id,cooperant_id,org_unit,start,end[,mission]; an empty end:
    still deployed); all or nothing, idempotent; overlaps of a cooperant are refused."""
    from convenio.services import deployments

    options = file_options(encoding, locale, sheet)
    with loading(errors_file) as (uow, tell):
        result = deployments.load_deployments(uow, file, options, tell)
    _report("deployments", result)


@deployments_app.command("person-months")
def person_months(
    period: PeriodArg,
    as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV on stdout")] = False,
) -> None:
    """Person-months per profession, site and month of a period (hundredths, rounded
    once per cooperant, site and month)."""
    from convenio.services import deployments

    with guard(), open_store().unit_of_work() as uow:
        figures = deployments.period_person_months(uow, period)
    total = Amount(sum(f.quantity for f in figures), 2, "person-month")
    listing = Listing(
        f"Person-months, {period}",
        [Column("month"), Column("profession"), Column("org_unit"), Column("person_months")],
        [
            [f.month.iso(), f.profession, f.org_unit, Amount(f.quantity, 2, "person-month")]
            for f in figures
        ],
        empty=f"no deployments in {period}: load them with `convenio deployments load FILE` "
        "(and the cooperants first, `convenio cooperants load FILE`)",
        notes=[f"total: {format_amount(total.minor, total.scale, total.unit)}"],
    )
    emit(listing, output_format(as_json, as_csv))


@services_app.command("from-deployments")
def from_deployments(
    period: PeriodArg,
    as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout")] = False,
) -> None:
    """Turn the person-months of a period into services deliveries (one per profession
    and month, dep-2011-10-doctor), valued by the rate card in force and posted to the
    ledger. Again: nothing changes; changed deployments of a converted month: exit 3."""
    from convenio.services import deployments

    with guard(), open_store().unit_of_work(write=True) as uow:
        result = deployments.convert_period(uow, period)
    if as_json:
        print_json(result.as_json())
        return
    console.print(
        f"services {result.period}: {len(result.converted)} month(s) converted, "
        f"{len(result.unchanged)} already converted (unchanged); "
        f"{len(result.deliveries)} deliveries recorded",
        highlight=False,
    )
    for d in result.deliveries:
        console.print(
            f"  {d.delivery_id}: {format_amount(d.quantity, PERSON_MONTH_SCALE, d.unit)} of "
            f"{d.item}, "
            f"{d.supplier} → {d.recipient}, {d.date.isoformat()}",
            highlight=False,
        )
    note_settled(result.load.settled if result.load is not None else ())
