"""What every command shares: the console, the store from the settings, error rendering."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any, NoReturn

import typer
from rich.console import Console

from convenio.errors import ConvenioError, InputError, Problem

__all__ = [
    "console",
    "err_console",
    "fail",
    "guard",
    "open_store",
    "parse_date_option",
    "parse_moment_option",
    "print_json",
]

console = Console()
err_console = Console(stderr=True)


def print_json(value: Any) -> None:
    """JSON on stdout, unstyled (for pipes and programs)."""
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def fail(error: ConvenioError) -> NoReturn:
    """Print the error and each of its problems on stderr; exit with its code."""
    err_console.print("[bold red]error:[/] ", end="")
    err_console.print(str(error), highlight=False, markup=False)
    if len(error.problems) > 1:
        for problem in error.problems:
            err_console.print(f"  {problem}", highlight=False, markup=False)
    raise typer.Exit(error.exit_code)


@contextmanager
def guard() -> Iterator[None]:
    """Turn convenio's errors into a message on stderr and the error's exit code."""
    try:
        yield
    except ConvenioError as error:
        fail(error)


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
