"""The `convenio` command: wiring of the sub-commands, and `init`."""

from __future__ import annotations

import typer

from convenio.cli import ledger, terms
from convenio.cli.common import console, guard, open_store

app = typer.Typer(
    name="convenio",
    help="Compensated cooperation agreements: terms, ledger, financing, settlement, missions.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(terms.app, name="terms")
app.add_typer(ledger.app, name="ledger")


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


def main() -> None:
    app()
