"""The overview: who owes whom today and by what, the position at each quarter end, the
next installments due, the ledger's verification state and the last checkpoint both
parties signed.

Who: `Action.READ_LEDGER` — a commission and the auditor read every party's figures, a
treasury its own party's (as the API's statements and balances give them); the public is
asked to sign in, a coordinator and an administrator are refused. The data is one call
of `convenio.services.overview.overview`; ``?as_of=YYYY-MM-DD`` asks for another day
than the last settled one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.responses import Response

from convenio.api.deps import Reader
from convenio.auth import Action
from convenio.periods import PeriodType, period_of
from convenio.services.overview import PositionSeries, overview
from convenio.web.charts import Series, line_chart
from convenio.web.render import Page, PageDep

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/overview")
def overview_page(
    page: PageDep,
    uow: Reader,
    as_of: Annotated[
        date | None, Query(description="The day (ISO); default: the last settled")
    ] = None,
) -> Response:
    page.require(Action.READ_LEDGER)
    found = overview(uow, page.principal, as_of)
    return page.render(
        "overview/overview.html",
        title=page.gettext("Overview"),
        ov=found,
        audits=page.may(Action.READ_AUDIT),
        verifies=page.may(Action.VERIFY),
        charts=[chart_of(page, series) for series in found.series],
    )


def owes(page: Page, debtor: str, creditor: str) -> str:
    """``VEN owes CUB``, in the page's language."""
    return page.gettext("%(debtor)s owes %(creditor)s") % {"debtor": debtor, "creditor": creditor}


def day_label(day: date) -> str:
    """A point of the series: its quarter (``2015Q4``) when it ends one, else the day."""
    quarter = period_of(day, PeriodType.QUARTERLY)
    return quarter.id if quarter.end == day else day.isoformat()


def chart_of(page: Page, series: PositionSeries) -> dict[str, Any]:
    """The line chart of `series` and its table: each direction, and the net."""
    fmt = page.formats
    names = [owes(page, debtor, creditor) for debtor, creditor in series.directions]
    title = page.gettext("What each side owes at each quarter end, %(currency)s") % {
        "currency": series.currency
    }
    labels = [day_label(d) for d in series.days]
    lines = [Series(n, v) for n, v in zip(names, series.owed, strict=True)]
    svg = line_chart(title, labels, lines, axis=fmt.compact)
    headers = [page.gettext("Quarter end"), *names, page.gettext("Net")]
    rows = [
        [labels[j], *(fmt.money(values[j], series.currency) for values in series.owed),
         net_text(page, series.directions, [values[j] for values in series.owed], series.currency)]
        for j in range(len(series.days))
    ]  # fmt: skip
    return {
        "svg": svg,
        "caption": title,
        "headers": headers,
        "rows": rows,
        "id": f"position-{series.currency.lower()}",
    }


def net_text(
    page: Page, directions: Sequence[tuple[str, str]], values: Sequence[Any], currency: str
) -> str:
    """The net of two opposite directions (``VEN owes CUB 1.234,00 USD``); with other
    than two, nothing (a net needs two sides)."""
    if len(directions) != 2 or directions[0] != directions[1][::-1]:
        return ""
    diff = values[0] - values[1]
    if not diff:
        return page.gettext("even")
    debtor, creditor = directions[0] if diff > 0 else directions[1]
    return f"{owes(page, debtor, creditor)} {page.formats.money(abs(diff), currency)}"
