"""Data entry as DHIS2's data-entry app does it, for the web pages: pick a data set, an
org unit of your subtree and a period; fill a grid — one table per category combo, its
data elements as rows and their disaggregations (category option combos) as columns —
pre-filled with the stored values; save it all or nothing.

The save goes through the importer of ``POST /api/v1/dataValues`` and ``convenio data
import`` (`mission_data.import_raw_values`), with the actor's scope: a unit outside a
coordinator's subtree is an `AccessError` there as here. A cell left empty that holds a
value deletes it, as in DHIS2. Before that, each cell is checked on its own
(`cell_problem`): the element's type, and — the form's own rule, stricter than the
importer's — no negative count. Problems come back as data located on their cells (each
raw row's `line` is its cell's place in the grid), so the page shows every message next
to its cell; a refused save writes nothing. An upload is `mission_data.import_values`
over the file as sent, its problems located by line (or sheet row) and field as the CLI
says them, under the file's own name.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePath
from typing import Final

from sqlalchemy import select

from convenio.auth import Principal
from convenio.errors import ConvenioError, InputError, Problem
from convenio.files import FileOptions, InMemory
from convenio.files.numbers import (
    SpanishNumberError,
    english_number,
    format_spanish,
    spanish_number,
)
from convenio.missions import (
    DEFAULT,
    Catalog,
    DataSet,
    DataValue,
    RawValue,
    ValueType,
    lock_problems,
    normalise_value,
)
from convenio.periods import Period, parse_period
from convenio.services import mission_data
from convenio.services.mission_data import ImportResult
from convenio.services.missions import require_reach, scope_of
from convenio.store import UnitOfWork
from convenio.store.bulk_values import bulk_stored, value_text
from convenio.store.missions_tables import (
    category_option_combos,
    data_elements,
    data_values,
    missions,
    org_units,
)

__all__ = [
    "CELL_MESSAGE",
    "FIELD_MESSAGES",
    "FORM_FILE",
    "MESSAGES",
    "NEGATIVE_COUNT",
    "TYPE_MESSAGES",
    "CellKey",
    "CellProblem",
    "Column",
    "DataSetChoice",
    "EntryForm",
    "EntryPage",
    "Row",
    "SaveOutcome",
    "Section",
    "UnitChoice",
    "UploadOutcome",
    "cell_field",
    "cell_problem",
    "entry_page",
    "import_upload",
    "local_number",
    "locate",
    "parse_cell_field",
    "plain_number",
    "save_entry",
]

CellKey = tuple[str, str]
"""A cell of the grid: (data element, category option combo)."""

FORM_FILE: Final = "form"
"""What the importer calls the rows of a saved form in its problems."""
NEGATIVE_COUNT: Final = "A count cannot be negative"
TYPE_MESSAGES: Final[Mapping[ValueType, str]] = {
    ValueType.INTEGER: "Enter a whole number",
    ValueType.NUMBER: "Enter a number, with a point before any decimals",
    ValueType.PERCENTAGE: "Enter a percentage from 0 to 100",
    ValueType.BOOLEAN: "Enter true or false",
    ValueType.TEXT: "Enter a shorter text",
}
"""Why a cell of each type was refused, in English (the page translates it)."""
FIELD_MESSAGES: Final[Mapping[str, str]] = {
    "period": "This period takes no changes",
    "orgUnit": "This org unit takes no values here",
    "value": "This value cannot be saved",
}
"""The page's words for the importer's problem on a cell, by the field it names."""
CELL_MESSAGE: Final = "This cell cannot be saved"
"""… and for a problem of another field."""
MESSAGES: Final = frozenset(
    {NEGATIVE_COUNT, CELL_MESSAGE, *TYPE_MESSAGES.values(), *FIELD_MESSAGES.values()}
)
"""Every message a cell may show (the page's catalogue holds each)."""
_CELL_PREFIX: Final = "v:"
_SAFE_NAME: Final = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class CellProblem:
    """Why one cell's text cannot be saved: `message` (fixed English, translated where
    shown) and the importer's own words for it (`detail`)."""

    message: str
    detail: str = ""


@dataclass(frozen=True)
class DataSetChoice:
    id: str
    name: str
    period_type: str
    expiry_days: int


@dataclass(frozen=True)
class UnitChoice:
    """An org unit to pick: `group` is its parent's name (the list's headings)."""

    id: str
    name: str
    level: int
    level_name: str
    group: str


@dataclass(frozen=True)
class Column:
    id: str
    name: str


@dataclass(frozen=True)
class Row:
    element: str
    name: str
    value_type: ValueType


@dataclass(frozen=True)
class Section:
    """One table of the grid: the elements of one category combo by its option combos."""

    combo: str
    name: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]

    @property
    def keys(self) -> list[CellKey]:
        return [(r.element, c.id) for r in self.rows for c in self.columns]


@dataclass(frozen=True)
class EntryForm:
    """The grid of a data set at an org unit in a period, with the stored values.
    `locked`: why the period takes no changes now (None: it does)."""

    data_set: DataSetChoice
    org_unit: UnitChoice
    period: Period
    sections: tuple[Section, ...]
    values: Mapping[CellKey, str]
    locked: str | None

    @property
    def keys(self) -> list[CellKey]:
        """Every cell, in the grid's reading order."""
        return [key for section in self.sections for key in section.keys]

    @property
    def value_types(self) -> dict[str, ValueType]:
        return {r.element: r.value_type for s in self.sections for r in s.rows}

    def shown(self, key: CellKey, language: str) -> str:
        """A cell's stored value as the page writes it (a number in `language`)."""
        return local_number(self.value_types[key[0]], self.values.get(key, ""), language)


@dataclass(frozen=True)
class EntryPage:
    """What `GET /entry` shows: the choices, what was chosen, and the form once a data
    set, an org unit and a period are chosen and hold (`error`: why one does not)."""

    data_sets: tuple[DataSetChoice, ...]
    units: tuple[UnitChoice, ...]
    data_set: str
    org_unit: str
    period: str
    form: EntryForm | None = None
    error: InputError | None = None


@dataclass(frozen=True)
class SaveOutcome:
    """A saved form: the import's `result`, or the `error` (nothing written) with its
    problems by cell and those of no cell; `typed` is what was sent (kept on a refusal).
    `page` is the page to show again, its form as stored now."""

    page: EntryPage
    typed: Mapping[CellKey, str]
    result: ImportResult | None = None
    error: InputError | None = None
    cells: Mapping[CellKey, Sequence[CellProblem]] = field(default_factory=dict)
    other: Sequence[Problem] = ()

    @property
    def form(self) -> EntryForm:
        assert self.page.form is not None
        return self.page.form


@dataclass(frozen=True)
class UploadOutcome:
    """An uploaded file's import: what it did, and under which name."""

    name: str
    result: ImportResult


# -- pure pieces --------------------------------------------------------------------------


def cell_field(key: CellKey) -> str:
    """The form field of a cell: ``v:ELEMENT:COMBO``."""
    return f"{_CELL_PREFIX}{key[0]}:{key[1]}"


def parse_cell_field(name: str) -> CellKey | None:
    """The cell a form field names (None: not a cell's field)."""
    if not name.startswith(_CELL_PREFIX):
        return None
    element, sep, coc = name[len(_CELL_PREFIX) :].partition(":")
    return (element, coc) if sep and element and coc else None


_NUMERIC: Final = frozenset({ValueType.INTEGER, ValueType.NUMBER, ValueType.PERCENTAGE})
_PLAIN_NUMBER: Final = re.compile(r"([+-]?)(\d+)(?:\.(\d+))?")


def plain_number(value_type: ValueType, text: str, language: str) -> str:
    """A cell's text as typed on a page in `language`, as the importer reads it: a
    number written the Spanish way (``es``: ``1.234,5`` → ``1234.5``, as ``--locale es``
    reads a file) or the English way (``en``: ``1,234.5`` or ``1234.5``); any other text,
    and the cells of other types, as typed, for the importer to judge. A Spanish text
    that looks like a number but is not one (``12.5``) raises `SpanishNumberError`."""
    stripped = text.strip()
    if value_type not in _NUMERIC:
        return stripped
    if language == "es":
        return spanish_number(stripped)
    return english_number(stripped)


def local_number(value_type: ValueType, text: str, language: str) -> str:
    """The inverse, for a stored value: ``1234.5`` → ``1.234,5`` (es) or ``1,234.5``
    (en), every digit kept; text that is not a plain number is shown as stored."""
    found = _PLAIN_NUMBER.fullmatch(text)
    if value_type not in _NUMERIC or found is None:
        return text
    if language == "es":
        return format_spanish(text)
    sign, whole, decimals = found.groups()
    return f"{sign}{int(whole):,}" + (f".{decimals}" if decimals else "")


def cell_problem(value_type: ValueType, text: str) -> CellProblem | None:
    """Why `text` cannot be saved in a cell of `value_type` (None: it can; an empty cell
    always can). The element's type decides, as in the importer; on top, a count (an
    INTEGER element) may not be negative in the form."""
    if not text:
        return None
    try:
        _, number = normalise_value(value_type, text)
    except ValueError as exc:
        return CellProblem(TYPE_MESSAGES[value_type], str(exc))
    if value_type is ValueType.INTEGER and number is not None and number < 0:
        return CellProblem(NEGATIVE_COUNT)
    return None


def locate(
    problems: Iterable[Problem], keys: Sequence[CellKey]
) -> tuple[dict[CellKey, list[Problem]], list[Problem]]:
    """The problems of a saved form by cell (a problem's `line` is its cell's place in
    `keys`, from 1), and those of no cell."""
    cells: dict[CellKey, list[Problem]] = {}
    other: list[Problem] = []
    for problem in problems:
        if problem.line is not None and 1 <= problem.line <= len(keys):
            cells.setdefault(keys[problem.line - 1], []).append(problem)
        else:
            other.append(problem)
    return cells, other


def _sections(catalog: Catalog, data_set: DataSet) -> tuple[Section, ...]:
    """The grid: a table per category combo, in the order the data set first names one."""
    by_combo: dict[str, list[Row]] = {}
    for uid in data_set.elements:
        element = catalog.elements[uid]
        by_combo.setdefault(element.combo, []).append(
            Row(element.uid, element.name, element.value_type)
        )
    return tuple(
        Section(combo, catalog.combos[combo].name, _columns(catalog, combo), tuple(rows))
        for combo, rows in by_combo.items()
    )


def _columns(catalog: Catalog, combo: str) -> tuple[Column, ...]:
    """A combo's option combos in its categories' option order (DHIS2's)."""
    if combo == DEFAULT:
        return (Column(DEFAULT, DEFAULT),)
    categories = [catalog.categories[c] for c in catalog.combos[combo].categories]

    def order(options: tuple[str, ...]) -> tuple[int, ...]:
        return tuple(
            category.options.index(o) if o in category.options else len(category.options)
            for category, o in zip(categories, options, strict=False)
        )

    found = [oc for oc in catalog.option_combos.values() if oc.combo == combo]
    return tuple(
        Column(oc.uid, oc.name) for oc in sorted(found, key=lambda oc: (order(oc.options), oc.uid))
    )


# -- reads --------------------------------------------------------------------------------


class _Reading:
    """What one call reads once: the metadata, the org units as they are now."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.catalog = uow.missions.catalog()
        self.hierarchy = uow.missions.hierarchy()
        self.now = self.hierarchy.as_of()
        self.level_names = {n: lv.name for n, lv in self.catalog.levels.items()}

    def unit(self, uid: str) -> UnitChoice:
        v = self.now[uid]
        parent = self.now.get(v.parent) if v.parent else None
        level = self.level_names.get(v.level, str(v.level))
        return UnitChoice(uid, v.name, v.level, level, parent.name if parent else "")

    def units(self, actor: Principal, data_set: DataSet | None) -> tuple[UnitChoice, ...]:
        """The units of the actor's subtree at the data set's levels (every level while it
        has no values), in tree order."""
        scope = scope_of(actor, self.hierarchy)
        levels = set() if data_set is None else self.stored_levels(data_set)
        return tuple(
            self.unit(uid)
            for _, uid in sorted(
                (self.hierarchy.ancestors(uid), uid)
                for uid, v in self.now.items()
                if (scope is None or uid in scope) and (not levels or v.level in levels)
            )
        )

    def stored_levels(self, data_set: DataSet) -> set[int]:
        """The levels of the units that hold values of the data set: DHIS2 assigns a data
        set to its units; here, where its values are is where it is reported."""
        repo = self.uow.missions
        ids = repo.ids(data_elements)
        wanted = [ids[e] for e in data_set.elements if e in ids]
        units = {i: u for u, i in repo.ids(org_units).items()}
        query = select(data_values.c.unit_id).where(data_values.c.element_id.in_(wanted))
        found = self.uow.connection.execute(query.distinct()).scalars()
        return {self.now[u].level for i in found if (u := units.get(i)) in self.now}

    def stored(self, data_set: DataSet, unit: str, period: Period) -> dict[CellKey, str]:
        """The stored value of each cell (the store's and the bulk file's), by cell."""
        repo = self.uow.missions
        period_id = repo.values.known_periods().get(period.id)
        if period_id is None:
            return {}
        element_ids, coc_ids = repo.ids(data_elements), repo.ids(category_option_combos)
        unit_id, aoc_id = repo.ids(org_units)[unit], repo.ids(missions)[_mission_of(data_set)]
        keyed = {
            (element_ids[e], period_id, unit_id, coc_ids[c], aoc_id): (e, c)
            for section in _sections(self.catalog, data_set)
            for e, c in section.keys
        }
        stored = repo.values.stored({k[0] for k in keyed}, {period_id})
        found = {cell: stored[k].value for k, cell in keyed.items() if k in stored}
        for k, number in bulk_stored(repo.mirror, list(keyed)).items():
            element = self.catalog.elements[keyed[k][0]]
            found[keyed[k]] = value_text(element.value_type, number)
        return found

    def locked(self, data_set: DataSet, unit: str, period: Period, today: date) -> str | None:
        """Why the period takes no changes of the data set now, in the importer's words."""
        if not data_set.elements:
            return None
        probe = DataValue(data_set.elements[0], period, unit, DEFAULT, _mission_of(data_set), "", 0)
        found = lock_problems(
            [(probe, None, "")],
            self.catalog.element_data_sets(),
            today,
            self.uow.missions.values.settled_locks(),
            self.uow.missions.reopened(),
            FORM_FILE,
        )
        return found[0].message if found else None

    def chosen(
        self, actor: Principal, data_set: str, org_unit: str, period: str
    ) -> tuple[DataSet, str, Period]:
        """The data set, org unit and period of a form, checked: `InputError` naming the
        field (dataSet, orgUnit, period), `AccessError` for a unit outside the subtree."""
        found = self.catalog.data_sets.get(data_set)
        if found is None:
            raise _on_field("dataSet", f"no data set {data_set!r}")
        if org_unit not in self.now:
            raise _on_field("orgUnit", f"no org unit {org_unit!r}")
        require_reach(actor, self.hierarchy, [(org_unit, Problem("", field="orgUnit"))])
        try:
            chosen = parse_period(period)
        except InputError as exc:
            raise _on_field("period", str(exc)) from None
        if chosen.type is not found.period_type:
            said = f"{chosen.iso()} is {chosen.type}; {found.uid} takes {found.period_type} periods"
            raise _on_field("period", said)
        return found, org_unit, chosen

    def form(self, data_set: DataSet, unit: str, period: Period, today: date) -> EntryForm:
        return EntryForm(
            _data_set_choice(data_set),
            self.unit(unit),
            period,
            _sections(self.catalog, data_set),
            self.stored(data_set, unit, period),
            self.locked(data_set, unit, period, today),
        )

    def page(
        self,
        actor: Principal,
        data_set: str | None,
        org_unit: str | None,
        period: str | None,
        form: EntryForm | None = None,
        error: InputError | None = None,
    ) -> EntryPage:
        """The page: every data set, the units to pick for the one chosen (else the
        first), what was chosen, the form or why there is none."""
        sets = sorted(self.catalog.data_sets.values(), key=lambda d: d.uid)
        current = self.catalog.data_sets.get(data_set or "")
        if current is None and not data_set and sets:
            current = sets[0]
        return EntryPage(
            tuple(_data_set_choice(d) for d in sets),
            self.units(actor, current),
            current.uid if current else data_set or "",
            org_unit or "",
            form.period.iso() if form else period or "",
            form,
            error,
        )


def _on_field(name: str, message: str) -> InputError:
    return InputError(f"{name}: {message}", [Problem(message, field=name)])


def _data_set_choice(d: DataSet) -> DataSetChoice:
    return DataSetChoice(d.uid, d.name, d.period_type.value, d.expiry_days)


def _mission_of(data_set: DataSet) -> str:
    return data_set.mission or DEFAULT


def entry_page(
    uow: UnitOfWork,
    actor: Principal,
    data_set: str | None = None,
    org_unit: str | None = None,
    period: str | None = None,
    today: date | None = None,
) -> EntryPage:
    """The choices of the data-entry page and, when all three are given, the form. A
    choice that does not hold is the page's `error` (on its field); a unit outside the
    actor's subtree is refused (`AccessError`), as the API refuses it."""
    reading = _Reading(uow)
    if not (data_set and org_unit and period):
        return reading.page(actor, data_set, org_unit, period)
    try:
        chosen = reading.chosen(actor, data_set, org_unit, period)
    except InputError as error:
        return reading.page(actor, data_set, org_unit, period, error=error)
    form = reading.form(*chosen, today or date.today())
    return reading.page(actor, data_set, org_unit, period, form)


# -- writes -------------------------------------------------------------------------------


def save_entry(
    uow: UnitOfWork,
    actor: Principal,
    data_set: str,
    org_unit: str,
    period: str,
    typed: Mapping[CellKey, str],
    today: date | None = None,
    language: str = "en",
) -> SaveOutcome:
    """Save a form's cells, all or nothing, through the API's importer; see the module
    docstring. Numbers are read the way `language` writes them (`plain_number`). A
    refusal is the outcome's `error` (the unit of work left uncommitted); a unit outside
    the subtree raises `AccessError`."""
    day = today or date.today()
    reading = _Reading(uow)
    ds, unit, pe = reading.chosen(actor, data_set, org_unit, period)
    form = reading.form(ds, unit, pe, day)
    keys = form.keys
    cells = {key: typed.get(key, "").strip() for key in keys}
    types = form.value_types
    plain: dict[CellKey, str] = {}
    own: dict[CellKey, list[CellProblem]] = {}
    for k in keys:
        try:
            plain[k] = plain_number(types[k[0]], cells[k], language)
        except SpanishNumberError:
            own[k] = [CellProblem(TYPE_MESSAGES[types[k[0]]])]
            continue
        if (found := cell_problem(types[k[0]], plain[k])) is not None:
            own[k] = [found]
    if own:
        problems = [
            Problem(p.message, FORM_FILE, keys.index(k) + 1, "value")
            for k, v in own.items()
            for p in v
        ]
        error = InputError.from_problems(problems, FORM_FILE)
        return SaveOutcome(
            reading.page(actor, data_set, unit, period, form), cells, error=error, cells=own
        )
    raws = [
        RawValue(
            e,
            pe.id,
            unit,
            c,
            "",
            plain[e, c],
            actor.name,
            deleted="" if plain[e, c] else "true",
            line=i,
        )
        for i, (e, c) in enumerate(keys, start=1)
    ]
    try:
        result = mission_data.import_raw_values(uow, raws, FORM_FILE, today=day, actor=actor)
    except InputError as error:
        located, other = locate(error.problems, keys)
        by_cell = {
            key: [CellProblem(_field_message(p), p.message) for p in found]
            for key, found in located.items()
        }
        shown = reading.page(actor, data_set, unit, period, form)
        return SaveOutcome(shown, cells, error=error, cells=by_cell, other=other)
    saved = reading.form(ds, unit, pe, day)
    return SaveOutcome(reading.page(actor, data_set, unit, period, saved), {}, result)


def _field_message(problem: Problem) -> str:
    return FIELD_MESSAGES.get(problem.field or "", CELL_MESSAGE)


def import_upload(
    uow: UnitOfWork,
    actor: Principal,
    filename: str,
    content: bytes,
    dry_run: bool = False,
    options: FileOptions | None = None,
    today: date | None = None,
) -> UploadOutcome:
    """Import an uploaded data values file (CSV, .xlsx, or dataValueSets JSON) as
    ``convenio data import`` does — all or nothing — its problems naming the file by the
    name it was sent under (its last part, made safe), the line or sheet row, the field."""
    name = _safe_name(filename)
    chosen = options or FileOptions()
    if PurePath(name).suffix.lower() not in (".xlsx", ".xlsm"):
        result = mission_data.import_values(
            uow, InMemory(name, content), dry_run, today, chosen, actor=actor
        )
        return UploadOutcome(name, result)
    with tempfile.TemporaryDirectory(prefix="convenio-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        try:
            result = mission_data.import_values(uow, path, dry_run, today, chosen, actor=actor)
        except ConvenioError as error:
            raise _renamed(error, f"{folder}/", "") from None
    return UploadOutcome(name, result)


def _safe_name(filename: str) -> str:
    """The last part of an uploaded file's name, with only safe characters (``upload``
    for a name with none)."""
    last = PurePath(filename.replace("\\", "/")).name
    cleaned = _SAFE_NAME.sub("_", last).strip("._") or "upload"
    return cleaned[:100]


def _renamed(error: ConvenioError, old: str, new: str) -> ConvenioError:
    """`error` with `old` replaced by `new` in its message and its problems' files and
    messages (the temporary folder of an uploaded workbook out of what the reader sees)."""
    problems = [
        p._replace(
            file=None if p.file is None else p.file.replace(old, new),
            message=p.message.replace(old, new),
        )
        for p in error.problems
    ]
    return type(error)(str(error).replace(old, new), problems)
