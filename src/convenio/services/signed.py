"""What the parties' keys sign — checkpoints of the log and settlement statements — and
the check of both against the store.

A signed checkpoint is the C2SP note of `services.log.checkpoint`; a signed statement is a
JSON bundle: the run's statement as stored, the run's log entry and its inclusion proof,
the inclusion proofs of every transaction the run recorded, its allocations each traced
to the transaction that recorded its claim (`services.provenance`) with that one's proof,
and a note naming the run, its entry and leaf hash, the SHA-256 of the statement and of
the allocations, and the checkpoint that covers them. Either is checked against the
store: its signatures, the log's root at its size, every proof.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import select

from convenio.errors import ConflictError, InputError, IntegrityError, NotFoundError
from convenio.log import (
    Checkpoint,
    ProofError,
    SignatureError,
    b64,
    check_record,
    cosign,
    leaf_hash,
    open_note,
    parse_verifier,
    sign,
)
from convenio.log.records import RUN, TXN
from convenio.services.keys import signer_of
from convenio.services.ledger import VerifyReport
from convenio.services.log import (
    InclusionProof,
    checkpoint,
    inclusion_of,
    not_of_log,
    party_verifiers,
    store_checkpoint,
)
from convenio.services.provenance import (
    TracedAllocation,
    allocations_digest,
    check_sources,
    read_allocations,
    trace,
)
from convenio.store import UnitOfWork
from convenio.store.financing_tables import settlement_runs

__all__ = [
    "Checked",
    "Verified",
    "check_signed",
    "cosign_signed",
    "sign_checkpoint",
    "sign_statement",
    "verify_checkpoint",
]


# -- signing ----------------------------------------------------------------------------


def sign_checkpoint(
    uow: UnitOfWork, party: str, key_file: Path | None = None
) -> tuple[bytes, Checkpoint]:
    """The checkpoint of the log as it is, signed by `party` and kept in the store
    (committed): the note, and the checkpoint."""
    signer = signer_of(uow, party, key_file)
    body = checkpoint(uow)
    _require_of_log(uow, body)  # a party signs a store that verifies, whole
    note = sign(body.format(), [signer])
    store_checkpoint(uow, note)
    uow.commit()
    return note, body


def _canonical_digest(statement: object) -> bytes:
    canonical = json.dumps(statement, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).digest()


def _statement_text(
    body: Checkpoint,
    run_id: str,
    entry: InclusionProof,
    statement: object,
    traced: Sequence[TracedAllocation],
) -> str:
    return (
        f"convenio statement\n{body.origin}\nrun {run_id}\n"
        f"entry {entry.index} {b64(entry.leaf_hash)}\n"
        f"statement sha256 {b64(_canonical_digest(statement))}\n"
        f"allocations sha256 {b64(allocations_digest(traced))}\n"
        f"checkpoint {body.size} {b64(body.root_hash)}\n"
    )


def _run(uow: UnitOfWork, run_id: str) -> Any:
    row = uow.connection.execute(
        select(settlement_runs).where(settlement_runs.c.id == run_id)
    ).first()
    if row is None:
        raise NotFoundError(f"no settlement run {run_id!r} (convenio settle lists them)")
    return row


def sign_statement(
    uow: UnitOfWork, run_id: str, party: str, key_file: Path | None = None
) -> dict[str, object]:
    """The signed statement bundle of settlement run `run_id` at today's checkpoint."""
    signer = signer_of(uow, party, key_file)
    row = _run(uow, run_id)
    if row.reversed_at is not None:
        raise ConflictError(
            f"settlement run {run_id} was reopened: sign the statement of the run that replaced it"
        )
    body = checkpoint(uow)
    _require_of_log(uow, body)
    entry = inclusion_of(uow, RUN, run_id, body.size)
    record = _run_record(uow, entry.index)
    if leaf_hash(record) != entry.leaf_hash:
        raise IntegrityError(
            f"this store's record of run {run_id} is not its entry in the log "
            "(convenio ledger verify names what changed)"
        )
    statement = json.loads(row.statement)
    traced = trace(uow, record, run_id)
    proofs = _Proofs(uow, body.size)
    note = sign(_statement_text(body, run_id, entry, statement, traced), [signer])
    return {
        "statement": statement,
        "run": run_id,
        "entry": entry.as_json(),
        "run_entry": b64(record),
        "transactions": [
            {"id": txn, "proof": proofs.of(txn)} for txn in json.loads(row.transactions)
        ],
        "allocations": [{**a.as_json(), "proof": proofs.of(a.source_transaction)} for a in traced],
        "note": note.decode(),
    }


def _run_record(uow: UnitOfWork, index: int) -> bytes:
    """A run's entry (at `index`) recomputed from the store's rows (empty if gone)."""
    span = uow.log.span_at(index)
    recomputed = [] if span is None else uow.log.entries(span)
    return recomputed[0] if len(recomputed) == 1 else b""


class _Proofs:
    """Inclusion proofs of transactions at one tree size, each made once (a claim is
    often allocated in several parts, and a transaction records many claims)."""

    def __init__(self, uow: UnitOfWork, size: int) -> None:
        self._uow, self._size = uow, size
        self._made: dict[str, dict[str, object]] = {}

    def of(self, txn: str) -> dict[str, object]:
        if txn not in self._made:
            try:
                self._made[txn] = inclusion_of(self._uow, TXN, txn, self._size).as_json()
            except NotFoundError:
                raise IntegrityError(f"transaction {txn} is not in this store's log") from None
        return self._made[txn]


# -- checking what was signed -------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    """A signed checkpoint or statement that holds against the store: what it is, the
    checkpoint it names, whose signatures were verified, and with which keys."""

    kind: str  # "checkpoint" or "statement"
    body: Checkpoint
    signers: tuple[str, ...]
    given_keys: bool
    run: str | None = None


def _read_signed(content: bytes) -> tuple[bytes, dict[str, Any] | None]:
    """The note of a signed file, and the bundle around it if it is a statement."""
    if not content.lstrip().startswith(b"{"):
        return content, None
    try:
        bundle = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        raise InputError("the file is neither a signed note nor a statement bundle") from None
    if not isinstance(bundle, dict) or not isinstance(bundle.get("note"), str):
        raise InputError('the statement bundle has no "note"')
    return bundle["note"].encode(), bundle


def _open(
    uow: UnitOfWork, note: bytes, keys: Sequence[str], other_than: str | None = None
) -> tuple[str, tuple[str, ...]]:
    """The note's text and the names of those whose signatures were verified: each of
    `keys` must have signed; with none, the keys the log announced (and then, with
    `other_than`, a party other than that one)."""
    if keys:
        given = [parse_verifier(k) for k in keys]
        for key in given:
            try:
                open_note(note, [key])
            except SignatureError as exc:
                raise SignatureError(f"the key {key} did not sign it: {exc}") from None
        opened = open_note(note, given)
        return opened.text, opened.verified
    known = [v for vs in party_verifiers(uow).values() for v in vs]
    if not known:
        raise SignatureError(
            "no party announced a key in this store, so no signature can be checked: "
            "give the parties' keys (--key)"
        )
    opened = open_note(note, known)
    others = [n for n in opened.verified if n != other_than]
    if other_than is not None and not others:
        raise SignatureError(f"no party but {other_than} signed it: nothing to cosign")
    return opened.text, opened.verified


def _require_of_log(uow: UnitOfWork, body: Checkpoint) -> None:
    """`IntegrityError` unless `body` is a checkpoint of this store's log and the store
    verifies against it: every entry recomputed from its record, not only the stored
    hashes — a party signs or vouches for the records, and a hash the operator slipped
    into the log ahead of its record must not be signed. A checkpoint the other party
    signed that this store does not match is the record's fault."""
    from convenio.services.ledger import verify  # ledger's verify reads this module's kin

    problem = not_of_log(uow, body)
    if problem is not None:
        raise IntegrityError(
            f"it {problem}: the store was truncated, replaced or rewritten "
            "(convenio ledger verify --checkpoint FILE names where)"
        )
    verify(uow, expect=body)


def _field(bundle: dict[str, Any], name: str, kind: type) -> Any:
    value = bundle.get(name)
    if not isinstance(value, kind):
        raise InputError(f"the statement bundle's {name!r} is not a {kind.__name__}")
    return value


class _StatementNote(NamedTuple):
    """What a statement's note names: the checkpoint, the run, its entry's index and leaf
    hash, and the SHA-256 of the statement and of the allocations."""

    body: Checkpoint
    run: str
    entry: int
    leaf: bytes
    digest: bytes
    allocations: bytes


def _statement_body(text: str) -> _StatementNote:
    """Read a statement's note text."""
    lines = text.removesuffix("\n").split("\n")
    if len(lines) == 6 and lines[0] == "convenio statement":
        raise InputError(
            "the statement was signed before its allocations were traced: sign it again "
            "(convenio checkpoint statement)"
        )
    try:
        head, origin_line, run, entry, digest, allocated, cp = lines
        _, index, leaf = entry.split(" ")
        _, size, root = cp.split(" ")
        prefixes = (head, run[:4], entry[:6], digest[:17], allocated[:19], cp[:11])
        if prefixes != (
            "convenio statement", "run ", "entry ", "statement sha256 ",
            "allocations sha256 ", "checkpoint ",
        ):  # fmt: skip
            raise ValueError
        return _StatementNote(
            Checkpoint(origin_line, int(size), base64.b64decode(root, validate=True)),
            run[4:],
            int(index),
            base64.b64decode(leaf, validate=True),
            base64.b64decode(digest[17:], validate=True),
            base64.b64decode(allocated[19:], validate=True),
        )
    except (ValueError, binascii.Error, InputError):
        raise InputError("the note is not a signed statement of convenio") from None


def _proof_holds(proof: object, body: Checkpoint, what: str) -> tuple[int, bytes]:
    """Check an inclusion proof (JSON) against the checkpoint; its index and leaf hash."""
    try:
        assert isinstance(proof, dict)
        index, size = proof["index"], proof["tree_size"]
        leaf = base64.b64decode(proof["leaf_hash"], validate=True)
        root = base64.b64decode(proof["root_hash"], validate=True)
        hashes = [base64.b64decode(h, validate=True) for h in proof["hashes"]]
        assert isinstance(index, int) and isinstance(size, int)
    except (AssertionError, KeyError, TypeError, ValueError, binascii.Error):
        raise InputError(f"the inclusion proof of {what} is malformed") from None
    if (size, root) != (body.size, body.root_hash):
        raise IntegrityError(f"the inclusion proof of {what} is not at the signed checkpoint")
    try:
        check_record(hashes, size, root, index, leaf)
    except ProofError:
        raise IntegrityError(f"the inclusion proof of {what} does not hold") from None
    return index, leaf


def _check_statement(uow: UnitOfWork, text: str, bundle: dict[str, Any]) -> Checkpoint:
    """Check a statement bundle whose note says `text` against itself and the store:
    first what needs no store (the statement's digest, the run's entry and its proof, each
    allocation against that entry, every allocation's proof against the checkpoint), then
    the store (the checkpoint's root, the run's rows, where each proof puts its entry, the
    transaction that recorded each claim), and last the allocations' digest."""
    body, run_id, index, leaf, digest, allocations = _statement_body(text)
    if _field(bundle, "run", str) != run_id:
        raise IntegrityError(f"the bundle is of run {bundle['run']}, its note of run {run_id}")
    if _canonical_digest(bundle.get("statement")) != digest:
        raise IntegrityError(f"the statement of run {run_id} is not the one signed (its digest)")
    if _proof_holds(_field(bundle, "entry", dict), body, f"run {run_id}") != (index, leaf):
        raise IntegrityError(f"the entry proof of run {run_id} is not of the entry signed")
    try:
        record = base64.b64decode(_field(bundle, "run_entry", str), validate=True)
    except binascii.Error:
        raise InputError("the statement bundle's 'run_entry' is not base64") from None
    if leaf_hash(record) != leaf:
        raise IntegrityError(f"the bundle's run_entry is not the entry of run {run_id} signed")
    read = read_allocations(bundle.get("allocations"), record, run_id)
    for i, (a, proof) in enumerate(read):
        what = f"allocation {i}'s source {a.source_transaction}"
        _proof_holds(proof, body, what)
    _require_of_log(uow, body)
    row = _run(uow, run_id)
    if inclusion_of(uow, RUN, run_id, body.size).as_json() != bundle["entry"]:
        raise IntegrityError(f"run {run_id} is not at entry {index} of this store's log")
    if _canonical_digest(json.loads(row.statement)) != digest:
        raise IntegrityError(f"this store's statement of run {run_id} is not the one signed")
    if leaf_hash(_run_record(uow, index)) != leaf:
        raise IntegrityError(f"this store's record of run {run_id} is not the entry signed")
    listed = _field(bundle, "transactions", list)
    if [t.get("id") if isinstance(t, dict) else None for t in listed] != json.loads(
        row.transactions
    ):
        raise IntegrityError(f"the bundle's transactions are not those run {run_id} recorded")
    proofs = _Proofs(uow, body.size)
    for item in listed:
        txn = item["id"]
        _proof_holds(item.get("proof"), body, f"transaction {txn}")
        if proofs.of(txn) != item["proof"]:
            raise IntegrityError(f"transaction {txn} is not where its proof puts it")
    traced = [a for a, _ in read]
    check_sources(uow, traced)
    for i, (a, proof) in enumerate(read):
        if proofs.of(a.source_transaction) != proof:
            raise IntegrityError(
                f"allocation {i}'s source {a.source_transaction} is not where its proof puts it"
            )
    if allocations_digest(traced) != allocations:
        raise IntegrityError(f"the allocations of run {run_id} are not the ones signed (digest)")
    return body


def check_signed(uow: UnitOfWork, content: bytes, keys: Sequence[str] = ()) -> Checked:
    """Check a signed checkpoint or statement bundle: its signatures (each of `keys`, or
    the keys the log announced), its checkpoint against the store's log, and a bundle's
    statement digest and every proof. `IntegrityError` (exit 4) for what does not hold."""
    note, bundle = _read_signed(content)
    text, signers = _open(uow, note, keys)
    if bundle is None:
        body = Checkpoint.parse(text)
        _require_of_log(uow, body)
        return Checked("checkpoint", body, signers, bool(keys))
    body = _check_statement(uow, text, bundle)
    return Checked("statement", body, signers, bool(keys), bundle["run"])


def cosign_signed(
    uow: UnitOfWork, content: bytes, party: str, key_file: Path | None = None
) -> tuple[bytes, Checked]:
    """A checkpoint or statement bundle another party signed, checked against the store and
    cosigned by `party` (a checkpoint is kept in the store, committed); nothing is signed
    if it does not hold."""
    signer = signer_of(uow, party, key_file)
    note, bundle = _read_signed(content)
    text, signers = _open(uow, note, (), other_than=party)
    cosigned = cosign(note, signer)
    names = (*[n for n in signers if n != party], party)
    if bundle is None:
        body = Checkpoint.parse(text)
        _require_of_log(uow, body)
        store_checkpoint(uow, cosigned)
        uow.commit()
        return cosigned, Checked("checkpoint", body, names, False)
    body = _check_statement(uow, text, bundle)
    out = json.dumps({**bundle, "note": cosigned.decode()}, indent=2, ensure_ascii=False) + "\n"
    return out.encode(), Checked("statement", body, names, False, bundle["run"])


@dataclass(frozen=True)
class Verified:
    """`ledger verify` against a signed checkpoint: the verification and who signed."""

    report: VerifyReport
    body: Checkpoint
    signers: tuple[str, ...]
    given_keys: bool


def verify_checkpoint(uow: UnitOfWork, content: bytes, keys: Sequence[str] = ()) -> Verified:
    """Check the signatures of a signed checkpoint (or the checkpoint a signed statement
    names), then verify the whole store against it (`services.ledger.verify`)."""
    from convenio.services.ledger import verify

    note, bundle = _read_signed(content)
    text, signers = _open(uow, note, keys)
    body = Checkpoint.parse(text) if bundle is None else _statement_body(text)[0]
    return Verified(verify(uow, expect=body), body, signers, bool(keys))
