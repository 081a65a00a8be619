"""The missions' metadata repository: org units with their history, and the catalog.

Rows to domain values (`Hierarchy`, `Catalog`) and back, on the unit of work's
connection; it never commits. Saving replaces what changed: org unit versions and the
derived ancestor spans are rewritten whole (tens of thousands of rows at most), catalog
objects are matched by uid and inserted or updated (`convenio.store.catalog_repo`).
Data values live in `convenio.store.values_repo`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from convenio.missions import (
    AncestorSpan,
    Catalog,
    Hierarchy,
    OrgUnitVersion,
)
from convenio.store.analytics_mirror import AnalyticsMirror, mirror_path
from convenio.store.bulk_values import bulk_usage
from convenio.store.catalog_repo import read_catalog, write_catalog
from convenio.store.missions_tables import (
    category_option_combos,
    data_elements,
    data_sets,
    data_values,
    lock_exceptions,
    missions_state,
    org_unit_ancestors,
    org_unit_versions,
    org_units,
)
from convenio.store.values_repo import ValuesRepository

__all__ = ["MissionsRepository", "now_millis"]

_CHUNK = 5000


def now_millis() -> int:
    """Milliseconds since the Unix epoch, now (UTC)."""
    return int(datetime.now(UTC).timestamp() * 1000)


class MissionsRepository:
    """Reads and writes the missions' metadata on `conn`; `values` reads and writes
    their data values, `mirror` is the DuckDB analytics mirror (None on PostgreSQL)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.values = ValuesRepository(conn)
        path = mirror_path(conn.engine.url.render_as_string(hide_password=False))
        self.mirror = None if path is None else AnalyticsMirror(path)

    # -- ids and version -----------------------------------------------------------------

    def ids(self, table: Table) -> dict[str, int]:
        """uid → id of every row of a table with both columns."""
        return {uid: id_ for id_, uid in self.conn.execute(select(table.c.id, table.c.uid))}

    def data_version(self) -> int:
        return int(self.conn.execute(select(missions_state.c.data_version)).scalar_one())

    def bump_data_version(self) -> int:
        """Count one more change to what the analytics mirror holds; the new version."""
        self.conn.execute(
            update(missions_state).values(data_version=missions_state.c.data_version + 1)
        )
        return self.data_version()

    # -- org units -----------------------------------------------------------------------

    def hierarchy(self) -> Hierarchy:
        parent = org_units.alias("parent")
        unit = org_units.alias("unit")
        v = org_unit_versions
        query = select(
            unit.c.uid,
            v.c.name,
            parent.c.uid.label("parent"),
            v.c.level,
            v.c.code,
            v.c.valid_from,
            v.c.valid_to,
        ).select_from(
            v.join(unit, unit.c.id == v.c.unit_id).outerjoin(parent, parent.c.id == v.c.parent_id)
        )
        return Hierarchy(OrgUnitVersion(*row) for row in self.conn.execute(query))

    def save_hierarchy(self, hierarchy: Hierarchy) -> list[AncestorSpan]:
        """Store every version of `hierarchy` and its ancestor spans; returns the spans."""
        known = self.ids(org_units)
        new = [{"uid": uid} for uid in hierarchy.versions if uid in hierarchy and uid not in known]
        if new:
            self.conn.execute(insert(org_units), new)
            known = self.ids(org_units)
        self.conn.execute(delete(org_unit_versions))
        rows = [
            {
                "unit_id": known[v.uid],
                "valid_from": v.valid_from,
                "valid_to": v.valid_to,
                "parent_id": None if v.parent is None else known[v.parent],
                "level": v.level,
                "name": v.name,
                "code": v.code,
            }
            for v in hierarchy.all_versions()
        ]
        for start in range(0, len(rows), _CHUNK):
            self.conn.execute(insert(org_unit_versions), rows[start : start + _CHUNK])
        spans = hierarchy.spans()
        self.conn.execute(delete(org_unit_ancestors))
        span_rows = [
            {
                "unit_id": known[s.unit],
                "ancestor_level": s.level,
                "valid_from": s.valid_from,
                "valid_to": s.valid_to,
                "ancestor_id": known[s.ancestor],
            }
            for s in spans
        ]
        for start in range(0, len(span_rows), _CHUNK):
            self.conn.execute(insert(org_unit_ancestors), span_rows[start : start + _CHUNK])
        return spans

    def ancestor_rows(self) -> list[tuple[Any, ...]]:
        """The ancestor spans as stored: (unit_id, ancestor_level, valid_from, valid_to,
        ancestor_id), for the analytics mirror."""
        a = org_unit_ancestors
        query = select(
            a.c.unit_id, a.c.ancestor_level, a.c.valid_from, a.c.valid_to, a.c.ancestor_id
        )
        return [tuple(r) for r in self.conn.execute(query)]

    # -- catalog -------------------------------------------------------------------------

    def catalog(self) -> Catalog:
        """Every metadata object, with DHIS2's defaults."""
        return read_catalog(self.conn)

    def save_catalog(self, catalog: Catalog) -> None:
        """Store every object of `catalog` (matched by uid); option combos of its combos
        that it no longer has are deleted (the caller checked that no value uses them)."""
        write_catalog(self.conn, catalog)

    def used_option_combos(self) -> set[str]:
        """Option combos (uids) that some stored data value uses, bulk values included."""
        coc = category_option_combos
        query = select(coc.c.uid).where(
            coc.c.id.in_(select(data_values.c.coc_id).distinct().scalar_subquery())
        )
        used = set(self.conn.execute(query).scalars())
        _, bulk_combos = bulk_usage(self.mirror)
        if bulk_combos:
            uids = {id_: uid for uid, id_ in self.ids(coc).items()}
            used |= {uids[c] for c in bulk_combos if c in uids}
        return used

    def element_usage(self) -> dict[str, int]:
        """Number of stored values per element uid (elements with values only), bulk
        values included."""
        e = data_elements
        query = (
            select(e.c.uid, func.count())
            .select_from(data_values.join(e, e.c.id == data_values.c.element_id))
            .group_by(e.c.uid)
        )
        usage = {uid: int(n) for uid, n in self.conn.execute(query)}
        bulk, _ = bulk_usage(self.mirror)
        if bulk:
            uids = {id_: uid for uid, id_ in self.ids(e).items()}
            for element_id, count in bulk.items():
                uid = uids.get(element_id)
                if uid is not None:
                    usage[uid] = usage.get(uid, 0) + count
        return usage

    # -- lock exceptions -----------------------------------------------------------------

    def reopened(self) -> set[tuple[str, str]]:
        query = select(data_sets.c.uid, lock_exceptions.c.period).select_from(
            lock_exceptions.join(data_sets, data_sets.c.id == lock_exceptions.c.data_set_id)
        )
        return {(ds, pe) for ds, pe in self.conn.execute(query)}

    def reopen(self, data_set: str, period: str) -> bool:
        """Record a lock exception; False if the period was already reopened."""
        if (data_set, period) in self.reopened():
            return False
        ds_id = self.ids(data_sets)[data_set]
        self.conn.execute(
            insert(lock_exceptions).values(
                data_set_id=ds_id, period=period, reopened_at=now_millis()
            )
        )
        return True
