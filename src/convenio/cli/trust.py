"""`convenio keys|checkpoint|proof …`: the parties' signing keys, signed checkpoints of the
transparency log, and inclusion and consistency proofs."""

from __future__ import annotations

import typer

keys_app = typer.Typer(
    help="Each party's signing key: generate, rotate, list.", no_args_is_help=True
)
checkpoint_app = typer.Typer(
    help="Checkpoints of the log, signed by one party and cosigned by the other.",
    no_args_is_help=True,
)
proof_app = typer.Typer(
    help="Inclusion and consistency proofs of the log (RFC 6962).", no_args_is_help=True
)


@keys_app.command("list")
def keys_list() -> None:
    """List the verifier keys the parties announced in the log."""


@checkpoint_app.command("show")
def checkpoint_show() -> None:
    """Print the checkpoint of the log as it is (unsigned)."""


@proof_app.command("inclusion")
def proof_inclusion() -> None:
    """Prove that a transaction is in the log."""
