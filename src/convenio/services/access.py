"""Access use cases: users and tokens, authentication, and the audit trail.

`authenticate` turns the token of a request into a `Principal` (or says why not);
`sign_in` trades a login and password for a token, audited without the token's text;
`record` appends the audit entry of a state-changing request in the same unit of work as
the change, so that both commit or neither does; `verify_audit` recomputes the chain (the
ledger's `verify` calls it). The CLI's commands and the API's routes both call these.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from convenio.auth import (
    OPERATOR,
    Action,
    AuditEntry,
    IssuedToken,
    Principal,
    Role,
    check_password,
    hash_password,
    needs_org_unit,
    needs_party,
    new_token,
    split_token,
    verify_audit_chain,
)
from convenio.auth.secrets import MIN_PASSWORD, token_matches
from convenio.errors import (
    AccessError,
    AuthenticationError,
    ConflictError,
    InputError,
    IntegrityError,
    Problem,
)
from convenio.services.financing import stored_agreement
from convenio.store import UnitOfWork
from convenio.store.auth_repo import JobRow, TokenRow, UserRow
from convenio.store.ledger_repo import from_micros, to_micros

__all__ = [
    "LOGIN_TOKEN_LIFETIME",
    "REDACTED",
    "AuditReport",
    "add_user",
    "audit_entries",
    "authenticate",
    "current_token",
    "digest",
    "disable_user",
    "entry_json",
    "issue_token",
    "job",
    "login",
    "moment_text",
    "parse_lifetime",
    "principal_of",
    "record",
    "recorded_since",
    "revoke_token",
    "set_password",
    "sign_in",
    "tokens",
    "users",
    "verify_audit",
]

LOGIN_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")
LOGIN_TOKEN_LIFETIME: Final = timedelta(hours=12)
"""How long a token obtained with a password lasts."""
_LIFETIME: Final = re.compile(r"(\d{1,5})([hdw])")
_UNIT: Final = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


def _now() -> int:
    return to_micros(datetime.now(UTC))


def digest(data: bytes) -> str:
    """The SHA-256 of `data`, in hex (bodies and answers in the audit trail)."""
    return hashlib.sha256(data).hexdigest()


def parse_lifetime(text: str, field: str = "--expires") -> timedelta | None:
    """``90d``, ``12h``, ``2w`` as a duration; ``never`` as None."""
    if text == "never":
        return None
    match = _LIFETIME.fullmatch(text.strip())
    if match is None or int(match.group(1)) == 0:
        raise InputError(
            f"{field}: {text!r} is no lifetime; write a number and h, d or w (90d), or never",
            [Problem("not a lifetime", field=field)],
        )
    return int(match.group(1)) * _UNIT[match.group(2)]


# -- users -------------------------------------------------------------------------


def _check_scope(uow: UnitOfWork, role: Role, party: str | None, org_unit: str | None) -> None:
    problems: list[Problem] = []
    if needs_party(role) and party is None:
        problems.append(Problem(f"a {role} user acts for one party: give --party", field="--party"))
    if not needs_party(role) and party is not None and role is not Role.COORDINATOR:
        problems.append(Problem(f"a {role} user has no party", field="--party"))
    if needs_org_unit(role) and org_unit is None:
        problems.append(
            Problem("a coordinator works in an org unit: give --org-unit", field="--org-unit")
        )
    if not needs_org_unit(role) and org_unit is not None:
        problems.append(Problem(f"a {role} user has no org unit", field="--org-unit"))
    if party is not None and not problems:
        agreement = stored_agreement(uow)
        known = set() if agreement is None else {p.code for p in agreement.parties}
        if party not in known:
            listed = ", ".join(sorted(known)) or "none: load terms first"
            problems.append(
                Problem(f"unknown party {party!r} (parties: {listed})", field="--party")
            )
    if org_unit is not None and not problems and org_unit not in uow.missions.hierarchy().as_of():
        problems.append(
            Problem(
                f"unknown org unit {org_unit!r} (see convenio orgunits list)", field="--org-unit"
            )
        )
    if problems:
        raise InputError.from_problems(problems, "user")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InputError(
            f"the password is {len(password)} characters long; it needs at least {MIN_PASSWORD}",
            [Problem("too short", field="password")],
        )


def add_user(
    uow: UnitOfWork,
    login_name: str,
    role_name: str,
    party: str | None = None,
    org_unit: str | None = None,
    password: str | None = None,
) -> UserRow:
    """Create a user (all-or-nothing); the password, if any, is stored as Argon2id."""
    if LOGIN_PATTERN.fullmatch(login_name) is None:
        raise InputError(
            f"login {login_name!r}: lower-case letters, digits and . _ @ -, at most 64",
            [Problem("not a login", field="login")],
        )
    try:
        role = Role(role_name)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise InputError(
            f"--role: unknown role {role_name!r} (roles: {roles})",
            [Problem("unknown role", field="--role")],
        ) from None
    if password is not None:
        _check_password(password)
    _check_scope(uow, role, party, org_unit)
    uow.lock()
    if uow.auth.user(login_name) is not None:
        raise ConflictError(
            f"user {login_name!r} exists already", [Problem("exists", field="login")]
        )
    hashed = None if password is None else hash_password(password)
    uow.auth.add_user(login_name, role.value, party, org_unit, hashed, _now())
    user = uow.auth.user(login_name)
    assert user is not None
    uow.commit()
    return user


def users(uow: UnitOfWork) -> list[UserRow]:
    return uow.auth.users()


def _user(uow: UnitOfWork, login_name: str) -> UserRow:
    user = uow.auth.user(login_name)
    if user is None:
        raise InputError(f"no user {login_name!r}", [Problem("unknown user", field="login")])
    return user


def disable_user(uow: UnitOfWork, login_name: str) -> UserRow:
    """Disable a user at once: every token of theirs fails from the next request, and
    they may not sign in. A user disabled already is left as it is."""
    uow.lock()
    user = _user(uow, login_name)
    if user.disabled_at is None:
        uow.auth.disable_user(user.id, _now())
    uow.commit()
    return _user(uow, login_name)


def set_password(uow: UnitOfWork, login_name: str, password: str) -> UserRow:
    """Set (or replace) a user's password, stored as Argon2id; tokens already issued
    stay valid (revoke them to end them)."""
    _check_password(password)
    _user(uow, login_name)
    hashed = hash_password(password)  # slow on purpose: before the lock
    uow.lock()
    user = _user(uow, login_name)
    uow.auth.set_password(user.id, hashed)
    uow.commit()
    return user


def principal_of(user: UserRow, token_id: str | None = None) -> Principal:
    return Principal(user.login, Role(user.role), user.party, user.org_unit, user.id, token_id)


# -- tokens ------------------------------------------------------------------------


def issue_token(
    uow: UnitOfWork, login_name: str, lifetime: timedelta | None, label: str = ""
) -> tuple[IssuedToken, TokenRow]:
    """A new token for `login_name`, valid for `lifetime` (None: until revoked)."""
    user = _user(uow, login_name)
    if user.disabled_at is not None:
        raise InputError(f"user {login_name!r} is disabled", [Problem("disabled", field="login")])
    uow.lock()
    issued = new_token()
    at = _now()
    expires = None if lifetime is None else at + int(lifetime / timedelta(microseconds=1))
    uow.auth.add_token(issued.token_id, user.id, issued.digest, label[:100], at, expires)
    uow.commit()
    row = TokenRow(issued.token_id, user.id, user.login, issued.digest, label, at, expires, None)
    return issued, row


def tokens(uow: UnitOfWork, login_name: str | None = None) -> list[TokenRow]:
    return uow.auth.tokens(login_name)


def revoke_token(uow: UnitOfWork, token_id: str, actor: Principal = OPERATOR) -> TokenRow:
    """Revoke a token at once: the next request that shows it gets 401. Whoever may
    manage users revokes any token; anyone else only their own (`AccessError`, which
    does not say whether another's token exists)."""
    uow.lock()
    found = uow.auth.token(token_id)
    if not actor.may(Action.MANAGE_USERS) and (found is None or found[1].id != actor.user_id):
        raise AccessError(
            f"{actor.name} may revoke only their own tokens",
            [Problem("not your token", field="token_id")],
        )
    if not uow.auth.revoke_token(token_id, _now()):
        why = "it was revoked already" if found is not None else "there is no such token"
        raise InputError(f"token {token_id}: {why}", [Problem(why, field="ID")])
    uow.commit()
    revoked = uow.auth.token(token_id)
    assert revoked is not None
    return revoked[0]


def current_token(uow: UnitOfWork, who: Principal) -> TokenRow | None:
    """The token `who` signed in with (None for the operator and the public)."""
    found = None if who.token_id is None else uow.auth.token(who.token_id)
    return None if found is None else found[0]


def authenticate(uow: UnitOfWork, token_text: str, now: int | None = None) -> Principal:
    """The principal of a bearer token; `AuthenticationError` saying why not (without
    telling apart a wrong secret from an unknown token)."""
    parts = split_token(token_text)
    found = None if parts is None else uow.auth.token(parts[0])
    if parts is None or found is None or not token_matches(found[0].digest, parts[1]):
        raise AuthenticationError("the token is not valid")
    token, user = found
    at = _now() if now is None else now
    if token.revoked_at is not None:
        raise AuthenticationError("the token was revoked")
    if token.expires_at is not None and token.expires_at <= at:
        raise AuthenticationError("the token has expired")
    if user.disabled_at is not None:
        raise AuthenticationError("the user is disabled")
    return principal_of(user, token.id)


def login(uow: UnitOfWork, login_name: str, password: str) -> tuple[IssuedToken, TokenRow]:
    """A token lasting `LOGIN_TOKEN_LIFETIME` for a user's login and password."""
    user = uow.auth.user(login_name)
    if user is None or user.password_hash is None:
        hash_password(password)  # the same time spent whether the login exists or not
        raise AuthenticationError("wrong login or password")
    if not check_password(user.password_hash, password) or user.disabled_at is not None:
        raise AuthenticationError("wrong login or password")
    return issue_token(uow, login_name, LOGIN_TOKEN_LIFETIME, "password login")


REDACTED: Final = "(shown once to the user; not kept)"
"""What the audit trail keeps in place of a token's text."""


def sign_in(
    uow: UnitOfWork, login_name: str, password: str, route: str
) -> tuple[IssuedToken, TokenRow]:
    """`login`, and its audit entry in the same unit of work (the principal: the user
    who signed in). Neither the password nor the token is kept or digested: the entry's
    body digest covers the login alone and its answer reads `REDACTED` for the token, so
    nothing in the trail helps to guess either. No idempotency key: a replay must never
    hand a token to anyone."""
    issued, row = login(uow, login_name, password)
    answer = json.dumps(
        {"token": REDACTED, "id": row.id, "expires": moment_text(row.expires_at)},
        separators=(",", ":"),
    )
    user = _user(uow, login_name)
    record(
        uow, principal_of(user, row.id), "POST", route, None,
        digest(f"POST {route}\nlogin={login_name}".encode()), 201, answer.encode(), 0, 0,
        f"signed in: token {row.id}",
    )  # fmt: skip
    uow.commit()
    return issued, row


def moment_text(micros: int | None) -> str | None:
    """A stored moment (microseconds since the epoch) as ISO 8601 in UTC; None stays."""
    return None if micros is None else from_micros(micros).isoformat()


# -- the audit trail ---------------------------------------------------------------


def recorded_since(uow: UnitOfWork, before: int) -> tuple[int, int]:
    """The chain positions of the ledger transactions this unit of work recorded after
    position `before`, first and last, for an audit entry; (0, 0) when none."""
    after = uow.ledger.head().seq
    return (before + 1, after) if after > before else (0, 0)


def record(
    uow: UnitOfWork,
    who: Principal,
    method: str,
    route: str,
    idempotency_key: str | None,
    body_digest: str,
    status: int,
    answer: bytes,
    first_txn: int,
    last_txn: int,
    summary: str,
) -> AuditEntry:
    """Append the audit entry of a request to the unit of work (committed with it)."""
    return uow.auth.append_audit(
        {
            "at": _now(),
            "login": who.name,
            "role": "operator" if who.operator else str(who.role or ""),
            "party": who.party or "",
            "method": method,
            "route": route,
            "idempotency_key": idempotency_key or "",
            "body_digest": body_digest,
            "status": status,
            "answer_digest": digest(answer),
            "first_txn": first_txn,
            "last_txn": last_txn,
            "summary": summary,
        },
        answer.decode("utf-8"),
    )


def entry_json(entry: AuditEntry) -> dict[str, object]:
    """An audit entry as JSON: its fields, `at` as ISO 8601 (UTC)."""
    fields = dict(vars(entry))
    fields["at"] = datetime.fromtimestamp(entry.at / 1_000_000, UTC).isoformat()
    return fields


def audit_entries(
    uow: UnitOfWork,
    login_name: str | None = None,
    since: datetime | None = None,
    after: int = 0,
    limit: int | None = None,
) -> Sequence[AuditEntry]:
    """The entries of `login_name` (or everyone's) from `since`, in chain order: at most
    `limit` of them, those after entry `after` (a page starts after the last seq seen)."""
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    moment = None if since is None else to_micros(since)
    return uow.auth.audit_entries(login_name, moment, limit, after)


def job(uow: UnitOfWork, job_id: str, who: Principal) -> JobRow | None:
    """The job if `who` may see it — its creator, whoever reads the audit trail, the
    operator — else None, as for a job that does not exist (no one learns of another's)."""
    row = uow.auth.job(job_id)
    if row is None or (row.login != who.name and not who.may(Action.READ_AUDIT)):
        return None
    return row


@dataclass(frozen=True)
class AuditReport:
    entries: int
    head_seq: int
    head_hash: str


def verify_audit(uow: UnitOfWork) -> AuditReport:
    """Recompute the audit chain; `IntegrityError` naming the first entry that fails."""
    with closing(uow.auth.iter_audit()) as entries:
        count, last, broken = verify_audit_chain(entries)
    if broken is not None:
        raise IntegrityError(f"the audit trail is broken at entry {broken}: it was altered")
    seq, head = uow.auth.audit_head()
    if count != seq:
        raise IntegrityError(
            f"the audit head says {seq} entries but {count} are stored: entries were removed"
        )
    if last != head:
        raise IntegrityError(f"the audit head hash does not match entry {seq}")
    return AuditReport(count, seq, head)
