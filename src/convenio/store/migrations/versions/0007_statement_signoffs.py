"""Sign-offs of settlement statements: a commission user's approval of a run's statement,
once per run and signing party, each logged (entries of kind ``signoff``).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

A store migrated from 0006 has no sign-off yet, so there is nothing to log here; a store
that holds sign-offs does not go back to 0006 (their entries would lose their records).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "statement_signoffs",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("run_id", sa.String(length=200), nullable=False),
        sa.Column("party", sa.String(length=64), nullable=False),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("signed_at", sa.BigInteger(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["settlement_runs.id"],
            name=op.f("fk_statement_signoffs_run_id_settlement_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_signoffs")),
        sa.UniqueConstraint("run_id", "party", name=op.f("uq_statement_signoffs_run_id")),
    )


def downgrade() -> None:
    # A sign-off is logged: dropping it would leave its entry without a record, and the
    # log would verify no more. Only a store that holds none goes back.
    held = op.get_bind().execute(sa.text("SELECT COUNT(*) FROM statement_signoffs")).scalar_one()
    if held:
        raise RuntimeError(
            f"the store holds {held} logged sign-off(s) of statements: revision 0006 has no "
            "place for them, and the log would no longer verify without them"
        )
    op.drop_table("statement_signoffs")
