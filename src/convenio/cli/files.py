"""The options every loader shares for reading its file (docs/files.md).

A loader command takes `EncodingOpt` (every input, YAML and JSON included), and where its
input is a table `LocaleOpt` and `SheetOpt`; `ErrorsFileOpt` writes all the problems of
a refused file as CSV. `file_options` gathers the first three for the service, and
`loading` opens what every load runs in.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from convenio.cli.common import console, guard, open_store
from convenio.cli.progress import progress
from convenio.files import FileOptions, Tell

if TYPE_CHECKING:
    from convenio.store import UnitOfWork

__all__ = [
    "EncodingOpt",
    "ErrorsFileOpt",
    "LocaleOpt",
    "SheetOpt",
    "file_options",
    "loading",
    "note_settled",
]

EncodingOpt = Annotated[
    str,
    typer.Option(
        "--encoding",
        help="The file's text encoding, any Python codec name: utf-8 (default; a BOM is "
        "always accepted), cp1252 (Excel on Windows), latin-1, …",
        show_default=False,
    ),
]
LocaleOpt = Annotated[
    str | None,
    typer.Option(
        "--locale",
        help="es: a Spanish-locale spreadsheet's file: ';' between fields, 1.234,56 in the "
        "amount and quantity columns",
        show_default=False,
    ),
]
SheetOpt = Annotated[
    str | None,
    typer.Option("--sheet", help="The sheet of an .xlsx workbook (default: the first)"),
]
ErrorsFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--errors-file",
        help="If the file is refused, write every problem to this CSV (file,line,field,"
        "message); the screen lists the first 50",
        show_default=False,
    ),
]


def file_options(
    encoding: str = "utf-8", locale: str | None = None, sheet: str | None = None
) -> FileOptions:
    """The reading options of a command's --encoding, --locale and --sheet."""
    return FileOptions(encoding, locale.strip().lower() if locale else None, sheet)


@contextmanager
def loading(errors_file: Path | None = None) -> Iterator[tuple[UnitOfWork, Tell]]:
    """What a load runs in: errors rendered (all of them to `errors_file`), a progress
    bar, and a writer's unit of work that takes the lock only once the service has read
    and checked its file (`UnitOfWork.lock`)."""
    with (
        guard(errors_file),
        progress() as tell,
        open_store().unit_of_work(write=True, late_lock=True) as uow,
    ):
        yield uow, tell


def note_settled(periods: Iterable[str]) -> None:
    """Say of each settled period a load added to (``2011Q4 VEN.PDVSA-CUB.BNC``) that its
    run stands until reopened."""
    for period in periods:
        console.print(
            f"[yellow]note:[/] {period} is settled: its run stays as it is until you run "
            f"`convenio settle {period.split()[0]} --reopen`",
            highlight=False,
        )
