"""Secrets of users: passwords hashed with Argon2id, API tokens shown once.

A token reads ``cnv_<id>_<secret>``: `id` (12 hex digits) names the stored row, `secret`
(32 random bytes, URL-safe base64) is never stored — only its SHA-256 digest. A token's
secret has 256 bits of entropy, so a fast digest is enough (a slow hash protects guessable
passwords, not random keys) and keeps each request's check to microseconds; comparison is
in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = [
    "TOKEN_PREFIX",
    "IssuedToken",
    "check_password",
    "hash_password",
    "hash_token_secret",
    "new_token",
    "split_token",
    "token_matches",
]

TOKEN_PREFIX: Final = "cnv_"
_ID_HEX: Final = 12
_HASHER: Final = PasswordHasher()  # Argon2id, the library's (RFC 9106) defaults
MIN_PASSWORD: Final = 12


def hash_password(password: str) -> str:
    """The Argon2id hash of `password` (PHC string: algorithm, parameters, salt, hash)."""
    return _HASHER.hash(password)


def check_password(stored: str, password: str) -> bool:
    """Whether `password` matches the stored Argon2id hash."""
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class IssuedToken:
    """A new token: `text` is shown once; `token_id` and `digest` are stored."""

    token_id: str
    text: str
    digest: str


def hash_token_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii", "replace")).hexdigest()


def new_token() -> IssuedToken:
    token_id = secrets.token_hex(_ID_HEX // 2)
    secret = secrets.token_urlsafe(32)
    return IssuedToken(token_id, f"{TOKEN_PREFIX}{token_id}_{secret}", hash_token_secret(secret))


def split_token(text: str) -> tuple[str, str] | None:
    """(token id, secret) of a token's text, or None if it is not shaped like one."""
    if not text.startswith(TOKEN_PREFIX):
        return None
    token_id, sep, secret = text[len(TOKEN_PREFIX) :].partition("_")
    if not sep or len(token_id) != _ID_HEX or not secret or len(secret) > 128:
        return None
    if any(c not in "0123456789abcdef" for c in token_id):
        return None
    return token_id, secret


def token_matches(stored_digest: str, secret: str) -> bool:
    return hmac.compare_digest(stored_digest, hash_token_secret(secret))
