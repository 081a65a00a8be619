"""The options every loader shares for reading its file (docs/files.md).

A loader command takes `EncodingOpt` (every input, YAML and JSON included), and where its
input is a table `LocaleOpt` and `SheetOpt`; `ErrorsFileOpt` writes all the problems of
a refused file as CSV. `file_options` gathers the first three for the service.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from convenio.files import FileOptions

__all__ = ["EncodingOpt", "ErrorsFileOpt", "LocaleOpt", "SheetOpt", "file_options"]

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
