"""Reading a missions metadata file (YAML, or JSON which is YAML too) into the catalog.

The file lists, under DHIS2's camelCase names, any of: ``levels``, ``orgUnitGroups``,
``missions``, ``categoryOptions``, ``categories``, ``categoryCombos`` (with optional
``optionCombos`` giving DHIS2 uids to some combinations), ``dataElements``,
``dataSets``, ``indicators`` and ``targets`` (docs/missions.md has an example). Numbers
are read exactly (`Decimal`). Every problem — a missing field, an unknown key, a formula
that does not parse — comes back with its line and its path in the document
(``indicators[0].numerator``). `merge_metadata` adds a document to a catalog: objects
are matched by id and replaced; nothing is removed.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from pydantic.alias_generators import to_camel
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from convenio.errors import InputError, Problem
from convenio.missions.expressions import ExpressionError, parse_expression
from convenio.missions.indicators import Flag, Indicator, Target
from convenio.missions.metadata import (
    DEFAULT,
    AggregationType,
    Catalog,
    Category,
    CategoryCombo,
    CategoryOption,
    DataElement,
    DataSet,
    Level,
    Mission,
    OptionCombo,
    OrgUnitGroup,
    ValueType,
    generated_option_combos,
)
from convenio.periods import PeriodType, parse_period
from convenio.safe_yaml import BoundedLoader

__all__ = ["MetadataDocument", "merge_metadata", "parse_metadata"]

Uid = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-]{1,50}$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=230)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel)


class LevelIn(_In):
    level: int = Field(ge=1)
    name: Name


class GroupIn(_In):
    id: Uid
    name: Name
    org_units: list[Uid] = []


class MissionIn(_In):
    id: Uid
    name: Name


class OptionIn(_In):
    id: Uid
    name: Name


class CategoryIn(_In):
    id: Uid
    name: Name
    options: list[Uid] = Field(min_length=1)


class OptionComboIn(_In):
    id: Uid
    options: list[Uid]
    name: Name | None = None


class ComboIn(_In):
    id: Uid
    name: Name
    categories: list[Uid] = Field(min_length=1)
    option_combos: list[OptionComboIn] = []


class ElementIn(_In):
    id: Uid
    name: Name
    value_type: ValueType
    category_combo: Uid = DEFAULT
    aggregation_type: AggregationType | None = None
    code: str | None = None


class DataSetIn(_In):
    id: Uid
    name: Name
    period_type: PeriodType
    data_elements: list[Uid] = Field(min_length=1)
    expiry_days: int = Field(default=0, ge=0)
    mission: Uid | None = None


class FlagIn(_In):
    op: Literal[">", ">=", "<", "<="]
    value: Decimal
    label: Name


class IndicatorIn(_In):
    id: Uid
    name: Name
    numerator: str
    denominator: str = "1"
    factor: int = Field(default=1, ge=1)
    decimals: int = Field(default=2, ge=0, le=10)
    flag: FlagIn | None = None
    description: str = ""


class TargetIn(_In):
    indicator: Uid
    org_unit: Uid
    period: str
    value: Decimal


class MetadataDocument(_In):
    """A whole metadata file; every list may be absent."""

    levels: list[LevelIn] = []
    org_unit_groups: list[GroupIn] = []
    missions: list[MissionIn] = []
    category_options: list[OptionIn] = []
    categories: list[CategoryIn] = []
    category_combos: list[ComboIn] = []
    data_elements: list[ElementIn] = []
    data_sets: list[DataSetIn] = []
    indicators: list[IndicatorIn] = []
    targets: list[TargetIn] = []


class _ExactLoader(BoundedLoader):
    """PyYAML's safe loader with floats read as `Decimal` (never float), bounded."""

    def construct_decimal(self, node: ScalarNode) -> Decimal:
        return Decimal(str(self.construct_scalar(node)).replace("_", ""))


_ExactLoader.add_constructor("tag:yaml.org,2002:float", _ExactLoader.construct_decimal)


def _line_of(root: Node | None, loc: tuple[str | int, ...]) -> int | None:
    """The line of the deepest node of `loc` present in the YAML tree."""
    node, line = root, None if root is None else root.start_mark.line + 1
    for part in loc:
        if isinstance(node, MappingNode):
            match = [(k, v) for k, v in node.value if getattr(k, "value", None) == part]
            if not match:
                break
            key, node = match[-1]
            line = key.start_mark.line + 1
        elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _path(loc: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def parse_metadata(text: str, source: str) -> tuple[MetadataDocument | None, list[Problem]]:
    """The document in `text`, or the problems that prevent reading it (with lines)."""
    loader: _ExactLoader | None = None
    try:
        loader = _ExactLoader(text)
        root = loader.get_single_node()
        data: Any = loader.construct_document(root) if root is not None else {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = None if mark is None else mark.line + 1
        if isinstance(error, yaml.reader.ReaderError):
            line = text[: error.position].count("\n") + 1
        detail = getattr(error, "problem", None) or str(error)
        return None, [Problem(f"not well-formed YAML/JSON: {detail}", source, line)]
    finally:
        if loader is not None:
            loader.dispose()
    try:
        document = MetadataDocument.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if isinstance(p, str | int))
            message = "is required" if err["type"] == "missing" else str(err["msg"])
            if err["type"] == "extra_forbidden":
                message = "unknown key"
            problems.append(Problem(message, source, _line_of(root, loc), _path(loc)))
        return None, problems
    problems = []
    for i, ind in enumerate(document.indicators):
        for part in ("numerator", "denominator"):
            try:
                parse_expression(getattr(ind, part))
            except ExpressionError as exc:
                loc = ("indicators", i, part)
                problems.append(Problem(str(exc), source, _line_of(root, loc), _path(loc)))
    for i, t in enumerate(document.targets):
        try:
            parse_period(t.period)
        except InputError as exc:
            loc = ("targets", i, "period")
            problems.append(
                Problem(str(exc).split(";")[0], source, _line_of(root, loc), _path(loc))
            )
    return (None if problems else document), problems


def _indicator(i: IndicatorIn) -> Indicator:
    flag = None if i.flag is None else Flag(i.flag.op, i.flag.value, i.flag.label)
    return Indicator(
        i.id,
        i.name,
        i.numerator,
        i.denominator,
        parse_expression(i.numerator),
        parse_expression(i.denominator),
        i.factor,
        i.decimals,
        flag,
        i.description,
    )


def merge_metadata(
    base: Catalog, doc: MetadataDocument, source: str
) -> tuple[Catalog, list[Problem]]:
    """`base` with the objects of `doc` added or replaced (by id), and the problems of
    the option combos the document names explicitly. `base` is not changed."""
    cat = dataclasses.replace(
        base, **{f.name: dict(getattr(base, f.name)) for f in dataclasses.fields(base)}
    )
    problems: list[Problem] = []
    cat.levels.update({lv.level: Level(lv.level, lv.name) for lv in doc.levels})
    cat.groups.update(
        {g.id: OrgUnitGroup(g.id, g.name, frozenset(g.org_units)) for g in doc.org_unit_groups}
    )
    cat.missions.update({m.id: Mission(m.id, m.name) for m in doc.missions})
    cat.options.update({o.id: CategoryOption(o.id, o.name) for o in doc.category_options})
    cat.categories.update({c.id: Category(c.id, c.name, tuple(c.options)) for c in doc.categories})
    for i, cc in enumerate(doc.category_combos):
        combo = CategoryCombo(cc.id, cc.name, tuple(cc.categories))
        cat.combos[cc.id] = combo
        for uid in [oc.uid for oc in cat.option_combos.values() if oc.combo == cc.id]:
            del cat.option_combos[uid]
        unknown = [c for c in combo.categories if c not in cat.categories]
        if unknown:
            problems.append(
                Problem(
                    f"unknown category {unknown[0]!r}",
                    source,
                    field=f"categoryCombos[{i}].categories",
                )
            )
            continue
        named = {tuple(oc.options): oc for oc in cc.option_combos}
        generated = generated_option_combos(combo, cat.categories, cat.options)
        for made in generated:
            given = named.pop(made.options, None)
            oc = made
            if given is not None:
                oc = OptionCombo(given.id, made.combo, made.options, given.name or made.name)
            taken = cat.option_combos.get(oc.uid)
            if taken is not None and taken.combo != oc.combo:
                problems.append(
                    Problem(
                        f"option combo id {oc.uid!r} already belongs to combo {taken.combo}; "
                        "name this combo's optionCombos with ids of their own",
                        source,
                        field=f"categoryCombos[{i}].optionCombos",
                    )
                )
                continue
            cat.option_combos[oc.uid] = oc
        problems += [
            Problem(
                f"{list(options)} is not one option of each category {list(combo.categories)}",
                source,
                field=f"categoryCombos[{i}].optionCombos",
            )
            for options in named
        ]
    for e in doc.data_elements:
        aggregation = e.aggregation_type or (
            AggregationType.AVERAGE if e.value_type is ValueType.PERCENTAGE else AggregationType.SUM
        )
        cat.elements[e.id] = DataElement(
            e.id, e.name, e.value_type, e.category_combo, aggregation, e.code
        )
    for d in doc.data_sets:
        cat.data_sets[d.id] = DataSet(
            d.id, d.name, d.period_type, tuple(d.data_elements), d.expiry_days, d.mission
        )
    cat.indicators.update({i.id: _indicator(i) for i in doc.indicators})
    for t in doc.targets:
        period = parse_period(t.period).id
        cat.targets[t.indicator, t.org_unit, period] = Target(
            t.indicator, t.org_unit, period, t.value
        )
    return cat, problems
