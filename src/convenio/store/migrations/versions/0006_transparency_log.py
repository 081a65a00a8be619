"""The transparency log: its head, spans and hashes, the parties' keys and checkpoints; the
log of an existing store is built from its records.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06

The backfill uses the entries' encodings as the code defines them: an encoding is
versioned and never changes for its version (a change is a new version), so what this
migration writes stays what it wrote. An existing store's records are logged in a fixed
order — accounts, terms versions,
transactions, settlement runs, their reopenings, the audit trail — since the order they
were written in is not known; from here on each record is logged as it is written.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

EMPTY_ROOT = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def upgrade() -> None:
    # The log's name in its checkpoints: unique, fixed once (a replica takes its source's).
    origin = f"convenio/{secrets.token_hex(8)}"
    op.create_table(
        "log_head",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("frontier", sa.LargeBinary(), nullable=False),
        sa.Column("origin", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_head")),
    )
    op.create_table(
        "log_spans",
        sa.Column("first", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key_from", sa.BigInteger(), nullable=True),
        sa.Column("key_text", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("first", name=op.f("pk_log_spans")),
    )
    op.create_index("ix_log_spans_kind_key_from", "log_spans", ["kind", "key_from"])
    op.create_index("ix_log_spans_kind_key_text", "log_spans", ["kind", "key_text"])
    op.create_table(
        "log_hashes",
        sa.Column("block", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hashes", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("block", name=op.f("pk_log_hashes")),
    )
    op.create_table(
        "party_keys",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("party", sa.String(length=50), nullable=False),
        sa.Column("verifier", sa.String(length=300), nullable=False),
        sa.Column("replaces", sa.String(length=300), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("announced_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_keys")),
        sa.UniqueConstraint("verifier", name=op.f("uq_party_keys_verifier")),
    )
    op.create_index("ix_party_keys_party", "party_keys", ["party"])
    op.create_table(
        "checkpoints",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("signers", sa.Text(), nullable=False),
        sa.Column("stored_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkpoints")),
    )
    op.create_index("ix_checkpoints_size", "checkpoints", ["size"])
    op.bulk_insert(
        sa.table(
            "log_head",
            sa.column("id", sa.SmallInteger),
            sa.column("size", sa.BigInteger),
            sa.column("root", sa.String),
            sa.column("frontier", sa.LargeBinary),
            sa.column("origin", sa.String),
        ),
        [{"id": 1, "size": 0, "root": EMPTY_ROOT, "frontier": b"", "origin": origin}],
    )
    from convenio.store.log_repo import LogRepository

    LogRepository(op.get_bind()).backfill()


def downgrade() -> None:
    for table in ("checkpoints", "party_keys", "log_hashes", "log_spans", "log_head"):
        op.drop_table(table)
