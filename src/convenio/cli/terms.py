"""`convenio terms …`: check an agreement's terms file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from convenio.cli.common import console, guard

app = typer.Typer(help="Agreement terms: parties, versions, pricing, financing, rate cards.")


@app.command()
def check(file: Annotated[Path, typer.Argument(help="A terms YAML file")]) -> None:
    """Validate a terms file; every problem is reported with its line and field (exit 2)."""
    from convenio.terms import load_terms

    with guard():
        agreement = load_terms(file)
    console.print(
        f"ok: {file}: agreement {agreement.agreement.id}, {len(agreement.parties)} parties, "
        f"{len(agreement.versions)} versions",
        highlight=False,
    )
