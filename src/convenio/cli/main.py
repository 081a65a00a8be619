"""The `convenio` command: the wiring of the sub-commands, and `init`."""

from __future__ import annotations

import typer

from convenio.cli import (
    analytics,
    cases,
    demo,
    deployments,
    financing,
    ledger,
    missions,
    settlement,
    terms,
)
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
app.add_typer(missions.orgunits_app, name="orgunits")
app.add_typer(missions.metadata_app, name="metadata")
app.add_typer(missions.data_app, name="data")
app.add_typer(analytics.analytics_app, name="analytics")
app.add_typer(deployments.cooperants_app, name="cooperants")
app.add_typer(deployments.deployments_app, name="deployments")
app.add_typer(deployments.services_app, name="services")
app.add_typer(cases.cases_app, name="cases")
app.command()(demo.demo)


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


INTERNAL_ERROR_EXIT = 70
"""Exit status of an exception no command turned into a message (BSD's EX_SOFTWARE)."""


def main() -> None:
    """The console script: the app, with a last-resort handler for what still escapes.

    Every error convenio expects leaves through `guard` with its own exit code; anything
    else is a bug, reported in one line (the traceback only with ``CONVENIO_DEBUG=1``)."""
    try:
        app()
    except Exception as exc:  # the one place that catches everything
        import os
        import sys
        import traceback

        if os.environ.get("CONVENIO_DEBUG") == "1":
            traceback.print_exc()
        first = str(exc).splitlines()[0] if str(exc) else ""
        sys.stderr.write(
            f"internal error: {type(exc).__name__}: {first} — please report it"
            + ("" if os.environ.get("CONVENIO_DEBUG") == "1" else " (CONVENIO_DEBUG=1 shows where)")
            + "\n"
        )
        sys.exit(INTERNAL_ERROR_EXIT)
