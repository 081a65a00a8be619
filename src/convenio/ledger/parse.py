"""Reading transactions from files: CSV rows and JSON documents to `Transaction` values.

Pure text in, values and problems out; every problem names the file, the line (CSV) or
the JSON path, and the field. Nothing here checks accounts or balances — that is
`validate` — so a file is parsed completely and all its problems are reported together.

CSV: header ``txn_id,date,account,amount,unit,description`` (optionally ``kind`` and
``source``); the rows of one transaction share its ``txn_id``. JSON: a list of
``{id, date, description, postings: [{account, amount, unit}], kind?, source?, metadata?}``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple, TextIO

from convenio.errors import Problem
from convenio.ledger.model import AccountKind, AccountSpec, Metadata, Posting, Transaction
from convenio.units import AmountError, parse_minor, to_minor

__all__ = [
    "ACCOUNT_COLUMNS",
    "ACCOUNT_OPTIONAL",
    "CSV_COLUMNS",
    "CSV_OPTIONAL",
    "Located",
    "LocatedAccount",
    "parse_accounts_csv",
    "parse_bound",
    "parse_csv",
    "parse_date",
    "parse_json",
]

CSV_COLUMNS = ("txn_id", "date", "account", "amount", "unit", "description")
CSV_OPTIONAL = ("kind", "source")


class Located(NamedTuple):
    """A parsed transaction and where it came from: its first line and each posting's."""

    txn: Transaction
    file: str
    line: int | None
    posting_lines: tuple[int | None, ...]
    path: str = ""

    def where(self, posting: int | None) -> tuple[int | None, str]:
        """The line and JSON path prefix of a posting (or of the transaction)."""
        if posting is None:
            return self.line, self.path
        if not self.path:  # a CSV row: the line says which posting
            return self.posting_lines[posting], ""
        return self.posting_lines[posting], f"{self.path}.postings[{posting}]"


_date_cache: dict[str, date] = {}


def parse_date(text: str) -> date:
    """An ISO calendar date ``YYYY-MM-DD``; anything else is a ValueError."""
    cached = _date_cache.get(text)
    if cached is not None:
        return cached
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        raise ValueError(f"{text!r} is not an ISO date (YYYY-MM-DD)")
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a valid date") from None
    if len(_date_cache) < 100_000:
        _date_cache[text] = value
    return value


class _Pending:
    __slots__ = ("date", "description", "kind", "line", "lines", "postings", "source")

    def __init__(self, line: int, day: date, description: str, kind: str, source: str) -> None:
        self.line = line
        self.date = day
        self.description = description
        self.kind = kind
        self.source = source
        self.postings: list[Posting] = []
        self.lines: list[int | None] = []


def parse_csv(
    stream: Iterable[str],
    name: str,
    scales: Mapping[str, int],
) -> tuple[list[Located], list[Problem]]:
    """Parse a CSV journal; `scales` gives each known unit's number of decimals."""
    problems: list[Problem] = []
    reader = csv.reader(stream)
    header = next(reader, None)
    if header is None:
        return [], [Problem("the file is empty; expected a header", name, 1)]
    header = [h.strip() for h in header]
    missing = [c for c in CSV_COLUMNS if c not in header]
    unknown = [c for c in header if c not in CSV_COLUMNS + CSV_OPTIONAL]
    if missing or unknown:
        detail = "; ".join(
            part
            for part in (
                f"missing column(s) {', '.join(missing)}" if missing else "",
                f"unknown column(s) {', '.join(unknown)}" if unknown else "",
            )
            if part
        )
        return [], [Problem(f"bad header: {detail}", name, 1, "header")]
    ix = {c: header.index(c) for c in header}
    i_id, i_date, i_acct, i_amt, i_unit, i_desc = (ix[c] for c in CSV_COLUMNS)
    i_kind, i_source = ix.get("kind"), ix.get("source")
    width = len(header)
    pending: dict[str, _Pending] = {}
    for row in reader:
        line = reader.line_num
        if len(row) != width:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            problems.append(
                Problem(f"expected {width} fields, found {len(row)}", name, line, "row")
            )
            continue
        txn_id = row[i_id].strip()
        if not txn_id:
            problems.append(Problem("empty transaction id", name, line, "txn_id"))
            continue
        unit = row[i_unit].strip()
        scale = scales.get(unit)
        amount = 0
        if scale is None:
            problems.append(Problem(f"unknown unit {unit!r}", name, line, "unit"))
        else:
            try:
                amount = parse_minor(row[i_amt], scale)
            except AmountError as exc:
                problems.append(Problem(f"{exc} ({unit})", name, line, "amount"))
        try:
            day = parse_date(row[i_date].strip())
        except ValueError as exc:
            problems.append(Problem(str(exc), name, line, "date"))
            continue
        txn = pending.get(txn_id)
        description = row[i_desc]
        if txn is None:
            kind = (row[i_kind].strip() if i_kind is not None else "") or "manual"
            source = row[i_source].strip() if i_source is not None else ""
            txn = pending[txn_id] = _Pending(line, day, description, kind, source)
        else:
            if day != txn.date:
                problems.append(
                    Problem(
                        f"transaction {txn_id} is dated {txn.date} on line {txn.line}",
                        name,
                        line,
                        "date",
                    )
                )
            if description and description != txn.description:
                problems.append(
                    Problem(
                        f"transaction {txn_id} has another description on line {txn.line}",
                        name,
                        line,
                        "description",
                    )
                )
        txn.postings.append(Posting(row[i_acct].strip(), amount, unit))
        txn.lines.append(line)
    located = [
        Located(
            Transaction(txn_id, p.date, p.description, tuple(p.postings), p.kind, p.source),
            name,
            p.line,
            tuple(p.lines),
        )
        for txn_id, p in pending.items()
    ]
    return located, problems


def _text(obj: Mapping[str, Any], key: str, path: str, required: bool = True) -> str:
    value = obj.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{path}.{key}: expected text")
    return value


def _posting(raw: Any, path: str, scales: Mapping[str, int]) -> Posting:
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected an object with account, amount and unit")
    unit = _text(raw, "unit", path)
    scale = scales.get(unit)
    if scale is None:
        raise ValueError(f"{path}.unit: unknown unit {unit!r}")
    amount = raw.get("amount")
    try:
        if isinstance(amount, str):
            minor = parse_minor(amount, scale)
        elif isinstance(amount, Decimal | int) and not isinstance(amount, bool):
            minor = to_minor(amount, scale)
        else:
            raise AmountError(f"{amount!r} is not an amount")
    except AmountError as exc:
        raise ValueError(f"{path}.amount: {exc} ({unit})") from None
    return Posting(_text(raw, "account", path), minor, unit)


def _metadata(raw: Any, path: str) -> Metadata:
    if raw is None:
        return ()
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise ValueError(f"{path}.metadata: expected an object of text values")
    return tuple(sorted(raw.items()))


def parse_json(
    stream: TextIO, name: str, scales: Mapping[str, int]
) -> tuple[list[Located], list[Problem]]:
    """Parse a JSON journal: a list of transactions (numbers are read as exact decimals)."""
    try:
        # Integers too are read as Decimal: `int` refuses text of over 4,300 digits.
        doc = json.load(stream, parse_float=Decimal, parse_int=Decimal)
    except json.JSONDecodeError as exc:
        return [], [Problem(f"not well-formed JSON: {exc.msg}", name, exc.lineno)]
    except RecursionError:
        return [], [Problem("not usable JSON: nested too deeply", name)]
    if not isinstance(doc, list):
        return [], [Problem("expected a list of transactions", name, 1)]
    located: list[Located] = []
    problems: list[Problem] = []
    for i, raw in enumerate(doc):
        path = f"[{i}]"
        try:
            if not isinstance(raw, dict):
                raise ValueError(f"{path}: expected an object")
            unknown = set(raw) - {
                "id", "date", "description", "postings", "kind", "source", "metadata"
            }  # fmt: skip
            if unknown:
                raise ValueError(f"{path}: unknown field(s) {', '.join(sorted(unknown))}")
            raw_postings = raw.get("postings")
            if not isinstance(raw_postings, list):
                raise ValueError(f"{path}.postings: expected a list")
            date_text = _text(raw, "date", path)
            try:
                day = parse_date(date_text)
            except ValueError as exc:
                raise ValueError(f"{path}.date: {exc}") from None
            txn = Transaction(
                id=_text(raw, "id", path),
                date=day,
                description=_text(raw, "description", path, required=False),
                postings=tuple(
                    _posting(p, f"{path}.postings[{j}]", scales) for j, p in enumerate(raw_postings)
                ),
                kind=_text(raw, "kind", path, required=False) or "manual",
                source=_text(raw, "source", path, required=False),
                metadata=_metadata(raw.get("metadata"), path),
            )
        except ValueError as exc:
            field, _, message = str(exc).partition(": ")
            problems.append(Problem(message, name, None, field))
            continue
        located.append(Located(txn, name, None, (None,) * len(txn.postings), path))
    return located, problems


class LocatedAccount(NamedTuple):
    """An account declaration and the line it came from."""

    spec: AccountSpec
    file: str
    line: int | None


ACCOUNT_COLUMNS = ("account", "unit")
ACCOUNT_OPTIONAL = ("kind", "floor", "ceiling")


def parse_bound(text: str, scale: int) -> int | None:
    """A floor or ceiling in the account's unit; empty text means no bound."""
    text = text.strip()
    return None if not text else parse_minor(text, scale)


def parse_accounts_csv(
    stream: Iterable[str], name: str, scales: Mapping[str, int]
) -> tuple[list[LocatedAccount], list[Problem]]:
    """Parse account declarations: header ``account,unit`` with optional ``kind,floor,ceiling``."""
    reader = csv.DictReader(stream)
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in ACCOUNT_COLUMNS if c not in header]
    unknown = [c for c in header if c not in ACCOUNT_COLUMNS + ACCOUNT_OPTIONAL]
    if missing or unknown:
        bad = ", ".join(missing + unknown)
        return [], [Problem(f"bad header: expected account,unit[,kind,floor,ceiling] ({bad})",
                            name, 1, "header")]  # fmt: skip
    located: list[LocatedAccount] = []
    problems: list[Problem] = []
    for raw in reader:
        line = reader.line_num
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if None in raw:
            problems.append(Problem("too many fields", name, line, "row"))
            continue
        unit = row["unit"]
        scale = scales.get(unit)
        if scale is None:
            problems.append(Problem(f"unknown unit {unit!r}", name, line, "unit"))
            continue
        try:
            kind = AccountKind(row.get("kind") or AccountKind.ASSET.value)
        except ValueError:
            kinds = ", ".join(k.value for k in AccountKind)
            problems.append(
                Problem(f"unknown kind {row.get('kind')!r} (one of {kinds})", name, line, "kind")
            )
            continue
        bounds: list[int | None] = []
        for field in ("floor", "ceiling"):
            try:
                bounds.append(parse_bound(row.get(field, ""), scale))
            except AmountError as exc:
                problems.append(Problem(f"{exc} ({unit})", name, line, field))
        if len(bounds) == 2:
            spec = AccountSpec(row["account"], unit, kind, bounds[0], bounds[1])
            located.append(LocatedAccount(spec, name, line))
    return located, problems
