"""`convenio prices|deliveries|payments load`, `convenio accrue`, `convenio tranches`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from convenio.cli.common import console, guard, open_store, parse_date_option
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
    Cell,
    Column,
    Listing,
    Rate,
    emit,
    format_rate,
    human,
    output_format,
)
from convenio.errors import InputError, Problem

if TYPE_CHECKING:
    from convenio.financing import Tranche
    from convenio.services.financing import LoadResult

prices_app = typer.Typer(help="Reference price series (CSV series,date,price).")
deliveries_app = typer.Typer(help="Deliveries of commodities, goods and services.")
payments_app = typer.Typer(help="Cash payments between the parties.")

FileArg = Annotated[Path, typer.Argument(help="A CSV or .xlsx file")]


def _report(what: str, result: LoadResult, with_posted: bool = False) -> None:
    extra = f", {result.posted} ledger transaction(s)" if with_posted else ""
    console.print(
        f"{what}: {result.added} added, {result.unchanged} already recorded{extra}",
        highlight=False,
    )
    note_settled(result.settled)


@prices_app.command("load")
def load_prices(
    file: FileArg,
    encoding: EncodingOpt = "utf-8",
    locale: LocaleOpt = None,
    sheet: SheetOpt = None,
    errors_file: ErrorsFileOpt = None,
) -> None:
    """Load price points; all or nothing, idempotent."""
    from convenio.services import financing

    options = file_options(encoding, locale, sheet)
    with loading(errors_file) as (uow, tell):
        result = financing.load_prices(uow, file, options, tell)
    _report("prices", result)


@deliveries_app.command("load")
def load_deliveries(
    file: FileArg,
    encoding: EncodingOpt = "utf-8",
    locale: LocaleOpt = None,
    sheet: SheetOpt = None,
    errors_file: ErrorsFileOpt = None,
) -> None:
    """Load deliveries (CSV delivery_id,date,supplier,recipient,kind,item,quantity,unit,price):
    each is valued by the terms in force on its date, split and posted to the ledger."""
    from convenio.services import financing

    options = file_options(encoding, locale, sheet)
    with loading(errors_file) as (uow, tell):
        result = financing.load_deliveries(uow, file, options, tell)
    _report("deliveries", result, with_posted=True)


@payments_app.command("load")
def load_payments(
    file: FileArg,
    encoding: EncodingOpt = "utf-8",
    locale: LocaleOpt = None,
    sheet: SheetOpt = None,
    errors_file: ErrorsFileOpt = None,
) -> None:
    """Load cash payments (CSV payment_id,date,payer,payee,amount,currency[,reference])."""
    from convenio.services import financing

    options = file_options(encoding, locale, sheet)
    with loading(errors_file) as (uow, tell):
        result = financing.load_payments(uow, file, options, tell)
    _report("payments", result)


def accrue(
    through: Annotated[str, typer.Option(help="Book month ends up to this date (ISO)")],
) -> None:
    """Accrue interest on every tranche, and late interest on unpaid short-term parts where
    the terms charge it, at each month end up to a date (idempotent)."""
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
    party: Annotated[
        str | None,
        typer.Option(help="Only tranches where this party is creditor or debtor (VEN: VEN.*)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV on stdout")] = False,
) -> None:
    """The financed tranches (principal and loan terms), or one tranche's schedule."""
    from convenio.services import financing, ledger

    with guard():
        with open_store().unit_of_work() as uow:
            found = financing.tranches(uow, party)
            scales = ledger.unit_scales(uow)
        if schedule is not None:
            listing = _schedule(found, schedule, scales, party)
        else:
            listing = _tranche_list(found, scales, party)
    emit(listing, output_format(as_json, as_csv))


_TRANCHE_COLUMNS = (
    Column("tranche"), Column("creditor"), Column("debtor"), Column("start"),
    Column("principal"), Column("currency", people=False), Column("rate"), Column("months"),
    Column("grace_months", "grace (months)"), Column("grace_interest"), Column("method"),
    Column("frequency"), Column("day_count"),
)  # fmt: skip


def _tranche_list(found: list[Tranche], scales: dict[str, int], party: str | None) -> Listing:
    rows: list[Sequence[Cell]] = [
        [
            t.id, t.creditor, t.debtor, t.start, Amount(t.principal, scales[t.currency],
            t.currency), t.currency, Rate(t.schedule.rate), t.schedule.term_months,
            t.schedule.grace_months, t.schedule.grace_interest.value, t.schedule.method.value,
            t.schedule.frequency.value, t.schedule.day_count.value,
        ]
        for t in found
    ]  # fmt: skip
    if party is not None:
        empty = (
            f"no tranches where {party} is creditor or debtor: `convenio tranches` lists "
            "every tranche and its parties"
        )
    else:
        empty = (
            "no tranches: a tranche is the financed part of a delivery, so load deliveries "
            "financed by the terms (`convenio deliveries load FILE`) first"
        )
    title = f"{len(rows)} tranche(s)" + (f" where {party} is creditor or debtor" if party else "")
    return Listing(title, _TRANCHE_COLUMNS, rows, empty=empty)


def _schedule(
    found: list[Tranche], wanted: str, scales: dict[str, int], party: str | None
) -> Listing:
    match = [t for t in found if t.id == wanted]
    if not match:
        where = f" where {party} is creditor or debtor" if party else ""
        raise InputError(
            f"no tranche {wanted!r}{where}: `convenio tranches` lists their ids",
            [Problem("unknown tranche", field="--schedule")],
        )
    t = match[0]
    scale = scales[t.currency]
    names = ("number", "due", "opening", "interest", "principal", "payment", "closing")
    columns = [Column(name) for name in names]
    rows: list[Sequence[Cell]] = [
        [
            i.number,
            i.due,
            *(
                Amount(v, scale, t.currency)
                for v in (i.opening, i.interest, i.principal, i.payment, i.closing)
            ),
        ]
        for i in t.schedule.installments
    ]
    s = t.schedule
    title = (
        f"Schedule of {t.id}: {t.debtor} owes {t.creditor} "
        f"{human(Amount(t.principal, scale, t.currency))} from {t.start.isoformat()} at "
        f"{format_rate(s.rate)} a year, {s.term_months} months incl. {s.grace_months} of grace "
        f"(interest {s.grace_interest.value}), {s.method.value}, {s.frequency.value}, "
        f"{s.day_count.value}"
    )
    return Listing(title, columns, rows, empty=f"{t.id} has no installments")
