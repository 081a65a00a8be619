"""`convenio ledger …`: open accounts, post journals, read balances, verify, export."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from convenio.cli.common import (
    console,
    guard,
    open_store,
    parse_date_option,
    parse_moment_option,
    print_json,
)
from convenio.cli.files import (
    EncodingOpt,
    ErrorsFileOpt,
    LocaleOpt,
    SheetOpt,
    file_options,
    loading,
)
from convenio.errors import InputError, Problem

app = typer.Typer(help="The double-entry ledger: accounts, transactions, balances.")


@app.command("open")
def open_(
    account: Annotated[str | None, typer.Argument(help="Account path, e.g. VEN/claims/CUB")] = None,
    unit: Annotated[str | None, typer.Argument(help="Unit code, e.g. USD, bbl")] = None,
    kind: Annotated[str, typer.Option(help="asset|liability|equity|income|expense")] = "asset",
    floor: Annotated[str | None, typer.Option(help="Lowest balance allowed, e.g. 0")] = None,
    ceiling: Annotated[str | None, typer.Option(help="Highest balance allowed")] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="CSV or .xlsx: account,unit[,kind,floor,ceiling]"),
    ] = None,
    encoding: EncodingOpt = "utf-8",
    locale: LocaleOpt = None,
    sheet: SheetOpt = None,
    errors_file: ErrorsFileOpt = None,
) -> None:
    """Open one account, or every account of a CSV or .xlsx file (reopening the same is a
    no-op)."""
    from convenio.ledger import AccountKind, AccountSpec
    from convenio.ledger.parse import LocatedAccount, parse_bound
    from convenio.services import ledger as svc
    from convenio.units import AmountError

    with guard(errors_file):
        store = open_store()
        with store.unit_of_work(write=True, late_lock=True) as uow:
            if file is not None:
                if account or unit:
                    raise InputError("give either ACCOUNT UNIT or --file, not both")
                result = svc.open_accounts_file(uow, file, file_options(encoding, locale, sheet))
            else:
                if not account or not unit:
                    raise InputError("give ACCOUNT and UNIT, or --file FILE")
                scale = uow.ledger.units().get(unit)
                if scale is None:
                    raise InputError(f"unknown unit {unit!r}", [Problem("unknown", field="unit")])
                try:
                    spec = AccountSpec(
                        account,
                        unit,
                        AccountKind(kind),
                        parse_bound(floor or "", scale.scale),
                        parse_bound(ceiling or "", scale.scale),
                    )
                except (ValueError, AmountError) as exc:
                    raise InputError(str(exc)) from exc
                result = svc.open_accounts(uow, [LocatedAccount(spec, "command line", None)])
    console.print(f"opened {result.opened} account(s), {result.unchanged} already open")


@app.command()
def post(
    file: Annotated[Path, typer.Argument(help="Journal: .csv, .xlsx or .json")],
    encoding: EncodingOpt = "utf-8",
    locale: LocaleOpt = None,
    sheet: SheetOpt = None,
    errors_file: ErrorsFileOpt = None,
) -> None:
    """Post a journal file, all or nothing; posting it again changes nothing."""
    from convenio.services import ledger as svc

    options = file_options(encoding, locale, sheet)
    # Parsed and checked before the write lock is taken (`post_file`), so concurrent
    # writers wait only for each other's writes, and a bad file never waits at all.
    with loading(errors_file) as (uow, tell):
        result = svc.post_file(uow, file, options, tell)
    console.print(
        f"posted {result.posted} transaction(s), {result.replayed} already recorded; "
        f"chain head {result.head_seq} {result.head_hash[:16]}…",
        highlight=False,
    )


@app.command()
def reverse(
    txn_id: Annotated[str, typer.Argument(help="The transaction to reverse")],
    new_id: Annotated[str | None, typer.Option("--id", help="Id of the reversal")] = None,
    on: Annotated[str | None, typer.Option("--date", help="Effective date (ISO)")] = None,
    reason: Annotated[str, typer.Option(help="Why, for the description")] = "",
) -> None:
    """Undo a recorded transaction with a reversal (nothing is ever edited or deleted)."""
    from convenio.services import ledger as svc

    with guard():
        day = parse_date_option(on, "--date")
        store = open_store()
        with store.unit_of_work(write=True) as uow:
            result = svc.reverse(uow, txn_id, new_id, day, reason)
    console.print(f"posted {result.posted} reversal(s); chain head {result.head_seq}")


@app.command()
def balances(
    as_of: Annotated[str | None, typer.Option(help="Effective date (ISO), inclusive")] = None,
    known_at: Annotated[
        str | None, typer.Option(help="Only what was recorded by this date-time (ISO, UTC)")
    ] = None,
    party: Annotated[str | None, typer.Option(help="Only this party's accounts")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON list on stdout")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV on stdout")] = False,
) -> None:
    """Balances of every account, as of a date and as known at a time."""
    from convenio.cli.render import Amount, Column, Listing, emit, output_format
    from convenio.services import ledger as svc

    with guard():
        day = parse_date_option(as_of, "--as-of")
        moment = parse_moment_option(known_at, "--known-at")
        store = open_store()
        with store.unit_of_work() as uow:
            rows = svc.balances(uow, day, moment, party)
    title = f"Balances as of {as_of or 'today'}" + (f", known at {known_at}" if known_at else "")
    listing = Listing(
        title,
        [Column("account"), Column("unit", people=False), Column("balance")],
        [[r.account, r.unit, Amount(r.balance, r.scale, r.unit)] for r in rows],
        empty="no accounts yet: open them (`convenio ledger open ACCOUNT UNIT` or `--file`), "
        "or load terms and deliveries, which open theirs",
    )
    emit(listing, output_format(as_json, as_csv))


@app.command()
def verify(
    as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV on stdout")] = False,
    checkpoint: Annotated[
        Path | None,
        typer.Option(
            "--checkpoint",
            help="A signed checkpoint (or statement) the other party holds: the store must "
            "be the log it signed, grown only by appending",
        ),
    ] = None,
    keys: Annotated[
        list[str] | None,
        typer.Option(
            "--key",
            help="A verifier key that must have signed the checkpoint; repeat for each "
            "(default: the keys the log announced)",
        ),
    ] = None,
) -> None:
    """Recompute the hash chain, every total and the log; name the first break (exit 4).
    With --checkpoint, check its signatures and the store against it."""
    from convenio.cli.render import Cell, Column, Listing, emit, human
    from convenio.services import ledger as svc
    from convenio.services import signed as signed_svc

    signed = None
    with guard():
        if keys and checkpoint is None:
            raise InputError("--key checks the signatures of a --checkpoint FILE: give one")
        store = open_store()
        if checkpoint is None:
            with store.unit_of_work() as uow:
                report = svc.verify(uow)
        else:
            from convenio.cli.trust import read_signed

            content = read_signed(checkpoint)
            with store.unit_of_work() as uow:
                signed = signed_svc.verify_checkpoint(uow, content, keys or [])
            report = signed.report
    if as_json:
        found: dict[str, object] = {
            "ok": True,
            "transactions": report.transactions,
            "head_seq": report.head_seq,
            "head_hash": report.head_hash,
            "log_size": report.log_size,
            "log_root": report.log_root,
        }
        if signed is not None:
            found["checkpoint_size"] = signed.body.size
            found["signed_by"] = list(signed.signers)
            found["keys"] = "given" if signed.given_keys else "announced"
        print_json(found)
    elif as_csv:
        columns = [
            Column("transactions"),
            Column("head_seq"),
            Column("head_hash"),
            Column("log_size"),
            Column("log_root"),
        ]
        row: tuple[Cell, ...] = (
            report.transactions,
            report.head_seq,
            report.head_hash,
            report.log_size,
            report.log_root,
        )
        if signed is not None:
            columns += [Column("checkpoint_size"), Column("signed_by")]
            row += (signed.body.size, " ".join(signed.signers))
        emit(Listing("", columns, [row]), "csv")
    else:
        said = (
            ""
            if signed is None
            else f"; consistent with the checkpoint of {human(signed.body.size)} entries "
            f"signed by {', '.join(signed.signers)} ("
            + ("the keys given" if signed.given_keys else "keys the log announced")
            + ")"
        )
        console.print(
            f"ok: {human(report.transactions)} transaction(s) verified; head "
            f"{human(report.head_seq)} {report.head_hash}; log of {human(report.log_size)} "
            f"entries, root {report.log_root}{said}",
            highlight=False,
            soft_wrap=True,
        )


@app.command()
def export(
    fmt: Annotated[str, typer.Option("--format", help="beancount or ledger")],
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write")],
) -> None:
    """Export the journal for Beancount or ledger-cli, with the same balances as ours."""
    from convenio.cli.outputs import atomic_output
    from convenio.services import exports

    with guard():
        store = open_store()
        with atomic_output(output) as out, store.unit_of_work() as uow:
            count = exports.export_journal(uow, fmt, out)
    console.print(f"wrote {count} transaction(s) to {output}")
