"""`convenio settle PERIOD` and `convenio statement`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from convenio.cli.common import console, guard, open_store, parse_date_option, print_json
from convenio.cli.render import Amount, Cell, Column, Listing, emit, human, output_format

if TYPE_CHECKING:
    from convenio.services.settlement import RunOutcome

_FIGURES = (
    ("invoiced in period", "invoiced_total"),
    ("outstanding before", "outstanding_before"),
    ("offset in kind", "offset"),
    ("cash paid", "cash_paid"),
    ("carried forward", "carried_forward"),
)


def settle(
    period: Annotated[str, typer.Argument(help="2011Q4, 2011-10, 2011H1 or 2011")],
    reopen: Annotated[
        bool, typer.Option(help="Reverse the earlier run of the period and settle again")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The statements as JSON")] = False,
    as_csv: Annotated[
        bool, typer.Option("--csv", help="CSV: one row per run and direction")
    ] = False,
) -> None:
    """Run the compensation of a period: offsets in kind, cash applied, the rest carried."""
    from convenio.services.settlement import run_settlement

    with guard(), open_store().unit_of_work(write=True) as uow:
        outcomes = run_settlement(uow, period, reopen)
    if as_json:
        print_json(
            [
                {
                    "run": o.run.id,
                    "created": o.created,
                    "reversed": o.reversed_run,
                    "statement": o.run.statement,
                }
                for o in outcomes
            ]
        )
        return
    if as_csv:
        emit(_runs_listing(outcomes), "csv")
        return
    if not outcomes:
        console.print(
            f"nothing to settle in {period}: no claims between the settlement parties "
            "fall in it; load deliveries and payments (`convenio deliveries load`, "
            "`convenio payments load`) dated in the period",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    for o in outcomes:
        state = "settled" if o.created else "already settled, unchanged"
        if o.reversed_run:
            state += f" (reopened: {o.reversed_run} reversed)"
        emit(
            _statement_listing(
                o.run.statement, f"{o.run.period} {o.run.party_a} ↔ {o.run.party_b}: {state}"
            ),
            "table",
        )


def _runs_listing(outcomes: Sequence[RunOutcome]) -> Listing:
    columns = [
        Column("run"), Column("period"), Column("created"), Column("reversed"),
        Column("creditor"), Column("debtor"), Column("currency"),
        *(Column(key) for _, key in _FIGURES), Column("overpaid"),
    ]  # fmt: skip
    rows: list[Sequence[Cell]] = []
    for o in outcomes:
        statement = o.run.statement
        currency = statement["currency"]
        for d in statement["directions"]:
            rows.append(
                [
                    o.run.id, statement["period"], o.created, o.reversed_run,
                    d["creditor"], d["debtor"], currency,
                    *(Amount.of(d[key], currency) for _, key in _FIGURES),
                    Amount.of(d["overpaid"], currency),
                ]
            )  # fmt: skip
    return Listing("settlement runs", columns, rows)


def _statement_listing(statement: dict[str, Any], title: str) -> Listing:
    """The run's figures, one column per direction (creditor on debtor)."""
    currency = statement["currency"]
    directions = statement["directions"]
    columns = [Column("figure"), *(
        Column(f"{d['creditor']} on {d['debtor']}") for d in directions
    )]  # fmt: skip
    rows: list[Sequence[Cell]] = [
        [label, *(Amount.of(d[key], currency) for d in directions)] for label, key in _FIGURES
    ]
    notes = []
    net = statement.get("net") or {}
    if net.get("debtor"):
        amount = human(Amount.of(net["amount"], currency))
        notes.append(
            f"net before cash: {net['debtor']} owes {net['creditor']} {amount} "
            "(the two sides' outstanding before the run, older claims included)"
        )
    return Listing(title, columns, rows, notes=notes)


_SECTIONS = (
    ("claims", "claim"),
    ("tranche_principal", "tranche principal"),
    ("accrued_interest_not_due", "interest accrued, not due"),
)


def statement(
    party: Annotated[str, typer.Option(help="The party, e.g. CUB.BNC")],
    as_of: Annotated[str, typer.Option(help="Date (ISO)")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout")] = False,
    as_csv: Annotated[
        bool, typer.Option("--csv", help="CSV on stdout: one row per line of the statement")
    ] = False,
) -> None:
    """What a party is owed and owes: claims by type and age, tranche principal outstanding,
    interest accrued and not yet due."""
    from convenio.services.settlement import party_statement

    with guard():
        day = parse_date_option(as_of, "--as-of")
        assert day is not None
        with open_store().unit_of_work() as uow:
            report = party_statement(uow, party, day)
    if as_json:
        print_json(report)
        return
    columns = [
        Column("section"), Column("direction"), Column("counterparty"), Column("type"),
        Column("age"), Column("currency", people=False), Column("amount"),
    ]  # fmt: skip
    rows: list[Sequence[Cell]] = []
    for key, section in _SECTIONS:
        for row in report[key]:
            amount = row.get("outstanding", row.get("amount"))
            rows.append(
                [
                    section, row["direction"], row["counterparty"], row.get("type", ""),
                    row.get("age", ""), row["currency"], Amount.of(amount, row["currency"]),
                ]
            )  # fmt: skip
    title = f"{party} as of {report['as_of']}: what it is owed (receivable) and owes (payable)"
    emit(Listing(title, columns, rows, empty=_why_empty(report)), output_format(False, as_csv))


def _why_empty(report: dict[str, Any]) -> str:
    """Why a statement holds nothing, and which statements would hold something."""
    party, day = report["party"], report["as_of"]
    if report.get("settled_by"):
        return (
            f"nothing in {party}'s own name: {report['settled_by']} settles for {party}, "
            f"so its claims are in `convenio statement --party {report['settled_by']} "
            f"--as-of {day}`"
        )
    holders = report.get("parties_with_claims") or []
    if holders:
        return (
            f"{party} is owed nothing and owes nothing on {day}; parties with claims then: "
            + ", ".join(holders)
        )
    return (
        f"no claims and no tranches on or before {day}: load deliveries and payments "
        "(`convenio deliveries load`, `convenio payments load`) dated by then"
    )
