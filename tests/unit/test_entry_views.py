"""The data-entry pages' services (`convenio.services.entry_views`): the cell checks and
the grid's bookkeeping without a store; then, over the small missions sample
(tests/missions_data.py) on SQLite and PostgreSQL, the grid of Barrio Adentro at a Zulia
clinic, a save all or nothing through the importer (a refused one writes nothing), the
coordinator's scope, a locked month, and uploads whose problems name the file as sent.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from convenio.auth import Principal, Role
from convenio.errors import AccessError, InputError, Problem
from convenio.missions import ValueType
from convenio.missions.values import MAX_NUMBER
from convenio.services import entry_views, mission_data
from convenio.services.entry_views import (
    NEGATIVE_COUNT,
    TYPE_MESSAGES,
    CellProblem,
    cell_field,
    cell_problem,
    local_number,
    locate,
    parse_cell_field,
    plain_number,
)
from convenio.store import Store
from convenio.web.pages import entry as entry_page
from tests.missions_data import HEADER, TODAY, load_sample

DAY = date.fromisoformat(TODAY)  # 2005-03-01: January 2005 still takes changes
ZULIA = Principal("zulia", Role.COORDINATOR, None, "VE-ZU")
SEX_AGE = ["F_A0_14", "F_A15P", "M_A0_14", "M_A15P"]  # sex, then age, as the categories go


# -- without a store ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value_type", "text", "expected"),
    [
        (ValueType.INTEGER, "12", None),
        (ValueType.INTEGER, " 7 ", None),
        (ValueType.INTEGER, "", None),  # an empty cell: nothing to check (a deletion)
        (ValueType.INTEGER, "abc", TYPE_MESSAGES[ValueType.INTEGER]),
        (ValueType.INTEGER, "1.5", TYPE_MESSAGES[ValueType.INTEGER]),
        (ValueType.INTEGER, "-3", NEGATIVE_COUNT),
        (ValueType.NUMBER, "-2.5", None),  # a number may be negative; a count may not
        (ValueType.NUMBER, "1,5", TYPE_MESSAGES[ValueType.NUMBER]),
        (ValueType.PERCENTAGE, "101", TYPE_MESSAGES[ValueType.PERCENTAGE]),
        (ValueType.BOOLEAN, "yes", TYPE_MESSAGES[ValueType.BOOLEAN]),
        (ValueType.TEXT, "x" * 50_001, TYPE_MESSAGES[ValueType.TEXT]),
    ],
)
def test_a_cell_is_checked_against_its_type(
    value_type: ValueType, text: str, expected: str | None
) -> None:
    found = cell_problem(value_type, text)
    assert (found.message if found else None) == expected


def test_a_refused_cell_carries_the_importers_own_words() -> None:
    assert cell_problem(ValueType.INTEGER, "abc") == CellProblem(
        "Enter a whole number", "'abc' is not an integer"
    )


@given(st.integers(min_value=-MAX_NUMBER, max_value=MAX_NUMBER))
def test_a_whole_number_is_refused_exactly_when_negative(n: int) -> None:
    found = cell_problem(ValueType.INTEGER, str(n))
    assert (found is not None) == (n < 0)
    assert found is None or found.message == NEGATIVE_COUNT


@given(
    st.text(st.characters(blacklist_characters=":"), min_size=1),
    st.text(min_size=1),
)
def test_a_cells_field_names_it_back(element: str, combo: str) -> None:
    assert parse_cell_field(cell_field((element, combo))) == (element, combo)


@pytest.mark.parametrize("name", ["form_token", "dataSet", "v:", "v:CONSULT", "v::F"])
def test_other_fields_name_no_cell(name: str) -> None:
    assert parse_cell_field(name) is None


def test_problems_are_located_on_their_cells_by_line() -> None:
    keys = [("CONSULT", "F"), ("CONSULT", "M"), ("POP", "default")]
    problems = [
        Problem("locked", "form", 2, "period"),
        Problem("bad", "form", 3, "value"),
        Problem("whole form", "form", None, None),
        Problem("beyond", "form", 4, "value"),
    ]
    cells, other = locate(problems, keys)
    assert cells == {("CONSULT", "M"): [problems[0]], ("POP", "default"): [problems[1]]}
    assert other == [problems[2], problems[3]]


def test_every_message_of_a_cell_is_in_the_pages_catalogue() -> None:
    assert set(entry_page.MESSAGES) >= entry_views.MESSAGES


# -- over the missions sample -----------------------------------------------------------------


@pytest.fixture
def sample(store: Store, tmp_path: Path) -> Store:
    load_sample(store, tmp_path)
    return store


def test_the_grid_has_a_table_per_combo_and_the_stored_values(sample: Store) -> None:
    with sample.unit_of_work() as uow:
        page = entry_views.entry_page(uow, ZULIA, "BA_MONTHLY", "CLIN-1", "2005-01", DAY)
    assert [d.id for d in page.data_sets] == ["BA_MONTHLY", "CENSUS", "ROBINSON_YEARLY"]
    # BA_MONTHLY's values are at clinics (level 4); Zulia's coordinator sees Zulia's only.
    assert [u.id for u in page.units] == ["CLIN-1", "CLIN-2"]
    assert page.units[0].group == "Maracaibo"
    form = page.form
    assert form is not None and form.locked is None and page.period == "2005-01"
    assert [(s.combo, [c.id for c in s.columns]) for s in form.sections] == [
        ("SEX_AGE", SEX_AGE),
        ("default", ["default"]),
    ]
    assert [r.element for r in form.sections[1].rows] == ["WAIT_DAYS", "NOTES"]
    assert form.values == {
        ("CONSULT", "F_A15P"): "120",
        ("CONSULT", "M_A15P"): "80",
        ("WAIT_DAYS", "default"): "12.25",
        ("NOTES", "default"): 'roof leaks, "urgent" now',
    }


@pytest.mark.parametrize(
    ("data_set", "unit", "period", "field"),
    [
        ("NOPE", "CLIN-1", "2005-01", "dataSet"),
        ("BA_MONTHLY", "CLIN-9", "2005-01", "orgUnit"),
        ("BA_MONTHLY", "CLIN-1", "2005-13", "period"),
        ("BA_MONTHLY", "CLIN-1", "2005", "period"),  # a year, for a monthly data set
    ],
)
def test_a_choice_that_does_not_hold_is_named_on_its_field(
    sample: Store, data_set: str, unit: str, period: str, field: str
) -> None:
    with sample.unit_of_work() as uow:
        page = entry_views.entry_page(uow, ZULIA, data_set, unit, period, DAY)
    assert page.form is None and page.error is not None
    assert [p.field for p in page.error.problems] == [field]


def test_a_unit_of_another_state_is_refused(sample: Store) -> None:
    with sample.unit_of_work() as uow, pytest.raises(AccessError, match="outside VE-ZU"):
        entry_views.entry_page(uow, ZULIA, "BA_MONTHLY", "CLIN-3", "2005-01", DAY)
    typed = {("CONSULT", "F_A15P"): "1"}
    with (
        sample.unit_of_work(write=True) as uow,
        pytest.raises(AccessError, match="CLIN-3"),
    ):
        entry_views.save_entry(uow, ZULIA, "BA_MONTHLY", "CLIN-3", "2005-01", typed, DAY)


def _values(store: Store, unit: str, period: str) -> dict[tuple[str, str], str]:
    with store.unit_of_work() as uow:
        found = mission_data.select_values(uow, "BA_MONTHLY", period, unit)
    return {(v.element, v.coc): v.value for v in found}


def test_a_save_is_all_or_nothing_and_an_emptied_cell_deletes(sample: Store) -> None:
    before = _values(sample, "CLIN-1", "2005-01")
    bad = {("CONSULT", "F_A15P"): "121", ("CONSULT", "M_A15P"): "-1", ("WAIT_DAYS", "default"): "x"}
    with sample.unit_of_work(write=True) as uow:
        refused = entry_views.save_entry(uow, ZULIA, "BA_MONTHLY", "CLIN-1", "2005-01", bad, DAY)
        assert not uow.committed
    assert refused.error is not None and refused.result is None
    assert {k: [p.message for p in v] for k, v in refused.cells.items()} == {
        ("CONSULT", "M_A15P"): [NEGATIVE_COUNT],
        ("WAIT_DAYS", "default"): [TYPE_MESSAGES[ValueType.NUMBER]],
    }
    assert refused.typed[("CONSULT", "F_A15P")] == "121"  # kept for the page
    assert _values(sample, "CLIN-1", "2005-01") == before

    # 120 → 121, 80 kept, a new 5, the wait and the note emptied: removed.
    good = {("CONSULT", "F_A15P"): "121", ("CONSULT", "M_A15P"): "80", ("CONSULT", "F_A0_14"): "5"}
    with sample.unit_of_work(write=True) as uow:
        saved = entry_views.save_entry(uow, ZULIA, "BA_MONTHLY", "CLIN-1", "2005-01", good, DAY)
    assert saved.error is None and saved.result is not None
    assert (saved.result.added, saved.result.updated, saved.result.deleted) == (1, 1, 2)
    after = {("CONSULT", "F_A15P"): "121", ("CONSULT", "M_A15P"): "80", ("CONSULT", "F_A0_14"): "5"}
    assert _values(sample, "CLIN-1", "2005-01") == after
    assert saved.form.values == after  # the page shows what is stored now


def test_a_spanish_page_saves_and_shows_numbers_the_spanish_way(sample: Store) -> None:
    wait, count = ("WAIT_DAYS", "default"), ("CONSULT", "F_A15P")
    typed = {wait: "12.5", count: "1.234"}  # a point before decimals: not Spanish
    with sample.unit_of_work(write=True) as uow:
        refused = entry_views.save_entry(
            uow, ZULIA, "BA_MONTHLY", "CLIN-1", "2005-01", typed, DAY, language="es"
        )
    assert {k: [p.message for p in v] for k, v in refused.cells.items()} == {
        wait: [TYPE_MESSAGES[ValueType.NUMBER]]
    }
    assert refused.typed[wait] == "12.5"  # kept as typed
    typed = {wait: "12,5", count: "1.234", ("CONSULT", "M_A15P"): "80"}
    with sample.unit_of_work(write=True) as uow:
        saved = entry_views.save_entry(
            uow, ZULIA, "BA_MONTHLY", "CLIN-1", "2005-01", typed, DAY, language="es"
        )
    assert saved.error is None
    stored = _values(sample, "CLIN-1", "2005-01")
    assert (stored[wait], stored[count]) == ("12.5", "1234")
    assert (saved.form.shown(wait, "es"), saved.form.shown(count, "es")) == ("12,5", "1.234")
    assert (saved.form.shown(wait, "en"), saved.form.shown(count, "en")) == ("12.5", "1,234")
    # an English page reads 1,234.5 and 12.5, and refuses the Spanish 12,5
    with sample.unit_of_work(write=True) as uow:
        english = entry_views.save_entry(
            uow, ZULIA, "BA_MONTHLY", "CLIN-1", "2005-01", {**typed, wait: "12,5"}, DAY
        )
    assert [p.message for p in english.cells[wait]] == [TYPE_MESSAGES[ValueType.NUMBER]]


@pytest.mark.parametrize(
    ("value_type", "typed", "language", "plain"),
    [
        (ValueType.NUMBER, "1.234,5", "es", "1234.5"),
        (ValueType.NUMBER, "-0,25", "es", "-0.25"),
        (ValueType.INTEGER, "1.234.567", "es", "1234567"),
        (ValueType.PERCENTAGE, "45,5", "es", "45.5"),
        (ValueType.NUMBER, "1,234.5", "en", "1234.5"),
        (ValueType.NUMBER, "1234.5", "en", "1234.5"),
        (ValueType.NUMBER, "12,5", "en", "12,5"),  # left for the importer to refuse
        (ValueType.TEXT, "1,5", "es", "1,5"),  # a text is a text
        (ValueType.BOOLEAN, " true ", "es", "true"),
    ],
)
def test_a_cell_is_read_in_the_pages_language(
    value_type: ValueType, typed: str, language: str, plain: str
) -> None:
    assert plain_number(value_type, typed, language) == plain


@given(
    st.sampled_from([ValueType.INTEGER, ValueType.NUMBER, ValueType.PERCENTAGE]),
    st.decimals(-(10**9), 10**9, places=3, allow_nan=False, allow_infinity=False),
    st.sampled_from(["es", "en"]),
)
def test_a_stored_number_shown_in_a_language_reads_back_as_stored(
    value_type: ValueType, number: Decimal, language: str
) -> None:
    text = str(number)
    shown = local_number(value_type, text, language)
    assert plain_number(value_type, shown, language) == text
    assert ("," in shown) == (
        (language == "es" and "." in text) or (language == "en" and abs(number) >= 1000)
    )


def test_a_month_past_its_expiry_takes_no_change_on_any_cell(sample: Store) -> None:
    late = date(2005, 3, 5)  # BA_MONTHLY takes changes 30 days after the month
    with sample.unit_of_work() as uow:
        page = entry_views.entry_page(uow, ZULIA, "BA_MONTHLY", "CLIN-1", "2005-01", late)
    assert page.form is not None and page.form.locked is not None
    assert "200501 is locked" in page.form.locked
    typed = {("CONSULT", "F_A15P"): "121", ("CONSULT", "M_A15P"): "80"}
    with sample.unit_of_work(write=True) as uow:
        refused = entry_views.save_entry(uow, ZULIA, "BA_MONTHLY", "CLIN-1", "2005-01", typed, late)
    assert refused.error is not None
    # The changed cell and the emptied ones are refused; the unchanged 80 is no change.
    assert set(refused.cells) == {
        ("CONSULT", "F_A15P"),
        ("WAIT_DAYS", "default"),
        ("NOTES", "default"),
    }
    assert {p.message for v in refused.cells.values() for p in v} == {
        "This period takes no changes"
    }


def test_an_uploaded_csv_is_refused_with_its_line_and_field_under_its_name(
    sample: Store,
) -> None:
    data = HEADER + "CONSULT,200502,CLIN-1,F_A15P,,10,,,,,\nCONSULT,200502,CLIN-1,M_A15P,,x,,,,,\n"
    with (
        sample.unit_of_work(write=True) as uow,
        pytest.raises(InputError) as refused,
    ):
        entry_views.import_upload(uow, ZULIA, "C:\\data\\feb values.csv", data.encode(), today=DAY)
    assert [(p.file, p.line, p.field) for p in refused.value.problems] == [
        ("feb_values.csv", 3, "value")
    ]
    assert _values(sample, "CLIN-1", "2005-02") == {}


def test_an_uploaded_workbook_imports_and_its_problems_name_no_temporary_folder(
    sample: Store,
) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER.strip().split(","))
    sheet.append(["CONSULT", "200502", "CLIN-2", "F_A0_14", "", 4])
    sheet.append(["CONSULT", "200502", "CLIN-3", "F_A0_14", "", 2])  # Distrito Capital
    out = io.BytesIO()
    book.save(out)
    with (
        sample.unit_of_work(write=True) as uow,
        pytest.raises(AccessError) as refused,
    ):
        entry_views.import_upload(uow, ZULIA, "feb.xlsx", out.getvalue(), today=DAY)
    assert "convenio-upload" not in str(refused.value)
    assert [(p.file, p.line) for p in refused.value.problems] == [("feb.xlsx[Sheet]", 3)]

    sheet.delete_rows(3)
    out = io.BytesIO()
    book.save(out)
    with sample.unit_of_work(write=True) as uow:
        done = entry_views.import_upload(uow, ZULIA, "feb.xlsx", out.getvalue(), today=DAY)
    assert (done.name, done.result.added, done.result.updated) == ("feb.xlsx", 0, 1)  # was 3
    assert _values(sample, "CLIN-2", "2005-02") == {("CONSULT", "F_A0_14"): "4"}
