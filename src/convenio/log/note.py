"""Signed notes (C2SP signed-note, Ed25519): how a party signs a checkpoint of the log.

Each party holds its own Ed25519 key; a checkpoint's text signed by both parties is their
agreement on the record up to that size. The formats are those of Go's
``golang.org/x/mod/sumdb/note``, so that standard verifiers read what convenio writes:

- signer key ``PRIVATE+KEY+<name>+<key id, 8 hex>+<base64(0x01 ‖ 32-byte seed)>``;
- verifier key ``<name>+<key id, 8 hex>+<base64(0x01 ‖ 32-byte public key)>``;
- key id: the first 4 bytes, big-endian, of SHA-256(name ‖ "\\n" ‖ 0x01 ‖ public key);
- note: the text (ending in "\\n"), a blank line, then one line per signature
  ``— <name> <base64(key id ‖ Ed25519 signature of the text)>``.

Pure functions over values: no file, no database. Malformed keys and notes are an
`InputError`; a signature that does not verify, or a note no trusted key signed, is a
`SignatureError` (an `IntegrityError`: what was handed over does not verify).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from convenio.errors import InputError, IntegrityError

__all__ = [
    "Opened",
    "SignatureError",
    "SignerKey",
    "VerifierKey",
    "b64",
    "cosign",
    "generate_signer",
    "open_note",
    "parse_signer",
    "parse_verifier",
    "sign",
]

KeyName = str
KeyId = int  # uint32, the first 4 bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key)

ALG_ED25519 = 0x01
_PRIVATE_PREFIX = "PRIVATE+KEY+"
_SIG_PREFIX = "— "  # em dash U+2014, then a space
# Go's note.Open refuses more; the spec asks verifiers to accept at least 16.
MAX_SIGNATURES = 100


class SignatureError(IntegrityError):
    """A signed note does not verify: a known key's signature fails, or no trusted key signed."""


def _is_space(char: str) -> bool:
    # Go's unicode.IsSpace: Latin-1 spaces, and every character of category Z.
    return char in "\t\n\v\f\r \x85\xa0" or unicodedata.category(char) in ("Zs", "Zl", "Zp")


def _name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a key name (spec: non-empty, no Unicode space, no '+'), or None.

    Control characters are refused too: a note holding one is malformed, so a key so named
    could never sign a note anyone opens.
    """
    if not name:
        return "the key name is empty"
    if "+" in name:
        return f"the key name {name!r} contains '+'"
    if any(_is_space(c) for c in name):
        return f"the key name {name!r} contains a space"
    if any(c < " " for c in name):
        return f"the key name {name!r} contains a control character"
    return None


def _check_name(name: str) -> None:
    problem = _name_problem(name)
    if problem is not None:
        raise InputError(problem)


def key_id(name: KeyName, public_key: bytes) -> KeyId:
    """The key id of an Ed25519 public key (32 bytes) under ``name``."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise InputError(f"{what} is not base64") from None


def b64(data: bytes) -> str:
    """Standard base64 text, as signed notes, checkpoints and proofs write bytes."""
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True)
class VerifierKey:
    """A party's public key under its name: what others hold to check its signatures."""

    name: KeyName
    key_id: KeyId
    public_key: bytes  # 32 bytes, RFC 8032 encoding

    def __post_init__(self) -> None:
        _check_name(self.name)
        if len(self.public_key) != 32:
            raise InputError(f"an Ed25519 public key is 32 bytes, not {len(self.public_key)}")
        if self.key_id != key_id(self.name, self.public_key):
            raise InputError(f"the key id {self.key_id:08x} is not that of {self.name}'s key")

    def __str__(self) -> str:
        """The verifier key text, ``name+keyid+base64(0x01 ‖ public key)``."""
        return f"{self.name}+{self.key_id:08x}+{b64(bytes([ALG_ED25519]) + self.public_key)}"

    def verifies(self, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` (64 bytes, without the key id) is this key's on ``message``."""
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


class SignerKey:
    """A party's private key under its name. Its repr and str never show the seed:
    `reveal` is the one way to the signer key text, for writing it to a private file."""

    __slots__ = ("_private", "key_id", "name")

    def __init__(self, name: KeyName, seed: bytes) -> None:
        _check_name(name)
        if len(seed) != 32:
            raise InputError(f"an Ed25519 private key seed is 32 bytes, not {len(seed)}")
        self.name: KeyName = name
        self._private = Ed25519PrivateKey.from_private_bytes(seed)
        self.key_id: KeyId = key_id(name, self.verifier().public_key)

    def __repr__(self) -> str:
        return f"SignerKey(name={self.name!r}, key_id={self.key_id:08x}, seed=<hidden>)"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        # Pickling would copy the seed out of sight of `reveal`.
        raise TypeError("a SignerKey is not pickled; store reveal()'s text in a private file")

    def verifier(self) -> VerifierKey:
        """The public half, to give to the other party."""
        public = self._private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return VerifierKey(self.name, key_id(self.name, public), public)

    def reveal(self) -> str:
        """The signer key text ``PRIVATE+KEY+name+keyid+base64(0x01 ‖ seed)``: a secret."""
        seed = self._private.private_bytes_raw()
        encoded = b64(bytes([ALG_ED25519]) + seed)
        return f"{_PRIVATE_PREFIX}{self.name}+{self.key_id:08x}+{encoded}"

    def signature(self, message: bytes) -> bytes:
        """The Ed25519 signature (64 bytes) of ``message``."""
        return self._private.sign(message)


def generate_signer(name: KeyName) -> tuple[SignerKey, VerifierKey]:
    """A new key pair for ``name``: the signer (kept private) and its verifier (given out)."""
    signer = SignerKey(name, secrets.token_bytes(32))
    return signer, signer.verifier()


def _split_key(text: str, parts: int, what: str) -> list[str]:
    fields = text.split("+", parts - 1)
    if len(fields) != parts:
        raise InputError(f"{what}: expected {parts} fields separated by '+'")
    return fields


def _key_fields(name: str, id_hex: str, encoded: str, what: str) -> tuple[KeyId, bytes]:
    """The key id and the 32 key bytes, after the checks both key texts share."""
    _check_name(name)
    if len(id_hex) != 8 or any(c not in "0123456789abcdefABCDEF" for c in id_hex):
        raise InputError(f"{what}: the key id {id_hex!r} is not 8 hexadecimal digits")
    raw = _b64decode(encoded, f"{what}: the key")
    if not raw:
        raise InputError(f"{what}: the key is empty")
    if raw[0] != ALG_ED25519:
        raise InputError(f"{what}: unknown key algorithm {raw[0]} (only 1, Ed25519)")
    if len(raw) != 33:
        raise InputError(f"{what}: an Ed25519 key is 32 bytes, not {len(raw) - 1}")
    return int(id_hex, 16), raw[1:]


def parse_verifier(text: str) -> VerifierKey:
    """The verifier key written as ``name+keyid+base64(0x01 ‖ public key)``."""
    what = "verifier key"
    name, id_hex, encoded = _split_key(text.strip(), 3, what)
    kid, public = _key_fields(name, id_hex, encoded, what)
    if kid != key_id(name, public):
        raise InputError(f"{what}: the key id {id_hex} is not that of {name}'s key")
    return VerifierKey(name, kid, public)


def parse_signer(text: str) -> SignerKey:
    """The signer key written as ``PRIVATE+KEY+name+keyid+base64(0x01 ‖ seed)``."""
    what = "signer key"
    text = text.strip()
    if not text.startswith(_PRIVATE_PREFIX):
        raise InputError(f"{what}: does not begin with {_PRIVATE_PREFIX!r}")
    name, id_hex, encoded = _split_key(text[len(_PRIVATE_PREFIX) :], 3, what)
    kid, seed = _key_fields(name, id_hex, encoded, what)
    signer = SignerKey(name, seed)
    if signer.key_id != kid:
        raise InputError(f"{what}: the key id {id_hex} is not that of {name}'s key")
    return signer


# --- notes -----------------------------------------------------------------------------


class Opened(NamedTuple):
    """A note whose signatures were checked: its text, who verifiably signed it (in the
    note's order), and how many signatures came from keys the opener does not know."""

    text: str
    verified: tuple[KeyName, ...]
    unverified: int


class _Line(NamedTuple):
    name: KeyName
    key_id: KeyId
    signature: bytes  # without the key id
    line: str  # as written, without the newline


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise InputError("a note's text must end with a newline")
    bad = next((c for c in text if (c < " " and c != "\n") or "\ud800" <= c <= "\udfff"), None)
    if bad is not None:
        raise InputError(f"a note's text may not contain the character {bad!r}")


def _signature_line(signer: SignerKey, text: bytes) -> str:
    signed = signer.key_id.to_bytes(4, "big") + signer.signature(text)
    return f"{_SIG_PREFIX}{signer.name} {b64(signed)}"


def _parse(note: bytes) -> tuple[str, list[_Line]]:
    """The text and signature lines of a note, refusing anything the spec calls malformed."""
    try:
        decoded = note.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("the note is not valid UTF-8") from None
    bad = next((c for c in decoded if c < " " and c != "\n"), None)
    if bad is not None:
        raise InputError(f"the note contains the control character {bad!r}")
    split = decoded.rfind("\n\n")
    if split < 0:
        raise InputError("the note has no blank line before its signatures")
    text, block = decoded[: split + 1], decoded[split + 2 :]
    if not block:
        raise InputError("the note has no signature")
    if not block.endswith("\n"):
        raise InputError("the note's last signature line does not end with a newline")
    raw_lines = block[:-1].split("\n")
    if len(raw_lines) > MAX_SIGNATURES:
        raise InputError(f"the note has more than {MAX_SIGNATURES} signatures")
    lines = []
    for number, raw in enumerate(raw_lines, start=1):
        where = f"signature line {number}"
        if not raw.startswith(_SIG_PREFIX):
            raise InputError(f"{where} does not begin with an em dash and a space")
        name, _, encoded = raw[len(_SIG_PREFIX) :].partition(" ")
        problem = _name_problem(name)
        if problem is not None:
            raise InputError(f"{where}: {problem}")
        signed = _b64decode(encoded, f"{where}: the signature")
        if len(signed) < 5:
            raise InputError(f"{where}: the signature is {len(signed)} bytes, too short")
        kid = int.from_bytes(signed[:4], "big")
        lines.append(_Line(name, kid, signed[4:], raw))
    return text, lines


def sign(text: str, signers: Iterable[SignerKey]) -> bytes:
    """The note of ``text`` (ending in a newline) signed by each of ``signers``, in order."""
    _check_text(text)
    signers = list(signers)
    if not signers:
        raise InputError("a note needs at least one signer")
    body = text.encode("utf-8")
    lines = _unique_lines(_signature_line(s, body) for s in signers)
    return body + b"\n" + "".join(f"{line}\n" for line in lines).encode("utf-8")


def _unique_lines(lines: Iterable[str]) -> list[str]:
    # A key signing twice writes the same line (Ed25519 is deterministic): keep one.
    return list(dict.fromkeys(lines))


def cosign(note: bytes, signer: SignerKey) -> bytes:
    """``note`` with ``signer``'s signature added after the others, which are kept as
    written; a signature already there by the same key (name and id) is replaced.

    The other signatures are not checked here: open the note with their verifiers first.
    """
    text, lines = _parse(note)
    kept = [x.line for x in lines if (x.name, x.key_id) != (signer.name, signer.key_id)]
    body = text.encode("utf-8")
    new = _unique_lines([*kept, _signature_line(signer, body)])
    return body + b"\n" + "".join(f"{line}\n" for line in new).encode("utf-8")


def _index(verifiers: Iterable[VerifierKey]) -> dict[tuple[KeyName, KeyId], VerifierKey]:
    known: dict[tuple[KeyName, KeyId], VerifierKey] = {}
    for verifier in verifiers:
        key = (verifier.name, verifier.key_id)
        if key in known and known[key] != verifier:
            # Two keys under one name and id: the list was tampered with; say so.
            raise InputError(
                f"two verifier keys share the name and id {verifier.name}+{key[1]:08x}"
            )
        known[key] = verifier
    return known


def open_note(note: bytes, verifiers: Iterable[VerifierKey]) -> Opened:
    """The text of ``note`` and who signed it, checked against ``verifiers``.

    Every signature by a known key (same name and key id) must verify. Signatures by
    unknown keys are counted, not checked, as the spec asks (another party, a rotated key).
    At least one known key must have signed.
    """
    known = _index(verifiers)
    text, lines = _parse(note)
    body = text.encode("utf-8")
    verified: list[KeyName] = []
    unverified: set[str] = set()
    for line in lines:
        verifier = known.get((line.name, line.key_id))
        if verifier is None:
            unverified.add(line.line)
            continue
        if not verifier.verifies(body, line.signature):
            raise SignatureError(
                f"the signature of {line.name}+{line.key_id:08x} does not verify the note's text"
            )
        if line.name not in verified:
            verified.append(line.name)
    if not verified:
        names = ", ".join(sorted({x.name for x in lines}))
        raise SignatureError(f"no trusted key signed the note (it is signed by: {names})")
    return Opened(text, tuple(verified), len(unverified))
