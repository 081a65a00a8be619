"""The log's storage on both backends: appends in batches of any size, within one unit of
work or many, store exactly the hashes an in-memory tree would, 256 to a row; proofs read
from the store are the in-memory tree's; a damaged row is refused before any append."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from convenio.errors import IntegrityError
from convenio.log import (
    MemoryHashStore,
    prove_record,
    prove_tree,
    stored_hash_count,
    tree_hash,
)
from convenio.store import Store
from convenio.store.log_tables import BLOCK, log_hashes, log_head

BATCHES = [1, 1, 3, 250, 2, 1, 700, 40, 1, 300]  # crosses rows of 256 hashes, unaligned


def _entries(start: int, count: int) -> list[bytes]:
    return [f"entry {n}".encode() for n in range(start, start + count)]


def _fill(store: Store, batches: list[int], per_unit: int) -> MemoryHashStore:
    memory = MemoryHashStore()
    n = 0
    for at in range(0, len(batches), per_unit):
        with store.unit_of_work(write=True) as uow:
            for count in batches[at : at + per_unit]:
                fresh = _entries(n, count)
                first = uow.log.append("audit", fresh, key_from=n + 1)
                assert first == n
                for e in fresh:
                    memory.append(e)
                n += count
            uow.commit()
    return memory


@pytest.mark.parametrize("per_unit", [1, 4])
def test_stored_hashes_are_the_in_memory_trees_and_proofs_agree(
    store: Store, per_unit: int
) -> None:
    memory = _fill(store, BATCHES, per_unit)
    size = memory.size
    with store.unit_of_work() as uow:
        stored_size, root = uow.log.head()
        assert (stored_size, root) == (size, tree_hash(size, memory))
        count = stored_hash_count(size)
        assert uow.log.read_hashes(range(count)) == memory.read_hashes(range(count))
        rows = list(uow.log.hash_blocks())
        assert [b for b, _ in rows] == list(range(-(-count // BLOCK)))
        assert all(len(h) == BLOCK * 32 for _, h in rows[:-1])
        for t, n in [(size, 0), (size, size - 1), (1000, 517), (7, 3)]:
            assert prove_record(t, n, uow.log) == prove_record(t, n, memory)
        for t, n in [(size, 1), (size, 999), (512, 256), (300, 299)]:
            assert prove_tree(t, n, uow.log) == prove_tree(t, n, memory)
        assert uow.log.locate("audit", 5) == 4
        assert uow.log.locate("audit", size + 1) is None
        span = uow.log.span_at(300)
        assert span is not None and span.first <= 300 < span.first + span.length


def test_an_append_refuses_a_log_whose_stored_hashes_were_altered(store: Store) -> None:
    _fill(store, [5, 300], 1)
    row = log_hashes.c.block == 2
    with store.unit_of_work() as uow:
        kept = uow.connection.execute(select(log_hashes.c.hashes).where(row)).scalar_one()
        size, root = uow.log.head()
        edge = b"".join(uow.log.stored_frontier())
    for change, problem in [
        (update(log_hashes).where(row).values(hashes=b""), "last row of hashes"),
        (update(log_hashes).where(row).values(hashes=kept[:-32]), "last row of hashes"),
        (update(log_head).values(root="00" * 32), "does not give its root"),
        (update(log_head).values(size=304), "wrong type or length"),
        (update(log_head).values(frontier=b"\0" * 128), "does not give its root"),
    ]:
        with store.unit_of_work(write=True) as uow:
            uow.connection.execute(change)
            uow.commit()
        with store.unit_of_work(write=True) as uow, pytest.raises(IntegrityError, match=problem):
            uow.log.append("audit", [b"x"], key_from=1000)
        with store.unit_of_work(write=True) as uow:  # as it was
            uow.connection.execute(update(log_hashes).where(row).values(hashes=kept))
            uow.connection.execute(
                update(log_head).values(size=size, root=root.hex(), frontier=edge)
            )
            uow.commit()


def test_a_reader_sees_one_state_of_the_log_while_a_writer_commits(store: Store) -> None:
    _fill(store, [3], 1)
    with store.unit_of_work() as reader:
        before = reader.log.head()
        _fill_more(store, 3, 2)
        assert reader.log.head() == before  # a verification never sees half a write
        assert [s.first for s in reader.log.spans()] == [0]
    with store.unit_of_work() as uow:
        assert uow.log.head()[0] == 5


def _fill_more(store: Store, start: int, count: int) -> None:
    with store.unit_of_work(write=True) as uow:
        uow.log.append("audit", _entries(start, count), key_from=start + 1)
        uow.commit()


def test_a_row_of_hashes_longer_than_256_is_refused_by_proofs(store: Store) -> None:
    _fill(store, [300], 1)
    with store.unit_of_work(write=True) as uow:
        (row,) = uow.log.read_hashes([0])
        data = uow.connection.execute(
            select(log_hashes.c.hashes).where(log_hashes.c.block == 0)
        ).scalar_one()
        uow.connection.execute(
            update(log_hashes).where(log_hashes.c.block == 0).values(hashes=bytes(data) + row)
        )
        with pytest.raises(IntegrityError, match="more than 256 hashes"):
            prove_record(300, 3, uow.log)
