"""Reading journals: CSV rows and JSON documents become exact `Transaction` values, and
every problem names its file, its line (CSV) or JSON path, and its field."""

from __future__ import annotations

import io
from datetime import date

import pytest

from convenio.errors import Problem
from convenio.ledger import Posting, Transaction
from convenio.ledger.parse import Located, parse_csv, parse_json

# Written out by hand rather than taken from the built-in units: the scales are the contract.
SCALES = {"USD": 2, "bbl": 3, "person-month": 2}
HEADER = "txn_id,date,account,amount,unit,description\n"


def csv_doc(body: str, header: str = HEADER) -> tuple[list[Located], list[Problem]]:
    return parse_csv(io.StringIO(header + body), "journal.csv", SCALES)


def json_doc(text: str) -> tuple[list[Located], list[Problem]]:
    return parse_json(io.StringIO(text), "journal.json", SCALES)


def located_at(problems: list[Problem]) -> list[tuple[str | None, int | None, str | None]]:
    return [(p.file, p.line, p.field) for p in problems]


# -- CSV -------------------------------------------------------------------------------


def test_csv_groups_rows_by_txn_id_even_when_they_are_not_contiguous() -> None:
    located, problems = csv_doc(
        "s1,2011-02-01,VEN/oil,-250.500,bbl,shipment 1\n"  # line 2
        "m1,2011-03-15,CUB/services/provided,3.50,person-month,doctors\n"  # line 3
        "s1,2011-02-01,CUB/oil,250.500,bbl,\n"  # line 4
        "m1,2011-03-15,VEN/services/received,-3.50,person-month,\n"  # line 5
        "s1,2011-02-01,VEN/claims/CUB,20040.00,USD,\n"  # line 6
        "s1,2011-02-01,CUB/debt/VEN,-20040.00,USD,shipment 1\n"  # line 7
    )
    assert problems == []
    assert [loc.txn for loc in located] == [
        Transaction(
            "s1",
            date(2011, 2, 1),
            "shipment 1",
            (
                Posting("VEN/oil", -250_500, "bbl"),
                Posting("CUB/oil", 250_500, "bbl"),
                Posting("VEN/claims/CUB", 2_004_000, "USD"),
                Posting("CUB/debt/VEN", -2_004_000, "USD"),
            ),
        ),
        Transaction(
            "m1",
            date(2011, 3, 15),
            "doctors",
            (
                Posting("CUB/services/provided", 350, "person-month"),
                Posting("VEN/services/received", -350, "person-month"),
            ),
        ),
    ]
    s1, m1 = located
    assert (s1.file, s1.line, s1.posting_lines) == ("journal.csv", 2, (2, 4, 6, 7))
    assert (m1.file, m1.line, m1.posting_lines) == ("journal.csv", 3, (3, 5))


@pytest.mark.parametrize(
    ("text", "unit", "minor"),
    [
        ("100.00", "USD", 10_000),
        ("0.1", "USD", 10),
        ("-1234.5", "USD", -123_450),
        ("7", "USD", 700),
        ("1.250", "USD", 125),  # a trailing zero past the scale is not an extra decimal
        ("0.001", "bbl", 1),
        ("2", "bbl", 2_000),
        ("-12.34", "bbl", -12_340),
        ("3.5", "person-month", 350),
        ("92233720368547758.07", "USD", 9_223_372_036_854_775_807),  # exact, no float
    ],
)
def test_csv_amounts_are_exact_integers_of_minor_units(text: str, unit: str, minor: int) -> None:
    located, problems = csv_doc(
        f"t1,2011-01-05,VEN/a,{text},{unit},x\nt1,2011-01-05,CUB/a,0,{unit},\n"
    )
    assert problems == []
    assert located[0].txn.postings[0] == Posting("VEN/a", minor, unit)


def test_csv_optional_kind_and_source_columns() -> None:
    located, problems = csv_doc(
        "t1,2011-01-05,VEN/a,1.00,USD,x,delivery,bol-17.pdf\nt1,2011-01-05,CUB/a,-1.00,USD,,,\n",
        header="txn_id,date,account,amount,unit,description,kind,source\n",
    )
    assert problems == []
    txn = located[0].txn
    assert (txn.kind, txn.source, txn.description) == ("delivery", "bol-17.pdf", "x")


def test_csv_kind_defaults_to_manual_and_blank_lines_keep_physical_line_numbers() -> None:
    located, problems = csv_doc(
        "t1,2011-01-05,VEN/a,1.00,USD,x\n\nt1,2011-01-05,CUB/a,-1.00,USD,\n"
    )
    assert problems == []
    assert located[0].txn.kind == "manual"
    assert located[0].posting_lines == (2, 4)


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ("t2,2011-01-06,VEN/a,1.00,USD", "row", "expected 6 fields, found 5"),
        ("t2,2011-01-06,VEN/a,1.00,USD,x,y", "row", "expected 6 fields, found 7"),
        ("t2,2011-02-30,VEN/a,1.00,USD,x", "date", "'2011-02-30' is not a valid date"),
        ("t2,2011/01/01,VEN/a,1.00,USD,x", "date", "'2011/01/01' is not an ISO date (YYYY-MM-DD)"),
        ("t2,11-01-06,VEN/a,1.00,USD,x", "date", "'11-01-06' is not an ISO date (YYYY-MM-DD)"),
        ("t2,2011-01-06,VEN/a,1.234,USD,x", "amount", "1.234 has more than 2 decimals (USD)"),
        ("t2,2011-01-06,VEN/a,1.2345,bbl,x", "amount", "1.2345 has more than 3 decimals (bbl)"),
        (
            't2,2011-01-06,VEN/a,"1,000.00",USD,x',
            "amount",
            "'1,000.00' is not a decimal number (USD)",
        ),
        ("t2,2011-01-06,VEN/a,1e3,USD,x", "amount", "'1e3' is not a decimal number (USD)"),
        ("t2,2011-01-06,VEN/a,1.00,GBP,x", "unit", "unknown unit 'GBP'"),
        ("t2,2011-01-06,VEN/a,1.00,usd,x", "unit", "unknown unit 'usd'"),
        (" ,2011-01-06,VEN/a,1.00,USD,x", "txn_id", "empty transaction id"),
    ],
)
def test_csv_problem_names_file_line_and_field(row: str, field: str, message: str) -> None:
    _, problems = csv_doc(
        f"t1,2011-01-05,VEN/a,1.00,USD,x\n{row}\nt1,2011-01-05,CUB/a,-1.00,USD,\n"
    )
    assert problems == [Problem(message, "journal.csv", 3, field)]
    assert str(problems[0]) == f"journal.csv:3: {field}: {message}"


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        ("txn_id,date,account,amount,description\n", "missing column(s) unit"),
        ("txn_id,date,account,amount,unit,description,memo\n", "unknown column(s) memo"),
        (
            "id,date,account,amount,unit,description\n",
            "missing column(s) txn_id; unknown column(s) id",
        ),
    ],
)
def test_csv_bad_header_is_one_problem_on_line_1(header: str, detail: str) -> None:
    located, problems = csv_doc("t1,2011-01-05,VEN/a,1.00,USD,x\n", header=header)
    assert located == []
    assert problems == [Problem(f"bad header: {detail}", "journal.csv", 1, "header")]


def test_csv_header_may_list_columns_in_any_order() -> None:
    located, problems = csv_doc(
        "USD,1.00,VEN/a,2011-01-05,t1,x\nUSD,-1.00,CUB/a,2011-01-05,t1,\n",
        header="unit,amount,account,date,txn_id,description\n",
    )
    assert problems == []
    assert located[0].txn.postings == (Posting("VEN/a", 100, "USD"), Posting("CUB/a", -100, "USD"))


def test_csv_empty_file_asks_for_a_header() -> None:
    located, problems = csv_doc("", header="")
    assert located == []
    assert located_at(problems) == [("journal.csv", 1, None)]


def test_csv_rows_of_one_txn_that_disagree_on_date_point_at_the_later_row() -> None:
    _, problems = csv_doc(
        "t1,2011-01-05,VEN/a,1.00,USD,x\n"  # line 2
        "t2,2011-01-06,VEN/a,1.00,USD,y\n"  # line 3
        "t1,2011-01-06,CUB/a,-1.00,USD,\n"  # line 4
    )
    assert problems == [
        Problem("transaction t1 is dated 2011-01-05 on line 2", "journal.csv", 4, "date")
    ]


def test_csv_rows_of_one_txn_that_disagree_on_description() -> None:
    _, problems = csv_doc("t1,2011-01-05,VEN/a,1.00,USD,x\nt1,2011-01-05,CUB/a,-1.00,USD,z\n")
    assert located_at(problems) == [("journal.csv", 3, "description")]
    assert "line 2" in problems[0].message


def test_csv_reports_every_problem_of_the_file_together() -> None:
    _, problems = csv_doc(
        "t1,2011-01-05,VEN/a,1.00,USD,x\n"  # line 2: fine
        "t1,2011-01-05,CUB/a,-1.001,USD,\n"  # line 3: amount
        "t2,2011-02-30,VEN/a,1.00,USD,y\n"  # line 4: date
        "t2,2011-02-01,CUB/a\n"  # line 5: row
        "t3,2011-02-02,VEN/a,1.00,GBP,z\n"  # line 6: unit
        "t3,2011-02-02,VEN/b,1.2345,bbl,z\n"  # line 7: amount
    )
    assert located_at(problems) == [
        ("journal.csv", 3, "amount"),
        ("journal.csv", 4, "date"),
        ("journal.csv", 5, "row"),
        ("journal.csv", 6, "unit"),
        ("journal.csv", 7, "amount"),
    ]


# -- JSON ------------------------------------------------------------------------------


def test_json_transactions_with_defaults_and_sorted_metadata() -> None:
    located, problems = json_doc(
        """[
          {"id": "s1", "date": "2011-02-01", "description": "shipment 1",
           "kind": "delivery", "source": "bol-17.pdf",
           "metadata": {"vessel": "Sandino", "bl": "17"},
           "postings": [{"account": "VEN/oil", "amount": "-250.5", "unit": "bbl"},
                        {"account": "CUB/oil", "amount": 250.5, "unit": "bbl"}]},
          {"id": "m1", "date": "2011-03-15",
           "postings": [{"account": "CUB/services/provided", "amount": 3, "unit": "person-month"},
                        {"account": "VEN/services/received", "amount": -3,
                         "unit": "person-month"}]}
        ]"""
    )
    assert problems == []
    assert [loc.txn for loc in located] == [
        Transaction(
            "s1",
            date(2011, 2, 1),
            "shipment 1",
            (Posting("VEN/oil", -250_500, "bbl"), Posting("CUB/oil", 250_500, "bbl")),
            kind="delivery",
            source="bol-17.pdf",
            metadata=(("bl", "17"), ("vessel", "Sandino")),
        ),
        Transaction(
            "m1",
            date(2011, 3, 15),
            "",
            (
                Posting("CUB/services/provided", 300, "person-month"),
                Posting("VEN/services/received", -300, "person-month"),
            ),
        ),
    ]
    assert [(loc.file, loc.path) for loc in located] == [
        ("journal.json", "[0]"),
        ("journal.json", "[1]"),
    ]


@pytest.mark.parametrize(
    ("literal", "unit", "minor"),
    [
        ("0.1", "USD", 10),  # a float would make this 0.1000000000000000055…
        ("0.3", "USD", 30),
        ("-0.07", "USD", -7),
        ("1e2", "USD", 10_000),
        ("12", "USD", 1_200),
        ("0.001", "bbl", 1),
        ("92233720368547758.07", "USD", 9_223_372_036_854_775_807),
        ('"1234.56"', "USD", 123_456),
    ],
)
def test_json_numbers_are_read_exactly(literal: str, unit: str, minor: int) -> None:
    located, problems = json_doc(
        f'[{{"id": "t1", "date": "2011-01-05", "postings": ['
        f'{{"account": "VEN/a", "amount": {literal}, "unit": "{unit}"}},'
        f'{{"account": "CUB/a", "amount": 0, "unit": "{unit}"}}]}}]'
    )
    assert problems == []
    assert located[0].txn.postings[0].amount == minor


def test_json_not_well_formed_names_the_line() -> None:
    _, problems = json_doc(
        "[\n"  # line 1
        '  {"id": "t1",\n'  # line 2
        '   "date": "2011-01-05"\n'  # line 3: the comma is missing here…
        '   "postings": []}\n'  # line 4: …so the parser stops here
        "]\n"
    )
    assert len(problems) == 1
    assert (problems[0].file, problems[0].line) == ("journal.json", 4)
    assert problems[0].message.startswith("not well-formed JSON")


def test_json_top_level_must_be_a_list() -> None:
    _, problems = json_doc('{"id": "t1"}')
    assert problems == [Problem("expected a list of transactions", "journal.json", 1)]


def test_json_problems_name_their_path_and_are_reported_together() -> None:
    good = '{"account": "VEN/a", "amount": "1.00", "unit": "USD"}'
    _, problems = json_doc(
        f"""[
          {{"id": "t0", "date": "2011-01-05", "postings": [{good}, {good}]}},
          {{"id": "t1", "date": "2011-02-30", "postings": [{good}, {good}]}},
          {{"id": "t2", "date": "2011-01-05",
            "postings": [{{"account": "VEN/a", "amount": "1.00", "unit": "GBP"}}, {good}]}},
          {{"id": "t3", "date": "2011-01-05",
            "postings": [{good}, {{"account": "VEN/a", "amount": 1.234, "unit": "USD"}}]}},
          {{"id": "t4", "date": "2011/01/05", "postings": [{good}, {good}]}},
          {{"id": "t5", "date": "2011-01-05",
            "postings": [{good}, {{"account": "VEN/b", "amount": "1.2345", "unit": "bbl"}}]}}
        ]"""
    )
    assert problems == [
        Problem("'2011-02-30' is not a valid date", "journal.json", None, "[1].date"),
        Problem("unknown unit 'GBP'", "journal.json", None, "[2].postings[0].unit"),
        Problem(
            "1.234 has more than 2 decimals (USD)", "journal.json", None, "[3].postings[1].amount"
        ),
        Problem("'2011/01/05' is not an ISO date (YYYY-MM-DD)", "journal.json", None, "[4].date"),
        Problem(
            "1.2345 has more than 3 decimals (bbl)",
            "journal.json",
            None,
            "[5].postings[1].amount",
        ),
    ]
    assert str(problems[2]) == (
        "journal.json: [3].postings[1].amount: 1.234 has more than 2 decimals (USD)"
    )


@pytest.mark.parametrize(
    ("posting", "field"),
    [
        ('{"account": "VEN/a", "amount": true, "unit": "USD"}', "[0].postings[1].amount"),
        ('{"account": "VEN/a", "amount": null, "unit": "USD"}', "[0].postings[1].amount"),
        ('{"account": "VEN/a", "amount": "1,5", "unit": "USD"}', "[0].postings[1].amount"),
        ('{"account": "VEN/a", "amount": 1}', "[0].postings[1].unit"),
        ('{"amount": 1, "unit": "USD"}', "[0].postings[1].account"),
        ('"VEN/a 1 USD"', "[0].postings[1]"),
    ],
)
def test_json_bad_posting_is_located_by_its_path(posting: str, field: str) -> None:
    _, problems = json_doc(
        '[{"id": "t1", "date": "2011-01-05", "postings": ['
        f'{{"account": "CUB/a", "amount": 1, "unit": "USD"}}, {posting}]}}]'
    )
    assert located_at(problems) == [("journal.json", None, field)]


def test_json_unknown_fields_are_refused() -> None:
    _, problems = json_doc('[{"id": "t1", "date": "2011-01-05", "postings": [], "amount": 3}]')
    assert problems == [Problem("unknown field(s) amount", "journal.json", None, "[0]")]


def test_json_date_that_is_not_text_names_its_path_once() -> None:
    _, problems = json_doc('[{"id": "t1", "date": 20110105, "postings": []}]')
    assert located_at(problems) == [("journal.json", None, "[0].date")]
    assert problems[0].message == "expected text"
