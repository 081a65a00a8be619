"""The public answer of a pathway (convenio.services.cases._published, what
`pathway_indicators` answers the public): no suppressed count, and no sum of suppressed
counts below the threshold, can be worked out from what is published.

The check is an attacker's: knowing the rule, enumerate every table of counts (completed,
and the cases stopped at each stage) that the rule maps to the very answer published, and
ask what each hidden cell — and each sum of hidden cells — could be."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from convenio.missions.cases import PATHWAYS, Indicators
from convenio.services.cases import _published

EYE = PATHWAYS["eye-surgery"]
STOPS = tuple(s for s in EYE.stages if s != EYE.done)  # where a case can stop: 5 stages
Rule = Callable[[Indicators, int], dict[str, Any]]


def _table(completed: int, stops: dict[str, int]) -> Indicators:
    started = completed + sum(stops.values())
    return Indicators(
        EYE.id,
        started,
        completed,
        None,  # rate and median: hidden whenever anything is (checked below)
        None,
        completed,
        tuple((s, stops[s]) for s in EYE.stages if stops.get(s)),
    )


def _cells(completed: int, stops: dict[str, int]) -> dict[str, int]:
    return {"completed": completed, **{s: stops.get(s, 0) for s in STOPS}}


def _candidates(answer: dict[str, Any], threshold: int, rule: Rule) -> Iterator[dict[str, int]]:
    """Every table the rule maps to `answer`. A hidden stop is tried from 0 to the
    threshold (one more than the rule allows, so that the filter shows); `completed` is
    the rest of `started` when that is published, else tried from 0 to twice the
    threshold. Larger values only add candidates, so the sets found here are a lower
    bound of what the reader cannot tell apart."""
    shown = answer["stopped_at"]
    known = {s: shown.get(s) or 0 for s in STOPS if shown.get(s) is not None}
    hidden = [s for s in STOPS if s not in known]
    for values in itertools.product(range(threshold + 1), repeat=len(hidden)):
        stops = {**known, **dict(zip(hidden, values, strict=True))}
        if answer["completed"] is not None:
            options = [answer["completed"]]
        elif answer["started"] is not None:
            options = [answer["started"] - sum(stops.values())]
        else:
            options = list(range(2 * threshold + 1))
        for completed in options:
            if completed >= 0 and rule(_table(completed, stops), threshold) == answer:
                yield _cells(completed, stops)


def _leaks(completed: int, stops: dict[str, int], threshold: int, rule: Rule) -> list[str]:
    """The hidden cells, and sums of hidden cells below the threshold, that every
    candidate agrees on (empty: nothing hidden can be worked out)."""
    answer = rule(_table(completed, stops), threshold)
    truth = _cells(completed, stops)
    said = {"completed": answer["completed"], **answer["stopped_at"]}
    hidden = [c for c in truth if c in said and said[c] is None]
    found = list(_candidates(answer, threshold, rule))
    assert truth in found  # the rule is applied the same way both times
    leaks = []
    for size in range(1, len(hidden) + 1):
        for group in itertools.combinations(hidden, size):
            value = sum(truth[c] for c in group)
            if (size == 1 or value < threshold) and {sum(t[c] for c in group) for t in found} == {
                value
            }:
                leaks.append("+".join(group))
    return leaks


stop_counts = st.fixed_dictionaries({s: st.integers(0, 9) for s in STOPS})


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 9), stop_counts, st.integers(3, 5))
def test_nothing_hidden_can_be_worked_out_from_the_public_answer(
    completed: int, stops: dict[str, int], threshold: int
) -> None:
    answer = _published(_table(completed, stops), threshold)
    assert _leaks(completed, stops, threshold, _published) == []
    if answer["completed"] is None:  # rate, median and timed give completed back
        assert answer["completion_rate"] is answer["median_days"] is answer["timed"] is None
        assert (
            answer["started"] is None
            or answer["started"] - sum(n for n in answer["stopped_at"].values() if n is not None)
            >= threshold
        )  # the one sum derivable is not a small count
    else:  # nothing below the threshold: all said, as before
        assert answer["started"] == completed + sum(stops.values())
        assert all(n >= threshold for n in answer["stopped_at"].values())


def _cell_by_cell(found: Indicators, threshold: int) -> dict[str, Any]:
    """The former rule: each small count suppressed on its own."""

    def shown(n: int) -> int | None:
        return None if n < threshold else n

    return {
        "started": shown(found.started),
        "completed": shown(found.completed),
        "completion_rate": None,
        "median_days": None,
        "timed": shown(found.timed),
        "stopped_at": {s: shown(n) for s, n in found.stopped_at},
    }


def test_the_check_finds_the_leaks_of_suppressing_cell_by_cell() -> None:
    # 20 started, 12 completed, 6 stopped when detected and 2 when referred: the 2 is
    # 20 − 12 − 6 under the former rule; under the new one nothing hidden is pinned.
    stops = {"detected": 6, "referred": 2}
    assert _leaks(12, stops, 5, _cell_by_cell) == ["referred"]
    assert _leaks(12, stops, 5, _published) == []
    # four cases, each stopped at another stage, and none completed, out of 9 started
    # with 5 stopped at pre-op: listed stages each say "at least one", so 9 − 5 pins all.
    ones = {"detected": 1, "referred": 1, "transported": 1, "followed-up": 1, "pre-op": 5}
    assert "detected" in _leaks(0, ones, 5, _cell_by_cell)
    assert _leaks(0, ones, 5, _published) == []


def test_a_public_answer_by_hand() -> None:
    stops = {"detected": 6, "referred": 2}
    answer = _published(_table(12, stops), 5)
    assert answer == {
        "started": 20,
        "completed": None,
        "completion_rate": None,
        "median_days": None,
        "timed": None,
        "stopped_at": {
            "detected": 6,
            "referred": None,
            "transported": None,
            "pre-op": None,
            "followed-up": None,
        },
    }
    # the hidden cells add up to 3 (< 5): started goes too
    assert _published(_table(1, stops), 5)["started"] is None
    # nothing small: the answer is the full one, zero stops left out as before
    assert _published(_table(12, {"detected": 6}), 5)["stopped_at"] == {"detected": 6}
