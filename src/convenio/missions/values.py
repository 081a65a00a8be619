"""Aggregate data values: checking what a file reports against the metadata, exactly.

A data value is keyed by data element × period × org unit × category option combo
(the disaggregation) × attribute option combo (the mission). Files give text
(`RawValue`, from `convenio.missions.dhis2`); `validate_values` turns each row into a
`DataValue` or into problems naming the row and field: an unknown element, org unit,
option combo or mission, a period of the wrong type for the element's data set, a value
that is not of the element's type, the same key twice. Numbers are kept as canonical
text and as an integer of millionths (`VALUE_SCALE`), never as float. `lock_problems`
refuses changes to periods past their data set's expiry or inside a settled period.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Final, NamedTuple

from convenio.errors import InputError, Problem
from convenio.missions.metadata import DEFAULT, Catalog, DataSet, ValueType
from convenio.periods import Period, parse_period

__all__ = [
    "MAX_NUMBER",
    "VALUE_SCALE",
    "DataValue",
    "Lock",
    "RawValue",
    "ValueKey",
    "format_number",
    "format_time",
    "lock_problems",
    "normalise_value",
    "parse_time",
    "validate_values",
]

VALUE_SCALE: Final = 6
"""Decimal places kept for numbers: values are stored as integers of millionths."""
_ONE: Final = 10**VALUE_SCALE
MAX_NUMBER: Final = (2**63 - 1) // _ONE
"""The largest magnitude a number may have (9,223,372,036,854): stored in 64 bits."""
MAX_TEXT: Final = 50_000
_INTEGER: Final = re.compile(r"[+-]?\d+", re.ASCII)
_NUMBER: Final = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)
_TRUE: Final = frozenset({"true", "1"})
_FALSE: Final = frozenset({"false", "0"})


class RawValue(NamedTuple):
    """One value as a file gives it: text fields, empty when absent, and where it is
    (`line` for CSV; `where`, e.g. ``dataValues[3]``, for JSON)."""

    data_element: str
    period: str
    org_unit: str
    coc: str = ""
    aoc: str = ""
    value: str = ""
    stored_by: str = ""
    created: str = ""
    last_updated: str = ""
    comment: str = ""
    followup: str = ""
    deleted: str = ""
    line: int | None = None
    where: str = ""


class ValueKey(NamedTuple):
    element: str
    period: str
    org_unit: str
    coc: str
    aoc: str


@dataclass(frozen=True, slots=True)
class DataValue:
    """A checked value. `number` is the value in millionths (None for text); times UTC."""

    element: str
    period: Period
    org_unit: str
    coc: str
    aoc: str
    value: str
    number: int | None
    stored_by: str | None = None
    created: datetime | None = None
    last_updated: datetime | None = None
    comment: str | None = None
    followup: bool = False
    deleted: bool = False
    pe: str = field(default="", repr=False, compare=False)
    """The period's DHIS2 id (``200503``), kept: files and keys read it again and again
    (filled in from `period` when not given)."""

    def __post_init__(self) -> None:
        if not self.pe:
            object.__setattr__(self, "pe", self.period.id)

    @property
    def key(self) -> ValueKey:
        return ValueKey(self.element, self.pe, self.org_unit, self.coc, self.aoc)

    def same_content(self, other: DataValue) -> bool:
        """Equal value, comment and follow-up: importing one over the other changes nothing."""
        return (self.value, self.comment or None, self.followup) == (
            other.value,
            other.comment or None,
            other.followup,
        )


def format_number(number: Decimal) -> str:
    """Plain decimal notation without exponent or trailing zeros: 1E+3 → 1000, 2.50 → 2.5."""
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def normalise_value(value_type: ValueType, text: str) -> tuple[str, int | None]:
    """The canonical text of a value and its millionths (None for text).

    Raises `ValueError` with a readable reason when the text is not of the type.
    """
    if value_type is ValueType.TEXT:
        if not text:
            raise ValueError("empty value")
        if len(text) > MAX_TEXT:
            raise ValueError(f"text longer than {MAX_TEXT} characters")
        return text, None
    stripped = text.strip()
    if value_type is ValueType.BOOLEAN:
        lowered = stripped.lower()
        if lowered in _TRUE:
            return "true", _ONE
        if lowered in _FALSE:
            return "false", 0
        raise ValueError(f"{text!r} is not a boolean (true or false)")
    if value_type is ValueType.INTEGER:
        if not _INTEGER.fullmatch(stripped):
            raise ValueError(f"{text!r} is not an integer")
        number = Decimal(stripped)
    else:
        if not _NUMBER.fullmatch(stripped):
            raise ValueError(f"{text!r} is not a number")
        try:
            number = Decimal(stripped)
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            raise ValueError(f"{text!r} is not a number") from None
    if value_type is ValueType.PERCENTAGE and not 0 <= number <= 100:
        raise ValueError(f"{text} is not a percentage (0 to 100)")
    if abs(number) > MAX_NUMBER:
        raise ValueError(f"{text} is beyond ±{MAX_NUMBER:,}")
    scaled = number.scaleb(VALUE_SCALE)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{text} has more than {VALUE_SCALE} decimal places")
    return format_number(number), int(scaled)


def parse_time(text: str) -> datetime:
    """An ISO 8601 date or date-time (DHIS2's ``2005-03-01T10:00:00.000+0000`` too), in
    UTC to the millisecond; a time without zone is taken as UTC. Raises `ValueError`."""
    cleaned = text.strip()
    if len(cleaned) > 5 and cleaned[-5] in "+-" and cleaned[-4:].isdigit() and "T" in cleaned:
        cleaned = f"{cleaned[:-2]}:{cleaned[-2:]}"  # +0000 → +00:00
    moment = datetime.fromisoformat(cleaned.replace("Z", "+00:00"))
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def format_time(moment: datetime) -> str:
    """``2005-03-01T10:00:00.000Z``: UTC to the millisecond."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


class _Context:
    """Lookups for one file: memoised period parsing and the catalog's answers."""

    def __init__(self, catalog: Catalog, org_units: Collection[str]) -> None:
        self.catalog = catalog
        self.org_units = org_units
        self.data_sets = catalog.element_data_sets()
        self.combos_of: dict[str, set[str]] = {}
        for oc in catalog.option_combos.values():
            self.combos_of.setdefault(oc.combo, set()).add(oc.uid)
        self.periods: dict[str, tuple[Period, str] | str] = {}

    def period(self, text: str) -> tuple[Period, str] | str:
        """The period named by `text` and its id, or why there is none."""
        found = self.periods.get(text)
        if found is None:
            try:
                period = parse_period(text)
                found = (period, period.id)
            except InputError as exc:
                found = str(exc).split(";")[0]
            self.periods[text] = found
        return found


_FLAGS: Final = {"": False, "true": True, "false": False, "1": True, "0": False}


def _flag(text: str) -> bool | None:
    return _FLAGS.get(text.strip().lower())


def _check_row(raw: RawValue, ctx: _Context, bad: list[tuple[str, str]]) -> DataValue | None:
    element = ctx.catalog.elements.get(raw.data_element.strip())
    data_set: DataSet | None = None
    if not raw.data_element.strip():
        bad.append(("dataElement", "missing"))
    elif element is None:
        bad.append(("dataElement", f"unknown data element {raw.data_element!r}"))
    else:
        data_set = ctx.data_sets.get(element.uid)
        if data_set is None:
            bad.append(
                (
                    "dataElement",
                    f"{element.uid} is in no data set (its period type and expiry come from one)",
                )
            )
    unit = raw.org_unit.strip()
    if not unit:
        bad.append(("orgUnit", "missing"))
    elif unit not in ctx.org_units:
        bad.append(("orgUnit", f"unknown org unit {unit!r}"))
    found = ctx.period(raw.period)
    if isinstance(found, str):
        bad.append(("period", found))
    elif data_set is not None and found[0].type is not data_set.period_type:
        bad.append(
            (
                "period",
                f"{found[1]} is {found[0].type}; data set {data_set.uid} takes "
                f"{data_set.period_type} periods",
            )
        )
    coc = raw.coc.strip()
    if element is not None:
        allowed = ctx.combos_of.get(element.combo, set())
        if not coc and element.combo == DEFAULT:
            coc = DEFAULT
        elif not coc:
            bad.append(
                (
                    "categoryOptionCombo",
                    f"missing: {element.uid} is disaggregated by {element.combo}",
                )
            )
        elif coc not in allowed:
            known = (
                "unknown category option combo"
                if coc not in ctx.catalog.option_combos
                else (f"not a disaggregation of {element.uid} ({element.combo})")
            )
            bad.append(("categoryOptionCombo", f"{known} {coc!r}"))
    aoc = raw.aoc.strip()
    if not aoc:
        aoc = data_set.mission if data_set is not None and data_set.mission else DEFAULT
    elif aoc != DEFAULT and aoc not in ctx.catalog.missions:
        bad.append(("attributeOptionCombo", f"unknown mission (attribute option combo) {aoc!r}"))
    deleted, followup = _flag(raw.deleted), _flag(raw.followup)
    if deleted is None:
        bad.append(("deleted", f"{raw.deleted!r} is not true or false"))
    if followup is None:
        bad.append(("followup", f"{raw.followup!r} is not true or false"))
    text, number = raw.value, None
    if element is not None and not (deleted and not raw.value):
        try:
            text, number = normalise_value(element.value_type, raw.value)
        except ValueError as exc:
            what = "" if element.value_type is ValueType.TEXT else f" ({element.value_type})"
            bad.append(("value", f"{exc}{what}"))
    times: list[datetime | None] = []
    for name, given in (("created", raw.created), ("lastUpdated", raw.last_updated)):
        try:
            times.append(parse_time(given) if given.strip() else None)
        except ValueError:
            bad.append((name, f"{given!r} is not an ISO 8601 date-time"))
    if bad or element is None or isinstance(found, str):
        return None
    period, pe = found
    return DataValue(
        element.uid,
        period,
        unit,
        coc,
        aoc,
        text,
        number,
        raw.stored_by or None,
        times[0],
        times[1],
        raw.comment or None,
        bool(followup),
        bool(deleted),
        pe,
    )


def validate_values(
    raws: Iterable[RawValue], catalog: Catalog, org_units: Collection[str], file: str
) -> tuple[list[DataValue], list[Problem]]:
    """Each raw row checked against the catalog and the org units, and no key twice."""
    ctx = _Context(catalog, org_units)
    values: list[DataValue] = []
    problems: list[Problem] = []
    first: dict[ValueKey, RawValue] = {}
    for raw in raws:
        bad: list[tuple[str, str]] = []
        value = _check_row(raw, ctx, bad)
        prefix = f"{raw.where}." if raw.where else ""
        problems.extend(Problem(m, file, raw.line, prefix + f) for f, m in bad)
        if value is None:
            continue
        earlier = first.setdefault(value.key, raw)
        if earlier is not raw:
            at = f"line {earlier.line}" if earlier.line is not None else earlier.where
            problems.append(
                Problem(
                    f"the same key {'/'.join(value.key)} is already on {at}",
                    file,
                    raw.line,
                    raw.where or None,
                )
            )
            continue
        values.append(value)
    return values, problems


class Lock(NamedTuple):
    """Days in which no value may change (both ends included), and why."""

    start: date
    end: date
    reason: str


def _locked(
    p: Period,
    ds: DataSet,
    today: date,
    settled: Sequence[Lock],
    reopened: Collection[tuple[str, str]],
) -> str | None:
    """Why period `p` of data set `ds` takes no changes (None: it does)."""
    if (ds.uid, p.id) in reopened:
        return None
    how = f"reopen it with `convenio data reopen {ds.uid} {p.id}`"
    for lock in settled:
        if p.start <= lock.end and lock.start <= p.end:
            return f"{p.id} is locked: {lock.reason}; {how}"
    last = p.end + timedelta(days=ds.expiry_days)
    if ds.expiry_days and today > last:
        return (
            f"{p.id} is locked: data set {ds.uid} took changes until {last} "
            f"({ds.expiry_days} days after the period); {how}"
        )
    return None


def lock_problems(
    changes: Sequence[tuple[DataValue, int | None, str]],
    data_sets: Mapping[str, DataSet],
    today: date,
    settled: Sequence[Lock],
    reopened: Collection[tuple[str, str]],
    file: str,
) -> list[Problem]:
    """Problems for changes (value, line, where) to locked periods.

    A period is locked for a data set once `today` is more than its expiry days after
    the period's last day, and for every data set while it overlaps a settled period
    (`settled`) — unless it was reopened for the data set: (data set uid, period id) in
    `reopened`. A change let through into a settled period is the settlement run's to
    take in when it is reopened (`convenio settle PERIOD --reopen`).
    """
    problems: list[Problem] = []
    why: dict[tuple[str, str], str | None] = {}  # (data set, period) → reason locked
    for value, line, where in changes:
        ds = data_sets[value.element]
        reason = why.get((ds.uid, value.pe), "")
        if reason == "":
            reason = why[ds.uid, value.pe] = _locked(value.period, ds, today, settled, reopened)
        if reason is not None:
            field_name = f"{where}.period" if where else "period"
            problems.append(Problem(reason, file, line, field_name))
    return problems
