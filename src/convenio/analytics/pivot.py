"""The pivot query, written once and rendered for each backend by SQLGlot.

One query answers every analytics request: data values of some elements, joined with
`periods` (which names, for each stored period, the enclosing period of every type)
and with `org_unit_ancestors` (each unit's ancestor at each level, for each stretch of
time), summed by ancestor × enclosing period × element × option combo. A value rolls up
to the ancestor its unit had on the first day of the value's own period, so a clinic
that moved keeps its past with its old parish. The tree is built with SQLGlot's
expression API, not by pasting strings, and rendered for ``duckdb`` (the embedded
mirror), ``postgres`` (a PostgreSQL store) or any other SQLGlot dialect — ClickHouse,
Trino, Spark — when a country's data outgrows one machine. Sums are of BIGINT
millionths, exact on every backend; nothing here touches a database.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Final

from sqlglot import exp, select

from convenio.periods import PeriodType

__all__ = ["DIALECTS", "PivotSpec", "pivot_sql"]

DIALECTS: Final = ("duckdb", "postgres", "sqlite", "clickhouse", "trino", "spark")
"""Dialects the query is known to render for (tests run it on the first three)."""

_ROLLUP: Final = {t: t.value.lower() for t in PeriodType}


@dataclass(frozen=True)
class PivotSpec:
    """What to sum: element ids; output periods of `period_type` (only `periods` if
    given); output org units at `level` (only `outputs` if given); values from units
    under one of `roots` (None: anywhere), from `members` (an org unit group), for
    `missions` (attribute option combo ids)."""

    elements: frozenset[int]
    period_type: PeriodType
    level: int
    periods: frozenset[str] | None = None
    outputs: frozenset[int] | None = None
    roots: frozenset[int] | None = None
    members: frozenset[int] | None = None
    missions: frozenset[int] | None = None


def _ints(values: Collection[int]) -> list[exp.Expr]:
    return [exp.Literal.number(v) for v in sorted(values)]


def _during(alias: str) -> exp.Expr:
    """The span of `alias` covers the first day of the value's period."""
    start = exp.column("start_date", "p")
    return exp.and_(
        exp.GTE(this=start, expression=exp.column("valid_from", alias)),
        exp.LT(this=start, expression=exp.column("valid_to", alias)),
    )


def _build(spec: PivotSpec) -> exp.Select:
    v, p, a = "v", "p", "a"
    pe = exp.column(_ROLLUP[spec.period_type], p)
    joined_ancestor = exp.and_(
        exp.EQ(this=exp.column("unit_id", a), expression=exp.column("unit_id", v)),
        exp.EQ(this=exp.column("ancestor_level", a), expression=exp.Literal.number(spec.level)),
        _during(a),
    )
    query = (
        select(
            exp.column("ancestor_id", a).as_("ou"),
            pe.as_("pe"),
            exp.column("element_id", v),
            exp.column("coc_id", v),
            exp.func("SUM", exp.column("value_num", v)).as_("total"),
            exp.func("COUNT", exp.column("value_num", v)).as_("n"),
        )
        .from_(exp.to_table("data_values").as_(v))
        .join(
            exp.to_table("periods").as_(p),
            on=exp.EQ(this=exp.column("id", p), expression=exp.column("period_id", v)),
        )
        .join(exp.to_table("org_unit_ancestors").as_(a), on=joined_ancestor)
        .where(exp.column("element_id", v).isin(*_ints(spec.elements)))
        .where(exp.column("value_num", v).is_(exp.null()).not_())
        .where(pe.is_(exp.null()).not_())
        .group_by(exp.column("ancestor_id", a), pe, exp.column("element_id", v))
        .group_by(exp.column("coc_id", v))
    )
    if spec.periods is not None:
        query = query.where(pe.isin(*[exp.Literal.string(s) for s in sorted(spec.periods)]))
    if spec.outputs is not None:
        query = query.where(exp.column("ancestor_id", a).isin(*_ints(spec.outputs)))
    if spec.members is not None:
        query = query.where(exp.column("unit_id", v).isin(*_ints(spec.members)))
    if spec.missions is not None:
        query = query.where(exp.column("aoc_id", v).isin(*_ints(spec.missions)))
    if spec.roots is not None:
        under = (
            select(exp.Literal.number(1))
            .from_(exp.to_table("org_unit_ancestors").as_("r"))
            .where(exp.EQ(this=exp.column("unit_id", "r"), expression=exp.column("unit_id", v)))
            .where(exp.column("ancestor_id", "r").isin(*_ints(spec.roots)))
            .where(_during("r"))
        )
        query = query.where(exp.Exists(this=under))
    return query


def pivot_sql(spec: PivotSpec, dialect: str) -> str:
    """The pivot of `spec` as SQL text of `dialect` (one of SQLGlot's dialect names).

    Columns: ``ou`` (ancestor org unit id), ``pe`` (period uid of `spec.period_type`),
    ``element_id``, ``coc_id``, ``total`` (sum of millionths), ``n`` (values summed).
    """
    if not spec.elements:
        raise ValueError("a pivot needs at least one element")
    return _build(spec).sql(dialect=dialect)
