"""Reading input files as treasuries and ministries save them: the one layer every loader
uses before its parser.

A loader's parser reads plain comma-separated UTF-8 text with a decimal point and
reports problems by (file, line, field). This module gets it that text from what people
actually have:

- a UTF-8 byte order mark (Excel's "CSV UTF-8") is always accepted, and so is a UTF-16
  one; `--encoding` names any Python codec (cp1252, latin-1, …) for the rest; a file
  that does not decode is refused with its byte offset and line, never a traceback;
- `--locale es`: a Spanish-locale spreadsheet's CSV, separated by ``;`` with ``1.234,56``
  in the columns the loader declares numeric (`convenio.files.numbers`); without it, a
  header split by ``;`` alone is refused with the hint to add it;
- ``.xlsx`` (the first sheet, or `--sheet`), whose problems are located by sheet, row
  and column letter (`CellProblem`);
- fields of any length (the csv module's 131,072-character limit is lifted).

`open_table` hands the parser its lines and, on the way out, relocates every problem
raised inside it (the parser's, and the service's checks that name the same lines) into
the coordinates of the file the person opened. `read_text` does the decoding part for
YAML and JSON. Both are adapters: they do I/O; the parsers stay pure.
"""

from __future__ import annotations

import bisect
import codecs
import csv
import io
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from convenio.errors import ConvenioError, InputError, Problem
from convenio.files.memory import InMemory, Source
from convenio.files.numbers import SpanishNumberError, spanish_number
from convenio.files.sheets import cell_text, column_letter, sheet_rows

__all__ = [
    "LOCALES",
    "PLAIN",
    "CellProblem",
    "FileOptions",
    "Table",
    "Tell",
    "check_options",
    "open_table",
    "read_text",
]

Tell = Callable[[str, int, int], None]
"""`tell(stage, done, total)`: progress of a long read or write (total ≤ 0: unknown)."""

LOCALES = ("es",)
TELL_EVERY = 8192  # lines between two progress reports
SEMICOLON_HINT = "this file looks separated by ';' (a Spanish-locale spreadsheet): add --locale es"
COMMA_HINT = "this file is separated by ',', not ';': leave out --locale es"

# A field as long as memory allows: a description pasted from a report is no attack on us.
csv.field_size_limit(2**31 - 1)


@dataclass(frozen=True)
class FileOptions:
    """How to read an input file: `encoding` (a Python codec name), `locale` (None for
    the strict default, or ``es``), `sheet` (an .xlsx sheet; None: the first)."""

    encoding: str = "utf-8"
    locale: str | None = None
    sheet: str | None = None


PLAIN = FileOptions()


class CellProblem(Problem):
    """A problem of a spreadsheet cell: ``book.xlsx[Sheet1]:row 7:column E (amount): …``."""

    __slots__ = ()

    def __str__(self) -> str:
        where = self.file or ""
        if self.line is not None:
            where += f":row {self.line}"
        if self.field:
            where += f":{self.field}"
        return f"{where}: {self.message}" if where else self.message


def check_options(options: FileOptions) -> None:
    """Refuse an unknown codec or locale, naming the option (exit 2)."""
    try:
        codec = codecs.lookup(options.encoding)
        if not getattr(codec, "_is_text_encoding", True):  # base64, rot13: bytes to bytes
            raise LookupError(options.encoding)
    except LookupError:
        raise InputError(
            f"--encoding: unknown encoding {options.encoding!r}; give a Python codec name "
            "such as utf-8, cp1252 or latin-1",
            [Problem(f"unknown encoding {options.encoding!r}", field="--encoding")],
        ) from None
    if options.locale is not None and options.locale not in LOCALES:
        raise InputError(
            f"--locale: unknown locale {options.locale!r}; one of {', '.join(LOCALES)}",
            [Problem(f"unknown locale {options.locale!r}", field="--locale")],
        )


def _codec_for(head: bytes, encoding: str) -> str:
    """The codec to decode a file starting with `head`: a byte order mark wins."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if codecs.lookup(encoding).name == "utf-8":
        return "utf-8-sig"
    return encoding


def _undecodable(path: Source, encoding: str) -> InputError:
    """The error for a file that does not decode: where the first bad byte is."""
    data = path.read_bytes()
    codec = _codec_for(data[:4], encoding)
    offset, byte = 0, b""
    try:
        data.decode(codec)
    except UnicodeDecodeError as exc:
        bom = codec == "utf-8-sig" and data.startswith(codecs.BOM_UTF8)
        offset = exc.start + (len(codecs.BOM_UTF8) if bom and len(exc.object) < len(data) else 0)
        byte = data[offset : offset + 1]
    line = data.count(b"\n", 0, offset) + 1
    hint = (
        "if it was saved by a spreadsheet on Windows, add --encoding cp1252"
        if codecs.lookup(encoding).name == "utf-8"
        else "check --encoding"
    )
    message = (
        f"not {encoding} text: byte 0x{byte.hex() or '??'} at byte offset {offset} cannot "
        f"be decoded; {hint}"
    )
    return InputError.from_problems([Problem(message, str(path), line)], str(path))


def read_text(path: Source, options: FileOptions = PLAIN) -> str:
    """The whole text of a YAML or JSON file, decoded as `options` say (BOM removed)."""
    check_options(options)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        return data.decode(_codec_for(data[:4], options.encoding))
    except UnicodeDecodeError:
        raise _undecodable(path, options.encoding) from None


def _norm(name: str) -> str:
    return name.strip().lstrip("\ufeff").lower()


class Table:
    """A tabular file opened for a parser: `lines` (plain CSV text, one record per item
    at least) and `name` (what the parser should call the file). See `open_table`."""

    def __init__(
        self, path: Source, options: FileOptions, numeric: Collection[str], tell: Tell | None
    ) -> None:
        self.path, self.options, self.tell = path, options, tell
        self.name = str(path)
        self.numeric = {_norm(n) for n in numeric}
        self.sheet: str | None = None
        self.header: list[str] = []
        self.read = 0  # the last line (CSV) or row (xlsx) of the file read so far
        self._own: list[Problem] = []
        self._shifts: list[tuple[int, int]] = []  # (record, source line − record) changes
        self._closers: list[Callable[[], object]] = []
        self.lines: Iterator[str] = iter(())
        self.codec = options.encoding

    # -- the sources ------------------------------------------------------------------

    def start(self) -> None:
        if self.path.suffix.lower() in (".xlsx", ".xlsm"):
            assert not isinstance(self.path, InMemory), "a workbook is read from its file"
            self.sheet, total, rows = sheet_rows(self.path, self.options.sheet)
            self.lines = self._sheet(rows, total)
            return
        if self.options.sheet is not None:
            raise InputError(
                f"--sheet: {self.path} is not an .xlsx workbook",
                [Problem("only an .xlsx workbook has sheets", str(self.path), None, "--sheet")],
            )
        try:
            binary = self.path.open("rb")
        except OSError as exc:
            raise InputError(f"{self.path}: cannot read: {exc.strerror or exc}") from exc
        self._closers.append(binary.close)
        self.codec = _codec_for(binary.peek(4)[:4], self.options.encoding)
        text = io.TextIOWrapper(binary, encoding=self.codec, newline="")
        self._closers.append(text.close)  # closes `binary` too
        first = next(text, None)
        if first is None:
            self.lines = iter(())
            return
        spanish = self.options.locale == "es"
        if not spanish and ";" in first and "," not in first:
            raise InputError.from_problems(
                [Problem(SEMICOLON_HINT, self.name, 1, "header")], self.name
            )
        if spanish and "," in first and ";" not in first:
            raise InputError.from_problems([Problem(COMMA_HINT, self.name, 1, "header")], self.name)
        size = self.path.stat().st_size
        source = self._counted(first, text, binary, size)
        self.lines = self._spanish(source) if spanish else source

    def _counted(
        self, first: str, text: Iterator[str], binary: io.BufferedReader, size: int
    ) -> Iterator[str]:
        tell, stage = self.tell, f"reading {self.path.name}"
        self.read = 1
        yield first
        for line in text:
            self.read += 1
            if tell is not None and not self.read % TELL_EVERY:
                tell(stage, binary.tell(), size)
            yield line

    def _spanish(self, source: Iterator[str]) -> Iterator[str]:
        """Records split on ';', numeric columns from Spanish to plain, written as CSV."""
        reader = csv.reader(source, delimiter=";")
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        numeric: list[int] = []
        for record, cells in enumerate(reader, start=1):
            self._map(record, reader.line_num)
            if record == 1:
                self.header = [_norm(c) for c in cells]
                numeric = self._numeric_indexes()
            else:
                for i in numeric:
                    if i < len(cells):
                        self._to_plain(cells, i, record)
            writer.writerow(cells)
            yield out.getvalue()
            out.seek(0)
            out.truncate()

    def _sheet(self, rows: Iterator[tuple[int, list[object]]], total: int) -> Iterator[str]:
        """Each row of the sheet as one CSV record (record n is row n)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        spanish = self.options.locale == "es"
        numeric: list[int] = []
        tell, stage = self.tell, f"reading {self.path.name}[{self.sheet}]"
        for record, (row, values) in enumerate(rows, start=1):
            self._map(record, row)
            self.read = row
            cells = [cell_text(v) for v in values]
            if len(cells) < len(self.header):  # empty cells at the end of a row
                cells += [""] * (len(self.header) - len(cells))
            if record == 1:
                self.header = [_norm(c) for c in cells]
                numeric = self._numeric_indexes()
            elif spanish:
                for i in numeric:
                    if i < len(values) and isinstance(values[i], str):  # typed cells are numbers
                        self._to_plain(cells, i, record)
            if tell is not None and not record % TELL_EVERY:
                tell(stage, record, total)
            if any(c.strip() for c in cells):
                writer.writerow(cells)
            else:
                out.write("\n")
            yield out.getvalue()
            out.seek(0)
            out.truncate()

    def _numeric_indexes(self) -> list[int]:
        """The positions in the header of the columns the loader declared numeric."""
        return [i for i, h in enumerate(self.header) if h in self.numeric]

    def _to_plain(self, cells: list[str], i: int, record: int) -> None:
        """Cell `i` of `record` from Spanish to plain decimal text; a malformed number is a
        problem of the table's own, at its record and column."""
        try:
            cells[i] = spanish_number(cells[i])
        except SpanishNumberError as exc:
            self._own.append(Problem(str(exc), self.name, record, self.header[i]))

    # -- where things are -------------------------------------------------------------

    def _map(self, record: int, source_line: int) -> None:
        delta = source_line - record
        if (self._shifts[-1][1] if self._shifts else 0) != delta:
            self._shifts.append((record, delta))

    def source_line(self, line: int) -> int:
        """The line (or sheet row) of the file that the parser's `line` came from."""
        at = bisect.bisect_right(self._shifts, (line, float("inf"))) - 1
        return line + (self._shifts[at][1] if at >= 0 else 0)

    def problems(self, parsed: list[Problem]) -> list[Problem]:
        """The parser's problems with the table's own (numbers refused under --locale es);
        a parser's complaint about a cell the table already refused is left out."""
        if not self._own:
            return parsed
        refused = {(p.line, p.field) for p in self._own}
        kept = [p for p in parsed if (p.line, p.field) not in refused]
        return sorted([*self._own, *kept], key=lambda p: p.line or 0)

    def relocate(self, problem: Problem) -> Problem:
        """`problem` in the coordinates of the file as the person sees it."""
        if problem.file != self.name or isinstance(problem, CellProblem):
            return problem
        line = None if problem.line is None else self.source_line(problem.line)
        if self.sheet is None:
            return problem if line == problem.line else problem._replace(line=line)
        field = problem.field
        if field is not None and _norm(field) in self.header:
            index = self.header.index(_norm(field))
            field = f"column {column_letter(index)} ({field})"
        return CellProblem(problem.message, f"{self.path}[{self.sheet}]", line, field)

    def relocated(self, error: ConvenioError) -> ConvenioError:
        """The same error, its problems (and a message that is one of them) relocated."""
        if not error.problems or (self.sheet is None and not self._shifts):
            return error
        moved = [self.relocate(p) for p in error.problems]
        message = str(error)
        if message == str(error.problems[0]):
            message = str(moved[0])
        return type(error)(message, moved)

    def close(self) -> None:
        for close in self._closers:
            close()


@contextmanager
def open_table(
    path: Source,
    options: FileOptions = PLAIN,
    numeric: Collection[str] = (),
    tell: Tell | None = None,
) -> Iterator[Table]:
    """Open a CSV or .xlsx file for a loader's parser; see the module docstring.

    `numeric` names the columns that hold amounts or quantities (converted under
    ``--locale es``; nothing else is). Inside the block, give the parser `table.lines`
    and `table.name` and pass its problems through `table.problems`; any `ConvenioError`
    leaving the block has its problems relocated to the file's lines, or sheet rows and
    column letters. A file that does not decode, or that the csv module cannot read,
    leaves as an `InputError`.
    """
    check_options(options)
    table = Table(path, options, numeric, tell)
    try:
        table.start()
        yield table
    except ConvenioError as error:
        raise table.relocated(error) from None
    except UnicodeDecodeError:
        raise _undecodable(path, options.encoding) from None
    except csv.Error as exc:
        line = table.read or None
        problem = Problem(f"unreadable CSV: {exc}", table.name, line)
        raise InputError.from_problems([problem], table.name) from None
    finally:
        table.close()
