"""`convenio demo` end to end: the real command on a fresh embedded store in a temporary
data directory — run twice for the module (the slow part: the tables first, then
`--json` on the same store, which must change nothing) — then inspected: the reported
quarter, the ledger verifying, and the debt of the summary agreeing with the statements
the services give."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from convenio.cli.main import app
from convenio.services.settlement import party_statement
from convenio.settings import get_settings
from convenio.store import Head, Store
from convenio.units import parse_minor


class Demo:
    """The CLI on one data directory; what the first run printed, the ledger head after
    it, and the summary of the second run (`--json`)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.runner = CliRunner()
        self.text = ""
        self.head_after_first: Head | None = None
        self.summary: dict[str, Any] = {}

    def __call__(self, *args: str) -> Result:
        result = self.runner.invoke(app, list(args))
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
        return result

    def head(self) -> Head:
        store = Store(get_settings().store_url)
        try:
            with store.unit_of_work() as uow:
                return uow.ledger.head()
        finally:
            store.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    data_dir = tmp_path_factory.mktemp("demo") / "data"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONVENIO_DATA_DIR", str(data_dir))
        patch.setenv("CONVENIO_DATABASE_URL", "")
        patch.delenv("CONVENIO_SECRET_KEY", raising=False)  # the demo needs no key
        patch.setenv("COLUMNS", "120")
        get_settings.cache_clear()
        runner = Demo(data_dir)
        runner.text = " ".join(runner("demo").stdout.split())
        runner.head_after_first = runner.head()
        runner.summary = dict(json.loads(runner("demo", "--json").stdout))
        yield runner
    get_settings.cache_clear()


def quarter(summary: dict[str, Any], period: str) -> dict[str, Any]:
    (found,) = [dict(q) for q in summary["quarters"] if q["period"] == period]
    return found


def test_the_first_run_loads_everything_into_a_fresh_store(demo: Demo) -> None:
    assert (demo.data_dir / "convenio.db").is_file()
    # 356 cargoes and 311 quarterly services invoices, less the 13 of the doctors
    # (2003Q2-2006Q2) and the 46 of the ophthalmologists (2004Q3-2015Q4) whose months
    # come from deployments instead: 39 + 138 monthly deliveries. 356 + 252 + 177 = 785.
    # Payments: 7 for the early supply, the reported one, and 34 quarters of the
    # compensation in which Venezuela's services are worth more than the oil.
    assert "loaded 192 prices, 785 deliveries and 42 payments; 76 settlement runs" in demo.text
    assert "Debt at each year end" in demo.text and "Synthetic prices" in demo.text
    periods = [q["period"] for q in demo.summary["quarters"]]
    assert periods[0] == "2000Q4" and periods[-1] == "2015Q4" and len(periods) == 61
    assert [y["date"] for y in demo.summary["year_ends"]] == [
        f"{year}-12-31" for year in range(2000, 2016)
    ]
    assert any("Synthetic" in label for label in demo.summary["labels"])


def test_a_second_run_changes_nothing(demo: Demo) -> None:
    assert demo.summary["added"] == {"prices": 0, "deliveries": 0, "payments": 0, "runs": 0}
    head = demo.head()
    assert head == demo.head_after_first
    assert demo.summary["ledger"] == {"transactions": head.seq, "head_hash": head.hash}


REPORTED = {"oil": "1,002.55", "services": "1,275.00", "owed": "272.45", "cash": "163.47",
            "carried": "108.98"}  # fmt: skip
"""Q4 2011 as reported, M USD: oil, services, Venezuela owing their difference, the cash
paid and the rest carried (in PDVSA securities)."""


def test_the_reported_quarter_in_the_json(demo: Demo) -> None:
    """2011Q4, the quarter's own figures: the compensation nets the whole oil invoice
    (terms: financed_parts: netted) against the services. By hand, in cents:
    1,275,000,000.00 − 1,002,550,000.00 = 272,450,000.00 owed by Venezuela;
    272,450,000.00 − 163,470,000.00 cash = 108,980,000.00 carried."""
    q = quarter(demo.summary, "2011Q4")
    assert q["runs"] == 1
    assert q["oil_invoiced"] == "1002550000.00" and q["oil_financed"] == "0.00"
    assert q["oil_short_term"] == "1002550000.00"  # nothing lent
    assert q["services_invoiced"] == "1275000000.00"
    own = q["quarter"]
    assert own["netted"] == "1002550000.00"
    assert own["net"] == {"debtor": "VEN", "amount": "272450000.00"}
    assert q["cash_to_cub"] == "163470000.00" and q["cash_to_ven"] == "0.00"
    assert own["carried"] == {"debtor": "VEN", "amount": "108980000.00"}
    # The run, cumulative: it offset the quarter's oil and the installments and interest
    # of 2000-2005 tranches falling due, every claim Venezuela held; what stays open is
    # Venezuela's, from this and earlier quarters.
    assert q["offset"] == q["due_to_ven"] and q["carried_to_ven"] == "0.00"
    offset = parse_minor(q["offset"], 2)
    assert offset > parse_minor(own["netted"], 2)
    assert q["open_after"] == {"debtor": "VEN", "amount": q["carried_to_cub"]}


def test_the_reported_quarter_in_the_printed_table(demo: Demo) -> None:
    r = REPORTED
    # period, oil, services, netted in kind, net owed by, cash, carried, open after
    cells = [r["oil"], r["services"], r["oil"], "VEN", r["owed"], r["cash"], r["carried"]]
    row = "2011Q4 " + " ".join(re.escape(c) for c in cells) + r" VEN [\d,]+\.\d\d "
    assert re.search(row, demo.text), row
    sentence = (
        f"The demo's quarter: oil {r['oil']}, services {r['services']}, Venezuela owing "
        f"{r['owed']}, cash {r['cash']}, carried {r['carried']}."
    )
    assert sentence in demo.text
    assert "Open after the run: cumulative" in demo.text  # the caption says so
    assert "Nothing is netted before 2005Q2: until terms version petrocaribe-2005" in demo.text


def test_the_two_tables_tell_the_same_story_at_each_year_end(demo: Demo) -> None:
    """For every year: what the year-end table says each side owes, less Cuba's tranches
    not yet due, is exactly what the fourth quarter's run left open — so the two name the
    same debtor, or the printed note names the year and what is not yet due."""
    for year in demo.summary["year_ends"]:
        q4 = quarter(demo.summary, year["date"][:4] + "Q4")
        cuba = parse_minor(year["cuba_owes"]["total"], 2)
        later = parse_minor(year["cuba_owes"]["not_yet_due"], 2)
        venezuela = parse_minor(year["venezuela_owes"]["services"], 2)
        open_after = parse_minor(q4["carried_to_ven"], 2) - parse_minor(q4["carried_to_cub"], 2)
        assert cuba - later - venezuela == open_after, year["date"]
        signed = {"CUB": 1, "VEN": -1, None: 0}
        net = signed[year["net"]["debtor"]] * parse_minor(year["net"]["amount"], 2)
        assert net == cuba - venezuela
        assert year["net_due"]["debtor"] == q4["open_after"]["debtor"]
        if year["net"]["debtor"] != q4["open_after"]["debtor"]:
            note = "different debtors at 31 Dec"
            assert note in demo.text and f"{year['date'][:4]} (" in demo.text, year["date"]


def test_before_the_compensation_oil_and_services_settle_apart(demo: Demo) -> None:
    q = quarter(demo.summary, "2004Q4")
    assert q["runs"] == 2 and q["offset"] == "0.00" and q["quarter"]["netted"] == "0.00"
    assert demo.summary["compensation"] == {
        "version": "petrocaribe-2005",
        "effective": "2005-06-29",
    }
    assert quarter(demo.summary, "2005Q2")["runs"] == 1  # VEN.PDVSA and CUB.BNC from here on
    assert quarter(demo.summary, "2005Q2")["carried_to_ven"] == "0.00"


def test_the_ledger_verifies(demo: Demo) -> None:
    demo("ledger", "verify")


def test_no_quarter_overpays(demo: Demo) -> None:
    store = Store(get_settings().store_url)
    try:
        with store.unit_of_work() as uow:
            runs = uow.financing.runs()
    finally:
        store.close()
    assert len(runs) == 76
    assert {d["overpaid"] for run in runs for d in run.statement["directions"]} == {"0.00"}


def test_the_year_end_debt_agrees_with_the_party_statement(demo: Demo) -> None:
    """The summary reads the ledger's payables; `party_statement` reads the claims, the
    tranches and the allocations: the two agree (2011, under the PDVSA–BNC settlement)."""
    store = Store(get_settings().store_url)
    try:
        with store.unit_of_work() as uow:
            report = party_statement(uow, "CUB.BNC", date(2011, 12, 31))
    finally:
        store.close()

    def total(rows: list[dict[str, str]], field: str, **match: str) -> int:
        return sum(
            parse_minor(r[field], 2) for r in rows if all(r[k] == v for k, v in match.items())
        )

    (year,) = [y for y in demo.summary["year_ends"] if y["date"] == "2011-12-31"]
    cuba = {k: parse_minor(v, 2) for k, v in year["cuba_owes"].items()}
    claims = report["claims"]
    assert cuba["tranche_principal"] == total(
        report["tranche_principal"], "outstanding", direction="payable"
    )
    assert cuba["short_term"] == total(
        claims, "outstanding", direction="payable", type="short-term"
    )
    assert cuba["interest"] == total(
        claims, "outstanding", direction="payable", type="interest"
    ) + total(report["accrued_interest_not_due"], "amount", direction="payable")
    assert parse_minor(year["venezuela_owes"]["services"], 2) == total(
        claims, "outstanding", direction="receivable", type="services"
    )


def test_the_missions_are_loaded_once(demo: Demo) -> None:
    assert "Missions by year, Venezuela" in demo.text
    assert "loaded 2,342 org units" in demo.text  # 1 + 24 + 90 + 2,113 + 90 + 24
    missions = demo.summary["missions"]
    assert missions["added"] == {"org_units": 0, "metadata": 0, "values": 0}
    # Reported: Robinson's 1,482,543 taught, Milagro's 3,927,406 less 1,648,147 abroad.
    assert missions["totals"]["people_taught"] == 1_482_543
    assert missions["totals"]["surgeries"] == 3_927_406 - 1_648_147
    states = missions["literacy_by_state"]
    assert len(states) == 24 and all(s["flag_2005"] == "free of illiteracy" for s in states)


def test_the_missions_section_is_what_analytics_answers(demo: Demo) -> None:
    """The summary's table by year and literacy by state, against `convenio analytics
    query --json` over the same store."""
    missions = demo.summary["missions"]
    rows = json.loads(
        demo(
            "analytics", "query", "--dx", "CONSULT;ROB_TAUGHT;MIL_SURGERY;LITERACY_RATE",
            "--pe", "2004;2005;2011", "--ou", "VE", "--json",
        ).stdout
    )  # fmt: skip
    answer = {(r["dx"], r["pe"]): r for r in rows}
    by_year = {y["year"]: y for y in missions["by_year"]}
    for year in ("2004", "2005", "2011"):
        for dx, field in (
            ("CONSULT", "consultations"), ("ROB_TAUGHT", "people_taught"),
            ("MIL_SURGERY", "surgeries"),
        ):  # fmt: skip
            found = answer.get((dx, year))
            assert by_year[year][field] == (None if found is None else int(found["value"]))
    assert by_year["2005"]["literacy_rate"] == answer["LITERACY_RATE", "2005"]["value"]
    assert by_year["2005"]["literacy_flag"] == answer["LITERACY_RATE", "2005"]["flag"]
    rows = json.loads(
        demo("analytics", "query", "--dx", "LITERACY_RATE", "--pe", "2005", "--ou",
             "VE;LEVEL-2", "--json").stdout
    )  # fmt: skip
    assert {r["ou"]: r["value"] for r in rows} == {s["ou"]: s["2005"] for s in
                                                   missions["literacy_by_state"]}  # fmt: skip


def test_the_deployments_are_the_services_of_their_months(demo: Demo) -> None:
    """Barrio Adentro's doctors of December 2003 (reported: over 10,000) are deployed,
    counted by `convenio deployments person-months`, and already converted: converting
    the quarter again changes nothing."""
    assert "deployed 13,500 Cuban cooperants" in demo.text
    deployed = demo.summary["deployments"]
    assert deployed["added"] == {"cooperants": 0, "deployments": 0, "months": 0, "deliveries": 0}
    assert deployed["cooperants"] == {"doctor": 12_000, "ophthalmologist": 1_500}
    rows = json.loads(demo("deployments", "person-months", "2003-12", "--json").stdout)
    assert sum(parse_minor(r["person_months"], 2) for r in rows) == 10_000 * 100
    again = json.loads(demo("services", "from-deployments", "2003Q4", "--json").stdout)
    assert again["converted"] == [] and again["unchanged"] == ["2003-10", "2003-11", "2003-12"]


def test_the_pathways_are_what_the_cases_service_answers(demo: Demo) -> None:
    """Without a key the demo loads events only and says so; its pathways table and
    JSON are `convenio cases indicators --json` over the same store."""
    assert "personal data: none (CONVENIO_SECRET_KEY not set)" in demo.text
    cases = demo.summary["cases"]
    assert cases["added"] == {"cases": 0, "events": 0, "people": 0}
    assert cases["personal_data"] is False
    for pathway in ("eye-surgery", "literacy"):
        answer = json.loads(demo("cases", "indicators", "--pathway", pathway, "--json").stdout)
        assert cases["indicators"][pathway] == answer
        done = "operated" if pathway == "eye-surgery" else "graduated"
        row = (
            f"{pathway} {answer['started']:,} {answer['completed']:,} "
            f"{answer['completion_rate']} {answer['median_days']} "
        )
        assert row in demo.text and f" → {done}" in demo.text
    assert sum(cases["indicators"]["eye-surgery"]["stopped_at"].values()) == (
        cases["indicators"]["eye-surgery"]["started"]
        - cases["indicators"]["eye-surgery"]["completed"]
    )


def test_with_a_key_the_sample_carries_sealed_made_up_people(tmp_path: Path) -> None:
    """The cases part alone on a store of its own (40 of the sample's cases), under a key:
    every case gets its personal data, sealed, readable with the key, and the
    indicators do not change."""
    from convenio.demo.cases import DemoCases, demo_cases
    from convenio.demo.missions import missions_inputs
    from convenio.demo.run_pathways import load_cases
    from convenio.services.cases import read_person
    from convenio.services.missions import load_org_unit_rows

    key = "a demo key of at least thirty-two characters"
    store = Store(f"sqlite:///{tmp_path / 'cases.db'}")
    try:
        units = missions_inputs().org_units
        with store.unit_of_work(write=True) as uow:
            load_org_unit_rows(uow, units, date(2003, 1, 1), "test")
        full = demo_cases(units)
        few = {f"{kind}-{i:05d}" for kind in ("MIL", "ROB") for i in range(1, 21)}
        sample = DemoCases(
            tuple(e for e in full.events if e.case in few),
            tuple(p for p in full.people if p.case_id in few),
        )
        without = load_cases(store, sample)
        sealed = load_cases(store, sample, key)
        again = load_cases(store, sample, key)
        with store.unit_of_work() as uow:
            person = read_person(uow, "MIL-00001", key)
    finally:
        store.close()
    assert dict(without.added)["people"] == 0 and not without.personal_data
    assert dict(sealed.added) == {"cases": 0, "events": 0, "people": len(sample.people)}
    assert dict(again.added) == {"cases": 0, "events": 0, "people": 0}
    assert sealed.personal_data and sealed.indicators == without.indicators
    assert person is not None and person["name"] == "SYNTHETIC patient 0001"


def test_an_earlier_demos_invoice_for_converted_months_stops_the_deployments(
    tmp_path: Path,
) -> None:
    """A store holding a quarterly invoice for months the deployments now give (as an
    earlier demo left it) is refused before any cooperant is written: converting would
    count those months twice."""
    from convenio.demo.data import demo_inputs
    from convenio.demo.deployments import demo_deployments
    from convenio.demo.missions import missions_inputs
    from convenio.demo.run import TERMS
    from convenio.demo.run_pathways import load_deployments
    from convenio.errors import ConflictError
    from convenio.financing import Delivery
    from convenio.services.financing import load_terms_file, record_deliveries
    from convenio.terms import ItemKind

    store = Store(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        with store.unit_of_work(write=True) as uow:
            agreement, _ = load_terms_file(uow, TERMS)
        old = Delivery(
            "svc-2003Q2-doctor", date(2003, 6, 30), "CUB", "VEN", ItemKind.SERVICES, "doctor",
            100, "person-month",
        )  # fmt: skip
        with store.unit_of_work(write=True) as uow:
            record_deliveries(uow, agreement, [old], "an earlier demo")
        services = [d for d in demo_inputs(agreement).deliveries if d.kind is ItemKind.SERVICES]
        with pytest.raises(ConflictError, match="svc-2003Q2-doctor"):
            load_deployments(store, demo_deployments(missions_inputs().org_units), services)
        with store.unit_of_work() as uow:
            assert uow.deployments.cooperants() == {}
    finally:
        store.close()


def test_every_stage_of_the_progress_moves_to_its_end(demo: Demo) -> None:
    """The demo tells its progress as it goes: every stage is told more than once, never
    goes back, and ends with all its steps done (a run on the same store, which changes
    nothing)."""
    from convenio.demo.run import run_demo

    told: dict[str, list[tuple[int, int]]] = {}
    store = Store(get_settings().store_url)
    try:
        run_demo(store, lambda stage, done, total: told.setdefault(stage, []).append((done, total)))
    finally:
        store.close()
    assert list(told) == [
        "loading the terms and prices", "loading deliveries", "loading the missions",
        "deploying cooperants", "loading cases", "settling quarters", "summarising",
    ]  # fmt: skip
    for stage, calls in told.items():
        assert len(calls) > 1, stage
        assert [done for done, _ in calls] == sorted(done for done, _ in calls), stage
        done, total = calls[-1]
        assert done == total > 0, stage
    assert demo.head() == demo.head_after_first
