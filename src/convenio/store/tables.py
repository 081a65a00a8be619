"""The store's tables (SQLAlchemy Core), the one source of the schema that Alembic migrates.

Amounts are BIGINT minor units; `recorded_at` is microseconds since the Unix epoch (UTC),
so that the canonical encoding round-trips exactly on every backend. `account_days` and
`account_years` are derived totals kept in the same transaction as the postings, for
as-of balances that read a few hundred rows at most whatever the number of postings.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)

from convenio.ledger.validate import MAX_ACCOUNT, MAX_ID, MAX_KIND, MAX_PARTY

__all__ = [
    "account_days",
    "account_years",
    "accounts",
    "ledger_head",
    "metadata",
    "postings",
    "transactions",
    "units",
]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

units = Table(
    "units",
    metadata,
    Column("code", String(24), primary_key=True),
    Column("scale", SmallInteger, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("name", Text, nullable=False, server_default=""),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(MAX_ACCOUNT), nullable=False, unique=True),
    Column("party", String(MAX_PARTY), nullable=False, index=True),
    Column("unit", String(24), ForeignKey("units.code"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("floor", BigInteger, nullable=True),
    Column("ceiling", BigInteger, nullable=True),
    Column("opened_at", BigInteger, nullable=False),
)

transactions = Table(
    "transactions",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("id", String(MAX_ID), nullable=False, unique=True),
    Column("date", Date, nullable=False),
    Column("recorded_at", BigInteger, nullable=False, index=True),
    Column("kind", String(MAX_KIND), nullable=False),
    Column("description", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("metadata", Text, nullable=False),
    Column("reverses", String(MAX_ID), nullable=True, index=True),
    Column("digest", String(64), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

postings = Table(
    "postings",
    metadata,
    Column("txn_seq", BigInteger, ForeignKey("transactions.seq"), primary_key=True),
    Column("idx", SmallInteger, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Index("ix_postings_account_seq", "account_id", "txn_seq"),
)

account_days = Table(
    "account_days",
    metadata,
    Column("account_id", Integer, ForeignKey("accounts.id"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("amount", BigInteger, nullable=False),
)

account_years = Table(
    "account_years",
    metadata,
    Column("account_id", Integer, ForeignKey("accounts.id"), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("amount", BigInteger, nullable=False),
)

ledger_head = Table(
    "ledger_head",
    metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("recorded_at", BigInteger, nullable=False),
)
