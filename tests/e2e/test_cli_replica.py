"""`convenio log export`, `convenio follow` and `convenio diff` end to end: party XBO's store
(the tutorial's terms, accounts and journal, XBO's key and a signed checkpoint) exported,
followed into a second store that then verifies and reads offline, followed again, refused
when the file is tampered with, and two copies compared after an SQL edit of one."""

from __future__ import annotations

import base64
import json
import re
import sqlite3
from pathlib import Path

import pytest

from convenio.examples import EXAMPLES
from convenio.log.records import read_entry
from convenio.settings import get_settings
from tests.e2e.cli import Run, ok, one_line

MORE = (
    "txn_id,date,account,amount,unit,description\n"
    "fuel-1,2024-02-05,XBO/expense/freight,1200.00,USD,bunker fuel\n"
    "fuel-1,2024-02-05,XBO/reserves/central-bank,-1200.00,USD,bunker fuel\n"
    "fuel-2,2024-02-19,XBO/expense/freight,800.00,USD,bunker fuel\n"
    "fuel-2,2024-02-19,XBO/reserves/central-bank,-800.00,USD,bunker fuel\n"
)


def use(monkeypatch: pytest.MonkeyPatch, data: Path) -> None:
    """Run the next commands on the embedded store of `data`."""
    monkeypatch.setenv("CONVENIO_DATA_DIR", str(data))
    get_settings.cache_clear()


def source(run: Run, tmp_path: Path) -> int:
    """XBO's store in ``data``: terms, accounts, journal, XBO's key and a checkpoint of
    that (``cp.note``), an export of it (``early.jsonl``), then two more transactions and
    the whole log exported (``log.jsonl``). The checkpoint's size."""
    ok(run("terms", "load", str(EXAMPLES / "tutorial.yaml")))
    ok(run("ledger", "open", "--file", str(EXAMPLES / "accounts.csv")))
    ok(run("ledger", "post", str(EXAMPLES / "journal.csv")))
    ok(run("keys", "generate", "--party", "XBO"))
    ok(run("checkpoint", "sign", "--party", "XBO", "-o", "cp.note"))
    ok(run("log", "export", "-o", "early.jsonl"))
    (tmp_path / "more.csv").write_text(MORE, encoding="utf-8")
    ok(run("ledger", "post", "more.csv"))
    said = ok(run("log", "export", "-o", "log.jsonl"))
    assert one_line(said).startswith("exported 12 entries (from entry 0) of the log ")
    return int((tmp_path / "cp.note").read_text().splitlines()[1])


def test_a_replica_followed_from_an_export_verifies_reads_offline_and_equals_the_source(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    signed = source(run, tmp_path)
    lines = (tmp_path / "log.jsonl").read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    assert set(header) == {"convenio_log", "origin", "tree_size", "root_hash"}
    assert header["convenio_log"] == 1
    assert re.fullmatch(r"convenio/[0-9a-f]{16}", header["origin"])
    assert header["tree_size"] == len(lines) - 1 == 12
    entries = [json.loads(line) for line in lines[1:]]
    assert [e["index"] for e in entries] == list(range(12))
    for e in entries:
        assert set(e) == {"index", "kind", "key", "entry"}
        decoded = read_entry(base64.b64decode(e["entry"]))
        assert (decoded.kind, decoded.key) == (e["kind"], e["key"])
    balances = ok(run("ledger", "balances"))
    verified = json.loads(ok(run("ledger", "verify", "--json")))

    use(monkeypatch, tmp_path / "replica")
    said = one_line(ok(run("follow", "log.jsonl", "--checkpoint", "cp.note")))
    root = header["root_hash"]
    assert said == (
        f"followed log.jsonl: 12 new entries; the replica's log holds 12 entries, root "
        f"{root}; consistent with the checkpoint of {signed} entries"
    )
    assert json.loads(ok(run("ledger", "verify", "--json"))) == verified
    assert ok(run("ledger", "balances")) == balances
    again = json.loads(ok(run("follow", "log.jsonl", "--json")))
    assert again == {"added": 0, "size": 12, "root": root, "checkpoint_size": signed}

    same = run("diff", str(tmp_path / "data"), str(tmp_path / "replica" / "convenio.db"))
    assert same.exit_code == 0, same.output
    assert one_line(same.stdout) == f"identical: both logs hold 12 entries, root {root}"


def test_following_again_appends_only_what_is_new_and_a_tampered_file_changes_nothing(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    signed = source(run, tmp_path)
    ok(run("log", "export", "--from", str(signed), "-o", "tail.jsonl"))
    use(monkeypatch, tmp_path / "replica")
    assert json.loads(ok(run("follow", "early.jsonl", "--json")))["added"] == signed
    before = ok(run("ledger", "verify", "--json"))

    lines = (tmp_path / "log.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    del lines[signed + 1]  # the first new entry (line 0 is the header)
    (tmp_path / "cut.jsonl").write_text("".join(lines), encoding="utf-8")
    refused = run("follow", "cut.jsonl")
    assert refused.exit_code == 4, refused.output
    assert f"gives entry {signed + 1} where entry {signed} was due" in one_line(refused.stderr)
    assert ok(run("ledger", "verify", "--json")) == before

    done = json.loads(ok(run("follow", "tail.jsonl", "--json")))
    assert (done["added"], done["size"]) == (12 - signed, 12)
    behind = run("follow", "early.jsonl")  # a file from before: all of it held, compared
    assert behind.exit_code == 0 and "0 new entries" in one_line(behind.stdout)


def test_diff_names_the_first_divergent_entry_after_an_sql_edit_of_one_copy(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    signed = source(run, tmp_path)
    use(monkeypatch, tmp_path / "replica")
    ok(run("follow", "log.jsonl"))
    copy = tmp_path / "replica" / "convenio.db"
    with sqlite3.connect(copy) as db:
        seq = db.execute("SELECT seq FROM transactions WHERE id = 'fuel-2'").fetchone()[0]
        db.execute("UPDATE postings SET amount = 1 WHERE txn_seq = ? AND idx = 0", (seq,))
    index = 11  # fuel-2 is the log's last entry
    result = run("diff", str(tmp_path / "data"), str(copy))
    assert result.exit_code == 1, result.output
    lines = [one_line(line) for line in result.stdout.splitlines()]
    assert lines[0] == (
        f"the logs differ first at entry {index}: the records differ; B: the record no "
        "longer gives the entry its log holds (edited after it was logged)"
    )
    assert lines[1].startswith(f"A: txn {seq} (12 entries, root ")
    assert lines[2].startswith(f"B: txn {seq} (12 entries, root ")
    assert lines[3:] == ["postings[0][2]: A 80000 ≠ B 1"]
    found = json.loads(run("diff", str(tmp_path / "data"), str(copy), "--json").stdout)
    assert found["identical"] is False
    assert found["first_divergent"] == {
        "index": index,
        "a": {"kind": "txn", "key": seq},
        "b": {"kind": "txn", "key": seq},
        "reason": lines[0].split(": ", 1)[1],
        "differences": [{"field": "postings[0][2]", "a": 80000, "b": 1}],
    }
    use(monkeypatch, tmp_path / "behind")
    ok(run("follow", "early.jsonl"))
    behind = "sqlite:///" + str(tmp_path / "behind" / "convenio.db")
    shorter = run("diff", str(tmp_path / "data"), behind)
    assert shorter.exit_code == 1
    assert one_line(shorter.stdout).startswith(
        f"the logs differ first at entry {signed}: only in A: the other log ends before it "
        f"(it holds {signed} entries) A: txn "
    )


def test_what_follow_and_diff_refuse_is_said_without_a_traceback(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "notes.txt").write_text("not an export\n", encoding="utf-8")
    for args, code, said in [
        (("follow", "notes.txt"), 2, "notes.txt is not an export of convenio log export"),
        (("follow", "missing.jsonl"), 2, "missing.jsonl: cannot read it"),
        (("follow", "http://127.0.0.1:9/"), 5, "cannot reach http://127.0.0.1:9/api/v1/log/"),
        (("diff", "nowhere", "data"), 2, "STORE_A nowhere: no store there"),
        (("log", "export", "-o", "x.jsonl", "--from", "5"), 2, "--from 5: the log holds only 0"),
        (("diff", "data", "sqlite:///nowhere.db"), 2, "STORE_B sqlite:///nowhere.db: no store"),
    ]:
        result = run(*args)
        assert result.exit_code == code, (args, result.output)
        assert said in one_line(result.stderr), (args, result.stderr)
        assert result.exception is None or isinstance(result.exception, SystemExit)
    monkeypatch.setenv("CONVENIO_TOKEN", "a-secret-token-value")
    helped = ok(run("follow", "--help"))
    assert "CONVENIO_TOKEN" in helped and "a-secret-token-value" not in helped


def test_follow_reads_a_live_server_with_the_token_given_or_from_the_environment(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tests.api.conftest  # noqa: F401  (first: live.py imports it, and it imports live.py)
    from tests.api.live import serving

    with serving(f"sqlite:///{tmp_path / 'served.db'}", tmp_path) as live:
        with live.client("auditor") as client:
            head = client.get("/api/v1/log/checkpoint").json()
        refused = run("follow", live.url)
        assert refused.exit_code == 2, refused.output
        assert "answered HTTP 401 (sign in" in one_line(refused.stderr)
        assert "give a token (--token or CONVENIO_TOKEN)" in one_line(refused.stderr)
        done = json.loads(ok(run("follow", live.url, "--token", live.people["auditor"], "--json")))
        assert (done["added"], done["size"]) == (head["size"], head["size"])
        assert done["root"] == head["root_hash"]
        use(monkeypatch, tmp_path / "another")
        monkeypatch.setenv("CONVENIO_TOKEN", live.people["treasury-XAT"])
        denied = run("follow", live.url)  # a treasury does not verify the record
        assert denied.exit_code == 6, denied.output
        assert "refused it: treasury-xat (treasury) may not verify" in one_line(denied.stderr)
        monkeypatch.setenv("CONVENIO_TOKEN", live.people["commission-XBO"])
        said = one_line(ok(run("follow", live.url)))
        assert said.startswith(f"followed {live.url}: {head['size']} new entries")
