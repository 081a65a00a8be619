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
from convenio.missions.cases import PATHWAYS, Indicators
from convenio.services.cases import _published
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
    """Every stop and the completed count at the threshold: all shown; one stop a case
    under it: that stop hidden (and, complementarily, what would give it back)."""
    stages = [s for s in PATHWAYS["eye-surgery"].stages if s != PATHWAYS["eye-surgery"].done]

    def indicators(first_stop: int) -> Indicators:
        stops = (first_stop, *([threshold] * (len(stages) - 1)))
        started = threshold + sum(stops)
        return Indicators(
            "eye-surgery", started, threshold, None, None, threshold,
            tuple(zip(stages, stops, strict=True)),
        )  # fmt: skip

    at = _published(indicators(threshold), threshold)
    assert at["completed"] == threshold and at["stopped_at"][stages[0]] == threshold
    below = _published(indicators(threshold - 1), threshold)
    assert below["stopped_at"][stages[0]] is None
    assert below["completed"] is None  # else started − completed − the other stops tells it
    assert all(below["stopped_at"][s] == threshold for s in stages[1:])
