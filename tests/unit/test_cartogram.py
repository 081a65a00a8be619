"""The tile-grid cartogram of Venezuela's federal entities (convenio.web.cartogram): every
entity on the grid once, no two on one square, shading by quantile classes that never
put a larger value in a lighter class, and the value written on every tile."""

from __future__ import annotations

import re
from decimal import Decimal
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from convenio.demo.missions import FEDERAL_ENTITIES
from convenio.web.cartogram import CLASSES, GRID, Entity, bands, cartogram, quantile_classes


def test_the_grid_holds_the_24_federal_entities_once_each_on_distinct_squares() -> None:
    assert len(FEDERAL_ENTITIES) == 24
    assert set(GRID) == {e.code for e in FEDERAL_ENTITIES}
    squares = [(p.column, p.row) for p in GRID.values()]
    assert len(set(squares)) == len(squares) == 24
    assert len({p.short for p in GRID.values()}) == 24
    # The CSS places columns c0–c8 and rows r0–r4.
    assert all(0 <= c <= 8 and 0 <= r <= 4 for c, r in squares)


def test_the_grid_lies_roughly_as_the_states_do() -> None:
    place = {code: (p.column, p.row) for code, p in GRID.items()}
    assert place["VE-V"][0] < place["VE-K"][0] < place["VE-A"][0] < place["VE-R"][0]  # W → E
    assert place["VE-X"][1] < place["VE-A"][1] < place["VE-J"][1] < place["VE-Z"][1]  # N → S
    assert place["VE-I"][1] == place["VE-O"][1] == 0  # Falcón and Nueva Esparta on the coast


def _tiles(markup: str) -> list[tuple[str, str, str | None, str]]:
    """(classes, name, href, value) of each tile."""
    found = []
    for li in re.findall(r'<li class="tile ([^"]+)" data-ou="[^"]+">(.*?)</li>', markup):
        classes, body = li
        href = re.search(r'href="([^"]+)"', body)
        name = re.search(r'<span class="name">(.*?)</span>', body)
        value = re.search(r'<span class="value">(.*?)</span>', body)
        assert name is not None and value is not None
        found.append((classes, name.group(1), href.group(1) if href else None, value.group(1)))
    return found


def test_the_map_has_one_tile_per_entity_with_its_value_as_text() -> None:
    entities = [
        Entity(e.code, e.name, Decimal(i), href=f"/missions/units/{e.code}")
        for i, e in enumerate(FEDERAL_ENTITIES)
    ]
    markup = str(cartogram(entities, "Literacy", lambda e: f"v={e.value}"))
    tiles = _tiles(markup)
    # In reading order: the northern row west to east first (Falcón, Vargas, Nueva
    # Esparta), Amazonas last; each entity once.
    reading = sorted(FEDERAL_ENTITIES, key=lambda e: (GRID[e.code].row, GRID[e.code].column))
    assert [name for _, name, _, _ in tiles] == [e.name for e in reading]
    assert [e.code for e in reading][:3] == ["VE-I", "VE-X", "VE-O"]
    index = {e.code: i for i, e in enumerate(FEDERAL_ENTITIES)}
    assert [value for *_, value in tiles] == [f"v={index[e.code]}" for e in reading]
    hrefs = [href for _, _, href, _ in tiles]
    assert hrefs == [f"/missions/units/{e.code}" for e in reading]
    # 24 values in 5 classes: 0–4 hold 5, 5, 5, 5 and 4 of them (the share below each).
    shades = [classes.split()[-1] for classes, *_ in tiles]
    assert shades == [f"q{index[e.code] * 5 // 24}" for e in reading]
    assert 'aria-label="Literacy"' in markup


def test_suppressed_missing_and_unreachable_entities_say_so_and_are_not_shaded() -> None:
    entities = [
        Entity("VE-A", "Distrito Capital", Decimal("7"), href="/a"),
        Entity("VE-V", "Zulia", None, suppressed=True, href="/v"),
        Entity("VE-Z", "Amazonas", None, href="/z"),
        Entity("VE-S", "Táchira <b>", None),  # outside the reader's subtree: no link
        Entity("XX-1", "Not on the grid", Decimal(1), href="/x"),
    ]

    def text(e: Entity) -> str:
        return "suppressed" if e.suppressed else "no data" if e.value is None else str(e.value)

    tiles = _tiles(str(cartogram(entities, "t", text)))
    assert [(c.split()[-1], href, value) for c, _, href, value in tiles] == [
        ("suppressed", "/v", "suppressed"),  # Zulia, west of the Distrito Capital
        ("q0", "/a", "7"),
        ("out", None, "no data"),  # Táchira, a row further south
        ("empty", "/z", "no data"),  # Amazonas, the southernmost
    ]
    assert tiles[2][1] == "Táchira &lt;b&gt;"  # names are escaped


def test_quantile_classes_of_a_worked_example() -> None:
    values = {str(i): Decimal(i) for i in range(1, 11)}
    assert [quantile_classes(values)[str(i)] for i in range(1, 11)] == [
        0,
        0,
        1,
        1,
        2,
        2,
        3,
        3,
        4,
        4,
    ]
    assert bands(values) == [
        (0, Decimal(1), Decimal(2)),
        (1, Decimal(3), Decimal(4)),
        (2, Decimal(5), Decimal(6)),
        (3, Decimal(7), Decimal(8)),
        (4, Decimal(9), Decimal(10)),
    ]
    ties = {"a": Decimal("96.1"), "b": Decimal("96.1"), "c": Decimal("97.0")}
    assert quantile_classes(ties) == {"a": 0, "b": 0, "c": 3}


decimals = st.decimals(min_value=-(10**9), max_value=10**9, allow_nan=False, places=3)


@given(st.dictionaries(st.text(min_size=1, max_size=4), decimals, min_size=1, max_size=40))
def test_quantile_classes_are_monotone_in_the_value(values: dict[str, Decimal]) -> None:
    classes = quantile_classes(values)
    assert set(classes) == set(values)
    assert all(0 <= c < CLASSES for c in classes.values())
    for a, low in values.items():
        for b, high in values.items():
            if low < high:
                assert classes[a] <= classes[b]
            if low == high:
                assert classes[a] == classes[b]
    assert classes[min(values, key=values.__getitem__)] == 0
    if len(set(values.values())) == len(values) >= CLASSES:  # distinct: the top is darkest
        assert classes[max(values, key=values.__getitem__)] == CLASSES - 1


@given(st.dictionaries(st.text(min_size=1, max_size=4), decimals, min_size=1, max_size=40))
def test_the_legend_bands_are_ordered_and_hold_every_value(values: dict[str, Decimal]) -> None:
    found = bands(values)
    assert [b.shade for b in found] == sorted({*quantile_classes(values).values()})
    for before, after in pairwise(found):
        assert before.high < after.low
    assert all(any(b.low <= v <= b.high for b in found) for v in values.values())
