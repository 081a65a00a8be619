"""The services side of the demo's inputs: the Cuban professionals of each month, and the
services deliveries they make — invoiced by quarter, or converted from deployments.

Part of the inputs of `convenio.demo.data` (which re-exports its constants and
`services_deliveries`): `HEADCOUNTS` gives the person-months a month of each profession;
`services_deliveries` turns them into one invoice per profession and quarter
(``svc-2011Q4-teacher``), except for the professions and months of `CONVERTED`, whose
services the demo records from cooperants and their deployments
(`convenio.demo.deployments`): there it plans the delivery a month that `convenio
services from-deployments` records (``dep-2004-07-ophthalmologist``), so the cash of
each quarter can be computed before anything is loaded. Pure; quantities are hundredths
of a person-month.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from itertools import pairwise
from types import MappingProxyType
from typing import Final

from convenio.financing import Delivery
from convenio.periods import PeriodType, period_of, periods_between
from convenio.terms import ItemKind

__all__ = [
    "CONVERTED",
    "DEPLOYMENTS_PREFIX",
    "HEADCOUNTS",
    "LAST_MONTH",
    "REPORTED_SERVICES",
    "SERVICES_FROM",
    "SERVICES_RECIPIENT",
    "SERVICES_SUPPLIER",
    "from_deployments",
    "headcount",
    "is_converted",
    "month_end",
    "months",
    "services_deliveries",
]

SERVICES_SUPPLIER: Final = "CUB"
SERVICES_RECIPIENT: Final = "VEN"

LAST_MONTH: Final = date(2015, 12, 1)
"""The last month of the demo."""

SERVICES_FROM: Final = date(2001, 9, 1)
"""FACT: services became paid on 12 Aug 2001. ASSUMPTION: invoiced from September 2001,
the first whole month after, one invoice per profession and quarter on its last day."""

HEADCOUNTS: Final[Mapping[str, tuple[tuple[date, int], ...]]] = MappingProxyType(
    {
        "doctor": (
            (date(2003, 4, 1), 58),
            (date(2003, 12, 1), 10_000),
            (date(2006, 6, 1), 12_000),
            (date(2011, 1, 1), 30_000),
        ),
        "nurse": ((date(2004, 1, 1), 1_000), (date(2006, 6, 1), 5_000), (date(2011, 1, 1), 20_000)),
        "ophthalmologist": (
            (date(2004, 7, 1), 50),
            (date(2006, 6, 1), 800),
            (date(2011, 1, 1), 1_500),
        ),
        "teacher": (
            (date(2003, 7, 1), 1_000),
            (date(2005, 10, 1), 4_000),
            (date(2011, 1, 1), 12_000),
        ),
        "sports-trainer": (
            (date(2001, 9, 1), 300),
            (date(2003, 12, 1), 1_000),
            (date(2011, 1, 1), 4_000),
        ),
        "agronomist": ((date(2001, 9, 1), 100), (date(2005, 1, 1), 500), (date(2011, 1, 1), 2_375)),
    }
)
"""ASSUMPTION: person-months a month per profession — none before the first anchor,
linear between anchors, flat after the last (2011 to 2015). Reported figures among the anchors:
Barrio Adentro's 58 doctors in April 2003, over 10,000 by December 2003 and about
12,000 by 2006; Robinson from July 2003, Milagro from July 2004. The 2011 level is set
so that the terms' rate cards (themselves assumptions) give the reported 425 M USD a
month (`REPORTED_SERVICES`): 69,875 person-months a month. The facts give no headcount
for 2011; with higher prices per professional it would take fewer people."""

CONVERTED: Final[Mapping[str, tuple[date, date]]] = MappingProxyType(
    {
        "doctor": (date(2003, 4, 1), date(2006, 6, 1)),
        "ophthalmologist": (date(2004, 7, 1), LAST_MONTH),
    }
)
"""The professions whose services come from deployments, from the first to the last month
(both included): there the demo registers `headcount` cooperants a month and converts
their person-months into one delivery a month (``dep-2004-07-ophthalmologist``, as
`convenio services from-deployments` records it); every other profession and month is
invoiced by quarter (``svc-2011Q4-doctor``), never both. Barrio Adentro's doctors over
the reported anchors (58 in April 2003, over 10,000 by December 2003, about 12,000 by
2006) and Milagro's ophthalmologists throughout; the rest would cost the demo seconds
for nothing the facts give (docs/demo.md, "Cooperants and deployments")."""

DEPLOYMENTS_PREFIX: Final = "dep-"
"""The id prefix of the deliveries `convenio services from-deployments` records."""

REPORTED_SERVICES: Final = 127_500_000_000
"""FACT: Cuban services invoiced in Q4 2011, 1,275.00 M USD (in cents)."""


def months(first: date, last: date) -> Iterator[date]:
    """The first day of every month from `first`'s to `last`'s."""
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        yield date(year, month, 1)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def month_end(month: date) -> date:
    """The last day of `month`'s month."""
    after = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return date.fromordinal(after.toordinal() - 1)


def _month_index(month: date) -> int:
    return month.year * 12 + month.month - 1


def _headcount(anchors: Sequence[tuple[date, int]], month: date) -> int:
    """People in `month`: 0 before the first anchor, linear between anchors (rounded
    half up), the last anchor's after it."""
    if month < anchors[0][0]:
        return 0
    for (start, low), (end, high) in pairwise(anchors):
        if start <= month < end:
            span = _month_index(end) - _month_index(start)
            done = _month_index(month) - _month_index(start)
            return low + (2 * (high - low) * done + span) // (2 * span)
    return anchors[-1][1]


def headcount(profession: str, month: date) -> int:
    """Person-months of `profession` in `month` (`HEADCOUNTS`)."""
    return _headcount(HEADCOUNTS[profession], month)


def is_converted(profession: str, month: date) -> bool:
    """Whether the services of `profession` in `month` come from deployments."""
    first, last = CONVERTED.get(profession, (date.max, date.min))
    return first <= month <= last


def from_deployments(delivery: Delivery) -> bool:
    """Whether the demo records `delivery` by converting deployments (`CONVERTED`)."""
    return delivery.delivery_id.startswith(DEPLOYMENTS_PREFIX)


def services_deliveries() -> tuple[Delivery, ...]:
    """The services from `SERVICES_FROM` to December 2015, from CUB to VEN: one invoice
    per profession and quarter for the person-months of the quarter's months (FACT:
    each quarter the oil invoice and the invoice for Cuban services are netted), dated
    its last day; for the months of `CONVERTED`, instead, the delivery a month that the
    deployments convert into, dated the month's last day (`from_deployments`)."""

    def delivery(delivery_id: str, day: date, item: str, person_months: int) -> Delivery:
        return Delivery(
            delivery_id,
            day,
            SERVICES_SUPPLIER,
            SERVICES_RECIPIENT,
            ItemKind.SERVICES,
            item,
            person_months * 100,
            "person-month",
        )

    found: list[Delivery] = []
    first, last = (period_of(d, PeriodType.QUARTERLY) for d in (SERVICES_FROM, LAST_MONTH))
    for quarter in periods_between(first, last):
        in_quarter = [m for m in months(quarter.start, quarter.end) if m >= SERVICES_FROM]
        for item in HEADCOUNTS:
            invoiced = sum(headcount(item, m) for m in in_quarter if not is_converted(item, m))
            if invoiced:
                found.append(delivery(f"svc-{quarter.iso()}-{item}", quarter.end, item, invoiced))
            for m in in_quarter:
                if is_converted(item, m) and headcount(item, m):
                    stem = f"{DEPLOYMENTS_PREFIX}{m.year:04d}-{m.month:02d}-{item}"
                    found.append(delivery(stem, month_end(m), item, headcount(item, m)))
    return tuple(found)
