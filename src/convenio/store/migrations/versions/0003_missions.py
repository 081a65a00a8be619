"""Missions: org units with their history, metadata, periods, data values, lock
exceptions, and the data version that keeps the DuckDB analytics mirror in step.

Also inserts DHIS2's defaults (the default category combo, its one option combo, the
default attribute option combo) and the data version 0.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "categories",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uid", sa.String(length=50), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categories")),
        sa.UniqueConstraint("uid", name=op.f("uq_categories_uid")),
    )
    op.create_table(
        "category_combos",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uid", sa.String(length=50), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category_combos")),
        sa.UniqueConstraint("uid", name=op.f("uq_category_combos_uid")),
    )
    op.create_table(
        "category_options",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uid", sa.String(length=50), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category_options")),
        sa.UniqueConstraint("uid", name=op.f("uq_category_options_uid")),
    )
    op.create_table(
        "indicators",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uid", sa.String(length=50), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("numerator", sa.Text(), nullable=False),
        sa.Column("denominator", sa.Text(), nullable=False),
        sa.Column("factor", sa.Integer(), nullable=False),
        sa.Column("decimals", sa.Integer(), nullable=False),
        sa.Column("flag_op", sa.String(length=2), nullable=True),
        sa.Column("flag_value", sa.String(length=40), nullable=True),
        sa.Column("flag_label", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicators")),
        sa.UniqueConstraint("uid", name=op.f("uq_indicators_uid")),
    )
    op.create_table(
        "missions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uid", sa.String(length=50), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_missions")),
        sa.UniqueConstraint("uid", name=op.f("uq_missions_uid")),
    )
    op.create_table(
        "missions_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data_version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_missions_state")),
    )
    op.create_table(
        "org_unit_ancestors",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("ancestor_level", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("ancestor_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "unit_id", "ancestor_level", "valid_from", name=op.f("pk_org_unit_ancestors")
        ),
    )
    with op.batch_alter_table("org_unit_ancestors", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_org_unit_ancestors_ancestor_id"), ["ancestor_id"], unique=False
        )

    op.create_table(
        "org_unit_groups",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uid", sa.String(length=50), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_unit_groups")),
        sa.UniqueConstraint("uid", name=op.f("uq_org_unit_groups_uid")),
    )
    op.create_table(
        "org_unit_levels",
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("level", name=op.f("pk_org_unit_levels")),
    )
    op.create_table(
        "org_units",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uid", sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_units")),
        sa.UniqueConstraint("uid", name=op.f("uq_org_units_uid")),
    )
    op.create_table(
        "periods",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uid", sa.String(length=20), nullable=False),
        sa.Column("period_type", sa.String(length=20), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("daily", sa.String(length=20), nullable=True),
        sa.Column("weekly", sa.String(length=20), nullable=True),
        sa.Column("monthly", sa.String(length=20), nullable=True),
        sa.Column("quarterly", sa.String(length=20), nullable=True),
        sa.Column("sixmonthly", sa.String(length=20), nullable=True),
        sa.Column("yearly", sa.String(length=20), nullable=True),
        sa.Column("financialapril", sa.String(length=20), nullable=True),
        sa.Column("financialjuly", sa.String(length=20), nullable=True),
        sa.Column("financialoct", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_periods")),
        sa.UniqueConstraint("uid", name=op.f("uq_periods_uid")),
    )
    op.create_table(
        "category_combo_items",
        sa.Column("combo_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_category_combo_items_category_id_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["combo_id"],
            ["category_combos.id"],
            name=op.f("fk_category_combo_items_combo_id_category_combos"),
        ),
        sa.PrimaryKeyConstraint("combo_id", "position", name=op.f("pk_category_combo_items")),
    )
    op.create_table(
        "category_items",
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("option_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_category_items_category_id_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["option_id"],
            ["category_options.id"],
            name=op.f("fk_category_items_option_id_category_options"),
        ),
        sa.PrimaryKeyConstraint("category_id", "position", name=op.f("pk_category_items")),
    )
    op.create_table(
        "category_option_combos",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uid", sa.String(length=50), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("combo_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["combo_id"],
            ["category_combos.id"],
            name=op.f("fk_category_option_combos_combo_id_category_combos"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category_option_combos")),
        sa.UniqueConstraint("uid", name=op.f("uq_category_option_combos_uid")),
    )
    op.create_table(
        "data_elements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uid", sa.String(length=50), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=True),
        sa.Column("value_type", sa.String(length=16), nullable=False),
        sa.Column("aggregation", sa.String(length=16), nullable=False),
        sa.Column("combo_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["combo_id"],
            ["category_combos.id"],
            name=op.f("fk_data_elements_combo_id_category_combos"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_elements")),
        sa.UniqueConstraint("uid", name=op.f("uq_data_elements_uid")),
    )
    op.create_table(
        "data_sets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uid", sa.String(length=50), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("period_type", sa.String(length=20), nullable=False),
        sa.Column("expiry_days", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["mission_id"], ["missions.id"], name=op.f("fk_data_sets_mission_id_missions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_sets")),
        sa.UniqueConstraint("uid", name=op.f("uq_data_sets_uid")),
    )
    op.create_table(
        "indicator_targets",
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicators.id"],
            name=op.f("fk_indicator_targets_indicator_id_indicators"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_units.id"], name=op.f("fk_indicator_targets_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint(
            "indicator_id", "unit_id", "period", name=op.f("pk_indicator_targets")
        ),
    )
    op.create_table(
        "org_unit_group_members",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["org_unit_groups.id"],
            name=op.f("fk_org_unit_group_members_group_id_org_unit_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_units.id"], name=op.f("fk_org_unit_group_members_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("group_id", "unit_id", name=op.f("pk_org_unit_group_members")),
    )
    op.create_table(
        "org_unit_versions",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["org_units.id"], name=op.f("fk_org_unit_versions_parent_id_org_units")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_units.id"], name=op.f("fk_org_unit_versions_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("unit_id", "valid_from", name=op.f("pk_org_unit_versions")),
    )
    op.create_table(
        "category_option_combo_items",
        sa.Column("coc_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("option_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["coc_id"],
            ["category_option_combos.id"],
            name=op.f("fk_category_option_combo_items_coc_id_category_option_combos"),
        ),
        sa.ForeignKeyConstraint(
            ["option_id"],
            ["category_options.id"],
            name=op.f("fk_category_option_combo_items_option_id_category_options"),
        ),
        sa.PrimaryKeyConstraint("coc_id", "position", name=op.f("pk_category_option_combo_items")),
    )
    op.create_table(
        "data_set_elements",
        sa.Column("data_set_id", sa.Integer(), nullable=False),
        sa.Column("element_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["data_set_id"],
            ["data_sets.id"],
            name=op.f("fk_data_set_elements_data_set_id_data_sets"),
        ),
        sa.ForeignKeyConstraint(
            ["element_id"],
            ["data_elements.id"],
            name=op.f("fk_data_set_elements_element_id_data_elements"),
        ),
        sa.PrimaryKeyConstraint("data_set_id", "element_id", name=op.f("pk_data_set_elements")),
        sa.UniqueConstraint("element_id", name="uq_data_set_elements_element_id"),
    )
    op.create_table(
        "data_values",
        sa.Column("element_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("coc_id", sa.Integer(), nullable=False),
        sa.Column("aoc_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("value_num", sa.BigInteger(), nullable=True),
        sa.Column("stored_by", sa.String(length=100), nullable=True),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("last_updated", sa.BigInteger(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("followup", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["aoc_id"], ["missions.id"], name=op.f("fk_data_values_aoc_id_missions")
        ),
        sa.ForeignKeyConstraint(
            ["coc_id"],
            ["category_option_combos.id"],
            name=op.f("fk_data_values_coc_id_category_option_combos"),
        ),
        sa.ForeignKeyConstraint(
            ["element_id"],
            ["data_elements.id"],
            name=op.f("fk_data_values_element_id_data_elements"),
        ),
        sa.ForeignKeyConstraint(
            ["period_id"], ["periods.id"], name=op.f("fk_data_values_period_id_periods")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_units.id"], name=op.f("fk_data_values_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint(
            "element_id", "period_id", "unit_id", "coc_id", "aoc_id", name=op.f("pk_data_values")
        ),
    )
    op.create_table(
        "lock_exceptions",
        sa.Column("data_set_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("reopened_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["data_set_id"], ["data_sets.id"], name=op.f("fk_lock_exceptions_data_set_id_data_sets")
        ),
        sa.PrimaryKeyConstraint("data_set_id", "period", name=op.f("pk_lock_exceptions")),
    )
    _insert_defaults()


def _insert_defaults() -> None:
    combo = sa.table("category_combos", sa.column("id"), sa.column("uid"), sa.column("name"))
    coc = sa.table(
        "category_option_combos",
        sa.column("id"),
        sa.column("uid"),
        sa.column("name"),
        sa.column("combo_id"),
    )
    mission = sa.table("missions", sa.column("id"), sa.column("uid"), sa.column("name"))
    state = sa.table("missions_state", sa.column("id"), sa.column("data_version"))
    op.bulk_insert(combo, [{"id": 1, "uid": "default", "name": "default"}])
    op.bulk_insert(coc, [{"id": 1, "uid": "default", "name": "default", "combo_id": 1}])
    op.bulk_insert(mission, [{"id": 1, "uid": "default", "name": "default"}])
    op.bulk_insert(state, [{"id": 1, "data_version": 0}])
    if op.get_bind().dialect.name == "postgresql":
        for table in ("category_combos", "category_option_combos", "missions"):
            op.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 1)")


def downgrade() -> None:
    op.drop_table("lock_exceptions")
    op.drop_table("data_values")
    op.drop_table("data_set_elements")
    op.drop_table("category_option_combo_items")
    op.drop_table("org_unit_versions")
    op.drop_table("org_unit_group_members")
    op.drop_table("indicator_targets")
    op.drop_table("data_sets")
    op.drop_table("data_elements")
    op.drop_table("category_option_combos")
    op.drop_table("category_items")
    op.drop_table("category_combo_items")
    op.drop_table("periods")
    op.drop_table("org_units")
    op.drop_table("org_unit_levels")
    op.drop_table("org_unit_groups")
    with op.batch_alter_table("org_unit_ancestors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_org_unit_ancestors_ancestor_id"))

    op.drop_table("org_unit_ancestors")
    op.drop_table("missions_state")
    op.drop_table("missions")
    op.drop_table("indicators")
    op.drop_table("category_options")
    op.drop_table("category_combos")
    op.drop_table("categories")
