"""The metadata file: what it builds, and every problem with its line and path."""

from __future__ import annotations

from decimal import Decimal

import pytest

from convenio.missions import (
    DEFAULT,
    AggregationType,
    Catalog,
    Flag,
    check_catalog,
    merge_metadata,
    parse_metadata,
)
from convenio.periods import PeriodType
from tests.missions_data import METADATA_YAML

UNITS = {"VE", "VE-ZU", "VE-DC", "VE-ZU-MCB", "VE-DC-LIB", "CLIN-1", "CLIN-2", "CLIN-3"}


def build(text: str, base: Catalog | None = None) -> tuple[Catalog, list[str]]:
    document, problems = parse_metadata(text, "m.yaml")
    if document is None:
        return Catalog(), [str(p) for p in problems]
    catalog, problems = merge_metadata(base or Catalog.with_defaults(), document, "m.yaml")
    return catalog, [str(p) for p in [*problems, *check_catalog(catalog, UNITS)]]


def test_the_sample_builds_a_consistent_catalog() -> None:
    catalog, problems = build(METADATA_YAML)
    assert problems == []
    assert sorted(oc.uid for oc in catalog.option_combos_of("SEX_AGE")) == [
        "F_A0_14",
        "F_A15P",
        "M_A0_14",
        "M_A15P",
    ]
    assert catalog.option_combos["F_A15P"].name == "Female, 15 and over"
    assert catalog.data_sets["BA_MONTHLY"].period_type is PeriodType.MONTHLY
    assert catalog.data_set_of("CONSULT") == catalog.data_sets["BA_MONTHLY"]
    assert catalog.elements["POP"].combo == DEFAULT
    literacy = catalog.indicators["LITERACY_RATE"]
    assert (literacy.factor, literacy.decimals) == (100, 1)
    assert literacy.flag == Flag(">", Decimal(96), "free of illiteracy")
    assert catalog.targets["LITERACY_RATE", "VE-ZU", "2005"].value == 96
    assert catalog.groups["CLINICS"].members == {"CLIN-1", "CLIN-2", "CLIN-3"}


def test_option_combos_may_carry_dhis2_uids() -> None:
    text = METADATA_YAML.replace(
        "  - {id: SEX, name: Sex, categories: [SEX]}",
        "  - id: SEX\n    name: Sex\n    categories: [SEX]\n"
        "    optionCombos: [{id: Xw9kLb3sT0q, options: [F]}]",
    )
    catalog, problems = build(text)
    assert problems == []
    assert sorted(oc.uid for oc in catalog.option_combos_of("SEX")) == ["M", "Xw9kLb3sT0q"]


def test_loading_more_adds_and_replaces_by_id() -> None:
    catalog, _ = build(METADATA_YAML)
    more = (
        "dataElements:\n"
        "  - {id: POP, name: Population (census), valueType: INTEGER}\n"
        "  - {id: COVERAGE, name: Coverage, valueType: PERCENTAGE}\n"
        "dataSets:\n"
        "  - {id: COVER, name: Coverage, periodType: Quarterly, dataElements: [COVERAGE]}\n"
    )
    catalog, problems = build(more, catalog)
    assert problems == []
    assert catalog.elements["POP"].name == "Population (census)"
    assert catalog.elements["COVERAGE"].aggregation is AggregationType.AVERAGE
    assert "CONSULT" in catalog.elements


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "dataElements:\n  - {id: X, name: X}\n",
            "m.yaml:2: dataElements[0].valueType: is required",
        ),
        (
            "dataElements:\n  - id: X\n    name: X\n    valueType: FLOAT\n",
            "m.yaml:4: dataElements[0].valueType: "
            "Input should be 'INTEGER', 'NUMBER', 'PERCENTAGE', 'BOOLEAN' or 'TEXT'",
        ),
        (
            "missions:\n  - {id: A, name: B, colour: red}\n",
            "m.yaml:2: missions[0].colour: unknown key",
        ),
        (
            "missions:\n  - {id: 'has space', name: B}\n",
            "m.yaml:2: missions[0].id: String should match pattern '^[A-Za-z0-9_\\-]{1,50}$'",
        ),
        (
            "indicators:\n  - id: I\n    name: I\n    numerator: '#{A} +'\n",
            "m.yaml:4: indicators[0].numerator: "
            "expected a number, #{element} or '(' but found end of formula (at character 7)",
        ),
        (
            "targets:\n  - {indicator: I, orgUnit: VE, period: 2005Q5, value: 1}\n",
            "m.yaml:2: targets[0].period: invalid period '2005Q5': a quarter is 1 to 4",
        ),
        (
            "dataSets: [\n",
            "m.yaml:2: not well-formed YAML/JSON: "
            "expected the node content, but found '<stream end>'",
        ),
    ],
)
def test_file_problems_have_lines_and_paths(text: str, expected: str) -> None:
    _, problems = build(text)
    assert problems == [expected]


def test_json_is_read_too() -> None:
    text = (
        '{"missions": [{"id": "MILAGRO", "name": "Misión Milagro"}],\n'
        ' "levels": [{"level": 0, "name": "x"}]}'
    )
    _, problems = build(text)
    assert problems == ["m.yaml:2: levels[0].level: Input should be greater than or equal to 1"]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "dataElements:\n  - {id: X, name: X, valueType: INTEGER, categoryCombo: NOPE}\n",
            "dataElements.X: unknown category combo 'NOPE'",
        ),
        (
            "dataSets:\n  - {id: B, name: B, periodType: Yearly, dataElements: [POP]}\n",
            "dataSets.B: data element POP is already in data set CENSUS; each element belongs to "
            "one data set (its period type and expiry)",
        ),
        (
            "dataSets:\n"
            "  - {id: B, name: B, periodType: Yearly, mission: NOPE, dataElements: [X]}\n",
            "dataSets.B: unknown mission 'NOPE'",
        ),
        (
            "indicators:\n  - {id: I, name: I, numerator: '#{NOTES}'}\n",
            "indicators.I: NOTES is text, not a number",
        ),
        (
            "indicators:\n  - {id: I, name: I, numerator: '#{POP.F}'}\n",
            "indicators.I: 'F' is not a category option combo of POP",
        ),
        (
            "orgUnitGroups:\n  - {id: G, name: G, orgUnits: [CLIN-9]}\n",
            "orgUnitGroups.G: unknown org unit 'CLIN-9'",
        ),
    ],
)
def test_references_that_do_not_hold_are_refused(extra: str, expected: str) -> None:
    catalog, problems = build(METADATA_YAML)
    _, problems = build(extra, catalog)
    assert expected in problems


def test_option_combo_ids_must_not_collide_across_combos() -> None:
    text = METADATA_YAML.replace(
        "categoryCombos:\n",
        "categoryCombos:\n  - {id: SEX2, name: Sex again, categories: [SEX]}\n",
        1,
    )
    _, problems = build(text)
    assert any("option combo id 'F' already belongs to combo SEX2" in p for p in problems)
