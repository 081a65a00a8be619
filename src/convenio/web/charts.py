"""Charts as SVG drawn on the server: no chart library, no script, printable.

Pure functions from labelled exact figures to an SVG document fragment (`Markup`); the
page puts the same figures in a table beside it (the chart's text alternative, and what
a screen reader reads), so a chart only ever shows what the table says. Positions are
computed with `Decimal` and written to one decimal place of a pixel: the drawing is the
only place a figure is rounded, and only for the eye.

Colours come from classes in ``static/app.css`` (``series-0`` …), never from inline
styles, which the pages' security policy forbids.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from markupsafe import Markup, escape

__all__ = ["Bar", "Series", "bar_chart", "line_chart"]

_WIDTH: Final = Decimal(640)
_HEIGHT: Final = Decimal(240)
_LEFT: Final = Decimal(64)  # room for the value axis' labels
_RIGHT: Final = Decimal(24)  # room for the last label, centred on its point
_BOTTOM: Final = Decimal(28)
_TOP: Final = Decimal(12)
_TICKS: Final = 4  # gridlines of the value axis, zero always among them

Axis = Callable[[Decimal], str]
"""How a value of the value axis reads (a page passes its locale's number format)."""


def _plain(value: Decimal) -> str:
    return f"{value.quantize(Decimal(1)):,}"


@dataclass(frozen=True)
class Bar:
    """One bar: its label (under it) and its exact value."""

    label: str
    value: Decimal


@dataclass(frozen=True)
class Series:
    """A line: its name (in the legend) and one value per label of the chart."""

    name: str
    values: Sequence[Decimal]


def _px(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.1'))}"


def _frame(title: str, body: str, width: Decimal = _WIDTH) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {_px(width)} {_px(_HEIGHT)}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def _scale(values: Sequence[Decimal]) -> tuple[Decimal, Decimal]:
    """(lowest, highest) of the axis: always including zero."""
    low = min([Decimal(0), *values])
    high = max([Decimal(0), *values])
    return low, high if high != low else low + 1


def _value_axis(low: Decimal, high: Decimal, y: Callable[[Decimal], Decimal], axis: Axis) -> str:
    """Gridlines and labels at zero and at even steps up and down to the extremes."""
    step = (high - low) / _TICKS
    marks = sorted({Decimal(0), low, high, *(low + step * i for i in range(1, _TICKS))})
    parts = []
    for value in marks:
        at = _px(y(value))
        kind = "axis" if value == 0 else "grid"
        parts.append(f'<line class="{kind}" x1="{_px(_LEFT)}" x2="{_px(_WIDTH - _RIGHT)}" '
                     f'y1="{at}" y2="{at}"/>')  # fmt: skip
        parts.append(
            f'<text class="tick value" x="{_px(_LEFT - 4)}" y="{at}" text-anchor="end" '
            f'dominant-baseline="middle">{escape(axis(value))}</text>'
        )
    return "".join(parts)


def _labelled(count: int, most: int = 6) -> list[tuple[int, str]]:
    """Which of `count` points of a line get a label under them, and how it is anchored:
    about `most` evenly spaced, the first and the last always (the one before the last
    dropped when it would touch it)."""
    every = max(1, -(-count // most))
    chosen = list(range(0, count, every))
    if chosen[-1] != count - 1:
        if count - 1 - chosen[-1] < every * 3 // 4 and len(chosen) > 1:
            chosen.pop()
        chosen.append(count - 1)
    last = count - 1
    return [(i, "start" if i == 0 else "end" if i == last else "middle") for i in chosen]


def bar_chart(title: str, bars: Sequence[Bar], axis: Axis = _plain) -> Markup:
    """Vertical bars from a zero line (negative values hang below it)."""
    if not bars:
        return _frame(title, "")
    low, high = _scale([b.value for b in bars])
    plot = _HEIGHT - _BOTTOM - _TOP
    step = (_WIDTH - _LEFT - _RIGHT) / len(bars)

    def y(value: Decimal) -> Decimal:
        return _TOP + plot * (high - value) / (high - low)

    zero = y(Decimal(0))
    parts = [_value_axis(low, high, y, axis)]
    label_every = max(1, len(bars) // 12)
    for i, bar in enumerate(bars):
        x = _LEFT + step * i + step / 10
        top, bottom = sorted((y(bar.value), zero))
        kind = "negative" if bar.value < 0 else "positive"
        parts.append(
            f'<rect class="bar {kind}" x="{_px(x)}" y="{_px(top)}" '
            f'width="{_px(step * 8 / 10)}" height="{_px(bottom - top)}">'
            f"<title>{escape(bar.label)}: {escape(axis(bar.value))}</title></rect>"
        )
        if i % label_every == 0:
            parts.append(
                f'<text class="tick" x="{_px(x + step * 4 / 10)}" y="{_px(_HEIGHT - 8)}" '
                f'text-anchor="middle">{escape(bar.label)}</text>'
            )
    return _frame(title, "".join(parts))


def line_chart(
    title: str, labels: Sequence[str], series: Sequence[Series], axis: Axis = _plain
) -> Markup:
    """One line per series over `labels`, with a legend."""
    values = [v for s in series for v in s.values]
    if not labels or not values:
        return _frame(title, "")
    low, high = _scale(values)
    plot = _HEIGHT - _BOTTOM - _TOP
    step = (_WIDTH - _LEFT - _RIGHT) / max(1, len(labels) - 1)

    def y(value: Decimal) -> Decimal:
        return _TOP + plot * (high - value) / (high - low)

    def point(i: int, value: Decimal) -> str:
        return f"{_px(_LEFT + step * i)},{_px(y(value))}"

    parts = [_value_axis(low, high, y, axis)]
    for n, line in enumerate(series):
        points = " ".join(point(i, v) for i, v in enumerate(line.values))
        parts.append(
            f'<polyline class="line series-{n % 6}" fill="none" points="{points}">'
            f"<title>{escape(line.name)}</title></polyline>"
        )
        parts.append(
            f'<text class="legend series-{n % 6}" x="{_px(_LEFT + 6)}" '
            f'y="{_px(_TOP + 12 * (n + 1))}">{escape(line.name)}</text>'
        )
    for i, anchor in _labelled(len(labels)):
        parts.append(
            f'<text class="tick" x="{_px(_LEFT + step * i)}" y="{_px(_HEIGHT - 8)}" '
            f'text-anchor="{anchor}">{escape(labels[i])}</text>'
        )
    return _frame(title, "".join(parts))
