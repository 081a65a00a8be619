"""Journal exports: the ledger as Beancount and ledger-cli files whose balances equal ours.

These writers sit at the far end of the flow, on the read side: recorded transactions
(in any order, typically streamed from the store) go in, a plain-text journal comes out,
and `bean-check` and `ledger` act as external judges of our arithmetic. Nothing here
reads or writes storage. Each writer streams: it keeps one small record per account
(its exported name and running total), never the transactions, and writes in chunks.
The mapping of names, units, signs and text is described in ``docs/exports.md``; the
name mappings are deterministic and checked to be injective over the accounts given.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final, TextIO

from convenio.errors import ConvenioError
from convenio.ledger.model import (
    ACCOUNT_NAME,
    Account,
    AccountKind,
    AccountSpec,
    Metadata,
    RecordedTransaction,
    Transaction,
)
from convenio.units.amounts import Unit, UnitKind, format_minor

__all__ = [
    "DEFAULT_OPEN_DATE",
    "beancount_account",
    "beancount_currency",
    "ledger_account",
    "ledger_commodity",
    "write_beancount",
    "write_ledger",
]

DEFAULT_OPEN_DATE: Final = date(1970, 1, 1)
"""When Beancount `open` and `commodity` directives are dated unless told otherwise.

Transactions arrive as a stream, so each account's first date is unknown when its
`open` must be written; any date on or before every posting is valid, and this one
predates everything the agreements record.
"""

_ROOTS: Final = {
    AccountKind.ASSET: "Assets",
    AccountKind.LIABILITY: "Liabilities",
    AccountKind.EQUITY: "Equity",
    AccountKind.INCOME: "Income",
    AccountKind.EXPENSE: "Expenses",
}
# Beancount lexes these as keywords, not currencies
_BEAN_KEYWORDS = frozenset({"TRUE", "FALSE", "NULL"})
_UNIT_CODE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")
_PLAIN_COMMODITY = re.compile(r"[A-Za-z_]+")  # digits, "." and "-" need quotes
# ledger-cli reads hours and minutes as seconds ("1.5 h" is "5400s") and shows seconds
# as minutes or hours ("150 s" is "2.5m"), even when quoted
_LEDGER_TIME_UNITS = frozenset({"h", "m", "s"})
_SURROGATES = re.compile("[\ud800-\udfff]")
_CONTROLS = "".join(map(chr, [*range(0x20), *range(0x7F, 0xA0)]))
_BEAN_ESCAPES: Final[dict[int, str]] = {
    **dict.fromkeys(map(ord, _CONTROLS), "\ufffd"),
    **dict.fromkeys(range(0xD800, 0xE000), "\ufffd"),
    ord("\\"): "\\\\",
    ord('"'): '\\"',
    ord("\n"): "\\n",
    ord("\t"): "\\t",
    ord("\r"): "\\r",
    ord("\f"): "\\f",
    ord("\b"): "\\b",
}
_LEDGER_BREAKS = re.compile(f"[{_CONTROLS}\u2028\u2029]")
_SPACE_RUNS = re.compile(" {2,}")
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_CHUNK = 4096  # transactions per write: few calls, bounded memory
_LEDGER_TAGS = ("id", "hash", "kind", "reverses", "source", "description", "meta")


def beancount_account(spec: AccountSpec) -> str:
    """The Beancount name of an account: ``VEN/claims/short-term/CUB`` (an asset) becomes
    ``Assets:VEN:Claims:Short-term:CUB``; party ``CUB.BNC`` becomes the component ``CUB-BNC``.
    """
    _check_name(spec.name)
    party, *segments = spec.name.split("/")
    parts = [_ROOTS[spec.kind], party.replace(".", "-")]
    parts.extend(seg[0].upper() + seg[1:].replace("_", "-") for seg in segments)
    return ":".join(parts)


def beancount_currency(code: str) -> str:
    """The Beancount currency of a unit code: upper case (``bbl`` → ``BBL``); a single
    letter or a keyword gains an ``X`` prefix (``t`` → ``XT``), a trailing ``.``, ``_`` or
    ``-`` an ``X`` suffix, so that the name is valid in Beancount 2 and 3.
    """
    _check_unit_code(code)
    name = code.upper()
    if len(name) == 1 or name in _BEAN_KEYWORDS:
        name = "X" + name
    if not name[-1].isalnum():
        name += "X"
    return name


def ledger_account(name: Account) -> str:
    """The ledger-cli name of an account: path segments joined by ``:`` (``VEN:claims``)."""
    _check_name(name)
    return name.replace("/", ":")


def ledger_commodity(code: str) -> str:
    """The ledger-cli commodity of a unit code: as is if letters and ``_`` only, else
    double-quoted (as ledger itself prints it); ``h``, ``m`` and ``s`` become ``h_``,
    ``m_`` and ``s_``, since ledger converts between hours, minutes and seconds.
    """
    _check_unit_code(code)
    if code in _LEDGER_TIME_UNITS:
        code += "_"
    return code if _PLAIN_COMMODITY.fullmatch(code) else f'"{code}"'


def write_beancount(
    out: TextIO,
    accounts: Sequence[AccountSpec],
    txns: Iterable[RecordedTransaction],
    units: Mapping[str, Unit],
    *,
    open_date: date = DEFAULT_OPEN_DATE,
    closing_balances: bool = True,
) -> None:
    """Write `txns` as a Beancount journal that `bean-check` accepts.

    Every account in `accounts` is opened on `open_date` with its unit as the only
    allowed currency; each transaction keeps its id, seq, hash, kind and, where set,
    reverses, source and metadata (as JSON). With `closing_balances`, a `balance`
    assertion per account on the day after the last transaction makes `bean-check`
    itself confirm our balances. Raises `ConvenioError` if two accounts or units map to
    one name, a posting's account is not in `accounts` or has another unit, or a
    transaction is dated before `open_date`.
    """
    book = _Book.build(accounts, units, beancount_account, beancount_currency, "Beancount")
    out.write(_beancount_preamble(book, open_date.isoformat()))
    last = _write_beancount_entries(out.write, book, txns, open_date)
    if closing_balances and last is not None and last < date.max:
        day = (last + timedelta(days=1)).isoformat()
        # A Beancount balance covers the account's sub-accounts in the same currency.
        subtree: Counter[tuple[str, str]] = Counter()
        for name, row in book.rows.items():
            parts = row.name.split(":")
            for depth in range(2, len(parts) + 1):
                subtree[":".join(parts[:depth]), row.commodity] += book.totals[name]
        out.write("\n")
        for _, row in book.sorted_rows():
            # "~ 0": by default Beancount tolerates a whole unit of the last decimal
            amount = format_minor(subtree[row.name, row.commodity], row.scale)
            out.write(f"{day} balance {row.name}  {amount} ~ 0 {row.commodity}\n")


def write_ledger(
    out: TextIO,
    accounts: Sequence[AccountSpec],
    txns: Iterable[RecordedTransaction],
    units: Mapping[str, Unit],
    *,
    closing_balances: bool = True,
) -> None:
    """Write `txns` as a ledger-cli 3 journal that ``ledger --pedantic`` accepts.

    Commodities (with a display format of exactly the unit's scale), accounts (each
    restricted to its unit) and metadata tags are declared up front. A transaction's
    code is its seq; id, hash, kind and, where set, reverses, source and metadata are
    ``; key: value`` tags; a description that had to be cleaned for the payee line is
    kept exactly, as JSON, in a ``description`` tag. With `closing_balances`, an
    ``assert`` per account at the end makes ledger itself confirm our balances. Raises
    `ConvenioError` as `write_beancount` does.
    """
    book = _Book.build(accounts, units, _ledger_name, ledger_commodity, "ledger-cli")
    out.write(_ledger_preamble(book))
    _write_ledger_entries(out.write, book, txns)
    if closing_balances:
        out.write("\n")
        for name, row in book.sorted_rows():
            total = book.totals[name]
            # ledger drops the commodity of a zero amount, so a zero balance is plain 0
            expected = f"{format_minor(total, row.scale)} {row.commodity}" if total else "0"
            out.write(f'assert account("{row.name}").amount == {expected}\n')


def _beancount_preamble(book: _Book, day: str) -> str:
    lines = [";; Exported by convenio; names, units and signs: see docs/exports.md\n"]
    lines.extend(
        f'option "operating_currency" "{currency}"'
        for currency, unit in book.commodities
        if unit.kind is UnitKind.CURRENCY
    )
    for currency, unit in book.commodities:
        lines.append(f'\n{day} commodity {currency}\n  code: "{_bean_str(unit.code)}"')
        if unit.name:
            lines.append(f'  name: "{_bean_str(unit.name)}"')
    lines.append("")
    for name, row in book.sorted_rows():
        lines.append(f'{day} open {row.name} {row.commodity}\n  name: "{name}"')
    return "\n".join(lines) + "\n"


def _write_beancount_entries(
    write: Callable[[str], object],
    book: _Book,
    txns: Iterable[RecordedTransaction],
    open_date: date,
) -> date | None:
    """Write one Beancount transaction per recorded transaction; the last date seen."""
    chunk: list[str] = []
    days: dict[date, str] = {}
    last: date | None = None
    for count, rec in enumerate(txns, 1):
        txn = rec.txn
        when = txn.date
        if when < open_date:
            raise ConvenioError(
                f"transaction {txn.id} is dated {when}, before the accounts are opened "
                f"({open_date}); pass an earlier open_date"
            )
        if last is None or when > last:
            last = when
        day = days.get(when) or days.setdefault(when, when.isoformat())
        texts: tuple[str, ...] = (txn.description, txn.id, rec.hash, txn.kind, txn.source)
        if not _bean_plain("".join(texts)):
            texts = tuple(map(_bean_str, texts))
        narration, txn_id, hash_, kind, source = texts
        chunk.append(
            f'\n{day} * "{narration}"\n  id: "{txn_id}"\n  seq: {rec.seq}\n'
            f'  hash: "{hash_}"\n  kind: "{kind}"\n'
        )
        if txn.reverses:
            chunk.append(f'  reverses: "{_bean_str(txn.reverses)}"\n')
        if source:
            chunk.append(f'  source: "{source}"\n')
        if txn.metadata:
            chunk.append(f'  meta: "{_bean_str(_metadata_json(txn.metadata))}"\n')
        chunk.append(book.postings(txn, "  "))
        if count % _CHUNK == 0:
            write("".join(chunk))
            chunk.clear()
    write("".join(chunk))
    return last


def _ledger_preamble(book: _Book) -> str:
    lines = ["; Exported by convenio; names, units and signs: see docs/exports.md", ""]
    for commodity, unit in book.commodities:
        lines.append(f"commodity {commodity}")
        note = _ledger_text(unit.name)
        if note:
            lines.append(f"    note {note}")
        # a declared format fixes the display precision, whatever the first amount shows
        lines.append(f"    format {format_minor(1000 * 10**unit.scale, unit.scale)} {commodity}")
    for _, row in book.sorted_rows():
        lines.append(f"account {row.name}\n    note {row.kind}")
        lines.append(f"    assert commodity == '{row.commodity}'")
    lines.extend(f"tag {tag}" for tag in _LEDGER_TAGS)
    return "\n".join(lines) + "\n"


def _write_ledger_entries(
    write: Callable[[str], object], book: _Book, txns: Iterable[RecordedTransaction]
) -> None:
    """Write one ledger-cli transaction per recorded transaction."""
    chunk: list[str] = []
    days: dict[date, str] = {}
    for count, rec in enumerate(txns, 1):
        txn = rec.txn
        when = txn.date
        day = days.get(when) or days.setdefault(when, when.isoformat())
        texts: tuple[str, ...] = (txn.description, txn.id, rec.hash, txn.kind, txn.source)
        if not _ledger_plain("|".join(texts)):
            texts = tuple(map(_ledger_text, texts))
        payee, txn_id, hash_, kind, source = texts
        chunk.append(
            f"\n{day} * ({rec.seq}){' ' if payee else ''}{payee}\n"
            f"    ; id: {txn_id}\n    ; hash: {hash_}\n    ; kind: {kind}\n"
        )
        if txn.reverses:
            chunk.append(f"    ; reverses: {_ledger_text(txn.reverses)}\n")
        if txn.source:
            chunk.append(f"    ; source: {source}\n")
        if payee != txn.description:
            chunk.append(f"    ; description: {_json(txn.description)}\n")
        if txn.metadata:
            chunk.append(f"    ; meta: {_metadata_json(txn.metadata)}\n")
        chunk.append(book.postings(txn, "    "))
        if count % _CHUNK == 0:
            write("".join(chunk))
            chunk.clear()
    write("".join(chunk))


@dataclass(slots=True)
class _Row:
    """What a writer needs per account: exported name, unit, scale, exported commodity."""

    name: str
    unit: str
    scale: int
    commodity: str
    kind: str


@dataclass(slots=True)
class _Book:
    """The accounts and units of one export, mapped to a format's names without collisions."""

    rows: dict[Account, _Row]
    totals: dict[Account, int]
    commodities: list[tuple[str, Unit]]
    what: str

    @classmethod
    def build(
        cls,
        accounts: Sequence[AccountSpec],
        units: Mapping[str, Unit],
        account_name: Callable[[AccountSpec], str],
        commodity_name: Callable[[str], str],
        what: str,
    ) -> _Book:
        specs: dict[Account, AccountSpec] = {}
        for spec in accounts:
            known = specs.setdefault(spec.name, spec)
            if known != spec:
                raise ConvenioError(f"account {spec.name} is given twice, as {known} and {spec}")
        names: dict[str, Account] = {}
        codes: dict[str, str] = {}
        used: dict[str, Unit] = {}
        rows: dict[Account, _Row] = {}
        for name in sorted(specs):
            spec = specs[name]
            unit = units.get(spec.unit)
            if unit is None:
                raise ConvenioError(f"account {name}: unknown unit {spec.unit!r}")
            commodity = commodity_name(spec.unit)
            other = codes.setdefault(commodity, spec.unit)
            if other != spec.unit:
                raise ConvenioError(
                    f"units {other!r} and {spec.unit!r} would both be the {what} "
                    f"commodity {commodity}"
                )
            used[commodity] = unit
            exported = account_name(spec)
            other = names.setdefault(exported, name)
            if other != name:
                raise ConvenioError(
                    f"accounts {other} and {name} would both be the {what} account {exported}"
                )
            rows[name] = _Row(exported, spec.unit, unit.scale, commodity, spec.kind.value)
        return cls(rows, dict.fromkeys(rows, 0), sorted(used.items()), what)

    def postings(self, txn: Transaction, indent: str) -> str:
        """The posting lines of `txn`; adds its amounts to the running totals."""
        rows, totals = self.rows, self.totals
        lines = []
        last_amount, last_scale, last_text = 0, -1, ""
        for account, amount, code in txn.postings:
            row = rows.get(account)
            if row is None or row.unit != code:
                raise self.posting_error(txn.id, account, code)
            totals[account] += amount
            scale = row.scale
            if amount and amount == -last_amount and scale == last_scale:
                # the usual second leg mirrors the first: flip the sign, format once
                text = last_text[1:] if amount > 0 else "-" + last_text
            else:
                text = format_minor(amount, scale)
            last_amount, last_scale, last_text = amount, scale, text
            lines.append(f"{indent}{row.name}  {text} {row.commodity}\n")
        return "".join(lines)

    def sorted_rows(self) -> list[tuple[Account, _Row]]:
        """The accounts in the order of their exported names."""
        return sorted(self.rows.items(), key=lambda item: item[1].name)

    def posting_error(self, txn_id: str, account: Account, unit: str) -> ConvenioError:
        row = self.rows.get(account)
        if row is None:
            return ConvenioError(
                f"transaction {txn_id} posts to {account}, which is not among the accounts "
                f"exported to {self.what}"
            )
        return ConvenioError(
            f"transaction {txn_id} posts {unit} to {account}, which holds {row.unit}"
        )


def _ledger_name(spec: AccountSpec) -> str:
    return ledger_account(spec.name)


def _check_name(name: str) -> None:
    if not ACCOUNT_NAME.match(name):
        raise ConvenioError(f"{name!r} is not an account name (PARTY/segment/...)")


def _check_unit_code(code: str) -> None:
    if not _UNIT_CODE.fullmatch(code):
        raise ConvenioError(f"{code!r} is not a unit code")


def _bean_plain(text: str) -> bool:
    """Whether `text` can stand inside a Beancount string as it is (the common case)."""
    return text.isprintable() and '"' not in text and "\\" not in text


def _bean_str(text: str) -> str:
    """`text` as the inside of a Beancount string: exact, with C-style escapes."""
    return text if _bean_plain(text) else text.translate(_BEAN_ESCAPES)


def _ledger_plain(text: str) -> bool:
    """Whether `text` can stand on a ledger-cli line as it is (the common case).

    `text` may be several fields joined by ``|``: a field that starts or ends with a
    space then shows as ``| `` or `` |`` (a false alarm costs only the slow path).
    """
    return (
        text.isprintable()
        and "  " not in text
        and " |" not in text
        and "| " not in text
        and text[:1] != " "
        and text[-1:] != " "
    )


def _ledger_text(text: str) -> str:
    """`text` fit for one ledger-cli line: control characters and line breaks become
    spaces, runs of spaces one space (two spaces end a payee), no spaces at the ends.
    """
    if _ledger_plain(text):
        return text
    cleaned = _SPACE_RUNS.sub(" ", _LEDGER_BREAKS.sub(" ", text)).strip(" ")
    return _SURROGATES.sub("\ufffd", cleaned)


def _json(value: object) -> str:
    """Compact JSON on one line, with anything a text line might choke on escaped."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _metadata_json(metadata: Metadata) -> str:
    return _json(dict(metadata))
