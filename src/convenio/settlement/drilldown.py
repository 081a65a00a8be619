"""What a settlement run did to each claim it saw: the position of a claim around a run,
from what it owed before the run and the run's allocations — what the settlement pages
drill a statement's figures down to (`services.settlement_views.figures`). Pure, amounts
in integer minor units."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from convenio.errors import InputError

__all__ = ["Position", "positions"]


@dataclass(frozen=True)
class Position:
    """A claim around a run (minor units): outstanding before it, what it offset and
    paid in cash, and what is left after (`before - offset - cash`)."""

    before: int
    offset: int
    cash: int

    @property
    def after(self) -> int:
        return self.before - self.offset - self.cash


def positions(
    before: Mapping[str, int], allocated: Iterable[tuple[str, int, str, str]]
) -> dict[str, Position]:
    """Each claim's `Position` from its outstanding `before` the run and the run's
    allocations (claim, amount, method, against). A claim allocated that is not in
    `before` is refused (`InputError`): the run paid something that was not owed."""
    offset: dict[str, int] = defaultdict(int)
    cash: dict[str, int] = defaultdict(int)
    for claim, amount, method, _ in allocated:
        if claim not in before:
            raise InputError(f"the run allocated {amount} to claim {claim}, not outstanding")
        (offset if method == "offset" else cash)[claim] += amount
    return {c: Position(b, offset[c], cash[c]) for c, b in before.items()}
