"""The `convenio` command: the wiring of the sub-commands, and `init`."""

from __future__ import annotations

from importlib.metadata import version
from typing import Annotated, ClassVar

import typer

from convenio.cli import (
    analytics,
    cases,
    demo,
    deployments,
    discover,
    financing,
    ledger,
    missions,
    replica,
    server,
    settlement,
    terms,
    terms_show,
    trust,
)
from convenio.cli.common import console, guard, open_store
from convenio.cli.helpscreen import ConvenioGroup

SET_UP, LEDGER, FINANCING = "Set up", "Ledger", "Financing"
SETTLEMENT, MISSIONS, REPORTS = "Settlement", "Missions", "Reports"
TRUST, SERVER = "Trust", "Server"


class Convenio(ConvenioGroup):
    """The root group: the commands by panel, in the order of the work."""

    panels: ClassVar[dict[str, tuple[str, ...]]] = {
        SET_UP: ("init", "terms", "parties", "demo"),
        LEDGER: ("ledger",),
        FINANCING: ("prices", "deliveries", "payments", "accrue", "tranches"),
        SETTLEMENT: ("settle", "statement"),
        MISSIONS: (
            "orgunits",
            "metadata",
            "data",
            "cooperants",
            "deployments",
            "services",
            "cases",
        ),
        REPORTS: ("analytics",),
        TRUST: ("keys", "checkpoint", "proof", "log", "follow", "diff"),
        SERVER: ("serve", "users", "tokens", "audit"),
    }


app = typer.Typer(
    name="convenio",
    help="Compensated cooperation agreements: terms, ledger, financing, settlement, missions.",
    cls=Convenio,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _print_version(wanted: bool) -> None:
    if wanted:
        console.print(f"convenio {version('convenio')}", highlight=False)
        raise typer.Exit()


@app.callback()
def _root(
    _version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print the version and exit"
        ),
    ] = False,
) -> None:
    """Compensated cooperation agreements: terms, ledger, financing, settlement, missions."""


app.add_typer(terms.app, name="terms", rich_help_panel=SET_UP)
app.command("parties", rich_help_panel=SET_UP)(discover.parties)
app.command(
    rich_help_panel=SET_UP,
    short_help="Run sixteen years of the Cuba–Venezuela agreement on the store and show "
    "its statements, debt and missions.",
)(demo.demo)
app.add_typer(ledger.app, name="ledger", rich_help_panel=LEDGER)
app.add_typer(financing.prices_app, name="prices", rich_help_panel=FINANCING)
app.add_typer(financing.deliveries_app, name="deliveries", rich_help_panel=FINANCING)
app.add_typer(financing.payments_app, name="payments", rich_help_panel=FINANCING)
app.command(rich_help_panel=FINANCING)(financing.accrue)
app.command(rich_help_panel=FINANCING)(financing.tranches)
app.command(rich_help_panel=SETTLEMENT)(settlement.settle)
app.command(rich_help_panel=SETTLEMENT)(settlement.statement)
app.add_typer(missions.orgunits_app, name="orgunits", rich_help_panel=MISSIONS)
app.add_typer(missions.metadata_app, name="metadata", rich_help_panel=MISSIONS)
app.add_typer(missions.data_app, name="data", rich_help_panel=MISSIONS)
app.add_typer(deployments.cooperants_app, name="cooperants", rich_help_panel=MISSIONS)
app.add_typer(deployments.deployments_app, name="deployments", rich_help_panel=MISSIONS)
app.add_typer(deployments.services_app, name="services", rich_help_panel=MISSIONS)
app.add_typer(cases.cases_app, name="cases", rich_help_panel=MISSIONS)
app.add_typer(analytics.analytics_app, name="analytics", rich_help_panel=REPORTS)
app.add_typer(trust.keys_app, name="keys", rich_help_panel=TRUST)
app.add_typer(trust.checkpoint_app, name="checkpoint", rich_help_panel=TRUST)
app.add_typer(trust.proof_app, name="proof", rich_help_panel=TRUST)
app.add_typer(replica.log_app, name="log", rich_help_panel=TRUST)
app.command(rich_help_panel=TRUST)(replica.follow)
app.command(rich_help_panel=TRUST)(replica.diff)
app.command(rich_help_panel=SERVER)(server.serve)
app.add_typer(server.users_app, name="users", rich_help_panel=SERVER)
app.add_typer(server.tokens_app, name="tokens", rich_help_panel=SERVER)
app.command(rich_help_panel=SERVER)(server.audit)

# Discovery: each list beside the load it lists.
terms.app.command("show")(terms_show.terms_show)
ledger.app.command("accounts")(discover.accounts)
missions.orgunits_app.command("list")(discover.orgunits)
missions.metadata_app.command("elements")(discover.elements)
missions.metadata_app.command("combos")(discover.combos)
missions.metadata_app.command("indicators")(discover.indicators)
missions.metadata_app.command("data-sets")(discover.data_sets)


@app.command(rich_help_panel=SET_UP)
def init() -> None:
    """Create the store (or bring its schema up to date) and say where it is."""
    from convenio.store import store_name

    with guard():
        store = open_store()
        with store.unit_of_work() as uow:
            counts = uow.ledger.counts()
    console.print(
        f"store ready at {store_name(store.engine)}: {counts['accounts']} accounts, "
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
