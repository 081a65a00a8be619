"""Each party its own verified copy of the log: export it, follow another party's, and
name where two stores' logs part.

`export` writes the log as JSON Lines: a header (origin, size, root) and one line per entry,
each checked against the stored leaf hash on the way out. `follow` reads such a file, or a
server's ``/api/v1/log`` routes, into the current store: every new entry is decoded, its
record written with the key the entry names, and the entry the replica's own rows give
back must be the received one byte for byte; at the end the replica's root must be the
source's, the whole store must verify (`services.ledger.verify`), against the signed
checkpoint given or the last one the replica kept. It is one unit of work: a root covers
only the whole log, so no batch before the last can be checked against anything the
source signed, and a refused follow leaves the replica exactly as it was. Where two
stores' logs part is `convenio.services.diff`.
"""

from __future__ import annotations

import base64
import binascii
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from sqlalchemy import select
from sqlalchemy.exc import DataError
from sqlalchemy.exc import IntegrityError as RowConflict

from convenio.errors import (
    ConflictError,
    InputError,
    IntegrityError,
)
from convenio.log import (
    Checkpoint,
    Hash,
    SignatureError,
    VerifierKey,
    b64,
    leaf_hash,
    stored_hash_count,
    tree_hash,
)
from convenio.log.records import ACCOUNT, TXN, Entry, differences, read_entry
from convenio.services.ledger import verify
from convenio.services.log import (
    MAX_ENTRIES,
    LoggedEntry,
    announced_verifiers,
    entries,
    latest_checkpoint,
    open_checkpoint,
    origin,
    store_checkpoint,
)
from convenio.services.remote import Remote
from convenio.store import UnitOfWork
from convenio.store.log_tables import checkpoints
from convenio.store.replica_repo import RecordError, ReplicaRepository

__all__ = [
    "Followed",
    "LogHead",
    "Source",
    "export",
    "follow",
    "open_source",
]

EXPORT_VERSION = 1
PAGE = 1_000
"""Entries read at a time (from a server, from a store)."""
_GROUP = 10_000
"""The most entries written as one batch (one log span)."""


@dataclass(frozen=True)
class LogHead:
    """A log's origin, size (entries) and root hash: an export's first line."""

    origin: str
    size: int
    root: Hash

    def as_json(self) -> dict[str, object]:
        return {
            "convenio_log": EXPORT_VERSION,
            "origin": self.origin,
            "tree_size": self.size,
            "root_hash": b64(self.root),
        }


# -- export -------------------------------------------------------------------------------


def export(uow: UnitOfWork, start: int = 0) -> tuple[LogHead, Iterator[LoggedEntry]]:
    """The log's head and its entries from `start`, each recomputed from its record and
    checked against the stored leaf hash (`IntegrityError` naming the first that differs)."""
    size, root = uow.log.head()
    if not 0 <= start <= size:
        raise InputError(f"--from {start}: the log holds only {size} entries")
    return LogHead(origin(uow), size, root), _checked_entries(uow, start, size)


def _checked_entries(uow: UnitOfWork, start: int, size: int) -> Iterator[LoggedEntry]:
    for at in range(start, size, MAX_ENTRIES):
        page = entries(uow, at, min(MAX_ENTRIES, size - at))
        unlike = _first_unlike_stored(uow, page)
        if unlike is not None:
            raise IntegrityError(
                f"{unlike} differs from its record: the record was changed after it "
                "was logged; run convenio ledger verify"
            )
        yield from page


# -- sources ------------------------------------------------------------------------------


class Source(Protocol):
    """A log to follow: its head, and its entries from `start` on (a file may begin
    earlier: the entries the replica holds are then compared, not written)."""

    name: str
    snapshot: bool
    """Whether it is the log as it was once (a file), not as it is now (a server)."""

    def head(self) -> LogHead: ...

    def entries(self, start: int) -> Iterator[LoggedEntry]: ...


def _logged(value: Any, where: str) -> LoggedEntry:
    """An entry line (`LoggedEntry.as_json`) read back; `IntegrityError` if malformed."""
    try:
        index, kind, key, text = value["index"], value["kind"], value["key"], value["entry"]
        if not (isinstance(index, int) and isinstance(kind, str) and isinstance(key, int | str)):
            raise TypeError("index, kind or key of the wrong type")
        return LoggedEntry(index, kind, key, base64.b64decode(text, validate=True))
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise IntegrityError(f"{where}: not an entry of a convenio log ({exc})") from None


def _head(value: Any, where: str) -> LogHead:
    try:
        root = base64.b64decode(value["root_hash"], validate=True)
        size, name = value["tree_size"], value["origin"]
        if not (isinstance(size, int) and size >= 0 and isinstance(name, str) and len(root) == 32):
            raise ValueError("origin, tree_size or root_hash of the wrong type")
        return LogHead(name, size, root)
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise InputError(f"{where} is not the head of a convenio log ({exc})") from None


class ExportFile:
    """An export file of `convenio log export`, read a line at a time."""

    snapshot = True

    def __init__(self, path: Path, stream: BinaryIO) -> None:
        self.name = str(path)
        self._stream = stream
        try:
            header = json.loads(stream.readline() or b"null")
        except ValueError:  # UnicodeDecodeError included
            header = None
        if not isinstance(header, dict) or header.get("convenio_log") != EXPORT_VERSION:
            raise InputError(f"{path} is not an export of convenio log export (no header line)")
        self._head = _head(header, str(path))

    def head(self) -> LogHead:
        return self._head

    def entries(self, start: int) -> Iterator[LoggedEntry]:
        for number, line in enumerate(self._stream, start=2):
            where = f"{self.name}, line {number}"
            try:
                value = json.loads(line)
            except ValueError:  # UnicodeDecodeError included
                raise IntegrityError(f"{where}: not JSON in UTF-8") from None
            yield _logged(value, where)


class Server:
    """A convenio server's log: ``GET /api/v1/log/checkpoint`` and ``…/entries``."""

    snapshot = False

    def __init__(self, url: str, token: str | None) -> None:
        self.name = url.rstrip("/")
        self._remote = Remote(url, token, "SOURCE")
        self._head: LogHead | None = None

    def _get(self, path: str, **query: int) -> Any:
        suffix = "?" + urllib.parse.urlencode(query) if query else ""
        return self._remote.get(f"/api/v1/log/{path}{suffix}")

    def head(self) -> LogHead:
        if self._head is None:
            value = self._get("checkpoint")
            if isinstance(value, dict):
                value = {**value, "tree_size": value.get("size")}
            self._head = _head(value, f"{self.name}'s checkpoint")
        return self._head

    def entries(self, start: int) -> Iterator[LoggedEntry]:
        size = self.head().size
        at = start
        while at < size:
            page = self._get("entries", start=at, limit=PAGE)
            found = page.get("entries") if isinstance(page, dict) else None
            if not isinstance(found, list) or not found:
                raise IntegrityError(
                    f"{self.name} gave no entry from {at} on; its checkpoint says {size}"
                )
            items = [_logged(value, f"{self.name}, entries from {at}") for value in found]
            yield from items
            at = max(at + 1, items[-1].index + 1)


@contextmanager
def open_source(spec: str, token: str | None = None) -> Iterator[Source]:
    """The source `spec` names: a server's URL (http:// or https://) or an export file."""
    if spec.startswith(("http://", "https://")):
        yield Server(spec, token)
        return
    path = Path(spec)
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise InputError(f"{spec}: cannot read it: {exc.strerror or exc}") from None
    with stream:
        yield ExportFile(path, stream)


# -- follow -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Followed:
    """What a follow did: entries added, the replica's size and root, and the size of the
    checkpoint it was checked against (None: none)."""

    added: int
    size: int
    root: Hash
    checkpoint_size: int | None = None


def follow(
    uow: UnitOfWork,
    source: Source,
    note: bytes | None = None,
    keys: Sequence[VerifierKey] = (),
) -> Followed:
    """Bring the store (empty, or a replica of the same log) up to `source`, checking every
    entry, the source's root and — with `note`, a signed checkpoint, or else the last one
    the replica kept — the consistency with that checkpoint; then commit. Anything that
    does not hold raises (`IntegrityError` naming the entry) and nothing is written."""
    head = source.head()
    uow.auth.lock_audit_head()  # the writers' order: the audit head, the ledger's, the log's
    size = uow.log.lock().size
    mine = origin(uow)
    if not size:
        uow.log.adopt_origin(head.origin)
    elif mine != head.origin:
        raise ConflictError(
            f"this store keeps the log {mine!r}; {source.name} is the log {head.origin!r} "
            "(follow it into another store)"
        )
    if size > head.size:
        _behind(uow, source, head, size)
    writer = _Writer(uow)
    overlap: list[LoggedEntry] = []
    expected: int | None = None
    for item in source.entries(min(size, head.size)):
        if expected is None and item.index > size:
            raise InputError(
                f"{source.name} begins at entry {item.index}; this replica holds {size}: "
                f"export again with --from {size}"
            )
        if expected is not None and item.index != expected:
            raise IntegrityError(
                f"{source.name} gives entry {item.index} where entry {expected} was due: "
                "entries dropped or reordered"
            )
        expected = item.index + 1
        if item.index >= head.size:
            raise IntegrityError(f"{item} lies past the source's head ({head.size})")
        if item.index < size:
            overlap.append(item)
            if len(overlap) == PAGE:
                _compare_held(uow, overlap)
                overlap = []
        else:
            writer.add(item)
    _compare_held(uow, overlap)
    writer.flush()
    end = min(size, head.size) if expected is None else expected
    if end != head.size:
        raise IntegrityError(
            f"{source.name} ends at entry {end - 1} but its head says {head.size} entries: "
            f"entries {end}..{head.size - 1} are missing"
        )
    return _finish(uow, source, head, max(0, head.size - size), note, keys)


def _behind(uow: UnitOfWork, source: Source, head: LogHead, size: int) -> None:
    """A server that now holds fewer entries than the replica took from it lost some; a
    file may be an export older than the replica (its entries are then compared, and its
    root must be the replica's at its size)."""
    if not source.snapshot:
        kept = tree_hash(head.size, uow.log) == head.root
        raise IntegrityError(
            f"{source.name} holds {head.size} entries, this replica {size}: the source lost "
            f"entries {head.size}..{size - 1} (truncated, or restored from an old backup)"
            + ("" if kept else ", and its first ones are not the replica's (rewritten)")
        )


def _finish(
    uow: UnitOfWork,
    source: Source,
    head: LogHead,
    added: int,
    note: bytes | None,
    keys: Sequence[VerifierKey],
) -> Followed:
    size, root = uow.log.head()
    if tree_hash(head.size, uow.log) != head.root:  # (an older export: at its size)
        raise IntegrityError(
            f"the {size} entries received do not give the root of {source.name}'s head: an "
            "entry was changed on the way, or this replica's entries are not the source's "
            "first ones; nothing was written"
        )
    if origin(uow) != head.origin:
        raise IntegrityError(
            f"{source.name} says its log is {head.origin!r}; its entries make {origin(uow)!r}"
        )
    expect = _expected(uow, note, keys)
    verify(uow, expect)
    if note is not None:
        _keep(uow, note)
    ReplicaRepository(uow.connection, uow.log).sync_sequences()
    uow.commit()
    return Followed(added, size, root, None if expect is None else expect.size)


def _expected(
    uow: UnitOfWork, note: bytes | None, keys: Sequence[VerifierKey]
) -> Checkpoint | None:
    """The checkpoint to check against: `note` opened with `keys` (or the log's announced
    keys), or else the last checkpoint the replica kept, opened again."""
    announced = announced_verifiers(uow)
    if note is None:
        kept = latest_checkpoint(uow)
        if kept is None:
            return None
        note = kept.note
    elif not (keys or announced):
        raise InputError("no key to check the checkpoint's signatures: give --key VERIFIER")
    body, _ = open_checkpoint(note, keys or announced)
    return body


def _keep(uow: UnitOfWork, note: bytes) -> None:
    """Keep a checkpoint signed by a key the log announced (the next follow checks
    against it), once."""
    text = note.decode()
    if uow.connection.execute(select(checkpoints.c.id).where(checkpoints.c.note == text)).first():
        return
    with suppress(SignatureError, InputError):  # signed by --key keys only: checked, not kept
        store_checkpoint(uow, note)


def _compare_held(uow: UnitOfWork, items: Sequence[LoggedEntry]) -> None:
    """The source's entries that the replica already holds must be the replica's."""
    unlike = _first_unlike_stored(uow, items)
    if unlike is not None:
        raise IntegrityError(
            f"{unlike} of the source is not this replica's entry {unlike.index}: the "
            "source rewrote its log (or the replica was altered)"
        )


def _first_unlike_stored(uow: UnitOfWork, items: Sequence[LoggedEntry]) -> LoggedEntry | None:
    """The first of `items` whose leaf hash is not the one this store's log holds there."""
    if not items:
        return None
    stored = uow.log.read_hashes([stored_hash_count(i.index) for i in items])
    return next(
        (i for i, leaf in zip(items, stored, strict=True) if leaf_hash(i.entry) != leaf), None
    )


class _Writer:
    """Writes received entries as records, a batch of one kind at a time, and checks each
    against what the replica's rows give back."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.repo = ReplicaRepository(uow.connection, uow.log)
        self.batch: list[tuple[LoggedEntry, Entry]] = []

    def add(self, item: LoggedEntry) -> None:
        try:
            entry = read_entry(item.entry)
        except IntegrityError as exc:
            raise IntegrityError(f"{item}: {exc}") from None
        if (entry.kind, entry.key) != (item.kind, item.key):
            raise IntegrityError(f"{item}: its bytes are the entry of {entry.kind} {entry.key}")
        keyed = entry.kind in (TXN, ACCOUNT) and isinstance(entry.key, int)
        last = self.batch[-1][1] if self.batch else None
        if last is not None and not (
            keyed
            and entry.kind == last.kind
            and isinstance(last.key, int)
            and entry.key == last.key + 1
            and len(self.batch) < _GROUP
        ):
            self.flush()
        self.batch.append((item, entry))
        if not keyed:
            self.flush()

    def flush(self) -> None:
        """Write the batch, then recompute its entries from the replica's rows: each must
        be the one received, byte for byte."""
        if not self.batch:
            return
        batch, self.batch = self.batch, []
        first = batch[0][0]
        try:
            span = self.repo.write([(item.entry, entry) for item, entry in batch])
        except RecordError as exc:
            raise IntegrityError(f"{batch[exc.offset][0]}: {exc}") from None
        except KeyError as exc:
            raise IntegrityError(f"{first}: its record has no field {exc}") from None
        except (TypeError, ValueError, AttributeError) as exc:
            raise IntegrityError(f"{first}: {exc}") from None
        except (RowConflict, DataError) as exc:
            raise IntegrityError(
                f"{first}: the replica cannot write its record ({exc.orig}): this "
                "store holds another, or the entry is not one convenio writes"
            ) from None
        given = self.uow.log.entries(span)
        for offset, (item, _) in enumerate(batch):
            mine = given[offset] if offset < len(given) else None
            if mine != item.entry:
                found = [] if mine is None else differences(item.entry, mine)
                what = "".join(f"; {d}" for d in found)
                raise IntegrityError(
                    f"{item} as received is not what the replica's record of it gives "
                    f"back (received ≠ replica){what}; nothing was written"
                )
