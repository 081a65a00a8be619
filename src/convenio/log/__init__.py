"""The transparency log: a Merkle tree of every record that matters (RFC 6962 / 9162),
stored in Go tlog's layout, with inclusion and consistency proofs, and signed checkpoints.

Pure values and functions only; the store implements `HashReader` and writes the hashes.
"""

from convenio.log.tree import (
    EMPTY_ROOT,
    HASH_SIZE,
    Hash,
    HashReader,
    MemoryHashStore,
    ProofError,
    check_record,
    check_tree,
    leaf_hash,
    node_hash,
    prove_record,
    prove_tree,
    split_stored_hash_index,
    stored_hash_count,
    stored_hash_index,
    stored_hashes,
    tree_hash,
)

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
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
    "split_stored_hash_index",
    "stored_hash_count",
    "stored_hash_index",
    "stored_hashes",
    "tree_hash",
]
