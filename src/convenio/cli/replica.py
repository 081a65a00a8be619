"""`convenio follow|diff|log …`: each party its own verified copy of the log."""

from __future__ import annotations

import typer

log_app = typer.Typer(help="The transparency log as a file: export.", no_args_is_help=True)


@log_app.command("export")
def log_export() -> None:
    """Write the log's entries to a file another party can follow."""


def follow() -> None:
    """Pull another party's log, verify every entry, keep a verified replica."""


def diff() -> None:
    """Name the first entry where two stores' logs differ, and what differs."""
