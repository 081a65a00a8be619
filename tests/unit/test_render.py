"""cli/render: amounts, quantities and rates formatted exactly, tables that never cut a
cell at any width, JSON and CSV that carry the exact values."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from convenio.cli.render import (
    Amount,
    Cell,
    Column,
    Listing,
    Rate,
    emit,
    format_amount,
    format_rate,
    human,
    plain_amount,
    print_listing,
)

LONG_ID = "tr:PDVSA-2011-05-10-CRUDE-CARGO-000123456"


@pytest.mark.parametrize(
    ("minor", "scale", "unit", "text"),
    [
        (11_239_451_165, 2, "USD", "112,394,511.65 USD"),
        (-5, 2, "USD", "-0.05 USD"),
        (0, 2, "USD", "0.00 USD"),
        (1_234_500, 3, "bbl", "1,234.500 bbl"),
        (-1_000_000, 0, "t", "-1,000,000 t"),
        (99_999, 2, "", "999.99"),
    ],
)
def test_amounts_have_separators_every_decimal_and_the_unit(
    minor: int, scale: int, unit: str, text: str
) -> None:
    assert format_amount(minor, scale, unit) == text


@pytest.mark.parametrize(
    ("fraction", "text"),
    [
        ("0.02", "2 %"),
        ("0.015", "1.5 %"),
        ("0.0200", "2 %"),
        ("0.1", "10 %"),
        ("1E-1", "10 %"),
        ("0.0225", "2.25 %"),
        ("0", "0 %"),
        ("1", "100 %"),
    ],
)
def test_rates_are_percent_exactly_with_no_trailing_noise(fraction: str, text: str) -> None:
    assert format_rate(Decimal(fraction)) == text


@given(st.integers(min_value=-(10**30), max_value=10**30), st.integers(0, 6))
def test_plain_and_grouped_text_are_the_same_exact_number(minor: int, scale: int) -> None:
    plain = plain_amount(minor, scale)
    whole, _, frac = plain.partition(".")
    assert len(frac) == scale and int(whole + frac) == minor  # -0.05: "-0" + "05"
    assert format_amount(minor, scale).replace(",", "") == plain
    assert Amount.of(plain, "X") == Amount(minor, scale, "X")


def test_amount_text_that_is_not_plain_is_refused() -> None:
    for text in ("1,234.00", "1e3", "", "١٢"):
        with pytest.raises(ValueError, match="not a plain decimal"):
            Amount.of(text)


def listing() -> Listing:
    columns = [
        Column("tranche"), Column("debtor"), Column("start"), Column("principal"),
        Column("currency", people=False), Column("rate"), Column("months"),
    ]  # fmt: skip
    rows = [
        [LONG_ID, "CUB.CUPET", date(2011, 5, 10), Amount(11_239_451_160, 2, "USD"), "USD",
         Rate(Decimal("0.02")), 204],
        ["tr:D45", "CUB.CUPET", date(2011, 4, 1), Amount(1_499_850, 2, "USD"), "USD",
         Rate(Decimal("0.015")), 300],
    ]  # fmt: skip
    return Listing("2 tranche(s)", columns, rows)


def printed(width: int, value: Listing | None = None) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, force_terminal=False, color_system=None)
    print_listing(value or listing(), console)
    return out.getvalue()


WHOLE = [LONG_ID, "tr:D45", "112,394,511.60", "14,998.50", "2011-05-10", "2 %", "1.5 %", "204"]


@pytest.mark.parametrize("width", [40, 80, 200])
def test_every_cell_is_printed_whole_at_any_width(width: int) -> None:
    text = printed(width)
    for cell in WHOLE:
        assert cell in text
    assert "…" not in text
    if width == 200:
        assert "───" in text and "principal (USD)" in text  # a table; the unit in the header
        assert all(len(line) <= width for line in text.splitlines())
    else:
        # One record per block, a blank line between; each amount with its unit.
        assert "───" not in text
        assert f"tranche:   {LONG_ID}\n" in text
        assert "principal: 112,394,511.60 USD\n" in text
        assert "\n\ntranche:   tr:D45\n" in text
    assert "currency" not in text  # a JSON/CSV column only


def test_the_table_is_chosen_exactly_when_it_fits() -> None:
    fits = next(w for w in range(40, 400) if "───" in printed(w))
    assert "───" not in printed(fits - 1)
    text = printed(fits)
    assert max(len(line) for line in text.splitlines()) == fits
    for cell in WHOLE:
        assert cell in text


def test_prose_wraps_between_words_only() -> None:
    prose = Listing(
        "",
        [Column("name", wrap=True), Column("value")],
        [["Literacy rate, aged fifteen and over", Decimal("97.50")]],
    )
    text = printed(30, prose)
    assert "───" in text and "97.50" in text
    for word in ("Literacy", "rate,", "aged", "fifteen", "over"):
        assert word in text
    assert all(len(line) <= 30 for line in text.splitlines())


def test_json_has_numbers_for_counts_and_exact_strings_for_amounts() -> None:
    out = io.StringIO()
    emit(listing(), "json", out=out)
    first = json.loads(out.getvalue())[0]
    assert first == {
        "tranche": LONG_ID,
        "debtor": "CUB.CUPET",
        "start": "2011-05-10",
        "principal": "112394511.60",
        "currency": "USD",
        "rate": "0.02",
        "months": 204,
    }


def test_csv_reloads_to_the_exact_values() -> None:
    out = io.StringIO()
    emit(listing(), "csv", out=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["tranche"] for r in rows] == [LONG_ID, "tr:D45"]
    assert [Decimal(r["principal"]) for r in rows] == [
        Decimal("112394511.60"),
        Decimal("14998.50"),
    ]
    assert [Decimal(r["rate"]) for r in rows] == [Decimal("0.02"), Decimal("0.015")]
    assert rows[0]["months"] == "204"


def test_nothing_found_says_why() -> None:
    empty = Listing("0 tranche(s)", [Column("tranche")], [], empty="no tranches: load deliveries")
    assert printed(80, empty) == "0 tranche(s)\nno tranches: load deliveries\n"


def test_cells_for_people() -> None:
    assert human(None) == ""
    assert human(True) == "yes"
    assert human(1_266_670) == "1,266,670"
    assert human(Decimal("1234.50")) == "1,234.50"
    assert human(Amount(150, 2, "person-month")) == "1.50 person-month"
    assert human(Amount(150, 2, "USD"), with_unit=False) == "1.50"


_IDS = st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=12)
_CELLS = st.one_of(
    st.none(),
    _IDS,
    st.integers(-(10**15), 10**15),
    st.builds(Amount, st.integers(-(10**15), 10**15), st.integers(0, 3), st.just("USD")),
)


@given(
    st.integers(1, 6).flatmap(
        lambda n: st.tuples(
            st.lists(st.tuples(_IDS.filter(bool), st.booleans()), min_size=n, max_size=n),
            st.lists(st.lists(_CELLS, min_size=n, max_size=n), max_size=5),
        )
    ),
    st.integers(1, 120),
)
def test_any_listing_prints_whole_at_any_width(
    shape: tuple[list[tuple[str, bool]], list[list[Cell]]], width: int
) -> None:
    """Whatever the cells (empty ones, a column of nothing but empties) and the width,
    printing never fails and every cell that may not wrap appears whole."""
    heads, rows = shape
    columns = [Column(f"c{i}", title, wrap=wrap) for i, (title, wrap) in enumerate(heads)]
    text = printed(width, Listing("t", columns, rows))
    for row in rows:
        for column, cell in zip(columns, row, strict=True):
            if cell is not None and not column.wrap:
                assert human(cell, with_unit=False) in text
