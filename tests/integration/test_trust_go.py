"""The outside judge: Go's ``golang.org/x/mod/sumdb/note`` and ``.../tlog`` verify what
convenio's command line signs and proves.

A store is written through the CLI (accounts, forty transactions), VEN and CUB each
generate a key (`convenio keys generate`), VEN signs a checkpoint and CUB cosigns it
(`convenio checkpoint sign` / `cosign`); then one Go program, built once per session in
GOPATH mode (`tests.go_judge`), answers a JSON line per request:

- ``open``: `note.Open` of the note with `note.VerifierList` of the verifier keys given;
- ``record``: `tlog.CheckRecord` of a `convenio proof inclusion --json` answer;
- ``tree``: `tlog.CheckTree` of a `convenio proof consistency --json` answer.

Go's TreeHash of the empty tree differs from RFC 6962's, so sizes start at 1. Where Go
is missing the test skips with the reason (and fails under ``CI=true``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from convenio.cli.main import app
from convenio.settings import get_settings
from tests.e2e.cli import ok
from tests.go_judge import JSON_LINES_MAIN, GoProgram, go_program

JUDGE = (
    r"""
package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"os"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type proof struct {
	Index    int64    `json:"index"`
	TreeSize int64    `json:"tree_size"`
	Leaf     string   `json:"leaf_hash"`
	Root     string   `json:"root_hash"`
	FromSize int64    `json:"from_size"`
	ToSize   int64    `json:"to_size"`
	FromRoot string   `json:"from_root"`
	ToRoot   string   `json:"to_root"`
	Hashes   []string `json:"hashes"`
}

type request struct {
	Op        string   `json:"op"`
	Note      string   `json:"note"`
	Verifiers []string `json:"verifiers"`
	Proof     proof    `json:"proof"`
}

type answer struct {
	Error string   `json:"error,omitempty"`
	Text  string   `json:"text,omitempty"`
	Sigs  []string `json:"sigs,omitempty"`
}

func hash(text string) tlog.Hash {
	var h tlog.Hash
	raw, err := base64.StdEncoding.DecodeString(text)
	if err != nil || len(raw) != tlog.HashSize {
		panic("not a base64 hash: " + text)
	}
	copy(h[:], raw)
	return h
}

func hashes(texts []string) tlog.TreeProof {
	list := tlog.TreeProof{}
	for _, t := range texts {
		list = append(list, hash(t))
	}
	return list
}

func verdict(err error) answer {
	if err != nil {
		return answer{Error: err.Error()}
	}
	return answer{}
}

func handle(r request) answer {
	switch r.Op {
	case "open":
		var vs []note.Verifier
		for _, k := range r.Verifiers {
			v, err := note.NewVerifier(k)
			if err != nil {
				return answer{Error: err.Error()}
			}
			vs = append(vs, v)
		}
		n, err := note.Open([]byte(r.Note), note.VerifierList(vs...))
		if err != nil {
			return answer{Error: err.Error()}
		}
		a := answer{Text: n.Text}
		for _, s := range n.Sigs {
			a.Sigs = append(a.Sigs, s.Name)
		}
		return a
	case "record":
		p := r.Proof
		path := tlog.RecordProof(hashes(p.Hashes))
		return verdict(tlog.CheckRecord(path, p.TreeSize, hash(p.Root), p.Index, hash(p.Leaf)))
	case "tree":
		p := r.Proof
		return verdict(tlog.CheckTree(hashes(p.Hashes), p.ToSize, hash(p.ToRoot), p.FromSize,
			hash(p.FromRoot)))
	}
	return answer{Error: "unknown op " + r.Op}
}

"""
    + JSON_LINES_MAIN
)

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "convenio" / "examples"
TRANSACTIONS = 40


class Cli:
    """`convenio` in-process on one embedded store."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str) -> str:
        return ok(self.runner.invoke(app, list(args)))

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json"))


@pytest.fixture(scope="module")
def judge(tmp_path_factory: pytest.TempPathFactory) -> GoProgram:
    return go_program(JUDGE, tmp_path_factory)


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory, judge: GoProgram) -> Iterator[Cli]:
    """A store of five accounts and forty transactions; VEN's and CUB's keys; `cp.note`,
    the checkpoint VEN signed and CUB cosigned."""
    root = tmp_path_factory.mktemp("trust-go")
    lines = ["txn_id,date,account,amount,unit,description"]
    for n in range(1, TRANSACTIONS + 1):
        lines += [
            f"t-{n},2024-02-{n % 28 + 1:02d},XAT/reserves/treasury,{n}.00,USD,transfer {n}",
            f"t-{n},2024-02-{n % 28 + 1:02d},XAT/equity/opening,-{n}.00,USD,transfer {n}",
        ]
    (root / "journal.csv").write_text("\n".join(lines) + "\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONVENIO_DATA_DIR", str(root / "data"))
        patch.setenv("CONVENIO_DATABASE_URL", "")
        patch.chdir(root)
        get_settings.cache_clear()
        run = Cli()
        run("ledger", "open", "--file", str(EXAMPLES / "accounts.csv"))
        run("ledger", "post", "journal.csv")
        run("keys", "generate", "--party", "VEN")
        run("keys", "generate", "--party", "CUB")
        run("checkpoint", "sign", "--party", "VEN", "-o", "cp.note")
        run("checkpoint", "cosign", "cp.note", "--party", "CUB")
        yield run
    get_settings.cache_clear()


def _ask(judge: GoProgram, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    lines = judge.run("".join(json.dumps(r) + "\n" for r in requests)).splitlines()
    assert len(lines) == len(requests)
    return [json.loads(line) for line in lines]


def _verifiers(cli: Cli) -> dict[str, str]:
    return {k["party"]: k["verifier"] for k in cli.json("keys", "list")}


def test_go_note_opens_the_checkpoint_both_parties_signed(cli: Cli, judge: GoProgram) -> None:
    keys = _verifiers(cli)
    note = Path("cp.note").read_text()
    text = cli("checkpoint", "show")
    lines = note.splitlines()
    name, signature = lines[-1].rsplit(" ", 1)
    bad = signature[:12] + ("B" if signature[12] != "B" else "C") + signature[13:]
    broken = "\n".join([*lines[:-1], f"{name} {bad}"]) + "\n"
    answers = _ask(
        judge,
        [
            {"op": "open", "note": note, "verifiers": [keys["VEN"], keys["CUB"]]},
            {"op": "open", "note": note, "verifiers": [keys["CUB"]]},
            {"op": "open", "note": broken, "verifiers": [keys["VEN"], keys["CUB"]]},
            {"op": "open", "note": note.replace("\n", "\n\n", 1), "verifiers": [keys["VEN"]]},
        ],
    )
    assert answers[0] == {"text": text, "sigs": ["VEN", "CUB"]}
    assert answers[1] == {"text": text, "sigs": ["CUB"]}
    assert "invalid signature" in answers[2]["error"]
    assert "error" in answers[3]  # a blank line inside the text: malformed
    assert text.split("\n")[1] == str(TRANSACTIONS + 5 + 2)  # accounts, txns, two keys


def test_go_tlog_checks_every_inclusion_proof_of_the_cli(cli: Cli, judge: GoProgram) -> None:
    size = cli.json("checkpoint", "show")["size"]
    proofs = [cli.json("proof", "inclusion", f"t-{n}") for n in (1, 7, 20, TRANSACTIONS)]
    for tree in (1, 2, 3, 8, 13, size):
        for i in sorted({0, tree // 2, tree - 1}):
            proofs.append(cli.json("proof", "inclusion", "--entry", str(i), "--size", str(tree)))
    wrong = [
        {**proofs[0], "leaf_hash": proofs[1]["leaf_hash"]},
        {**proofs[1], "index": proofs[1]["index"] + 1},
        {**proofs[2], "hashes": proofs[2]["hashes"][::-1]},
    ]
    answers = _ask(judge, [{"op": "record", "proof": p} for p in [*proofs, *wrong]])
    assert answers[: len(proofs)] == [{}] * len(proofs)
    assert all("error" in a for a in answers[len(proofs) :])


def test_go_tlog_checks_every_consistency_proof_of_the_cli(cli: Cli, judge: GoProgram) -> None:
    size = cli.json("checkpoint", "show")["size"]
    pairs = [(1, 1), (1, 2), (3, 7), (4, 8), (5, 16), (17, 33), (6, size), (size, size)]
    proofs = [cli.json("proof", "consistency", "--from", str(a), "--to", str(b)) for a, b in pairs]
    wrong = [
        {**proofs[2], "from_root": proofs[3]["from_root"]},
        {**proofs[4], "hashes": proofs[4]["hashes"][1:]},
    ]
    answers = _ask(judge, [{"op": "tree", "proof": p} for p in [*proofs, *wrong]])
    assert answers[: len(proofs)] == [{}] * len(proofs)
    assert all("error" in a for a in answers[len(proofs) :])
