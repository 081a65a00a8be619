"""Go's ``golang.org/x/mod/sumdb/tlog`` judges convenio's log tree.

The Go program below holds the hashes convenio stored (served to tlog through its
``HashReader``) and answers one line per command: where tlog stores a node, the hashes
tlog would store for a record, the root tlog computes from our hashes, the proofs tlog
builds from them, and whether tlog accepts our roots and proofs. Agreement means a store
of ours can serve Go's reader unchanged and Go verifies what we prove.
"""

from __future__ import annotations

import random

import pytest

from convenio.log import (
    Hash,
    MemoryHashStore,
    ProofError,
    check_record,
    check_tree,
    leaf_hash,
    prove_record,
    prove_tree,
    split_stored_hash_index,
    stored_hash_count,
    stored_hash_index,
    stored_hashes,
    tree_hash,
)
from tests.go_judge import GoProgram, go_program

JUDGE = r"""
package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

var stored []tlog.Hash

// serve answers tlog's reads from the hashes convenio stored.
func serve(indexes []int64) ([]tlog.Hash, error) {
	found := make([]tlog.Hash, 0, len(indexes))
	for _, index := range indexes {
		if index < 0 || index >= int64(len(stored)) {
			return nil, fmt.Errorf("hash %d is not stored", index)
		}
		found = append(found, stored[index])
	}
	return found, nil
}

func number(word string) int64 {
	value, err := strconv.ParseInt(word, 10, 64)
	if err != nil {
		panic(err)
	}
	return value
}

func decode(word string) tlog.Hash {
	var h tlog.Hash
	raw, err := hex.DecodeString(word)
	if err != nil || len(raw) != tlog.HashSize {
		panic("not a hash: " + word)
	}
	copy(h[:], raw)
	return h
}

// hashes reads "-" as none, else hashes joined by commas.
func hashes(word string) []tlog.Hash {
	var list []tlog.Hash
	if word != "-" {
		for _, part := range strings.Split(word, ",") {
			list = append(list, decode(part))
		}
	}
	return list
}

func show(list []tlog.Hash, err error) string {
	if err != nil {
		return "error " + err.Error()
	}
	words := make([]string, len(list))
	for i, h := range list {
		words[i] = hex.EncodeToString(h[:])
	}
	if len(words) == 0 {
		return "-"
	}
	return strings.Join(words, ",")
}

func verdict(err error) string {
	if err != nil {
		return "rejected " + err.Error()
	}
	return "ok"
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<26)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	reader := tlog.HashReaderFunc(serve)
	for in.Scan() {
		w := strings.Fields(in.Text())
		switch w[0] {
		case "hash":
			stored = append(stored, decode(w[1]))
			continue
		case "index":
			fmt.Fprintln(out, tlog.StoredHashIndex(int(number(w[1])), number(w[2])))
		case "split":
			level, n := tlog.SplitStoredHashIndex(number(w[1]))
			fmt.Fprintln(out, level, n)
		case "count":
			fmt.Fprintln(out, tlog.StoredHashCount(number(w[1])))
		case "stored":
			data, err := hex.DecodeString(strings.TrimPrefix(w[2], "x"))
			if err != nil {
				panic(err)
			}
			fmt.Fprintln(out, show(tlog.StoredHashes(number(w[1]), data, reader)))
		case "root":
			h, err := tlog.TreeHash(number(w[1]), reader)
			fmt.Fprintln(out, show([]tlog.Hash{h}, err))
		case "prove-record":
			p, err := tlog.ProveRecord(number(w[1]), number(w[2]), reader)
			fmt.Fprintln(out, show(p, err))
		case "prove-tree":
			p, err := tlog.ProveTree(number(w[1]), number(w[2]), reader)
			fmt.Fprintln(out, show(p, err))
		case "check-record":
			t, n, root, leaf := number(w[1]), number(w[2]), decode(w[3]), decode(w[4])
			err := tlog.CheckRecord(hashes(w[5]), t, root, n, leaf)
			fmt.Fprintln(out, verdict(err))
		case "check-tree":
			t, n, rootT, rootN := number(w[1]), number(w[2]), decode(w[3]), decode(w[4])
			err := tlog.CheckTree(hashes(w[5]), t, rootT, n, rootN)
			fmt.Fprintln(out, verdict(err))
		default:
			panic("unknown command " + w[0])
		}
	}
	if err := in.Err(); err != nil {
		panic(err)
	}
}
"""

SIZE = 1000  # records in the log under judgement


@pytest.fixture(scope="module")
def judge(tmp_path_factory: pytest.TempPathFactory) -> GoProgram:
    return go_program(JUDGE, tmp_path_factory)


@pytest.fixture(scope="module")
def store() -> MemoryHashStore:
    rng = random.Random(10)
    return MemoryHashStore(rng.randbytes(rng.randrange(0, 60)) for _ in range(SIZE))


def _stored_lines(store: MemoryHashStore) -> list[str]:
    every = store.read_hashes(range(stored_hash_count(store.size)))
    return [f"hash {h.hex()}" for h in every]


def _ask(judge: GoProgram, store: MemoryHashStore, commands: list[str]) -> list[str]:
    answer = judge.run("\n".join([*_stored_lines(store), *commands]) + "\n").splitlines()
    assert len(answer) == len(commands)
    return answer


def _show(hashes: list[Hash]) -> str:
    return ",".join(h.hex() for h in hashes) or "-"


def _pairs(count: int, smallest_t: int = 1) -> list[tuple[int, int]]:
    """(t, n) pairs: every small tree exhaustively, then random ones up to SIZE."""
    rng = random.Random(6962)
    pairs = [(t, n) for t in range(smallest_t, 17) for n in range(t)]
    while len(pairs) < count:
        t = rng.randrange(smallest_t, SIZE + 1)
        pairs.append((t, rng.randrange(0, t)))
    return pairs


def test_our_storage_layout_is_go_tlogs(judge: GoProgram) -> None:
    rng = random.Random(1)
    nodes = [(level, rng.randrange(0, 2**40 >> level)) for level in range(41) for _ in range(5)]
    nodes += [(level, n) for level in range(4) for n in range(20)]
    indexes = [rng.randrange(0, 2**50) for _ in range(200)] + list(range(100))
    counts = [rng.randrange(0, 2**50) for _ in range(100)] + list(range(100))
    answer = judge.run(
        "\n".join(
            [f"index {lv} {n}" for lv, n in nodes]
            + [f"split {i}" for i in indexes]
            + [f"count {c}" for c in counts]
        )
        + "\n"
    ).splitlines()
    ours = (
        [str(stored_hash_index(lv, n)) for lv, n in nodes]
        + ["{} {}".format(*split_stored_hash_index(i)) for i in indexes]
        + [str(stored_hash_count(c)) for c in counts]
    )
    assert answer == ours


def test_go_tlog_stores_the_same_hashes_for_each_record_as_we_do(judge: GoProgram) -> None:
    rng = random.Random(2)
    entries = [rng.randbytes(rng.randrange(0, 30)) for _ in range(SIZE)]
    ours = MemoryHashStore()
    expected = []
    for n, entry in enumerate(entries):
        expected.append(_show(stored_hashes(n, entry, ours)))
        ours.append(entry)
    commands = [f"stored {n} x{entry.hex()}" for n, entry in enumerate(entries)]
    assert _ask(judge, ours, commands) == expected


def test_go_tlog_computes_our_roots_from_our_stored_hashes(
    judge: GoProgram, store: MemoryHashStore
) -> None:
    sizes = list(range(1, SIZE + 1))
    answer = _ask(judge, store, [f"root {t}" for t in sizes])
    assert answer == [tree_hash(t, store).hex() for t in sizes]


def test_go_tlog_builds_our_inclusion_proofs_and_accepts_ours(
    judge: GoProgram, store: MemoryHashStore
) -> None:
    pairs = _pairs(400)
    proofs = [prove_record(t, n, store) for t, n in pairs]
    commands = [f"prove-record {t} {n}" for t, n in pairs]
    for (t, n), proof in zip(pairs, proofs, strict=True):
        root = tree_hash(t, store)
        leaf = store.read_hashes([stored_hash_index(0, n)])[0]
        check_record(proof, t, root, n, leaf)
        commands.append(f"check-record {t} {n} {root.hex()} {leaf.hex()} {_show(proof)}")
    answer = _ask(judge, store, commands)
    assert answer[: len(pairs)] == [_show(p) for p in proofs]
    assert answer[len(pairs) :] == ["ok"] * len(pairs)


def test_go_tlog_builds_our_consistency_proofs_and_accepts_ours(
    judge: GoProgram, store: MemoryHashStore
) -> None:
    pairs = [(t, n + 1) for t, n in _pairs(400)]  # old sizes 1..t
    proofs = [prove_tree(t, n, store) for t, n in pairs]
    commands = [f"prove-tree {t} {n}" for t, n in pairs]
    for (t, n), proof in zip(pairs, proofs, strict=True):
        root_t, root_n = tree_hash(t, store), tree_hash(n, store)
        check_tree(proof, t, root_t, n, root_n)
        commands.append(f"check-tree {t} {n} {root_t.hex()} {root_n.hex()} {_show(proof)}")
    answer = _ask(judge, store, commands)
    assert answer[: len(pairs)] == [_show(p) for p in proofs]
    assert answer[len(pairs) :] == ["ok"] * len(pairs)


def test_go_tlog_rejects_what_we_reject(judge: GoProgram, store: MemoryHashStore) -> None:
    """A flipped bit, a wrong record or a wrong leaf: both verifiers refuse the proof."""
    rng = random.Random(3)
    commands = []

    def refused_record(proof: list[Hash], t: int, root: Hash, n: int, leaf: Hash) -> str:
        with pytest.raises(ProofError):
            check_record(proof, t, root, n, leaf)
        return f"check-record {t} {n} {root.hex()} {leaf.hex()} {_show(proof)}"

    for t, n in _pairs(150, smallest_t=2):
        root = tree_hash(t, store)
        leaf = leaf_hash(b"%d" % n)  # not the record's entry
        real_leaf = store.read_hashes([stored_hash_index(0, n)])[0]
        proof = prove_record(t, n, store)
        commands.append(refused_record(proof, t, root, n, leaf))
        other = (n + rng.randrange(1, t)) % t
        commands.append(refused_record(proof, t, root, other, real_leaf))
        i = rng.randrange(len(proof))
        flipped = bytearray(proof[i])
        flipped[rng.randrange(32)] ^= 1 << rng.randrange(8)
        bad = [*proof[:i], bytes(flipped), *proof[i + 1 :]]
        commands.append(refused_record(bad, t, root, n, real_leaf))
        m = rng.randrange(1, t)
        tree_proof = prove_tree(t, m, store)
        j = rng.randrange(len(tree_proof))
        flipped = bytearray(tree_proof[j])
        flipped[rng.randrange(32)] ^= 1 << rng.randrange(8)
        bad = [*tree_proof[:j], bytes(flipped), *tree_proof[j + 1 :]]
        root_m = tree_hash(m, store)
        with pytest.raises(ProofError):
            check_tree(bad, t, root, m, root_m)
        commands.append(f"check-tree {t} {m} {root.hex()} {root_m.hex()} {_show(bad)}")
    answer = _ask(judge, store, commands)
    assert all(line.startswith("rejected") for line in answer), answer
