"""Who may call the server and what they did: sign-in, users, tokens, the audit trail,
jobs, and the demo.

Every route is one call of `convenio.services.access` (the CLI's ``users``, ``tokens`` and
``audit`` call the same). Secrets leave the server once: a token's text is in the answer
that issues it and nowhere else — the audit trail keeps the answer without it, and the
body digest of a request that carries a password leaves the password out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.exceptions import HTTPException
from pydantic import BaseModel, Field
from starlette.responses import Response

from convenio.api.deps import (
    CanManageUsers,
    CanReadAudit,
    CanRunDemo,
    CurrentPrincipal,
    JobsDep,
    Reader,
    SettingsDep,
    StoreDep,
)
from convenio.api.jobs import HeldStore, JobAnswer, job_answer
from convenio.api.middleware import LoginThrottle
from convenio.api.problems import PROBLEMS, problem_response
from convenio.api.writes import WriteDep
from convenio.auth import IssuedToken, Principal
from convenio.errors import AuthenticationError
from convenio.files import Tell
from convenio.services import access
from convenio.services.access import moment_text
from convenio.store import UnitOfWork
from convenio.store.auth_repo import TokenRow, UserRow

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["admin"], responses=PROBLEMS)

Login = Annotated[str, Field(min_length=1, max_length=64, description="A user's login")]


def signed_in(who: CurrentPrincipal) -> Principal:
    """The principal, if it is someone (else 401)."""
    if who.anonymous:
        raise AuthenticationError("sign in first: this route is for users")
    return who


SignedIn = Annotated[Principal, Depends(signed_in)]


# -- sign-in and the current user ------------------------------------------------------


class SignIn(BaseModel):
    login: Login
    password: str = Field(min_length=1, max_length=1024)


class TokenIssued(BaseModel):
    """A new token: `token` is its text, shown this once (only its digest is stored)."""

    token: str
    id: str
    expires: str | None = Field(description="ISO 8601 (UTC); null: until revoked")


def _issued(issued: IssuedToken, row: TokenRow) -> TokenIssued:
    return TokenIssued(token=issued.text, id=row.id, expires=moment_text(row.expires_at))


@router.post("/auth/token", status_code=201, response_model=TokenIssued)
def sign_in(body: SignIn, request: Request, store: StoreDep) -> TokenIssued | Response:
    """Trade a login and password for a token lasting 12 hours. A wrong pair gets 401
    without saying which part was wrong; after 5 failures for a login from one address
    within 60 s, or 30 from one address whatever the login, 429 with ``Retry-After``.
    Audited as the user who signed in, without the token or the password; an
    Idempotency-Key is ignored (no replay hands a token to anyone)."""
    throttle: LoginThrottle = request.app.state.login_throttle
    address = request.client.host if request.client else ""
    wait = throttle.retry_after(body.login, address)
    if wait:
        return problem_response(
            429, "too-many-attempts", "Too many failed sign-ins",
            f"too many failed sign-ins for this login; try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )  # fmt: skip
    try:
        with (
            throttle.hashing,
            store.unit_of_work(write=True, late_lock=True, hold_commits=True) as uow,
        ):
            issued, row = access.sign_in(uow, body.login, body.password, request.url.path)
            uow.release()
    except AuthenticationError:
        throttle.failed(body.login, address)
        raise
    throttle.succeeded(body.login, address)
    return _issued(issued, row)


class Me(BaseModel):
    """Who the credentials name, and the token they showed."""

    login: str
    role: str
    party: str | None
    org_unit: str | None
    token_id: str | None
    token_expires: str | None


@router.get("/me", response_model=Me)
def me(uow: Reader, who: SignedIn) -> Me:
    """The signed-in user: login, role, scope (party or org unit), and the token used
    with its expiry."""
    token = access.current_token(uow, who)
    return Me(
        login=who.name, role=str(who.role or ""), party=who.party, org_unit=who.org_unit,
        token_id=who.token_id,
        token_expires=None if token is None else moment_text(token.expires_at),
    )  # fmt: skip


# -- users -----------------------------------------------------------------------------


class UserRead(BaseModel):
    login: str
    role: str
    party: str | None
    org_unit: str | None
    password: bool = Field(description="Whether the user may sign in with a password")
    created: str
    disabled: str | None


class Users(BaseModel):
    users: list[UserRead]


def _user(row: UserRow) -> UserRead:
    return UserRead(
        login=row.login, role=row.role, party=row.party, org_unit=row.org_unit,
        password=row.password_hash is not None, created=moment_text(row.created_at) or "",
        disabled=moment_text(row.disabled_at),
    )  # fmt: skip


class UserCreate(BaseModel):
    """A user: a commission or treasury user acts for a `party`, a coordinator in an
    `org_unit` and its subtree. Without a password they use tokens issued to them."""

    login: Login
    role: str = Field(description="admin, commission, treasury, coordinator or auditor")
    party: str | None = Field(None, max_length=50)
    org_unit: str | None = Field(None, max_length=50)
    password: str | None = Field(None, min_length=1, max_length=1024)


@router.get("/users", response_model=Users)
def users(uow: Reader, who: CanManageUsers) -> Users:
    """Every user, with role, scope and whether they are disabled."""
    return Users(users=[_user(u) for u in access.users(uow)])


@router.post("/users", status_code=201, response_model=UserRead)
def add_user(body: UserCreate, who: CanManageUsers, write: WriteDep) -> Response:
    """Add a user (the password, if any, at least 12 characters, stored as Argon2id)."""
    write.keep_secret(body.model_copy(update={"password": None}))

    def work(uow: UnitOfWork) -> UserRow:
        return access.add_user(uow, body.login, body.role, body.party, body.org_unit, body.password)

    return write.run(who, work, _user, lambda u: f"user {u.login} added ({u.role})")


@router.post("/users/{login}/disable", status_code=200, response_model=UserRead)
def disable_user(
    login: Annotated[str, Path(max_length=64)], who: CanManageUsers, write: WriteDep
) -> Response:
    """Disable a user: their tokens fail from the next request on, and they may not sign
    in. Disabling a disabled user changes nothing."""

    def work(uow: UnitOfWork) -> UserRow:
        return access.disable_user(uow, login)

    return write.run(who, work, _user, lambda u: f"user {u.login} disabled", status=200)


# -- tokens ----------------------------------------------------------------------------


class TokenCreate(BaseModel):
    login: Login
    expires: str = Field("90d", description="Lifetime: 12h, 90d, 2w … or never")
    label: str = Field("", max_length=100, description="What the token is for")


class TokenRead(BaseModel):
    """A token as stored: its id, never its secret."""

    id: str
    login: str
    label: str
    created: str
    expires: str | None
    revoked: str | None


class Tokens(BaseModel):
    tokens: list[TokenRead]


def _token(row: TokenRow) -> TokenRead:
    return TokenRead(
        id=row.id, login=row.login, label=row.label, created=moment_text(row.created_at) or "",
        expires=moment_text(row.expires_at), revoked=moment_text(row.revoked_at),
    )  # fmt: skip


@router.post("/tokens", status_code=201, response_model=TokenIssued)
def issue_token(body: TokenCreate, who: CanManageUsers, write: WriteDep) -> Response:
    """Issue a token for a user; its text is in this answer only. A replay of the same
    Idempotency-Key answers with the token's id and without its text."""

    def work(uow: UnitOfWork) -> tuple[IssuedToken, TokenRow]:
        lifetime = access.parse_lifetime(body.expires, "expires")
        return access.issue_token(uow, body.login, lifetime, body.label)

    def kept(result: tuple[IssuedToken, TokenRow]) -> TokenIssued:
        return _issued(*result).model_copy(update={"token": access.REDACTED})

    return write.run(
        who, work, lambda r: _issued(*r), lambda r: f"token {r[1].id} issued to {r[1].login}",
        kept=kept,
    )  # fmt: skip


@router.get("/tokens", response_model=Tokens)
def tokens(
    uow: Reader,
    who: CanManageUsers,
    login: Annotated[str | None, Query(max_length=64, description="Only this user's")] = None,
) -> Tokens:
    """The tokens issued (ids, expiry, revocation; never their secrets)."""
    return Tokens(tokens=[_token(t) for t in access.tokens(uow, login)])


@router.delete("/tokens/{token_id}", status_code=200, response_model=TokenRead)
def revoke_token(
    token_id: Annotated[str, Path(max_length=64)], who: SignedIn, write: WriteDep
) -> Response:
    """Revoke a token at once. An admin revokes any token; any user their own."""

    def work(uow: UnitOfWork) -> TokenRow:
        return access.revoke_token(uow, token_id, actor=who)

    return write.run(who, work, _token, lambda t: f"token {t.id} revoked", status=200)


# -- the audit trail -------------------------------------------------------------------


class AuditEntryRead(BaseModel):
    """One state-changing request: who, when, what, its result and the ledger
    transactions it recorded (chain positions `first_txn`..`last_txn`; 0 when none)."""

    seq: int
    at: str
    login: str
    role: str
    party: str
    method: str
    route: str
    idempotency_key: str
    body_digest: str
    status: int
    answer_digest: str
    first_txn: int
    last_txn: int
    summary: str


class AuditPage(BaseModel):
    """`entries` in chain order; `next_after`: the `after` of the next page (null: no
    more)."""

    entries: list[AuditEntryRead]
    next_after: int | None


@router.get("/audit", response_model=AuditPage)
def audit(
    uow: Reader,
    who: CanReadAudit,
    user: Annotated[str | None, Query(max_length=64, description="Only this login")] = None,
    since: Annotated[
        datetime | None, Query(description="From this date or moment (ISO; UTC if no zone)")
    ] = None,
    after: Annotated[int, Query(ge=0, description="Entries after this seq (paging)")] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000, description="At most this many")] = 1000,
) -> AuditPage:
    """The audit trail: every request that changed state, oldest first, a page at a
    time."""
    found = access.audit_entries(uow, user, since, after, limit + 1)
    page: list[dict[str, Any]] = [access.entry_json(e) for e in found[:limit]]
    return AuditPage(
        entries=[AuditEntryRead.model_validate(e) for e in page],
        next_after=found[limit - 1].seq if len(found) > limit else None,
    )


# -- jobs and the demo -----------------------------------------------------------------


@router.get("/jobs/{job_id}", response_model=JobAnswer)
def job(
    job_id: Annotated[str, Path(max_length=64)], uow: Reader, who: SignedIn, jobs: JobsDep
) -> JobAnswer:
    """A job's state, progress and result. Seen by its creator, auditors and admins;
    anyone else gets 404, as for a job that does not exist."""
    row = jobs.job(uow, job_id, who)
    if row is None:
        raise HTTPException(404, f"no job {job_id}")
    return job_answer(row)


class DemoResult(BaseModel):
    """What the demo added, the ledger it left, and the net debt at each year end."""

    agreement: str
    added: dict[str, int]
    transactions: int
    head_hash: str
    year_ends: list[dict[str, Any]]


@router.post("/demo", status_code=202, response_model=JobAnswer)
def demo(who: CanRunDemo, jobs: JobsDep, write: WriteDep, settings: SettingsDep) -> Response:
    """Run the demo (sixteen years of the shipped agreement, as ``convenio demo``) on the
    store as a job: 202 with the job to poll; its result holds the headline figures."""
    from convenio.demo.run import run_demo

    secret = settings.secret_key.get_secret_value()

    def work(uow: UnitOfWork, tell: Tell) -> DemoResult:
        summary = run_demo(HeldStore(uow), tell, secret).to_dict()
        return DemoResult(
            agreement=summary["agreement"], added=summary["added"],
            transactions=summary["ledger"]["transactions"],
            head_hash=summary["ledger"]["head_hash"],
            year_ends=[{"date": y["date"], "net": y["net"]} for y in summary["year_ends"]],
        )  # fmt: skip

    return write.submit(who, jobs, "demo", work)
