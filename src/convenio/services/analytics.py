"""The analytics use case: answer a pivot request from the backend that holds the data.

On the embedded store the pivot runs on the DuckDB mirror (brought up to date first if
it is behind); on PostgreSQL it runs on the store's own tables. Either way the SQL is
the same SQLGlot tree rendered for the backend's dialect (`convenio.analytics.pivot`),
and the rows are exact integer sums turned into element values and indicators here.
``engine="store"`` runs it on the store itself whatever the backend (SQLite included):
the tests compare the answers.
"""

from __future__ import annotations

from typing import Literal

from convenio.analytics import (
    DEFAULT_THRESHOLD,
    Cell,
    Ids,
    ResultRow,
    assemble,
    parse_request,
    pivot_sql,
    specs_for,
)
from convenio.auth import OPERATOR, Principal
from convenio.errors import Problem
from convenio.periods import parse_period
from convenio.services.missions import ensure_mirror, require_reach, scope_of
from convenio.store import UnitOfWork
from convenio.store.missions_tables import (
    category_option_combos,
    data_elements,
    missions,
    org_units,
)

__all__ = ["Engine", "query"]

Engine = Literal["auto", "store"]
_DIALECTS = {"postgresql": "postgres", "sqlite": "sqlite"}


def query(
    uow: UnitOfWork,
    dx: str,
    pe: str,
    ou: str,
    public: bool = False,
    threshold: int = DEFAULT_THRESHOLD,
    mission: str | None = None,
    engine: Engine = "auto",
    actor: Principal = OPERATOR,
) -> list[ResultRow]:
    """The rows answering ``--dx``/``--pe``/``--ou`` (DHIS2 syntax; see
    `convenio.analytics.request`), small counts suppressed if `public`.

    An `actor` who may not read mission data (the public, a treasury) gets the public
    answer, with at least the default threshold; a coordinator reads its subtree only:
    with no org unit named, its own; naming one outside it is `AccessError`."""
    repo = uow.missions
    catalog = repo.catalog()
    hierarchy = repo.hierarchy()
    if actor.reads_published_only():
        public, threshold = True, max(threshold, DEFAULT_THRESHOLD)
    if scope_of(actor, hierarchy) is not None and actor.org_unit is not None:
        tokens = [t.strip() for t in ou.split(";") if t.strip()]
        if not any(not t.upper().startswith(("LEVEL-", "OU_GROUP-")) for t in tokens):
            ou = ";".join([actor.org_unit, *tokens])
    request = parse_request(dx, pe, ou, catalog, hierarchy, mission)
    require_reach(actor, hierarchy, [(r, Problem("", field="--ou")) for r in request.roots])
    element_ids, unit_ids = repo.ids(data_elements), repo.ids(org_units)
    ids = Ids(element_ids, unit_ids, repo.ids(missions))
    specs = specs_for(request, catalog, hierarchy, ids)
    mirror = repo.mirror if engine == "auto" else None
    if mirror is not None and specs:
        ensure_mirror(uow)
    element_of = {i: u for u, i in element_ids.items()}
    unit_of = {i: u for u, i in unit_ids.items()}
    coc_of = {i: u for u, i in repo.ids(category_option_combos).items()}
    cells: dict[tuple[str, str, str, str], Cell] = {}
    for spec in specs:
        if mirror is not None:
            rows = mirror.query(pivot_sql(spec, "duckdb"))
        else:
            dialect = _DIALECTS.get(uow.connection.dialect.name, uow.connection.dialect.name)
            result = uow.connection.exec_driver_sql(pivot_sql(spec, dialect))
            rows = [tuple(r) for r in result]
        for ou_id, period, element_id, coc_id, total, n in rows:
            key = (unit_of[ou_id], period, element_of[element_id], coc_of[coc_id])
            cells[key] = Cell(int(total), int(n))
    names = {v.uid: v.name for v in hierarchy.as_of().values()}
    order = {}
    for period in {k[1] for k in cells}:
        p = parse_period(period)
        order[period] = (p.end, -p.start.toordinal())  # parts before what they roll into
    return assemble(request, catalog, cells, names, order, public, threshold)
