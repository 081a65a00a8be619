"""Checkpoints (C2SP tlog-checkpoint): the body of the note both parties sign.

A checkpoint names the log (its origin), a tree size and the RFC 6962 root hash of the
log's first ``size`` entries. Signed with `convenio.log.note.sign` by one party and
cosigned by the other, it is their agreement on the whole record up to that size; later
states are checked against it with a consistency proof. The text is

    <origin>\\n<size, decimal>\\n<base64 root hash>\\n[<extension line>\\n ...]

Pure values: `Checkpoint.format` writes that text, `Checkpoint.parse` reads it back and
refuses anything the spec calls malformed (an `InputError` naming what is wrong).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from convenio.errors import InputError
from convenio.log.tree import HASH_SIZE, Hash

__all__ = ["MAX_TREE_SIZE", "Checkpoint"]

# Go's tlog counts records in an int64: a larger size no standard verifier reads.
MAX_TREE_SIZE = 2**63 - 1


def _line_problem(line: str, what: str) -> str | None:
    if not line:
        return f"the {what} is empty"
    bad = next((c for c in line if c < " " or "\ud800" <= c <= "\udfff"), None)
    if bad is not None:
        return f"the {what} contains the character {bad!r}"
    return None


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree head: origin, size (entries) and root hash (32 bytes), and optional
    opaque extension lines (the spec does not recommend them; none is written by default)."""

    origin: str
    size: int
    root_hash: Hash
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        problems = [_line_problem(self.origin, "origin")]
        problems += [_line_problem(x, "extension line") for x in self.extensions]
        problem = next((p for p in problems if p is not None), None)
        if problem is not None:
            raise InputError(f"checkpoint: {problem}")
        if isinstance(self.size, bool) or not 0 <= self.size <= MAX_TREE_SIZE:
            raise InputError(f"checkpoint: the tree size {self.size} is not in 0..2^63-1")
        if len(self.root_hash) != HASH_SIZE:
            raise InputError(
                f"checkpoint: the root hash is {len(self.root_hash)} bytes, not {HASH_SIZE}"
            )

    def format(self) -> str:
        """The checkpoint's note text, each line ending in a newline."""
        root = base64.b64encode(self.root_hash).decode("ascii")
        lines = [self.origin, str(self.size), root, *self.extensions]
        return "".join(f"{line}\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """The checkpoint written as ``text`` (a note's text, as `open_note` returns it)."""
        if not text.endswith("\n"):
            raise InputError("checkpoint: the text does not end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise InputError(
                f"checkpoint: {len(lines)} line(s); an origin, a size and a root hash are needed"
            )
        origin, size_text, root_text, *extensions = lines
        for number, line in enumerate(lines, start=1):
            if not line:
                raise InputError(f"checkpoint: line {number} is empty")
        if not size_text.isascii() or not size_text.isdigit():
            raise InputError(f"checkpoint: the tree size {size_text!r} is not a decimal number")
        if size_text != "0" and size_text.startswith("0"):
            raise InputError(f"checkpoint: the tree size {size_text!r} has a leading zero")
        if len(size_text) > len(str(MAX_TREE_SIZE)):
            raise InputError(f"checkpoint: the tree size {size_text} is too large")
        try:
            root = base64.b64decode(root_text.encode("ascii"), validate=True)
        except (UnicodeEncodeError, binascii.Error):
            raise InputError(f"checkpoint: the root hash {root_text!r} is not base64") from None
        if len(root) != HASH_SIZE:
            raise InputError(f"checkpoint: the root hash is {len(root)} bytes, not {HASH_SIZE}")
        if base64.b64encode(root).decode("ascii") != root_text:
            # Two spellings of one hash would let one tree head be written two ways.
            raise InputError(f"checkpoint: the root hash {root_text!r} is not canonical base64")
        return cls(origin, int(size_text), root, tuple(extensions))
