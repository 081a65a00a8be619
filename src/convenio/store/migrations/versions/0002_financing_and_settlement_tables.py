"""Financing and settlement tables: terms documents, prices, deliveries, tranches, claims,
payments, accruals, settlement runs and their allocations.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "claims",
        sa.Column("id", sa.String(length=160), nullable=False),
        sa.Column("creditor", sa.String(length=64), nullable=False),
        sa.Column("debtor", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=24), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=24), nullable=False),
        sa.Column("issued", sa.Date(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=160), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
    )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index(
            "ix_claims_parties_issued", ["creditor", "debtor", "issued"], unique=False
        )

    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(length=120), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("supplier", sa.String(length=64), nullable=False),
        sa.Column("recipient", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("item", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("unit", sa.String(length=24), nullable=False),
        sa.Column("price", sa.String(length=40), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("version_id", sa.String(length=100), nullable=False),
        sa.Column("currency", sa.String(length=24), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("price_used", sa.String(length=40), nullable=False),
        sa.Column("price_source", sa.String(length=24), nullable=False),
        sa.Column("reference_price", sa.String(length=40), nullable=True),
        sa.Column("financed", sa.BigInteger(), nullable=False),
        sa.Column("short_term", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deliveries_date"), ["date"], unique=False)

    op.create_table(
        "payments",
        sa.Column("id", sa.String(length=120), nullable=False),
        sa.Column("payer", sa.String(length=64), nullable=False),
        sa.Column("payee", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=24), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_date"), ["date"], unique=False)

    op.create_table(
        "price_points",
        sa.Column("series", sa.String(length=100), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("price", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("series", "date", name=op.f("pk_price_points")),
    )
    op.create_table(
        "settlement_runs",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("party_a", sa.String(length=64), nullable=False),
        sa.Column("party_b", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=24), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("transactions", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("reversed_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_runs")),
    )
    with op.batch_alter_table("settlement_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_settlement_runs_period", ["period", "party_a", "party_b"], unique=False
        )

    op.create_table(
        "terms_documents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("agreement_id", sa.String(length=100), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("loaded_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terms_documents")),
        sa.UniqueConstraint("digest", name=op.f("uq_terms_documents_digest")),
    )
    with op.batch_alter_table("terms_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_terms_documents_agreement_id"), ["agreement_id"], unique=False
        )

    op.create_table(
        "allocations",
        sa.Column("run_id", sa.String(length=200), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.String(length=160), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("against", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_allocations_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["settlement_runs.id"], name=op.f("fk_allocations_run_id_settlement_runs")
        ),
        sa.PrimaryKeyConstraint("run_id", "idx", name=op.f("pk_allocations")),
    )
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_allocations_claim_id"), ["claim_id"], unique=False)

    op.create_table(
        "tranches",
        sa.Column("id", sa.String(length=140), nullable=False),
        sa.Column("delivery_id", sa.String(length=120), nullable=False),
        sa.Column("creditor", sa.String(length=64), nullable=False),
        sa.Column("debtor", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=24), nullable=False),
        sa.Column("principal", sa.BigInteger(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("maturity", sa.Date(), nullable=False),
        sa.Column("loan", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["deliveries.id"], name=op.f("fk_tranches_delivery_id_deliveries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tranches")),
    )
    op.create_table(
        "accruals",
        sa.Column("tranche_id", sa.String(length=140), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tranche_id"], ["tranches.id"], name=op.f("fk_accruals_tranche_id_tranches")
        ),
        sa.PrimaryKeyConstraint("tranche_id", "month", name=op.f("pk_accruals")),
    )


def downgrade() -> None:
    op.drop_table("accruals")
    op.drop_table("tranches")
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_allocations_claim_id"))

    op.drop_table("allocations")
    with op.batch_alter_table("terms_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_terms_documents_agreement_id"))

    op.drop_table("terms_documents")
    with op.batch_alter_table("settlement_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_settlement_runs_period")

    op.drop_table("settlement_runs")
    op.drop_table("price_points")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_date"))

    op.drop_table("payments")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deliveries_date"))

    op.drop_table("deliveries")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index("ix_claims_parties_issued")

    op.drop_table("claims")
