"""Tables of the missions: org units and their history, metadata, periods, data values.

Shaped like DHIS2's own store, so that a PostgreSQL installation answers analytics with
plain joins and GROUP BY: every object has an integer `id` and its text `uid`; data
values are keyed by integers (element, period, org unit, category option combo,
attribute option combo = mission). `periods` carries, for each period, the id of the
period of every type it rolls up into (DHIS2's `_periodstructure`), and
`org_unit_ancestors` each unit's ancestor at each level for each stretch of time
(`_orgunitstructure`, with history). Numbers are BIGINT millionths (`value_num`),
exact on every backend; times are milliseconds since the Unix epoch (UTC).
`missions_state.data_version` counts changes, so the DuckDB mirror knows when it is stale.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from convenio.periods import PeriodType
from convenio.store.tables import metadata

__all__ = [
    "ROLLUP_COLUMNS",
    "categories",
    "category_combo_items",
    "category_combos",
    "category_items",
    "category_option_combo_items",
    "category_option_combos",
    "category_options",
    "data_elements",
    "data_set_elements",
    "data_sets",
    "data_values",
    "indicator_targets",
    "indicators",
    "lock_exceptions",
    "missions",
    "missions_state",
    "org_unit_ancestors",
    "org_unit_group_members",
    "org_unit_groups",
    "org_unit_levels",
    "org_unit_versions",
    "org_units",
    "periods",
]

ROLLUP_COLUMNS: Final = {t: t.value.lower() for t in PeriodType}
"""The column of `periods` holding the enclosing period of each type."""


def _named(name: str, *extra: Column[Any]) -> Table:
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("uid", String(50), nullable=False, unique=True),
        Column("name", Text, nullable=False),
        *extra,
    )


org_units = Table(
    "org_units",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("uid", String(50), nullable=False, unique=True),
)

org_unit_versions = Table(
    "org_unit_versions",
    metadata,
    Column("unit_id", Integer, ForeignKey("org_units.id"), primary_key=True),
    Column("valid_from", Date, primary_key=True),
    Column("valid_to", Date, nullable=False),
    Column("parent_id", Integer, ForeignKey("org_units.id"), nullable=True),
    Column("level", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("code", String(50), nullable=True),
)

org_unit_ancestors = Table(
    "org_unit_ancestors",
    metadata,
    Column("unit_id", Integer, primary_key=True),
    Column("ancestor_level", Integer, primary_key=True),
    Column("valid_from", Date, primary_key=True),
    Column("valid_to", Date, nullable=False),
    Column("ancestor_id", Integer, nullable=False, index=True),
)

org_unit_levels = Table(
    "org_unit_levels",
    metadata,
    Column("level", Integer, primary_key=True, autoincrement=False),
    Column("name", Text, nullable=False),
)

org_unit_groups = _named("org_unit_groups")

org_unit_group_members = Table(
    "org_unit_group_members",
    metadata,
    Column("group_id", Integer, ForeignKey("org_unit_groups.id"), primary_key=True),
    Column("unit_id", Integer, ForeignKey("org_units.id"), primary_key=True),
)

missions = _named("missions")
category_options = _named("category_options")
categories = _named("categories")
category_combos = _named("category_combos")

category_items = Table(
    "category_items",
    metadata,
    Column("category_id", Integer, ForeignKey("categories.id"), primary_key=True),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("option_id", Integer, ForeignKey("category_options.id"), nullable=False),
)

category_combo_items = Table(
    "category_combo_items",
    metadata,
    Column("combo_id", Integer, ForeignKey("category_combos.id"), primary_key=True),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("category_id", Integer, ForeignKey("categories.id"), nullable=False),
)

category_option_combos = _named(
    "category_option_combos",
    Column("combo_id", Integer, ForeignKey("category_combos.id"), nullable=False),
)

category_option_combo_items = Table(
    "category_option_combo_items",
    metadata,
    Column("coc_id", Integer, ForeignKey("category_option_combos.id"), primary_key=True),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("option_id", Integer, ForeignKey("category_options.id"), nullable=False),
)

data_elements = _named(
    "data_elements",
    Column("code", String(50), nullable=True),
    Column("value_type", String(16), nullable=False),
    Column("aggregation", String(16), nullable=False),
    Column("combo_id", Integer, ForeignKey("category_combos.id"), nullable=False),
)

data_sets = _named(
    "data_sets",
    Column("period_type", String(20), nullable=False),
    Column("expiry_days", Integer, nullable=False),
    Column("mission_id", Integer, ForeignKey("missions.id"), nullable=True),
)

data_set_elements = Table(
    "data_set_elements",
    metadata,
    Column("data_set_id", Integer, ForeignKey("data_sets.id"), primary_key=True),
    Column("element_id", Integer, ForeignKey("data_elements.id"), primary_key=True),
    Column("position", Integer, nullable=False),
    UniqueConstraint("element_id", name="uq_data_set_elements_element_id"),
)

indicators = _named(
    "indicators",
    Column("numerator", Text, nullable=False),
    Column("denominator", Text, nullable=False),
    Column("factor", Integer, nullable=False),
    Column("decimals", Integer, nullable=False),
    Column("flag_op", String(2), nullable=True),
    Column("flag_value", String(40), nullable=True),
    Column("flag_label", Text, nullable=True),
    Column("description", Text, nullable=False),
)

indicator_targets = Table(
    "indicator_targets",
    metadata,
    Column("indicator_id", Integer, ForeignKey("indicators.id"), primary_key=True),
    Column("unit_id", Integer, ForeignKey("org_units.id"), primary_key=True),
    Column("period", String(20), primary_key=True),
    Column("value", String(40), nullable=False),
)

periods = Table(
    "periods",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("uid", String(20), nullable=False, unique=True),
    Column("period_type", String(20), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    *(Column(name, String(20), nullable=True) for name in ROLLUP_COLUMNS.values()),
)

data_values = Table(
    "data_values",
    metadata,
    Column("element_id", Integer, ForeignKey("data_elements.id"), primary_key=True),
    Column("period_id", Integer, ForeignKey("periods.id"), primary_key=True),
    Column("unit_id", Integer, ForeignKey("org_units.id"), primary_key=True),
    Column("coc_id", Integer, ForeignKey("category_option_combos.id"), primary_key=True),
    Column("aoc_id", Integer, ForeignKey("missions.id"), primary_key=True),
    Column("value", Text, nullable=False),
    Column("value_num", BigInteger, nullable=True),
    Column("stored_by", String(100), nullable=True),
    Column("created", BigInteger, nullable=False),
    Column("last_updated", BigInteger, nullable=False),
    Column("comment", Text, nullable=True),
    Column("followup", Boolean, nullable=False),
)

lock_exceptions = Table(
    "lock_exceptions",
    metadata,
    Column("data_set_id", Integer, ForeignKey("data_sets.id"), primary_key=True),
    Column("period", String(20), primary_key=True),
    Column("reopened_at", BigInteger, nullable=False),
)

missions_state = Table(
    "missions_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("data_version", BigInteger, nullable=False),
)
