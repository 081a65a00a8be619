"""A map of Venezuela's 24 federal entities that needs no geometry: a tile-grid cartogram.

Each entity is one square placed on a grid roughly as the states lie (`GRID`, this
module's own table: Zulia in the west, Delta Amacuro in the east, Amazonas in the
south), shaded by its value's quantile class (``q0`` lightest … ``q4`` darkest, colours in
``static/missions.css``) and carrying its value as text — colour is never the only
carrier. Pure: entities and their values in, HTML out (an HTML grid of links, so every
tile is a real link a keyboard reaches); the page puts the same figures in a table.

The classes are quantiles of the values shown: an entity's class is how many values lie
strictly below its own, scaled to the number of classes, so equal values share a class
and a larger value never gets a lighter one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, NamedTuple

from markupsafe import Markup, escape

__all__ = [
    "CLASSES",
    "GRID",
    "Band",
    "Entity",
    "Place",
    "bands",
    "cartogram",
    "quantile_classes",
    "shade",
]

CLASSES: Final = 5
"""Quantile classes of the shading: ``q0`` … ``q4``."""


class Place(NamedTuple):
    """Where an entity's tile sits (column from the west, row from the north) and the
    short name written on it."""

    column: int
    row: int
    short: str


GRID: Final[Mapping[str, Place]] = {
    "VE-I": Place(2, 0, "FAL"),  # Falcón
    "VE-X": Place(6, 0, "VAR"),  # Vargas (La Guaira)
    "VE-O": Place(8, 0, "NE"),  # Nueva Esparta
    "VE-V": Place(0, 1, "ZUL"),  # Zulia
    "VE-T": Place(1, 1, "TRU"),  # Trujillo
    "VE-K": Place(2, 1, "LAR"),  # Lara
    "VE-U": Place(3, 1, "YAR"),  # Yaracuy
    "VE-G": Place(4, 1, "CAR"),  # Carabobo
    "VE-D": Place(5, 1, "ARA"),  # Aragua
    "VE-A": Place(6, 1, "DC"),  # Distrito Capital
    "VE-M": Place(7, 1, "MIR"),  # Miranda
    "VE-R": Place(8, 1, "SUC"),  # Sucre
    "VE-S": Place(0, 2, "TAC"),  # Táchira
    "VE-L": Place(1, 2, "MER"),  # Mérida
    "VE-E": Place(2, 2, "BAR"),  # Barinas
    "VE-P": Place(3, 2, "POR"),  # Portuguesa
    "VE-H": Place(4, 2, "COJ"),  # Cojedes
    "VE-J": Place(5, 2, "GUA"),  # Guárico
    "VE-B": Place(6, 2, "ANZ"),  # Anzoátegui
    "VE-N": Place(7, 2, "MON"),  # Monagas
    "VE-Y": Place(8, 2, "DA"),  # Delta Amacuro
    "VE-C": Place(3, 3, "APU"),  # Apure
    "VE-F": Place(6, 3, "BOL"),  # Bolívar
    "VE-Z": Place(5, 4, "AMA"),  # Amazonas
}
"""The 23 states and the Distrito Capital (ISO 3166-2 codes) on a 9 × 5 grid."""


@dataclass(frozen=True)
class Entity:
    """A federal entity as the map shows it: `value` None with `suppressed` (a small
    count the reader may not see), None alone (no data), `href` None (no page for this
    reader: outside a coordinator's subtree)."""

    code: str
    name: str
    value: Decimal | None
    suppressed: bool = False
    href: str | None = None


def quantile_classes(values: Mapping[str, Decimal], classes: int = CLASSES) -> dict[str, int]:
    """The class (0 … `classes` − 1) of each value: the share of values strictly below
    it, in `classes` steps. Monotone: a larger value never has a lower class."""
    ordered = sorted(values.values())
    count = len(ordered)
    found = {}
    for key, value in values.items():
        below = _count_below(ordered, value)
        found[key] = below * classes // count
    return found


def _count_below(ordered: Sequence[Decimal], value: Decimal) -> int:
    low, high = 0, len(ordered)
    while low < high:
        middle = (low + high) // 2
        if ordered[middle] < value:
            low = middle + 1
        else:
            high = middle
    return low


class Band(NamedTuple):
    """A class of the legend: the lowest and highest value shaded with it."""

    shade: int
    low: Decimal
    high: Decimal


def bands(values: Mapping[str, Decimal], classes: int = CLASSES) -> list[Band]:
    """The legend: each class in use with the range of the values it holds."""
    held: dict[int, list[Decimal]] = {}
    for key, shade_ in quantile_classes(values, classes).items():
        held.setdefault(shade_, []).append(values[key])
    return [Band(s, min(held[s]), max(held[s])) for s in sorted(held)]


def shade(entity: Entity, classes: Mapping[str, int]) -> str:
    """The tile's class: ``q0`` … ``q4``, ``suppressed``, ``empty`` (no data) or ``out``
    (outside the reader's reach)."""
    if entity.href is None and entity.value is None and not entity.suppressed:
        return "out"
    if entity.suppressed:
        return "suppressed"
    if entity.value is None:
        return "empty"
    return f"q{classes[entity.code]}"


def cartogram(entities: Sequence[Entity], title: str, text: Callable[[Entity], str]) -> Markup:
    """The tiles of the entities of `GRID` (others are left to the table) in reading
    order, as a list of links named `title`; `text(entity)` is what a tile says under
    its short name (the value as the reader's locale writes it, or why there is none)."""
    values = {e.code: e.value for e in entities if e.value is not None and e.code in GRID}
    classes = quantile_classes(values) if values else {}
    tiles = []
    placed = [(GRID[e.code], e) for e in entities if e.code in GRID]
    for place, entity in sorted(placed, key=lambda pair: (pair[0].row, pair[0].column)):
        # in reading order (rows from the north, west to east): the keyboard's order too
        said = escape(text(entity))
        inner = (
            f'<span class="short" aria-hidden="true">{escape(place.short)}</span>'
            f'<span class="name">{escape(entity.name)}</span>'
            f'<span class="value">{said}</span>'
        )
        body = (
            f'<a href="{escape(entity.href)}" title="{escape(entity.name)}">{inner}</a>'
            if entity.href is not None
            else f'<span class="tile-body" title="{escape(entity.name)}">{inner}</span>'
        )
        kind = shade(entity, classes)
        tiles.append(
            f'<li class="tile c{place.column} r{place.row} {kind}" data-ou="{escape(entity.code)}">'
            f"{body}</li>"
        )
    return Markup(f'<ul class="cartogram" aria-label="{escape(title)}">{"".join(tiles)}</ul>')
