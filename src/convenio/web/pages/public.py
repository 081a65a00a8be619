"""The public page: what anyone may read without signing in, and how to cite it.

The settled statements (every settled run not reopened, newest first, each linking to
its statement page), the mission results and the pathways exactly as the public's API
answers them (small counts suppressed: `GET /api/v1/analytics`,
``/api/v1/indicators/pathways`` with no token), the latest signed checkpoint of the log,
and a permanent address to cite: ``/public?as_of=YYYY-MM-DD&log=N`` names the day and
the size of the log whose root the citation gives. The data is one call of
`convenio.services.published.published`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query
from starlette.responses import Response

from convenio.api.deps import Reader
from convenio.auth import Action
from convenio.services.published import Published, published
from convenio.web.i18n import mark as _
from convenio.web.render import Page, PageDep

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


PATHWAY_NAMES = {
    "eye-surgery": _("Eye surgery (Misión Milagro)"),
    "literacy": _("Literacy (Misión Robinson)"),
}


@router.get("/public")
def public_page(
    page: PageDep,
    uow: Reader,
    as_of: Annotated[
        date | None, Query(description="The day (ISO); default: the last settled")
    ] = None,
    log: Annotated[int | None, Query(description="The log size a citation names")] = None,
) -> Response:
    page.require(Action.READ_PUBLIC)
    found = published(uow, as_of, log)
    return page.render(
        "public/public.html",
        title=page.gettext("Published statements and mission results"),
        pub=found,
        citation=citation(page, found),
        pathway_names={k: page.gettext(v) for k, v in PATHWAY_NAMES.items()},
        run_path=run_path,
    )


def run_path(run_id: str) -> str:
    """The statement page of a run (its id holds ``:``, kept as is)."""
    return "/settlement/runs/" + quote(run_id, safe=":")


def cite_path(found: Published) -> str:
    """The permanent address of the page as cited: its day and the log's size."""
    return f"/public?as_of={found.as_of.isoformat()}&log={found.cited_size}"


def citation(page: Page, found: Published) -> dict[str, str]:
    """The address to cite (absolute, on this server) and a suggested citation."""
    base = str(page.request.base_url).rstrip("/")
    url = base + cite_path(found)
    text = page.gettext(
        "%(agreement)s. Published settled statements and mission results as of %(day)s; "
        "transparency log %(origin)s, %(size)s entries, root %(root)s. %(url)s "
        "(consulted on %(today)s)."
    ) % {
        "agreement": found.agreement,
        "day": page.formats.date(found.as_of, "long"),
        "origin": found.log_origin,
        "size": page.formats.number(found.cited_size),
        "root": found.cited_root,
        "url": url,
        "today": page.formats.date(date.today(), "long"),
    }
    return {"url": url, "path": cite_path(found), "text": text}
