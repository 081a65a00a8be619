"""Each party's signing key: its file, and its announcement in the log — made here on
the local store, or sent to the other party's server.

A party's key is an Ed25519 signer (`convenio.log.note`) named by the party's code. Its
private text goes to one file only (``<data dir>/keys/<PARTY>.key``, or a path given),
created 0600 and never printed, logged or put in a message; the public half is announced
in the log by a ``key`` entry whose note is signed by the key itself (a first key) or by
the key it replaces (a rotation, signed by both). `generate_key` and `rotate_key` append
the announcement to the local store's log; `generate_on` and `rotate_on`, to the log of a
server (``POST /api/v1/log/keys``), writing nothing to the local store: each party keeps
its key on its own machine, and a replica gets no entry of its own. The announcement's
text and the rule it must hold to are `convenio.services.announcements`; what the keys
sign is `convenio.services.signed`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from convenio.errors import (
    AccessError,
    AuthenticationError,
    ConflictError,
    InputError,
    NotFoundError,
    StorageError,
)
from convenio.log import SignerKey, VerifierKey, generate_signer, parse_signer, parse_verifier, sign
from convenio.log.records import KEY
from convenio.services.announcements import (
    AnnouncedKey,
    announcement,
    append,
    current_key,
    require_party,
    verify_keys,
)
from convenio.services.log import origin, party_verifiers
from convenio.services.remote import Remote
from convenio.store import UnitOfWork
from convenio.store.log_tables import party_keys

__all__ = [
    "AnnouncedKey",
    "Filed",
    "Rotated",
    "announce",
    "announcement",
    "generate_key",
    "generate_on",
    "key_file_of",
    "list_keys",
    "rotate_key",
    "rotate_on",
    "signer_of",
    "verify_keys",
]

KEYS_DIR = "keys"
"""The directory of the parties' key files, in the data directory (mode 0700)."""
KEYS_ROUTE = "/api/v1/log/keys"
"""Where a server lists the announced keys (GET) and takes an announcement (POST)."""
REFUSED = (InputError, ConflictError, AccessError, AuthenticationError)
"""A server's refusals: the announcement was not appended. Anything else (a timeout, a
lost connection, a server error) leaves it unknown, so the new key file is kept — deleting
a key the log did announce would leave the party unable to rotate it."""


@dataclass(frozen=True)
class Rotated:
    """A rotation: the new key announced, and where the old key file is kept."""

    key: AnnouncedKey
    key_file: Path
    retired_file: Path


@dataclass(frozen=True)
class Filed:
    """A key announced on a server (`generate_on`, `rotate_on`): the key, the key it
    replaces, its entry in the server's log, the key file here and, after a rotation,
    where the old key file is kept."""

    party: str
    verifier: str
    replaces: str | None
    entry: int
    server: str
    key_file: Path
    retired_file: Path | None = None


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


# -- announcing keys in the local store --------------------------------------------


def announce(uow: UnitOfWork, signer: SignerKey, old: SignerKey | None = None) -> AnnouncedKey:
    """Append the announcement of `signer`'s key for its party (named by the key): a first
    key signs it itself, a rotation is signed by the `old` key and the new. No commit."""
    party, new = signer.name, signer.verifier()
    replaced = None if old is None else old.verifier()
    signers = [signer] if old is None else [old, signer]
    note = sign(announcement(origin(uow), party, new, replaced), signers)
    return append(uow, party, str(new), None if replaced is None else str(replaced), note)


def generate_key(uow: UnitOfWork, party: str, key_file: Path | None = None) -> AnnouncedKey:
    """A new key for `party` (a party of the terms, when terms are loaded): written to its
    key file, announced in the log, committed. A party holds one key: its next is a
    rotation (`ConflictError` here)."""
    require_party(uow, party)
    path = key_file_of(party, key_file)
    rotate = f"convenio keys rotate --party {party}"
    if os.path.lexists(path):
        raise ConflictError(f"the key file {path} already exists: to replace it, {rotate}")
    if current_key(uow, party) is not None:
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


# -- the current key --------------------------------------------------------------------


def _require_current(
    signer: SignerKey, announced: list[VerifierKey], path: Path, where: str
) -> None:
    """`ConflictError` unless `signer` (read from `path`) is the last key `announced`."""
    party, mine = signer.name, signer.verifier()
    if not announced:
        raise ConflictError(
            f"{party} has announced no key in {where}: convenio keys generate --party {party}"
        )
    if mine != announced[-1]:
        what = "a retired key" if mine in announced else f"a key {where} never announced"
        raise ConflictError(
            f"the key file {path} holds {what} of {party} ({mine}); its current key is "
            f"{announced[-1]}"
        )


def signer_of(uow: UnitOfWork, party: str, key_file: Path | None) -> SignerKey:
    """The signer in `party`'s key file, once shown to be the party's current key."""
    path = key_file_of(party, key_file)
    signer = _read_key(path, party)
    _require_current(signer, party_verifiers(uow).get(party, []), path, "this log")
    return signer


# -- announcing on a server -------------------------------------------------------------


def _server_origin(server: Remote) -> str:
    found = server.get("/api/v1/log/checkpoint")
    value = found.get("origin") if isinstance(found, dict) else None
    if not isinstance(value, str) or not value:
        raise StorageError(f"{server.url} did not name its log's origin")
    return value


def _server_keys(server: Remote, party: str) -> list[VerifierKey]:
    """`party`'s keys in the server's log, oldest first."""
    found = server.get(KEYS_ROUTE)
    try:
        return [parse_verifier(k["verifier"]) for k in found if k["party"] == party]
    except (InputError, KeyError, TypeError):
        raise StorageError(f"{server.url} did not answer a list of keys") from None


def _filed(server: Remote, answer: Any, path: Path, retired: Path | None = None) -> Filed:
    """What the server answered to an announcement it took."""
    try:
        party, verifier, replaces = answer["party"], answer["verifier"], answer["replaces"]
        entry = int(answer["entry"])
    except (KeyError, TypeError, ValueError):
        raise StorageError(
            f"{server.url} took the announcement but did not answer its entry; the key "
            f"file {path} is kept"
        ) from None
    return Filed(party, verifier, replaces, entry, server.url, path, retired)


def generate_on(server: Remote, party: str, key_file: Path | None = None) -> Filed:
    """A new key for `party`: its file written here, its announcement (signed by itself)
    sent to `server`, whose log appends it. A refusal leaves no key file behind; an
    answer that never came (`StorageError`) leaves it, as the log may hold the key."""
    path = key_file_of(party, key_file)
    if os.path.lexists(path):
        raise ConflictError(
            f"the key file {path} already exists: to replace it, convenio keys rotate "
            f"--party {party} --server {server.url}"
        )
    signer, verifier = generate_signer(party)
    note = sign(announcement(_server_origin(server), party, verifier, None), [signer])
    _keys_dir(path)
    _write_key(path, signer)
    try:
        answer = server.post(KEYS_ROUTE, note, "text/plain")
    except REFUSED:
        path.unlink(missing_ok=True)
        raise
    except StorageError as exc:
        raise StorageError(
            f"{exc}; the key file {path} is kept, as the server may have taken the "
            f"announcement: if its {KEYS_ROUTE} does not list {verifier}, delete the file "
            "and generate again"
        ) from None
    return _filed(server, answer, path)


def rotate_on(server: Remote, party: str, key_file: Path | None = None) -> Filed:
    """Replace `party`'s key on `server`: the key file here must hold the last key the
    server's log announced for the party; the new key's announcement, signed by both, is
    sent. Taken, the old file is kept as ``<file>.retired-<key id>`` and the new one takes
    its place; refused, the old key stays where it was and no new file is left (no answer:
    both are left, for the server's list of keys to decide)."""
    path = key_file_of(party, key_file)
    old = _read_key(path, party)
    _require_current(old, _server_keys(server, party), path, f"{server.url}'s log")
    retired = path.with_name(f"{path.name}.retired-{old.key_id:08x}")
    if os.path.lexists(retired):
        raise ConflictError(f"{retired} already exists: move it away first")
    signer, verifier = generate_signer(party)
    text = announcement(_server_origin(server), party, verifier, old.verifier())
    note = sign(text, [old, signer])
    fresh = path.with_name(f".{path.name}.new-{signer.key_id:08x}")
    _write_key(fresh, signer)
    try:
        os.link(path, retired)
    except OSError as exc:
        fresh.unlink(missing_ok=True)
        raise InputError(f"cannot keep the old key file as {retired}: {exc.strerror}") from None
    try:
        answer = server.post(KEYS_ROUTE, note, "text/plain")
    except REFUSED:
        retired.unlink(missing_ok=True)
        fresh.unlink(missing_ok=True)
        raise
    except StorageError as exc:
        raise StorageError(
            f"{exc}; the server may have taken the announcement, so the new key is kept in "
            f"{fresh}: if its {KEYS_ROUTE} lists {verifier} as {party}'s current key, move "
            f"{fresh} to {path}; if not, delete {fresh} and {retired}"
        ) from None
    try:
        os.replace(fresh, path)
    except OSError as exc:
        raise InputError(
            f"{server.url} announced the new key, but it cannot take the place of {path} "
            f"({exc.strerror}): it is in {fresh}; move it there"
        ) from None
    return _filed(server, answer, path, retired)
