"""Go's ``golang.org/x/mod/sumdb/note`` judges convenio's signed notes and checkpoints.

One Go program, built once per session (`tests.go_judge`), reads JSON requests, one a
line, and answers one JSON line each:

- ``open``: `note.Open` of a note with `note.VerifierList` of the given verifier keys;
- ``sign``: a key from `note.GenerateKey`, its `note.NewSigner`, and `note.Sign` of a text;
- ``signwith``: `note.NewSigner` of a signer key text convenio wrote, and `note.Sign`;
- ``cosign``: `note.Open` of a note, then `note.Sign` of it with a new Go key.

So Go opens what convenio signs, convenio opens what Go signs, and both refuse a tampered
note.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest

from convenio.errors import InputError
from convenio.log.checkpoint import Checkpoint
from convenio.log.note import (
    Opened,
    SignatureError,
    cosign,
    generate_signer,
    open_note,
    parse_verifier,
    sign,
)
from tests.go_judge import JSON_LINES_MAIN, GoProgram, go_program

JUDGE = (
    r"""
package main

import (
	"bufio"
	"crypto/rand"
	"encoding/json"
	"os"

	"golang.org/x/mod/sumdb/note"
)

type request struct {
	Op        string   `json:"op"`
	Verifiers []string `json:"verifiers"`
	Note      string   `json:"note"`
	Text      string   `json:"text"`
	Name      string   `json:"name"`
	Signer    string   `json:"signer"`
}

type answer struct {
	Error      string   `json:"error,omitempty"`
	Text       string   `json:"text,omitempty"`
	Sigs       []string `json:"sigs,omitempty"`
	Unverified int      `json:"unverified"`
	Note       string   `json:"note,omitempty"`
	Verifier   string   `json:"verifier,omitempty"`
}

func open(msg string, keys []string) (*note.Note, error) {
	var vs []note.Verifier
	for _, k := range keys {
		v, err := note.NewVerifier(k)
		if err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	return note.Open([]byte(msg), note.VerifierList(vs...))
}

func signNew(n *note.Note, name string) answer {
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		return answer{Error: err.Error()}
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		return answer{Error: err.Error()}
	}
	msg, err := note.Sign(n, s)
	if err != nil {
		return answer{Error: err.Error()}
	}
	return answer{Note: string(msg), Verifier: vkey}
}

func handle(r request) answer {
	switch r.Op {
	case "open":
		n, err := open(r.Note, r.Verifiers)
		if err != nil {
			return answer{Error: err.Error()}
		}
		a := answer{Text: n.Text, Unverified: len(n.UnverifiedSigs)}
		for _, s := range n.Sigs {
			a.Sigs = append(a.Sigs, s.Name)
		}
		return a
	case "sign":
		return signNew(&note.Note{Text: r.Text}, r.Name)
	case "signwith":
		s, err := note.NewSigner(r.Signer)
		if err != nil {
			return answer{Error: err.Error()}
		}
		msg, err := note.Sign(&note.Note{Text: r.Text}, s)
		if err != nil {
			return answer{Error: err.Error()}
		}
		return answer{Note: string(msg)}
	case "cosign":
		n, err := open(r.Note, r.Verifiers)
		if err != nil {
			return answer{Error: err.Error()}
		}
		return signNew(n, r.Name)
	}
	return answer{Error: "unknown op " + r.Op}
}

"""
    + JSON_LINES_MAIN
)

ORIGIN = "convenio.example/log"
VEN = "convenio.example/VEN"
CUB = "convenio.example/CUB"


@pytest.fixture(scope="module")
def judge(tmp_path_factory: pytest.TempPathFactory) -> GoProgram:
    return go_program(JUDGE, tmp_path_factory)


def ask(judge: GoProgram, *requests: dict[str, Any]) -> list[dict[str, Any]]:
    """Go's answers to ``requests``, in one run of the judge."""
    stdin = "".join(json.dumps(r) + "\n" for r in requests)
    return [json.loads(line) for line in judge.run(stdin).splitlines()]


def checkpoint_body(size: int) -> str:
    root = hashlib.sha256(f"root {size}".encode()).digest()
    return Checkpoint(ORIGIN, size, root).format()


def test_checkpoints_signed_by_both_parties_open_with_go_note(judge: GoProgram) -> None:
    ven, ven_v = generate_signer(VEN)
    cub, cub_v = generate_signer(CUB)
    keys = [str(ven_v), str(cub_v)]
    bodies = [checkpoint_body(size) for size in (0, 1, 7, 1_000_000, 2**63 - 1)]
    notes = [cosign(sign(body, [ven]), cub).decode() for body in bodies]
    answers = ask(judge, *({"op": "open", "note": n, "verifiers": keys} for n in notes))
    for body, answer in zip(bodies, answers, strict=True):
        assert answer == {"text": body, "sigs": [VEN, CUB], "unverified": 0}
    # Each party's key alone: Go verifies it and counts the other signature as unverified.
    alone = ask(judge, {"op": "open", "note": notes[2], "verifiers": [str(cub_v)]})
    assert alone == [{"text": bodies[2], "sigs": [CUB], "unverified": 1}]


def test_a_tampered_checkpoint_is_refused_by_go_and_by_convenio(judge: GoProgram) -> None:
    ven, ven_v = generate_signer(VEN)
    cub, cub_v = generate_signer(CUB)
    note = sign(checkpoint_body(41), [ven, cub])
    tampered = note.replace(b"\n41\n", b"\n40\n", 1)
    assert tampered != note
    [answer] = ask(judge, {"op": "open", "note": tampered.decode(), "verifiers": [str(ven_v)]})
    assert answer == {
        "error": f"invalid signature for key {VEN}+{ven_v.key_id:08x}",
        "unverified": 0,
    }
    with pytest.raises(SignatureError, match="does not verify"):
        open_note(tampered, [ven_v, cub_v])


def test_a_note_signed_by_go_opens_with_open_note(judge: GoProgram) -> None:
    body = checkpoint_body(12)
    [answer] = ask(judge, {"op": "sign", "text": body, "name": "go.example/witness"})
    go_key = parse_verifier(answer["verifier"])
    note = answer["note"].encode()
    opened = open_note(note, [go_key])
    assert opened == Opened(body, ("go.example/witness",), 0)
    assert Checkpoint.parse(opened.text).size == 12
    # Go's note, text changed: refused by convenio and by Go.
    tampered = note.replace(b"\n12\n", b"\n13\n", 1)
    with pytest.raises(SignatureError, match="does not verify"):
        open_note(tampered, [go_key])
    [refused] = ask(judge, {"op": "open", "note": tampered.decode(), "verifiers": [str(go_key)]})
    assert refused["error"].startswith("invalid signature for key go.example/witness+")


def test_go_cosigns_a_convenio_note_and_convenio_opens_both(judge: GoProgram) -> None:
    ven, ven_v = generate_signer(VEN)
    note = sign(checkpoint_body(3), [ven])
    [answer] = ask(
        judge, {"op": "cosign", "note": note.decode(), "verifiers": [str(ven_v)], "name": CUB}
    )
    cosigned = answer["note"].encode()
    assert cosigned.startswith(note)  # Go kept our signature as written
    opened = open_note(cosigned, [ven_v, parse_verifier(answer["verifier"])])
    assert opened.verified == (VEN, CUB)


def test_go_signs_with_a_convenio_signer_key_the_same_bytes(judge: GoProgram) -> None:
    signer, _ = generate_signer(VEN)
    body = checkpoint_body(99)
    [answer] = ask(judge, {"op": "signwith", "signer": signer.reveal(), "text": body})
    assert answer["note"].encode() == sign(body, [signer])  # Ed25519 is deterministic


def test_unknown_keys_and_no_trusted_signature_agree_with_go(judge: GoProgram) -> None:
    ven, _ = generate_signer(VEN)
    _, stranger = generate_signer(VEN)  # same name, other key
    note = sign(checkpoint_body(5), [ven])
    [answer] = ask(judge, {"op": "open", "note": note.decode(), "verifiers": [str(stranger)]})
    assert answer == {"error": "note has no verifiable signatures", "unverified": 0}
    with pytest.raises(SignatureError, match="no trusted key"):
        open_note(note, [stranger])


MALFORMED = [
    b"text\n",
    b"text\n\n",
    b"text\n\n- VEN AAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
    b"text\n\n\xe2\x80\x94 VEN AAAA\n",
    b"te\rxt\n\n\xe2\x80\x94 VEN AAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
    b"text\n\n\xe2\x80\x94 V+EN AAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
]


@pytest.mark.parametrize("note", MALFORMED)
def test_malformed_notes_are_refused_by_go_and_by_convenio(judge: GoProgram, note: bytes) -> None:
    _, ven_v = generate_signer("VEN")
    [answer] = ask(judge, {"op": "open", "note": note.decode(), "verifiers": [str(ven_v)]})
    assert answer["error"] == "malformed note"
    with pytest.raises(InputError):
        open_note(note, [ven_v])


def test_go_reads_our_verifier_key_text(judge: GoProgram) -> None:
    # A verifier key in the form convenio prints is one Go's NewVerifier accepts.
    signer, verifier = generate_signer("party.example/VEN-1")
    note = sign("hello\n", [signer])
    [answer] = ask(judge, {"op": "open", "note": note.decode(), "verifiers": [str(verifier)]})
    assert answer["sigs"] == ["party.example/VEN-1"]
    assert base64.b64decode(str(verifier).split("+", 2)[2])[0] == 1
