"""Cooperants, deployments and the months converted into services deliveries; the
person-level cases of the eye-surgery and literacy pathways, with their personal data in a
table of its own (sealed, never in the clear).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_refs",
        sa.Column("pseudonym", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint("pseudonym", name=op.f("pk_case_refs")),
        sa.UniqueConstraint("case_id", name=op.f("uq_case_refs_case_id")),
    )
    op.create_table(
        "cooperants",
        sa.Column("id", sa.String(length=50), nullable=False),
        sa.Column("profession", sa.String(length=50), nullable=False),
        sa.Column("party", sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cooperants")),
    )
    op.create_table(
        "services_conversion_months",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("converted_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_services_conversion_months")),
    )
    op.create_table(
        "cases",
        sa.Column("pseudonym", sa.String(length=32), nullable=False),
        sa.Column("pathway", sa.String(length=20), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pseudonym"], ["case_refs.pseudonym"], name=op.f("fk_cases_pseudonym_case_refs")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_units.id"], name=op.f("fk_cases_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("pseudonym", name=op.f("pk_cases")),
    )
    op.create_table(
        "deployments",
        sa.Column("id", sa.String(length=50), nullable=False),
        sa.Column("cooperant_id", sa.String(length=50), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("mission_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cooperant_id"], ["cooperants.id"], name=op.f("fk_deployments_cooperant_id_cooperants")
        ),
        sa.ForeignKeyConstraint(
            ["mission_id"], ["missions.id"], name=op.f("fk_deployments_mission_id_missions")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_units.id"], name=op.f("fk_deployments_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployments")),
    )
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deployments_cooperant_id"), ["cooperant_id"], unique=False
        )

    op.create_table(
        "services_conversions",
        sa.Column("delivery_id", sa.String(length=100), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("item", sa.String(length=50), nullable=False),
        sa.Column("supplier", sa.String(length=50), nullable=False),
        sa.Column("recipient", sa.String(length=50), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["month"],
            ["services_conversion_months.month"],
            name=op.f("fk_services_conversions_month_services_conversion_months"),
        ),
        sa.PrimaryKeyConstraint("delivery_id", name=op.f("pk_services_conversions")),
    )
    with op.batch_alter_table("services_conversions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_services_conversions_month"), ["month"], unique=False)

    op.create_table(
        "case_events",
        sa.Column("pseudonym", sa.String(length=32), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("stage_index", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pseudonym"], ["cases.pseudonym"], name=op.f("fk_case_events_pseudonym_cases")
        ),
        sa.PrimaryKeyConstraint("pseudonym", "stage", name=op.f("pk_case_events")),
    )
    op.create_table(
        "case_people",
        sa.Column("pseudonym", sa.String(length=32), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pseudonym"], ["cases.pseudonym"], name=op.f("fk_case_people_pseudonym_cases")
        ),
        sa.PrimaryKeyConstraint("pseudonym", name=op.f("pk_case_people")),
    )


def downgrade() -> None:
    op.drop_table("case_people")
    op.drop_table("case_events")
    with op.batch_alter_table("services_conversions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_services_conversions_month"))

    op.drop_table("services_conversions")
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deployments_cooperant_id"))

    op.drop_table("deployments")
    op.drop_table("cases")
    op.drop_table("services_conversion_months")
    op.drop_table("cooperants")
    op.drop_table("case_refs")
