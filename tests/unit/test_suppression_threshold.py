"""Suppression at its edge: a count exactly at the threshold is shown, one less is hidden.

Both places that suppress small counts in public output — analytics results and the cases'
indicators — are checked at ``threshold`` and ``threshold - 1``, so that a ``<`` turned
into ``<=`` (or the reverse) fails here.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from convenio.analytics import DEFAULT_THRESHOLD, assemble, parse_request
from convenio.analytics.results import Cell
from convenio.missions import Catalog, Hierarchy
from convenio.services.cases import _suppress
from tests.unit.test_missions_analytics import M, catalog, tree  # noqa: F401  (fixtures)


@pytest.mark.parametrize("threshold", [DEFAULT_THRESHOLD, 3, 10])
def test_a_count_at_the_threshold_is_shown_one_below_is_hidden(
    catalog: Catalog,  # noqa: F811
    tree: Hierarchy,  # noqa: F811
    threshold: int,
) -> None:
    cells = {
        ("VE-ZU", "2005", "CONSULT", "F_A15P"): Cell(threshold * M, 1),
        ("VE-DC", "2005", "CONSULT", "F_A15P"): Cell((threshold - 1) * M, 1),
    }
    request = parse_request("CONSULT", "2005", "VE;LEVEL-2", catalog, tree)
    names = {"VE-ZU": "Zulia", "VE-DC": "Distrito Capital"}
    rows = assemble(request, catalog, cells, names, {}, public=True, threshold=threshold)
    shown = {r.ou: (r.suppressed, r.value) for r in rows}
    assert shown == {"VE-ZU": (False, Decimal(threshold)), "VE-DC": (True, None)}


@pytest.mark.parametrize("threshold", [DEFAULT_THRESHOLD, 3, 10])
def test_cases_indicators_suppress_below_the_threshold_only(threshold: int) -> None:
    assert _suppress("shown", threshold, threshold) == "shown"
    assert _suppress("hidden", threshold - 1, threshold) is None
    assert _suppress("zero", 0, 0) == "zero"  # not public: the limit is 0
