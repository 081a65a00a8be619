"""Missions: the programmes whose services pay for the oil, monitored the way DHIS2 does.

Org units (`orgunits`: a hierarchy of any depth whose changes keep their history),
metadata (`metadata`, read from a file by `metadata_file`: data elements with value
types and disaggregations, data sets with period types and expiry, missions as
attribute option combos), aggregate data values (`values`: checked exactly against the
metadata, locked periods refused), DHIS2's file formats (`dhis2`) and indicators
(`indicators`, over formulas of `expressions`). Pure: no I/O beyond the streams handed
in, no database; the store and analytics sit at the edge.
"""

from convenio.missions.dhis2 import CSV_COLUMNS, parse_csv, parse_json, write_csv, write_json
from convenio.missions.expressions import (
    Expression,
    ExpressionError,
    Item,
    evaluate,
    items_of,
    parse_expression,
)
from convenio.missions.indicators import Flag, Indicator, IndicatorValue, Target
from convenio.missions.metadata import (
    DEFAULT,
    AggregationType,
    Catalog,
    Category,
    CategoryCombo,
    CategoryOption,
    DataElement,
    DataSet,
    Level,
    Mission,
    OptionCombo,
    OrgUnitGroup,
    ValueType,
    check_catalog,
)
from convenio.missions.metadata_file import MetadataDocument, merge_metadata, parse_metadata
from convenio.missions.orgunits import (
    BEGINNING,
    OPEN_END,
    AncestorSpan,
    Hierarchy,
    OrgUnitRow,
    OrgUnitVersion,
    apply_rows,
    parse_orgunits_csv,
)
from convenio.missions.values import (
    VALUE_SCALE,
    DataValue,
    Lock,
    RawValue,
    ValueKey,
    format_number,
    lock_problems,
    normalise_value,
    validate_values,
)

__all__ = [
    "BEGINNING",
    "CSV_COLUMNS",
    "DEFAULT",
    "OPEN_END",
    "VALUE_SCALE",
    "AggregationType",
    "AncestorSpan",
    "Catalog",
    "Category",
    "CategoryCombo",
    "CategoryOption",
    "DataElement",
    "DataSet",
    "DataValue",
    "Expression",
    "ExpressionError",
    "Flag",
    "Hierarchy",
    "Indicator",
    "IndicatorValue",
    "Item",
    "Level",
    "Lock",
    "MetadataDocument",
    "Mission",
    "OptionCombo",
    "OrgUnitGroup",
    "OrgUnitRow",
    "OrgUnitVersion",
    "RawValue",
    "Target",
    "ValueKey",
    "ValueType",
    "apply_rows",
    "check_catalog",
    "evaluate",
    "format_number",
    "items_of",
    "lock_problems",
    "merge_metadata",
    "normalise_value",
    "parse_csv",
    "parse_expression",
    "parse_json",
    "parse_metadata",
    "parse_orgunits_csv",
    "validate_values",
    "write_csv",
    "write_json",
]
