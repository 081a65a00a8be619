"""Keys, signed checkpoints, proofs and signed statements from the command line, end to
end: the real Typer app on an embedded store holding the tutorial's agreement (parties
XAT and XBO), its journal, loads and the settlement of 2024Q1.

What is shown: a private key reaches its file only (0600, never an output); a key is
announced once, replaced only by a rotation its old key signs, and a forged announcement
fails `ledger verify` (exit 4); a checkpoint signed by one party and cosigned by the other
verifies with both keys and catches truncation and a wiped store; proofs have the issue's
JSON shape and check; a statement bundle holds and any edit of it is refused, and each of
its allocations is traced to the logged transaction that recorded its claim (a delivery's
value, a tranche's delivery, a month's late-interest charge).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from convenio.cli.main import app
from convenio.errors import IntegrityError
from convenio.log import (
    Checkpoint,
    check_record,
    check_tree,
    generate_signer,
    leaf_hash,
    open_note,
    parse_signer,
    parse_verifier,
    sign,
)
from convenio.log.records import read_entry
from convenio.services import keys as keys_svc
from convenio.services import log as log_svc
from convenio.services import settlement as settle_svc
from convenio.services import signed as signed_svc
from convenio.services.ledger import verify
from convenio.settings import get_settings
from convenio.store import Store
from convenio.store.tables import transactions
from tests.e2e.cli import Run, ok, one_line
from tests.integration.test_late_interest_store import CLAIM as LATE_CLAIM
from tests.integration.test_late_interest_store import load

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "convenio" / "examples"
RUN_ID = "2024Q1:XAT:XBO:1"
TXN_ID = "settle:2024Q1:XAT:XBO:pay:P-2401"
VERIFIER = re.compile(r"^(XAT|XBO)\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$")
EXTRA = (
    "txn_id,date,account,amount,unit,description\n"
    "late-1,2024-06-30,XAT/reserves/treasury,10.00,USD,late\n"
    "late-1,2024-06-30,XAT/equity/opening,-10.00,USD,late\n"
    "late-2,2024-06-30,XAT/reserves/treasury,20.00,USD,later\n"
    "late-2,2024-06-30,XAT/equity/opening,-20.00,USD,later\n"
)


@pytest.fixture(scope="module")
def tutorial(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data directory of the tutorial's store, settled for 2024Q1 (built once)."""
    root = tmp_path_factory.mktemp("trust")
    shutil.copytree(EXAMPLES, root / "examples", ignore=shutil.ignore_patterns("*.py"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONVENIO_DATA_DIR", str(root / "data"))
        patch.setenv("CONVENIO_DATABASE_URL", "")
        patch.chdir(root)
        get_settings.cache_clear()
        runner = CliRunner()
        for args in (
            "terms load examples/tutorial.yaml",
            "ledger open --file examples/accounts.csv",
            "ledger post examples/journal.csv",
            "prices load examples/prices.csv",
            "deliveries load examples/deliveries.csv",
            "payments load examples/payments.csv",
            f"settle {RUN_ID[:6]}",
        ):
            ok(runner.invoke(app, args.split()))
    get_settings.cache_clear()
    return root / "data"


@pytest.fixture
def data(tutorial: Path, run: Run, tmp_path: Path) -> Path:
    """This test's copy of the tutorial's store, where `run` works."""
    shutil.copytree(tutorial, tmp_path / "data")
    return tmp_path / "data"


@pytest.fixture
def outputs(tmp_path: Path) -> Iterator[list[str]]:
    """Every output a test saw; no private key may be in any of them."""
    seen: list[str] = []
    yield seen
    secrets = [p.read_text() for p in tmp_path.rglob("*.key*") if p.is_file()]
    assert secrets, "the test wrote no key file"
    for secret in secrets:
        seed = secret.strip().split("+", 4)[4]  # PRIVATE+KEY+name+id+seed
        assert len(seed) == 44
        assert all(seed not in text for text in seen)


def flipped(note: str, line: int) -> str:
    """`note` with one character of its signature line `line` (from the end) changed."""
    lines = note.split("\n")
    name, signature = lines[-1 - line].rsplit(" ", 1)
    changed = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    lines[-1 - line] = f"{name} {changed}"
    return "\n".join(lines)


def said(result: Result, outputs: list[str]) -> str:
    outputs.extend((result.stdout, result.stderr))
    return result.stdout + result.stderr


def refused(result: Result, code: int) -> str:
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return one_line(result.stderr)


def generate(run: Run, party: str, *extra: str) -> str:
    result = run("keys", "generate", "--party", party, *extra)
    verifier = ok(result).strip()
    assert VERIFIER.match(verifier), verifier
    return verifier


def both_signed(run: Run, note: str = "cp.note") -> tuple[str, str]:
    """Keys for XAT and XBO, a checkpoint XAT signed and XBO cosigned; their verifiers."""
    xat, xbo = generate(run, "XAT"), generate(run, "XBO")
    ok(run("checkpoint", "sign", "--party", "XAT", "-o", note))
    ok(run("checkpoint", "cosign", note, "--party", "XBO"))
    return xat, xbo


def store_of(data: Path) -> Store:
    return Store(f"sqlite:///{data / 'convenio.db'}")


# -- keys -------------------------------------------------------------------------------


def test_generate_writes_the_key_0600_and_prints_only_its_verifier(
    run: Run, data: Path, outputs: list[str]
) -> None:
    result = run("keys", "generate", "--party", "XAT")
    text = said(result, outputs)
    verifier = parse_verifier(ok(result).strip())
    assert verifier.name == "XAT"
    key_file = data / "keys" / "XAT.key"
    assert oct(key_file.stat().st_mode & 0o777) == oct(0o600)
    assert oct(key_file.parent.stat().st_mode & 0o777) == oct(0o700)
    assert parse_signer(key_file.read_text()).verifier() == verifier
    assert str(key_file) in text and "PRIVATE" not in text
    (listed,) = json.loads(ok(run("keys", "list", "--json")))
    assert listed["party"] == "XAT" and listed["verifier"] == str(verifier)
    assert listed["replaces"] is None
    entry = listed["entry"]
    assert json.loads(ok(run("proof", "inclusion", "--entry", str(entry), "--json")))["index"] == (
        entry
    )

    again = refused(run("keys", "generate", "--party", "XAT"), 3)
    assert "already exists" in again and "convenio keys rotate --party XAT" in again
    key_file.rename(data / "elsewhere.key")  # the file gone, the announced key stays
    again = refused(run("keys", "generate", "--party", "XAT"), 3)
    assert "already announced" in again and "keys rotate" in again
    assert not key_file.exists()

    assert "no party 'FOO'" in refused(run("keys", "generate", "--party", "FOO"), 2)
    own = generate(run, "XBO", "--key-file", "xbo-own.key")
    assert Path("xbo-own.key").stat().st_mode & 0o777 == 0o600
    assert [k["party"] for k in json.loads(ok(run("keys", "list", "--json")))] == ["XAT", "XBO"]
    assert own in ok(run("keys", "list"))


def test_rotation_keeps_old_checkpoints_verifiable_and_retires_the_old_key(
    run: Run, data: Path, outputs: list[str]
) -> None:
    old = generate(run, "XAT")
    old_text = (data / "keys" / "XAT.key").read_text()
    ok(run("checkpoint", "sign", "--party", "XAT", "-o", "old.note"))
    result = run("keys", "rotate", "--party", "XAT")
    said(result, outputs)
    new = ok(result).strip()
    assert VERIFIER.match(new) and new != old
    retired = data / "keys" / f"XAT.key.retired-{old.split('+')[1]}"
    assert retired.read_text() == old_text and retired.stat().st_mode & 0o777 == 0o600
    assert parse_signer((data / "keys" / "XAT.key").read_text()).verifier() == parse_verifier(new)
    assert (data / "keys" / "XAT.key").stat().st_mode & 0o777 == 0o600
    listed = json.loads(ok(run("keys", "list", "--json")))
    assert [(k["verifier"], k["replaces"]) for k in listed] == [(old, None), (new, old)]

    # The checkpoint the old key signed still verifies, with the log's keys or the old key.
    assert "signed by XAT" in one_line(ok(run("ledger", "verify", "--checkpoint", "old.note")))
    ok(run("ledger", "verify", "--checkpoint", "old.note", "--key", old))
    wrong = refused(run("ledger", "verify", "--checkpoint", "old.note", "--key", new), 4)
    assert new in wrong and "did not sign" in wrong
    # The retired key signs nothing more; the new one does.
    retired_sign = run(
        "checkpoint", "sign", "--party", "XAT", "-o", "x.note", "--key-file", str(retired)
    )
    assert "retired key of XAT" in refused(retired_sign, 3)
    ok(run("checkpoint", "sign", "--party", "XAT", "-o", "new.note"))
    ok(run("ledger", "verify", "--checkpoint", "new.note", "--key", new))
    ok(run("ledger", "verify"))


def _forge(data: Path, replaces_current: bool) -> None:
    """Announce a key for XAT without its key's signature: through the repository, as
    someone holding the database (and convenio's code) but not XAT's key could."""
    with store_of(data).unit_of_work(write=True) as uow:
        (current,) = log_svc.party_verifiers(uow)["XAT"]
        forger, verifier = generate_signer("XAT")
        replaced = current if replaces_current else None
        text = keys_svc.announcement(log_svc.origin(uow), "XAT", verifier, replaced)
        note = sign(text, [forger]).decode()
        uow.log.add_key("XAT", str(verifier), None if replaced is None else str(replaced), note, 1)
        uow.commit()


@pytest.mark.parametrize("replaces_current", [False, True], ids=["second-first-key", "rotation"])
def test_a_forged_key_announcement_fails_verify(
    run: Run, data: Path, replaces_current: bool
) -> None:
    generate(run, "XAT")
    ok(run("ledger", "verify"))
    _forge(data, replaces_current)
    message = refused(run("ledger", "verify"), 4)
    assert re.search(r"entry \d+ \(key 2, of XAT\)", message), message
    assert "forged" in message


# -- checkpoints ------------------------------------------------------------------------


def test_sign_cosign_and_verify_with_both_keys(run: Run, data: Path) -> None:
    xat, xbo = both_signed(run)
    note = Path("cp.note").read_bytes()
    opened = open_note(note, [parse_verifier(xat), parse_verifier(xbo)])
    assert opened.verified == ("XAT", "XBO")
    body = Checkpoint.parse(opened.text)
    shown = json.loads(ok(run("checkpoint", "show", "--json")))
    assert shown == {
        "origin": body.origin,
        "size": body.size,
        "root_hash": base64.b64encode(body.root_hash).decode(),
    }
    assert ok(run("checkpoint", "show")) == body.format()

    Path("extra.csv").write_text(EXTRA)
    ok(run("ledger", "post", "extra.csv"))  # the log grows past the checkpoint
    checked = json.loads(
        ok(run("ledger", "verify", "--checkpoint", "cp.note", "--key", xat, "--key", xbo, "--json"))
    )
    assert checked["checkpoint_size"] == body.size < checked["log_size"]
    assert checked["signed_by"] == ["XAT", "XBO"] and checked["keys"] == "given"
    text = one_line(ok(run("ledger", "verify", "--checkpoint", "cp.note")))
    assert f"checkpoint of {body.size} entries signed by XAT, XBO (keys the log announced)" in text
    assert "signed by XAT, XBO" in ok(run("checkpoint", "check", "cp.note"))
    with store_of(data).unit_of_work() as uow:
        stored = log_svc.latest_checkpoint(uow, signers=2)
    assert stored is not None and stored.note == note


def test_a_key_that_did_not_sign_or_a_bad_signature_is_refused(run: Run, data: Path) -> None:
    xat, xbo = both_signed(run)
    _, stranger = generate_signer("XBO")
    message = refused(run("ledger", "verify", "--checkpoint", "cp.note", "--key", str(stranger)), 4)
    assert str(stranger) in message and "did not sign" in message
    Path("bad.note").write_text(flipped(Path("cp.note").read_text(), 1))
    message = refused(run("ledger", "verify", "--checkpoint", "bad.note"), 4)
    assert "XBO+" in message and "does not verify" in message
    message = refused(run("ledger", "verify", "--checkpoint", "bad.note", "--key", xbo), 4)
    assert xbo.rsplit("+", 1)[0] in message
    # Whom the verifier does not ask about is not checked (C2SP: unknown keys are skipped).
    ok(run("ledger", "verify", "--checkpoint", "bad.note", "--key", xat))
    assert "verifier key" in refused(
        run("ledger", "verify", "--checkpoint", "cp.note", "--key", "not-a-key"), 2
    )
    refused(run("ledger", "verify", "--key", xat), 2)  # --key without --checkpoint


def test_cosign_refuses_what_is_not_this_log_and_signs_nothing(run: Run, data: Path) -> None:
    generate(run, "XAT")
    generate(run, "XBO")
    with store_of(data).unit_of_work() as uow:
        body = log_svc.checkpoint(uow)
    signer = parse_signer((data / "keys" / "XAT.key").read_text())
    forged = Checkpoint(body.origin, body.size, bytes(32))
    Path("other.note").write_bytes(sign(forged.format(), [signer]))
    before = Path("other.note").read_bytes()
    message = refused(run("checkpoint", "cosign", "other.note", "--party", "XBO"), 4)
    assert f"not this store's root at {body.size} entries" in message
    assert Path("other.note").read_bytes() == before
    ahead = Checkpoint(body.origin, body.size + 5, body.root_hash)
    Path("ahead.note").write_bytes(sign(ahead.format(), [signer]))
    assert "truncated" in refused(run("checkpoint", "cosign", "ahead.note", "--party", "XBO"), 4)
    # Only the cosigner signed it: nothing to cosign.
    ok(run("checkpoint", "sign", "--party", "XBO", "-o", "own.note"))
    assert "no party but XBO" in refused(
        run("checkpoint", "cosign", "own.note", "--party", "XBO"), 4
    )
    with store_of(data).unit_of_work() as uow:
        assert log_svc.latest_checkpoint(uow, signers=2) is None


def test_nothing_is_signed_or_vouched_for_over_a_record_edited_behind_the_log(
    run: Run, data: Path
) -> None:
    """The stored hashes untouched, one posting's amount changed with SQL: the log's root
    is still the checkpoint's, but the records are not the ones it logged. Signing,
    cosigning and checking each recompute the entries and refuse (the operator could
    otherwise have a leaf cosigned ahead of its record)."""
    generate(run, "XAT")
    generate(run, "XBO")
    ok(run("checkpoint", "sign", "--party", "XAT", "-o", "cp.note"))
    before = Path("cp.note").read_bytes()
    with sqlite3.connect(data / "convenio.db") as db:
        seq = db.execute("SELECT max(txn_seq) FROM postings").fetchone()[0]
        db.execute("UPDATE postings SET amount = amount + 1 WHERE txn_seq = ? AND idx = 0", (seq,))
    for args in (
        ("checkpoint", "cosign", "cp.note", "--party", "XBO"),
        ("checkpoint", "check", "cp.note"),
        ("checkpoint", "sign", "--party", "XAT", "-o", "again.note"),
    ):
        message = refused(run(*args), 4)
        assert "chain broken" in message or "differs from its record" in message, message
    assert Path("cp.note").read_bytes() == before
    assert not Path("again.note").exists()


def _rows(conn: sqlite3.Connection, table: str) -> list[tuple[object, ...]]:
    return conn.execute(f"SELECT * FROM {table}").fetchall()


def test_truncation_is_caught_against_the_checkpoint(run: Run, data: Path) -> None:
    xat, xbo = generate(run, "XAT"), generate(run, "XBO")
    db = sqlite3.connect(data / "convenio.db")
    kept = {t: _rows(db, t) for t in ("ledger_head", "log_head", "log_hashes", "log_spans")}
    seq = db.execute("SELECT seq FROM ledger_head").fetchone()[0]
    size = db.execute("SELECT size FROM log_head").fetchone()[0]
    Path("extra.csv").write_text(EXTRA)
    ok(run("ledger", "post", "extra.csv"))
    ok(run("checkpoint", "sign", "--party", "XAT", "-o", "cp.note"))
    ok(run("checkpoint", "cosign", "cp.note", "--party", "XBO"))
    # With plain SQL and no key: the last transactions deleted, the totals recomputed,
    # the heads and the log set back as they were — a store consistent with itself.
    with db:
        db.execute("DELETE FROM postings WHERE txn_seq > ?", (seq,))
        db.execute("DELETE FROM transactions WHERE seq > ?", (seq,))
        db.execute("DELETE FROM account_days")
        db.execute("DELETE FROM account_years")
        db.execute(
            "INSERT INTO account_days SELECT p.account_id, t.date, SUM(p.amount) FROM postings "
            "p JOIN transactions t ON t.seq = p.txn_seq GROUP BY p.account_id, t.date"
        )
        db.execute(
            "INSERT INTO account_years SELECT account_id, CAST(strftime('%Y', day) AS INTEGER),"
            " SUM(amount) FROM account_days GROUP BY 1, 2"
        )
        for table, rows in kept.items():
            db.execute(f"DELETE FROM {table}")
            marks = ",".join("?" * len(rows[0]))
            db.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
    db.close()
    ok(run("ledger", "verify"))  # without the checkpoint, nothing shows
    message = refused(
        run("ledger", "verify", "--checkpoint", "cp.note", "--key", xat, "--key", xbo), 4
    )
    assert f"the store's log holds {size} entries but the checkpoint covers {size + 2}" in message
    assert f"entries {size}..{size + 1} were removed" in message
    assert "truncated" in refused(run("checkpoint", "check", "cp.note"), 4)


def test_a_wiped_store_is_caught_against_the_checkpoint(
    run: Run, data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    xat, xbo = both_signed(run)
    monkeypatch.setenv("CONVENIO_DATA_DIR", str(tmp_path / "wiped"))
    get_settings.cache_clear()
    ok(run("init"))
    message = refused(
        run("ledger", "verify", "--checkpoint", "cp.note", "--key", xat, "--key", xbo), 4
    )
    assert re.search(r"entries 0\.\.\d+ were removed", message), message
    assert "no party announced a key" in refused(
        run("ledger", "verify", "--checkpoint", "cp.note"), 4
    )
    ok(run("terms", "load", str(EXAMPLES / "tutorial.yaml")))  # the same log's origin
    message = refused(run("ledger", "verify", "--checkpoint", "cp.note", "--key", xat), 4)
    assert "holds 1 entries but the checkpoint covers" in message and "were removed" in message


# -- proofs -----------------------------------------------------------------------------


def test_inclusion_and_consistency_proofs_have_the_issue_shape_and_check(
    run: Run, data: Path
) -> None:
    inclusion = json.loads(ok(run("proof", "inclusion", TXN_ID, "--json")))
    assert list(inclusion) == ["index", "tree_size", "leaf_hash", "root_hash", "hashes"]
    raw = {k: v for k, v in inclusion.items() if k not in ("index", "tree_size", "hashes")}
    decoded = {k: base64.b64decode(v) for k, v in raw.items()}
    hashes = [base64.b64decode(h) for h in inclusion["hashes"]]
    size = inclusion["tree_size"]
    check_record(hashes, size, decoded["root_hash"], inclusion["index"], decoded["leaf_hash"])
    older = json.loads(ok(run("proof", "inclusion", TXN_ID, "--size", str(size - 1), "--json")))
    assert older["index"] == inclusion["index"] and older["tree_size"] == size - 1
    by_entry = json.loads(
        ok(run("proof", "inclusion", "--entry", str(inclusion["index"]), "--json"))
    )
    assert by_entry == inclusion
    text = one_line(ok(run("proof", "inclusion", TXN_ID)))
    assert f"entry {inclusion['index']} (transaction {TXN_ID}) is in the tree of {size}" in text

    consistency = json.loads(ok(run("proof", "consistency", "--from", "7", "--to", "40", "--json")))
    assert list(consistency) == ["from_size", "to_size", "from_root", "to_root", "hashes"]
    check_tree(
        [base64.b64decode(h) for h in consistency["hashes"]],
        40,
        base64.b64decode(consistency["to_root"]),
        7,
        base64.b64decode(consistency["from_root"]),
    )
    today = json.loads(ok(run("proof", "consistency", "--from", "7", "--json")))
    assert today["to_size"] == size and today["to_root"] == inclusion["root_hash"]
    assert "prefix of the tree of 40" in ok(
        run("proof", "consistency", "--from", "7", "--to", "40")
    )

    assert "no transaction nope" in refused(run("proof", "inclusion", "nope", "--json"), 2)
    assert f"holds {size} entries" in refused(
        run("proof", "inclusion", TXN_ID, "--size", str(size + 1)), 2
    )
    refused(run("proof", "inclusion", "--entry", str(size)), 2)
    refused(run("proof", "inclusion", TXN_ID, "--entry", "1"), 2)
    refused(run("proof", "inclusion"), 2)
    refused(run("proof", "consistency", "--from", "41", "--to", "40"), 2)
    refused(run("proof", "consistency", "--from", "0"), 2)


# -- statements -------------------------------------------------------------------------


def test_a_statement_bundle_round_trips_and_any_edit_is_refused(run: Run, data: Path) -> None:
    generate(run, "XAT")
    generate(run, "XBO")
    ok(run("checkpoint", "statement", RUN_ID, "--party", "XAT", "-o", "st.json"))
    bundle = json.loads(Path("st.json").read_text())
    assert list(bundle) == [
        "statement", "run", "entry", "run_entry", "transactions", "allocations", "note",
    ]  # fmt: skip
    with store_of(data).unit_of_work() as uow:
        stored = uow.connection.exec_driver_sql(
            "SELECT statement, transactions FROM settlement_runs WHERE id = ?", (RUN_ID,)
        ).one()
    assert bundle["statement"] == json.loads(stored[0]) and bundle["run"] == RUN_ID
    assert [t["id"] for t in bundle["transactions"]] == json.loads(stored[1])
    text = bundle["note"].split("\n\n")[0]
    entry = bundle["entry"]
    assert f"run {RUN_ID}\nentry {entry['index']} {entry['leaf_hash']}\n" in text
    assert f"\ncheckpoint {entry['tree_size']} {entry['root_hash']}" in text

    ok(run("checkpoint", "cosign", "st.json", "--party", "XBO", "-o", "both.json"))
    both = json.loads(Path("both.json").read_text())
    assert {k: v for k, v in both.items() if k != "note"} == {
        k: v for k, v in bundle.items() if k != "note"
    }
    checked = json.loads(ok(run("checkpoint", "check", "both.json", "--json")))
    assert checked["kind"] == "statement" and checked["signed_by"] == ["XAT", "XBO"]
    assert checked["run"] == RUN_ID and checked["checkpoint_size"] == entry["tree_size"]
    ok(run("ledger", "verify", "--checkpoint", "both.json"))

    def edited(name: str, change: dict[str, object]) -> str:
        Path(name).write_text(json.dumps({**both, **change}))
        return refused(run("checkpoint", "check", name), 4)

    figures = json.loads(json.dumps(both["statement"]))
    figures["directions"][0]["cash_paid"] = "1500000.01"
    assert "not the one signed" in edited("figure.json", {"statement": figures})
    path = {**entry, "hashes": [entry["hashes"][1], entry["hashes"][0], *entry["hashes"][2:]]}
    assert "does not hold" in edited("path.json", {"entry": path})
    fewer = both["transactions"][1:]
    assert "not those run" in edited("fewer.json", {"transactions": fewer})
    swapped = [both["transactions"][1], both["transactions"][0], *both["transactions"][2:]]
    assert "not those run" in edited("swapped.json", {"transactions": swapped})
    assert "does not verify" in edited("note.json", {"note": flipped(both["note"], 2)})
    Path("figure.json").write_text(json.dumps({**bundle, "statement": figures}))
    before = Path("figure.json").read_bytes()
    refused(run("checkpoint", "cosign", "figure.json", "--party", "XBO"), 4)
    assert Path("figure.json").read_bytes() == before

    assert "no settlement run" in refused(
        run("checkpoint", "statement", "nope", "--party", "XAT", "-o", "x.json"), 2
    )
    assert not os.path.exists("x.json")


def stored_allocations(data: Path, run_id: str = RUN_ID) -> list[tuple[str, int, str, str]]:
    with store_of(data).unit_of_work() as uow:
        rows = uow.connection.exec_driver_sql(
            "SELECT claim_id, amount, method, against FROM allocations WHERE run_id = ? "
            "ORDER BY idx",
            (run_id,),
        ).all()
    return [(str(c), int(a), str(m), str(x)) for c, a, m, x in rows]


def test_each_allocation_is_traced_to_the_transaction_that_recorded_its_claim(
    run: Run, data: Path
) -> None:
    generate(run, "XAT")
    generate(run, "XBO")
    ok(run("checkpoint", "statement", RUN_ID, "--party", "XAT", "-o", "st.json"))
    ok(run("checkpoint", "cosign", "st.json", "--party", "XBO"))
    bundle = json.loads(Path("st.json").read_text())
    allocated = bundle["allocations"]
    # Every allocation of the run, in order, as the allocations table holds them.
    assert [(a["claim"], a["amount"], a["method"], a["against"]) for a in allocated] == (
        stored_allocations(data)
    )
    sources = {a["claim"]: a["source_transaction"] for a in allocated}
    assert sources == {
        "inv:D-2401:st": "dlv:D-2401:value",
        "inv:D-2402:st": "dlv:D-2402:value",
        "inv:S-2401-N:services": "dlv:S-2401-N:value",
        "inv:S-2401-T:services": "dlv:S-2401-T:value",
    }
    cash = [a for a in allocated if a["method"] == "cash"]
    assert {a["against"] for a in cash} == {"P-2401"}
    assert TXN_ID in [t["id"] for t in bundle["transactions"]]
    # The run's entry is the one proven; its allocations are the bundle's figures.
    record = base64.b64decode(bundle["run_entry"])
    assert base64.b64encode(leaf_hash(record)).decode() == bundle["entry"]["leaf_hash"]
    assert [tuple(a) for a in read_entry(record).fields["allocations"]] == stored_allocations(data)
    # Each proof holds on its own and proves the leaf of the transaction named.
    with store_of(data).unit_of_work() as uow:
        for a in allocated:
            proof = a["proof"]
            leaf = base64.b64decode(proof["leaf_hash"])
            hashes = [base64.b64decode(h) for h in proof["hashes"]]
            root = base64.b64decode(proof["root_hash"])
            check_record(hashes, proof["tree_size"], root, proof["index"], leaf)
            own = log_svc.inclusion_of(uow, "txn", a["source_transaction"], proof["tree_size"])
            assert own.as_json() == proof
    # The note commits to the allocations with their sources (not their proofs).
    figures = [{k: v for k, v in a.items() if k != "proof"} for a in allocated]
    canonical = json.dumps(figures, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = base64.b64encode(hashlib.sha256(canonical.encode()).digest()).decode()
    assert f"\nallocations sha256 {digest}\n" in bundle["note"]
    checked = json.loads(ok(run("checkpoint", "check", "st.json", "--json")))
    assert checked["signed_by"] == ["XAT", "XBO"]

    def edited(name: str, i: int, **change: object) -> str:
        changed = [dict(a) for a in allocated]
        changed[i].update(change)
        Path(name).write_text(json.dumps({**bundle, "allocations": changed}))
        return refused(run("checkpoint", "check", name), 4)

    assert (
        "allocation 4 (claim inv:D-2401:st): its amount 56000001 is not the run's 56000000"
        in edited("amount.json", 4, amount=56_000_001)
    )
    other = allocated[5]
    said = edited("source.json", 4, source_transaction=other["source_transaction"])
    assert (
        "allocation 4 (claim inv:D-2401:st) names dlv:D-2402:value as its source, but this "
        "store recorded the claim with dlv:D-2401:value" in said
    )
    # The other claim's proof along with its id: every proof holds, the store says no.
    said = edited("both.json", 4, source_transaction="dlv:D-2402:value", proof=other["proof"])
    assert "names dlv:D-2402:value as its source" in said
    Path("dropped.json").write_text(json.dumps({**bundle, "allocations": allocated[:-1]}))
    said = refused(run("checkpoint", "check", "dropped.json"), 4)
    assert f"the bundle lists 5 allocation(s), the entry of run {RUN_ID} 6" in said
    path = allocated[2]["proof"]
    bent = {**path, "hashes": [path["hashes"][1], path["hashes"][0], *path["hashes"][2:]]}
    said = edited("proof.json", 2, proof=bent)
    assert "the inclusion proof of allocation 2's source dlv:D-2401:value does not hold" in said
    forged = record.replace(b"56000000", b"56000001")
    Path("entry.json").write_text(
        json.dumps({**bundle, "run_entry": base64.b64encode(forged).decode()})
    )
    said = refused(run("checkpoint", "check", "entry.json"), 4)
    assert f"the bundle's run_entry is not the entry of run {RUN_ID} signed" in said

    # A store whose claim was given another origin, and a bundle edited to agree with
    # it: the signature still names the source signed.
    with sqlite3.connect(data / "convenio.db") as db:
        db.execute("UPDATE claims SET source = 'D-2402' WHERE id = 'inv:D-2401:st'")
    said = refused(run("checkpoint", "check", "st.json"), 4)
    assert "names dlv:D-2401:value as its source, but this store recorded the claim" in said
    changed = [
        {**a, "source_transaction": "dlv:D-2402:value", "proof": other["proof"]}
        if a["claim"] == "inv:D-2401:st"
        else a
        for a in allocated
    ]
    Path("agreed.json").write_text(json.dumps({**bundle, "allocations": changed}))
    said = refused(run("checkpoint", "check", "agreed.json"), 4)
    assert f"the allocations of run {RUN_ID} are not the ones signed (digest)" in said


def test_a_tranche_claim_is_traced_to_the_delivery_that_financed_it(run: Run, data: Path) -> None:
    ok(run("settle", "2024Q2"))
    generate(run, "XAT")
    q2 = "2024Q2:XAT:XBO:1"
    ok(run("checkpoint", "statement", q2, "--party", "XAT", "-o", "q2.json"))
    allocated = json.loads(Path("q2.json").read_text())["allocations"]
    assert [(a["claim"], a["amount"], a["method"], a["against"]) for a in allocated] == (
        stored_allocations(data, q2)
    )
    with store_of(data).unit_of_work() as uow:
        tranche_of: dict[str, str] = dict(
            uow.connection.exec_driver_sql("SELECT id, delivery_id FROM tranches").all()
        )
    interest = [a for a in allocated if a["claim"].endswith(":int:1")]
    assert interest, "2024Q2 pays no tranche interest any more"
    for a in interest:
        tranche = a["claim"].removesuffix(":int:1")
        assert a["source_transaction"] == f"dlv:{tranche_of[tranche]}:value"
    ok(run("checkpoint", "check", "q2.json"))
    # A statement signed before allocations were traced (no allocations line) is read as
    # such, with the way forward.
    bundle = json.loads(Path("q2.json").read_text())
    text = bundle["note"].split("\n\n")[0] + "\n"
    older = "".join(line for line in text.splitlines(True) if "allocations" not in line)
    signer = parse_signer((data / "keys" / "XAT.key").read_text().strip())
    Path("old.json").write_text(json.dumps({**bundle, "note": sign(older, [signer]).decode()}))
    said = refused(run("checkpoint", "check", "old.json"), 2)
    assert "signed before its allocations were traced: sign it again" in said


# -- the services on both backends ------------------------------------------------------


def test_keys_rotate_sign_and_verify_on_each_backend(store: Store, tmp_path: Path) -> None:
    key_file = tmp_path / "k" / "VEN.key"
    with store.unit_of_work(write=True) as uow:
        first = keys_svc.generate_key(uow, "VEN", key_file)
    with store.unit_of_work(write=True) as uow:
        rotated = keys_svc.rotate_key(uow, "VEN", key_file)
    with store.unit_of_work(write=True) as uow:
        note, body = signed_svc.sign_checkpoint(uow, "VEN", key_file)
    assert (first.entry, rotated.key.entry, body.size) == (0, 1, 2)
    assert rotated.key.replaces == first.verifier and rotated.retired_file.exists()
    with store.unit_of_work() as uow:
        assert keys_svc.verify_keys(uow) == 2
        checked = signed_svc.verify_checkpoint(uow, note, [rotated.key.verifier])
        assert checked.report.log_size == 2 and checked.signers == ("VEN",)
    with store.unit_of_work(write=True) as uow:
        keys_svc.announce(uow, generate_signer("VEN")[0])  # not signed by the current key
        uow.commit()
    with store.unit_of_work() as uow, pytest.raises(IntegrityError, match=r"entry 2 .* forged"):
        verify(uow)


def test_late_interest_is_traced_to_the_charge_of_its_month_on_each_backend(
    store: Store, tmp_path: Path
) -> None:
    """The late-interest store of tests/integration/test_late_interest_store.py: the
    2012Q1 run pays the late interest charged on inv:oil-10:st for November and December
    2011, each traced to its month's charge, and the short-term claim to its delivery."""
    load(store, tmp_path)
    key_file = tmp_path / "k" / "VEN.key"
    with store.unit_of_work(write=True) as uow:
        settle_svc.run_settlement(uow, "2011Q4")
    with store.unit_of_work(write=True) as uow:
        (outcome,) = settle_svc.run_settlement(uow, "2012Q1")
    with store.unit_of_work(write=True) as uow:
        keys_svc.generate_key(uow, "VEN", key_file)
    with store.unit_of_work() as uow:
        bundle = signed_svc.sign_statement(uow, outcome.run.id, "VEN", key_file)
        t = transactions.c
        query = select(t.id, t.source).where(t.id.startswith("late:"))
        late = {row.id: row.source for row in uow.connection.execute(query)}
    sources = {a["claim"]: a["source_transaction"] for a in bundle["allocations"]}  # type: ignore[attr-defined]
    charged = hashlib.sha256(LATE_CLAIM.encode()).hexdigest()[:12]
    for month in ("2011-11", "2011-12"):
        txn = f"late:VEN.PDVSA>CUB.CUPET:{charged}:{month}"
        assert sources[f"late:{LATE_CLAIM}:{month}"] == txn and late[txn] == LATE_CLAIM
    assert sources[LATE_CLAIM] == "dlv:oil-10:value"
    with store.unit_of_work() as uow:
        content = json.dumps(bundle).encode()
        checked = signed_svc.check_signed(uow, content)
        assert (checked.kind, checked.run) == ("statement", outcome.run.id)
