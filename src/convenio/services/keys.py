"""Each party's signing key: its file, its announcement in the log, its rotation, and the
check of every announcement.

A party's key is an Ed25519 signer (`convenio.log.note`) named by the party's code. Its
private text goes to one file only (``<data dir>/keys/<PARTY>.key``, or a path given),
created 0600 and never printed, logged or put in a message; the public half is announced
in the log by a ``key`` entry whose note is signed by the key itself (a first key) or by
the key it replaces (a rotation, signed by both). `verify_keys` checks every announcement
when the log is verified, so a key slipped into the store without the old key's signature
is found (exit 4). What the keys sign is `convenio.services.signed`.
"""

from __future__ import annotations

import base64
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from convenio.errors import ConflictError, InputError, IntegrityError, NotFoundError
from convenio.log import (
    SignerKey,
    VerifierKey,
    generate_signer,
    open_note,
    parse_signer,
    parse_verifier,
    sign,
)
from convenio.log.records import KEY, TERMS
from convenio.services import catalog
from convenio.services.log import (
    DEFAULT_ORIGIN,
    origin,
    party_verifiers,
)
from convenio.store import UnitOfWork
from convenio.store.financing_tables import terms_documents
from convenio.store.log_tables import party_keys

__all__ = [
    "AnnouncedKey",
    "Rotated",
    "announce",
    "announcement",
    "generate_key",
    "key_file_of",
    "list_keys",
    "rotate_key",
    "signer_of",
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
    old = signer_of(uow, party, path)
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


def signer_of(uow: UnitOfWork, party: str, key_file: Path | None) -> SignerKey:
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
