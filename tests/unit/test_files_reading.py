"""The reading layer (`convenio.files`) on its own: Spanish numbers, encodings and their
located errors, the ';' hint, .xlsx cells and their coordinates, long fields."""

from __future__ import annotations

import csv
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from convenio.errors import InputError, Problem
from convenio.files import FileOptions, open_table, read_text
from convenio.files.numbers import SpanishNumberError, format_spanish, spanish_number
from convenio.files.sheets import cell_text, column_letter

ES = FileOptions(locale="es")


def rows_of(path: Path, options: FileOptions = FileOptions(), numeric: tuple[str, ...] = ()):  # noqa: B008
    with open_table(path, options, numeric) as table:
        rows = list(csv.reader(table.lines))
        return rows, table.problems([])


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("1.234,56", "1234.56"),
        ("1.234", "1234"),
        ("1.234.567,891", "1234567.891"),
        ("-0,5", "-0.5"),
        ("12", "12"),
        ("  7,25 ", "7.25"),
        ("", ""),
        ("n/a", "n/a"),  # not a number at all: the parser judges it
    ],
)
def test_spanish_numbers_become_plain(text: str, plain: str) -> None:
    assert spanish_number(text) == plain


@pytest.mark.parametrize("text", ["1.23,4", "1,2,3", "1.5", "12.34", "1234.56", "1..234", ",5"])
def test_malformed_spanish_numbers_are_refused_not_guessed(text: str) -> None:
    with pytest.raises(SpanishNumberError, match="not a number written the Spanish way"):
        spanish_number(text)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=-(10**15), max_value=10**15),
    st.integers(min_value=0, max_value=6),
)
def test_any_amount_written_the_spanish_way_reads_back_the_same(minor: int, scale: int) -> None:
    amount = Decimal(minor).scaleb(-scale)
    plain = f"{amount:f}"
    spanish = format_spanish(plain)
    assert "." not in spanish.split(",")[-1] or "," not in spanish
    assert Decimal(spanish_number(spanish)) == amount


@settings(max_examples=50, deadline=None)
@given(st.lists(st.decimals(min_value=-(10**12), max_value=10**12, places=2), min_size=1))
def test_a_spanish_csv_gives_the_amounts_of_the_plain_one(
    tmp_path_factory: pytest.TempPathFactory, amounts: list[Decimal]
) -> None:
    folder = tmp_path_factory.mktemp("es")
    body = "".join(f"t{i};Año {i};{format_spanish(f'{a:f}')}\n" for i, a in enumerate(amounts))
    (folder / "es.csv").write_text("id;description;amount\n" + body, encoding="utf-8")
    rows, problems = rows_of(folder / "es.csv", ES, ("amount",))
    assert problems == []
    assert [Decimal(r[2]) for r in rows[1:]] == amounts
    assert [r[1] for r in rows[1:]] == [f"Año {i}" for i in range(len(amounts))]


def test_a_malformed_number_is_located_by_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "es.csv").write_text("id;amount\na;1.234,5\nb;1.23,4\n")
    rows, problems = rows_of(tmp_path / "es.csv", ES, ("amount",))
    assert rows[1] == ["a", "1234.5"]
    assert [(p.file, p.line, p.field) for p in problems] == [
        (str(tmp_path / "es.csv"), 3, "amount")
    ]
    assert "'1.23,4' is not a number written the Spanish way" in problems[0].message


def test_only_declared_columns_are_converted(tmp_path: Path) -> None:
    (tmp_path / "es.csv").write_text("id;amount\n1.234;1.234\n")
    rows, _ = rows_of(tmp_path / "es.csv", ES, ("amount",))
    assert rows[1] == ["1.234", "1234"]


def test_a_bom_is_accepted_in_any_encoding(tmp_path: Path) -> None:
    (tmp_path / "bom.csv").write_bytes("\ufeffpayment_id,reference\nP1,año\n".encode())
    for encoding in ("utf-8", "cp1252", "latin-1"):
        rows, _ = rows_of(tmp_path / "bom.csv", FileOptions(encoding=encoding))
        assert rows == [["payment_id", "reference"], ["P1", "año"]]
    assert read_text(tmp_path / "bom.csv") == "payment_id,reference\nP1,año\n"


def test_a_cp1252_file_is_refused_with_its_offset_then_read_with_the_option(
    tmp_path: Path,
) -> None:
    data = "id,reference\nP1,año\n".encode("cp1252")
    (tmp_path / "w.csv").write_bytes(data)
    with pytest.raises(InputError) as caught:
        rows_of(tmp_path / "w.csv")
    offset = data.index("ñ".encode("cp1252"))
    assert str(caught.value) == (
        f"{tmp_path / 'w.csv'}:2: not utf-8 text: byte 0xf1 at byte offset {offset} cannot be "
        "decoded; if it was saved by a spreadsheet on Windows, add --encoding cp1252"
    )
    rows, _ = rows_of(tmp_path / "w.csv", FileOptions(encoding="cp1252"))
    assert rows[1] == ["P1", "año"]
    with pytest.raises(InputError, match=f"byte offset {offset} "):
        read_text(tmp_path / "w.csv")
    assert read_text(tmp_path / "w.csv", FileOptions(encoding="cp1252")).endswith("año\n")


def test_a_bad_byte_deep_in_a_large_file_is_located_exactly(tmp_path: Path) -> None:
    head = b"id,amount\n" + b"".join(b"r%d,1.00\n" % i for i in range(50_000))
    (tmp_path / "big.csv").write_bytes(head + b"bad,\xff\n")
    with pytest.raises(InputError) as caught:
        rows_of(tmp_path / "big.csv")
    (problem,) = caught.value.problems
    assert problem.line == 50_002
    assert f"byte offset {len(head) + 4}" in problem.message


@pytest.mark.parametrize("encoding", ["klingon", "base64"])
def test_an_unknown_encoding_names_the_option(tmp_path: Path, encoding: str) -> None:
    (tmp_path / "a.csv").write_text("a,b\n")
    with pytest.raises(InputError, match=f"--encoding: unknown encoding '{encoding}'") as caught:
        rows_of(tmp_path / "a.csv", FileOptions(encoding=encoding))
    assert caught.value.problems[0].field == "--encoding"


def test_an_unknown_locale_names_the_option(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("a,b\n")
    with pytest.raises(InputError, match="--locale: unknown locale 'fr'"):
        rows_of(tmp_path / "a.csv", FileOptions(locale="fr"))


def test_a_semicolon_file_without_the_locale_gets_the_hint(tmp_path: Path) -> None:
    (tmp_path / "es.csv").write_text("id;amount\na;1,5\n")
    with pytest.raises(InputError) as caught:
        rows_of(tmp_path / "es.csv")
    assert str(caught.value).endswith(
        "this file looks separated by ';' (a Spanish-locale spreadsheet): add --locale es"
    )
    (tmp_path / "plain.csv").write_text("id,amount\na,1.5\n")
    with pytest.raises(InputError, match="separated by ',', not ';': leave out --locale es"):
        rows_of(tmp_path / "plain.csv", ES, ("amount",))


def test_a_field_longer_than_the_csv_modules_limit_is_read(tmp_path: Path) -> None:
    long = "x" * 131_073
    (tmp_path / "long.csv").write_text(f"id,description\na,{long}\n")
    rows, _ = rows_of(tmp_path / "long.csv")
    assert rows[1] == ["a", long]


def test_multi_line_records_keep_their_lines_under_the_locale(tmp_path: Path) -> None:
    (tmp_path / "es.csv").write_text('id;note;amount\na;"two\nlines";1,5\nb;x;1.2\n')
    with pytest.raises(InputError) as caught, open_table(tmp_path / "es.csv", ES, ("amount",)) as t:
        t.problems([])
        rows = list(csv.reader(t.lines))
        assert rows[1] == ["a", "two\nlines", "1.5"]
        raise InputError.from_problems(t.problems([]), t.name)
    (problem,) = caught.value.problems
    assert (problem.line, problem.field) == (4, "amount")  # record 3 ends on the file's line 4


@pytest.mark.parametrize(
    ("index", "letter"), [(0, "A"), (4, "E"), (25, "Z"), (26, "AA"), (701, "ZZ"), (702, "AAA")]
)
def test_column_letters(index: int, letter: str) -> None:
    assert column_letter(index) == letter


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (1500000, "1500000"),
        (88.4, "88.4"),
        (0.1 + 0.2, "0.30000000000000004"),
        (True, "true"),
        (datetime(2024, 3, 28), "2024-03-28"),
        (datetime(2024, 3, 28, 9, 30), "2024-03-28 09:30:00"),
        (date(2024, 3, 28), "2024-03-28"),
        ("año", "año"),
    ],
)
def test_cells_become_the_text_a_person_typed(value: object, text: str) -> None:
    assert cell_text(value) == text


def _book(path: Path) -> None:
    book = Workbook()
    notes = book.active
    assert notes is not None
    notes.title = "Notas"
    notes.append(["read me first"])
    data = book.create_sheet("Pagos")
    data.append(["payment_id", "date", "amount"])
    data.append(["P1", date(2024, 3, 28), 1500000])
    data.append(["P2", datetime(2024, 6, 27), 1234.565])
    data.append([None, None, None])
    data.append(["P3", "2024-07-01", "1.250,5"])
    book.save(path)


def test_an_xlsx_sheet_reads_as_csv_and_problems_name_sheet_row_and_column(
    tmp_path: Path,
) -> None:
    _book(tmp_path / "p.xlsx")
    rows, _ = rows_of(tmp_path / "p.xlsx")
    assert rows == [["read me first"]]
    pagos = FileOptions(sheet="Pagos")
    with (
        pytest.raises(InputError) as caught,
        open_table(tmp_path / "p.xlsx", pagos, ("amount",)) as table,
    ):
        rows = list(csv.reader(table.lines))
        assert rows[1:3] == [
            ["P1", "2024-03-28", "1500000"],
            ["P2", "2024-06-27", "1234.565"],
        ]
        assert rows[3] == [] and rows[4] == ["P3", "2024-07-01", "1.250,5"]
        bad = Problem("more than 2 decimals", table.name, 3, "amount")
        raise InputError.from_problems([bad], table.name)
    assert str(caught.value) == (
        f"{tmp_path / 'p.xlsx'}[Pagos]:row 3:column C (amount): more than 2 decimals"
    )


def test_an_xlsx_text_cell_is_read_the_spanish_way_and_a_typed_one_is_not(
    tmp_path: Path,
) -> None:
    _book(tmp_path / "p.xlsx")
    rows, problems = rows_of(
        tmp_path / "p.xlsx", FileOptions(locale="es", sheet="Pagos"), ("amount",)
    )
    assert problems == []
    assert [r[2] for r in rows[1:] if r] == ["1500000", "1234.565", "1250.5"]


def test_an_unknown_sheet_lists_the_sheets(tmp_path: Path) -> None:
    _book(tmp_path / "p.xlsx")
    with pytest.raises(InputError, match=r"no sheet 'Hoja1' \(sheets: Notas, Pagos\)"):
        rows_of(tmp_path / "p.xlsx", FileOptions(sheet="Hoja1"))
    (tmp_path / "a.csv").write_text("a,b\n")
    with pytest.raises(InputError, match=r"--sheet: .* is not an \.xlsx workbook"):
        rows_of(tmp_path / "a.csv", FileOptions(sheet="Pagos"))
    (tmp_path / "fake.xlsx").write_text("a,b\n")
    with pytest.raises(InputError, match=r"not an \.xlsx workbook"):
        rows_of(tmp_path / "fake.xlsx")


def _damage(book: Path, member: str, keep: float) -> Path:
    """A copy of `book` whose `member` is cut after `keep` of its bytes."""
    out = book.with_name(f"cut-{book.name}")
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, data[: int(len(data) * keep)] if info.filename == member else data)
    return out


@pytest.mark.parametrize(
    ("member", "keep"),
    [("xl/worksheets/sheet2.xml", 0.6), ("xl/worksheets/sheet2.xml", 0.0),
     ("xl/workbook.xml", 0.5), ("xl/styles.xml", 0.3)],
)  # fmt: skip
def test_a_damaged_workbook_is_refused_as_input(tmp_path: Path, member: str, keep: float) -> None:
    """A workbook cut half-way (a sheet, the book, its styles) is bad input naming the
    file, never openpyxl's or the XML parser's exception."""
    _book(tmp_path / "p.xlsx")
    with pytest.raises(InputError, match=r"cut-p\.xlsx.*not (an|a readable) \.xlsx"):
        rows_of(_damage(tmp_path / "p.xlsx", member, keep), FileOptions(sheet="Pagos"))
