"""The one exception tree of convenio, and the `Problem` value that errors carry.

Inside, validation collects problems as data (each names its file, line and field) and
reports them together; services raise one of these exceptions; the CLI turns it into a
message and an exit code, the API into a 4xx answer with the same message.

    ConvenioError                  -- anything convenio refuses, with a readable message
    ├── InputError                 -- bad input: a file, a row, a field (exit 2, HTTP 422)
    │   └── NotFoundError          -- an id that names nothing stored (exit 2, HTTP 404)
    ├── ConflictError              -- a write that contradicts what is stored (exit 3, HTTP 409):
    │                                 an idempotency key reused with other content, an
    │                                 account reopened with other attributes
    ├── IntegrityError             -- the stored record fails verification (exit 4)
    ├── StorageError               -- the store cannot be opened or is not initialised (exit 5)
    ├── AuthenticationError        -- no credentials, or credentials that are not valid
    │                                 (HTTP 401)
    └── AccessError                -- a principal acting outside its role or scope (exit 6,
                                      HTTP 403): another party's payment, another site's data
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple, Self

__all__ = [
    "AccessError",
    "AuthenticationError",
    "ConflictError",
    "ConvenioError",
    "InputError",
    "IntegrityError",
    "NotFoundError",
    "Problem",
    "StorageError",
]


class Problem(NamedTuple):
    """One thing wrong with an input, located as precisely as the input allows."""

    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = ":".join(
            part for part in (self.file, None if self.line is None else str(self.line)) if part
        )
        parts = [p for p in (where, self.field) if p]
        return ": ".join([*parts, self.message])


class ConvenioError(Exception):
    """Base of every error convenio raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        self.problems: Sequence[Problem] = tuple(problems)
        super().__init__(message)

    @classmethod
    def from_problems(cls, problems: Sequence[Problem], what: str = "input") -> Self:
        """One error carrying every problem: the problem itself when there is one."""
        count = len(problems)
        noun = "problem" if count == 1 else "problems"
        if count == 1:
            return cls(str(problems[0]), problems)
        return cls(f"{what}: {count} {noun}, nothing was written", problems)

    def render(self) -> str:
        """The message followed by each problem on its own line."""
        lines = [str(self)]
        lines.extend(f"  {p}" for p in self.problems)
        return "\n".join(lines)


class InputError(ConvenioError):
    """The input is malformed or contradicts the terms; nothing was written."""

    exit_code = 2


class NotFoundError(InputError):
    """An id (a version, a tranche, a transaction) that names nothing stored."""


class ConflictError(ConvenioError):
    """A write contradicts what is already stored."""

    exit_code = 3


class IntegrityError(ConvenioError):
    """The stored record does not verify (a broken hash chain, an unbalanced transaction)."""

    exit_code = 4


class StorageError(ConvenioError):
    """The store cannot be used as configured."""

    exit_code = 5


class AuthenticationError(ConvenioError):
    """The request names nobody, or a token or password that is not valid (HTTP 401)."""

    exit_code = 2


class AccessError(ConvenioError):
    """The principal's role or scope does not allow this; nothing was written (HTTP 403)."""

    exit_code = 6
