"""The cooperants' repository: cooperants, deployments, and the months converted into
services deliveries. Rows to domain values and back on the unit of work's connection;
it never commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from sqlalchemy import Table, insert, select, update
from sqlalchemy.engine import Connection

from convenio.missions.deployments import Cooperant, Deployment
from convenio.store.deployments_tables import (
    conversion_months,
    conversions,
    cooperants,
    deployments,
)
from convenio.store.missions_tables import missions, org_units

__all__ = ["ConversionRow", "DeploymentsRepository"]


class ConversionRow(NamedTuple):
    """The delivery recorded for `item` in `month` (``2011-10``), in hundredths."""

    delivery_id: str
    month: str
    item: str
    supplier: str
    recipient: str
    quantity: int


class DeploymentsRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _ids(self, t: Table) -> dict[str, int]:
        return {uid: id_ for id_, uid in self.conn.execute(select(t.c.id, t.c.uid))}

    def cooperants(self) -> dict[str, Cooperant]:
        c = cooperants.c
        # fetchall, then build: much faster than a row at a time for the demo's 10,000s.
        rows = self.conn.execute(select(c.id, c.profession, c.party)).all()
        return {id_: Cooperant(id_, profession, party) for id_, profession, party in rows}

    def save_cooperants(self, new: Sequence[Cooperant], changed: Sequence[Cooperant]) -> None:
        if new:
            self.conn.execute(
                insert(cooperants),
                [{"id": x.id, "profession": x.profession, "party": x.party} for x in new],
            )
        for x in changed:
            self.conn.execute(
                update(cooperants)
                .where(cooperants.c.id == x.id)
                .values(profession=x.profession, party=x.party)
            )

    def deployments(self) -> list[Deployment]:
        d = deployments.c
        query = (
            select(d.id, d.cooperant_id, org_units.c.uid, d.start_date, d.end_date, missions.c.uid)
            .select_from(
                deployments.join(org_units, org_units.c.id == d.unit_id).outerjoin(
                    missions, missions.c.id == d.mission_id
                )
            )
            .order_by(d.id)
        )
        return [Deployment(*row) for row in self.conn.execute(query).all()]

    def save_deployments(self, new: Sequence[Deployment], changed: Sequence[Deployment]) -> None:
        units = self._ids(org_units)
        known = self._ids(missions)

        def row(x: Deployment) -> dict[str, object]:
            return {
                "cooperant_id": x.cooperant,
                "unit_id": units[x.org_unit],
                "start_date": x.start,
                "end_date": x.end,
                "mission_id": None if x.mission is None else known[x.mission],
            }

        if new:
            self.conn.execute(insert(deployments), [{"id": x.id, **row(x)} for x in new])
        for x in changed:
            self.conn.execute(update(deployments).where(deployments.c.id == x.id).values(row(x)))

    def converted(self, months: Iterable[str] | None = None) -> dict[str, list[ConversionRow]]:
        """Each converted month (of `months`, or all) with the deliveries it recorded."""
        query = select(conversion_months.c.month)
        if months is not None:
            query = query.where(conversion_months.c.month.in_(list(months)))
        found: dict[str, list[ConversionRow]] = {m: [] for m in self.conn.execute(query).scalars()}
        if not found:
            return found
        c = conversions.c
        rows = self.conn.execute(
            select(c.delivery_id, c.month, c.item, c.supplier, c.recipient, c.quantity)
            .where(c.month.in_(list(found)))
            .order_by(c.month, c.item)
        )
        for r in rows:
            found[r.month].append(ConversionRow(*r))
        return found

    def add_conversions(
        self, months: Sequence[str], rows: Sequence[ConversionRow], at: int
    ) -> None:
        if months:
            self.conn.execute(
                insert(conversion_months), [{"month": m, "converted_at": at} for m in months]
            )
        if rows:
            self.conn.execute(insert(conversions), [r._asdict() for r in rows])
