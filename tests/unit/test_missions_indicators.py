"""Indicator formulas and values, worked by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from convenio.missions import (
    ExpressionError,
    Flag,
    Indicator,
    Item,
    evaluate,
    items_of,
    parse_expression,
)

D = Decimal


def indicator(
    numerator: str, denominator: str, factor: int = 1, decimals: int = 2, flag: Flag | None = None
) -> Indicator:
    return Indicator(
        "I",
        "test",
        numerator,
        denominator,
        parse_expression(numerator),
        parse_expression(denominator),
        factor,
        decimals,
        flag,
    )


LITERACY = indicator(
    "#{LITERATE_15P}",
    "#{POP_15P}",
    factor=100,
    decimals=1,
    flag=Flag(">", D(96), "free of illiteracy"),
)


def test_literacy_rate_is_literate_over_population_times_100() -> None:
    # Zulia 2005: 975 of 1,000 people aged 15+ read: 97.5 %, above 96 %.
    value = LITERACY.compute({Item("LITERATE_15P"): D(975), Item("POP_15P"): D(1000)})
    assert value is not None
    assert (value.value, value.numerator, value.denominator) == (D("97.5"), D(975), D(1000))
    assert value.flag == "free of illiteracy"
    # 1,441 of 1,500 = 96.0666… %: rounded to 96.1, flagged (above 96).
    value = LITERACY.compute({Item("LITERATE_15P"): D(1441), Item("POP_15P"): D(1500)})
    assert value is not None and value.value == D("96.1") and value.flag is not None


def test_the_flag_reads_the_exact_value_not_the_rounded_one() -> None:
    # 24,001 / 25,000 = 96.004 %: shown as 96.0 but above 96, so flagged;
    # 24,000 / 25,000 = 96 % exactly: not above 96.
    above = LITERACY.compute({Item("LITERATE_15P"): D(24001), Item("POP_15P"): D(25000)})
    exact = LITERACY.compute({Item("LITERATE_15P"): D(24000), Item("POP_15P"): D(25000)})
    assert above is not None and above.value == D("96.0") and above.flag is not None
    assert exact is not None and exact.value == D("96.0") and exact.flag is None


def test_consultations_per_thousand_people() -> None:
    per_1000 = indicator("#{CONSULT}", "#{POP}", factor=1000)
    # 203 consultations for 1,500 people: 135.333… per 1,000 → 135.33.
    value = per_1000.compute({Item("CONSULT"): D(203), Item("POP"): D(1500)})
    assert value is not None and value.value == D("135.33")
    # Half up: 2,350 consultations for 10,000,000 people = 0.235 per 1,000 → 0.24.
    value = per_1000.compute({Item("CONSULT"): D(2350), Item("POP"): D(10_000_000)})
    assert value is not None and value.value == D("0.24")


def test_operands_may_name_one_disaggregation() -> None:
    women = indicator("#{LITERATE_15P.F}", "#{POP_15P.F}", factor=100)
    values = {
        Item("LITERATE_15P", "F"): D(590),
        Item("POP_15P", "F"): D(600),
        Item("LITERATE_15P"): D(975),
        Item("POP_15P"): D(1000),
    }
    value = women.compute(values)
    assert value is not None and value.value == D("98.33")
    assert women.items == {Item("LITERATE_15P", "F"), Item("POP_15P", "F")}


def test_no_value_without_operands_or_with_a_zero_denominator() -> None:
    assert LITERACY.compute({}) is None
    assert LITERACY.compute({Item("LITERATE_15P"): D(5), Item("POP_15P"): D(0)}) is None
    # A missing operand counts as zero when the other is there.
    value = LITERACY.compute({Item("POP_15P"): D(10)})
    assert value is not None and value.value == D("0.0")


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("1 + 2 * 3", D(7)),
        ("(1 + 2) * 3", D(9)),
        ("10 - 4 - 3", D(3)),
        ("12 / 4 / 3", D(1)),
        ("-#{A} + 2", D(-3)),
        ("#{A} × 2 ÷ 4", D("2.5")),
        ("#{A.F} + #{A} * .5", D("4.5")),
        # Division keeps 50 significant digits; values are rounded only at the end.
        ("1 / 3 * 3", D("0." + "9" * 50)),
    ],
)
def test_arithmetic(formula: str, expected: Decimal) -> None:
    values = {Item("A"): D(5), Item("A", "F"): D(2)}
    assert evaluate(parse_expression(formula), values) == expected


def test_division_by_zero_gives_nothing() -> None:
    assert evaluate(parse_expression("1 / (#{A} - 5)"), {Item("A"): D(5)}) is None
    assert evaluate(parse_expression("0 / 0"), {}) is None


def test_items_of_a_formula() -> None:
    tree = parse_expression("(#{A} + #{B.F}) / #{A} - 2")
    assert items_of(tree) == {Item("A"), Item("B", "F")}


@pytest.mark.parametrize(
    ("formula", "where", "why"),
    [
        ("", 0, "empty"),
        ("#{A} +", 6, "found end of formula"),
        ("#{A} ** 2", 6, "found '*'"),
        ("(#{A} + 1", 9, "missing ')'"),
        ("#{A} 2", 5, "unexpected '2'"),
        ("#{A B}", 0, "unexpected '#{A B}'"),
        ("A + 1", 0, "unexpected 'A + 1'"),
    ],
)
def test_bad_formulas_say_where(formula: str, where: int, why: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression(formula)
    assert caught.value.position == where
    assert why in str(caught.value)
