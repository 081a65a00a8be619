"""DHIS2's data value files: the `dataValueSets` JSON document and the CSV form.

Reading gives `RawValue` rows (text, located by line or by ``dataValues[i]``) for
`convenio.missions.values.validate_values`; a file that is not well-formed is one
problem naming the line and column. Writing produces what DHIS2 itself exports, so a
file goes both ways unchanged: JSON with DHIS2's field names (``dataElement``,
``period``, ``orgUnit``, ``categoryOptionCombo``, ``attributeOptionCombo``, ``value``,
``storedBy``, ``created``, ``lastUpdated``, ``comment``, ``followup``) and every value
a string; CSV in DHIS2's column order (`CSV_COLUMNS`; DHIS2's CSV has no ``created``).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import Any, Final, TextIO

from convenio.errors import Problem
from convenio.missions.values import DataValue, RawValue, format_time

__all__ = ["CSV_COLUMNS", "JSON_FIELDS", "parse_csv", "parse_json", "write_csv", "write_json"]

CSV_COLUMNS: Final = (
    "dataelement",
    "period",
    "orgunit",
    "categoryoptioncombo",
    "attributeoptioncombo",
    "value",
    "storedby",
    "lastupdated",
    "comment",
    "followup",
    "deleted",
)
"""DHIS2's CSV header, in its order (DHIS2 reads the columns by position)."""

JSON_FIELDS: Final = (
    "dataElement",
    "period",
    "orgUnit",
    "categoryOptionCombo",
    "attributeOptionCombo",
    "value",
    "storedBy",
    "created",
    "lastUpdated",
    "comment",
    "followup",
    "deleted",
)

_CSV_ALIASES: Final = {
    "catoptcombo": "categoryoptioncombo",
    "attroptcombo": "attributeoptioncombo",
    "created": "created",
    **{c: c for c in CSV_COLUMNS},
}
# RawValue field for each CSV column and JSON field.
_RAW_OF_CSV: Final = dict(
    zip(
        (*CSV_COLUMNS, "created"),
        (
            "data_element",
            "period",
            "org_unit",
            "coc",
            "aoc",
            "value",
            "stored_by",
            "last_updated",
            "comment",
            "followup",
            "deleted",
            "created",
        ),
        strict=True,
    )
)
_RAW_OF_JSON: Final = dict(
    zip(
        JSON_FIELDS,
        (
            "data_element",
            "period",
            "org_unit",
            "coc",
            "aoc",
            "value",
            "stored_by",
            "created",
            "last_updated",
            "comment",
            "followup",
            "deleted",
        ),
        strict=True,
    )
)
_MIN_POSITIONAL: Final = 6  # dataelement … value
_EMPTY: Final = RawValue("", "", "")
_TEXT_FIELDS: Final = RawValue._fields[:12]  # the text fields, in order


def parse_csv(stream: Iterable[str], file: str) -> tuple[list[RawValue], list[Problem]]:
    """Rows of a DHIS2 CSV file. With a header (first cell ``dataelement``) the columns
    are read by name, in any order; without one, by position in DHIS2's order."""
    reader = csv.reader(stream)
    first = next(reader, None)
    if first is None:
        return [], []
    problems: list[Problem] = []
    names = [cell.strip().lower() for cell in first]
    if names and names[0] in ("dataelement", "data_element"):
        names = ["dataelement" if n == "data_element" else n for n in names]
        unknown = [n for n in names if n not in _CSV_ALIASES]
        columns = [_RAW_OF_CSV.get(_CSV_ALIASES.get(n, ""), "") for n in names]
        missing = [
            c
            for c in ("dataelement", "period", "orgunit", "value")
            if c not in (_CSV_ALIASES.get(n) for n in names)
        ]
        if unknown or missing:
            what = "; ".join(
                part
                for part in (
                    f"unknown column(s) {', '.join(unknown)}" if unknown else "",
                    f"missing {', '.join(missing)}" if missing else "",
                )
                if part
            )
            return [], [Problem(f"header: {what}; expected {','.join(CSV_COLUMNS)}", file, 1)]
        rows: Iterable[tuple[int, list[str]]] = enumerate(reader, start=2)
    else:
        columns = [_RAW_OF_CSV[c] for c in CSV_COLUMNS]
        rows = enumerate([first, *reader], start=1)
    raws: list[RawValue] = []
    width = len(columns)
    picks = [columns.index(f) if f in columns else None for f in _TEXT_FIELDS]
    for line, record in rows:
        if not record or not any(cell.strip() for cell in record):
            continue
        if len(record) > width or len(record) < min(width, _MIN_POSITIONAL):
            problems.append(Problem(f"{len(record)} fields, expected {width}", file, line))
            continue
        cells = [record[i] if i is not None and i < len(record) else "" for i in picks]
        raws.append(RawValue._make([*cells, line, ""]))
    return raws, problems


def _text(value: Any) -> str | None:
    """A JSON scalar as text (numbers keep their exact digits); None if not a scalar."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def parse_json(text: str, file: str) -> tuple[list[RawValue], list[Problem]]:
    """Rows of a DHIS2 ``dataValueSets`` JSON document.

    ``period``, ``orgUnit`` and ``attributeOptionCombo`` at the top apply to values that
    lack them. A document that is not well-formed JSON, or not shaped like
    ``{"dataValues": [{…}, …]}``, is refused as a whole.
    """
    try:
        # Numbers stay text, so 1.10 is exactly "1.10", never a float.
        document = json.loads(text, parse_float=str, parse_int=str, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        message = f"not well-formed JSON: {exc.msg} (column {exc.colno})"
        return [], [Problem(message, file, exc.lineno)]
    except ValueError as exc:
        return [], [Problem(f"not well-formed JSON: {exc}", file)]
    except RecursionError:
        return [], [Problem("not usable JSON: nested too deeply", file)]
    if not isinstance(document, dict):
        return [], [Problem("a dataValueSets document is a JSON object", file, 1)]
    entries = document.get("dataValues")
    if not isinstance(entries, list):
        return [], [Problem("expected a list of data values", file, field="dataValues")]
    defaults: dict[str, str] = {}
    problems: list[Problem] = []
    for name in ("period", "orgUnit", "attributeOptionCombo"):
        given = _text(document.get(name))
        if given is None:
            problems.append(Problem("expected text", file, field=name))
        elif given:
            defaults[_RAW_OF_JSON[name]] = given
    raws: list[RawValue] = []
    for i, entry in enumerate(entries):
        where = f"dataValues[{i}]"
        if not isinstance(entry, dict):
            problems.append(Problem("expected an object", file, field=where))
            continue
        fields: dict[str, Any] = dict(defaults)
        for name, raw_name in _RAW_OF_JSON.items():
            if name in entry:
                given = _text(entry[name])
                if given is None:
                    problems.append(
                        Problem(
                            "expected text, a number or a boolean", file, field=f"{where}.{name}"
                        )
                    )
                    given = ""
                fields[raw_name] = given
        fields.setdefault("data_element", "")
        fields.setdefault("period", "")
        fields.setdefault("org_unit", "")
        raws.append(_EMPTY._replace(**fields, where=where))
    return raws, problems


def _row(v: DataValue) -> tuple[str, ...]:
    return (
        v.element,
        v.pe,
        v.org_unit,
        v.coc,
        v.aoc,
        v.value,
        v.stored_by or "",
        format_time(v.last_updated) if v.last_updated else "",
        v.comment or "",
        "true" if v.followup else "false",
        "false",
    )


def write_csv(values: Iterable[DataValue], stream: TextIO) -> int:
    """DHIS2 CSV with its header; returns the number of values written."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for v in values:
        writer.writerow(_row(v))
        count += 1
    return count


def write_json(values: Iterable[DataValue], stream: TextIO) -> int:
    """A ``dataValueSets`` JSON document, one value per line; returns how many."""
    stream.write('{"dataValues": [')
    count = 0
    for v in values:
        entry: dict[str, object] = {
            "dataElement": v.element,
            "period": v.pe,
            "orgUnit": v.org_unit,
            "categoryOptionCombo": v.coc,
            "attributeOptionCombo": v.aoc,
            "value": v.value,
        }
        if v.stored_by:
            entry["storedBy"] = v.stored_by
        if v.created:
            entry["created"] = format_time(v.created)
        if v.last_updated:
            entry["lastUpdated"] = format_time(v.last_updated)
        if v.comment:
            entry["comment"] = v.comment
        entry["followup"] = v.followup
        stream.write(("\n  " if count == 0 else ",\n  ") + json.dumps(entry, ensure_ascii=False))
        count += 1
    stream.write("\n]}\n" if count else "]}\n")
    return count
