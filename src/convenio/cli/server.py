"""`convenio serve`, and the people who may call it: `users`, `tokens`, `audit`.

The CLI itself runs as the operator of the store (whoever can open the store's file or
database): it creates the first admin, issues and revokes tokens, and reads the audit
trail without signing in. Its changes to users and tokens are in the audit trail as the
operator's (method ``CLI``, the command line as the route: no secret is ever on it).
Everyone else reaches the store through the server, with the rights of their role
(docs/server.md).
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from convenio.cli.common import console, guard, open_store, parse_moment_option, print_json
from convenio.cli.render import Cell, Column, Listing, emit, output_format

if TYPE_CHECKING:
    from convenio.store import UnitOfWork

__all__ = ["audit", "serve", "tokens_app", "users_app"]

users_app = typer.Typer(
    help="Users of the server, with their role and scope.", no_args_is_help=True
)
tokens_app = typer.Typer(
    help="API tokens: issued to a user (shown once), listed, revoked.", no_args_is_help=True
)

JsonOpt = Annotated[bool, typer.Option("--json", help="JSON on stdout")]
CsvOpt = Annotated[bool, typer.Option("--csv", help="CSV on stdout")]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input")
]
T = TypeVar("T")


def _audited(
    command: Sequence[str], work: Callable[[UnitOfWork], T], said: Callable[[T], str]
) -> T:
    """Run `work` (one service call) as the operator, and record it in the audit trail
    in the same transaction: `command` is the command line (``convenio users add …``)."""
    from convenio.auth import OPERATOR
    from convenio.services import access

    line = shlex.join(["convenio", *command])
    with open_store().unit_of_work(write=True, late_lock=True, hold_commits=True) as uow:
        result = work(uow)
        summary = said(result)
        access.record(
            uow, OPERATOR, "CLI", line, None, access.digest(line.encode()), 0,
            summary.encode(), 0, 0, summary,
        )  # fmt: skip
        uow.release()
    return result


def _password() -> str:
    return sys.stdin.readline().rstrip("\r\n")


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on", min=1, max=65535)] = 8000,
) -> None:
    """Serve the REST API (and its documentation at /api/v1/docs) on the store."""
    import uvicorn

    from convenio.api import create_app
    from convenio.store import store_name

    with guard():
        store = open_store()
        console.print(
            f"serving {store_name(store.engine)} at http://{host}:{port}/api/v1 "
            f"(documentation: http://{host}:{port}/api/v1/docs)",
            highlight=False,
            soft_wrap=True,
        )
        app = create_app(store)
    uvicorn.run(app, host=host, port=port, log_level="info", server_header=False)


def _moment(micros: int | None) -> str:
    if micros is None:
        return ""
    return datetime.fromtimestamp(micros / 1_000_000, UTC).isoformat(timespec="seconds")


@users_app.command("add")
def users_add(
    login: Annotated[str, typer.Argument(help="The user's login (lower case)")],
    role: Annotated[str, typer.Option(help="admin, commission, treasury, coordinator or auditor")],
    party: Annotated[
        str | None, typer.Option(help="The party a commission or treasury user acts for")
    ] = None,
    org_unit: Annotated[
        str | None, typer.Option(help="The org unit (and its subtree) of a coordinator")
    ] = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Add a user; with --password-stdin they may sign in with a password (else only
    with tokens issued to them)."""
    from convenio.services import access

    command = ["users", "add", login, "--role", role]
    command += ["--party", party] if party else []
    command += ["--org-unit", org_unit] if org_unit else []
    command += ["--password-stdin"] if password_stdin else []
    with guard():
        password = _password() if password_stdin else None
        user = _audited(
            command,
            lambda uow: access.add_user(uow, login, role, party, org_unit, password),
            lambda u: f"user {u.login} added ({u.role})",
        )
    scope = user.party or user.org_unit
    console.print(
        f"added {user.login}: {user.role}" + (f" of {scope}" if scope else ""), highlight=False
    )


@users_app.command("disable")
def users_disable(
    login: Annotated[str, typer.Argument(help="The user to disable")],
) -> None:
    """Disable a user: their tokens fail from the next request on, and they may not sign
    in."""
    from convenio.services import access

    with guard():
        user = _audited(
            ["users", "disable", login],
            lambda uow: access.disable_user(uow, login),
            lambda u: f"user {u.login} disabled",
        )
    console.print(f"disabled {user.login}", highlight=False)


@users_app.command("password")
def users_password(
    login: Annotated[str, typer.Argument(help="The user whose password to set")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Set a user's password (at least 12 characters), read from standard input; their
    tokens stay valid (revoke them with convenio tokens revoke)."""
    from convenio.errors import InputError, Problem
    from convenio.services import access

    with guard():
        if not password_stdin:
            raise InputError(
                "give the password on standard input with --password-stdin "
                "(never on the command line, where other users of the machine see it)",
                [Problem("missing", field="--password-stdin")],
            )
        password = _password()
        user = _audited(
            ["users", "password", login, "--password-stdin"],
            lambda uow: access.set_password(uow, login, password),
            lambda u: f"password of {u.login} set",
        )
    console.print(f"password of {user.login} set", highlight=False)


@users_app.command("list")
def users_list(as_json: JsonOpt = False, as_csv: CsvOpt = False) -> None:
    """The users, their role and scope, and whether they have a password."""
    from convenio.services import access

    with guard(), open_store().unit_of_work() as uow:
        found = access.users(uow)
    columns = [
        Column("login"), Column("role"), Column("party"), Column("org_unit"),
        Column("password"), Column("created"), Column("disabled"),
    ]  # fmt: skip
    rows: list[Sequence[Cell]] = [
        (u.login, u.role, u.party or "", u.org_unit or "", "yes" if u.password_hash else "no",
         _moment(u.created_at), _moment(u.disabled_at))
        for u in found
    ]  # fmt: skip
    empty = "no users yet: add the first admin with convenio users add LOGIN --role admin"
    emit(Listing("Users", columns, rows, empty=empty), output_format(as_json, as_csv))


@tokens_app.command("issue")
def tokens_issue(
    login: Annotated[str, typer.Argument(help="The user the token is for")],
    expires: Annotated[
        str, typer.Option(help="Lifetime: hours, days or weeks (12h, 90d, 2w), or never")
    ] = "90d",
    label: Annotated[str, typer.Option(help="What the token is for")] = "",
) -> None:
    """Issue a token and print it once (only its digest is stored)."""
    from convenio.services import access

    with guard():
        lifetime = access.parse_lifetime(expires)
        issued, row = _audited(
            ["tokens", "issue", login, "--expires", expires, "--label", label],
            lambda uow: access.issue_token(uow, login, lifetime, label),
            lambda r: f"token {r[1].id} issued to {login}",
        )
    sys.stdout.write(issued.text + "\n")
    until = _moment(row.expires_at) or "revoked"
    sys.stderr.write(f"token {row.id} for {login}, valid until {until}; it is not shown again\n")


@tokens_app.command("list")
def tokens_list(
    login: Annotated[str | None, typer.Option(help="Only this user's tokens")] = None,
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
) -> None:
    """The tokens issued (their ids, never their secrets), with expiry and revocation."""
    from convenio.services import access

    with guard(), open_store().unit_of_work() as uow:
        found = access.tokens(uow, login)
    columns = [
        Column("id"), Column("login"), Column("label", wrap=True), Column("created"),
        Column("expires"), Column("revoked"),
    ]  # fmt: skip
    rows: list[Sequence[Cell]] = [
        (t.id, t.login, t.label, _moment(t.created_at), _moment(t.expires_at),
         _moment(t.revoked_at))
        for t in found
    ]  # fmt: skip
    empty = "no tokens: issue one with convenio tokens issue LOGIN"
    emit(Listing("Tokens", columns, rows, empty=empty), output_format(as_json, as_csv))


@tokens_app.command("revoke")
def tokens_revoke(token_id: Annotated[str, typer.Argument(metavar="ID", help="Token id")]) -> None:
    """Revoke a token at once: the next request showing it gets 401."""
    from convenio.services import access

    with guard():
        _audited(
            ["tokens", "revoke", token_id],
            lambda uow: access.revoke_token(uow, token_id),
            lambda t: f"token {t.id} revoked",
        )
    console.print(f"revoked token {token_id}", highlight=False)


def audit(
    user: Annotated[str | None, typer.Option(help="Only this user's requests")] = None,
    since: Annotated[
        str | None, typer.Option(help="Only from this date or date-time (ISO, UTC)")
    ] = None,
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
) -> None:
    """The audit trail: every request that changed state, who made it and what it did."""
    from convenio.services import access

    with guard():
        moment = parse_moment_option(since, "--since")
        if moment is not None and since is not None and len(since) == 10:
            moment = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        with open_store().unit_of_work() as uow:
            entries = access.audit_entries(uow, user, moment)
    if as_json:
        print_json({"entries": [access.entry_json(e) for e in entries]})
        return
    columns = [
        Column("seq"), Column("at"), Column("login"), Column("role"), Column("party"),
        Column("method"), Column("route"), Column("status"), Column("transactions"),
        Column("summary", wrap=True),
    ]  # fmt: skip
    rows: list[Sequence[Cell]] = [
        (e.seq, _moment(e.at), e.login, e.role, e.party, e.method, e.route, e.status,
         f"{e.first_txn}–{e.last_txn}" if e.first_txn else "", e.summary)
        for e in entries
    ]  # fmt: skip
    emit(
        Listing("Audit trail", columns, rows, empty="no requests have changed anything yet"),
        output_format(False, as_csv),
    )
