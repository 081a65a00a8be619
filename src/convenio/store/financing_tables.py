"""Tables of the financing and settlement side: terms documents, prices, deliveries,
claims, tranches, payments, accruals, settlement runs and their statements' sign-offs
(same metadata as the ledger).

Prices and rates are exact decimal text (SQLite has no exact decimal type) and a
tranche's loan terms their JSON; amounts are BIGINT minor units. Operational rows are
inserted once; a settlement run is marked reversed on reopening, and its allocations stop
counting — the ledger keeps the history. A sign-off is a commission user's approval of a
run's statement, once per run and signing party (`convenio.services.signoffs`).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from convenio.store.tables import metadata

__all__ = [
    "accruals",
    "allocations",
    "claims",
    "deliveries",
    "payments",
    "price_points",
    "settlement_runs",
    "statement_signoffs",
    "terms_documents",
    "tranches",
]

terms_documents = Table(
    "terms_documents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agreement_id", String(100), nullable=False, index=True),
    Column("digest", String(64), nullable=False, unique=True),
    Column("source", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("loaded_at", BigInteger, nullable=False),
)

price_points = Table(
    "price_points",
    metadata,
    Column("series", String(100), primary_key=True),
    Column("date", Date, primary_key=True),
    Column("price", String(40), nullable=False),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", String(120), primary_key=True),
    Column("date", Date, nullable=False, index=True),
    Column("supplier", String(64), nullable=False),
    Column("recipient", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("item", String(64), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("unit", String(24), nullable=False),
    Column("price", String(40), nullable=True),
    Column("digest", String(64), nullable=False),
    Column("version_id", String(100), nullable=False),
    Column("currency", String(24), nullable=False),
    Column("value", BigInteger, nullable=False),
    Column("price_used", String(40), nullable=False),
    Column("price_source", String(24), nullable=False),
    Column("reference_price", String(40), nullable=True),
    Column("financed", BigInteger, nullable=False),
    Column("short_term", BigInteger, nullable=False),
)

tranches = Table(
    "tranches",
    metadata,
    Column("id", String(140), primary_key=True),
    Column("delivery_id", String(120), ForeignKey("deliveries.id"), nullable=False),
    Column("creditor", String(64), nullable=False),
    Column("debtor", String(64), nullable=False),
    Column("currency", String(24), nullable=False),
    Column("principal", BigInteger, nullable=False),
    Column("start", Date, nullable=False),
    Column("maturity", Date, nullable=False),
    Column("loan", Text, nullable=False),
)


claims = Table(
    "claims",
    metadata,
    Column("id", String(160), primary_key=True),
    Column("creditor", String(64), nullable=False),
    Column("debtor", String(64), nullable=False),
    Column("type", String(24), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(24), nullable=False),
    Column("issued", Date, nullable=False),
    Column("due", Date, nullable=False),
    Column("source", String(160), nullable=False),
    Index("ix_claims_parties_issued", "creditor", "debtor", "issued"),
)

payments = Table(
    "payments",
    metadata,
    Column("id", String(120), primary_key=True),
    Column("payer", String(64), nullable=False),
    Column("payee", String(64), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(24), nullable=False),
    Column("date", Date, nullable=False, index=True),
    Column("reference", Text, nullable=False),
    Column("digest", String(64), nullable=False),
)

accruals = Table(
    "accruals",
    metadata,
    Column("tranche_id", String(140), ForeignKey("tranches.id"), primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("amount", BigInteger, nullable=False),
)

settlement_runs = Table(
    "settlement_runs",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("period", String(16), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("party_a", String(64), nullable=False),
    Column("party_b", String(64), nullable=False),
    Column("currency", String(24), nullable=False),
    Column("generation", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("statement", Text, nullable=False),
    Column("transactions", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("reversed_at", BigInteger, nullable=True),
    Index("ix_settlement_runs_period", "period", "party_a", "party_b"),
)

allocations = Table(
    "allocations",
    metadata,
    Column("run_id", String(200), ForeignKey("settlement_runs.id"), primary_key=True),
    Column("idx", Integer, primary_key=True),
    Column("claim_id", String(160), ForeignKey("claims.id"), nullable=False, index=True),
    Column("amount", BigInteger, nullable=False),
    Column("method", String(16), nullable=False),
    Column("against", String(200), nullable=False),
)

statement_signoffs = Table(
    "statement_signoffs",
    metadata,
    # The id keys the sign-off's log entry (entries of kind ``signoff``), as a key's does.
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("run_id", String(200), ForeignKey("settlement_runs.id"), nullable=False),
    Column("party", String(64), nullable=False),
    Column("login", String(64), nullable=False),
    Column("signed_at", BigInteger, nullable=False),
    Column("digest", String(64), nullable=False),
    UniqueConstraint("run_id", "party"),
)
