"""The band table: any well-formed table validates and its lookup is the highest band reached."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st

from convenio.terms import FinancingTerms, LoanBand, parse_fraction

LOAN: dict[str, Any] = {
    "term_years": 17,
    "grace_months": 24,
    "rate": "2%",
    "method": "equal-principal",
    "frequency": "quarterly",
    "day_count": "act/360",
    "grace_interest": "capitalised",
}


def financing(bands: list[dict[str, Any]], **more: Any) -> FinancingTerms:
    return FinancingTerms.model_validate(
        {"short_term": {"days": 90}, "bands": bands, "loan": LOAN, **more}
    )


cents = st.integers(min_value=0, max_value=100_000).map(lambda n: Decimal(n).scaleb(-2))
shares = st.integers(min_value=0, max_value=10_000).map(lambda n: Decimal(n).scaleb(-4))


@st.composite
def band_tables(draw: st.DrawFn) -> list[tuple[Decimal, Decimal]]:
    """Strictly ascending thresholds (USD/bbl, cents) with non-decreasing shares in [0, 1]."""
    thresholds = sorted(draw(st.sets(cents, max_size=12)))
    fractions = sorted(draw(st.lists(shares, min_size=len(thresholds), max_size=len(thresholds))))
    return list(zip(thresholds, fractions, strict=True))


@given(table=band_tables(), price=cents)
def test_any_ordered_table_validates_and_looks_up_the_highest_band_reached(
    table: list[tuple[Decimal, Decimal]], price: Decimal
) -> None:
    terms = financing([{"at_or_above": at, "share": share} for at, share in table])
    reached = [share for at, share in table if at <= price]
    expected = reached[-1] if reached else Decimal(0)
    assert terms.financed_share(price) == expected
    if table and price < table[0][0]:
        assert terms.financed_share(price) == 0
    for at, share in table:
        assert terms.financed_share(at) == share


@given(table=band_tables())
def test_a_table_out_of_order_is_refused(table: list[tuple[Decimal, Decimal]]) -> None:
    if len(table) < 2:
        return
    swapped = [table[1], table[0], *table[2:]]
    with pytest.raises(pydantic.ValidationError) as caught:
        financing([{"at_or_above": at, "share": share} for at, share in swapped])
    locs = {error["loc"] for error in caught.value.errors()}
    assert ("bands", 1, "at_or_above") in locs


@given(percent=st.decimals(min_value=0, max_value=100, places=4, allow_nan=False))
def test_percentages_are_exact_fractions(percent: Decimal) -> None:
    assert parse_fraction(f"{percent}%") == percent / 100
    assert parse_fraction(f"{percent} %") == percent.scaleb(-2)


def test_percent_forms() -> None:
    assert parse_fraction("5%") == Decimal("0.05")
    assert parse_fraction("2.5%") == Decimal("0.025")
    assert parse_fraction(Decimal("0.4")) == Decimal("0.4")
    assert parse_fraction(1) == 1
    for bad in (0.05, True, "five %", "5%%", None):
        with pytest.raises(ValueError):
            parse_fraction(bad)


def test_floats_are_refused_in_python_too() -> None:
    with pytest.raises(pydantic.ValidationError):
        financing([{"at_or_above": 15.5, "share": "5%"}])
    with pytest.raises(pydantic.ValidationError):
        financing([{"at_or_above": 15, "share": 0.05}])


def test_loan_for_prefers_the_band_then_loan_by_price_then_the_default() -> None:
    long_loan = {**LOAN, "term_years": 25, "rate": "1%"}
    special = {**LOAN, "term_months": 60, "term_years": None, "grace_months": 0}
    terms = financing(
        [
            {"at_or_above": 15, "share": "5%"},
            {"at_or_above": 40, "share": "30%"},
            {"at_or_above": 150, "share": "70%", "loan": special},
        ],
        loan_by_price=[{"above": 40, "loan": long_loan}],
    )
    assert terms.loan_for(Decimal(10)).term_years == 17  # nothing financed, default terms
    assert terms.loan_for(Decimal(40)).term_years == 17  # "above 40": 40 itself is not
    assert terms.loan_for(Decimal("40.01")).term_years == 25
    assert terms.loan_for(Decimal(150)).months == 60
    assert terms.financed_share(Decimal("14.99")) == 0


def test_at_or_above_in_loan_by_price_includes_the_threshold() -> None:
    entry = LoanBand.model_validate({"at_or_above": 40, "loan": LOAN})
    assert entry.applies_to(Decimal(40)) and not entry.applies_to(Decimal("39.99"))
    with pytest.raises(pydantic.ValidationError):
        LoanBand.model_validate({"above": 40, "at_or_above": 40, "loan": LOAN})


def test_loan_by_price_must_ascend() -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        financing([], loan_by_price=[{"above": 40, "loan": LOAN}, {"above": 30, "loan": LOAN}])
    assert caught.value.errors()[0]["loc"] == ("loan_by_price", 1)


def test_term_in_years_or_months_not_both() -> None:
    with pytest.raises(pydantic.ValidationError):
        financing([], loan={**LOAN, "term_months": 204})
    terms = financing([], loan={**LOAN, "term_years": None, "term_months": 204})
    assert terms.loan.months == 204
