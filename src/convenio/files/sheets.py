"""The rows of one sheet of an ``.xlsx`` workbook, as the text a CSV file would hold.

Read with openpyxl in read-only mode (rows stream; a workbook is never held whole) and
with the cached values of formulas. A cell becomes the text a person would have typed,
without passing through float arithmetic: an integer cell is its digits, a float cell
`repr` of the float (the shortest text that reads back as the same float, so
``0.1 + 0.2`` stays ``0.30000000000000004`` and the parser's scale check refuses it
rather than rounding), a date ``YYYY-MM-DD`` (a date-time with a time keeps it), a
boolean ``true``/``false``, an empty cell ''.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from convenio.errors import InputError, Problem

__all__ = ["cell_text", "column_letter", "sheet_rows"]


def column_letter(index: int) -> str:
    """The spreadsheet name of the column at 0-based `index`: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def cell_text(value: Any) -> str:
    """A cell's value as text; see the module docstring."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def sheet_rows(path: Path, sheet: str | None) -> tuple[str, int, Iterator[tuple[int, list[Any]]]]:
    """The name of the sheet read (the first, or `sheet`), its number of rows as the file
    states it (0: not stated) and its (row number, cell values) pairs from row 1, with
    trailing empty cells dropped. An unknown sheet or a file that is not a workbook is
    an `InputError` naming the file."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except Exception as exc:  # openpyxl on a damaged file: zip, XML, any of its own errors
        raise InputError(f"{path}: not an .xlsx workbook ({_why(exc)})") from exc
    names: list[str] = list(book.sheetnames)
    if sheet is None:
        sheet = names[0]
    elif sheet not in names:
        book.close()
        raise InputError(
            f"{path}: no sheet {sheet!r} (sheets: {', '.join(names)})",
            [
                Problem(
                    f"no sheet {sheet!r} (sheets: {', '.join(names)})", str(path), None, "--sheet"
                )
            ],
        )
    try:
        worksheet = book[sheet]
        total = worksheet.max_row if isinstance(worksheet.max_row, int) else 0
    except Exception as exc:
        book.close()
        raise _damaged(path, sheet, exc) from exc

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            yield from _rows(worksheet)
        except Exception as exc:  # a sheet's XML cut or malformed half-way
            raise _damaged(path, sheet, exc) from exc
        finally:
            book.close()

    return sheet, total, rows()


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _damaged(path: Path, sheet: str, exc: BaseException) -> InputError:
    return InputError(f"{path}[{sheet}]: not a readable .xlsx sheet ({_why(exc)})")


def _rows(worksheet: Any) -> Iterator[tuple[int, list[Any]]]:
    """(row number, cell values) from row 1, absent rows as empty ones, trailing empty
    cells dropped."""
    expected = 1
    for row in worksheet.iter_rows():
        values = [c.value for c in row]
        number = next((c.row for c in row if c.value is not None), expected)
        while expected < number:  # rows absent from the file are empty
            yield expected, []
            expected += 1
        while values and (values[-1] is None or values[-1] == ""):
            values.pop()
        yield number, values
        expected = number + 1
