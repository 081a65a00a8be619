"""Exact amounts: text and Decimal to integer minor units and back, never rounding."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from convenio.units import AmountError, Unit, UnitRegistry, format_minor, parse_minor, to_minor

scales = st.integers(min_value=0, max_value=8)
minors = st.integers(min_value=-(10**20), max_value=10**20)


@given(minors, scales)
def test_format_then_parse_is_identity(minor: int, scale: int) -> None:
    assert parse_minor(format_minor(minor, scale), scale) == minor


@given(minors, scales)
def test_parse_agrees_with_decimal_arithmetic(minor: int, scale: int) -> None:
    text = format_minor(minor, scale)
    assert Decimal(text) * (Decimal(10) ** scale) == minor
    assert to_minor(Decimal(text), scale) == minor


@given(minors, scales)
def test_grouping_only_adds_commas(minor: int, scale: int) -> None:
    assert format_minor(minor, scale, grouping=True).replace(",", "") == format_minor(minor, scale)


@pytest.mark.parametrize(
    ("text", "scale", "expected"),
    [
        ("12.34", 2, 1234),
        ("-0.5", 2, -50),
        ("+7", 2, 700),
        (".5", 2, 50),
        ("12.340", 2, 1234),
        (" 3.1 ", 2, 310),
        ("1.234", 3, 1234),
        ("-0.000", 3, 0),
        ("42", 0, 42),
    ],
)
def test_worked_examples(text: str, scale: int, expected: int) -> None:
    assert parse_minor(text, scale) == expected


@pytest.mark.parametrize(
    ("text", "scale"),
    [("12.345", 2), ("1.2345", 3), ("0.5", 0), ("1e3", 2), ("1,000.00", 2), ("", 2),
     ("abc", 2), ("--1", 2), ("1.2.3", 2), ("١٢.٣", 2), ("NaN", 2)],
)  # fmt: skip
def test_refused_text(text: str, scale: int) -> None:
    with pytest.raises(AmountError):
        parse_minor(text, scale)


def test_decimal_with_too_many_decimals_is_refused_not_rounded() -> None:
    with pytest.raises(AmountError, match="more than 2 decimals"):
        to_minor(Decimal("1.005"), 2)
    with pytest.raises(AmountError):
        to_minor(Decimal("Infinity"), 2)
    assert to_minor(Decimal("1.0500"), 2) == 105


def test_registry_refuses_a_unit_redeclared_with_another_scale() -> None:
    registry = UnitRegistry()
    assert registry["bbl"].scale == 3
    registry.add(Unit("bbl", 3))
    with pytest.raises(AmountError, match="already known with scale 3"):
        registry.add(Unit("bbl", 2))
    with pytest.raises(AmountError):
        Unit("bad code!", 2)
