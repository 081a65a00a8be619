"""The missions pages: indicators against targets and over time, a map of the federal
entities, an org unit's drill-down (state → municipality → site) and the pathways as
funnels.

Everyone may read them (the public included); each reader gets what the API would give
it — `services.missions_views` calls the API's services with the reader's principal:
mission-data readers the values (a coordinator its subtree, others refused with 403),
everybody else the public answer with small counts suppressed.

    GET /missions                  ?dx=&pe=    measures at the top, the map of dx in pe
    GET /missions/units/{ou}       ?dx=&pe=    an org unit, its children, its trail
    GET /missions/pathways         ?ou=        eye surgery and literacy as funnels
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Annotated, Final

from fastapi import APIRouter, Query
from starlette.responses import Response

from convenio.analytics import DEFAULT_THRESHOLD
from convenio.api.deps import Reader
from convenio.auth import Action
from convenio.services import missions_views as views
from convenio.services.missions_views import Figure, Measure, Series, Step
from convenio.web.cartogram import Entity, bands, cartogram, shade
from convenio.web.charts import Series as Line
from convenio.web.charts import line_chart
from convenio.web.i18n import mark as _
from convenio.web.render import Page, PageDep

__all__ = ["router", "said", "stage", "word"]

router = APIRouter(include_in_schema=False)

Dx = Annotated[str | None, Query(max_length=50, description="An indicator or data element")]
Pe = Annotated[str | None, Query(max_length=20, description="A year")]


WORDS: Final = {
    # the demo's org unit levels (DHIS2's usual names)
    "Country": _("Country"),
    "State": _("State"),
    "Municipality": _("Municipality"),
    "Facility": _("Facility"),
    # the pathways' stages (convenio.missions.cases.PATHWAYS)
    "detected": _("Detected"),
    "referred": _("Referred"),
    "transported": _("Transported"),
    "pre-op": _("Pre-op"),
    "operated": _("Operated"),
    "followed-up": _("Followed up"),
    "enrolled": _("Enrolled"),
    "graduated": _("Graduated"),
    "eye-surgery": _("Eye surgery (Misión Milagro)"),
    "literacy": _("Literacy (Misión Robinson, “Yo, sí puedo”)"),
}
"""Words of the data the pages translate (anything else is shown as stored)."""


def word(page: Page, text: str) -> str:
    return page.gettext(WORDS[text]) if text in WORDS else text


def stage(page: Page, first: str, last: str | None = None) -> str:
    """A stage (``lesson-12``: "Lesson 12") or a band of lessons ("Lessons 1–10")."""

    def lesson(name: str) -> str | None:
        head, _sep, number = name.partition("lesson-")
        return number if not head and number.isdigit() else None

    if last is None or last == first:
        number = lesson(first)
        if number is not None:
            return page.gettext("Lesson %(n)s") % {"n": number}
        return word(page, first)
    a, b = lesson(first), lesson(last)
    if a is not None and b is not None:
        return page.gettext("Lessons %(first)s–%(last)s") % {"first": a, "last": b}
    return f"{stage(page, first)} – {stage(page, last)}"


def said(page: Page, figure: Figure) -> str:
    """A figure as text: its value in the reader's locale, or why there is none."""
    if figure.suppressed:
        return page.gettext("suppressed")
    if figure.value is None:
        return page.gettext("no data")
    return page.formats.number(figure.value)


def difference(page: Page, figure: Figure) -> str:
    """Value − target, signed ("+0,7"), or nothing without both."""
    if figure.value is None or figure.target is None:
        return ""
    gap: Decimal = figure.value - figure.target
    return ("+" if gap > 0 else "") + page.formats.number(gap)


def target(page: Page, figure: Figure) -> str:
    """A figure's target, or "no target"."""
    if figure.target is None:
        return page.gettext("no target")
    return page.formats.number(figure.target)


def _line(
    page: Page, measure: Measure, by_year: Mapping[str, Figure], years: Sequence[str]
) -> dict[str, object]:
    """A measure over the years as a chart (the years with a value) and its table."""
    known = {y: v for y in years if (v := by_year.get(y, views.NO_DATA).value) is not None}
    title = page.gettext("%(measure)s by year") % {"measure": measure.name}
    svg = line_chart(
        title, list(known), [Line(measure.name, list(known.values()))], axis=page.formats.compact
    )
    rows = [
        [y, said(page, figure), target(page, figure)]
        for y in years
        if (figure := by_year.get(y, views.NO_DATA)).reported
    ]
    headers = [page.gettext("Year"), measure.name, page.gettext("Target")]
    return {
        "svg": svg,
        "caption": title,
        "headers": headers,
        "rows": rows,
        "id": f"line-{measure.id}",
    }


def _map(page: Page, view: views.MissionsView) -> dict[str, object]:
    """The cartogram of the chosen measure, its legend and what its tiles may say."""
    entities = [
        Entity(
            unit.uid,
            unit.name,
            figure.value,
            figure.suppressed,
            page.url(f"/missions/units/{unit.uid}", dx=view.measure.id, pe=view.year)
            if unit.reachable
            else None,
        )
        for unit, figure in view.states
    ]

    def text(entity: Entity) -> str:
        if entity.href is None and entity.value is None and not entity.suppressed:
            return page.gettext("outside your area")
        return said(page, Figure(entity.value, entity.suppressed))

    title = page.gettext("%(measure)s in %(year)s by federal entity") % {
        "measure": view.measure.name,
        "year": view.year or "",
    }
    values = {e.code: e.value for e in entities if e.value is not None}
    kinds = {shade(e, {}) for e in entities if e.value is None}
    return {
        "markup": cartogram(entities, title, text),
        "title": title,
        "bands": bands(values),
        "kinds": sorted(kinds),
    }


@router.get("/missions")
def missions(page: PageDep, uow: Reader, dx: Dx = None, pe: Pe = None) -> Response:
    """The missions' indicators against targets and over time, and the map."""
    page.require(Action.READ_PUBLIC)
    view = views.overview(uow, page.principal, dx or None, pe or None)
    indicators = [m for m in view.measures if m.kind == "indicator"]
    lines = [_line(page, m, view.series[m.id], view.years) for m in indicators]
    return page.render(
        "missions/index.html",
        title=page.gettext("Missions"),
        view=view,
        indicators=indicators,
        lines=lines,
        target=lambda f: target(page, f),
        map=_map(page, view),
        threshold=DEFAULT_THRESHOLD,
        said=lambda f: said(page, f),
        difference=lambda f: difference(page, f),
        word=lambda t: word(page, t),
    )


@router.get("/missions/pathways")
def pathways(
    page: PageDep,
    uow: Reader,
    ou: Annotated[str | None, Query(max_length=50, description="This org unit and below")] = None,
) -> Response:
    """The eye-surgery and literacy pathways as funnels."""
    page.require(Action.READ_PUBLIC)
    view = views.pathways(uow, page.principal, ou or None)
    return page.render(
        "missions/pathways.html",
        title=page.gettext("Pathways"),
        view=view,
        threshold=DEFAULT_THRESHOLD,
        width=_width,
        share=_share,
        rate=lambda text: Decimal(text) / 100,  # the answer's rate is in per cent
        stage=lambda first, last=None: stage(page, first, last),
        word=lambda t: word(page, t),
    )


@router.get("/missions/units/{ou}")
def unit(page: PageDep, uow: Reader, ou: str, dx: Dx = None, pe: Pe = None) -> Response:
    """An org unit: its figures, its children (links) and the trail up to the top."""
    page.require(Action.READ_PUBLIC)
    view = views.unit_view(uow, page.principal, ou, dx or None, pe or None)
    reported = [m for m in view.measures if any(f.reported for f in view.series[m.id].values())]
    shown = [m.id for m in view.child_measures]
    busy = [(c, f) for c, f in view.children if any(f[m].reported for m in shown)]
    silent = [c for c, f in view.children if not any(f[m].reported for m in shown)]
    return page.render(
        "missions/unit.html",
        title=view.unit.name,
        view=view,
        reported=reported,
        targeted=any(m.kind == "indicator" for m in reported),
        busy=busy,
        silent=silent,
        target=lambda f: target(page, f),
        line=_line(page, view.measure, view.series[view.measure.id], view.years),
        threshold=DEFAULT_THRESHOLD,
        said=lambda f: said(page, f),
        difference=lambda f: difference(page, f),
        word=lambda t: word(page, t),
        at=_at,
    )


def _at(series: Series, measure: str, year: str | None) -> Figure:
    return series.get(measure, {}).get(year or "", views.NO_DATA)


def _width(step: Step, first: Step) -> str:
    """The bar's width class: ``w0`` … ``w100``, per cent of the first stage's (whole)."""
    if step.reached is None or not first.reached:
        return "w100"
    return f"w{int((Decimal(step.reached) * 100 / first.reached).to_integral_value())}"


def _share(part: int | None, whole: int | None) -> Decimal | None:
    """`part` of `whole` as a ratio (for the percent filter), None if unknown."""
    if part is None or not whole:
        return None
    return Decimal(part) / Decimal(whole)
