"""Each party's signing key and what it signs: checkpoints of the log and settlement
statements, and the check of both against the store.

A party's key is an Ed25519 signer (`convenio.log.note`) named by the party's code. Its
private text goes to one file only (``<data dir>/keys/<PARTY>.key``, or a path given),
created 0600 and never printed, logged or put in a message; the public half is announced
in the log by a ``key`` entry whose note is signed by the key itself (a first key) or by
the key it replaces (a rotation, signed by both). `verify_keys` checks every announcement
when the log is verified, so a key slipped into the store without the old key's signature
is found (exit 4).

A signed checkpoint is the C2SP note of `services.log.checkpoint`; a signed statement is a
JSON bundle: the run's statement as stored, the inclusion proofs of the run's entry and of
every transaction it recorded, and a note naming the run, its entry and leaf hash, the
statement's SHA-256 and the checkpoint that covers them. Either is checked against the
store: its signatures, the log's root at its size, every proof.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from convenio.errors import ConflictError, InputError, IntegrityError, NotFoundError
from convenio.log import (
    Checkpoint,
    ProofError,
    SignatureError,
    SignerKey,
    VerifierKey,
    check_record,
    cosign,
    generate_signer,
    leaf_hash,
    open_note,
    parse_signer,
    parse_verifier,
    sign,
)
from convenio.log.records import KEY, RUN, TERMS, TXN
from convenio.services import catalog
from convenio.services.ledger import VerifyReport
from convenio.services.log import (
    DEFAULT_ORIGIN,
    InclusionProof,
    checkpoint,
    inclusion_of,
    not_of_log,
    origin,
    party_verifiers,
    store_checkpoint,
)
from convenio.store import UnitOfWork
from convenio.store.financing_tables import settlement_runs, terms_documents
from convenio.store.log_tables import party_keys

__all__ = [
    "AnnouncedKey",
    "Checked",
    "Rotated",
    "Verified",
    "announce",
    "announcement",
    "check_signed",
    "cosign_signed",
    "generate_key",
    "key_file_of",
    "list_keys",
    "rotate_key",
    "sign_checkpoint",
    "sign_statement",
    "verify_checkpoint",
    "verify_keys",
]

KEYS_DIR = "keys"
"""The directory of the parties' key files, in the data directory (mode 0700)."""


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _moment(micros: int) -> str:
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)).isoformat()


def _now() -> int:
    return int(time.time() * 1_000_000)


@dataclass(frozen=True)
class AnnouncedKey:
    """A verifier key a party announced: the key it replaces, when (µs, UTC), its entry."""

    party: str
    verifier: str
    replaces: str | None
    announced_at: int
    entry: int

    @property
    def moment(self) -> str:
        """When it was announced, ISO 8601 in UTC."""
        return _moment(self.announced_at)

    def as_json(self) -> dict[str, object]:
        return {
            "party": self.party,
            "verifier": self.verifier,
            "replaces": self.replaces,
            "announced_at": self.moment,
            "entry": self.entry,
        }


@dataclass(frozen=True)
class Rotated:
    """A rotation: the new key announced, and where the old key file is kept."""

    key: AnnouncedKey
    key_file: Path
    retired_file: Path


# -- key files --------------------------------------------------------------------------


def key_file_of(party: str, key_file: Path | None = None) -> Path:
    """The key file of `party`: `key_file`, or ``<data dir>/keys/<PARTY>.key``."""
    if key_file is not None:
        return key_file
    from convenio.settings import get_settings

    return get_settings().data_dir / KEYS_DIR / f"{party}.key"


def _keys_dir(path: Path) -> None:
    """Create the directory of a key file (0700) if it is missing."""
    if path.parent.is_dir():
        return
    try:
        path.parent.mkdir(mode=0o700, parents=True)
        os.chmod(path.parent, 0o700)
    except OSError as exc:
        raise InputError(f"cannot create the key directory {path.parent}: {exc.strerror}") from None


def _write_key(path: Path, signer: SignerKey) -> None:
    """Write the signer's text to a new file `path`, mode 0600; refuse an existing one."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        raise ConflictError(f"the key file {path} already exists") from None
    except OSError as exc:
        raise InputError(f"cannot create the key file {path}: {exc.strerror}") from None
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, (signer.reveal() + "\n").encode("ascii"))
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    os.close(fd)


def _read_key(path: Path, party: str) -> SignerKey:
    """The signer key of `party` in `path` (which others may not read)."""
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise NotFoundError(
            f"no key file {path}: convenio keys generate --party {party} (or --key-file PATH)"
        ) from None
    except (OSError, UnicodeDecodeError):
        raise InputError(f"the key file {path} cannot be read as a signer key") from None
    if os.name == "posix" and mode & 0o077:
        raise InputError(
            f"the key file {path} may be read by others (mode {mode & 0o777:o}): chmod 600 {path}"
        )
    signer = parse_signer(text)
    if signer.name != party:
        raise InputError(f"the key file {path} holds the key of {signer.name}, not of {party}")
    return signer


# -- announcing keys --------------------------------------------------------------------


def announcement(
    origin_line: str, party: str, verifier: VerifierKey, replaces: VerifierKey | None
) -> str:
    """The text a key announcement's note signs."""
    text = f"convenio key\n{origin_line}\n{party}\n{verifier}\n"
    return text if replaces is None else f"{text}replaces {replaces}\n"


def _require_party(uow: UnitOfWork, party: str) -> None:
    codes = [p.code for p in catalog.parties(uow)]
    if codes and party not in codes:
        raise NotFoundError(f"--party: no party {party!r} in the terms (known: {', '.join(codes)})")


def _current(uow: UnitOfWork, party: str) -> VerifierKey | None:
    keys = party_verifiers(uow).get(party)
    return keys[-1] if keys else None


def announce(uow: UnitOfWork, signer: SignerKey, old: SignerKey | None = None) -> AnnouncedKey:
    """Append the announcement of `signer`'s key for its party (named by the key): a first
    key signs it itself, a rotation is signed by the `old` key and the new. No commit."""
    party, new = signer.name, signer.verifier()
    replaced = None if old is None else old.verifier()
    signers = [signer] if old is None else [old, signer]
    note = sign(announcement(origin(uow), party, new, replaced), signers)
    at = _now()
    replaces = None if replaced is None else str(replaced)
    key_id = uow.log.add_key(party, str(new), replaces, note.decode(), at)
    entry = uow.log.locate(KEY, key_id)
    assert entry is not None
    return AnnouncedKey(party, str(new), replaces, at, entry)


def generate_key(uow: UnitOfWork, party: str, key_file: Path | None = None) -> AnnouncedKey:
    """A new key for `party` (a party of the terms, when terms are loaded): written to its
    key file, announced in the log, committed. A party holds one key: its next is a
    rotation (`ConflictError` here)."""
    _require_party(uow, party)
    path = key_file_of(party, key_file)
    rotate = f"convenio keys rotate --party {party}"
    if os.path.lexists(path):
        raise ConflictError(f"the key file {path} already exists: to replace it, {rotate}")
    if _current(uow, party) is not None:
        raise ConflictError(f"{party} has already announced a key in this log: {rotate}")
    signer, _ = generate_signer(party)
    _keys_dir(path)
    _write_key(path, signer)
    try:
        announced = announce(uow, signer)
        uow.commit()
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return announced


def rotate_key(uow: UnitOfWork, party: str, key_file: Path | None = None) -> Rotated:
    """A new key for `party`, announced by a note its current key signs (and the new one);
    the old key file is kept as ``<file>.retired-<key id>``, the new one takes its place."""
    path = key_file_of(party, key_file)
    old = _signer_of(uow, party, path)
    retired = path.with_name(f"{path.name}.retired-{old.key_id:08x}")
    if os.path.lexists(retired):
        raise ConflictError(f"{retired} already exists: move it away first")
    signer, _ = generate_signer(party)
    fresh = path.with_name(f".{path.name}.new-{signer.key_id:08x}")
    _write_key(fresh, signer)
    try:
        announced = announce(uow, signer, old)
        os.link(path, retired)
    except OSError as exc:
        fresh.unlink(missing_ok=True)
        raise InputError(f"cannot keep the old key file as {retired}: {exc.strerror}") from None
    except BaseException:
        fresh.unlink(missing_ok=True)
        raise
    try:
        os.replace(fresh, path)
        uow.commit()
    except BaseException:
        os.replace(retired, path)
        fresh.unlink(missing_ok=True)
        raise
    return Rotated(announced, path, retired)


def list_keys(uow: UnitOfWork) -> list[AnnouncedKey]:
    """Every key announced, in the order of the log."""
    k = party_keys.c
    rows = uow.connection.execute(
        select(k.id, k.party, k.verifier, k.replaces, k.announced_at).order_by(k.id)
    ).all()
    found = []
    for key_id, party, verifier, replaces, at in rows:
        entry = uow.log.locate(KEY, key_id)
        found.append(AnnouncedKey(party, verifier, replaces, at, -1 if entry is None else entry))
    return found


def _origin_at(uow: UnitOfWork, index: int) -> str:
    """The log's origin when entry `index` was appended (it names the agreement once the
    first terms are loaded)."""
    t = terms_documents.c
    first = uow.connection.execute(
        select(t.id, t.agreement_id).order_by(t.id).limit(1)
    ).one_or_none()
    if first is None:
        return DEFAULT_ORIGIN
    at = uow.log.locate(TERMS, first.id)
    return f"convenio/{first.agreement_id}" if at is not None and at < index else DEFAULT_ORIGIN


def verify_keys(uow: UnitOfWork) -> int:
    """Check every key announcement: a party's first key signed by itself, each later one
    replacing its current key and signed by it (and by itself), the signed text naming the
    party and the key. `IntegrityError` naming the entry; the number of keys."""
    k = party_keys.c
    rows = uow.connection.execute(
        select(k.id, k.party, k.verifier, k.replaces, k.note).order_by(k.id)
    ).all()
    current: dict[str, VerifierKey] = {}
    for key_id, party, verifier, replaces, note in rows:
        index = uow.log.locate(KEY, key_id)
        where = f"entry {index} (key {key_id}, of {party})"
        try:
            new = parse_verifier(verifier)
            old = None if replaces is None else parse_verifier(replaces)
        except InputError as exc:
            raise IntegrityError(f"{where}: {exc}") from None
        if new.name != party:
            raise IntegrityError(f"{where}: the key announced is named {new.name}, not {party}")
        held = current.get(party)
        if old != held:
            raise IntegrityError(
                f"{where}: announces a key for {party} that does not replace its current "
                f"key {held} with that key's signature: the announcement is forged"
                if held is not None
                else f"{where}: replaces a key {party} never announced: the announcement is forged"
            )
        for signer in (new,) if old is None else (old, new):
            try:
                open_note(note.encode(), [signer])
            except (InputError, IntegrityError):
                raise IntegrityError(
                    f"{where}: the announcement is not signed by {signer}: it is forged"
                ) from None
        text = open_note(note.encode(), [new]).text
        if index is None or text != announcement(_origin_at(uow, index), party, new, old):
            raise IntegrityError(
                f"{where}: the announcement's signed text does not name {party} and its "
                "key: it is forged"
            )
        current[party] = new
    return len(rows)


# -- signing ----------------------------------------------------------------------------


def _signer_of(uow: UnitOfWork, party: str, key_file: Path | None) -> SignerKey:
    """The signer in `party`'s key file, once shown to be the party's current key."""
    path = key_file_of(party, key_file)
    signer = _read_key(path, party)
    mine = signer.verifier()
    announced = party_verifiers(uow).get(party, [])
    if not announced:
        raise ConflictError(
            f"{party} has announced no key in this log: convenio keys generate --party {party}"
        )
    if mine != announced[-1]:
        what = "a retired key" if mine in announced else "a key this log never announced"
        raise ConflictError(
            f"the key file {path} holds {what} of {party} ({mine}); its current key is "
            f"{announced[-1]}"
        )
    return signer


def sign_checkpoint(
    uow: UnitOfWork, party: str, key_file: Path | None = None
) -> tuple[bytes, Checkpoint]:
    """The checkpoint of the log as it is, signed by `party` and kept in the store
    (committed): the note, and the checkpoint."""
    signer = _signer_of(uow, party, key_file)
    body = checkpoint(uow)
    note = sign(body.format(), [signer])
    store_checkpoint(uow, note)
    uow.commit()
    return note, body


def _canonical_digest(statement: object) -> bytes:
    canonical = json.dumps(statement, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).digest()


def _statement_text(body: Checkpoint, run_id: str, entry: InclusionProof, statement: object) -> str:
    return (
        f"convenio statement\n{body.origin}\nrun {run_id}\n"
        f"entry {entry.index} {_b64(entry.leaf_hash)}\n"
        f"statement sha256 {_b64(_canonical_digest(statement))}\n"
        f"checkpoint {body.size} {_b64(body.root_hash)}\n"
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
    signer = _signer_of(uow, party, key_file)
    row = _run(uow, run_id)
    if row.reversed_at is not None:
        raise ConflictError(
            f"settlement run {run_id} was reopened: sign the statement of the run that replaced it"
        )
    body = checkpoint(uow)
    entry = inclusion_of(uow, RUN, run_id, body.size)
    statement = json.loads(row.statement)
    proofs = [
        {"id": txn, "proof": inclusion_of(uow, TXN, txn, body.size).as_json()}
        for txn in json.loads(row.transactions)
    ]
    note = sign(_statement_text(body, run_id, entry, statement), [signer])
    return {
        "statement": statement,
        "run": run_id,
        "entry": entry.as_json(),
        "transactions": proofs,
        "note": note.decode(),
    }


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
    """`IntegrityError` unless `body` is a checkpoint of this store's log: a checkpoint
    the other party signed that this store does not match is the record's fault."""
    problem = not_of_log(uow, body)
    if problem is not None:
        raise IntegrityError(
            f"it {problem}: the store was truncated, replaced or rewritten "
            "(convenio ledger verify --checkpoint FILE names where)"
        )


def _field(bundle: dict[str, Any], name: str, kind: type) -> Any:
    value = bundle.get(name)
    if not isinstance(value, kind):
        raise InputError(f"the statement bundle's {name!r} is not a {kind.__name__}")
    return value


def _statement_body(text: str) -> tuple[Checkpoint, str, int, bytes, bytes]:
    """The checkpoint, run id, entry index, leaf hash and statement digest a statement's
    note names."""
    lines = text.removesuffix("\n").split("\n")
    try:
        head, origin_line, run, entry, digest, cp = lines
        _, index, leaf = entry.split(" ")
        _, size, root = cp.split(" ")
        if (head, run[:4], entry[:6], digest[:17], cp[:11]) != (
            "convenio statement", "run ", "entry ", "statement sha256 ", "checkpoint ",
        ):  # fmt: skip
            raise ValueError
        body = Checkpoint(origin_line, int(size), base64.b64decode(root, validate=True))
        return (
            body,
            run[4:],
            int(index),
            base64.b64decode(leaf, validate=True),
            (base64.b64decode(digest[17:], validate=True)),
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
    """Check a statement bundle whose note says `text` against itself and the store."""
    body, run_id, index, leaf, digest = _statement_body(text)
    if _field(bundle, "run", str) != run_id:
        raise IntegrityError(f"the bundle is of run {bundle['run']}, its note of run {run_id}")
    if _canonical_digest(bundle.get("statement")) != digest:
        raise IntegrityError(f"the statement of run {run_id} is not the one signed (its digest)")
    if _proof_holds(_field(bundle, "entry", dict), body, f"run {run_id}") != (index, leaf):
        raise IntegrityError(f"the entry proof of run {run_id} is not of the entry signed")
    _require_of_log(uow, body)
    row = _run(uow, run_id)
    if inclusion_of(uow, RUN, run_id, body.size).as_json() != bundle["entry"]:
        raise IntegrityError(f"run {run_id} is not at entry {index} of this store's log")
    if _canonical_digest(json.loads(row.statement)) != digest:
        raise IntegrityError(f"this store's statement of run {run_id} is not the one signed")
    span = uow.log.span_at(index)
    recomputed = [] if span is None else uow.log.entries(span)
    if [leaf_hash(e) for e in recomputed] != [leaf]:
        raise IntegrityError(f"this store's record of run {run_id} is not the entry signed")
    listed = _field(bundle, "transactions", list)
    if [t.get("id") if isinstance(t, dict) else None for t in listed] != json.loads(
        row.transactions
    ):
        raise IntegrityError(f"the bundle's transactions are not those run {run_id} recorded")
    for item in listed:
        txn = item["id"]
        _proof_holds(item.get("proof"), body, f"transaction {txn}")
        if inclusion_of(uow, TXN, txn, body.size).as_json() != item["proof"]:
            raise IntegrityError(f"transaction {txn} is not where its proof puts it")
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
    signer = _signer_of(uow, party, key_file)
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
