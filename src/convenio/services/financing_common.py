"""What the financing pages' data modules share (`deliveries_views`, `tranches_views`,
`payments_views`, `ledger_views`): an exact figure with its unit, minor units scaled to
it, the row scope of a reader, and the day the pages read as "today".

The row scope is the API's: a treasury reads the rows of its own party and its agencies;
the commission and the auditor read every party's.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, or_

from convenio.auth import Principal
from convenio.services import ledger
from convenio.store import UnitOfWork
from convenio.terms import Agreement

__all__ = ["Amount", "belongs", "party_scope", "scaled", "unit_scales"]


def scaled(minor: int, scale: int) -> Decimal:
    """`minor` units of a unit of `scale` decimals, exactly: 12345, 2 → 123.45."""
    return Decimal(minor).scaleb(-scale)


@dataclass(frozen=True)
class Amount:
    """An exact figure and its unit (a currency, bbl, person-month)."""

    value: Decimal
    unit: str


def unit_scales(uow: UnitOfWork, agreement: Agreement | None) -> dict[str, int]:
    """The decimals of every unit: the terms' registry, then the ledger's units."""
    scales = (
        {code: unit.scale for code, unit in agreement.unit_registry().items()}
        if (agreement is not None)
        else {}
    )
    scales.update(ledger.unit_scales(uow))
    return scales


def party_scope(actor: Principal, supplier: Any, recipient: Any) -> ColumnElement[bool] | None:
    """The rows `actor` reads: None for every row (commission, auditor), else those whose
    supplier or recipient is the actor's party or one of its agencies."""
    if actor.sees_all_parties():
        return None
    if actor.party is None:
        return or_(False)  # nobody's
    return or_(belongs(supplier, actor.party), belongs(recipient, actor.party))


def belongs(column: Any, party: str) -> ColumnElement[bool]:
    """`column` names `party` or one of its agencies (``party.…``)."""
    return or_(column == party, column.startswith(party + ".", autoescape=True))
