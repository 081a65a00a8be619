"""Writers of one process queue on the store's gate before SQLite's lock: the next one
goes the moment the one before it ends, one that waits past `write_wait` is refused with
the store named (exit 5), and a gate is never left held — not after a refusal, not after
a writer that failed to begin."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from convenio.errors import StorageError
from convenio.store import Store


def _store(tmp_path: Path, wait: float) -> Store:
    return Store(f"sqlite:///{tmp_path / 'convenio.db'}", write_wait=wait)


def test_the_next_writer_goes_when_the_first_ends(tmp_path: Path) -> None:
    store = _store(tmp_path, 30.0)
    order: list[str] = []
    first_in = threading.Event()

    def second() -> None:
        first_in.wait()
        with store.unit_of_work(write=True):
            order.append("second")

    thread = threading.Thread(target=second)
    thread.start()
    with store.unit_of_work(write=True):
        first_in.set()
        time.sleep(0.3)  # the second is at the gate meanwhile
        order.append("first")
    thread.join(timeout=10)
    assert order == ["first", "second"]
    assert store.gate is not None and store.gate.acquire(blocking=False)
    store.gate.release()
    store.close()


def test_a_writer_waiting_past_write_wait_is_refused_and_the_gate_stays_free(
    tmp_path: Path,
) -> None:
    store = _store(tmp_path, 0.5)
    refused: list[BaseException] = []
    holding, done = threading.Event(), threading.Event()

    def hold() -> None:
        with store.unit_of_work(write=True):
            holding.set()
            done.wait(timeout=10)

    thread = threading.Thread(target=hold)
    thread.start()
    holding.wait()
    try:
        with store.unit_of_work(write=True):
            pass
    except StorageError as exc:
        refused.append(exc)
    done.set()
    thread.join(timeout=10)
    assert len(refused) == 1 and "convenio.db" in str(refused[0])
    with store.unit_of_work(write=True) as uow:  # nothing left held: a writer goes at once
        uow.commit()
    store.close()


def test_postgresql_has_no_gate(pg_schema_url: str) -> None:
    store = Store(pg_schema_url)
    try:
        assert store.gate is None  # writers queue on the head rows there
    finally:
        store.close()


def test_readers_never_wait_at_the_gate(tmp_path: Path) -> None:
    store = _store(tmp_path, 0.2)
    with store.unit_of_work(write=True), store.unit_of_work() as reader:
        assert reader.ledger.head().seq == 0
    store.close()


def test_a_zero_wait_refuses_when_another_writes(tmp_path: Path) -> None:
    store = _store(tmp_path, 0.0)
    entered = threading.Event()
    leave = threading.Event()

    def hold() -> None:
        with store.unit_of_work(write=True):
            entered.set()
            leave.wait(timeout=10)

    thread = threading.Thread(target=hold)
    thread.start()
    entered.wait()
    with pytest.raises(StorageError), store.unit_of_work(write=True):
        pass
    leave.set()
    thread.join(timeout=10)
    with store.unit_of_work(write=True) as uow:
        uow.commit()
    store.close()
