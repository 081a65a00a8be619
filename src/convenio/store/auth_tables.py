"""Tables of users, their API tokens, the audit trail, and the server's jobs.

`users.password_hash` is an Argon2id PHC string (None: the user signs in with tokens
only); `api_tokens.digest` is the SHA-256 of the token's secret, never the token.
`audit_log` is append-only and chained (`hash` over the previous row's and the row's
canonical encoding, `convenio.auth.audit`); `answer` keeps the first answer to a write
with an idempotency key, replayed for the same key and body. `audit_head` holds the
chain's last position and hash (one row), and on PostgreSQL serialises the API's writes.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from convenio.store.tables import metadata

__all__ = ["api_tokens", "audit_head", "audit_log", "jobs", "users"]

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("login", String(64), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("party", String(50), nullable=True),
    Column("org_unit", String(50), nullable=True),
    Column("password_hash", String(200), nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("disabled_at", BigInteger, nullable=True),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(12), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("label", String(100), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=True),
    Column("revoked_at", BigInteger, nullable=True),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", BigInteger, nullable=False),
    Column("login", String(64), nullable=False),
    Column("role", String(20), nullable=False),
    Column("party", String(50), nullable=False),
    Column("method", String(10), nullable=False),
    Column("route", String(500), nullable=False),
    Column("idempotency_key", String(255), nullable=True),
    Column("body_digest", String(64), nullable=False),
    Column("status", SmallInteger, nullable=False),
    Column("answer_digest", String(64), nullable=False),
    Column("first_txn", BigInteger, nullable=False),
    Column("last_txn", BigInteger, nullable=False),
    Column("summary", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("login", "idempotency_key", name="uq_audit_log_login_key"),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("kind", String(50), nullable=False),
    Column("login", String(64), nullable=False),
    Column("state", String(20), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("finished_at", BigInteger, nullable=True),
    Column("done", BigInteger, nullable=False),
    Column("total", BigInteger, nullable=True),
    Column("stage", String(200), nullable=False),
    Column("result", Text, nullable=True),
)
