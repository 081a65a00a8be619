"""Writing an output file safely: every `-o FILE` of the CLI goes through `atomic_output`.

The content is written to a temporary file that `tempfile.mkstemp` creates in the target's
directory — a fresh, unpredictable name opened with ``O_CREAT | O_EXCL`` and mode 0600, so
nothing planted beforehand (a symlink at ``FILE.part``) is ever written through — then
flushed to disk and moved over the target with `os.replace`, which replaces a symlink at
the target itself rather than following it. Readers see the old file or the whole new
one, never a half-written one; on any error the temporary file is removed and the target
is left as it was.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from convenio.errors import InputError, Problem

__all__ = ["atomic_output"]


@contextmanager
def atomic_output(path: Path, option: str = "--output") -> Iterator[TextIO]:
    """A UTF-8 text stream whose content becomes `path` when the block ends without error."""
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise InputError(
            f"{option} {path}: cannot write there: {exc.strerror or exc}",
            [Problem("cannot write", str(path), field=option)],
        ) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        mode = 0o666 & ~_umask()
        os.chmod(tmp, mode)  # as an ordinary new file would be, not mkstemp's 0600
        os.replace(tmp, path)
    except OSError as exc:
        raise InputError(
            f"{option} {path}: cannot write: {exc.strerror or exc}",
            [Problem("cannot write", str(path), field=option)],
        ) from None
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
