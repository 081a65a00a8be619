"""`convenio prices|deliveries|payments load`, `convenio accrue`, `convenio tranches`."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from convenio.cli.common import console, guard, open_store, parse_date_option, print_json
from convenio.errors import InputError, Problem

if TYPE_CHECKING:
    from convenio.services.financing import LoadResult

prices_app = typer.Typer(help="Reference price series (CSV series,date,price).")
deliveries_app = typer.Typer(help="Deliveries of commodities, goods and services.")
payments_app = typer.Typer(help="Cash payments between the parties.")

FileArg = Annotated[Path, typer.Argument(help="A CSV file")]


def _report(what: str, result: LoadResult, with_posted: bool = False) -> None:
    extra = f", {result.posted} ledger transaction(s)" if with_posted else ""
    console.print(
        f"{what}: {result.added} added, {result.unchanged} already recorded{extra}",
        highlight=False,
    )
    for period in result.settled:
        console.print(
            f"[yellow]note:[/] {period} is settled: its run stays as it is until you run "
            f"`convenio settle {period.split()[0]} --reopen`",
            highlight=False,
        )


@prices_app.command("load")
def load_prices(file: FileArg) -> None:
    """Load price points; all or nothing, idempotent."""
    from convenio.services import financing

    with guard(), open_store().unit_of_work(write=True) as uow:
        result = financing.load_prices(uow, file)
    _report("prices", result)


@deliveries_app.command("load")
def load_deliveries(file: FileArg) -> None:
    """Load deliveries (CSV delivery_id,date,supplier,recipient,kind,item,quantity,unit,price):
    each is valued by the terms in force on its date, split and posted to the ledger."""
    from convenio.services import financing

    with guard(), open_store().unit_of_work(write=True) as uow:
        result = financing.load_deliveries(uow, file)
    _report("deliveries", result, with_posted=True)


@payments_app.command("load")
def load_payments(file: FileArg) -> None:
    """Load cash payments (CSV payment_id,date,payer,payee,amount,currency[,reference])."""
    from convenio.services import financing

    with guard(), open_store().unit_of_work(write=True) as uow:
        result = financing.load_payments(uow, file)
    _report("payments", result)


def accrue(
    through: Annotated[str, typer.Option(help="Book month ends up to this date (ISO)")],
) -> None:
    """Accrue interest on every tranche at each month end up to a date (idempotent)."""
    from convenio.services import financing

    with guard():
        day = parse_date_option(through, "--through")
        assert day is not None
        with open_store().unit_of_work(write=True) as uow:
            result = financing.accrue(uow, day)
    _report("accruals", result, with_posted=True)


def tranches(
    schedule: Annotated[
        str | None, typer.Option(help="Show this tranche's repayment schedule")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV on stdout")] = False,
) -> None:
    """The financed tranches (principal, terms), or one tranche's schedule."""
    from convenio.services import financing
    from convenio.units import format_minor

    with guard():
        with open_store().unit_of_work() as uow:
            found = financing.tranches(uow)
            scales = {code: unit.scale for code, unit in uow.ledger.units().items()}
        if schedule is not None:
            match = [t for t in found if t.id == schedule]
            if not match:
                raise InputError(
                    f"no tranche {schedule!r}", [Problem("unknown tranche", field="--schedule")]
                )
            t = match[0]
            s = scales[t.currency]
            header = ["number", "due", "opening", "interest", "principal", "payment", "closing"]
            rows = [
                [
                    str(i.number),
                    i.due.isoformat(),
                    *(
                        format_minor(v, s)
                        for v in (i.opening, i.interest, i.principal, i.payment, i.closing)
                    ),
                ]
                for i in t.schedule.installments
            ]
            title = f"Schedule of {t.id} ({t.currency})"
        else:
            header = ["tranche", "creditor", "debtor", "start", "principal", "currency",
                      "rate", "months", "grace", "method"]  # fmt: skip
            rows = [
                [
                    t.id, t.creditor, t.debtor, t.start.isoformat(),
                    format_minor(t.principal, scales[t.currency]), t.currency,
                    str(t.loan.rate), str(t.loan.months), str(t.loan.grace_months),
                    t.loan.method.value,
                ]
                for t in found
            ]  # fmt: skip
            title = f"{len(rows)} tranche(s)"
    if as_json:
        print_json([dict(zip(header, row, strict=True)) for row in rows])
    elif as_csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    else:
        table = Table(title=title)
        for name in header:
            table.add_column(name, justify="right" if name in {"principal", "opening",
                             "interest", "payment", "closing"} else "left")  # fmt: skip
        for row in rows:
            table.add_row(*row)
        console.print(table)
