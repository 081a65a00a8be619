"""What every command shares: the console, the store from the settings, error rendering."""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console

from convenio.errors import ConvenioError, InputError, Problem

__all__ = [
    "SHOWN_PROBLEMS",
    "console",
    "err_console",
    "fail",
    "guard",
    "open_store",
    "parse_date_option",
    "parse_moment_option",
    "print_json",
]

UNWRAPPED = 1_000_000
"""The width of a console written to a pipe or a file with no COLUMNS: lines never wrap."""


def _console(stderr: bool = False) -> Console:
    """A console as wide as the terminal (or COLUMNS); in a pipe or a file, unbounded, so
    that a table keeps one record per line for `grep`, `sort` and spreadsheets."""
    made = Console(stderr=stderr)
    if not made.is_terminal and not os.environ.get("COLUMNS"):
        made.width = UNWRAPPED
    return made


console = _console()
err_console = _console(stderr=True)


def print_json(value: Any) -> None:
    """JSON on stdout, unstyled (for pipes and programs)."""
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


SHOWN_PROBLEMS = 50
"""Problems listed on the screen; the rest are counted (all of them: --errors-file)."""


def fail(error: ConvenioError, errors_file: Path | None = None) -> NoReturn:
    """Print the error and its first `SHOWN_PROBLEMS` problems on stderr, write all of
    them to `errors_file` (CSV file,line,field,message) if given; exit with its code."""
    err_console.print("[bold red]error:[/] ", end="")
    err_console.print(str(error), highlight=False, markup=False)
    problems = error.problems
    written = bool(problems) and errors_file is not None and _write_problems(errors_file, problems)
    if len(problems) > 1:
        for problem in problems[:SHOWN_PROBLEMS]:
            err_console.print(f"  {problem}", highlight=False, markup=False)
        if len(problems) > SHOWN_PROBLEMS:
            where = str(errors_file) if written else "--errors-file F.csv"
            err_console.print(
                f"  … and {len(problems) - SHOWN_PROBLEMS} more (all of them: {where})",
                highlight=False,
                markup=False,
            )
    if written:
        err_console.print(
            f"all {len(problems)} problem(s) written to {errors_file}", highlight=False
        )
    raise typer.Exit(error.exit_code)


def _write_problems(path: Path, problems: Sequence[Problem]) -> bool:
    """Every problem as CSV, through `atomic_output` (never half written); False, with a
    note on stderr, if it cannot be written."""
    from convenio.cli.outputs import atomic_output

    try:
        with atomic_output(path, "--errors-file") as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(("file", "line", "field", "message"))
            writer.writerows(
                (p.file or "", "" if p.line is None else p.line, p.field or "", p.message)
                for p in problems
            )
    except InputError as error:
        err_console.print(f"note: {error}", highlight=False, markup=False)
        return False
    return True


@contextmanager
def guard(errors_file: Path | None = None) -> Iterator[None]:
    """Turn convenio's errors into a message on stderr and the error's exit code; with
    `errors_file` (a loader's --errors-file), every problem is written there too."""
    try:
        yield
    except ConvenioError as error:
        fail(error, errors_file)


def open_store() -> Any:
    """The store configured by the settings, migrated to the newest schema."""
    from convenio.settings import get_settings
    from convenio.store import Store

    settings = get_settings()
    return Store(
        settings.store_url,
        write_wait=settings.write_wait,
        on_wait=lambda: err_console.print("waiting for another writer…", highlight=False),
    )


def parse_date_option(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(
            f"{option}: {value!r} is not an ISO date (YYYY-MM-DD)",
            [Problem("not an ISO date", field=option)],
        ) from None


def parse_moment_option(value: str | None, option: str) -> datetime | None:
    """An ISO date or date-time; a date means the end of that day (UTC)."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, 23, 59, 59, 999_999, tzinfo=UTC)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(
            f"{option}: {value!r} is not an ISO date or date-time",
            [Problem("not an ISO date-time", field=option)],
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
