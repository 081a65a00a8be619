"""Shapes the routes share: amounts as decimal strings, dates, answers of loads."""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import BaseModel, Field, StringConstraints

__all__ = ["DECIMAL", "Decimal", "LoadAnswer"]

DECIMAL: Final = r"^-?[0-9]+(\.[0-9]+)?$"

Decimal = Annotated[
    str,
    StringConstraints(pattern=DECIMAL, max_length=40),
    Field(description="An exact decimal as a string (no float): `1250000.00`."),
]


class LoadAnswer(BaseModel):
    """What a load did: rows added, rows already stored unchanged, ledger transactions
    posted, and settled periods that new rows fall in (reopen them to count them)."""

    added: int
    unchanged: int
    posted: int = 0
    settled: list[str] = Field(default_factory=list)
