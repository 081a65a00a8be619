"""The log's Merkle tree: published RFC 6962 test vectors, Go tlog's storage layout, and
Hypothesis against a naive RFC 6962 §2.1 implementation written here.

The naive side hashes with hashlib directly and follows the RFC's recursive definitions
(MTH, PATH, SUBPROOF) over the whole list of leaves; the code under test reads stored
hashes and checks proofs with RFC 9162's iterative algorithms, so the two share nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convenio.log
from convenio.errors import InputError, IntegrityError, NotFoundError
from convenio.log import (
    EMPTY_ROOT,
    Frontier,
    Hash,
    MemoryHashStore,
    ProofError,
    check_record,
    check_tree,
    leaf_hash,
    node_hash,
    prove_record,
    prove_tree,
    read_once,
    split_stored_hash_index,
    stored_hash_count,
    stored_hash_index,
    stored_hashes,
    tree_hash,
)

# --- Published test vectors ----------------------------------------------------------
# The eight leaves and the hashes below are Certificate Transparency's RFC 6962 test data
# (first in google/certificate-transparency, cpp/merkletree/merkle_tree_test.cc), as kept
# today by transparency-dev/merkle: testonly/constants.go (LeafInputs, NodeHashes,
# RootHashes) and proof/verify_test.go (inclusionProofs, consistencyProofs; there the
# leaf of an inclusion proof is numbered from 1, here from 0).

LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]

ROOTS = [  # by tree size, 0..8
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]

NODES = [  # [level][n]: every complete subtree of the eight leaves
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
]

INCLUSION = [  # (record, tree size, audit path)
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]

CONSISTENCY = [  # (old size, new size, proof)
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]


def _hexes(hashes: Sequence[Hash]) -> list[str]:
    return [h.hex() for h in hashes]


@pytest.fixture(scope="module")
def rfc_store() -> MemoryHashStore:
    return MemoryHashStore(LEAVES)


def test_tree_hash_is_rfc6962_root_for_each_size(rfc_store: MemoryHashStore) -> None:
    assert [tree_hash(n, rfc_store).hex() for n in range(9)] == ROOTS
    assert EMPTY_ROOT.hex() == ROOTS[0]


def test_every_published_node_hash_is_stored_at_its_tlog_index(
    rfc_store: MemoryHashStore,
) -> None:
    for level, row in enumerate(NODES):
        for n, expected in enumerate(row):
            index = stored_hash_index(level, n)
            assert rfc_store.read_hashes([index])[0].hex() == expected
    assert stored_hash_count(8) == 15  # 8 leaves + 4 + 2 + 1: each node once


@pytest.mark.parametrize(("n", "t", "path"), INCLUSION)
def test_inclusion_proofs_are_the_published_ones_and_check(
    rfc_store: MemoryHashStore, n: int, t: int, path: list[str]
) -> None:
    proof = prove_record(t, n, rfc_store)
    assert _hexes(proof) == path
    check_record(proof, t, bytes.fromhex(ROOTS[t]), n, leaf_hash(LEAVES[n]))


@pytest.mark.parametrize(("n", "t", "path"), CONSISTENCY)
def test_consistency_proofs_are_the_published_ones_and_check(
    rfc_store: MemoryHashStore, n: int, t: int, path: list[str]
) -> None:
    proof = prove_tree(t, n, rfc_store)
    assert _hexes(proof) == path
    check_tree(proof, t, bytes.fromhex(ROOTS[t]), n, bytes.fromhex(ROOTS[n]))


# --- The naive RFC 6962 side ---------------------------------------------------------


def _naive_leaf(entry: bytes) -> bytes:
    return hashlib.sha256(bytes([0]) + entry).digest()


def _naive_node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(bytes([1]) + left + right).digest()


def _below(n: int) -> int:
    """The largest power of two strictly less than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def _mth(leaves: tuple[bytes, ...]) -> bytes:
    """RFC 6962 §2.1 MTH over leaf hashes."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = _below(len(leaves))
    return _naive_node(_mth(leaves[:k]), _mth(leaves[k:]))


def _path(m: int, leaves: tuple[bytes, ...]) -> list[tuple[bytes, str]]:
    """RFC 6962 §2.1.1 PATH, each hash with the side its subtree is on."""
    if len(leaves) == 1:
        return []
    k = _below(len(leaves))
    if m < k:
        return [*_path(m, leaves[:k]), (_mth(leaves[k:]), "right")]
    return [*_path(m - k, leaves[k:]), (_mth(leaves[:k]), "left")]


def _subproof(m: int, leaves: tuple[bytes, ...], whole: bool) -> list[tuple[bytes, str]]:
    """RFC 6962 §2.1.2 SUBPROOF, each hash with its role."""
    if m == len(leaves):
        return [] if whole else [(_mth(leaves), "start")]
    k = _below(len(leaves))
    if m <= k:
        return [*_subproof(m, leaves[:k], whole), (_mth(leaves[k:]), "right")]
    return [*_subproof(m - k, leaves[k:], False), (_mth(leaves[:k]), "left")]


def _inclusion_shape(n: int, t: int) -> list[str]:
    return [side for _, side in _path(n, tuple(bytes(32) for _ in range(t)))]


def _consistency_shape(n: int, t: int) -> list[str]:
    return [role for _, role in _subproof(n, tuple(bytes(32) for _ in range(t)), True)]


# A log of distinct records shared by the property tests (appending is the cost).
ENTRIES = [f"record {i}".encode() for i in range(300)]
LEAF_HASHES = tuple(_naive_leaf(e) for e in ENTRIES)
STORE = MemoryHashStore(ENTRIES)


@cache
def _root(t: int) -> bytes:
    return _mth(LEAF_HASHES[:t])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.binary(max_size=40), max_size=70))
def test_tree_hash_is_the_naive_mth_for_every_size(entries: list[bytes]) -> None:
    store = MemoryHashStore(entries)
    leaves = tuple(_naive_leaf(e) for e in entries)
    assert store.size == len(entries)
    for t in range(len(entries) + 1):
        assert tree_hash(t, store) == _mth(leaves[:t])


sizes_and_record = st.integers(1, len(ENTRIES)).flatmap(
    lambda t: st.tuples(st.just(t), st.integers(0, t - 1))
)


@settings(max_examples=200, deadline=None)
@given(sizes_and_record, st.data())
def test_inclusion_proof_is_rfc_path_and_only_it_checks(
    t_n: tuple[int, int], data: st.DataObject
) -> None:
    t, n = t_n
    proof = prove_record(t, n, STORE)
    assert proof == [h for h, _ in _path(n, LEAF_HASHES[:t])]
    root, leaf = _root(t), LEAF_HASHES[n]
    check_record(proof, t, root, n, leaf)

    def fails(proof: Sequence[bytes], t: int, root: bytes, n: int, leaf: bytes) -> bool:
        try:
            check_record(proof, t, root, n, leaf)
        except ProofError:
            return True
        return False

    for i, h in enumerate(proof):
        bit = data.draw(st.integers(0, 255), label=f"bit flipped in hash {i}")
        flipped = h[: bit // 8] + bytes([h[bit // 8] ^ (1 << bit % 8)]) + h[bit // 8 + 1 :]
        assert fails([*proof[:i], flipped, *proof[i + 1 :]], t, root, n, leaf)
    assert fails([*proof, root], t, root, n, leaf)
    assert fails([root, *proof], t, root, n, leaf)
    if proof:
        assert fails(proof[:-1], t, root, n, leaf)
        assert fails(proof[1:], t, root, n, leaf)
    assert fails(proof, t, root, n, _naive_leaf(b"not a record"))
    assert fails(proof, t, _root(t - 1) if t > 1 else EMPTY_ROOT, n, leaf)
    assert fails(proof, t, root, t, leaf)  # no such record
    if t > 1:
        other = data.draw(st.integers(0, t - 2), label="another record")
        other += other >= n
        assert fails(proof, t, root, other, leaf)
    # A wrong size fails unless the record's path has the same shape in both trees: then
    # only the root can tell them apart, which is why a checkpoint signs size and root together.
    wrong = data.draw(st.integers(n + 1, 2 * t + 2).filter(lambda s: s != t), label="size")
    assert fails(proof, wrong, root, n, leaf) == (
        _inclusion_shape(n, wrong) != _inclusion_shape(n, t)
    )


sizes_pair = st.integers(1, len(ENTRIES)).flatmap(
    lambda t: st.tuples(st.just(t), st.integers(1, t))
)


@settings(max_examples=200, deadline=None)
@given(sizes_pair, st.data())
def test_consistency_proof_is_rfc_subproof_and_only_it_checks(
    t_n: tuple[int, int], data: st.DataObject
) -> None:
    t, n = t_n
    proof = prove_tree(t, n, STORE)
    assert proof == [h for h, _ in _subproof(n, LEAF_HASHES[:t], True)]
    root_t, root_n = _root(t), _root(n)
    check_tree(proof, t, root_t, n, root_n)

    def fails(proof: Sequence[bytes], t: int, root_t: bytes, n: int, root_n: bytes) -> bool:
        try:
            check_tree(proof, t, root_t, n, root_n)
        except ProofError:
            return True
        return False

    for i, h in enumerate(proof):
        bit = data.draw(st.integers(0, 255), label=f"bit flipped in hash {i}")
        flipped = h[: bit // 8] + bytes([h[bit // 8] ^ (1 << bit % 8)]) + h[bit // 8 + 1 :]
        assert fails([*proof[:i], flipped, *proof[i + 1 :]], t, root_t, n, root_n)
    for extra in (root_t, root_n):
        assert fails([*proof, extra], t, root_t, n, root_n)
        assert fails([extra, *proof], t, root_t, n, root_n)
    if proof:
        assert fails(proof[:-1], t, root_t, n, root_n)
        assert fails(proof[1:], t, root_t, n, root_n)
    if n < t:
        assert fails(proof, t, root_n, n, root_t)  # swapped roots
        assert fails(proof, t, root_t, n, _root(n + 1))
        assert fails(proof, t, _root(t - 1), n, root_n)
    assert fails(proof, n - 1, root_t, n, root_n)  # sizes out of order
    # As for inclusion: other sizes fail unless the proof has the same shape for them.
    wrong_t = data.draw(st.integers(n, 2 * t + 2).filter(lambda s: s != t), label="new size")
    assert fails(proof, wrong_t, root_t, n, root_n) == (
        _consistency_shape(n, wrong_t) != _consistency_shape(n, t)
    )
    wrong_n = (
        data.draw(st.integers(1, t).filter(lambda s: s != n), label="old size") if t > 1 else 0
    )
    if wrong_n:
        assert fails(proof, t, root_t, wrong_n, root_n) == (
            _consistency_shape(wrong_n, t) != _consistency_shape(n, t)
        )


def test_a_tree_extends_itself_and_the_empty_tree_only_with_an_empty_proof() -> None:
    root = _root(5)
    check_tree([], 5, root, 5, root)
    check_tree([], 5, root, 0, EMPTY_ROOT)
    check_tree([], 0, EMPTY_ROOT, 0, EMPTY_ROOT)
    assert prove_tree(5, 5, STORE) == prove_tree(5, 0, STORE) == []
    with pytest.raises(ProofError, match="differ"):
        check_tree([], 5, root, 5, _root(4))
    with pytest.raises(ProofError, match="empty tree"):
        check_tree([], 5, root, 0, root)
    with pytest.raises(ProofError, match="should be empty"):
        check_tree([root], 5, root, 5, root)
    with pytest.raises(ProofError, match="proof is empty"):
        check_tree([], 5, root, 4, _root(4))


def test_proof_errors_are_integrity_errors_and_bad_requests_are_input_errors() -> None:
    assert issubclass(ProofError, IntegrityError)
    assert ProofError("x").exit_code == 4
    with pytest.raises(ProofError, match="32-byte"):
        check_record([b"short"], 2, _root(2), 0, LEAF_HASHES[0])
    with pytest.raises(ProofError, match="no such record"):
        check_record([], 0, EMPTY_ROOT, 0, LEAF_HASHES[0])
    with pytest.raises(InputError, match="not in a tree of size 3"):
        prove_record(3, 3, STORE)
    with pytest.raises(InputError, match="cannot extend"):
        prove_tree(3, 4, STORE)
    with pytest.raises(NotFoundError, match="no stored hash"):
        prove_record(len(ENTRIES) + 1, 0, STORE)


# --- Storage layout and cost ---------------------------------------------------------


def test_stored_layout_is_tlogs_each_record_appends_its_leaf_then_completed_subtrees() -> None:
    # Go tlog (after Crosby and Wallach §3.3): record r writes its leaf (0, r), then for
    # each subtree it completes, (1, r >> 1), (2, r >> 2), ..., in that order.
    written: list[tuple[int, int]] = []
    for r in range(1100):
        assert stored_hash_count(r) == len(written)
        level = 0
        while True:
            written.append((level, r >> level))
            if not (r >> level) & 1:
                break
            level += 1
    for index, (level, n) in enumerate(written):
        assert stored_hash_index(level, n) == index
        assert split_stored_hash_index(index) == (level, n)


@given(st.integers(0, 40), st.integers(0, 2**62))
def test_split_stored_hash_index_inverts_it_for_large_trees(level: int, n: int) -> None:
    assert split_stored_hash_index(stored_hash_index(level, n)) == (level, n)


def test_appending_writes_one_leaf_and_one_hash_per_completed_subtree() -> None:
    store = MemoryHashStore()
    for r, entry in enumerate(ENTRIES[:64]):
        appended = stored_hashes(r, entry, store)
        completed = len(bin(r + 1)) - len(bin(r + 1).rstrip("0"))  # trailing ones of r
        assert len(appended) == 1 + completed
        assert appended[0] == leaf_hash(entry)
        assert appended[-1] == _mth(LEAF_HASHES[r + 1 - 2**completed : r + 1])
        assert store.append(entry) == r


class CountingReader:
    """A reader of a tree of ``size`` identical records, of any size: the complete
    subtree at level L has one hash, whatever its place. Counts what it is asked."""

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.level_hash = [leaf_hash(b"same")]
        for _ in range(64):
            self.level_hash.append(node_hash(self.level_hash[-1], self.level_hash[-1]))

    def read_hashes(self, indexes: Sequence[int]) -> list[Hash]:
        self.calls.append(len(indexes))
        return [self.level_hash[split_stored_hash_index(i)[0]] for i in indexes]


@given(st.integers(2, 2**48), st.data())
def test_huge_trees_prove_and_check_with_one_read_of_log_n_hashes(
    t: int, data: st.DataObject
) -> None:
    reader = CountingReader()
    root_t = tree_hash(t, reader)
    n = data.draw(st.integers(0, t - 1), label="record")
    proof = prove_record(t, n, reader)
    check_record(proof, t, root_t, n, leaf_hash(b"same"))
    m = data.draw(st.integers(1, t), label="old size")
    root_m = tree_hash(m, reader)
    check_tree(prove_tree(t, m, reader), t, root_t, m, root_m)
    bound = 2 * t.bit_length()
    assert len(reader.calls) <= 5  # one read per root and per proof (none when empty)
    assert all(0 < count <= bound for count in reader.calls)


def test_public_names_of_convenio_log_exist_once() -> None:
    names = convenio.log.__all__
    assert len(set(names)) == len(names)
    assert all(hasattr(convenio.log, name) for name in names)
    assert set(convenio.log.tree.__all__) <= set(names)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=12), max_size=80), st.integers(0, 80))
def test_frontier_appends_what_the_store_would_and_resumes_from_stored_hashes(
    entries: list[bytes], cut: int
) -> None:
    cut = min(cut, len(entries))
    store = MemoryHashStore(entries)
    head = MemoryHashStore(entries[:cut])
    resumed = Frontier(cut, head.read_hashes(Frontier.indexes(cut)))
    assert resumed.root() == _mth(tuple(_naive_leaf(e) for e in entries[:cut]))
    appended = [h for e in entries[cut:] for h in resumed.append(e)]
    first = stored_hash_count(cut)
    assert appended == store.read_hashes(range(first, stored_hash_count(len(entries))))
    assert resumed.size == len(entries)
    assert resumed.root() == _mth(tuple(_naive_leaf(e) for e in entries))


def test_a_frontier_refuses_a_right_edge_of_the_wrong_length() -> None:
    with pytest.raises(IntegrityError, match="3 complete subtree"):
        Frontier(7, [bytes(32)] * 2)
    assert Frontier().root() == EMPTY_ROOT


def test_read_once_computes_the_same_proofs_from_one_read() -> None:
    calls: list[int] = []

    class Counting:
        def read_hashes(self, indexes: Sequence[int]) -> list[Hash]:
            calls.append(len(indexes))
            return STORE.read_hashes(indexes)

    for t, n in [(300, 0), (300, 299), (257, 128), (1, 0), (64, 63)]:
        calls.clear()
        both = read_once(
            Counting(),
            lambda r, t=t, n=n: (
                tree_hash(t, r),
                prove_record(t, n, r),
                prove_tree(t, n + 1, r) if n + 1 <= t else [],
            ),
        )
        assert len(calls) == 1
        assert both == (
            tree_hash(t, STORE),
            prove_record(t, n, STORE),
            prove_tree(t, n + 1, STORE) if n + 1 <= t else [],
        )
