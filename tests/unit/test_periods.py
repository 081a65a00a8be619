"""Period identifiers and arithmetic: properties over generated periods, then worked examples."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

import convenio.periods
from convenio.errors import InputError
from convenio.periods import (
    ACCEPTED_FORMS,
    Period,
    PeriodType,
    parse_period,
    period_of,
    periods_between,
)

D, W, M, Q, S, Y = (
    PeriodType.DAILY,
    PeriodType.WEEKLY,
    PeriodType.MONTHLY,
    PeriodType.QUARTERLY,
    PeriodType.SIXMONTHLY,
    PeriodType.YEARLY,
)
FA, FJ, FO = PeriodType.FINANCIAL_APRIL, PeriodType.FINANCIAL_JULY, PeriodType.FINANCIAL_OCT

# (finer, coarser) pairs whose periods nest exactly: every finer period lies inside one
# coarser period and the coarser one is a run of whole finer ones. Written out by hand,
# independently of the implementation.
NESTED = [
    (D, W), (D, M), (D, Q), (D, S), (D, Y), (D, FA), (D, FJ), (D, FO),
    (M, Q), (M, S), (M, Y), (M, FA), (M, FJ), (M, FO),
    (Q, S), (Q, Y), (Q, FA), (Q, FJ), (Q, FO),
    (S, Y), (S, FJ),
]  # fmt: skip
# Pairs where every period of the first type is cut by the second type's boundaries
# (or is longer than its periods). Half years and April or October financial years cut
# only some of each other: see test_half_years_and_financial_years.
CUTTING = [(Y, FA), (Y, FJ), (Y, FO), (FA, Y), (FJ, FA), (W, D), (M, W), (Q, M), (Y, S)]

days = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
types = st.sampled_from(PeriodType)
periods = st.builds(period_of, days, types)


def thursday(week: Period) -> date:
    return week.start + timedelta(days=3)


def test_public_api_is_explicit() -> None:
    assert sorted(convenio.periods.__all__) == [
        "ACCEPTED_FORMS",
        "Period",
        "PeriodType",
        "parse_period",
        "period_of",
        "periods_between",
    ]
    for name in convenio.periods.__all__:
        assert hasattr(convenio.periods, name)


# --- properties -------------------------------------------------------------------------


@given(periods)
def test_id_parses_back(p: Period) -> None:
    assert parse_period(p.id) == p


@given(periods)
def test_iso_parses_back(p: Period) -> None:
    assert parse_period(p.iso()) == p


@given(periods)
def test_next_and_previous_are_inverses(p: Period) -> None:
    assert p.next().previous() == p
    assert p.previous().next() == p


@given(periods)
def test_consecutive_periods_tile_time(p: Period) -> None:
    assert p.next().start == p.end + timedelta(days=1)
    assert p.previous().end == p.start - timedelta(days=1)
    assert p.start <= p.end
    assert p.days == (p.end - p.start).days + 1
    assert p < p.next()
    assert p.previous() < p


@given(periods, st.integers(-400, 400), st.integers(-400, 400))
def test_shifting_is_addition(p: Period, a: int, b: int) -> None:
    assert (p + a) + b == p + (a + b)
    assert (p + a) - a == p
    assert a + p == p + a
    assert (p + a).type is p.type


@given(periods, st.integers(0, 30))
def test_shifting_is_repeated_next(p: Period, n: int) -> None:
    stepped = p
    for _ in range(n):
        stepped = stepped.next()
    assert p + n == stepped
    assert list(periods_between(p, p + n)) == [p + i for i in range(n + 1)]


@given(days, types)
def test_period_of_contains_its_day(d: date, type: PeriodType) -> None:
    p = period_of(d, type)
    assert p.type is type
    assert p.contains(d)
    assert not p.contains(p.start - timedelta(days=1))
    assert not p.contains(p.end + timedelta(days=1))
    assert period_of(p.start, type) == p == period_of(p.end, type)


@given(days, st.sampled_from(NESTED))
def test_rollup_encloses_nested_periods(d: date, pair: tuple[PeriodType, PeriodType]) -> None:
    fine, coarse = pair
    p = period_of(d, fine)
    up = p.rollup(coarse)
    assert up.type is coarse
    assert up.contains(p.start)
    assert up.contains(p.end)
    assert up == period_of(d, coarse)


@given(days, st.sampled_from(NESTED))
def test_split_tiles_and_rolls_back_up(d: date, pair: tuple[PeriodType, PeriodType]) -> None:
    fine, coarse = pair
    p = period_of(d, coarse)
    parts = p.split(fine)
    assert parts[0].start == p.start
    assert parts[-1].end == p.end
    assert all(a.next() == b for a, b in pairwise(parts))
    assert all(part.rollup(coarse) == p for part in parts)
    assert sum(part.days for part in parts) == p.days


@given(periods, types)
def test_week_rolls_up_by_its_thursday(p: Period, coarse: PeriodType) -> None:
    week = period_of(p.start, W)
    if coarse is D:
        with pytest.raises(InputError):
            week.rollup(coarse)
        return
    assert week.rollup(coarse) == period_of(thursday(week), coarse)


@given(periods)
def test_split_into_weeks_inverts_rollup(p: Period) -> None:
    if p.type is D:
        with pytest.raises(InputError):
            p.split(W)
        return
    weeks = p.split(W)
    assert all(week.rollup(p.type) == p for week in weeks)
    assert all(p.contains(thursday(week)) for week in weeks)
    # The next period's weeks carry on where these stop: no week lost, none counted twice.
    following = p.next().split(W)
    assert weeks[-1].next() == following[0]


@given(days, st.sampled_from(CUTTING))
def test_rollup_and_split_refuse_types_that_cut(
    d: date, pair: tuple[PeriodType, PeriodType]
) -> None:
    fine, coarse = pair
    with pytest.raises(InputError) as rolled:
        period_of(d, fine).rollup(coarse)
    assert rolled.value.problems[0].field == "period_type"
    with pytest.raises(InputError):
        period_of(d, coarse).split(fine)


@given(periods, periods)
def test_order_is_total_and_follows_time(a: Period, b: Period) -> None:
    assert sum([a < b, a == b, a > b]) == 1
    if a.end < b.start:
        assert a < b
    if a.start == b.start and a.end < b.end:
        assert a < b  # a day before its month, a month before its year
    assert (a == b) == (a.id == b.id and a.type is b.type)
    if a == b:
        assert hash(a) == hash(b)


# --- examples ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "type", "start", "end"),
    [
        ("20050301", D, date(2005, 3, 1), date(2005, 3, 1)),
        ("20040229", D, date(2004, 2, 29), date(2004, 2, 29)),
        ("2005W9", W, date(2005, 2, 28), date(2005, 3, 6)),
        ("2004W53", W, date(2004, 12, 27), date(2005, 1, 2)),
        ("2009W1", W, date(2008, 12, 29), date(2009, 1, 4)),
        ("2009W53", W, date(2009, 12, 28), date(2010, 1, 3)),
        ("200503", M, date(2005, 3, 1), date(2005, 3, 31)),
        ("200402", M, date(2004, 2, 1), date(2004, 2, 29)),
        ("2005Q1", Q, date(2005, 1, 1), date(2005, 3, 31)),
        ("2011Q4", Q, date(2011, 10, 1), date(2011, 12, 31)),
        ("2005S1", S, date(2005, 1, 1), date(2005, 6, 30)),
        ("2005S2", S, date(2005, 7, 1), date(2005, 12, 31)),
        ("2005", Y, date(2005, 1, 1), date(2005, 12, 31)),
        ("2005April", FA, date(2005, 4, 1), date(2006, 3, 31)),
        ("2005July", FJ, date(2005, 7, 1), date(2006, 6, 30)),
        ("2005Oct", FO, date(2005, 10, 1), date(2006, 9, 30)),
    ],
)
def test_dhis2_identifiers(text: str, type: PeriodType, start: date, end: date) -> None:
    p = parse_period(text)
    assert (p.type, p.start, p.end) == (type, start, end)
    assert p.id == text
    assert str(p) == text


@pytest.mark.parametrize(
    ("text", "dhis2_id", "iso"),
    [
        ("2011Q4", "2011Q4", "2011Q4"),
        ("2011-10", "201110", "2011-10"),
        ("2011-10-05", "20111005", "2011-10-05"),
        ("2011", "2011", "2011"),
        ("2011H1", "2011S1", "2011H1"),
        ("2011S2", "2011S2", "2011H2"),
        ("2005-W09", "2005W9", "2005-W09"),
        ("2005W09", "2005W9", "2005-W09"),
        ("2011April", "2011April", "2011April"),
        (" 2011q4\n", "2011Q4", "2011Q4"),
        ("2011h2", "2011S2", "2011H2"),
    ],
)
def test_settlement_forms(text: str, dhis2_id: str, iso: str) -> None:
    p = parse_period(text)
    assert p.id == dhis2_id
    assert p.iso() == iso


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2005W53", "2005 has ISO weeks 1 to 52"),
        ("2004W54", "2004 has ISO weeks 1 to 53"),
        ("2005W0", "2005 has ISO weeks 1 to 52"),
        ("200513", "month 13 does not exist"),
        ("2005-00", "month 0 does not exist"),
        ("20050230", "2005-02 has days 1 to 28"),
        ("20050229", "2005-02 has days 1 to 28"),
        ("2005-04-31", "2005-04 has days 1 to 30"),
        ("20051301", "month 13 does not exist"),
        ("2005Q5", "a quarter is 1 to 4"),
        ("2005Q0", "a quarter is 1 to 4"),
        ("2005S3", "a half year is 1 or 2"),
        ("0000", "year 0000 does not exist"),
        ("9999April", "beyond the year 9999"),
        ("", "not a period identifier"),
        ("2011-1", "not a period identifier"),
        ("05", "not a period identifier"),
        ("2005March", "not a period identifier"),
        ("2005W", "not a period identifier"),
        ("2011Q4x", "not a period identifier"),
        ("２００５", "not a period identifier"),  # full-width digits
    ],
)
def test_bad_text_is_refused(text: str, reason: str) -> None:
    with pytest.raises(InputError) as raised:
        parse_period(text)
    error = raised.value
    message = str(error)
    assert repr(text) in message
    assert reason in message
    assert ACCEPTED_FORMS in message
    assert [p.field for p in error.problems] == ["period"]
    assert error.exit_code == 2


def test_weeks_in_a_year() -> None:
    assert parse_period("2004W53").next() == parse_period("2005W1")
    assert parse_period("2005W52").next() == parse_period("2006W1")
    assert len(parse_period("2004").split(W)) == 53
    assert len(parse_period("2005").split(W)) == 52


def test_week_belongs_to_the_period_of_its_thursday() -> None:
    week = parse_period("2005W9")  # Monday 28 February .. Sunday 6 March 2005
    assert week.rollup(M) == parse_period("200503")
    assert week.rollup(Q) == parse_period("2005Q1")
    assert parse_period("2004W53").rollup(Y) == parse_period("2004")
    assert parse_period("2009W1").rollup(Y) == parse_period("2009")
    assert parse_period("2009W1").rollup(M) == parse_period("200901")
    assert parse_period("200503").split(W) == [parse_period(f"2005W{n}") for n in range(9, 14)]
    assert parse_period("200502").split(W) == [parse_period(f"2005W{n}") for n in range(5, 9)]


def test_rollup_and_split_examples() -> None:
    assert parse_period("200503").rollup(Q) == parse_period("2005Q1")
    assert parse_period("200503").rollup(FA) == parse_period("2004April")
    assert parse_period("200504").rollup(FA) == parse_period("2005April")
    assert parse_period("2005S2").rollup(FJ) == parse_period("2005July")
    assert parse_period("2005Q1").rollup(Q) == parse_period("2005Q1")
    assert parse_period("2005April").split(Q) == [
        parse_period(t) for t in ("2005Q2", "2005Q3", "2005Q4", "2006Q1")
    ]
    assert parse_period("2005W9").split(D)[0] == parse_period("20050228")
    assert len(parse_period("2004").split(D)) == 366
    with pytest.raises(InputError, match="does not roll up into Monthly"):
        parse_period("2005Q1").rollup(M)
    with pytest.raises(InputError, match="does not split into Yearly"):
        parse_period("2005Q1").split(Y)


def test_half_years_and_financial_years() -> None:
    assert parse_period("2005S2").rollup(FA) == parse_period("2005April")
    assert parse_period("2005S1").rollup(FO) == parse_period("2004Oct")
    with pytest.raises(InputError, match="2005S1 does not roll up into FinancialApril"):
        parse_period("2005S1").rollup(FA)
    with pytest.raises(InputError, match="2005S2 does not roll up into FinancialOct"):
        parse_period("2005S2").rollup(FO)
    with pytest.raises(InputError):
        parse_period("2005April").split(S)


def test_arithmetic_examples() -> None:
    p = parse_period("2011Q4")
    assert p + 1 == parse_period("2012Q1")
    assert p - 4 == parse_period("2010Q4")
    assert parse_period("20050228").next() == parse_period("20050301")
    assert parse_period("20040228").next() == parse_period("20040229")
    assert parse_period("200512") + 1 == parse_period("200601")
    assert parse_period("2005Oct").previous() == parse_period("2004Oct")
    assert parse_period("2005April").days == 365
    assert parse_period("2003April").days == 366
    assert parse_period("2005Q1").days == 90


def test_contains_takes_dates_and_datetimes() -> None:
    month = parse_period("200503")
    assert month.contains(date(2005, 3, 31))
    assert month.contains(datetime(2005, 3, 31, 23, 59))
    assert not month.contains(date(2005, 4, 1))
    assert period_of(datetime(2005, 3, 1, 12), D) == parse_period("20050301")


def test_periods_between() -> None:
    months = list(periods_between(parse_period("2011-11"), parse_period("2012-02")))
    assert [m.id for m in months] == ["201111", "201112", "201201", "201202"]
    assert list(periods_between(parse_period("2012"), parse_period("2011"))) == []
    with pytest.raises(InputError, match="not of the same type"):
        periods_between(parse_period("2011Q1"), parse_period("2011-12"))


def test_periods_are_values() -> None:
    a, b = parse_period("2005Q1"), parse_period("2005-01").rollup(Q)
    assert a == b
    assert a is not b
    assert len({a, b, parse_period("2005Q2")}) == 2
    with pytest.raises(AttributeError):
        a.start = date(2005, 2, 1)  # type: ignore[misc]
    mixed = [parse_period(t) for t in ("2005", "200501", "20050101", "2004W53", "2005Q1")]
    assert [p.id for p in sorted(mixed)] == ["2004W53", "20050101", "200501", "2005Q1", "2005"]
    assert repr(a) == "<Period 2005Q1 2005-01-01..2005-03-31>"


def test_constructor_refuses_bounds_of_no_period() -> None:
    assert Period(M, date(2005, 3, 1), date(2005, 3, 31)) == parse_period("200503")
    with pytest.raises(ValueError, match="is not a Monthly period"):
        Period(M, date(2005, 3, 2), date(2005, 3, 31))
    with pytest.raises(ValueError, match="is not a Weekly period"):
        Period(W, date(2005, 3, 1), date(2005, 3, 7))


def test_shifting_past_the_calendar_overflows() -> None:
    with pytest.raises(OverflowError):
        parse_period("9999") + 1
    with pytest.raises(OverflowError):
        parse_period("00010101") - 1


def test_arithmetic_only_with_whole_numbers() -> None:
    p = parse_period("2011Q4")
    with pytest.raises(TypeError):
        p + 1.5  # type: ignore[operator]
    with pytest.raises(TypeError):
        p - p  # type: ignore[operator]
    with pytest.raises(TypeError):
        p < "2012Q1"  # noqa: B015
