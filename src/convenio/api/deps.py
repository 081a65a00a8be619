"""What routes depend on, as typed aliases: the store, the principal, a reader's unit of
work, a permission, a write.

A route reads as its signature: ``def balances(uow: Reader, who: CanReadLedger)``. The
principal comes from ``Authorization: Bearer <token>`` (or DHIS2's ``ApiToken <token>``)
only (never a query parameter or a cookie); no header means the public (anonymous), a
header that does not hold a valid token means 401.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Header, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from convenio.api.jobs import JobRunner
from convenio.auth import ANONYMOUS, Action, Principal
from convenio.errors import AuthenticationError
from convenio.services import access
from convenio.settings import Settings
from convenio.store import Store, UnitOfWork

__all__ = [
    "CanManageUsers",
    "CanReadAudit",
    "CanReadLedger",
    "CanReadMissions",
    "CanReadPersonal",
    "CanReadPublic",
    "CanReadTerms",
    "CanRunDemo",
    "CanSettle",
    "CanVerify",
    "CanWriteCatalog",
    "CanWriteFinance",
    "CanWriteMissions",
    "CanWriteTerms",
    "CurrentPrincipal",
    "JobsDep",
    "RawBody",
    "Reader",
    "SettingsDep",
    "StoreDep",
    "allowed",
    "get_store",
]


def get_store(request: Request) -> Store:
    store = request.app.state.store
    assert isinstance(store, Store)
    return store


StoreDep = Annotated[Store, Depends(get_store)]


def get_settings(request: Request) -> Settings:
    settings = request.app.state.settings
    assert isinstance(settings, Settings)
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_jobs(request: Request) -> JobRunner:
    jobs = request.app.state.jobs
    assert isinstance(jobs, JobRunner)
    return jobs


JobsDep = Annotated[JobRunner, Depends(get_jobs)]


_BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    bearerFormat="cnv_…",
    description=(
        "An API token (`convenio tokens issue`, or `POST /api/v1/auth/token`): "
        "`Authorization: Bearer cnv_…`; DHIS2's `Authorization: ApiToken cnv_…` too. "
        "Without it a request is the public's."
    ),
)


def current_principal(
    store: StoreDep,
    _documented: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)],
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Principal:
    # The scheme above documents the header (Swagger's Authorize); it is read here, where
    # DHIS2's ApiToken scheme is accepted as well.
    if authorization is None:
        return ANONYMOUS
    scheme, _, token = authorization.partition(" ")
    # ApiToken is DHIS2's scheme: its clients send the same token that way.
    if scheme.lower() not in ("bearer", "apitoken") or not token.strip():
        raise AuthenticationError("the Authorization header must read: Bearer <token>")
    with store.unit_of_work() as uow:
        return access.authenticate(uow, token.strip())


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def allowed(action: Action) -> Callable[..., Principal]:
    """A dependency: the principal, if its role allows `action` (else 401 for the public,
    403 for a user)."""

    def check(who: CurrentPrincipal) -> Principal:
        if who.anonymous and not who.may(action):
            raise AuthenticationError(f"sign in: the public may not {action}")
        who.require(action)
        return who

    return check


# The principal of a route, if its role allows the action (one alias per action).
CanReadPublic = Annotated[Principal, Depends(allowed(Action.READ_PUBLIC))]
CanReadTerms = Annotated[Principal, Depends(allowed(Action.READ_TERMS))]
CanReadLedger = Annotated[Principal, Depends(allowed(Action.READ_LEDGER))]
CanReadMissions = Annotated[Principal, Depends(allowed(Action.READ_MISSIONS))]
CanReadPersonal = Annotated[Principal, Depends(allowed(Action.READ_PERSONAL))]
CanVerify = Annotated[Principal, Depends(allowed(Action.VERIFY))]
CanReadAudit = Annotated[Principal, Depends(allowed(Action.READ_AUDIT))]
CanWriteTerms = Annotated[Principal, Depends(allowed(Action.WRITE_TERMS))]
CanWriteCatalog = Annotated[Principal, Depends(allowed(Action.WRITE_CATALOG))]
CanWriteFinance = Annotated[Principal, Depends(allowed(Action.WRITE_FINANCE))]
CanSettle = Annotated[Principal, Depends(allowed(Action.SETTLE))]
CanWriteMissions = Annotated[Principal, Depends(allowed(Action.WRITE_MISSIONS))]
CanManageUsers = Annotated[Principal, Depends(allowed(Action.MANAGE_USERS))]
CanRunDemo = Annotated[Principal, Depends(allowed(Action.RUN_DEMO))]


def reader(store: StoreDep) -> Iterator[UnitOfWork]:
    with store.unit_of_work() as uow:
        yield uow


Reader = Annotated[UnitOfWork, Depends(reader)]


async def raw_body(request: Request) -> bytes:
    """The request's body as sent (Starlette keeps it, so a typed body reads it too)."""
    return await request.body()


RawBody = Annotated[bytes, Depends(raw_body)]
