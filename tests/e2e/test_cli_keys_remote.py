"""`convenio keys generate|rotate --server URL` against a live server: each party makes its
key on its own machine and announces it in the log of the server the other party runs.

What is shown: the key file is written here (0600, never printed) and no local store is
made; the server's log gets the announcements, and a replica followed from it lists both
parties' keys and verifies; the sequence of docs/transparency.md ("Two machines") runs —
XAT signs a checkpoint of its store, XBO cosigns it on its replica and files it on the
server; a refused announcement (the other party's token, a second first key, no token, a
server that is not one) leaves no key file, and a refused rotation leaves the old key
where it was; an announcement the server never answered keeps its key file, and a
redirect is not followed.
"""

from __future__ import annotations

import json
import re
import stat
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import pytest
from typer.testing import Result

from convenio.log import open_note, parse_verifier
from convenio.settings import get_settings
from tests.e2e.cli import Run, ok, one_line

if TYPE_CHECKING:
    from tests.api.live import LiveServer

VERIFIER = re.compile(r"^(XAT|XBO)\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for the module (SQLite): the tutorial's terms and a user of each role.
    The tests announce keys on it in file order: the first makes them, the next refuses."""
    import tests.api.conftest  # noqa: F401  (first: live.py imports it, and it imports live.py)
    from tests.api.live import serving

    tmp = tmp_path_factory.mktemp("served")
    with serving(f"sqlite:///{tmp / 'served.db'}", tmp) as server:
        yield server


def use(monkeypatch: pytest.MonkeyPatch, data: Path, database_url: str = "") -> None:
    """Run the next commands as the machine whose data directory is `data`."""
    monkeypatch.setenv("CONVENIO_DATA_DIR", str(data))
    monkeypatch.setenv("CONVENIO_DATABASE_URL", database_url)
    monkeypatch.delenv("CONVENIO_TOKEN", raising=False)
    get_settings.cache_clear()


def refused(result: Result, code: int) -> str:
    assert result.exit_code == code, (result.exit_code, result.output)
    return one_line(result.stderr).removeprefix("error: ")


def server_keys(live: LiveServer) -> list[dict[str, str]]:
    with live.client() as client:
        answer = client.get("/api/v1/log/keys")
    assert answer.status_code == 200, answer.text
    keys: list[dict[str, str]] = answer.json()
    return keys


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_both_parties_announce_their_keys_remotely_and_a_replica_shows_and_uses_them(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, live: LiveServer
) -> None:
    xat, xbo = tmp_path / "xat", tmp_path / "xbo"
    before = len(server_keys(live))
    use(monkeypatch, xat)
    token = live.people["commission-XAT"]
    made = run("keys", "generate", "--party", "XAT", "--server", live.url, "--token", token)
    xat_key = ok(made).strip()
    assert VERIFIER.match(xat_key), xat_key
    said = one_line(made.stderr)
    assert re.fullmatch(
        rf"XAT's private key is in {re.escape(str(xat / 'keys' / 'XAT.key'))} \(0600; keep it "
        rf"there\); the public key above is announced at entry \d+ of {re.escape(live.url)}'s "
        r"log: give it to the other party",
        said,
    ), said
    key_file = xat / "keys" / "XAT.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().strip() not in made.output
    assert files_in(xat) == ["keys"]  # the local store was never opened
    use(monkeypatch, tmp_path / "again")
    again = run("keys", "generate", "--party", "XAT", "--server", live.url, "--token", token)
    assert refused(again, 3).startswith(f"{live.url} refused it: XAT has a key already (")
    assert files_in(tmp_path / "again" / "keys") == []

    use(monkeypatch, xbo)
    monkeypatch.setenv("CONVENIO_TOKEN", live.people["commission-XBO"])
    first = ok(run("keys", "generate", "--party", "XBO", "--server", live.url)).strip()
    old_text = (xbo / "keys" / "XBO.key").read_text()
    turned = run("keys", "rotate", "--party", "XBO", "--server", live.url)
    second = ok(turned).strip()
    retired = xbo / "keys" / f"XBO.key.retired-{parse_verifier(first).key_id:08x}"
    assert re.fullmatch(
        rf"XBO's new key is in {re.escape(str(xbo / 'keys' / 'XBO.key'))}, announced at entry "
        rf"\d+ of {re.escape(live.url)}'s log \(signed by the key it replaces, "
        rf"{re.escape(first)}\); the old key file is kept as {re.escape(str(retired))}",
        one_line(turned.stderr),
    ), turned.stderr
    current_text = (xbo / "keys" / "XBO.key").read_text()
    assert retired.read_text() == old_text != current_text
    assert files_in(xbo) == ["keys"]
    kept = files_in(xbo / "keys")
    # Refused by the server (XAT's commission rotates XBO's key), then here (the retired
    # key is not the current one): the key file and its directory stay as they were.
    monkeypatch.setenv("CONVENIO_TOKEN", live.people["commission-XAT"])
    said = refused(run("keys", "rotate", "--party", "XBO", "--server", live.url), 6)
    assert said.endswith("may not announce a key of XBO: only who acts for XBO")
    monkeypatch.setenv("CONVENIO_TOKEN", live.people["commission-XBO"])
    old_file = ("--key-file", str(retired))
    said = refused(run("keys", "rotate", "--party", "XBO", *old_file, "--server", live.url), 3)
    assert f"holds a retired key of XBO ({first}); its current key is {second}" in said
    assert (xbo / "keys" / "XBO.key").read_text() == current_text
    assert files_in(xbo / "keys") == kept
    assert server_keys(live)[before:] == [
        {"party": "XAT", "verifier": xat_key},
        {"party": "XBO", "verifier": first},
        {"party": "XBO", "verifier": second},
    ]

    # XAT runs the server: it signs a checkpoint of its own store.
    use(monkeypatch, xat, live.store_url)
    ok(run("checkpoint", "sign", "--party", "XAT", "-o", "cp.note"))

    # XBO keeps a replica, which takes the keys over, and cosigns XAT's checkpoint on it.
    use(monkeypatch, xbo)
    auditor = live.people["auditor"]
    ok(run("follow", live.url, "--token", auditor, "--checkpoint", "cp.note"))
    listed = json.loads(ok(run("keys", "list", "--json")))
    assert [(k["party"], k["verifier"], k["replaces"]) for k in listed[before:]] == [
        ("XAT", xat_key, None),
        ("XBO", first, None),
        ("XBO", second, first),
    ]
    ok(run("ledger", "verify"))
    ok(run("checkpoint", "cosign", "cp.note", "--party", "XBO"))
    note = Path("cp.note").read_bytes()
    assert open_note(note, [parse_verifier(xat_key), parse_verifier(second)]).verified == (
        "XAT",
        "XBO",
    )
    with live.client("commission-XBO") as client:
        filed = client.post(
            "/api/v1/log/checkpoints", content=note, headers={"Content-Type": "text/plain"}
        )
        assert filed.status_code == 201, filed.text
        assert filed.json()["signers"] == ["XAT", "XBO"]
        latest = client.get("/api/v1/log/checkpoints/latest", params={"signers": "2"})
    assert latest.content == note
    # The replica got no entry of its own: it follows on, to the filing's audit entry.
    later = json.loads(ok(run("follow", live.url, "--token", auditor, "--json")))
    assert later["added"] == 1


def test_a_refused_announcement_leaves_no_key_file(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, live: LiveServer
) -> None:
    data = tmp_path / "data"
    use(monkeypatch, data)
    before = server_keys(live)
    xbo = live.people["commission-XBO"]
    said = refused(
        run("keys", "generate", "--party", "XAT", "--server", live.url, "--token", xbo), 6
    )
    assert said == (
        f"{live.url} refused it: commission-xbo may not announce a key of XAT: only who acts "
        "for XAT"
    )
    assert files_in(data / "keys") == []
    said = refused(run("keys", "generate", "--party", "XAT", "--server", live.url), 2)
    assert said.startswith(f"POST {live.url}/api/v1/log/keys answered HTTP 401 (sign in: ")
    assert said.endswith(": give a token (--token or CONVENIO_TOKEN)")
    assert files_in(data / "keys") == []
    said = refused(run("keys", "generate", "--party", "XAT", "--server", "ftp://x"), 2)
    assert said == "--server: 'ftp://x' is not a server's URL (http://… or https://…)"
    unreachable = "http://127.0.0.1:9"
    said = refused(run("keys", "generate", "--party", "XAT", "--server", unreachable), 5)
    assert said.startswith(f"cannot reach {unreachable}/api/v1/log/checkpoint: ")
    assert files_in(data / "keys") == []
    assert not (data / "convenio.db").exists()
    assert server_keys(live) == before


class _Flaky(BaseHTTPRequestHandler):
    """A server that names its log's origin, then fails (500) or redirects (307) every
    announcement; what it was sent is kept in `seen`."""

    seen: ClassVar[list[tuple[str, str, str | None]]] = []
    answer: ClassVar[int] = 500

    def do_GET(self) -> None:
        self.seen.append(("GET", self.path, self.headers.get("Authorization")))
        body = json.dumps({"origin": "convenio/0123456789abcdef", "size": 1}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.seen.append(("POST", self.path, self.headers.get("Authorization")))
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(self.answer)
        self.send_header("Location", "/elsewhere")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def flaky() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        _Flaky.seen.clear()


@pytest.mark.parametrize("status", [500, 307])
def test_an_announcement_left_unanswered_keeps_its_key_file_and_a_redirect_is_not_followed(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flaky: str, status: int
) -> None:
    """The server may have appended the key before failing: deleting the only copy of a
    key the log announced would leave the party unable to rotate it."""
    monkeypatch.setattr(_Flaky, "answer", status)
    use(monkeypatch, tmp_path / "data")
    said = refused(run("keys", "generate", "--party", "XAT", "--server", flaky, "--token", "t"), 5)
    key_file = tmp_path / "data" / "keys" / "XAT.key"
    redirect = " (a redirect is not followed)" if status == 307 else ""
    assert said.startswith(
        f"POST {flaky}/api/v1/log/keys answered HTTP {status}{redirect}; the key file "
        f"{key_file} is kept, as the server may have taken the announcement"
    ), said
    assert key_file.is_file()
    assert [(m, p) for m, p, _ in _Flaky.seen] == [
        ("GET", "/api/v1/log/checkpoint"),
        ("POST", "/api/v1/log/keys"),
    ]
