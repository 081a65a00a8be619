"""`convenio settle PERIOD` and `convenio statement`."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from convenio.cli.common import console, guard, open_store, parse_date_option, print_json


def settle(
    period: Annotated[str, typer.Argument(help="2011Q4, 2011-10, 2011H1 or 2011")],
    reopen: Annotated[
        bool, typer.Option(help="Reverse the earlier run of the period and settle again")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The statements as JSON")] = False,
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
    for o in outcomes:
        state = "settled" if o.created else "already settled, unchanged"
        if o.reversed_run:
            state += f" (reopened: {o.reversed_run} reversed)"
        _print_statement(
            o.run.statement, f"{o.run.period} {o.run.party_a} ↔ {o.run.party_b}: {state}"
        )


def _print_statement(statement: dict[str, Any], title: str) -> None:
    table = Table(title=title)
    table.add_column("")
    directions = statement["directions"]
    for d in directions:
        table.add_column(f"{d['creditor']} on {d['debtor']}", justify="right")
    for label, key in (
        ("invoiced in period", "invoiced_total"),
        ("outstanding before", "outstanding_before"),
        ("offset in kind", "offset"),
        ("cash paid", "cash_paid"),
        ("carried forward", "carried_forward"),
    ):
        table.add_row(label, *(str(d.get(key, "")) for d in directions))
    console.print(table)
    net = statement.get("net") or {}
    if net.get("debtor"):
        console.print(
            f"net before cash: {net['debtor']} owes {net['creditor']} "
            f"{net['amount']} {statement['currency']}",
            highlight=False,
        )


def statement(
    party: Annotated[str, typer.Option(help="The party, e.g. CUB.BNC")],
    as_of: Annotated[str, typer.Option(help="Date (ISO)")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout")] = False,
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
    table = Table(title=f"{party} as of {as_of}: claims by age")
    for name in ("direction", "counterparty", "type", "age", "outstanding", "currency"):
        table.add_column(name, justify="right" if name == "outstanding" else "left")
    for row in report["claims"]:
        table.add_row(*(row[k] for k in ("direction", "counterparty", "type", "age",
                                         "outstanding", "currency")))  # fmt: skip
    console.print(table)
    for key, title in (("tranche_principal", "tranche principal outstanding"),
                       ("accrued_interest_not_due", "interest accrued, not yet due")):  # fmt: skip
        for row in report[key]:
            amount = row.get("outstanding", row.get("amount"))
            console.print(
                f"{title}: {row['direction']} {row['counterparty']} {amount} {row['currency']}",
                highlight=False,
            )
