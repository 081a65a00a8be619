"""The transparency log over HTTP, on SQLite and PostgreSQL: the checkpoint is the store's
log; the entries, folded leaf by leaf, give its root; inclusion and consistency proofs
check against the roots with `convenio.log`'s own checks (and a changed hash fails them);
a checkpoint signed by both parties' announced keys is filed and read back as signed; a
forged signature, another root, size or origin is refused and keeps nothing; bad
parameters are problem details naming the parameter.

One store per backend for the module (the tutorial's terms, each treasury's accounts and
journal, a key of each party): tests read the log as they find it and write only
checkpoints, which the log (through the audit trail) only grows by.
"""

from __future__ import annotations

import base64
import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from convenio.api import create_app
from convenio.log import (
    Checkpoint,
    Frontier,
    ProofError,
    SignerKey,
    check_record,
    check_tree,
    cosign,
    generate_signer,
    leaf_hash,
    open_note,
    parse_verifier,
    sign,
)
from convenio.log.records import read_entry
from convenio.services import log
from convenio.settings import Settings
from convenio.store import Store
from convenio.store.log_tables import checkpoints
from tests.api.conftest import EXAMPLES, bearer, prepare
from tests.api.live import backend_url
from tests.api.matrix_log import announce

API = "/api/v1/log"
TEXT = {"Content-Type": "text/plain"}
PROBLEM = "application/problem+json"


@dataclass(frozen=True)
class Served:
    store: Store
    client: TestClient
    people: dict[str, str]
    signers: dict[str, SignerKey]

    def get(self, path: str, name: str | None = "auditor", **params: Any) -> Any:
        """The JSON of a 200 answer to GET `path` as `name` (None: the public)."""
        answer = self.client.get(f"{API}{path}", params=params, headers=self.headers(name))
        assert answer.status_code == 200, answer.text
        return answer.json()

    def headers(self, name: str | None) -> dict[str, str]:
        return {} if name is None else bearer(self.people[name])

    def file(self, note: bytes, name: str = "commission-XAT", **headers: str) -> Any:
        """POST `note` to /log/checkpoints as `name`: the answer."""
        return self.client.post(
            f"{API}/checkpoints", content=note, headers={**self.headers(name), **TEXT, **headers}
        )

    def checkpoints_kept(self) -> int:
        with self.store.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(checkpoints)).scalar_one())

    def head(self) -> Checkpoint:
        with self.store.unit_of_work() as uow:
            return log.checkpoint(uow)


def _rows(name: str) -> list[dict[str, str]]:
    with (EXAMPLES / name).open(encoding="utf-8", newline="") as f:
        return [{k: v for k, v in row.items() if v != ""} for row in csv.DictReader(f)]


def _serve(url: str, tmp: Path) -> Iterator[Served]:
    store = Store(url)
    try:
        people = prepare(store, tmp)
        with store.unit_of_work(write=True) as uow:
            signers = {party: announce(uow, party) for party in ("XAT", "XBO")}
            uow.commit()
        with TestClient(create_app(store, Settings(data_dir=tmp / "data"))) as client:
            for party in ("XAT", "XBO"):
                who = bearer(people[f"treasury-{party}"])
                for route, file in (("accounts", "accounts.csv"), ("transactions", "journal.csv")):
                    rows = [r for r in _rows(file) if r["account"].startswith(f"{party}/")]
                    answer = client.post(f"/api/v1/{route}", json=rows, headers=who)
                    assert answer.status_code == 201, answer.text
            yield Served(store, client, people, signers)
    finally:
        store.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp(f"log-{request.param}")
    with backend_url(request.param, tmp) as url:
        yield from _serve(url, tmp)


def _b64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def _entries(served: Served, page: int = 4) -> list[dict[str, Any]]:
    """Every entry of the log, read `page` at a time."""
    found: list[dict[str, Any]] = []
    while True:
        answer = served.get("/entries", start=len(found), limit=page)
        found += answer["entries"]
        if len(found) >= answer["tree_size"]:
            return found


def _problem(answer: Any, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM
    problem: dict[str, Any] = answer.json()
    assert problem["status"] == status
    return problem


# -- the checkpoint and the entries -----------------------------------------------------


def test_the_public_checkpoint_is_the_stores_log_and_its_text_parses_back(served: Served) -> None:
    answer = served.get("/checkpoint", name=None)
    head = served.head()
    assert answer == {
        "origin": head.origin,
        "size": head.size,
        "root_hash": base64.b64encode(head.root_hash).decode(),
        "text": head.format(),
    }
    assert Checkpoint.parse(answer["text"]) == head


def test_the_entries_fold_to_the_checkpoints_root_and_read_as_their_kinds(served: Served) -> None:
    head = served.get("/checkpoint")
    entries = _entries(served)
    assert [e["index"] for e in entries] == list(range(head["size"]))
    frontier = Frontier()
    for e in entries:
        frontier.append(_b64(e["entry"]))
        decoded = read_entry(_b64(e["entry"]))
        assert (decoded.kind, decoded.key) == (e["kind"], e["key"])
    assert frontier.root() == _b64(head["root_hash"])
    kinds = {e["kind"] for e in entries}
    assert {"terms", "key", "account", "txn", "audit"} <= kinds, kinds


# -- proofs -------------------------------------------------------------------------------


def test_a_transactions_inclusion_proof_checks_against_the_root(served: Served) -> None:
    head = served.get("/checkpoint")
    entries = _entries(served)
    txn = next(e for e in entries if e["kind"] == "txn")
    txn_id = read_entry(_b64(txn["entry"])).fields["id"]
    proof = served.get("/proof/inclusion", name="commission-XBO", txn=txn_id)
    assert list(proof) == ["index", "tree_size", "leaf_hash", "root_hash", "hashes"]
    assert (proof["index"], proof["tree_size"]) == (txn["index"], head["size"])
    assert proof["root_hash"] == head["root_hash"]
    leaf = leaf_hash(_b64(txn["entry"]))
    assert _b64(proof["leaf_hash"]) == leaf
    hashes = [_b64(h) for h in proof["hashes"]]
    check_record(hashes, head["size"], _b64(head["root_hash"]), txn["index"], leaf)
    assert served.get("/proof/inclusion", index=txn["index"]) == proof
    changed = [bytes([hashes[0][0] ^ 1]) + hashes[0][1:], *hashes[1:]]
    with pytest.raises(ProofError):
        check_record(changed, head["size"], _b64(head["root_hash"]), txn["index"], leaf)


def test_an_inclusion_proof_in_an_older_tree_checks_against_that_trees_root(
    served: Served,
) -> None:
    entries = _entries(served)
    size = len(entries) - 1
    frontier = Frontier()
    for e in entries[:size]:
        frontier.append(_b64(e["entry"]))
    proof = served.get("/proof/inclusion", index=2, size=size)
    assert (proof["tree_size"], _b64(proof["root_hash"])) == (size, frontier.root())
    hashes = [_b64(h) for h in proof["hashes"]]
    check_record(hashes, size, frontier.root(), 2, leaf_hash(_b64(entries[2]["entry"])))


def test_a_consistency_proof_from_an_older_checkpoint_checks(served: Served) -> None:
    old = served.get("/checkpoint")
    note = sign(old["text"], [served.signers["XAT"]])
    assert served.file(note).status_code == 201  # its audit entry grows the log
    new = served.get("/checkpoint")
    assert new["size"] > old["size"]
    proof = served.get("/proof/consistency", **{"from": old["size"]})
    assert (proof["from_size"], proof["to_size"]) == (old["size"], new["size"])
    assert (proof["from_root"], proof["to_root"]) == (old["root_hash"], new["root_hash"])
    hashes = [_b64(h) for h in proof["hashes"]]
    check_tree(hashes, new["size"], _b64(new["root_hash"]), old["size"], _b64(old["root_hash"]))
    with pytest.raises(ProofError):
        check_tree(hashes, new["size"], _b64(new["root_hash"]), old["size"], bytes(32))
    between = served.get("/proof/consistency", **{"from": 1, "to": old["size"]})
    assert (between["to_size"], between["to_root"]) == (old["size"], old["root_hash"])


# -- signed checkpoints ---------------------------------------------------------------------


def test_a_checkpoint_both_parties_signed_is_filed_and_read_back_as_signed(
    served: Served,
) -> None:
    keys = served.get("/keys", name=None)
    assert keys == [
        {"party": party, "verifier": str(served.signers[party].verifier())}
        for party in ("XAT", "XBO")
    ]
    head = served.get("/checkpoint")
    note = cosign(sign(head["text"], [served.signers["XAT"]]), served.signers["XBO"])
    filed = served.file(note, "commission-XBO", **{"Idempotency-Key": f"both-{head['size']}"})
    assert filed.status_code == 201, filed.text
    assert filed.json() == {
        "size": head["size"], "root_hash": head["root_hash"], "signers": ["XAT", "XBO"],
    }  # fmt: skip
    kept = served.checkpoints_kept()
    again = served.file(note, "commission-XBO", **{"Idempotency-Key": f"both-{head['size']}"})
    assert (again.headers.get("Idempotent-Replayed"), again.json()) == ("true", filed.json())
    assert served.checkpoints_kept() == kept

    # Atlántida alone signs a larger checkpoint: the latest of one signer, not of two.
    larger = served.get("/checkpoint")
    assert served.file(sign(larger["text"], [served.signers["XAT"]])).status_code == 201
    both = served.client.get(f"{API}/checkpoints/latest", params={"signers": 2})
    assert both.status_code == 200 and both.headers["content-type"].startswith("text/plain")
    assert both.content == note
    verifiers = [parse_verifier(k["verifier"]) for k in keys]
    assert open_note(both.content, verifiers).verified == ("XAT", "XBO")
    one = served.client.get(f"{API}/checkpoints/latest").text
    assert Checkpoint.parse(open_note(one.encode(), verifiers).text).size == larger["size"]
    audit = served.client.get("/api/v1/audit", headers=served.headers("auditor")).json()
    assert f"checkpoint of {head['size']} entries signed by XAT, XBO" in {
        e["summary"] for e in audit["entries"]
    }
    verified = served.client.get("/api/v1/ledger/verify", headers=served.headers("auditor"))
    assert verified.json()["ok"] is True, verified.text


def test_a_forged_or_unknown_signature_is_422_and_keeps_nothing(served: Served) -> None:
    text = served.get("/checkpoint")["text"]
    note = sign(text, [served.signers["XAT"]])
    body, _, signature = note.rstrip(b"\n").rpartition(b" ")
    raw = bytearray(base64.b64decode(signature))
    raw[-1] ^= 1
    forged = body + b" " + base64.b64encode(bytes(raw)) + b"\n"
    stranger, _ = generate_signer("XAT")
    kept = served.checkpoints_kept()
    for bad, said in (
        (forged, "does not verify"),
        (sign(text, [stranger]), "no trusted key signed"),
        (note.replace(b"\n\n", b"\n"), "no blank line"),
    ):
        problem = _problem(served.file(bad), 422)
        assert said in problem["detail"]
    assert served.checkpoints_kept() == kept


def test_a_checkpoint_not_of_this_log_is_409_and_keeps_nothing(served: Served) -> None:
    head = served.head()
    xat = [served.signers["XAT"]]
    kept = served.checkpoints_kept()
    for wrong, said in (
        (Checkpoint(head.origin, head.size, bytes(32)), "not this store's root"),
        (Checkpoint(head.origin, head.size + 1, head.root_hash), "this store's log holds"),
        (Checkpoint("convenio/another", head.size, head.root_hash), "'convenio/another'"),
    ):
        problem = _problem(served.file(sign(wrong.format(), xat)), 409)
        assert said in problem["detail"]
    assert served.checkpoints_kept() == kept


# -- problems -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "status", "where"),
    [
        ("/entries", {"limit": "0"}, 422, "limit"),
        ("/entries", {"limit": "10001"}, 422, "limit"),
        ("/entries", {"start": "-1"}, 422, "start"),
        ("/proof/inclusion", {}, 422, "txn"),
        ("/proof/inclusion", {"txn": "x", "index": "0"}, 422, "txn"),
        ("/proof/inclusion", {"index": "two"}, 422, "index"),
        ("/proof/inclusion", {"txn": "no-such-transaction"}, 404, None),
        ("/proof/inclusion", {"index": "0", "size": "0"}, 404, None),
        ("/proof/inclusion", {"index": "0", "size": "1000000"}, 404, None),
        ("/proof/inclusion", {"index": "1000000"}, 404, None),
        ("/proof/consistency", {}, 422, "from"),
        ("/proof/consistency", {"from": "0"}, 404, None),
        ("/proof/consistency", {"from": "3", "to": "2"}, 404, None),
        ("/checkpoints/latest", {"signers": "0"}, 422, "signers"),
        ("/checkpoints/latest", {"signers": "3"}, 404, "signers"),
    ],
)
def test_bad_parameters_are_problem_details_naming_them(
    served: Served, path: str, params: dict[str, str], status: int, where: str | None
) -> None:
    answer = served.client.get(f"{API}{path}", params=params, headers=served.headers("auditor"))
    problem = _problem(answer, status)
    if where is not None:
        assert where in [e.get("parameter") for e in problem["errors"]], problem


def test_a_checkpoint_not_sent_as_text_is_422_naming_the_header(served: Served) -> None:
    note = sign(served.get("/checkpoint")["text"], [served.signers["XAT"]])
    answer = served.file(note, **{"Content-Type": "application/json"})
    assert _problem(answer, 422)["errors"] == [
        {"detail": "not text/plain", "header": "Content-Type"}
    ]
