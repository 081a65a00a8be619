"""`convenio demo`: run the shipped agreement on the store and print its tables."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from convenio.cli.common import console, err_console, guard, open_store, print_json

if TYPE_CHECKING:
    from convenio.demo.run import DemoSummary
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
    from convenio.demo.run import run_demo
    from convenio.settings import get_settings

    secret = get_settings().secret_key.get_secret_value()
    with guard(), _demo_progress() as tell:
        summary = run_demo(open_store(), tell, secret)
    if as_json:
        print_json(summary.to_dict())
    else:
        _print_demo(summary, every_quarter)


@contextmanager
def _demo_progress() -> Iterator[Callable[[str, int, int], None]]:
    """A progress callback that shows a bar on stderr once the work has taken a second."""
    from rich.progress import Progress, TaskID

    started = time.monotonic()
    shown: list[tuple[Progress, TaskID]] = []

    def tell(stage: str, done: int, total: int) -> None:
        if not shown:
            if not err_console.is_terminal or time.monotonic() - started < 1:
                return
            bar = Progress(console=err_console, transient=True)
            bar.start()
            shown.append((bar, bar.add_task(stage)))
        bar, task = shown[0]
        bar.update(task, description=stage, completed=done, total=total)

    try:
        yield tell
    finally:
        for bar, _ in shown:
            bar.stop()


_QUARTER_HEADERS = (
    "period", "oil\ninvoiced", "of which\nfinanced", "services\ninvoiced", "offset\nin kind",
    "owed\nby", "net\nbefore\ncash", "cash\npaid", "carried",
)  # fmt: skip
_DEBT_HEADERS = (
    "31 Dec", "tranche\nprincipal", "short term\nunpaid", "interest\nunpaid", "Cuba\nowes",
    "Venezuela\nowes", "net", "owed\nby",
)  # fmt: skip


def _print_demo(summary: DemoSummary, every_quarter: bool) -> None:
    """The demo's summary for people: labels, quarterly statements, debt at year ends."""
    from decimal import ROUND_HALF_UP, Decimal

    from rich import box
    from rich.table import Table

    from convenio.demo.data import REPORTED_CASH, REPORTED_OIL, REPORTED_QUARTER, REPORTED_SERVICES

    def musd(cents: int) -> str:
        return f"{Decimal(cents).scaleb(-8).quantize(Decimal('0.01'), ROUND_HALF_UP):,}"

    def table(title: str, caption: str, headers: tuple[str, ...], rows: list[list[str]]) -> Table:
        # Columns never narrower than their widest cell: in 80 columns headers wrap, and
        # amounts stay whole; a space of padding on the left and the box's divider.
        found = Table(
            title=title, caption=caption, box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 0, 0, 1)
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

    rows = [
        [q.period, musd(q.oil_invoiced), musd(q.oil_financed), musd(q.services_invoiced),
         musd(q.offset), q.net_debtor or "-", musd(q.net), musd(q.cash_to_ven + q.cash_to_cub),
         musd(abs(q.carried_to_ven - q.carried_to_cub))]
        for q in summary.quarters
        if every_quarter or q.period.endswith("Q4")
    ]  # fmt: skip
    which = "every quarter" if every_quarter else "fourth quarters"
    title = f"Quarterly statements, Venezuela ↔ Cuba, M USD ({which})"
    caption = "net, cash paid and carried: owed or paid by the side in 'owed by'"
    console.print(table(title, caption, _QUARTER_HEADERS, rows))
    q = summary.quarter(REPORTED_QUARTER)
    share = (Decimal(q.oil_financed) * 100 / Decimal(q.oil_invoiced)).quantize(Decimal(1))
    console.print(
        f"{REPORTED_QUARTER} as reported: oil {musd(REPORTED_OIL)}, services "
        f"{musd(REPORTED_SERVICES)}, Venezuela owing {musd(REPORTED_SERVICES - REPORTED_OIL)}, "
        f"{musd(REPORTED_CASH)} of it paid in cash. The demo has the same oil, services and "
        f"cash, but lends {share} % of the oil ({musd(q.oil_financed)}) as tranches, which "
        f"services pay only as installments fall due: it offsets {musd(q.offset)}, and its "
        f"net of {musd(q.net)} includes services of earlier quarters still unpaid.\n",
        highlight=False,
    )

    rows = [
        [str(y.year), musd(y.tranche_principal), musd(y.short_term), musd(y.interest),
         musd(y.cuba_owes), musd(y.services), musd(abs(y.net)), y.net_debtor or "-"]
        for y in summary.year_ends
    ]  # fmt: skip
    caption = (
        "Cuba owes: tranche principal (installments due included), short-term parts and "
        "interest unpaid. Venezuela owes: services unpaid."
    )
    console.print(table("Debt at each year end, M USD", caption, _DEBT_HEADERS, rows))
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
