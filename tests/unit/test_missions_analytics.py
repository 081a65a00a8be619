"""Analytics without a database: requests, the pivot SQL, and assembling the answer."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
import sqlglot

from convenio.analytics import (
    DIALECTS,
    Cell,
    Ids,
    PivotSpec,
    assemble,
    parse_request,
    pivot_sql,
    specs_for,
)
from convenio.errors import InputError
from convenio.missions import (
    Catalog,
    Hierarchy,
    apply_rows,
    merge_metadata,
    parse_metadata,
    parse_orgunits_csv,
)
from convenio.periods import PeriodType
from tests.missions_data import METADATA_YAML, ORG_UNITS_CSV

M = 1_000_000  # millionths per unit


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    document, _ = parse_metadata(METADATA_YAML, "m.yaml")
    assert document is not None
    return merge_metadata(Catalog.with_defaults(), document, "m.yaml")[0]


@pytest.fixture(scope="module")
def tree() -> Hierarchy:
    rows, _ = parse_orgunits_csv(io.StringIO(ORG_UNITS_CSV), "ou.csv")
    return apply_rows(Hierarchy(), rows, date(2005, 1, 1), "ou.csv")[0]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_pivot_renders_and_reads_back_in_every_dialect(dialect: str) -> None:
    spec = PivotSpec(
        frozenset({3, 1}),
        PeriodType.QUARTERLY,
        2,
        periods=frozenset({"2005Q1"}),
        roots=frozenset({7}),
        members=frozenset({9}),
        missions=frozenset({2}),
    )
    sql = pivot_sql(spec, dialect)
    assert "quarterly" in sql and "'2005Q1'" in sql and "EXISTS" in sql
    assert sqlglot.parse_one(sql, read=dialect).sql(dialect=dialect) == sql


def test_the_pivot_groups_by_ancestor_and_enclosing_period() -> None:
    sql = pivot_sql(PivotSpec(frozenset({1}), PeriodType.MONTHLY, 2), "postgres")
    assert sql.startswith(
        "SELECT a.ancestor_id AS ou, p.monthly AS pe, v.element_id, v.coc_id, "
        "SUM(v.value_num) AS total, COUNT(v.value_num) AS n FROM data_values AS v"
    )
    assert "p.start_date >= a.valid_from AND p.start_date < a.valid_to" in sql
    assert sql.endswith("GROUP BY a.ancestor_id, p.monthly, v.element_id, v.coc_id")
    with pytest.raises(ValueError):
        pivot_sql(PivotSpec(frozenset(), PeriodType.MONTHLY, 2), "duckdb")


def test_requests_in_dhis2_syntax(catalog: Catalog, tree: Hierarchy) -> None:
    request = parse_request(
        "LITERACY_RATE;CONSULT.F_A15P;POP",
        "2005;monthly;2005Q1;2005Q2",
        "VE;LEVEL-2;OU_GROUP-CLINICS",
        catalog,
        tree,
        "BARRIO_ADENTRO",
    )
    assert [d.id for d in request.dx] == ["LITERACY_RATE", "CONSULT.F_A15P", "POP"]
    assert request.periods == {
        PeriodType.YEARLY: frozenset({"2005"}),
        PeriodType.MONTHLY: None,
        PeriodType.QUARTERLY: frozenset({"2005Q1", "2005Q2"}),
    }
    assert (request.roots, request.level, request.group) == (("VE",), 2, "CLINICS")
    by_name = parse_request("POP", "2005", "VE;LEVEL-State", catalog, tree)
    assert by_name.level == 2


def test_bad_requests_name_every_problem(catalog: Catalog, tree: Hierarchy) -> None:
    with pytest.raises(InputError) as caught:
        parse_request(
            "NOPE;NOTES;CONSULT.F;POP.X",
            "2005Q9;Fortnightly",
            "XX;OU_GROUP-NONE;LEVEL-x",
            catalog,
            tree,
            "MISSION_X",
        )
    fields = [(p.field, p.message) for p in caught.value.problems]
    assert fields == [
        ("--dx", "unknown data element or indicator 'NOPE'"),
        ("--dx", "NOTES is text: nothing to add up"),
        ("--dx", "F is not a disaggregation of CONSULT"),
        ("--dx", "unknown category option combo 'X'"),
        ("--pe", "invalid period '2005Q9': a quarter is 1 to 4"),
        ("--pe", "invalid period 'Fortnightly': not a period identifier"),
        ("--ou", "unknown org unit 'XX'"),
        ("--ou", "unknown org unit group 'NONE'"),
        ("--ou", "'LEVEL-x': LEVEL- takes a level (1, 2, …)"),
        ("--mission", "unknown mission 'MISSION_X'"),
    ]
    with pytest.raises(InputError, match="VE-ZU-MCB is below level 2"):
        parse_request("POP", "2005", "VE-ZU-MCB;LEVEL-2", catalog, tree)


def test_one_query_per_period_type_and_level(catalog: Catalog, tree: Hierarchy) -> None:
    units = {uid: i for i, uid in enumerate(sorted(tree.versions), start=1)}
    ids = Ids(
        {"CONSULT": 1, "POP": 2, "LITERATE_15P": 3, "POP_15P": 4}, units, {"BARRIO_ADENTRO": 2}
    )
    request = parse_request("CONSULT_PER_1000", "2005;Monthly", "VE-ZU;VE-DC-LIB", catalog, tree)
    specs = specs_for(request, catalog, tree, ids)
    assert [(s.period_type, s.level, s.outputs, s.roots) for s in specs] == [
        (PeriodType.YEARLY, 2, frozenset({units["VE-ZU"]}), None),
        (PeriodType.YEARLY, 3, frozenset({units["VE-DC-LIB"]}), None),
        (PeriodType.MONTHLY, 2, frozenset({units["VE-ZU"]}), None),
        (PeriodType.MONTHLY, 3, frozenset({units["VE-DC-LIB"]}), None),
    ]
    assert specs[0].elements == {1, 2}
    everywhere = specs_for(
        parse_request("POP", "2005", "LEVEL-3", catalog, tree), catalog, tree, ids
    )
    assert [(s.level, s.roots) for s in everywhere] == [(3, None)]
    under = specs_for(
        parse_request("POP", "2005", "VE-ZU;LEVEL-4", catalog, tree), catalog, tree, ids
    )
    assert [(s.level, s.roots) for s in under] == [(4, frozenset({units["VE-ZU"]}))]


def test_assembling_elements_indicators_and_suppression(catalog: Catalog, tree: Hierarchy) -> None:
    cells = {
        ("VE-ZU", "2005", "CONSULT", "F_A15P"): Cell(120 * M, 1),
        ("VE-ZU", "2005", "CONSULT", "M_A15P"): Cell(80 * M, 1),
        ("VE-ZU", "2005", "CONSULT", "F_A0_14"): Cell(3 * M, 1),
        ("VE-ZU", "2005", "POP", "default"): Cell(1500 * M, 2),
        ("VE-DC", "2005", "CONSULT", "F_A15P"): Cell(4 * M, 1),
        ("VE-DC", "2005", "POP", "default"): Cell(2000 * M, 1),
        ("VE-ZU", "2005", "LITERATE_15P", "F"): Cell(590 * M, 1),
        ("VE-ZU", "2005", "LITERATE_15P", "M"): Cell(385 * M, 1),
        ("VE-ZU", "2005", "POP_15P", "F"): Cell(600 * M, 1),
        ("VE-ZU", "2005", "POP_15P", "M"): Cell(400 * M, 1),
    }
    names = {"VE-ZU": "Zulia", "VE-DC": "Distrito Capital"}
    request = parse_request(
        "CONSULT;CONSULT.F_A0_14;CONSULT_PER_1000;LITERACY_RATE",
        "2005",
        "VE;LEVEL-2",
        catalog,
        tree,
    )
    rows = assemble(request, catalog, cells, names, {})
    table = [(r.dx, r.ou, r.value, r.flag, r.target) for r in rows]
    assert table == [
        ("CONSULT", "VE-DC", Decimal(4), None, None),
        ("CONSULT", "VE-ZU", Decimal(203), None, None),
        ("CONSULT.F_A0_14", "VE-ZU", Decimal(3), None, None),
        ("CONSULT_PER_1000", "VE-DC", Decimal("2.00"), None, None),
        ("CONSULT_PER_1000", "VE-ZU", Decimal("135.33"), None, None),
        ("LITERACY_RATE", "VE-ZU", Decimal("97.5"), "free of illiteracy", Decimal(96)),
    ]
    assert rows[2].dx_name == "Consultations (Female, Under 15)"
    public = assemble(request, catalog, cells, names, {}, public=True)
    hidden = [(r.dx, r.ou) for r in public if r.suppressed]
    # 4 and 3 consultations are under 5; so is the numerator of Distrito Capital's rate.
    assert hidden == [
        ("CONSULT", "VE-DC"),
        ("CONSULT.F_A0_14", "VE-ZU"),
        ("CONSULT_PER_1000", "VE-DC"),
    ]
    assert all(r.value is None and r.numerator is None for r in public if r.suppressed)
    assert public[1].as_dict()["value"] == "203"
    strict = assemble(request, catalog, cells, names, {}, public=True, threshold=500)
    assert [r.dx for r in strict if not r.suppressed] == ["LITERACY_RATE"]


def test_average_elements_are_means(catalog: Catalog, tree: Hierarchy) -> None:
    document, _ = parse_metadata(
        "dataElements:\n  - {id: COVER, name: Coverage, valueType: PERCENTAGE}\n"
        "dataSets:\n  - {id: C, name: C, periodType: Monthly, dataElements: [COVER]}\n",
        "m.yaml",
    )
    assert document is not None
    more = merge_metadata(catalog, document, "m.yaml")[0]
    cells = {("VE", "2005", "COVER", "default"): Cell(290 * M, 3)}
    rows = assemble(parse_request("COVER", "2005", "VE", more, tree), more, cells, {}, {})
    assert rows[0].value == Decimal("96.666667")


@pytest.mark.parametrize("module", ["convenio.missions", "convenio.analytics"])
def test_public_names_exist_once(module: str) -> None:
    import importlib

    mod = importlib.import_module(module)
    assert len(set(mod.__all__)) == len(mod.__all__)
    assert all(hasattr(mod, name) for name in mod.__all__)
