"""`convenio demo`: run the shipped agreement on the store and print its tables."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from convenio.cli.common import console, guard, open_store, print_json

if TYPE_CHECKING:
    from convenio.demo.run import DemoSummary, QuarterFigures
    from convenio.demo.run_missions import MissionsSummary
    from convenio.demo.run_pathways import CasesSummary, DeploymentsSummary


def demo(
    as_json: Annotated[bool, typer.Option("--json", help="The summary as JSON on stdout")] = False,
    every_quarter: Annotated[
        bool, typer.Option("--every-quarter", help="Show every quarter, not only each fourth")
    ] = False,
) -> None:
    """Run sixteen years of the Cuba–Venezuela agreement (2000–2015) on the store: the
    shipped terms, monthly prices, oil and services deliveries and cash are loaded, the
    missions built (sites, data, cooperants whose deployments give part of the services,
    a sample of cases), every quarter is settled, and the statements and the debt at
    each year end are shown. Synthetic where the public facts are silent (docs/demo.md);
    a second run changes nothing. CONVENIO_SECRET_KEY, if set, seals the cases' made-up
    personal data; it is never needed."""
    from convenio.cli.progress import progress
    from convenio.demo.run import run_demo
    from convenio.settings import get_settings

    with guard(), progress() as tell:
        secret = get_settings().secret_key.get_secret_value()
        summary = run_demo(open_store(), tell, secret)
    if as_json:
        print_json(summary.to_dict())
    else:
        _print_demo(summary, every_quarter)


_QUARTER_HEADERS = (
    "period", "oil\ninvoiced", "services\ninvoiced", "netted\nin kind", "net,\nowed by",
    "cash\npaid", "carried", "open after\nthe run\n(cumulative)",
)  # fmt: skip
_DEBT_HEADERS = (
    "year\nend", "tranche\nprincipal", "short\nterm\nunpaid", "interest\nunpaid", "Cuba\nowes",
    "not yet\ndue", "Venezuela\nowes", "net,\nowed by",
)  # fmt: skip


def _print_demo(summary: DemoSummary, every_quarter: bool) -> None:
    """The demo's summary for people: labels, quarterly statements, debt at year ends."""
    from decimal import ROUND_HALF_UP, Decimal

    from rich import box
    from rich.table import Table

    from convenio.demo.data import REPORTED_QUARTER

    def musd(cents: int) -> str:
        return f"{Decimal(cents).scaleb(-8).quantize(Decimal('0.01'), ROUND_HALF_UP):,}"

    def table(title: str, caption: str, headers: tuple[str, ...], rows: list[list[str]]) -> Table:
        # Columns never narrower than their widest cell: in 80 columns headers wrap, and
        # amounts stay whole; a space of padding on the left and the box's divider.
        found = Table(
            title=title,
            caption=caption,
            box=box.SIMPLE_HEAD,
            show_edge=False,
            pad_edge=False,
            padding=(0, 0, 0, 1),
        )
        for i, header in enumerate(headers):
            found.add_column(header, justify="right", min_width=max(len(r[i]) for r in rows))
        for row in rows:
            found.add_row(*row, style="bold" if row[0] == REPORTED_QUARTER else None)
        return found

    console.print(f"[bold]{summary.agreement}[/]: convenio demo, 2000–2015", highlight=False)
    for label in summary.labels:
        console.print(f"[dim]• {label}[/]", highlight=False)
    added = dict(summary.added)
    if any(added.values()):
        console.print(
            f"loaded {added['prices']} prices, {added['deliveries']} deliveries and "
            f"{added['payments']} payments; {added['runs']} settlement runs",
            highlight=False,
        )
    else:
        console.print("already loaded and settled in this store: nothing changed", highlight=False)

    def sided(cuba_owes: int) -> str:
        side = "CUB" if cuba_owes > 0 else "VEN" if cuba_owes < 0 else ""
        return f"{side} {musd(abs(cuba_owes))}".strip()

    def carried(q: QuarterFigures) -> str:
        # The side is the net's unless the cash turned it over.
        same = (q.quarter_carried > 0) == (q.quarter_net > 0) or not q.quarter_carried
        return musd(abs(q.quarter_carried)) if same else sided(q.quarter_carried)

    shown = [q for q in summary.quarters if every_quarter or q.period.endswith("Q4")]
    rows = [
        [q.period, musd(q.oil_invoiced), musd(q.services_invoiced), musd(q.netted),
         sided(q.quarter_net) or "-", musd(q.cash_to_ven + q.cash_to_cub), carried(q),
         sided(q.open_after) or "-"]
        for q in shown
    ]  # fmt: skip
    which = "every quarter" if every_quarter else "fourth quarters"
    title = f"Quarterly statements, Venezuela ↔ Cuba, M USD ({which})"
    caption = (
        "netted, net, cash paid, carried: the quarter's own invoices — its oil not lent "
        "against its services — owed or paid by the side the net names. Open after the run: "
        "cumulative, every claim still open after the quarter's settlement, those of "
        "earlier quarters and installments of tranches included."
    )
    console.print(table(title, caption, _QUARTER_HEADERS, rows))
    for line in _quarter_notes(summary, musd):
        console.print(line, highlight=False)

    by_period = {q.period: q for q in summary.quarters}
    rows = [
        [str(y.year), musd(y.tranche_principal), musd(y.short_term), musd(y.interest),
         musd(y.cuba_owes), musd(y.not_yet_due), musd(y.services), sided(y.net) or "-"]
        for y in summary.year_ends
    ]  # fmt: skip
    caption = (
        "At 31 December. Cuba owes: tranche principal (installments due included), "
        "short-term parts and interest unpaid; not yet due: the part of it no settlement "
        "run has taken up (installments falling due later, interest of periods not yet "
        "due). Venezuela owes: services unpaid. The net less what is not yet due is the "
        "fourth quarter's 'open after the run' above."
    )
    console.print(table("Debt at each year end, M USD", caption, _DEBT_HEADERS, rows))
    differ = [
        y
        for y in summary.year_ends
        if (q4 := by_period.get(f"{y.year}Q4")) is not None
        and y.net_debtor != ("CUB" if q4.open_after > 0 else "VEN" if q4.open_after < 0 else None)
    ]
    if differ:
        years = ", ".join(f"{y.year} ({musd(y.not_yet_due)} not yet due)" for y in differ)
        console.print(
            f"The two tables name different debtors at 31 Dec {years}: Cuba's tranches not "
            "yet due count in the debt, not in any quarter's run.\n",
            highlight=False,
        )
    if summary.missions is not None:
        _print_missions(summary.missions)
    if summary.deployments is not None:
        _print_deployments(summary.deployments, musd)
    if summary.cases is not None:
        _print_cases(summary.cases)
    console.print(
        f"ledger: {summary.transactions:,} transactions, chain head {summary.head_hash[:16]}…\n"
        "more: convenio ledger verify · convenio statement --party CUB.BNC --as-of 2011-12-31 "
        "· convenio tranches · convenio demo --every-quarter · convenio demo --json · "
        'convenio analytics query --dx LITERACY_RATE --pe 2005 --ou "VE;LEVEL-2"',
        highlight=False,
    )


def _quarter_notes(summary: DemoSummary, musd: Callable[[int], str]) -> list[str]:
    """Why nothing is netted before the compensation, where the oil lent went, and the
    reported quarter beside the demo's."""
    from convenio.demo.data import REPORTED_CASH, REPORTED_OIL, REPORTED_QUARTER, REPORTED_SERVICES

    notes = []
    netted = [q for q in summary.quarters if q.offset]
    lent = [q for q in summary.quarters if q.oil_financed]
    if netted and summary.compensation is not None:
        first = netted[0]
        version, effective = summary.compensation
        notes.append(
            f"Nothing is netted before {first.period}: until terms version {version} "
            f"({effective}) names the two parties that settle for their states (VEN.PDVSA "
            "and CUB.BNC), oil (VEN.PDVSA ↔ CUB.CUPET) and services (CUB ↔ VEN) settle in "
            f"separate runs and both stay open; the {first.period} run nets what they "
            f"carried at once ({musd(first.offset)} offset in kind)."
        )
    if lent:
        notes.append(
            f"Oil lent as tranches: {musd(sum(q.oil_financed for q in lent))} M USD from "
            f"{lent[0].period} to {lent[-1].period} (the ACEC and ALBA bands); none after: "
            "the compensation nets each invoice whole (terms: financed_parts: netted). "
            "Their installments and interest fall due until they mature and are netted too."
        )
    q = summary.quarter(REPORTED_QUARTER)
    notes.append(
        f"{REPORTED_QUARTER} as reported: oil {musd(REPORTED_OIL)}, services "
        f"{musd(REPORTED_SERVICES)}, Venezuela owing {musd(REPORTED_SERVICES - REPORTED_OIL)}, "
        f"{musd(REPORTED_CASH)} of it paid in cash and "
        f"{musd(REPORTED_SERVICES - REPORTED_OIL - REPORTED_CASH)} carried (in PDVSA "
        f"securities). The demo's quarter: oil {musd(q.oil_invoiced)}, services "
        f"{musd(q.services_invoiced)}, Venezuela owing {musd(-q.quarter_net)}, cash "
        f"{musd(q.cash_to_cub)}, carried {musd(-q.quarter_carried)}. Its run also offset "
        f"{musd(q.offset - q.netted)} of claims of earlier quarters (installments and "
        "interest of the 2000–2005 tranches falling due)."
    )
    return [*notes[:-1], notes[-1] + "\n"]


_MISSION_HEADERS = (
    "year", "Barrio Adentro\nconsultations", "per 1,000\npeople", "Robinson\ntaught",
    "literate\n15+ %", "Milagro\nsurgeries", "per 100,000\npeople",
)  # fmt: skip


def _print_missions(missions: MissionsSummary) -> None:
    """The missions section: what was loaded, Venezuela by year, literacy by state."""
    from decimal import Decimal

    from rich import box
    from rich.table import Table

    def count(n: int | None) -> str:
        return "-" if n is None else f"{n:,}"

    def rate(d: Decimal | None, flag: str | None = None) -> str:
        return "-" if d is None else f"{d:,f}" + (" *" if flag else "")

    console.print("\n[bold]Missions in Venezuela[/]", highlight=False)
    for label in missions.labels:
        console.print(f"[dim]• {label}[/]", highlight=False)
    added, sizes = dict(missions.added), dict(missions.sizes)
    if any(added.values()):
        console.print(
            f"loaded {added['org_units']:,} org units ({sizes['federal_entities']} federal "
            f"entities, {sizes['municipalities']} municipalities, {sizes['popular_clinics']:,} "
            f"popular clinics, {sizes['cdi']} CDI, {sizes['milagro_centres']} Milagro "
            f"centres), the metadata and {added['values']:,} data values",
            highlight=False,
        )
    else:
        console.print("missions already loaded in this store: nothing changed", highlight=False)
    found = Table(
        title="Missions by year, Venezuela (analytics; * more than 96 %: free of illiteracy)",
        box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 0, 0, 1),
    )  # fmt: skip
    for header in _MISSION_HEADERS:
        found.add_column(header, justify="right")
    for r in missions.by_year:
        found.add_row(
            r.year, count(r.consultations), rate(r.consultations_per_1000),
            count(r.people_taught), rate(r.literacy_rate, r.literacy_flag), count(r.surgeries),
            rate(r.surgeries_per_100k),
        )  # fmt: skip
    found.caption = (
        f"in all: {missions.total('consultations'):,} consultations, "
        f"{missions.total('people_taught'):,} taught, {missions.total('surgeries'):,} surgeries"
    )
    console.print(found)
    flagged = [s for s in missions.states if s.flag_2005]
    before = [s for s in missions.states if s.rate_2004 is not None and s.rate_2004 > 96]
    grid = Table(
        title=(
            f"Literate aged 15+ in 2005, % (* over 96 %: {len(flagged)} of "
            f"{len(missions.states)} federal entities; {len(before)} in 2004)"
        ),
        box=None, show_header=False, pad_edge=False, padding=(0, 0, 0, 1),
    )  # fmt: skip
    columns = 4
    for _ in range(columns):
        grid.add_column()
        grid.add_column(justify="right")
    states = missions.states
    for start in range(0, len(states), columns):
        cells = [(s.name, rate(s.rate_2005, s.flag_2005)) for s in states[start : start + columns]]
        grid.add_row(*(text for cell in cells for text in cell))
    console.print(grid)
    console.print()


def _print_deployments(found: DeploymentsSummary, musd: Callable[[int], str]) -> None:
    """What was deployed, and the share of the services its person-months became."""
    from decimal import ROUND_HALF_UP, Decimal

    people = dict(found.cooperants)
    spans = ", ".join(f"{people[p]:,} {p}s {first} to {last}" for p, first, last in found.spans)
    percent = (Decimal(100 * found.value) / Decimal(found.services_value or 1)).quantize(
        Decimal("0.1"), ROUND_HALF_UP
    )
    converted = (
        f"{found.deliveries} monthly services deliveries, {musd(found.value)} M USD "
        f"({percent} % of the services; the rest is invoiced by quarter)"
    )
    if any(dict(found.added).values()):
        console.print(
            f"deployed {sum(people.values()):,} Cuban cooperants ({spans}); their "
            f"person-months became {converted}",
            highlight=False,
        )
    else:
        console.print(
            "cooperants already deployed and converted in this store: nothing changed; "
            f"their person-months are {converted}",
            highlight=False,
        )


_CASES_HEADERS = (
    "pathway", "started", "completed", "completion\n%", "median\ndays", "from → to",
)  # fmt: skip


def _stopped(stopped_at: dict[str, int | None]) -> str:
    """How many stopped where: each stage, the 65 classes in thirds."""
    bands: dict[str, int] = {}
    for stage, n in stopped_at.items():
        band = stage
        if stage.startswith("lesson-"):
            low = 1 + (int(stage.removeprefix("lesson-")) - 1) // 22 * 22
            band = f"lessons {low}–{min(low + 21, 65)}"
        bands[band] = bands.get(band, 0) + (n or 0)
    return ", ".join(f"{n:,} {band}" for band, n in bands.items()) or "none"


def _print_cases(found: CasesSummary) -> None:
    """The pathways of the sample, as `convenio cases indicators` computes them."""
    from rich import box
    from rich.table import Table

    from convenio.missions.cases import PATHWAYS

    for label in found.labels:
        console.print(f"[dim]• {label}[/]", highlight=False)
    sample, added = dict(found.sample), dict(found.added)
    if found.personal_data:
        console.print(
            f"personal data: made-up names and ids of the {sample['cases']:,} cases sealed "
            f"under CONVENIO_SECRET_KEY ({added['people']:,} written now)",
            highlight=False,
        )
    else:
        console.print(
            "personal data: none (CONVENIO_SECRET_KEY not set): events under pseudonyms only",
            highlight=False,
        )
    if added["events"]:
        console.print(
            f"loaded {added['cases']:,} cases and {added['events']:,} events", highlight=False
        )
    else:
        console.print("cases already loaded in this store: nothing changed", highlight=False)
    table = Table(
        title="Pathways of the sample (convenio cases indicators)",
        box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 0, 0, 1),
    )  # fmt: skip
    for header in _CASES_HEADERS:
        left = header in ("pathway", "from → to")
        table.add_column(header, justify="left" if left else "right", no_wrap=left)
    stops = []
    for row in found.indicators:
        pathway = PATHWAYS[row["pathway"]]
        table.add_row(
            row["pathway"], f"{row['started']:,}", f"{row['completed']:,}",
            row["completion_rate"] or "-", row["median_days"] or "-",
            f"{pathway.start} → {pathway.done}",
        )  # fmt: skip
        stops.append(f"{row['pathway']}: {_stopped(row['stopped_at'])}")
    console.print(table)
    console.print(
        "stopped before completion, at their last stage — " + "; ".join(stops) + "\n",
        highlight=False,
    )
