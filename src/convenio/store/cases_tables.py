"""Tables of the person-level cases, with personal data kept apart from the events.

`cases` and `case_events` are what analytics may read: a random pseudonym, the pathway,
the site, and each stage's date. `case_refs` links the pseudonym to the case id of the
source system (kept out of the events, never read by analytics). `case_people` holds the
personal data (name, national id, date of birth) of a case sealed with AES-256-GCM under
the key of ``CONVENIO_SECRET_KEY``: `key_id` names the key (a fingerprint, not the key),
`sealed` is the nonce followed by the ciphertext; nothing of it is stored in the clear.
"""

from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKey, Integer, LargeBinary, String, Table

from convenio.store.tables import metadata

__all__ = ["case_events", "case_people", "case_refs", "cases"]

case_refs = Table(
    "case_refs",
    metadata,
    Column("pseudonym", String(32), primary_key=True),
    Column("case_id", String(50), nullable=False, unique=True),
)

cases = Table(
    "cases",
    metadata,
    Column("pseudonym", String(32), ForeignKey("case_refs.pseudonym"), primary_key=True),
    Column("pathway", String(20), nullable=False),
    Column("unit_id", Integer, ForeignKey("org_units.id"), nullable=False),
)

case_events = Table(
    "case_events",
    metadata,
    Column("pseudonym", String(32), ForeignKey("cases.pseudonym"), primary_key=True),
    Column("stage", String(20), primary_key=True),
    Column("stage_index", Integer, nullable=False),
    Column("date", Date, nullable=False),
)

case_people = Table(
    "case_people",
    metadata,
    Column("pseudonym", String(32), ForeignKey("cases.pseudonym"), primary_key=True),
    Column("key_id", String(16), nullable=False),
    Column("sealed", LargeBinary, nullable=False),
)
