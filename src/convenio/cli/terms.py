"""`convenio terms …`: check an agreement's terms file and load it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from convenio.cli.common import console, guard, open_store
from convenio.cli.files import EncodingOpt, ErrorsFileOpt, file_options

if TYPE_CHECKING:
    from convenio.terms import Agreement

app = typer.Typer(help="Agreement terms: parties, versions, pricing, financing, rate cards.")


@app.command()
def check(
    file: Annotated[Path, typer.Argument(help="A terms YAML file")],
    encoding: EncodingOpt = "utf-8",
    errors_file: ErrorsFileOpt = None,
) -> None:
    """Validate a terms file; every problem is reported with its line and field (exit 2)."""
    from convenio.services import financing

    with guard(errors_file):
        agreement, _ = financing.check_terms_file(file, file_options(encoding))
    console.print(
        f"ok: {file}: agreement {agreement.agreement.id}, {len(agreement.parties)} parties, "
        f"{_versions(agreement)}",
        highlight=False,
    )


@app.command()
def load(
    file: Annotated[Path, typer.Argument(help="A terms YAML file")],
    encoding: EncodingOpt = "utf-8",
    errors_file: ErrorsFileOpt = None,
) -> None:
    """Check a terms file and make it the store's current terms (an amendment is a new
    file with more versions; loading the same file again changes nothing)."""
    from convenio.services import financing

    with guard(errors_file), open_store().unit_of_work(write=True) as uow:
        agreement, added = financing.load_terms_file(uow, file, file_options(encoding))
    state = "loaded" if added else "already current"
    console.print(
        f"{agreement.agreement.id}: {_versions(agreement)}, {state}",
        highlight=False,
    )


def _versions(agreement: Agreement) -> str:
    count = len(agreement.versions)
    return f"{count} version" if count == 1 else f"{count} versions"
