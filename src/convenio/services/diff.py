"""Where two stores' logs part: `diff` walks both logs together — the stored leaf hashes
and the entries their records give (an SQL edit of a record leaves the stored hashes as
they were) — and names the first entry that differs, field by field.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from convenio.log import b64, leaf_hash
from convenio.log.records import Difference, differences
from convenio.services.log import origin
from convenio.services.replica import LogHead
from convenio.store import UnitOfWork
from convenio.store.replica_repo import Held, ReplicaRepository

__all__ = ["Compared", "Divergence", "diff"]


# -- diff ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Divergence:
    """The first entry where two logs differ: each store's kind and key there (None:
    the store has no such entry), why, and the fields that differ."""

    index: int
    a: tuple[str, int | str] | None
    b: tuple[str, int | str] | None
    reason: str
    fields: list[Difference] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        def side(s: tuple[str, int | str] | None) -> dict[str, object] | None:
            return None if s is None else {"kind": s[0], "key": s[1]}

        return {
            "index": self.index,
            "a": side(self.a),
            "b": side(self.b),
            "reason": self.reason,
            "differences": [d.as_json() for d in self.fields],
        }


@dataclass(frozen=True)
class Compared:
    """Two logs compared: their sizes and roots, and where they first differ (None:
    nowhere)."""

    a: LogHead
    b: LogHead
    divergence: Divergence | None


def _held(uow: UnitOfWork, size: int) -> Iterator[Held]:
    return ReplicaRepository(uow.connection, uow.log).held(size)


def diff(a: UnitOfWork, b: UnitOfWork) -> Compared:
    """Compare two stores' logs entry by entry: the stored leaf hashes and the entries
    their records give. The first position where either differs is named."""
    heads = []
    for uow in (a, b):
        size, root = uow.log.head()
        heads.append(LogHead(origin(uow), size, root))
    head_a, head_b = heads
    common = min(head_a.size, head_b.size)
    for index, (x, y) in enumerate(zip(_held(a, common), _held(b, common), strict=True)):
        found = _divergence(index, x, y)
        if found is not None:
            return Compared(head_a, head_b, found)
    if head_a.size == head_b.size:
        return Compared(head_a, head_b, None)
    longer = a if head_a.size > head_b.size else b
    span = longer.log.span_at(common)
    here = None if span is None else (span.kind, span.key(common))
    which = "A" if longer is a else "B"
    reason = f"only in {which}: the other log ends before it (it holds {common} entries)"
    return Compared(
        head_a,
        head_b,
        Divergence(common, here if which == "A" else None, here if which == "B" else None, reason),
    )


def _divergence(index: int, x: Held, y: Held) -> Divergence | None:
    sides = (x.kind, x.key), (y.kind, y.key)
    edited = [s for s, slot in (("A", x), ("B", y)) if leaf_hash(slot.entry or b"") != slot.leaf]
    if x.entry is None or y.entry is None:
        if x.entry is None and y.entry is None and x.leaf == y.leaf:
            return None
        gone = " and ".join(s for s, e in (("A", x.entry), ("B", y.entry)) if e is None)
        return Divergence(index, *sides, f"the record of this entry is missing from {gone}")
    if x.entry != y.entry:
        reason = "the records differ"
        if edited:
            reason += (
                f"; {' and '.join(edited)}: the record no longer gives the entry its log holds "
                "(edited after it was logged)"
            )
        return Divergence(index, *sides, reason, differences(x.entry, y.entry))
    if x.leaf != y.leaf:
        return Divergence(
            index,
            *sides,
            f"the records agree, but {' and '.join(edited) or 'each'} logged another entry "
            "here (a record edited after it was logged, or a log rewritten)",
            [Difference("leaf_hash", b64(x.leaf), b64(y.leaf))],
        )
    return None
