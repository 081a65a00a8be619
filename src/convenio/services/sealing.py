"""Sealing personal data at rest: AES-256-GCM under a key derived from the settings.

The key of ``CONVENIO_SECRET_KEY`` (at least 32 characters) goes through HKDF-SHA256 to
the 256-bit AES key; `key_id` is a fingerprint of that key (HMAC of a fixed label), stored
beside each sealed value so that a different key is named as such rather than failing
obscurely. A sealed value is the 12-byte random nonce followed by the ciphertext and tag;
the associated data (the case's pseudonym) binds it to its row, so values moved between
rows do not open either.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from convenio.errors import InputError, IntegrityError, Problem

__all__ = ["MIN_KEY_LENGTH", "Sealer"]

MIN_KEY_LENGTH: Final = 32
_INFO: Final = b"convenio personal data v1"
_NONCE: Final = 12
SETTING: Final = "CONVENIO_SECRET_KEY"


class Sealer:
    """Seals and opens values with the key of the settings."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise InputError(
                f"personal data needs a key: set {SETTING} (at least {MIN_KEY_LENGTH} "
                "characters); events without personal data load without one",
                [Problem("not set", field=SETTING)],
            )
        if len(secret) < MIN_KEY_LENGTH:
            raise InputError(
                f"{SETTING} is {len(secret)} characters long; it needs at least {MIN_KEY_LENGTH}",
                [Problem("too short", field=SETTING)],
            )
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO)
        self._key = hkdf.derive(secret.encode("utf-8"))
        self.key_id = hmac.new(self._key, b"key id", hashlib.sha256).hexdigest()[:16]

    def seal(self, plain: bytes, bound_to: str) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + AESGCM(self._key).encrypt(nonce, plain, bound_to.encode("utf-8"))

    def open(self, sealed: bytes, bound_to: str, key_id: str) -> bytes:
        """The plain bytes; `InputError` if sealed under another key, `IntegrityError` if
        the stored bytes were altered."""
        if key_id != self.key_id:
            raise InputError(
                f"personal data was sealed with key {key_id}, and {SETTING} is key "
                f"{self.key_id}: set the key it was sealed with",
                [Problem("another key", field=SETTING)],
            )
        try:
            return AESGCM(self._key).decrypt(
                sealed[:_NONCE], sealed[_NONCE:], bound_to.encode("utf-8")
            )
        except (InvalidTag, ValueError):  # ValueError: too short to hold a nonce
            raise IntegrityError(
                f"the sealed personal data of {bound_to} does not open: it was altered"
            ) from None
