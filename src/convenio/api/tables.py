"""A JSON body's records as the table a loader reads, so that the API and the CLI share
one parser and one set of located problems.

`as_table(records, columns)` writes the records as a CSV file named `problems.BODY` in a
private temporary folder, header first, one record per line: a problem on line L is the
record at index L − 2 and becomes the pointer ``/{L-2}/{field}`` of the answer
(`convenio.api.problems`). An uploaded CSV or .xlsx body is kept as it came
(`as_upload`), its problems located by line (or sheet row) and field.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from pydantic import BaseModel

from convenio.api.problems import BODY

__all__ = ["as_table", "as_upload"]


@contextmanager
def as_table(records: Sequence[BaseModel], columns: Sequence[str]) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="convenio-body-") as folder:
        path = Path(folder) / BODY
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(columns)
            for record in records:
                values = record.model_dump()
                writer.writerow(["" if values.get(c) is None else str(values[c]) for c in columns])
        yield path


@contextmanager
def as_upload(content: bytes, suffix: str) -> Iterator[Path]:
    """An uploaded file's bytes as a file the loaders read (``.csv`` or ``.xlsx``)."""
    with tempfile.TemporaryDirectory(prefix="convenio-upload-") as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(content)
        yield path
