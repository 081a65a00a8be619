"""Sign-offs without a database: who signs a run, whom it awaits, the entry's bytes, and
the digest — the SHA-256 of the statement exactly as the run's log entry holds it."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from convenio.log.records import SIGNOFF, read_entry, run_entry, signoff_entry, statement_bytes
from convenio.services.signoffs import Signoff, awaiting, signers_of, statement_digest
from convenio.store.financing_repo import RunRow

STATEMENT: dict[str, Any] = {
    "period": "2011Q4",
    "currency": "USD",
    "parties": ["VEN.PDVSA", "CUB.BNC"],
    "net": {"debtor": "VEN.PDVSA", "creditor": "CUB.BNC", "amount": "1275000000.00"},
    "directions": [{"creditor": "CUB.BNC", "debtor": "VEN.PDVSA", "note": "médicos"}],
}


def run(status: str = "settled", a: str = "VEN.PDVSA", b: str = "CUB.BNC") -> RunRow:
    return RunRow(f"2011Q4:{a}:{b}:1", "2011Q4", a, b, "USD", 1, status, STATEMENT, ["t-1"])


def done(r: RunRow, *parties: str) -> list[Signoff]:
    return [
        Signoff(r.id, p, f"{p.lower()}-commission", "2026-12-06T17:30:00.000000+00:00", "0" * 64)
        for p in parties
    ]


def test_the_signers_are_the_states_of_the_two_parties_in_order() -> None:
    assert signers_of(run()) == ("VEN", "CUB")
    assert signers_of(run(a="XAT", b="XBO.MINSAL.H1")) == ("XAT", "XBO")


def test_awaiting_lists_who_has_not_signed() -> None:
    r = run()
    assert awaiting(r, []) == ["VEN", "CUB"]
    assert awaiting(r, done(r, "CUB")) == ["VEN"]
    assert awaiting(r, done(r, "CUB", "VEN")) == []
    other = run(a="VEN", b="CUB")  # another run's sign-offs do not count
    assert awaiting(r, done(other, "VEN")) == ["VEN", "CUB"]
    assert awaiting(run("reversed"), []) == []  # a reopened run is signed no more


def test_the_digest_is_of_the_statement_bytes_the_run_entry_holds() -> None:
    fields = {"id": "r", "period": "2011Q4", "statement": STATEMENT, "transactions": ["t-1"]}
    entry = run_entry("r", 8, fields, [("c1", 10, "offset", "c2")])
    body = entry.partition(b"\n")[2]
    # Worked by hand: the entry's JSON has its keys sorted, so the statement sits between
    # "statement": and ,"transactions":, as compact JSON with its own keys sorted.
    held = body[body.index(b'"statement":') + 12 : body.index(b',"transactions":')]
    assert held.startswith(b'{"currency":"USD","directions":[{"creditor":"CUB.BNC"')
    assert "médicos".encode() in held  # UTF-8, not \\u escapes
    assert statement_bytes(STATEMENT) == held
    assert statement_digest(run()) == hashlib.sha256(held).hexdigest()


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=12,
)


@given(st.dictionaries(st.text(max_size=6), JSON, max_size=5))
def test_any_statement_appears_in_its_run_entry_as_its_bytes(statement: dict[str, Any]) -> None:
    entry = run_entry("r", 1, {"statement": statement}, [])
    assert statement_bytes(statement) in entry
    assert json.loads(statement_bytes(statement)) == statement
    # The same canonical JSON as a signed statement's note digests (services.signed).
    canonical = json.dumps(statement, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert statement_bytes(statement) == canonical.encode()


def test_a_signoff_entry_is_a_header_line_and_reads_back() -> None:
    entry = signoff_entry(3, 1_796_578_200_123_456, "2011Q4:VEN.PDVSA:CUB.BNC:2", "VEN",
                          "ven-commission", "ab" * 32)  # fmt: skip
    assert entry == (
        b'["convenio.signoff/1",3,1796578200123456]\n'
        b'{"digest":"' + b"ab" * 32 + b'","login":"ven-commission","party":"VEN",'
        b'"run":"2011Q4:VEN.PDVSA:CUB.BNC:2"}'
    )
    read = read_entry(entry)
    assert (read.kind, read.key, read.at) == (SIGNOFF, 3, 1_796_578_200_123_456)
    assert read.fields == {
        "run": "2011Q4:VEN.PDVSA:CUB.BNC:2",
        "party": "VEN",
        "login": "ven-commission",
        "digest": "ab" * 32,
    }
