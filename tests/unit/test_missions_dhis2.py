"""DHIS2 files and data values: parsing, writing, checking against the metadata, locks."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convenio.missions import (
    CSV_COLUMNS,
    Catalog,
    DataValue,
    Lock,
    RawValue,
    ValueType,
    lock_problems,
    merge_metadata,
    normalise_value,
    parse_csv,
    parse_json,
    parse_metadata,
    validate_values,
    write_csv,
    write_json,
)
from convenio.periods import parse_period
from tests.missions_data import HEADER, METADATA_YAML, VALUES_CSV

UNITS = {"VE", "VE-ZU", "VE-DC", "VE-ZU-MCB", "VE-DC-LIB", "CLIN-1", "CLIN-2", "CLIN-3"}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    document, problems = parse_metadata(METADATA_YAML, "meta.yaml")
    assert document is not None, problems
    merged, problems = merge_metadata(Catalog.with_defaults(), document, "meta.yaml")
    assert problems == []
    return merged


def check(text: str, catalog: Catalog) -> tuple[list[DataValue], list[str]]:
    raws, problems = parse_csv(io.StringIO(text), "v.csv")
    assert problems == []
    values, problems = validate_values(raws, catalog, UNITS, "v.csv")
    return values, [str(p) for p in problems]


def test_the_sample_is_valid(catalog: Catalog) -> None:
    values, problems = check(VALUES_CSV, catalog)
    assert problems == []
    assert len(values) == 14
    first = values[0]
    assert (first.element, first.period.id, first.org_unit, first.coc, first.aoc) == (
        "CONSULT",
        "200501",
        "CLIN-1",
        "F_A15P",
        "BARRIO_ADENTRO",
    )
    assert first.number == 120_000_000 and first.stored_by == "ana"
    assert first.last_updated == datetime(2005, 2, 1, 10, tzinfo=UTC)
    # The mission comes from the data set when the file leaves it blank; the default
    # disaggregation when the element has none.
    pop = next(v for v in values if v.element == "POP")
    assert (pop.coc, pop.aoc) == ("default", "default")
    wait = next(v for v in values if v.element == "WAIT_DAYS")
    assert (wait.value, wait.number) == ("12.25", 12_250_000)
    notes = values[-1]
    assert (notes.value, notes.number, notes.comment, notes.followup) == (
        'roof leaks, "urgent" now',
        None,
        "a comment",
        True,
    )


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("CONSULT,200501,CLIN-9,F_A15P,,1", "v.csv:2: orgUnit: unknown org unit 'CLIN-9'"),
        (
            "CONSULTS,200501,CLIN-1,F_A15P,,1",
            "v.csv:2: dataElement: unknown data element 'CONSULTS'",
        ),
        (
            "CONSULT,200501,CLIN-1,F_A99,,1",
            "v.csv:2: categoryOptionCombo: unknown category option combo 'F_A99'",
        ),
        (
            "CONSULT,200501,CLIN-1,F,,1",
            "v.csv:2: categoryOptionCombo: not a disaggregation of CONSULT (SEX_AGE) 'F'",
        ),
        (
            "CONSULT,200501,CLIN-1,,,1",
            "v.csv:2: categoryOptionCombo: missing: CONSULT is disaggregated by SEX_AGE",
        ),
        (
            "CONSULT,200501,CLIN-1,F_A15P,NOPE,1",
            "v.csv:2: attributeOptionCombo: unknown mission (attribute option combo) 'NOPE'",
        ),
        (
            "CONSULT,2005Q1,CLIN-1,F_A15P,,1",
            "v.csv:2: period: 2005Q1 is Quarterly; data set BA_MONTHLY takes Monthly periods",
        ),
        (
            "CONSULT,200513,CLIN-1,F_A15P,,1",
            "v.csv:2: period: invalid period '200513': month 13 does not exist",
        ),
        (
            "CONSULT,200501,CLIN-1,F_A15P,,twelve",
            "v.csv:2: value: 'twelve' is not an integer (INTEGER)",
        ),
        ("CONSULT,200501,CLIN-1,F_A15P,,1.5", "v.csv:2: value: '1.5' is not an integer (INTEGER)"),
        ('WAIT_DAYS,200501,CLIN-1,,,"1,5"', "v.csv:2: value: '1,5' is not a number (NUMBER)"),
        (
            "WAIT_DAYS,200501,CLIN-1,,,0.0000001",
            "v.csv:2: value: 0.0000001 has more than 6 decimal places (NUMBER)",
        ),
        ("CONSULT,200501,CLIN-1,F_A15P,,", "v.csv:2: value: '' is not an integer (INTEGER)"),
    ],
)
def test_each_bad_row_is_named(row: str, expected: str, catalog: Catalog) -> None:
    values, problems = check(HEADER + row + ",,,,,\n", catalog)
    assert values == []
    assert problems == [expected]


def test_the_same_key_twice_is_refused(catalog: Catalog) -> None:
    row = "CONSULT,200501,CLIN-1,F_A15P,,120,,,,,\n"
    same_with_mission = "CONSULT,200501,CLIN-1,F_A15P,BARRIO_ADENTRO,121,,,,,\n"
    _, problems = check(HEADER + row + "POP,2005,CLIN-1,,,1,,,,,\n" + same_with_mission, catalog)
    assert problems == [
        "v.csv:4: the same key CONSULT/200501/CLIN-1/F_A15P/BARRIO_ADENTRO is already on line 2"
    ]


@pytest.mark.parametrize(
    ("type_", "text", "canonical", "number"),
    [
        (ValueType.INTEGER, " 0042 ", "42", 42_000_000),
        (ValueType.INTEGER, "-7", "-7", -7_000_000),
        (ValueType.NUMBER, "2.50", "2.5", 2_500_000),
        (ValueType.NUMBER, "1E3", "1000", 1_000_000_000),
        (ValueType.NUMBER, "-0.000", "0", 0),
        (ValueType.PERCENTAGE, "96.5", "96.5", 96_500_000),
        (ValueType.BOOLEAN, "TRUE", "true", 1_000_000),
        (ValueType.BOOLEAN, "0", "false", 0),
        (ValueType.TEXT, " as is ", " as is ", None),
    ],
)
def test_values_are_kept_exactly(
    type_: ValueType, text: str, canonical: str, number: int | None
) -> None:
    assert normalise_value(type_, text) == (canonical, number)


@pytest.mark.parametrize(
    ("type_", "text"),
    [
        (ValueType.PERCENTAGE, "100.5"),
        (ValueType.BOOLEAN, "yes"),
        (ValueType.NUMBER, "NaN"),
        (ValueType.NUMBER, "9223372036855"),
        (ValueType.TEXT, ""),
    ],
)
def test_values_out_of_type_are_refused(type_: ValueType, text: str) -> None:
    with pytest.raises(ValueError):
        normalise_value(type_, text)


def test_csv_without_header_is_read_by_position(catalog: Catalog) -> None:
    values, problems = check("CONSULT,200501,CLIN-1,F_A15P,,7\n", catalog)
    assert problems == [] and values[0].value == "7"
    raws, problems = parse_csv(io.StringIO("dataelement,period,orgunit,colour\n"), "x.csv")
    assert raws == [] and "unknown column(s) colour" in problems[0].message
    assert "missing value" in problems[0].message


def test_json_with_header_defaults(catalog: Catalog) -> None:
    document = {
        "dataSet": "BA_MONTHLY",
        "period": "200501",
        "orgUnit": "CLIN-1",
        "dataValues": [
            {"dataElement": "CONSULT", "categoryOptionCombo": "F_A15P", "value": 12},
            {"dataElement": "WAIT_DAYS", "orgUnit": "CLIN-3", "value": "3.125", "comment": "ok"},
        ],
    }
    raws, problems = parse_json(json.dumps(document), "v.json")
    assert problems == []
    values, problems = validate_values(raws, catalog, UNITS, "v.json")
    assert problems == []
    assert [(v.element, v.period.id, v.org_unit, v.value) for v in values] == [
        ("CONSULT", "200501", "CLIN-1", "12"),
        ("WAIT_DAYS", "200501", "CLIN-3", "3.125"),
    ]


def test_json_numbers_keep_their_digits() -> None:
    raws, _ = parse_json(
        '{"dataValues": [{"dataElement": "W", "value": 0.1000000000000000055}]}', "v.json"
    )
    assert raws[0].value == "0.1000000000000000055"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '{"dataValues": [{"dataElement": "A",}]}',
            "v.json:1: not well-formed JSON: "
            "Expecting property name enclosed in double quotes (column 37)",
        ),
        (
            '{\n"dataValues": [\n{"value": 1}\n',
            "v.json:4: not well-formed JSON: Expecting ',' delimiter (column 1)",
        ),
        ("[]", "v.json:1: a dataValueSets document is a JSON object"),
        ('{"dataValues": {}}', "v.json: dataValues: expected a list of data values"),
        ('{"dataValues": [3]}', "v.json: dataValues[0]: expected an object"),
        (
            '{"dataValues": [{"value": [1]}]}',
            "v.json: dataValues[0].value: expected text, a number or a boolean",
        ),
        ('{"dataValues": [{"value": NaN}]}', "v.json: not well-formed JSON: NaN is not a number"),
    ],
)
def test_json_that_is_not_well_formed_is_refused(text: str, expected: str) -> None:
    _, problems = parse_json(text, "v.json")
    assert [str(p) for p in problems] == [expected]


def test_json_problems_name_the_entry(catalog: Catalog) -> None:
    raws, _ = parse_json(
        '{"dataValues": [{"dataElement": "POP", "period": "2005", '
        '"orgUnit": "CLIN-1", "value": "many"}]}',
        "v.json",
    )
    _, problems = validate_values(raws, catalog, UNITS, "v.json")
    assert [str(p) for p in problems] == [
        "v.json: dataValues[0].value: 'many' is not an integer (INTEGER)"
    ]


def test_write_then_read_gives_the_same_values(catalog: Catalog) -> None:
    values, _ = check(VALUES_CSV, catalog)
    for write, parse in (
        (write_csv, lambda t: parse_csv(io.StringIO(t), "x")),
        (write_json, lambda t: parse_json(t, "x")),
    ):
        out = io.StringIO()
        assert write(values, out) == len(values)
        raws, problems = parse(out.getvalue())
        assert problems == []
        again, problems = validate_values(raws, catalog, UNITS, "x")
        assert problems == []
        keep = (
            "element",
            "period",
            "org_unit",
            "coc",
            "aoc",
            "value",
            "number",
            "stored_by",
            "last_updated",
            "comment",
            "followup",
        )
        assert [[getattr(v, k) for k in keep] for v in again] == [
            [getattr(v, k) for k in keep] for v in values
        ]
        second = io.StringIO()
        write(again, second)
        assert second.getvalue() == out.getvalue()


def test_csv_is_written_in_dhis2_order(catalog: Catalog) -> None:
    values, _ = check(VALUES_CSV, catalog)
    out = io.StringIO()
    write_csv(values[:1], out)
    assert out.getvalue().splitlines() == [
        ",".join(CSV_COLUMNS),
        "CONSULT,200501,CLIN-1,F_A15P,BARRIO_ADENTRO,120,ana,2005-02-01T10:00:00.000Z,,false,false",
    ]
    assert CSV_COLUMNS[:6] == (
        "dataelement",
        "period",
        "orgunit",
        "categoryoptioncombo",
        "attributeoptioncombo",
        "value",
    )


def test_locked_periods(catalog: Catalog) -> None:
    values, _ = check(VALUES_CSV, catalog)
    changes = [(v, i + 2, "") for i, v in enumerate(values)]
    data_sets = catalog.element_data_sets()
    # BA_MONTHLY closes 30 days after each month: January 2005 on 2 March.
    late = lock_problems(changes, data_sets, date(2005, 3, 3), [], set(), "v.csv")
    assert {p.line for p in late} == {2, 3, 5, 6, 7, 15}
    assert "took changes until 2005-03-02" in late[0].message
    assert lock_problems(changes, data_sets, date(2005, 3, 2), [], set(), "v.csv") == []
    reopened = {("BA_MONTHLY", "200501")}
    later = lock_problems(changes, data_sets, date(2005, 4, 15), [], reopened, "v.csv")
    assert {p.line for p in later} == {4}  # February; January was reopened
    # Settled: 2005Q1 locks the months inside it and the year around it, for every data set.
    q1 = parse_period("2005Q1")
    settled = [Lock(q1.start, q1.end, "settlement run R settled 2005Q1")]
    locked = lock_problems(changes, data_sets, date(2005, 1, 1), settled, set(), "v.csv")
    assert len(locked) == len(values)
    assert str(locked[0]).startswith(
        "v.csv:2: period: 200501 is locked: settlement run R settled 2005Q1"
    )


def test_values_compare_by_content() -> None:
    p = parse_period("200501")
    a = DataValue("E", p, "O", "default", "default", "1", 1_000_000)
    b = DataValue("E", p, "O", "default", "default", "1", 1_000_000, stored_by="other", comment="")
    assert a.same_content(b)
    assert not a.same_content(DataValue("E", p, "O", "default", "default", "2", 2_000_000))
    assert Decimal(a.number or 0).scaleb(-6) == 1


_texts = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), min_size=1
)


@given(
    numbers=st.lists(
        st.decimals(min_value=-(10**9), max_value=10**9, places=6, allow_nan=False), max_size=8
    ),
    texts=st.lists(_texts, max_size=4),
    comment=st.one_of(st.none(), _texts),
)
@settings(max_examples=60, deadline=None)
def test_any_values_go_through_both_formats_unchanged(
    numbers: list[Decimal], texts: list[str], comment: str | None, catalog: Catalog
) -> None:
    rows = [
        ("WAIT_DAYS", f"2005{i % 12 + 1:02d}", "CLIN-1", "", str(n)) for i, n in enumerate(numbers)
    ]
    rows += [("NOTES", f"2006{i % 12 + 1:02d}", "CLIN-2", "", t) for i, t in enumerate(texts)]
    raws = [RawValue(e, p, o, coc, "", v, comment=comment or "") for e, p, o, coc, v in rows]
    values, problems = validate_values(raws, catalog, UNITS, "x")
    assert problems == []
    for write, parse in (
        (write_csv, lambda t: parse_csv(io.StringIO(t, newline=""), "x")),
        (write_json, lambda t: parse_json(t, "x")),
    ):
        out = io.StringIO(newline="")
        write(values, out)
        again, problems = validate_values(parse(out.getvalue())[0], catalog, UNITS, "x")
        assert problems == []
        assert [(v.key, v.value, v.number, v.comment) for v in again] == [
            (v.key, v.value, v.number, v.comment) for v in values
        ]
