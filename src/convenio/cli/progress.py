"""One progress bar for every long command: loads, posts, the demo.

A command opens `progress()` and hands its `tell(stage, done, total)` callback to the
service; the service calls it as it parses or writes rows. Nothing is shown unless
stderr is a terminal and the work has already taken `after` seconds, so short runs,
pipes and tests print nothing; the bar is transient (it leaves no line behind).
A `total` of 0 or less means "not known yet" and shows a moving bar without an end.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import Progress, TaskID

from convenio.cli.common import err_console
from convenio.files import Tell

__all__ = ["progress"]


@contextmanager
def progress(after: float = 1.0) -> Iterator[Tell]:
    """A `tell` callback that shows a bar on stderr once the work has taken `after` seconds."""
    started = time.monotonic()
    shown: list[tuple[Progress, TaskID]] = []

    def tell(stage: str, done: int, total: int) -> None:
        if not shown:
            if not err_console.is_terminal or time.monotonic() - started < after:
                return
            bar = Progress(console=err_console, transient=True)
            bar.start()
            shown.append((bar, bar.add_task(stage)))
        bar, task = shown[0]
        bar.update(task, description=stage, completed=done, total=total if total > 0 else None)

    try:
        yield tell
    finally:
        for bar, _ in shown:
            bar.stop()
