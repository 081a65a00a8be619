"""The missions catalog in the store: categories, combos and their option combos, data
elements, data sets, missions, org unit groups and levels, indicators and targets.

`read_catalog` builds a `Catalog` from the rows; `write_catalog` stores one back, matching
objects by uid (inserted or updated, never renumbered) and rewriting the ordered item
lists (a category's options, a combo's categories, a data set's elements) of the objects
it names. It never commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.engine import Connection

from convenio.missions import (
    AggregationType,
    Catalog,
    Category,
    CategoryCombo,
    CategoryOption,
    DataElement,
    DataSet,
    Flag,
    Indicator,
    Level,
    Mission,
    OptionCombo,
    OrgUnitGroup,
    Target,
    ValueType,
    parse_expression,
)
from convenio.periods import PeriodType
from convenio.store.missions_tables import (
    categories,
    category_combo_items,
    category_combos,
    category_items,
    category_option_combo_items,
    category_option_combos,
    category_options,
    data_elements,
    data_set_elements,
    data_sets,
    indicator_targets,
    indicators,
    missions,
    org_unit_group_members,
    org_unit_groups,
    org_unit_levels,
    org_units,
)

__all__ = ["read_catalog", "write_catalog"]


def _ids(conn: Connection, table: Table) -> dict[str, int]:
    return {uid: id_ for id_, uid in conn.execute(select(table.c.id, table.c.uid))}


def read_catalog(c: Connection) -> Catalog:
    """Every metadata object, with DHIS2's defaults."""
    cat = Catalog.with_defaults()
    uid_of: dict[str, dict[int, str]] = {}
    for name, table in (
        ("options", category_options),
        ("categories", categories),
        ("combos", category_combos),
        ("cocs", category_option_combos),
        ("units", org_units),
        ("missions", missions),
        ("elements", data_elements),
        ("indicators", indicators),
    ):
        uid_of[name] = {i: u for u, i in _ids(c, table).items()}
    for r in c.execute(select(category_options)):
        cat.options[r.uid] = CategoryOption(r.uid, r.name)
    items = _grouped(
        c, category_items.c.category_id, category_items.c.option_id, category_items.c.position
    )
    for r in c.execute(select(categories)):
        opts = tuple(uid_of["options"][o] for o in items.get(r.id, []))
        cat.categories[r.uid] = Category(r.uid, r.name, opts)
    items = _grouped(
        c,
        category_combo_items.c.combo_id,
        category_combo_items.c.category_id,
        category_combo_items.c.position,
    )
    for r in c.execute(select(category_combos)):
        cats = tuple(uid_of["categories"][k] for k in items.get(r.id, []))
        cat.combos[r.uid] = CategoryCombo(r.uid, r.name, cats)
    t = category_option_combo_items
    items = _grouped(c, t.c.coc_id, t.c.option_id, t.c.position)
    for r in c.execute(select(category_option_combos)):
        opts = tuple(uid_of["options"][o] for o in items.get(r.id, []))
        cat.option_combos[r.uid] = OptionCombo(r.uid, uid_of["combos"][r.combo_id], opts, r.name)
    for r in c.execute(select(missions).where(missions.c.uid != "default")):
        cat.missions[r.uid] = Mission(r.uid, r.name)
    for r in c.execute(select(data_elements)):
        cat.elements[r.uid] = DataElement(
            r.uid,
            r.name,
            ValueType(r.value_type),
            uid_of["combos"][r.combo_id],
            AggregationType(r.aggregation),
            r.code,
        )
    t = data_set_elements
    items = _grouped(c, t.c.data_set_id, t.c.element_id, t.c.position)
    for r in c.execute(select(data_sets)):
        els = tuple(uid_of["elements"][e] for e in items.get(r.id, []))
        mission = None if r.mission_id is None else uid_of["missions"][r.mission_id]
        cat.data_sets[r.uid] = DataSet(
            r.uid, r.name, PeriodType(r.period_type), els, r.expiry_days, mission
        )
    members = _grouped(
        c,
        org_unit_group_members.c.group_id,
        org_unit_group_members.c.unit_id,
        org_unit_group_members.c.unit_id,
    )
    for r in c.execute(select(org_unit_groups)):
        units = frozenset(uid_of["units"][u] for u in members.get(r.id, []))
        cat.groups[r.uid] = OrgUnitGroup(r.uid, r.name, units)
    for r in c.execute(select(org_unit_levels)):
        cat.levels[r.level] = Level(r.level, r.name)
    for r in c.execute(select(indicators)):
        flag = None if r.flag_op is None else Flag(r.flag_op, Decimal(r.flag_value), r.flag_label)
        cat.indicators[r.uid] = Indicator(
            r.uid,
            r.name,
            r.numerator,
            r.denominator,
            parse_expression(r.numerator),
            parse_expression(r.denominator),
            r.factor,
            r.decimals,
            flag,
            r.description,
        )
    for r in c.execute(select(indicator_targets)):
        ind, unit = uid_of["indicators"][r.indicator_id], uid_of["units"][r.unit_id]
        cat.targets[ind, unit, r.period] = Target(ind, unit, r.period, Decimal(r.value))
    return cat


def _upsert(conn: Connection, table: Table, rows: Mapping[str, dict[str, Any]]) -> dict[str, int]:
    """Insert or update rows by uid; uid → id of every row of the table."""
    existing = {r.uid: r for r in conn.execute(select(table))}
    fresh = [{"uid": uid, **values} for uid, values in rows.items() if uid not in existing]
    if fresh:
        conn.execute(insert(table), fresh)
    for uid, values in rows.items():
        old = existing.get(uid)
        if old is not None and any(getattr(old, k) != v for k, v in values.items()):
            conn.execute(update(table).where(table.c.uid == uid).values(**values))
    return _ids(conn, table)


def _replace_items(
    conn: Connection, table: Table, parent: str, child: str, lists: Mapping[int, Iterable[int]]
) -> None:
    if not lists:
        return
    conn.execute(delete(table).where(table.c[parent].in_(list(lists))))
    rows = [
        {parent: p, "position": i, child: k} for p, ks in lists.items() for i, k in enumerate(ks)
    ]
    if rows:
        conn.execute(insert(table), rows)


def write_catalog(conn: Connection, cat: Catalog) -> None:
    """Store every object of `cat` (matched by uid); option combos of its combos that
    `cat` no longer has are deleted (the caller checked that no value uses them)."""
    opt = _upsert(conn, category_options, {o.uid: {"name": o.name} for o in cat.options.values()})
    cats = _upsert(conn, categories, {c.uid: {"name": c.name} for c in cat.categories.values()})
    _replace_items(
        conn,
        category_items,
        "category_id",
        "option_id",
        {cats[c.uid]: [opt[o] for o in c.options] for c in cat.categories.values()},
    )
    combos = _upsert(conn, category_combos, {c.uid: {"name": c.name} for c in cat.combos.values()})
    _replace_items(
        conn,
        category_combo_items,
        "combo_id",
        "category_id",
        {combos[c.uid]: [cats[k] for k in c.categories] for c in cat.combos.values()},
    )
    stale = [
        i for uid, i in _ids(conn, category_option_combos).items() if uid not in cat.option_combos
    ]
    if stale:
        t = category_option_combo_items
        conn.execute(delete(t).where(t.c.coc_id.in_(stale)))
        conn.execute(delete(category_option_combos).where(category_option_combos.c.id.in_(stale)))
    cocs = _upsert(
        conn,
        category_option_combos,
        {
            oc.uid: {"name": oc.name, "combo_id": combos[oc.combo]}
            for oc in cat.option_combos.values()
        },
    )
    _replace_items(
        conn,
        category_option_combo_items,
        "coc_id",
        "option_id",
        {cocs[oc.uid]: [opt[o] for o in oc.options] for oc in cat.option_combos.values()},
    )
    mis = _upsert(conn, missions, {m.uid: {"name": m.name} for m in cat.missions.values()})
    els = _upsert(
        conn,
        data_elements,
        {
            e.uid: {
                "name": e.name,
                "code": e.code,
                "value_type": e.value_type.value,
                "aggregation": e.aggregation.value,
                "combo_id": combos[e.combo],
            }
            for e in cat.elements.values()
        },
    )
    sets = _upsert(
        conn,
        data_sets,
        {
            d.uid: {
                "name": d.name,
                "period_type": d.period_type.value,
                "expiry_days": d.expiry_days,
                "mission_id": None if d.mission is None else mis[d.mission],
            }
            for d in cat.data_sets.values()
        },
    )
    _replace_items(
        conn,
        data_set_elements,
        "data_set_id",
        "element_id",
        {sets[d.uid]: [els[e] for e in d.elements] for d in cat.data_sets.values()},
    )
    units = _ids(conn, org_units)
    groups = _upsert(conn, org_unit_groups, {g.uid: {"name": g.name} for g in cat.groups.values()})
    if cat.groups:
        t = org_unit_group_members
        conn.execute(delete(t).where(t.c.group_id.in_([groups[g] for g in cat.groups])))
        rows = [
            {"group_id": groups[g.uid], "unit_id": units[u]}
            for g in cat.groups.values()
            for u in sorted(g.members)
        ]
        if rows:
            conn.execute(insert(t), rows)
    conn.execute(delete(org_unit_levels))
    if cat.levels:
        conn.execute(
            insert(org_unit_levels),
            [{"level": lv.level, "name": lv.name} for lv in cat.levels.values()],
        )
    inds = _upsert(
        conn,
        indicators,
        {
            i.uid: {
                "name": i.name,
                "numerator": i.numerator_text,
                "denominator": i.denominator_text,
                "factor": i.factor,
                "decimals": i.decimals,
                "flag_op": None if i.flag is None else i.flag.op,
                "flag_value": None if i.flag is None else str(i.flag.threshold),
                "flag_label": None if i.flag is None else i.flag.label,
                "description": i.description,
            }
            for i in cat.indicators.values()
        },
    )
    conn.execute(delete(indicator_targets))
    if cat.targets:
        conn.execute(
            insert(indicator_targets),
            [
                {
                    "indicator_id": inds[t.indicator],
                    "unit_id": units[t.org_unit],
                    "period": t.period,
                    "value": str(t.value),
                }
                for t in cat.targets.values()
            ],
        )


def _grouped(conn: Connection, parent: Any, child: Any, order: Any) -> dict[int, list[int]]:
    """parent id → child ids in `order`."""
    found: dict[int, list[int]] = {}
    for p, k in conn.execute(select(parent, child).order_by(parent, order)):
        found.setdefault(p, []).append(k)
    return found
