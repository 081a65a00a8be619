"""What the CLI tests share: running `convenio` in-process and reading its result."""

from __future__ import annotations

from typing import Protocol

from typer.testing import Result

__all__ = ["Run", "ok", "one_line"]


class Run(Protocol):
    """The `run` fixture: `run("settle", "2011Q4")` invokes the CLI with these arguments."""

    def __call__(self, *args: str) -> Result: ...


def ok(result: Result) -> str:
    """The output of a command that must succeed."""
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result.stdout


def one_line(text: str) -> str:
    """`text` with its whitespace (rich's wrapping included) folded to single spaces."""
    return " ".join(text.split())
