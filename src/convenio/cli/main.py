"""The `convenio` command: wiring of the sub-commands, and `init`."""

from __future__ import annotations

import typer

from convenio.cli import financing, ledger, settlement, terms
from convenio.cli.common import console, guard, open_store

app = typer.Typer(
    name="convenio",
    help="Compensated cooperation agreements: terms, ledger, financing, settlement, missions.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(terms.app, name="terms")
app.add_typer(ledger.app, name="ledger")
app.add_typer(financing.prices_app, name="prices")
app.add_typer(financing.deliveries_app, name="deliveries")
app.add_typer(financing.payments_app, name="payments")
app.command()(financing.accrue)
app.command()(financing.tranches)
app.command()(settlement.settle)
app.command()(settlement.statement)


@app.command()
def init() -> None:
    """Create the store (or bring its schema up to date) and say where it is."""
    from convenio.settings import get_settings

    with guard():
        store = open_store()
        with store.unit_of_work() as uow:
            counts = uow.ledger.counts()
    settings = get_settings()
    where = settings.store_url if not settings.is_embedded else str(settings.data_dir)
    console.print(
        f"store ready at {where}: {counts['accounts']} accounts, "
        f"{counts['transactions']} transactions",
        highlight=False,
    )


@app.command()
def demo() -> None:
    """Run convenio on the shipped example: the Cuba–Venezuela terms and the reported
    compensation of Q4 2011, posted, verified and shown as balances."""
    from rich.table import Table

    from convenio.services.example import run_example
    from convenio.units import format_minor

    with guard():
        report = run_example(open_store())
    console.print(
        f"[bold]{report.agreement}[/]: terms valid, versions {', '.join(report.versions)}"
    )
    console.print(
        f"ledger: {report.posted.posted} transaction(s) posted, "
        f"{report.posted.replayed} already recorded; chain verified over "
        f"{report.verified.transactions} transaction(s), head {report.verified.head_hash[:16]}…",
        highlight=False,
    )
    table = Table(title="Balances after the Q4 2011 compensation (USD)")
    table.add_column("account")
    table.add_column("balance", justify="right")
    for row in report.balances:
        if row.balance:
            table.add_row(
                row.account, f"{format_minor(row.balance, row.scale, grouping=True)} {row.unit}"
            )
    console.print(table)


def main() -> None:
    app()
