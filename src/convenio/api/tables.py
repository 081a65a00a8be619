"""A JSON body's records as the table a loader reads, so that the API and the CLI share
one parser and one set of located problems.

`as_table(records, columns)` gives the records to a loader as CSV text in memory named
`problems.BODY`, header first, one record per line: a problem on line L is the record at
index L − 2 and becomes the pointer ``/{L-2}/{field}`` of the answer
(`convenio.api.problems`). An uploaded CSV or .xlsx body is kept as it came
(`as_upload`), its problems located by line (or sheet row) and field.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from pydantic import BaseModel

from convenio.api.problems import BODY
from convenio.files import InMemory

__all__ = ["as_table", "as_upload"]


@contextmanager
def as_table(records: Sequence[BaseModel], columns: Sequence[str]) -> Iterator[InMemory]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        values = record.model_dump()
        writer.writerow(["" if values.get(c) is None else str(values[c]) for c in columns])
    yield InMemory(BODY, out.getvalue().encode("utf-8"))


@contextmanager
def as_upload(content: bytes, suffix: str) -> Iterator[Path]:
    """An uploaded file's bytes as a file the loaders read (``.csv`` or ``.xlsx``)."""
    with tempfile.TemporaryDirectory(prefix="convenio-upload-") as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(content)
        yield path
