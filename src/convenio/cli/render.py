"""How every command shows figures: one formatting of amounts, quantities and rates, and
one table renderer that never cuts a number or an id.

Commands build a `Listing` (a title, its columns, rows of typed cells, a reason to give
when there are no rows) and hand it to `emit`, which prints it for people (a table, or
one record per block when the table is wider than the console), as JSON or as CSV.
Cells are typed so that each output gets what it needs from the same value:

| cell | people | JSON | CSV |
|---|---|---|---|
| `Amount(minor, scale, unit)` | `112,394,511.65 USD` | `"112394511.65"` | `112394511.65` |
| `Rate(Decimal("0.015"))` | `1.5 %` | `"0.015"` (a fraction) | `0.015` |
| `int` | `1,234` | `1234` | `1234` |
| `Decimal` | `1,234.50` (its decimals kept) | `"1234.50"` | `1234.50` |
| `date` | `2011-12-31` | `"2011-12-31"` | `2011-12-31` |
| `bool` | `yes` / `no` | `true` / `false` | `true`/`false` |
| `None` | (empty) | `null` | (empty) |
| `str` | as is | as is | as is |

Nothing here uses `float`: amounts are integers of the unit's smallest step and rates
exact `Decimal` fractions, so every figure printed is the ledger's figure to the last digit.
"""

from __future__ import annotations

import csv
import json
import sys
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import IO, Literal, NamedTuple

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from convenio.missions import format_number
from convenio.units import AmountError, format_minor, parse_minor

__all__ = [
    "Amount",
    "Cell",
    "Column",
    "Format",
    "Listing",
    "Rate",
    "emit",
    "format_amount",
    "format_decimal",
    "format_rate",
    "human",
    "json_value",
    "output_format",
    "plain",
    "plain_amount",
    "print_fields",
    "print_listing",
    "write_csv",
]


class Amount(NamedTuple):
    """An exact amount or quantity: `minor` smallest steps of a unit of `scale` decimals."""

    minor: int
    scale: int
    unit: str = ""

    @classmethod
    def of(cls, text: str, unit: str = "") -> Amount:
        """The amount of exact decimal text whose decimals are the unit's scale, as the
        services write it (``"108980000.00"``, ``"-1.500"``): read back, never rounded."""
        scale = len(text.strip().partition(".")[2])
        try:
            return cls(parse_minor(text.strip(), scale), scale, unit)
        except AmountError as exc:
            raise ValueError(f"{text!r} is not a plain decimal amount") from exc


class Rate(NamedTuple):
    """A rate as the exact fraction the terms state (``Decimal("0.02")`` is 2 %)."""

    fraction: Decimal


Cell = Amount | Rate | int | Decimal | date | bool | str | None
Format = Literal["table", "json", "csv"]


def plain_amount(minor: int, scale: int) -> str:
    """The exact decimal text of an amount, no separators: ``112394511.65``."""
    return format_minor(minor, scale)


def format_amount(minor: int, scale: int, unit: str = "") -> str:
    """An amount for people: thousands separated, every decimal of the unit, the unit
    after it (``112,394,511.65 USD``, ``1,234.500 bbl``, ``-0.05 USD``)."""
    grouped = format_minor(minor, scale, grouping=True)
    return f"{grouped} {unit}" if unit else grouped


def _exact(value: Decimal) -> str:
    """The shortest exact positional text of a finite `Decimal` (no exponent, no
    trailing zeros after the point): ``Decimal("1.50")`` → ``1.5``, ``1E+1`` → ``10``."""
    if not value.is_finite():
        raise ValueError(f"{value} is not a finite number")
    return format_number(value)


def format_decimal(value: Decimal, grouping: bool = True) -> str:
    """An exact decimal as stated (its decimals kept: ``25.00``), thousands separated for
    people: ``1,234.5``."""
    if not value.is_finite():
        raise ValueError(f"{value} is not a finite number")
    text = format(value, "f")
    if not grouping:
        return text
    sign = "-" if text.startswith("-") else ""
    whole, dot, frac = text.lstrip("-").partition(".")
    return f"{sign}{int(whole):,}{dot}{frac}"


def format_rate(fraction: Decimal) -> str:
    """A rate given as a fraction, shown as a percent, exactly: ``0.02`` → ``2 %``,
    ``0.015`` → ``1.5 %``, ``0.0225`` → ``2.25 %``."""
    return f"{_exact(fraction.scaleb(2))} %"


def human(cell: Cell, with_unit: bool = True) -> str:
    """A cell as people read it (see the module's table)."""
    if cell is None:
        return ""
    if isinstance(cell, Amount):
        return format_amount(cell.minor, cell.scale, cell.unit if with_unit else "")
    if isinstance(cell, Rate):
        return format_rate(cell.fraction)
    if isinstance(cell, bool):
        return "yes" if cell else "no"
    if isinstance(cell, int):
        return f"{cell:,}"
    if isinstance(cell, Decimal):
        return format_decimal(cell)
    if isinstance(cell, date):
        return cell.isoformat()
    return cell


def json_value(cell: Cell) -> str | int | bool | None:
    """A cell in JSON: counts as numbers, amounts, rates and decimals as exact strings."""
    if cell is None or isinstance(cell, bool | int | str):
        return cell
    if isinstance(cell, Amount):
        return plain_amount(cell.minor, cell.scale)
    if isinstance(cell, Rate):
        return _exact(cell.fraction)
    if isinstance(cell, Decimal):
        return format_decimal(cell, grouping=False)
    return cell.isoformat()


def plain(cell: Cell) -> str:
    """A cell in CSV: exact, no separators, so that the file loads back as it was."""
    value = json_value(cell)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a listing: `key` names it in JSON and CSV, `header` for people.

    `people=False` leaves the column out of the table and the blocks (a currency column
    beside amounts that already name their unit), never out of JSON or CSV. `wrap=True`
    marks prose (names, flags): the table may wrap it between words, never inside one;
    numbers, ids and dates never wrap.
    """

    key: str
    header: str = ""
    people: bool = True
    wrap: bool = False

    @property
    def title(self) -> str:
        return self.header or self.key.replace("_", " ")


@dataclass(slots=True)
class Listing:
    """What a command found, ready for any output.

    `empty` says why nothing was found and what would find something; it is printed
    instead of an empty table (on stderr for JSON and CSV, whose stdout stays parseable).
    `notes` are lines printed after the table for people only.
    """

    title: str
    columns: Sequence[Column]
    rows: list[Sequence[Cell]] = field(default_factory=list)
    empty: str = ""
    notes: list[str] = field(default_factory=list)

    def records(self) -> list[dict[str, str | int | bool | None]]:
        """The rows as JSON objects, keyed by the columns' keys."""
        keys = [c.key for c in self.columns]
        return [{k: json_value(v) for k, v in zip(keys, row, strict=True)} for row in self.rows]


def output_format(as_json: bool, as_csv: bool) -> Format:
    """The format asked by a command's `--json` / `--csv` flags (both: JSON)."""
    return "json" if as_json else "csv" if as_csv else "table"


def _stdout() -> Console:
    from convenio.cli.common import console

    return console


def _stderr() -> Console:
    from convenio.cli.common import err_console

    return err_console


def write_csv(listing: Listing, out: IO[str]) -> None:
    """A header row of the column keys, then one row per record, exact and plain."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.key for c in listing.columns])
    for row in listing.rows:
        writer.writerow([plain(cell) for cell in row])


def emit(
    listing: Listing, fmt: Format, console: Console | None = None, out: IO[str] | None = None
) -> None:
    """Print a listing as a table for people, as JSON or as CSV on stdout."""
    if fmt == "table":
        print_listing(listing, console or _stdout())
        return
    stream = out or sys.stdout
    if fmt == "json":
        stream.write(json.dumps(listing.records(), indent=2, ensure_ascii=False) + "\n")
    else:
        write_csv(listing, stream)
    if not listing.rows and listing.empty:
        _stderr().print(listing.empty, highlight=False, markup=False, soft_wrap=True)


def _unit_of(column: int, rows: Sequence[Sequence[Cell]]) -> str | None:
    """The one unit of every amount of a column (then the header names it), else None."""
    units = {cell.unit for row in rows if isinstance(cell := row[column], Amount)}
    if len(units) != 1:
        return None
    others = [row[column] for row in rows if not isinstance(row[column], Amount | None)]
    return None if others else units.pop() or None


def _right(column: int, rows: Sequence[Sequence[Cell]]) -> bool:
    values = [row[column] for row in rows if row[column] is not None]
    return bool(values) and all(
        isinstance(v, Amount | Rate | int | Decimal) and not isinstance(v, bool) for v in values
    )


def print_listing(listing: Listing, console: Console) -> None:
    """Print a listing for people: its title, then a table if it fits the console's width,
    else one record per block (``key: value`` lines, a blank line between records).

    No cell is ever cut or given an ellipsis: only prose columns (`Column.wrap`) wrap, and
    only between words; headers wrap between theirs when that makes the table fit; a
    table still wider than the console is never squeezed but printed as blocks, whose
    lines the terminal may wrap but never truncate.
    """
    shown = [i for i, c in enumerate(listing.columns) if c.people]
    if len(shown) < len(listing.columns):
        listing = Listing(
            listing.title,
            [listing.columns[i] for i in shown],
            [[row[i] for i in shown] for row in listing.rows],
            listing.empty,
            listing.notes,
        )
    say = console.print
    if listing.title:
        say(listing.title, highlight=False, markup=False, soft_wrap=True)
    if not listing.rows:
        say(listing.empty or "nothing found", highlight=False, markup=False, soft_wrap=True)
        return
    units = [_unit_of(i, listing.rows) for i in range(len(listing.columns))]
    texts = [
        [human(row[i], with_unit=units[i] is None) for row in listing.rows]
        for i in range(len(listing.columns))
    ]
    cells = [max(_width(t, c.wrap) for t in texts[i]) for i, c in enumerate(listing.columns)]
    whole = [
        f"{c.title} ({units[i]})" if units[i] else c.title for i, c in enumerate(listing.columns)
    ]
    # Headers on one line if the table fits so; else each wrapped between its words to
    # its column's cells. Each column's narrowest whole width and two spaces between
    # columns (a divider and a pad): if that fits, rich never needs to cut a word.
    for headers in (whole, [_wrap(h, cells[i]) for i, h in enumerate(whole)]):
        widths = [
            max(c, *map(cell_len, h.splitlines())) for c, h in zip(cells, headers, strict=True)
        ]
        if sum(widths) + 2 * (len(widths) - 1) <= console.width:
            say(_table(listing, headers, texts))
            break
    else:
        _print_blocks(listing, console)
    for note in listing.notes:
        say(note, highlight=False, markup=False, soft_wrap=True)


def _table(listing: Listing, headers: Sequence[str], texts: Sequence[Sequence[str]]) -> Table:
    """The listing as a rich table: no cell wraps but between words where its column may."""
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 0, 0, 1), pad_edge=False, show_edge=False)
    for i, column in enumerate(listing.columns):
        table.add_column(
            headers[i], no_wrap=not column.wrap, overflow="fold",
            justify="right" if _right(i, listing.rows) else "left",
        )  # fmt: skip
    for r in range(len(listing.rows)):
        table.add_row(*(Text(texts[i][r]) for i in range(len(texts))))
    return table


def _wrap(header: str, width: int) -> str:
    """A header on as many lines as it takes to be `width` wide; words are never cut."""
    lines = textwrap.wrap(header, max(width, 1), break_long_words=False, break_on_hyphens=False)
    return "\n".join(lines) or header


def _width(text: str, wrap: bool) -> int:
    """The narrowest a cell can be without cutting it: its longest word if it may wrap."""
    if not wrap:
        return cell_len(text)
    return max((cell_len(word) for word in text.split()), default=0)


def _print_blocks(listing: Listing, console: Console) -> None:
    width = max(len(c.title) for c in listing.columns)
    for n, row in enumerate(listing.rows):
        if n:
            console.print()
        for column, cell in zip(listing.columns, row, strict=True):
            console.print(
                f"{column.title + ':':<{width + 1}} {human(cell)}",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )


def print_fields(title: str, fields: Mapping[str, Cell], console: Console | None = None) -> None:
    """A single record for people: its title, then ``key: value`` lines."""
    out = console or _stdout()
    if title:
        out.print(title, highlight=False, markup=False, soft_wrap=True)
    width = max((len(k) for k in fields), default=0)
    for key, cell in fields.items():
        out.print(
            f"{key + ':':<{width + 1}} {human(cell)}", highlight=False, markup=False, soft_wrap=True
        )
