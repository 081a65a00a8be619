"""Tables of the transparency log (`convenio.log`): its head, its spans, its hashes, the
parties' signing keys and the checkpoints they signed.

- `log_head` (one row): the tree's size, root hash (hex) and right edge (`frontier`: the
  roots of its complete subtrees, largest first, 32 bytes each — what an append starts
  from, in the row every writer reads anyway) and origin (the log's name in checkpoints,
  ``convenio/`` and 16 random hexadecimal digits, fixed when the log is created; a
  replica takes its source's).
- `log_spans`: which records the entries are. A span is a run of consecutive entries of one
  kind: entries ``first .. first+length-1`` are the records of keys ``key_from ..`` (a
  transaction's position, an account's, terms version's, audit entry's or key's id), or
  the one record ``key_text`` (a settlement run, by id). A batch of 10,000 postings is one
  span.
- `log_hashes`: every node hash of the tree in Go tlog's stored order
  (`convenio.log.stored_hash_index`), 256 per row (`hashes` holds up to 256×32 bytes): an
  append rewrites the last partial row and adds full ones, so a post of 10,000
  transactions writes some 80 rows, not 20,000.
- `party_keys`: the verifier keys each party announced (entries of kind ``key``).
- `checkpoints`: signed checkpoints handed to the store (the note as signed, its size and
  root), the latest of which followers and the other party read.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
)

from convenio.store.tables import metadata

__all__ = ["BLOCK", "checkpoints", "log_hashes", "log_head", "log_spans", "party_keys"]

BLOCK = 256
"""Stored hashes per row of `log_hashes`."""

log_head = Table(
    "log_head",
    metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("size", BigInteger, nullable=False),
    Column("root", String(64), nullable=False),
    Column("frontier", LargeBinary, nullable=False),
    Column("origin", String(200), nullable=False),
)

log_spans = Table(
    "log_spans",
    metadata,
    Column("first", BigInteger, primary_key=True, autoincrement=False),
    Column("length", BigInteger, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("key_from", BigInteger, nullable=True),
    Column("key_text", String(200), nullable=True),
    Index("ix_log_spans_kind_key_from", "kind", "key_from"),
    Index("ix_log_spans_kind_key_text", "kind", "key_text"),
)

log_hashes = Table(
    "log_hashes",
    metadata,
    Column("block", BigInteger, primary_key=True, autoincrement=False),
    Column("hashes", LargeBinary, nullable=False),
)

party_keys = Table(
    "party_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("party", String(50), nullable=False, index=True),
    Column("verifier", String(300), nullable=False, unique=True),
    Column("replaces", String(300), nullable=True),
    Column("note", Text, nullable=False),
    Column("announced_at", BigInteger, nullable=False),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("size", BigInteger, nullable=False, index=True),
    Column("root", String(64), nullable=False),
    Column("note", Text, nullable=False),
    Column("signers", Text, nullable=False),
    Column("stored_at", BigInteger, nullable=False),
)
