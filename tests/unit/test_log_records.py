"""The log's entry encodings: fixed bytes for fixed records, and read back whole."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from convenio.auth import AuditEntry
from convenio.errors import IntegrityError
from convenio.ledger import Posting, Transaction, canonical_bytes
from convenio.log.records import (
    ACCOUNT,
    AUDIT,
    KEY,
    REOPEN,
    RUN,
    TERMS,
    TXN,
    account_entry,
    key_entry,
    read_entry,
    reopen_entry,
    run_entry,
    terms_entry,
)


def test_an_account_entry_is_a_header_line_and_sorted_compact_json() -> None:
    entry = account_entry(7, 1_300_000_000_000_000, "VEN.PDVSA:ar", "VEN.PDVSA", "USD",
                          "asset", 0, None, 2, "currency")  # fmt: skip
    assert entry == (
        b'["convenio.account/1",7,1300000000000000]\n'
        b'{"ceiling":null,"floor":0,"kind":"asset","name":"VEN.PDVSA:ar","party":"VEN.PDVSA",'
        b'"unit":"USD","unit_kind":"currency","unit_scale":2}'
    )
    read = read_entry(entry)
    assert (read.kind, read.key, read.at) == (ACCOUNT, 7, 1_300_000_000_000_000)
    assert read.fields["floor"] == 0 and read.fields["unit_scale"] == 2


def test_every_kind_reads_back_with_its_key_and_fields() -> None:
    txn = Transaction(
        "t-1", date(2011, 3, 1), "café", (Posting("A:x", 5, "USD"), Posting("B:y", -5, "USD"))
    )
    moment = datetime(2011, 3, 2, 10, 0, 0, 123456, tzinfo=UTC)
    audit = AuditEntry(3, 99, "ana", "commission", "VEN", "POST", "/api/v1/payments", "k1",
                       "d" * 64, 201, "a" * 64, 4, 6, "2 payments")  # fmt: skip
    cases = {
        TXN: (canonical_bytes(txn, 12, moment), 12),
        TERMS: (terms_entry(2, 5, "VE-CU-2000", "f" * 64, "terms.yaml", "text: ñ"), 2),
        RUN: (
            run_entry("2011Q4/1", 8, {"period": "2011Q4"}, [("c1", 10, "fifo", None)]),
            "2011Q4/1",
        ),
        REOPEN: (reopen_entry("2011Q4/1", 9), "2011Q4/1"),
        AUDIT: (audit.encode(), 3),
        KEY: (key_entry(1, 4, "VEN", "VEN+01234567+AAAA", None, "note"), 1),
    }
    for kind, (entry, key) in cases.items():
        read = read_entry(entry)
        assert (read.kind, read.key) == (kind, key)
    assert read_entry(cases[TXN][0]).fields["description"] == "café"
    assert read_entry(cases[TXN][0]).fields["postings"] == [["A:x", "USD", 5], ["B:y", "USD", -5]]
    assert read_entry(cases[RUN][0]).fields["allocations"] == [["c1", 10, "fifo", None]]
    assert read_entry(cases[AUDIT][0]).fields["summary"] == "2 payments"
    assert read_entry(cases[TERMS][0]).fields["text"] == "text: ñ"


@pytest.mark.parametrize(
    "entry",
    [
        b"",
        b"not json\n{}",
        b'["convenio.other/1",1,2]\n{}',
        b'["convenio.account/2",1,2]\n{}',
        b'["convenio.account/1",1,2]\n[1]',
        b"\xff\xfe",
    ],
)
def test_an_entry_that_is_not_ours_is_an_integrity_error(entry: bytes) -> None:
    with pytest.raises(IntegrityError, match="cannot read"):
        read_entry(entry)
