"""docs/tutorial.md with the shipped files, and with the same files as spreadsheets save them.

The tutorial's commands are those of the page itself (`fenced_commands`), run in order on
a new store; its figures are computed here from the files, by hand, not read back from
convenio. Then the same commands run on the files re-saved as Excel would — with a UTF-8
BOM, in Windows-1252, in the Spanish locale (``;``, decimal comma, thousands dot) and as
``.xlsx`` with typed cells — and every balance must be the same as the plain run's.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tests.e2e.test_docs_commands import (
    EXAMPLES,
    ROOT,
    DocCommand,
    fenced_commands,
    run_doc_commands,
)

TUTORIAL = ROOT / "docs" / "tutorial.md"
LOADED = ("accounts.csv", "journal.csv", "prices.csv", "deliveries.csv", "payments.csv")
NUMERIC = {"amount", "price", "quantity", "floor", "ceiling"}


def _run(tmp_path: Path, commands: list[DocCommand]) -> dict[str, str]:
    """Run `commands` in `tmp_path` (a copy of examples/ is there) on a new store; the
    balances of every account as of 30 June 2024, ``{account: "amount unit"}``."""
    examples = tmp_path / "examples"
    if not examples.exists():
        shutil.copytree(EXAMPLES, examples, ignore=shutil.ignore_patterns("*.py"))
    check = DocCommand(("ledger", "balances", "--as-of", "2024-06-30", "--json"), "test")
    failures = list(run_doc_commands(commands, tmp_path / "data", tmp_path))
    assert not failures, "\n".join(failures)
    from typer.testing import CliRunner

    from convenio.cli.main import app
    from tests.e2e.test_docs_commands import ConvenioEnv

    with ConvenioEnv(tmp_path / "data", tmp_path):
        result = CliRunner().invoke(app, list(check.args))
    assert result.exit_code == 0, result.stdout
    return {row["account"]: f"{row['balance']} {row['unit']}" for row in json.loads(result.stdout)}


def _month_average(prices: list[dict[str, str]], month: str) -> Decimal:
    quotes = [Decimal(p["price"]) for p in prices if p["date"].startswith(month)]
    return (sum(quotes, Decimal(0)) / len(quotes)).quantize(Decimal("0.0001"))


def test_tutorial_figures(tmp_path: Path) -> None:
    balances = _run(tmp_path, fenced_commands(TUTORIAL))

    def rows(name: str) -> list[dict[str, str]]:
        with (EXAMPLES / name).open(encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))

    prices, deliveries, payments = rows("prices.csv"), rows("deliveries.csv"), rows("payments.csv")
    cents = Decimal("0.01")
    short_term = financed = Decimal(0)
    for d in deliveries:
        if d["kind"] != "commodity":
            continue
        price = _month_average(prices, d["date"][:7])
        value = (Decimal(d["quantity"]) * price).quantize(cents)
        share = Decimal("0.30") if price >= 90 else Decimal("0.20")  # the terms' bands
        lent = (value * share).quantize(cents)
        financed += lent
        short_term += value - lent
    services = sum(
        Decimal(d["quantity"]) * {"teacher": Decimal(2500), "nurse": Decimal(3000)}[d["item"]]
        for d in deliveries
        if d["kind"] == "services"
    )
    cash = sum(Decimal(p["amount"]) for p in payments)
    # Grace interest due by 30 June: the first quarter of each first-quarter tranche,
    # principal × 2 % × 90/360 rounded to the cent (30E/360, paid quarterly).
    first_quarter = [d for d in deliveries if d["kind"] == "commodity" and d["date"] < "2024-04"]
    interest_due = sum(  # each installment rounds on its own
        (
            (
                (Decimal(d["quantity"]) * _month_average(prices, d["date"][:7])).quantize(cents)
                * Decimal("0.30")
            ).quantize(cents)
            * Decimal("0.005")
        ).quantize(cents)
        for d in first_quarter
    )
    assert financed == Decimal("3432789.68")  # the tutorial's figure, from the files
    assert f"{-financed:.2f} USD" == balances["XBO/payable/financed/XAT"]
    carried = short_term + interest_due - services - cash
    assert carried == Decimal("5256537.51")
    assert f"{-carried:.2f} USD" == balances["XBO/payable/short-term/XAT"]
    assert balances["XBO/expense/freight"] == "0.00 USD"  # billed, then reversed
    assert balances["XBO/received/diesel"] == "153000.500 bbl"


# -- the same files as spreadsheets save them ------------------------------------------


def _read(name: str) -> tuple[list[str], list[list[str]]]:
    with (EXAMPLES / name).open(encoding="utf-8", newline="") as f:
        header, *body = list(csv.reader(f))
    return header, body


def _write_csv(path: Path, header: list[str], body: list[list[str]], **how: str) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=how.get("delimiter", ","), lineterminator="\r\n").writerows(
        [header, *body]
    )
    path.write_text(buffer.getvalue(), encoding=how.get("encoding", "utf-8"), newline="")


def _spanish(header: list[str], body: list[list[str]]) -> list[list[str]]:
    def number(text: str) -> str:
        whole, _, decimals = text.partition(".")
        sign, digits = ("-", whole[1:]) if whole.startswith("-") else ("", whole)
        grouped = f"{int(digits):,}".replace(",", ".")
        return f"{sign}{grouped}" + (f",{decimals}" if decimals else "")

    numeric = [name in NUMERIC for name in header]
    return [
        [number(v) if n and v else v for v, n in zip(row, numeric, strict=True)] for row in body
    ]


def _xlsx(path: Path, header: list[str], body: list[list[str]]) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in body:
        cells: list[object] = []
        for name, value in zip(header, row, strict=True):
            if value and name in NUMERIC:
                cells.append(float(value) if "." in value else int(value))
            elif value and name == "date":
                cells.append(date.fromisoformat(value))
            else:
                cells.append(value or None)
        sheet.append(cells)
    book.save(path)


Variant = Callable[[Path], tuple[str, tuple[str, ...]]]


def _bom(folder: Path) -> tuple[str, tuple[str, ...]]:
    for name in LOADED:
        _write_csv(folder / name, *_read(name), encoding="utf-8-sig")
    return ".csv", ()


def _cp1252(folder: Path) -> tuple[str, tuple[str, ...]]:
    for name in LOADED:
        _write_csv(folder / name, *_read(name), encoding="cp1252")
    return ".csv", ("--encoding", "cp1252")


def _locale_es(folder: Path) -> tuple[str, tuple[str, ...]]:
    for name in LOADED:
        header, body = _read(name)
        _write_csv(folder / name, header, _spanish(header, body), delimiter=";")
    return ".csv", ("--locale", "es")


def _excel(folder: Path) -> tuple[str, tuple[str, ...]]:
    for name in LOADED:
        _xlsx(folder / name.replace(".csv", ".xlsx"), *_read(name))
    return ".xlsx", ()


@pytest.mark.parametrize(
    "variant", [_bom, _cp1252, _locale_es, _excel], ids=["bom", "cp1252", "locale-es", "xlsx"]
)
def test_tutorial_from_spreadsheet_files_gives_the_same_balances(
    variant: Variant, tmp_path: Path
) -> None:
    commands = fenced_commands(TUTORIAL)
    plain = _run(tmp_path / "plain", commands)
    saved = tmp_path / "saved"
    shutil.copytree(EXAMPLES, saved / "examples", ignore=shutil.ignore_patterns("*.py"))
    suffix, options = variant(saved / "examples")
    changed = []
    for command in commands:
        args = list(command.args)
        files = [i for i, a in enumerate(args) if a.startswith("examples/") and a.endswith(".csv")]
        for i in files:
            args[i] = args[i].removesuffix(".csv") + suffix
        changed.append(DocCommand(tuple(args) + (options if files else ()), command.where))
    assert _run(saved, changed) == plain
