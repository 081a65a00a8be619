"""Journal exports judged by the real tools: `bean-check` and beancount's loader, `ledger`.

Each test builds ledger values directly (no store), exports them, lets the external tool
read the file, and compares the balances it computes with sums of our own postings.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import convenio.reports
from convenio.errors import ConvenioError
from convenio.ledger.model import (
    AccountKind,
    AccountSpec,
    Posting,
    RecordedTransaction,
    Transaction,
)
from convenio.reports import (
    beancount_account,
    beancount_currency,
    ledger_account,
    ledger_commodity,
    write_beancount,
    write_ledger,
)
from convenio.units import Unit, UnitKind, UnitRegistry, to_minor
from tests.conftest import skip_unless_ci

Balances = dict[tuple[str, str], int]
"""Non-zero balances in minor units, by (our account name, our unit code)."""

A, L, EQ, INC, EXP = (
    AccountKind.ASSET,
    AccountKind.LIABILITY,
    AccountKind.EQUITY,
    AccountKind.INCOME,
    AccountKind.EXPENSE,
)
UNITS = UnitRegistry()
ACCOUNTS = (
    AccountSpec("VEN/claims", "USD", A),
    AccountSpec("VEN/claims/short-term/CUB", "USD", A),
    AccountSpec("VEN.PDVSA/deliveries/energy", "bbl", INC),
    AccountSpec("VEN.PDVSA/inventory/crude", "bbl", A),
    AccountSpec("VEN.PDVSA/sales/CUB", "USD", INC),
    AccountSpec("CUB/payable/loans/VEN", "USD", L),
    AccountSpec("CUB/energy/received", "bbl", EXP),
    AccountSpec("CUB/stock", "bbl", A),
    AccountSpec("CUB.BNC/services_owed/VEN", "person-month", L),
    AccountSpec("CUB/missions/health", "person-month", INC),
    AccountSpec("VEN/services/received", "person-month", EXP),
    AccountSpec("CUB/goods/sugar", "t", A),
    AccountSpec("VEN/goods/sugar_received", "t", EXP),
    AccountSpec("VEN/equity/opening", "USD", EQ),
    AccountSpec("CUB/unused", "t", A),
)
AWKWARD = 'Entrega "Moruy" \\ 50%; pago (90 días)\nsegunda línea\ttab  dos  espacios ; ; € 𝄞'


def _txn(
    txn_id: str, when: date, description: str, *postings: tuple[str, int, str], **kw: Any
) -> Transaction:
    return Transaction(txn_id, when, description, tuple(Posting(*p) for p in postings), **kw)


def _record(txns: Iterable[Transaction]) -> list[RecordedTransaction]:
    """Number and chain the transactions as the store would (hashes are stand-ins)."""
    recorded, prev = [], "0" * 64
    for seq, txn in enumerate(txns, 1):
        digest = hashlib.sha256(f"{prev}{txn!r}".encode()).hexdigest()
        recorded.append(
            RecordedTransaction(seq, txn, datetime(2024, 1, 1, tzinfo=UTC), prev, digest)
        )
        prev = digest
    return recorded


EXAMPLE = _record(
    [
        _txn(
            "open-1",
            date(2005, 1, 3),
            "Opening position",
            ("VEN/claims/short-term/CUB", 150_000_000, "USD"),
            ("VEN/claims", 7, "USD"),
            ("VEN/equity/opening", -150_000_007, "USD"),
            kind="opening",
        ),
        _txn(
            "ship-1",
            date(2005, 2, 1),
            AWKWARD,
            ("VEN.PDVSA/deliveries/energy", -300_000_500, "bbl"),
            ("CUB/energy/received", 300_000_500, "bbl"),
            ("CUB/stock", 1_234, "bbl"),
            ("VEN.PDVSA/inventory/crude", -1_234, "bbl"),
            ("VEN/claims/short-term/CUB", 1_515_012_345, "USD"),
            ("VEN.PDVSA/sales/CUB", -1_515_012_345, "USD"),
            kind="delivery",
            source="delivery:D-2005-001",
            metadata=(("cargo", "Moruy"), ("port", "Matanzas")),
        ),
        _txn(
            "svc-1",
            date(2005, 3, 31),
            "Médicos: 1\u202f250,5 person-months",
            ("CUB.BNC/services_owed/VEN", -125_050, "person-month"),
            ("CUB/missions/health", 125_050, "person-month"),
            ("VEN/services/received", 125_050, "person-month"),
            ("CUB/missions/health", -125_050, "person-month"),
            kind="services",
        ),
        _txn(
            "sugar-1",
            date(2005, 4, 1),
            "",
            ("CUB/goods/sugar", -12_500, "t"),
            ("VEN/goods/sugar_received", 12_500, "t"),
            kind="goods",
        ),
        _txn(
            "ship-1-rev",
            date(2005, 2, 1),
            "Reversal of ship-1's stock leg",
            ("CUB/stock", -1_234, "bbl"),
            ("VEN.PDVSA/inventory/crude", 1_234, "bbl"),
            kind="reversal",
            reverses="ship-1",
        ),
        _txn(
            "loan-1",
            date(2005, 5, 2),
            "Tranche 1",
            ("CUB/payable/loans/VEN", -99_999_999_999_999_99, "USD"),
            ("VEN/claims/short-term/CUB", 99_999_999_999_999_99, "USD"),
            kind="tranche",
        ),
    ]
)


def model_balances(txns: Iterable[RecordedTransaction]) -> Balances:
    """Our balances, straight from the postings."""
    totals: Counter[tuple[str, str]] = Counter()
    for rec in txns:
        for account, amount, unit in rec.txn.postings:
            totals[account, unit] += amount
    return {key: value for key, value in totals.items() if value}


# --- the judges ---------------------------------------------------------------------


def _tool(name: str, what: str, hint: str) -> str:
    """The path of an external judge, next to this Python (the venv) or on PATH."""
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        skip_unless_ci(f"{what} not installed: {hint}")
    return found


def bean_check(path: Path) -> None:
    done = subprocess.run(
        [_tool("bean-check", "bean-check", "pip install beancount"), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def beancount_balances(path: Path, units: UnitRegistry) -> tuple[Balances, list[Any]]:
    """Balances by summing beancount's own postings, mapped back through the metadata
    that the export writes on each `open` (our name) and `commodity` (our code)."""
    from beancount import loader
    from beancount.core import data

    entries, errors, _ = loader.load_file(str(path))
    assert not errors, errors
    ours = {e.account: e.meta["name"] for e in entries if isinstance(e, data.Open)}
    codes = {e.currency: e.meta["code"] for e in entries if isinstance(e, data.Commodity)}
    totals: Counter[tuple[str, str]] = Counter()
    txns = [e for e in entries if isinstance(e, data.Transaction)]
    for entry in txns:
        for posting in entry.postings:
            totals[ours[posting.account], codes[posting.units.currency]] += to_minor(
                posting.units.number, units[codes[posting.units.currency]].scale
            )
    return {key: value for key, value in totals.items() if value}, txns


_LEDGER_AMOUNT = re.compile(r'(-?[0-9]+(?:\.[0-9]+)?) ("[^"]+"|[A-Za-z_]+)')


def ledger_run(path: Path, *args: str) -> str:
    done = subprocess.run(
        [
            _tool("ledger", "ledger-cli", "apt-get install ledger"),
            "--pedantic",
            "-f",
            str(path),
            *args,
        ],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def ledger_balances(path: Path, units: UnitRegistry) -> Balances:
    """Each account's own balance per commodity as ledger reports it (``display_amount``:
    a parent's ``display_total`` would include its sub-accounts)."""
    out = ledger_run(
        path,
        "bal",
        "--flat",
        "--no-total",
        "--empty",
        "-F",
        "%(account)\t%(join(scrub(display_amount)))\n",
    )
    ours = {ledger_commodity(code).strip('"'): code for code in units}
    balances: Balances = {}
    for line in out.splitlines():
        account, _, amounts = line.partition("\t")
        for amount in amounts.split("\\n"):
            if amount.strip() == "0":
                continue
            match = _LEDGER_AMOUNT.fullmatch(amount.strip())
            assert match, line
            code = ours[match.group(2).strip('"')]
            key = (account.replace(":", "/"), code)
            assert key not in balances, line
            balances[key] = to_minor(Decimal(match.group(1)), units[code].scale)
    return {key: value for key, value in balances.items() if value}


def ledger_headers(path: Path) -> dict[int, tuple[str, str, str]]:
    """Per transaction code (our seq): payee, id tag, description tag."""
    out = ledger_run(
        path, "reg", "-F", '%(code)\x1f%(payee)\x1f%(tag("id"))\x1f%(tag("description"))\n'
    )
    headers = {}
    for line in out.splitlines():
        code, payee, txn_id, description = line.split("\x1f")
        headers[int(code)] = (payee, txn_id, description)
    return headers


def export(
    tmp_path: Path,
    accounts: Sequence[AccountSpec],
    txns: Iterable[RecordedTransaction],
    units: UnitRegistry,
) -> tuple[Path, Path]:
    bean, led = tmp_path / "export.beancount", tmp_path / "export.ledger"
    recorded = list(txns)
    with bean.open("w", encoding="utf-8") as out:
        write_beancount(out, accounts, iter(recorded), units)
    with led.open("w", encoding="utf-8") as out:
        write_ledger(out, accounts, iter(recorded), units)
    return bean, led


# --- names ----------------------------------------------------------------------------


def test_public_api() -> None:
    assert sorted(convenio.reports.__all__) == [
        "DEFAULT_OPEN_DATE",
        "beancount_account",
        "beancount_currency",
        "ledger_account",
        "ledger_commodity",
        "write_beancount",
        "write_ledger",
    ]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (AccountSpec("VEN/claims/short-term/CUB", "USD", A), "Assets:VEN:Claims:Short-term:CUB"),
        (
            AccountSpec("CUB.BNC/payable/loans/VEN", "USD", L),
            "Liabilities:CUB-BNC:Payable:Loans:VEN",
        ),
        (AccountSpec("VEN/equity/opening", "USD", EQ), "Equity:VEN:Equity:Opening"),
        (AccountSpec("CUB/missions/health_2", "USD", INC), "Income:CUB:Missions:Health-2"),
        (AccountSpec("VEN/9de/x", "USD", EXP), "Expenses:VEN:9de:X"),
    ],
)
def test_beancount_account_names(spec: AccountSpec, expected: str) -> None:
    assert beancount_account(spec) == expected


@pytest.mark.parametrize(
    ("code", "bean", "led"),
    [
        ("USD", "USD", "USD"),
        ("bbl", "BBL", "bbl"),
        ("person-month", "PERSON-MONTH", '"person-month"'),
        ("t", "XT", "t"),
        ("null", "XNULL", "null"),
        ("kw_h.", "KW_H.X", '"kw_h."'),
        ("m3", "M3", '"m3"'),
        ("h", "XH", "h_"),
        ("m", "XM", "m_"),
        ("kw_h", "KW_H", "kw_h"),
        ("s", "XS", "s_"),
    ],
)
def test_commodity_names(code: str, bean: str, led: str) -> None:
    assert beancount_currency(code) == bean
    assert ledger_commodity(code) == led


def test_ledger_account_names() -> None:
    assert ledger_account("VEN.PDVSA/claims/short-term/CUB") == "VEN.PDVSA:claims:short-term:CUB"


@pytest.mark.parametrize(
    ("first", "second"),
    [("VEN/claims/x", "VEN/Claims/x"), ("VEN/a_b", "VEN/a-b"), ("CUB.B-C/x", "CUB.B.C/x")],
)
def test_beancount_account_collision_names_both(first: str, second: str) -> None:
    accounts = [AccountSpec(first, "USD"), AccountSpec(second, "USD")]
    with pytest.raises(ConvenioError) as caught:
        write_beancount(io.StringIO(), accounts, [], UNITS)
    assert first in str(caught.value)
    assert second in str(caught.value)
    write_ledger(io.StringIO(), accounts, [], UNITS)  # distinct in ledger-cli


def test_beancount_commodity_collision_names_both() -> None:
    units = UnitRegistry([Unit("t", 3), Unit("xt", 3)])
    accounts = [AccountSpec("VEN/a", "t"), AccountSpec("VEN/b", "xt")]
    with pytest.raises(ConvenioError, match=r"'t' and 'xt'|'xt' and 't'"):
        write_beancount(io.StringIO(), accounts, [], units)


def test_account_given_twice_differently_is_refused() -> None:
    accounts = [AccountSpec("VEN/a", "USD"), AccountSpec("VEN/a", "USD", L)]
    with pytest.raises(ConvenioError, match="VEN/a"):
        write_ledger(io.StringIO(), accounts, [], UNITS)


@pytest.mark.parametrize("writer", [write_beancount, write_ledger])
def test_unknown_account_and_wrong_unit_are_refused(writer: object) -> None:
    accounts = [AccountSpec("VEN/a", "USD"), AccountSpec("CUB/b", "USD")]
    assert callable(writer)
    stray = _record([_txn("t1", date(2020, 1, 1), "x", ("VEN/a", 1, "USD"), ("CUB/c", -1, "USD"))])
    with pytest.raises(ConvenioError, match=r"t1.*CUB/c"):
        writer(io.StringIO(), accounts, stray, UNITS)
    wrong = _record([_txn("t2", date(2020, 1, 1), "x", ("VEN/a", 1, "bbl"), ("CUB/b", -1, "bbl"))])
    with pytest.raises(ConvenioError, match="t2 posts bbl to VEN/a, which holds USD"):
        writer(io.StringIO(), accounts, wrong, UNITS)
    with pytest.raises(ConvenioError, match="unknown unit"):
        writer(io.StringIO(), [AccountSpec("VEN/a", "XAU")], [], UNITS)


def test_transaction_before_open_date_is_refused() -> None:
    early = _record(
        [_txn("t0", date(1969, 12, 31), "x", ("VEN/a", 1, "USD"), ("CUB/b", -1, "USD"))]
    )
    accounts = [AccountSpec("VEN/a", "USD"), AccountSpec("CUB/b", "USD")]
    with pytest.raises(ConvenioError, match="open_date"):
        write_beancount(io.StringIO(), accounts, early, UNITS)
    out = io.StringIO()
    write_beancount(out, accounts, early, UNITS, open_date=date(1960, 1, 1))
    assert "1960-01-01 open Assets:VEN:A USD" in out.getvalue()


# --- the hand-written example, judged ------------------------------------------------


def test_example_passes_bean_check_with_our_balances(tmp_path: Path) -> None:
    bean, _ = export(tmp_path, ACCOUNTS, EXAMPLE, UNITS)
    bean_check(bean)
    balances, entries = beancount_balances(bean, UNITS)
    assert balances == model_balances(EXAMPLE)
    assert (
        balances["VEN/claims/short-term/CUB", "USD"]
        == 150_000_000 + 1_515_012_345 + 9_999_999_999_999_999
    )
    by_id = {e.meta["id"]: e for e in entries}
    ship = by_id["ship-1"]
    assert ship.narration == AWKWARD  # exact, escapes and all
    assert ship.meta["seq"] == 2
    assert ship.meta["hash"] == EXAMPLE[1].hash
    assert ship.meta["kind"] == "delivery"
    assert ship.meta["source"] == "delivery:D-2005-001"
    assert json.loads(ship.meta["meta"]) == {"cargo": "Moruy", "port": "Matanzas"}
    assert by_id["ship-1-rev"].meta["reverses"] == "ship-1"
    assert "reverses" not in ship.meta
    assert by_id["sugar-1"].narration == ""


def test_example_beancount_text(tmp_path: Path) -> None:
    out = io.StringIO()
    write_beancount(out, ACCOUNTS, EXAMPLE, UNITS)
    text = out.getvalue()
    assert 'option "operating_currency" "USD"' in text
    assert text.count("operating_currency") == 1  # bbl, t, person-month are not money
    assert "1970-01-01 open Liabilities:CUB-BNC:Services-owed:VEN PERSON-MONTH" in text
    assert '1970-01-01 commodity XT\n  code: "t"' in text
    assert "  Expenses:VEN:Goods:Sugar-received  12.500 XT\n" in text
    assert "  Liabilities:CUB:Payable:Loans:VEN  -99999999999999.99 USD\n" in text
    assert "2005-05-03 balance Assets:CUB:Unused  0.000 ~ 0 XT\n" in text
    # a Beancount balance covers the sub-accounts: VEN/claims holds 0.07 of its own
    assert "balance Assets:VEN:Claims  100000016650123.51 ~ 0 USD\n" in text
    assert "balance Assets:VEN:Claims:Short-term:CUB  100000016650123.44 ~ 0 USD\n" in text
    assert "auto_accounts" not in text


def test_example_passes_ledger_with_our_balances(tmp_path: Path) -> None:
    _, led = export(tmp_path, ACCOUNTS, EXAMPLE, UNITS)
    assert ledger_balances(led, UNITS) == model_balances(EXAMPLE)
    headers = ledger_headers(led)
    payee, txn_id, description = headers[2]
    assert txn_id == "ship-1"
    assert "\n" not in payee and "  " not in payee
    assert payee == " ".join(AWKWARD.split())
    assert json.loads(description) == AWKWARD
    assert headers[1] == ("Opening position", "open-1", "")


def test_example_ledger_text() -> None:
    out = io.StringIO()
    write_ledger(out, ACCOUNTS, EXAMPLE, UNITS)
    text = out.getvalue()
    assert 'commodity "person-month"\n' in text
    assert 'format 1000.00 "person-month"\n' in text
    assert "account CUB.BNC:services_owed:VEN\n    note liability\n" in text
    assert "2005-02-01 * (2) Entrega" in text
    assert "    ; reverses: ship-1\n" in text
    assert '    CUB.BNC:services_owed:VEN  -1250.50 "person-month"\n' in text
    assert 'assert account("CUB:unused").amount == 0\n' in text


def test_hours_and_minutes_stay_themselves_in_ledger(tmp_path: Path) -> None:
    """ledger converts between ``h``, ``m`` and ``s``; the export renames them so it cannot."""
    units = UnitRegistry([Unit("h", 2, UnitKind.SERVICE, "hour"), Unit("m", 3), Unit("s", 0)])
    accounts = [AccountSpec(f"CUB/{code}", code) for code in "hms"]
    accounts += [AccountSpec(f"VEN/{code}", code, L) for code in "hms"]
    txns = _record(
        _txn(
            f"t-{code}",
            date(2020, 1, 1),
            code,
            (f"CUB/{code}", 150, code),
            (f"VEN/{code}", -150, code),
        )
        for code in "hms"
    )
    bean, led = export(tmp_path, accounts, txns, units)
    assert ledger_balances(led, units) == model_balances(txns)
    assert "    CUB:h  1.50 h_\n" in led.read_text("utf-8")
    bean_check(bean)
    assert beancount_balances(bean, units)[0] == model_balances(txns)


def _tamper(text: str, pattern: str) -> str:
    """Add one minor unit to the amount on the first line matching `pattern`."""
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if re.search(pattern, line):
            found = re.search(r"-?\d+\.(\d+)", line)
            assert found
            number, decimals = found.group(), len(found.group(1))
            bumped = Decimal(number) + Decimal(1).scaleb(-decimals)
            lines[index] = line.replace(number, str(bumped), 1)
            return "".join(lines)
    raise AssertionError(pattern)


def test_closing_assertions_catch_one_minor_unit(tmp_path: Path) -> None:
    bean, led = export(tmp_path, ACCOUNTS, EXAMPLE, UNITS)
    bean.write_text(_tamper(bean.read_text("utf-8"), r"balance Assets:VEN:Claims"), "utf-8")
    with pytest.raises(AssertionError, match="Balance failed"):
        bean_check(bean)
    led.write_text(_tamper(led.read_text("utf-8"), r"^assert account\(\"VEN:claims"), "utf-8")
    with pytest.raises(AssertionError, match="Assertion failed"):
        ledger_balances(led, UNITS)


def test_streams_a_generator_across_chunks(tmp_path: Path) -> None:
    accounts = [
        AccountSpec("VEN/claims/short-term/CUB", "USD"),
        AccountSpec("CUB/payable/VEN", "USD", L),
    ]

    def stream() -> Iterator[RecordedTransaction]:
        for seq in range(1, 10_001):
            txn = _txn(
                f"t{seq}",
                date(2000 + seq % 20, 1 + seq % 12, 1 + seq % 28),
                f"invoice {seq}",
                ("VEN/claims/short-term/CUB", seq * 101, "USD"),
                ("CUB/payable/VEN", -seq * 101, "USD"),
            )
            yield RecordedTransaction(seq, txn, datetime(2024, 1, 1), "", f"{seq:064x}")

    led = tmp_path / "stream.ledger"
    with led.open("w", encoding="utf-8") as out:
        write_ledger(out, accounts, stream(), UNITS)
    total = sum(seq * 101 for seq in range(1, 10_001))
    assert ledger_balances(led, UNITS) == {
        ("VEN/claims/short-term/CUB", "USD"): total,
        ("CUB/payable/VEN", "USD"): -total,
    }
    text = io.StringIO()
    write_beancount(text, accounts, stream(), UNITS)
    assert text.getvalue().count(" * ") == 10_000


# --- random ledgers, judged -------------------------------------------------------------

PARTIES = ("VEN", "VEN.PDVSA", "CUB", "CUB.BNC", "BOL.YPFB-2")
SEGMENTS = ("claims", "Claims", "short-term", "short_term", "loans", "x", "9", "a_b-c", "CUB")
SPECIALS = '"\\;\n\t\r \u00a0\u2028\x00\x0b\x7f\x85()[]{}*!#|@:=^~%&é€𝄞\ufeff'
texts = st.text(
    alphabet=st.one_of(st.sampled_from(SPECIALS), st.characters(codec="utf-8")), max_size=30
)


@st.composite
def ledgers(draw: st.DrawFn) -> tuple[UnitRegistry, list[AccountSpec], list[RecordedTransaction]]:
    extra = draw(
        st.lists(
            st.builds(
                Unit,
                st.from_regex(r"[A-Za-z][A-Za-z0-9_.-]{0,5}", fullmatch=True)
                | st.sampled_from("hms"),
                st.integers(0, 12),
                st.just(UnitKind.COMMODITY),
            ),
            max_size=3,
        )
    )
    units: dict[str, Unit] = {}
    for unit in [*(UNITS[c] for c in UNITS), *extra]:
        if unit.code not in units and beancount_currency(unit.code) not in {
            beancount_currency(c) for c in units
        }:
            units[unit.code] = unit
    registry = UnitRegistry(units.values())
    codes = sorted(units)
    specs: dict[str, AccountSpec] = {}
    for _ in range(draw(st.integers(2, 8))):
        name = "/".join(
            [
                draw(st.sampled_from(PARTIES)),
                *draw(st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=3)),
            ]
        )
        spec = AccountSpec(
            name, draw(st.sampled_from(codes)), draw(st.sampled_from(list(AccountKind)))
        )
        if name not in specs and beancount_account(spec) not in {
            beancount_account(s) for s in specs.values()
        }:
            specs[name] = spec
    by_unit: dict[str, list[str]] = {}
    for spec in specs.values():
        by_unit.setdefault(spec.unit, []).append(spec.name)
    txns = []
    for number in range(draw(st.integers(0, 12))):
        postings: list[Posting] = []
        for code in draw(
            st.lists(st.sampled_from(sorted(by_unit)), min_size=1, max_size=2, unique=True)
        ):
            legs = draw(st.lists(st.sampled_from(by_unit[code]), min_size=2, max_size=4))
            amounts = [draw(st.integers(-(10**18), 10**18)) for _ in legs[1:]]
            postings.extend(
                Posting(a, x, code) for a, x in zip(legs, [-sum(amounts), *amounts], strict=True)
            )
        txns.append(
            Transaction(
                f"{draw(texts)}#{number}",
                draw(st.dates(date(1990, 1, 1), date(2100, 12, 31))),
                draw(texts),
                tuple(postings),
                kind=draw(st.sampled_from(["manual", "delivery", "settlement", "a b  c"])),
                source=draw(texts),
                metadata=tuple(sorted(draw(st.dictionaries(texts, texts, max_size=2)).items())),
                reverses=draw(st.none() | texts),
            )
        )
    return registry, list(specs.values()), _record(txns)


def _beancount_text(text: str) -> str:
    """What beancount reads back: all but control characters without an escape."""
    return "".join(
        "\ufffd" if unicodedata.category(c) == "Cc" and c not in "\n\t\r\f\b" else c for c in text
    )


def _ledger_text(text: str) -> str:
    """What a ledger payee shows: breaks and controls as spaces, single spaces, trimmed."""
    spaced = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text)
    return re.sub(" +", " ", spaced).strip(" ")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(ledgers())
def test_random_ledgers_pass_both_judges(
    tmp_path: Path, ledger: tuple[UnitRegistry, list[AccountSpec], list[RecordedTransaction]]
) -> None:
    units, accounts, txns = ledger
    bean, led = export(tmp_path, accounts, txns, units)
    expected = model_balances(txns)

    bean_check(bean)
    balances, entries = beancount_balances(bean, units)
    assert balances == expected
    read_back = {
        e.meta["seq"]: (e.narration, e.meta["id"], json.loads(e.meta.get("meta", "{}")))
        for e in entries
    }
    assert read_back == {
        rec.seq: (
            _beancount_text(rec.txn.description),
            _beancount_text(rec.txn.id),
            dict(rec.txn.metadata),
        )
        for rec in txns
    }

    assert ledger_balances(led, units) == expected
    for seq, (payee, _, description) in ledger_headers(led).items():
        original = txns[seq - 1].txn.description
        if description:  # the payee had to be cleaned: the tag keeps the original
            assert json.loads(description) == original
            assert payee == (_ledger_text(original) or "<Unspecified payee>")
        else:
            assert payee == (original or "<Unspecified payee>")
