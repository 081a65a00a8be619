"""The demo's Cuban cooperants and their deployments at the missions' sites, as values.

For the professions and months of `convenio.demo.headcounts.CONVERTED`, the demo's services
are not invoiced by hand but come from deployments, as a coordinator would keep them:
`demo_deployments` registers as many cooperants as `HEADCOUNTS` gives for each month and
deploys each at a site of its mission for whole months (from the 1st of the month it
arrives to the last day of the profession's last converted month), so that the
person-months of every month are exactly the headcount; `convenio.demo.run_pathways`
loads them and converts them into services deliveries before any quarter is settled.
Pure: org units in, cooperants and deployments out.

Synthetic (named so in the docs): the ids, the sites, and that each post is one
cooperant from arrival to the end of the window — tours and rotations are not modelled.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from convenio.demo.headcounts import CONVERTED, headcount, month_end, months
from convenio.missions import OrgUnitRow
from convenio.missions.deployments import Cooperant, Deployment

__all__ = [
    "HOME_PARTY",
    "MISSION_OF",
    "SITES",
    "DemoDeployments",
    "demo_deployments",
]

HOME_PARTY: Final = "CUB"
"""The cooperants' home party (the terms' flow of services runs from CUB to VEN)."""

SITES: Final[Mapping[str, tuple[str | int, ...]]] = MappingProxyType(
    {
        "doctor": ("-CP", "-CDI"),
        "nurse": ("-CDI", "-CP"),
        "ophthalmologist": ("-MIL",),
        "teacher": (3,),
        "sports-trainer": (3,),
        "agronomist": (2,),
    }
)
"""ASSUMPTION: where each profession works: doctors in the popular clinics and the CDI
of each municipality (Barrio Adentro), nurses likewise, ophthalmologists in the Milagro
centres; teachers and sports trainers at a municipality (level 3: Robinson's classes are
held in the community), agronomists at a federal entity (level 2). A text is the mark of
a facility's id (``-CP``), a number an org unit level."""

MISSION_OF: Final = MappingProxyType(
    {
        "doctor": "BARRIO_ADENTRO",
        "nurse": "BARRIO_ADENTRO",
        "ophthalmologist": "MILAGRO",
        "teacher": "ROBINSON",
    }
)
"""The mission a profession's deployments are for (none for the others)."""

_CODE: Final = MappingProxyType(
    {
        "doctor": "DOC",
        "nurse": "NUR",
        "ophthalmologist": "OPH",
        "teacher": "TEA",
        "sports-trainer": "SPO",
        "agronomist": "AGR",
    }
)


@dataclass(frozen=True, slots=True)
class DemoDeployments:
    """The cooperants and their deployments, in id order within each profession."""

    cooperants: tuple[Cooperant, ...]
    deployments: tuple[Deployment, ...]


def _sites(profession: str, org_units: Sequence[OrgUnitRow]) -> list[str]:
    """The sites of `profession`, interleaved by parent: the first of every
    municipality (or entity), then the second of each, … — so that consecutive posts go
    to different places and every site gets its share as the headcount grows."""
    by_parent: dict[str, list[str]] = defaultdict(list)
    for mark in SITES[profession]:
        for row in org_units:
            v = row.version
            if (v.level == mark) if isinstance(mark, int) else (v.level == 4 and mark in v.uid):
                by_parent[v.parent or ""].append(v.uid)
    groups = list(by_parent.values())
    depth = max(len(g) for g in groups)
    return [g[i] for i in range(depth) for g in groups if i < len(g)]


def demo_deployments(org_units: Sequence[OrgUnitRow]) -> DemoDeployments:
    """Cooperants and deployments of every profession of `CONVERTED`: post *k* (1, 2, …)
    is filled from the first month whose headcount reaches *k* to the end of the
    profession's last converted month, at the *k*-th site in turn (`SITES`). Whole
    months, so the person-months of a month are its headcount exactly; the headcount of
    a converted profession never falls within its months (`ValueError` if it did)."""
    cooperants: list[Cooperant] = []
    deployments: list[Deployment] = []
    for profession, (first, last) in CONVERTED.items():
        sites = _sites(profession, org_units)
        end = month_end(last)
        posts = 0
        for month in months(first, last):
            wanted = headcount(profession, month)
            if wanted < posts:
                raise ValueError(f"{profession}: the headcount falls in {month:%Y-%m}")
            for k in range(posts, wanted):
                uid = f"{_CODE[profession]}-{k + 1:05d}"
                cooperants.append(Cooperant(f"CU-{uid}", profession, HOME_PARTY))
                deployments.append(
                    Deployment(
                        f"DP-{uid}",
                        f"CU-{uid}",
                        sites[k % len(sites)],
                        month,
                        end,
                        MISSION_OF.get(profession),
                    )
                )
            posts = wanted
    return DemoDeployments(tuple(cooperants), tuple(deployments))
