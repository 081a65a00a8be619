"""`convenio users`, `tokens` and `audit`: the operator creates the people of the server,
and each of its changes is in the audit trail as the operator's, with no secret in it."""

from __future__ import annotations

import json

from typer.testing import CliRunner, Result

from convenio.cli.main import app
from convenio.services import access
from convenio.settings import get_settings
from convenio.store import Store
from tests.e2e.cli import Run, ok, one_line

PASSWORD = "correct horse battery"


def _with_stdin(*args: str, stdin: str) -> Result:
    """The CLI with `stdin` (the `run` fixture has set up the store's environment)."""
    return CliRunner().invoke(app, list(args), input=stdin)


def _store() -> Store:
    return Store(get_settings().store_url)


def test_the_operator_manages_users_and_tokens_and_each_change_is_audited(run: Run) -> None:
    ok(_with_stdin("users", "add", "root", "--role", "admin", "--password-stdin",
                   stdin=PASSWORD + "\n"))  # fmt: skip
    issued = run("tokens", "issue", "root", "--expires", "2d", "--label", "laptop")
    token = ok(issued).strip()
    assert token.startswith("cnv_") and "not shown again" in issued.stderr
    listed = json.loads(ok(run("tokens", "list", "--json")))
    assert token not in json.dumps(listed)
    (row,) = listed
    assert (row["login"], row["label"], row["revoked"]) == ("root", "laptop", "")
    store = _store()
    try:
        with store.unit_of_work() as uow:
            assert access.authenticate(uow, token).login == "root"
        ok(run("tokens", "revoke", row["id"]))
        ok(_with_stdin("users", "password", "root", "--password-stdin", stdin="another long one\n"))
        ok(run("users", "disable", "root"))
        with store.unit_of_work() as uow:
            (user,) = access.users(uow)
            assert user.disabled_at is not None
            assert access.verify_audit(uow).entries == 5
    finally:
        store.close()
    trail = json.loads(ok(run("audit", "--json")))["entries"]
    assert [(e["login"], e["role"], e["method"], e["status"]) for e in trail] == [
        ("operator", "operator", "CLI", 0)
    ] * 5
    assert [e["route"] for e in trail] == [
        "convenio users add root --role admin --password-stdin",
        "convenio tokens issue root --expires 2d --label laptop",
        f"convenio tokens revoke {row['id']}",
        "convenio users password root --password-stdin",
        "convenio users disable root",
    ]
    assert trail[1]["summary"] == f"token {row['id']} issued to root"
    text = json.dumps(trail)
    assert token not in text and PASSWORD not in text and "another long one" not in text
    assert "operator" in one_line(ok(run("audit", "--user", "operator")))
    assert "ok" in ok(run("ledger", "verify")).lower()


def test_a_refused_change_leaves_no_entry(run: Run) -> None:
    short = _with_stdin("users", "add", "root", "--role", "admin", "--password-stdin",
                        stdin="short\n")  # fmt: skip
    assert short.exit_code == 2 and "at least 12" in short.stderr
    unknown = run("users", "disable", "nobody")
    assert unknown.exit_code == 2 and "no user 'nobody'" in unknown.stderr
    no_stdin = run("users", "password", "nobody")
    assert no_stdin.exit_code == 2 and "--password-stdin" in no_stdin.stderr
    assert json.loads(ok(run("audit", "--json"))) == {"entries": []}
