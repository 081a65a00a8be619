"""Bytes already in memory — the rows of an API request's body — read as a file.

`InMemory` answers the few questions the readers ask of a `Path` (its name and suffix,
its bytes, a binary stream, its size), so that a loader reads a request's rows with the
same parser, checks and located problems as a file, without writing them to disk first.
"""

from __future__ import annotations

import io
from pathlib import Path, PurePath
from typing import NamedTuple

__all__ = ["InMemory", "Source"]


class _Size(NamedTuple):
    st_size: int


class InMemory:
    """`data` read as a file called `name` (its suffix says how: ``.csv``, ``.json``)."""

    def __init__(self, name: str, data: bytes) -> None:
        self.name = name
        self.data = data
        self.suffix = PurePath(name).suffix

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"InMemory({self.name!r}, {len(self.data)} bytes)"

    def read_bytes(self) -> bytes:
        return self.data

    def open(self, mode: str = "rb") -> io.BufferedReader:
        assert mode == "rb", "in-memory sources are read as bytes"
        return io.BufferedReader(io.BytesIO(self.data))

    def stat(self) -> _Size:
        return _Size(len(self.data))


Source = Path | InMemory
"""What a loader reads: a file, or rows in memory."""
