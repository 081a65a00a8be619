"""Reference prices: series values, the pricing rules, and reading price CSV files."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest

from convenio.errors import InputError
from convenio.financing import (
    PricePoint,
    PriceSeries,
    parse_price_csv,
    reference_price,
    series_from_points,
)
from convenio.terms import PricingRule

BASKET = "ven-basket"


def point(day: date, price: str, series: str = BASKET) -> PricePoint:
    return PricePoint(series, day, Decimal(price))


def series(*points: tuple[date, str]) -> PriceSeries:
    built, problems = PriceSeries.from_points(BASKET, [point(d, p) for d, p in points])
    assert problems == []
    return built


def test_points_are_sorted_and_a_duplicate_date_is_a_problem() -> None:
    built, problems = PriceSeries.from_points(
        BASKET,
        [
            point(date(2008, 7, 3), "140.00"),
            point(date(2008, 7, 1), "139.00"),
            point(date(2008, 7, 3), "141.00"),
        ],
    )
    assert [p.date for p in built] == [date(2008, 7, 1), date(2008, 7, 3)]
    assert built.on(date(2008, 7, 3)) == Decimal("140.00")  # the first given is kept
    assert len(problems) == 1
    assert "2008-07-03" in problems[0].message and problems[0].field == "date"


def test_the_constructor_refuses_points_out_of_order_or_of_another_series() -> None:
    with pytest.raises(InputError, match="ascend"):
        PriceSeries(BASKET, (point(date(2008, 7, 3), "1"), point(date(2008, 7, 1), "1")))
    with pytest.raises(InputError, match="brent"):
        PriceSeries(BASKET, (point(date(2008, 7, 3), "1", "brent"),))


def test_series_from_points_groups_by_series() -> None:
    grouped, problems = series_from_points(
        [point(date(2008, 7, 1), "1"), point(date(2008, 7, 1), "2", "brent")]
    )
    assert sorted(grouped) == ["brent", BASKET]
    assert problems == []


def test_month_average_is_the_mean_of_the_delivery_month_only() -> None:
    quotes = series(
        (date(2008, 6, 30), "500.00"),  # another month: ignored
        (date(2008, 7, 1), "100.00"),
        (date(2008, 7, 15), "101.00"),
        (date(2008, 7, 31), "101.01"),
        (date(2008, 8, 1), "1.00"),  # another month: ignored
    )
    # (100.00 + 101.00 + 101.01) / 3 = 302.01 / 3 = 100.67 exactly
    assert reference_price(quotes, PricingRule.MONTH_AVERAGE, date(2008, 7, 20)) == Decimal(
        "100.6700"
    )


def test_month_average_rounds_to_four_decimals_half_to_even() -> None:
    # 1.0000 and 1.0001 average 1.00005: half to even gives 1.0000 (half up would give 1.0001)
    low = series((date(2009, 1, 5), "1.0000"), (date(2009, 1, 6), "1.0001"))
    assert reference_price(low, "month-average", date(2009, 1, 1)) == Decimal("1.0000")
    # 1.0001 and 1.0002 average 1.00015: half to even gives 1.0002
    high = series((date(2009, 1, 5), "1.0001"), (date(2009, 1, 6), "1.0002"))
    assert reference_price(high, "month-average", date(2009, 1, 1)) == Decimal("1.0002")
    # 10 + 10 + 11 = 31, / 3 = 10.333333… → 10.3333
    thirds = series((date(2009, 2, 1), "10"), (date(2009, 2, 2), "10"), (date(2009, 2, 3), "11"))
    assert reference_price(thirds, "month-average", date(2009, 2, 28)) == Decimal("10.3333")


def test_month_average_without_a_quote_in_the_month_names_series_and_month() -> None:
    quotes = series((date(2008, 6, 30), "120.00"))
    with pytest.raises(InputError, match=r"ven-basket has no price in 2008-07") as caught:
        reference_price(quotes, PricingRule.MONTH_AVERAGE, date(2008, 7, 14))
    assert "2008-07-14" in str(caught.value)


@pytest.mark.parametrize("rule", [PricingRule.DELIVERY_DATE, PricingRule.BILL_OF_LADING_DATE])
def test_date_rules_read_the_quote_of_that_day(rule: PricingRule) -> None:
    quotes = series((date(2008, 7, 1), "139.00"), (date(2008, 7, 3), "141.25"))
    assert reference_price(quotes, rule, date(2008, 7, 3)) == Decimal("141.25")
    with pytest.raises(InputError) as caught:
        reference_price(quotes, rule, date(2008, 7, 2))
    message = str(caught.value)
    assert "ven-basket" in message and "2008-07-02" in message and rule.value in message


def test_parse_price_csv_reads_good_rows() -> None:
    text = "series,date,price\nven-basket,2008-07-01,139.5\nven-basket,2008-07-02,140\n"
    points, problems = parse_price_csv(io.StringIO(text), "prices.csv")
    assert problems == []
    assert points == [
        point(date(2008, 7, 1), "139.5"),
        point(date(2008, 7, 2), "140"),
    ]


def test_parse_price_csv_locates_every_problem() -> None:
    text = (
        "series,date,price\n"  # line 1
        "ven-basket,2008-07-01,139.5\n"  # 2: fine
        "ven-basket,2008-07-32,140\n"  # 3: bad date
        "ven-basket,07/04/2008,140\n"  # 4: not ISO
        "ven-basket,2008-07-05,abc\n"  # 5: not a number
        "ven-basket,2008-07-06,-1.00\n"  # 6: negative
        "ven-basket,2008-07-01,141\n"  # 7: duplicate of line 2
        "ven-basket,2008-07-07,1.00001\n"  # 8: more than 4 decimals
        "ven-basket,2008-07-08,1e3\n"  # 9: not a plain decimal
        "ven-basket,2008-07-09\n"  # 10: a field short
    )
    points, problems = parse_price_csv(io.StringIO(text), "prices.csv")
    assert [p.date for p in points] == [date(2008, 7, 1)]
    located = [(p.file, p.line, p.field) for p in problems]
    assert located == [
        ("prices.csv", 3, "date"),
        ("prices.csv", 4, "date"),
        ("prices.csv", 5, "price"),
        ("prices.csv", 6, "price"),
        ("prices.csv", 7, "date"),
        ("prices.csv", 8, "price"),
        ("prices.csv", 9, "price"),
        ("prices.csv", 10, None),
    ]
    assert "negative" in problems[3].message
    assert "line 2" in problems[4].message
    assert "4 decimals" in problems[5].message


def test_parse_price_csv_refuses_a_bad_header_or_an_empty_file() -> None:
    _, problems = parse_price_csv(io.StringIO("series,day,price\n"), "p.csv")
    assert [(p.line, p.field) for p in problems] == [(1, "header")]
    _, problems = parse_price_csv(io.StringIO(""), "p.csv")
    assert [p.line for p in problems] == [1]
