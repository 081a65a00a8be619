"""The cases' repository: pseudonyms, cases and their events, sealed personal data.

Rows to domain values and back on the unit of work's connection; it never commits.
`events` returns what analytics may see — pseudonyms, pathways, sites, stages, dates —
and nothing of `case_refs` or `case_people`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from convenio.errors import IntegrityError
from convenio.missions.cases import PATHWAYS, CaseEvent
from convenio.store.cases_tables import case_events, case_people, case_refs, cases
from convenio.store.missions_tables import org_units

__all__ = ["CasesRepository"]

_CHUNK = 5000


class CasesRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def pseudonyms(self, case_ids: Iterable[str]) -> dict[str, str]:
        """case id → pseudonym, for the ids that are stored."""
        wanted = sorted(set(case_ids))
        found: dict[str, str] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            query = select(case_refs.c.case_id, case_refs.c.pseudonym).where(
                case_refs.c.case_id.in_(chunk)
            )
            found.update({str(c): str(p) for c, p in self.conn.execute(query)})
        return found

    def events(self, pseudonyms: Iterable[str] | None = None) -> list[CaseEvent]:
        """Stored events keyed by pseudonym (of `pseudonyms`, or all)."""
        e, c = case_events.c, cases.c
        query = select(e.pseudonym, c.pathway, org_units.c.uid, e.stage, e.date).select_from(
            case_events.join(cases, c.pseudonym == e.pseudonym).join(
                org_units, org_units.c.id == c.unit_id
            )
        )
        if pseudonyms is None:
            return [CaseEvent(*row) for row in self.conn.execute(query.order_by(e.pseudonym))]
        wanted = sorted(set(pseudonyms))
        found: list[CaseEvent] = []
        for start in range(0, len(wanted), _CHUNK):
            chunk = query.where(e.pseudonym.in_(wanted[start : start + _CHUNK]))
            found.extend(CaseEvent(*row) for row in self.conn.execute(chunk))
        return found

    def add_cases(self, rows: Sequence[tuple[str, str, str, str]]) -> None:
        """New cases: (pseudonym, case id, pathway, org unit uid)."""
        if not rows:
            return
        units = {
            uid: id_ for id_, uid in self.conn.execute(select(org_units.c.id, org_units.c.uid))
        }
        self.conn.execute(
            insert(case_refs), [{"pseudonym": p, "case_id": c} for p, c, _, _ in rows]
        )
        self.conn.execute(
            insert(cases),
            [{"pseudonym": p, "pathway": w, "unit_id": units[u]} for p, _, w, u in rows],
        )

    def add_events(self, events: Sequence[CaseEvent]) -> None:
        """New events, keyed by pseudonym."""
        rows = [
            {
                "pseudonym": e.case,
                "stage": e.stage,
                "stage_index": PATHWAYS[e.pathway].index(e.stage),
                "date": e.date,
            }
            for e in events
        ]
        for start in range(0, len(rows), _CHUNK):
            self.conn.execute(insert(case_events), rows[start : start + _CHUNK])

    def sealed(self, pseudonyms: Iterable[str]) -> dict[str, tuple[str, bytes]]:
        """pseudonym → (key id, sealed bytes) of the stored personal data."""
        p = case_people.c
        wanted = sorted(set(pseudonyms))
        found: dict[str, tuple[str, bytes]] = {}
        for start in range(0, len(wanted), _CHUNK):
            query = select(p.pseudonym, p.key_id, p.sealed).where(
                p.pseudonym.in_(wanted[start : start + _CHUNK])
            )
            for r in self.conn.execute(query):
                if not isinstance(r.sealed, bytes | bytearray | memoryview):
                    # SQLite keeps whatever was written into the column, text included.
                    raise IntegrityError(
                        f"the sealed personal data of {r.pseudonym} is not sealed bytes "
                        "(table case_people): the store was altered outside convenio"
                    )
                found[r.pseudonym] = (str(r.key_id), bytes(r.sealed))
        return found

    def save_sealed(
        self, new: Sequence[tuple[str, str, bytes]], changed: Sequence[tuple[str, str, bytes]]
    ) -> None:
        """Personal data (pseudonym, key id, sealed bytes): `new` inserted, `changed`
        replaced."""
        if new:
            self.conn.execute(
                insert(case_people),
                [{"pseudonym": p, "key_id": k, "sealed": s} for p, k, s in new],
            )
        for p, k, s in changed:
            self.conn.execute(
                update(case_people).where(case_people.c.pseudonym == p).values(key_id=k, sealed=s)
            )
