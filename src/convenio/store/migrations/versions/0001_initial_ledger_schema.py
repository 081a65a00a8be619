"""Initial ledger schema: units, accounts, transactions, postings, derived day/year totals
and the ledger head row that writers lock.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_head",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_head")),
    )
    op.create_table(
        "transactions",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("metadata", sa.Text(), nullable=False),
        sa.Column("reverses", sa.String(length=200), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_transactions")),
        sa.UniqueConstraint("id", name=op.f("uq_transactions_id")),
    )
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transactions_recorded_at"), ["recorded_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_transactions_reverses"), ["reverses"], unique=False)

    op.create_table(
        "units",
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("scale", sa.SmallInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_units")),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("party", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=24), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("floor", sa.BigInteger(), nullable=True),
        sa.Column("ceiling", sa.BigInteger(), nullable=True),
        sa.Column("opened_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["unit"], ["units.code"], name=op.f("fk_accounts_unit_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("name", name=op.f("uq_accounts_name")),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accounts_party"), ["party"], unique=False)

    op.create_table(
        "account_days",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_account_days_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", "day", name=op.f("pk_account_days")),
    )
    op.create_table(
        "account_years",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_account_years_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", "year", name=op.f("pk_account_years")),
    )
    op.create_table(
        "postings",
        sa.Column("txn_seq", sa.BigInteger(), nullable=False),
        sa.Column("idx", sa.SmallInteger(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_postings_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["txn_seq"], ["transactions.seq"], name=op.f("fk_postings_txn_seq_transactions")
        ),
        sa.PrimaryKeyConstraint("txn_seq", "idx", name=op.f("pk_postings")),
    )
    with op.batch_alter_table("postings", schema=None) as batch_op:
        batch_op.create_index("ix_postings_account_seq", ["account_id", "txn_seq"], unique=False)

    # The head of the hash chain: writers lock this row; seq 0 is the genesis.
    op.bulk_insert(
        sa.table(
            "ledger_head",
            sa.column("id", sa.SmallInteger),
            sa.column("seq", sa.BigInteger),
            sa.column("hash", sa.String),
            sa.column("recorded_at", sa.BigInteger),
        ),
        [{"id": 1, "seq": 0, "hash": "0" * 64, "recorded_at": 0}],
    )
    # Built-in units as of this revision (later units come from terms files or commands).
    op.bulk_insert(
        sa.table(
            "units",
            sa.column("code", sa.String),
            sa.column("scale", sa.SmallInteger),
            sa.column("kind", sa.String),
            sa.column("name", sa.Text),
        ),
        [
            {"code": "USD", "scale": 2, "kind": "currency", "name": "US dollar"},
            {"code": "EUR", "scale": 2, "kind": "currency", "name": "euro"},
            {"code": "VES", "scale": 2, "kind": "currency", "name": "Venezuelan bolívar"},
            {"code": "CUP", "scale": 2, "kind": "currency", "name": "Cuban peso"},
            {"code": "XSU", "scale": 2, "kind": "currency", "name": "sucre (ALBA unit of account)"},
            {"code": "bbl", "scale": 3, "kind": "commodity", "name": "barrel of oil"},
            {"code": "t", "scale": 3, "kind": "goods", "name": "metric tonne"},
            {
                "code": "person-month",
                "scale": 2,
                "kind": "service",
                "name": "person-month of professional services",
            },
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("postings", schema=None) as batch_op:
        batch_op.drop_index("ix_postings_account_seq")

    op.drop_table("postings")
    op.drop_table("account_years")
    op.drop_table("account_days")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_party"))

    op.drop_table("accounts")
    op.drop_table("units")
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transactions_reverses"))
        batch_op.drop_index(batch_op.f("ix_transactions_recorded_at"))

    op.drop_table("transactions")
    op.drop_table("ledger_head")
