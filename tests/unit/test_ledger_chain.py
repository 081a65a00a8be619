"""Tamper evidence and bounds, with no database: the canonical encoding, the hash chain
and `verify_chain`, and `first_bound_break` on day totals worked out by hand."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convenio.ledger import (
    GENESIS_HASH,
    AccountSpec,
    ChainBreak,
    Posting,
    RecordedTransaction,
    Transaction,
    canonical_bytes,
    chain_hash,
    content_digest,
    encode_content,
    verify_chain,
)
from convenio.ledger.validate import BoundBreak, first_bound_break

AT = datetime(2011, 2, 1, 9, 30, 0, 123_456, tzinfo=UTC)


def shipment(txn_id: str = "s1", amount: int = 2_004_000) -> Transaction:
    return Transaction(
        id=txn_id,
        date=date(2011, 2, 1),
        description="shipment 1",
        postings=(
            Posting("VEN/claims/CUB", amount, "USD"),
            Posting("CUB/debt/VEN", -amount, "USD"),
        ),
        kind="delivery",
        source="bol-17.pdf",
        metadata=(("vessel", "Sandino"),),
    )


def sha256_link(prev: str, payload: bytes) -> str:
    return hashlib.sha256(prev.encode("ascii") + payload).hexdigest()


def chained(txns: list[Transaction], at: datetime = AT) -> list[RecordedTransaction]:
    """Records as the store would write them, chained here with hashlib directly."""
    records = []
    prev = GENESIS_HASH
    for seq, txn in enumerate(txns, start=1):
        digest = sha256_link(prev, canonical_bytes(txn, seq, at))
        records.append(RecordedTransaction(seq, txn, at, prev, digest))
        prev = digest
    return records


THREE = [shipment("s1"), shipment("s2", 150), shipment("s3", 99)]


# -- the canonical encoding ------------------------------------------------------------


def test_canonical_bytes_are_the_documented_layout() -> None:
    txn = Transaction(
        "t1",
        date(2011, 1, 5),
        "Café",
        (Posting("VEN/a", 150, "USD"), Posting("CUB/a", -150, "USD")),
        metadata=(("bl", "17"), ("vessel", "Sandino")),
    )
    assert canonical_bytes(txn, 7, datetime(2011, 1, 5, 10, tzinfo=UTC)) == (
        b'["convenio.txn/1",7,"2011-01-05T10:00:00.000000+00:00"]\n'
        b'["t1","2011-01-05","manual","Caf\xc3\xa9","",null,'
        b'[["bl","17"],["vessel","Sandino"]],'
        b'[["VEN/a","USD",150],["CUB/a","USD",-150]]]'
    )


def test_encoding_is_deterministic_for_equal_values_built_separately() -> None:
    a = shipment()
    b = Transaction(
        "s1",
        date(2011, 2, 1),
        "shipment 1",
        (Posting("VEN/claims/CUB", 2_004_000, "USD"), Posting("CUB/debt/VEN", -2_004_000, "USD")),
        "delivery",
        "bol-17.pdf",
        (("vessel", "Sandino"),),
    )
    assert a is not b
    assert canonical_bytes(a, 3, AT) == canonical_bytes(b, 3, AT)
    assert canonical_bytes(a, 3, AT) == canonical_bytes(a, 3, AT)
    assert content_digest(a) == content_digest(b) == hashlib.sha256(encode_content(b)).hexdigest()


def test_chain_hash_is_sha256_of_previous_hash_then_encoding() -> None:
    payload = canonical_bytes(shipment(), 1, AT)
    assert chain_hash(GENESIS_HASH, payload) == sha256_link("0" * 64, payload)
    assert GENESIS_HASH == "0" * 64


CHANGES: dict[str, Callable[[Transaction], Transaction]] = {
    "description": lambda t: t._replace(description="shipment 1 "),
    "amount": lambda t: t._replace(
        postings=(Posting("VEN/claims/CUB", 2_004_001, "USD"), t.postings[1])
    ),
    "amount sign swap": lambda t: t._replace(postings=tuple(reversed(t.postings))),
    "account": lambda t: t._replace(
        postings=(Posting("VEN/claims/CUBA", 2_004_000, "USD"), t.postings[1])
    ),
    "unit": lambda t: t._replace(postings=tuple(p._replace(unit="EUR") for p in t.postings)),
    "date": lambda t: t._replace(date=date(2011, 2, 2)),
    "metadata value": lambda t: t._replace(metadata=(("vessel", "Sandino II"),)),
    "metadata added": lambda t: t._replace(metadata=(("bl", "17"), ("vessel", "Sandino"))),
    "kind": lambda t: t._replace(kind="manual"),
    "source": lambda t: t._replace(source=""),
    "reverses": lambda t: t._replace(reverses="s0"),
    "id": lambda t: t._replace(id="s1b"),
}


@pytest.mark.parametrize("change", list(CHANGES), ids=list(CHANGES))
def test_changing_any_field_of_the_content_changes_the_hash(change: str) -> None:
    base, changed = shipment(), CHANGES[change](shipment())
    assert changed != base
    assert content_digest(changed) != content_digest(base)
    assert chain_hash(GENESIS_HASH, canonical_bytes(changed, 1, AT)) != chain_hash(
        GENESIS_HASH, canonical_bytes(base, 1, AT)
    )


@pytest.mark.parametrize(
    ("seq", "at"),
    [(2, AT), (1, AT + timedelta(microseconds=1)), (1, AT - timedelta(days=1))],
    ids=["seq", "recorded_at+1µs", "recorded_at-1d"],
)
def test_changing_position_or_recorded_time_changes_the_hash(seq: int, at: datetime) -> None:
    txn = shipment()
    base = chain_hash(GENESIS_HASH, canonical_bytes(txn, 1, AT))
    assert chain_hash(GENESIS_HASH, canonical_bytes(txn, seq, at)) != base
    # …but not the content digest, which is what an idempotent replay compares.
    assert content_digest(txn) == content_digest(shipment())


def test_changing_the_previous_hash_changes_the_hash() -> None:
    payload = canonical_bytes(shipment(), 1, AT)
    assert chain_hash("1" + GENESIS_HASH[1:], payload) != chain_hash(GENESIS_HASH, payload)


posting_st = st.builds(
    Posting,
    st.from_regex(r"[A-Z]{3}/[a-z]{1,8}", fullmatch=True),
    st.integers(-(2**63) + 1, 2**63 - 1),
    st.sampled_from(["USD", "bbl", "person-month"]),
)
txn_st = st.builds(
    Transaction,
    st.text(min_size=1, max_size=12),
    st.dates(),
    st.text(max_size=20),
    st.lists(posting_st, min_size=1, max_size=4).map(tuple),
    st.sampled_from(["manual", "delivery", "reversal"]),
    st.text(max_size=10),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3).map(
        lambda d: tuple(sorted(d.items()))
    ),
    st.none() | st.text(min_size=1, max_size=8),
)


@settings(max_examples=60, deadline=None)
@given(txn_st, txn_st)
def test_content_encoding_round_trips_and_separates_distinct_transactions(
    a: Transaction, b: Transaction
) -> None:
    decoded = json.loads(encode_content(a))
    assert decoded == [
        a.id,
        a.date.isoformat(),
        a.kind,
        a.description,
        a.source,
        a.reverses,
        [list(kv) for kv in a.metadata],
        [[p.account, p.unit, p.amount] for p in a.postings],
    ]
    assert (encode_content(a) == encode_content(b)) == (a == b)


# -- verify_chain ----------------------------------------------------------------------


def test_a_sound_chain_verifies() -> None:
    records = chained(THREE)
    assert verify_chain(records) == (3, None)
    assert verify_chain([]) == (0, None)
    assert records[0].prev_hash == GENESIS_HASH
    assert [r.prev_hash for r in records[1:]] == [r.hash for r in records[:-1]]


def test_altered_content_is_named() -> None:
    records = chained(THREE)
    r2 = records[1]
    records[1] = r2._replace(txn=r2.txn._replace(description="edited"))
    assert verify_chain(records) == (2, ChainBreak(2, "s2", "content does not match its hash"))


def test_altered_amount_that_still_balances_is_named() -> None:
    records = chained(THREE)
    r3 = records[2]
    records[2] = r3._replace(txn=shipment("s3", 100))
    assert verify_chain(records) == (3, ChainBreak(3, "s3", "content does not match its hash"))


def test_altered_recorded_time_is_named() -> None:
    records = chained(THREE)
    records[0] = records[0]._replace(recorded_at=AT + timedelta(seconds=1))
    assert verify_chain(records) == (1, ChainBreak(1, "s1", "content does not match its hash"))


def test_wrong_previous_hash_is_named() -> None:
    records = chained(THREE)
    records[1] = records[1]._replace(prev_hash="f" * 64)
    assert verify_chain(records) == (
        2,
        ChainBreak(2, "s2", "previous hash does not match the chain"),
    )


def test_a_record_rehashed_after_an_edit_breaks_the_next_link() -> None:
    records = chained(THREE)
    r2 = records[1]
    edited = r2.txn._replace(description="edited")
    records[1] = r2._replace(
        txn=edited, hash=sha256_link(r2.prev_hash, canonical_bytes(edited, 2, AT))
    )
    assert verify_chain(records) == (
        3,
        ChainBreak(3, "s3", "previous hash does not match the chain"),
    )


def test_a_removed_record_is_named_by_the_one_after_the_gap() -> None:
    records = chained(THREE)
    del records[1]
    assert verify_chain(records) == (2, ChainBreak(3, "s3", "expected sequence number 2"))


def test_a_removed_first_record_is_named() -> None:
    records = chained(THREE)
    assert verify_chain(records[1:]) == (1, ChainBreak(2, "s2", "expected sequence number 1"))


def test_records_read_out_of_order_are_named() -> None:
    r1, r2, r3 = chained(THREE)
    assert verify_chain([r1, r3, r2]) == (2, ChainBreak(3, "s3", "expected sequence number 2"))


def test_records_swapped_and_renumbered_are_named() -> None:
    r1, r2, r3 = chained(THREE)
    swapped = [r1, r3._replace(seq=2), r2._replace(seq=3)]
    assert verify_chain(swapped) == (
        2,
        ChainBreak(2, "s3", "previous hash does not match the chain"),
    )


def test_an_unbalanced_transaction_is_named_even_with_a_sound_hash() -> None:
    lopsided = shipment("s2")._replace(
        postings=(Posting("VEN/claims/CUB", 100, "USD"), Posting("CUB/debt/VEN", -99, "USD"))
    )
    records = chained([shipment("s1"), lopsided, shipment("s3")])
    assert verify_chain(records) == (2, ChainBreak(2, "s2", "postings do not balance"))


def test_balance_is_per_unit() -> None:
    mixed = shipment("s1")._replace(
        postings=(Posting("VEN/oil", 1_000, "bbl"), Posting("CUB/debt/VEN", -1_000, "USD"))
    )
    assert verify_chain(chained([mixed])) == (1, ChainBreak(1, "s1", "postings do not balance"))


def test_a_single_posting_is_not_a_transaction() -> None:
    single = shipment("s1")._replace(postings=(Posting("VEN/oil", 0, "bbl"),))
    assert verify_chain(chained([single])) == (1, ChainBreak(1, "s1", "postings do not balance"))


# -- first_bound_break -----------------------------------------------------------------

OIL_FLOOR = AccountSpec("VEN/oil", "bbl", floor=0)


def d(day: int, month: int = 1) -> date:
    return date(2011, month, day)


def test_backdated_posting_that_makes_a_past_day_negative_breaks_the_floor() -> None:
    # Stored: +100.000 bbl on Jan 10. New: -30.000 bbl backdated to Jan 5.
    # Closing balances: Jan 5: 0 - 30 = -30 (below 0); Jan 10: -30 + 100 = 70 (fine).
    broken = first_bound_break(OIL_FLOOR, 0, [(d(10), 100_000)], [(d(5), -30_000, "x")])
    assert broken == BoundBreak(d(5), -30_000, "x")
    assert broken.describe(OIL_FLOOR, 3) == (
        "this would take VEN/oil to -30.000 bbl on 2011-01-05, below its floor 0.000"
    )


def test_a_later_stored_outflow_is_blamed_on_the_last_new_posting_before_it() -> None:
    # Opening 0; stored +100 on Jan 1 and -80 on Jan 20; new -30 on Jan 10.
    # Jan 1: 100; Jan 10: 70; Jan 20: -10 → broken on Jan 20, blamed on the Jan 10 posting.
    broken = first_bound_break(OIL_FLOOR, 0, [(d(1), 100), (d(20), -80)], [(d(10), -30, "new")])
    assert broken == BoundBreak(d(20), -10, "new")


def test_same_day_inflow_and_outflow_only_the_closing_balance_counts() -> None:
    # Opening 0; stored +100 on Jan 10; new -100 the same day: closes at exactly 0.
    assert first_bound_break(OIL_FLOOR, 0, [(d(10), 100)], [(d(10), -100, "x")]) is None


def test_opening_balance_carries_the_history_before_the_first_new_date() -> None:
    # Opening 50; new -50 on Feb 1 (closes at 0, fine), -1 on Feb 2 (closes at -1).
    broken = first_bound_break(
        OIL_FLOOR, 50, [], [(d(2, 2), -1, "second"), (d(1, 2), -50, "first")]
    )
    assert broken == BoundBreak(d(2, 2), -1, "second")


def test_ceiling_is_checked_too() -> None:
    capped = AccountSpec("CUB/credit/VEN", "USD", floor=None, ceiling=50_000)
    # Opening 400.00; +50.00 on Jan 3 → 450.00; +60.00 on Jan 4 → 510.00 > 500.00.
    broken = first_bound_break(capped, 40_000, [], [(d(3), 5_000, "a"), (d(4), 6_000, "b")])
    assert broken == BoundBreak(d(4), 51_000, "b")
    assert broken.describe(capped, 2) == (
        "this would take CUB/credit/VEN to 510.00 USD on 2011-01-04, above its ceiling 500.00"
    )


def test_no_bounds_or_no_new_postings_means_no_break() -> None:
    free = AccountSpec("VEN/oil", "bbl")
    assert first_bound_break(free, 0, [], [(d(1), -(10**9), "x")]) is None
    assert first_bound_break(OIL_FLOOR, -5, [(d(1), -5)], []) is None


def test_a_floor_above_zero() -> None:
    reserve = AccountSpec("VEN/reserve", "USD", floor=10_000)
    # Opening 150.00; -50.00 → 100.00 (exactly the floor, fine); -0.01 → 99.99 (broken).
    assert first_bound_break(reserve, 15_000, [], [(d(1), -5_000, "a")]) is None
    broken = first_bound_break(reserve, 15_000, [], [(d(1), -5_000, "a"), (d(2), -1, "b")])
    assert broken == BoundBreak(d(2), 9_999, "b")
