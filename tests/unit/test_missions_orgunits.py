"""Org units: the CSV, levels and paths, and moves that keep their history."""

from __future__ import annotations

import io
from datetime import date

from convenio.missions import (
    BEGINNING,
    OPEN_END,
    AncestorSpan,
    Hierarchy,
    apply_rows,
    parse_orgunits_csv,
)
from tests.missions_data import MOVED_CSV, ORG_UNITS_CSV

MOVE_DAY = date(2005, 7, 1)


def load(text: str, base: Hierarchy | None = None, on: date = MOVE_DAY) -> Hierarchy:
    rows, problems = parse_orgunits_csv(io.StringIO(text), "ou.csv")
    assert problems == []
    tree, _, _, problems = apply_rows(base or Hierarchy(), rows, on, "ou.csv")
    assert problems == []
    return tree


def test_levels_and_paths_of_any_depth() -> None:
    tree = load(ORG_UNITS_CSV)
    assert len(tree) == 8
    assert tree.path("CLIN-1") == "/VE/VE-ZU/VE-ZU-MCB/CLIN-1"
    assert tree.ancestors("CLIN-3") == ["VE", "VE-DC", "VE-DC-LIB", "CLIN-3"]
    assert tree.descendants("VE-ZU") == {"VE-ZU", "VE-ZU-MCB", "CLIN-1", "CLIN-2"}
    version = tree.version("VE")
    assert version is not None and version.code == "VE" and version.level == 1
    # A fifth level below a facility is as good as any.
    deeper = load(ORG_UNITS_CSV + "ROOM-1,Consulting room,CLIN-1,5,\n")
    assert deeper.path("ROOM-1") == "/VE/VE-ZU/VE-ZU-MCB/CLIN-1/ROOM-1"


def test_loading_the_same_file_again_changes_nothing() -> None:
    tree = load(ORG_UNITS_CSV)
    rows, _ = parse_orgunits_csv(io.StringIO(ORG_UNITS_CSV), "ou.csv")
    again, added, changed, problems = apply_rows(tree, rows, MOVE_DAY, "ou.csv")
    assert (added, changed, problems) == (0, 0, [])
    assert sorted(again.all_versions(), key=str) == sorted(tree.all_versions(), key=str)


def test_a_move_keeps_the_history() -> None:
    tree = load(MOVED_CSV, load(ORG_UNITS_CSV))
    assert tree.path("CLIN-2", date(2005, 6, 30)) == "/VE/VE-ZU/VE-ZU-MCB/CLIN-2"
    assert tree.path("CLIN-2", MOVE_DAY) == "/VE/VE-DC/VE-DC-LIB/CLIN-2"
    assert tree.path("CLIN-2") == "/VE/VE-DC/VE-DC-LIB/CLIN-2"
    history = tree.versions["CLIN-2"]
    assert [(v.parent, v.valid_from, v.valid_to) for v in history] == [
        ("VE-ZU-MCB", BEGINNING, MOVE_DAY),
        ("VE-DC-LIB", MOVE_DAY, OPEN_END),
    ]
    spans = {s for s in tree.spans() if s.unit == "CLIN-2"}
    assert spans == {
        AncestorSpan("CLIN-2", "VE", 1, BEGINNING, OPEN_END),
        AncestorSpan("CLIN-2", "VE-ZU", 2, BEGINNING, MOVE_DAY),
        AncestorSpan("CLIN-2", "VE-DC", 2, MOVE_DAY, OPEN_END),
        AncestorSpan("CLIN-2", "VE-ZU-MCB", 3, BEGINNING, MOVE_DAY),
        AncestorSpan("CLIN-2", "VE-DC-LIB", 3, MOVE_DAY, OPEN_END),
        AncestorSpan("CLIN-2", "CLIN-2", 4, BEGINNING, OPEN_END),
    }
    # Units that never changed keep one span per level, however many days the tree has.
    assert sum(1 for s in tree.spans() if s.unit == "CLIN-1") == 4


def test_a_moved_branch_takes_its_units_along() -> None:
    moved = ORG_UNITS_CSV.replace("VE-ZU-MCB,Maracaibo,VE-ZU,3,", "VE-ZU-MCB,Maracaibo,VE-DC,3,")
    tree = load(moved, load(ORG_UNITS_CSV))
    assert tree.ancestors("CLIN-1", date(2005, 1, 1))[1] == "VE-ZU"
    assert tree.ancestors("CLIN-1", date(2005, 8, 1))[1] == "VE-DC"
    spans = {
        (s.ancestor, s.valid_from) for s in tree.spans() if s.unit == "CLIN-1" and s.level == 2
    }
    assert spans == {("VE-ZU", BEGINNING), ("VE-DC", MOVE_DAY)}


def test_a_same_day_correction_replaces_the_version() -> None:
    first = load(MOVED_CSV, load(ORG_UNITS_CSV))
    renamed = MOVED_CSV.replace("Consultorio Popular 2", "CDI Libertador")
    tree = load(renamed, first)
    assert [v.name for v in tree.versions["CLIN-2"]] == ["Consultorio Popular 2", "CDI Libertador"]


def test_a_change_before_the_last_one_is_refused() -> None:
    first = load(MOVED_CSV, load(ORG_UNITS_CSV))
    rows, _ = parse_orgunits_csv(io.StringIO(ORG_UNITS_CSV), "ou.csv")
    _, _, _, problems = apply_rows(first, rows, date(2005, 1, 1), "ou.csv")
    assert len(problems) == 1
    assert problems[0].line == 8 and "last changed on 2005-07-01" in problems[0].message


def test_bad_rows_are_located() -> None:
    text = (
        "id,name,parent_id,level\n"
        "VE,Venezuela,,1\n"
        ",No id,VE,2\n"
        "VE-X,Bad level,VE,two\n"
        "VE-Y,Too few\n"
    )
    _, problems = parse_orgunits_csv(io.StringIO(text), "ou.csv")
    assert [(p.line, p.field) for p in problems] == [(3, "id"), (4, "level"), (5, None)]
    _, problems = parse_orgunits_csv(io.StringIO("id,name,parent\n"), "ou.csv")
    assert problems[0].field == "header" and "missing parent_id, level" in problems[0].message


def test_a_tree_that_does_not_hold_together_is_refused() -> None:
    text = (
        "id,name,parent_id,level\n"
        "VE,Venezuela,,1\n"
        "VE-ZU,Zulia,VE,3\n"
        "CLIN,Clinic,NOWHERE,4\n"
        "TOP,Top,,2\n"
        "VE,Venezuela again,,1\n"
    )
    rows, _ = parse_orgunits_csv(io.StringIO(text), "ou.csv")
    _, _, _, problems = apply_rows(Hierarchy(), rows, MOVE_DAY, "ou.csv")
    assert problems[0].line == 6 and "listed twice (first on line 2)" in problems[0].message
    _, _, _, problems = apply_rows(Hierarchy(), rows[:-1], MOVE_DAY, "ou.csv")
    found = {(p.line, p.field) for p in problems}
    assert found == {(3, "level"), (4, "parent_id"), (5, "level")}
    assert any("parent VE has level 1" in p.message for p in problems)
