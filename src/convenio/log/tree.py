"""The Merkle tree of convenio's log (RFC 6962 §2.1, RFC 9162 §2.1), as pure functions over
a storage interface of one method.

Every node hash of the tree is stored once, in an append-only sequence, at the place Go's
``golang.org/x/mod/sumdb/tlog`` gives it (`stored_hash_index`): a store of ours can serve a
Go ``tlog.HashReader`` as it is. Adding record n appends the hashes `stored_hashes` returns
(its leaf hash, then one hash per subtree it completes); the root of any size
(`tree_hash`), an inclusion proof (`prove_record`) and a consistency proof (`prove_tree`)
each read O(log n) stored hashes in one `HashReader.read_hashes` call. Checking a proof
(`check_record`, `check_tree`) needs no storage: it runs RFC 9162's iterative algorithms
(§2.1.3.2, §2.1.4.2) and raises `ProofError` when the proof does not hold.

Records are numbered from 0; a tree of size t holds records 0..t-1. A node at level L
numbered n covers records n·2^L .. (n+1)·2^L - 1; leaves are level 0.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol, TypeVar

from convenio.errors import InputError, IntegrityError, NotFoundError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "Frontier",
    "Hash",
    "HashReader",
    "MemoryHashStore",
    "ProofError",
    "check_record",
    "check_tree",
    "leaf_hash",
    "node_hash",
    "prove_record",
    "prove_tree",
    "read_once",
    "split_stored_hash_index",
    "stored_hash_count",
    "stored_hash_index",
    "stored_hashes",
    "tree_hash",
]

Hash = bytes
"""A SHA-256 digest, 32 bytes: a leaf, an interior node or a tree's root."""

T = TypeVar("T")

HASH_SIZE = 32

EMPTY_ROOT: Hash = hashlib.sha256(b"").digest()
"""The root of the tree of no records (RFC 6962 §2.1: the hash of the empty string; Go's
tlog.TreeHash gives 32 zero bytes instead, which no proof ever involves)."""


class ProofError(IntegrityError):
    """A proof that does not prove what it is checked against (exit 4)."""


class HashReader(Protocol):
    """Reads stored hashes by their place in the sequence (see `stored_hash_index`)."""

    def read_hashes(self, indexes: Sequence[int]) -> list[Hash]:
        """The hashes at ``indexes``, in that order, one for each index."""
        ...


def leaf_hash(entry: bytes) -> Hash:
    """The hash of a record's bytes as a leaf: SHA-256(0x00 ‖ entry)."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: Hash, right: Hash) -> Hash:
    """The hash of an interior node: SHA-256(0x01 ‖ left ‖ right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


# --- Where each hash is stored --------------------------------------------------------
# Record r appends its leaf hash, then the hash of each subtree it completes, smallest
# first: one per trailing 1 bit of r. So r adds 1 + trailing_ones(r) hashes, and the
# records before r have stored 2r - popcount(r) of them in all.


def _trailing_ones(n: int) -> int:
    return (n ^ (n + 1)).bit_length() - 1


def stored_hash_count(n: int) -> int:
    """How many hashes a tree of ``n`` records has stored: 2n - popcount(n)."""
    if n < 0:
        raise InputError(f"a tree cannot have {n} records")
    return 2 * n - n.bit_count()


def stored_hash_index(level: int, n: int) -> int:
    """The place in the stored sequence of node ``n`` at ``level`` (0 for leaves)."""
    if level < 0 or n < 0:
        raise InputError(f"no node {n} at level {level}")
    # The node is completed by its last record, ((n + 1) << level) - 1, which writes it
    # after its own leaf hash and the nodes of the levels below.
    return stored_hash_count(((n + 1) << level) - 1) + level


def split_stored_hash_index(index: int) -> tuple[int, int]:
    """The (level, n) of the node stored at ``index``: `stored_hash_index` inverted."""
    if index < 0:
        raise InputError(f"no stored hash at index {index}")
    # The record that wrote it is the last r whose leaf hash is at or before the index
    # (stored_hash_count is strictly increasing, and stored_hash_count(index + 1) > index).
    low, high = 0, index + 1
    while high - low > 1:
        middle = (low + high) // 2
        if stored_hash_count(middle) <= index:
            low = middle
        else:
            high = middle
    level = index - stored_hash_count(low)
    return level, low >> level


def stored_hashes(n: int, entry: bytes, reader: HashReader) -> list[Hash]:
    """The hashes to append when record ``n`` (the tree's size before it) is added with
    ``entry``: its leaf hash, then the root of each subtree it completes, smallest first.
    Reads one earlier hash (a left sibling) per completed subtree."""
    if n < 0:
        raise InputError(f"no record {n}")
    current = leaf_hash(entry)
    levels = _trailing_ones(n)
    # At level L the completed subtree's left half is node (n >> L) - 1 (n >> L is odd);
    # read from the highest level down, which is increasing stored order.
    indexes = [stored_hash_index(level, (n >> level) - 1) for level in reversed(range(levels))]
    siblings = _read(reader, indexes)
    hashes = [current]
    for sibling in reversed(siblings):
        current = node_hash(sibling, current)
        hashes.append(current)
    return hashes


# --- Roots and proofs from stored hashes ----------------------------------------------


def _split(width: int) -> int:
    """The largest power of two below ``width`` (≥ 2): where RFC 6962 splits a range."""
    return 1 << ((width - 1).bit_length() - 1)


def _perfect_subtrees(lo: int, hi: int) -> list[tuple[int, int]]:
    """The (level, n) of the complete subtrees that make up records [lo, hi), largest
    first. Their hashes folded from the right give the range's RFC 6962 hash."""
    nodes = []
    while lo < hi:
        level = (hi - lo).bit_length() - 1
        if lo & ((1 << level) - 1):
            raise AssertionError(f"range [{lo}, {hi}) is not one of the tree's subtrees")
        nodes.append((level, lo >> level))
        lo += 1 << level
    return nodes


def _read(reader: HashReader, indexes: Sequence[int]) -> list[Hash]:
    if not indexes:
        return []
    hashes = reader.read_hashes(indexes)
    if len(hashes) != len(indexes) or any(len(h) != HASH_SIZE for h in hashes):
        raise IntegrityError(
            f"the log's hash store answered {len(hashes)} value(s) for {len(indexes)} "
            f"hash(es), or a value that is not a {HASH_SIZE}-byte hash"
        )
    return list(hashes)


def _range_hashes(ranges: Iterable[tuple[int, int]], reader: HashReader) -> list[Hash]:
    """The hash of each range of records [lo, hi), from one read of stored hashes."""
    layouts = [_perfect_subtrees(lo, hi) for lo, hi in ranges]
    stored = _read(reader, [stored_hash_index(lv, n) for nodes in layouts for lv, n in nodes])
    result = []
    at = 0
    for nodes in layouts:
        parts = stored[at : at + len(nodes)]
        at += len(nodes)
        current = parts[-1]
        for left in reversed(parts[:-1]):
            current = node_hash(left, current)
        result.append(current)
    return result


def tree_hash(n: int, reader: HashReader) -> Hash:
    """The root hash of the tree of the first ``n`` records (`EMPTY_ROOT` for none)."""
    if n < 0:
        raise InputError(f"a tree cannot have {n} records")
    if n == 0:
        return EMPTY_ROOT
    return _range_hashes([(0, n)], reader)[0]


def prove_record(t: int, n: int, reader: HashReader) -> list[Hash]:
    """The inclusion proof (RFC 6962 audit path, leaf side first) of record ``n`` in the
    tree of size ``t``."""
    if not 0 <= n < t:
        raise InputError(f"record {n} is not in a tree of size {t}")
    # Walk from the root to the leaf; at each split the other side's hash joins the path.
    ranges = []
    lo, hi = 0, t
    while hi - lo > 1:
        middle = lo + _split(hi - lo)
        if n < middle:
            ranges.append((middle, hi))
            hi = middle
        else:
            ranges.append((lo, middle))
            lo = middle
    ranges.reverse()
    return _range_hashes(ranges, reader)


def prove_tree(t: int, n: int, reader: HashReader) -> list[Hash]:
    """The consistency proof (RFC 6962 §2.1.2) that the tree of size ``t`` extends the
    tree of size ``n`` (empty when n is 0 or t: nothing to prove)."""
    if not 0 <= n <= t:
        raise InputError(f"a tree of size {t} cannot extend one of size {n}")
    if n == 0:
        return []
    # Walk down to the subtree whose right edge is n; the walk's other sides join the
    # proof, and so does that subtree unless it is the whole old tree (the verifier has it).
    ranges = []
    lo, hi = 0, t
    while n != hi:
        middle = lo + _split(hi - lo)
        if n <= middle:
            ranges.append((middle, hi))
            hi = middle
        else:
            ranges.append((lo, middle))
            lo = middle
    if lo != 0:
        ranges.append((lo, hi))
    ranges.reverse()
    return _range_hashes(ranges, reader)


# --- Checking proofs (no storage) -----------------------------------------------------


def _require_hashes(what: str, hashes: Iterable[Hash]) -> None:
    for h in hashes:
        if len(h) != HASH_SIZE:
            raise ProofError(f"{what}: {len(h)} bytes where a {HASH_SIZE}-byte hash belongs")


def check_record(proof: Sequence[Hash], t: int, root: Hash, n: int, leaf: Hash) -> None:
    """Check that ``proof`` shows the tree of size ``t`` with root ``root`` holds record
    ``n`` with leaf hash ``leaf`` (from `leaf_hash`); raise `ProofError` if not."""
    what = f"inclusion of record {n} in the tree of size {t}"
    if not 0 <= n < t:
        raise ProofError(f"{what}: there is no such record")
    _require_hashes(what, [root, leaf, *proof])
    index, last = n, t - 1
    current = leaf
    for sibling in proof:
        if last == 0:
            raise ProofError(f"{what}: the proof has more hashes than the path")
        if index & 1 or index == last:
            current = node_hash(sibling, current)
            # A right edge with no sibling at these levels: climb past them.
            while not index & 1 and index != 0:
                index, last = index >> 1, last >> 1
        else:
            current = node_hash(current, sibling)
        index, last = index >> 1, last >> 1
    if last != 0:
        raise ProofError(f"{what}: the proof has fewer hashes than the path")
    if current != root:
        raise ProofError(f"{what}: the proof does not lead to the root")


def check_tree(proof: Sequence[Hash], t: int, root_t: Hash, n: int, root_n: Hash) -> None:
    """Check that ``proof`` shows the tree of size ``t`` with root ``root_t`` extends the
    tree of size ``n`` with root ``root_n``; raise `ProofError` if not. Every tree extends
    the empty one (n = 0, root `EMPTY_ROOT`, empty proof)."""
    what = f"consistency of the tree of size {n} with the tree of size {t}"
    if not 0 <= n <= t:
        raise ProofError(f"{what}: the sizes are not in order")
    _require_hashes(what, [root_t, root_n, *proof])
    if n in (0, t):
        if proof:
            raise ProofError(f"{what}: the proof should be empty")
        if n == 0 and root_n != EMPTY_ROOT:
            raise ProofError(f"{what}: that is not the root of the empty tree")
        if n == t and root_n != root_t:
            raise ProofError(f"{what}: the two roots differ")
        return
    if not proof:
        raise ProofError(f"{what}: the proof is empty")
    path = list(proof)
    if n & (n - 1) == 0:
        # The old tree is one complete subtree; the proof leaves out the root the verifier has.
        path.insert(0, root_n)
    index, last = n - 1, t - 1
    while index & 1:
        index, last = index >> 1, last >> 1
    old = new = path[0]
    for sibling in path[1:]:
        if last == 0:
            raise ProofError(f"{what}: the proof has more hashes than the path")
        if index & 1 or index == last:
            old = node_hash(sibling, old)
            new = node_hash(sibling, new)
            while not index & 1 and index != 0:
                index, last = index >> 1, last >> 1
        else:
            new = node_hash(new, sibling)
        index, last = index >> 1, last >> 1
    if last != 0:
        raise ProofError(f"{what}: the proof has fewer hashes than the path")
    if old != root_n:
        raise ProofError(f"{what}: the proof does not lead to the old root")
    if new != root_t:
        raise ProofError(f"{what}: the proof does not lead to the new root")


class Frontier:
    """The right edge of a tree — the roots of its complete subtrees, largest first — which
    is all that appending needs: `append` returns the hashes `stored_hashes` would, in the
    same order, with no reads. Appends and full recomputations of a log use it; memory is
    O(log n).

    Start empty, or from a stored tree with `Frontier.indexes(size)` read from its store."""

    def __init__(self, size: int = 0, subtrees: Sequence[Hash] = ()) -> None:
        expected = len(self.indexes(size))
        if len(subtrees) != expected:
            raise IntegrityError(
                f"a tree of {size} records has {expected} complete subtree(s) on its right "
                f"edge, not {len(subtrees)}"
            )
        self.size = size
        self._levels = [lv for lv, _ in _perfect_subtrees(0, size)]
        self._hashes = list(subtrees)

    @staticmethod
    def indexes(size: int) -> list[int]:
        """The stored-hash indexes of the right edge of the tree of `size` records."""
        if size < 0:
            raise InputError(f"a tree cannot have {size} records")
        return [stored_hash_index(lv, n) for lv, n in _perfect_subtrees(0, size)]

    def append(self, entry: bytes) -> list[Hash]:
        """Add record `size` with `entry`: its stored hashes (leaf first)."""
        return self.append_leaf(leaf_hash(entry))

    def append_leaf(self, leaf: Hash) -> list[Hash]:
        """`append` of a record given by its leaf hash."""
        current = leaf
        out = [current]
        levels, hashes = self._levels, self._hashes
        level = 0
        while levels and levels[-1] == level:
            levels.pop()
            current = node_hash(hashes.pop(), current)
            out.append(current)
            level += 1
        levels.append(level)
        hashes.append(current)
        self.size += 1
        return out

    def subtrees(self) -> list[Hash]:
        """The roots of the complete subtrees of the right edge, largest first (what
        `Frontier(size, subtrees)` resumes from)."""
        return list(self._hashes)

    def root(self) -> Hash:
        """The tree's RFC 6962 root hash (`EMPTY_ROOT` for no records)."""
        if not self._hashes:
            return EMPTY_ROOT
        current = self._hashes[-1]
        for left in reversed(self._hashes[:-1]):
            current = node_hash(left, current)
        return current


class _Wanted:
    """A `HashReader` that notes which hashes are read and answers placeholders."""

    def __init__(self) -> None:
        self.indexes: list[int] = []

    def read_hashes(self, indexes: Sequence[int]) -> list[Hash]:
        self.indexes.extend(indexes)
        return [bytes(HASH_SIZE)] * len(indexes)


class _Known:
    def __init__(self, hashes: dict[int, Hash]) -> None:
        self.hashes = hashes

    def read_hashes(self, indexes: Sequence[int]) -> list[Hash]:
        return [self.hashes[i] for i in indexes]


def read_once(reader: HashReader, compute: Callable[[HashReader], T]) -> T:
    """`compute(reader)` with one read of every hash it needs, for a `compute` made of
    this module's functions (which hashes they read depends on the sizes, never on the
    values): a root, a proof and a leaf from a database in one query, not three."""
    wanted = _Wanted()
    compute(wanted)
    indexes = sorted(set(wanted.indexes))
    return compute(_Known(dict(zip(indexes, _read(reader, indexes), strict=True))))


class MemoryHashStore:
    """A log's stored hashes in a list, for tests and for trees built in memory."""

    def __init__(self, entries: Iterable[bytes] = ()) -> None:
        self._hashes: list[Hash] = []
        self._size = 0
        for entry in entries:
            self.append(entry)

    @property
    def size(self) -> int:
        """How many records the tree holds."""
        return self._size

    def append(self, entry: bytes) -> int:
        """Add a record; its number (the tree's size before it)."""
        n = self._size
        self._hashes.extend(stored_hashes(n, entry, self))
        self._size = n + 1
        return n

    def read_hashes(self, indexes: Sequence[int]) -> list[Hash]:
        """The stored hashes at ``indexes``; `NotFoundError` for one not stored."""
        stored = len(self._hashes)
        for index in indexes:
            if not 0 <= index < stored:
                raise NotFoundError(
                    f"no stored hash {index}: the log holds {stored} ({self._size} records)"
                )
        return [self._hashes[index] for index in indexes]
