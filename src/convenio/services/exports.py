"""Export the journal to Beancount or ledger-cli text, streamed from the store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TextIO

from convenio.errors import InputError, Problem
from convenio.ledger import RecordedTransaction
from convenio.store import UnitOfWork

__all__ = ["FORMATS", "export_journal"]

FORMATS = ("beancount", "ledger")


def export_journal(uow: UnitOfWork, fmt: str, out: TextIO) -> int:
    """Write every recorded transaction in `fmt`; returns how many were written."""
    from convenio.reports.journals import write_beancount, write_ledger

    if fmt not in FORMATS:
        raise InputError(
            f"unknown format {fmt!r}: one of {', '.join(FORMATS)}",
            [Problem("unknown format", field="--format")],
        )
    count = 0

    def counted() -> Iterator[RecordedTransaction]:
        nonlocal count
        for rec in uow.ledger.iter_recorded():
            count += 1
            yield rec

    writer = write_beancount if fmt == "beancount" else write_ledger
    writer(out, list(uow.ledger.accounts().values()), counted(), uow.ledger.units())
    return count
