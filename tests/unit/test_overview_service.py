"""The overview's and the public page's data (convenio.services.overview) on the demo's
store, checked against what the engine says by other roads: the ledger's payables (the
demo's debt at each year end), every party's statement, the tranches' schedules, the
public's analytics, the log's tree."""

from __future__ import annotations

import shutil
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from convenio.auth import ANONYMOUS, Principal, Role
from convenio.cli.main import app
from convenio.demo.figures import year_end
from convenio.errors import InputError
from convenio.log import b64, tree_hash
from convenio.services import analytics, cases, ledger, log, settlement
from convenio.services.financing import current_agreement
from convenio.services.overview import overview
from convenio.services.published import published
from convenio.store import Store, UnitOfWork
from convenio.terms import state_of
from convenio.units import to_decimal
from tests.conftest import ConvenioEnv

AUDITOR = Principal("auditor", Role.AUDITOR)
VEN_TREASURY = Principal("ven-treasury", Role.TREASURY, party="VEN")
CUB_COMMISSION = Principal("cub-commission", Role.COMMISSION, party="CUB")


@pytest.fixture(scope="module")
def uow(demo_store: Path) -> Iterator[UnitOfWork]:
    store = Store(f"sqlite:///{demo_store / 'convenio.db'}")
    try:
        with store.unit_of_work() as work:
            yield work
    finally:
        store.close()


def payables(uow: UnitOfWork, day: date) -> dict[tuple[str, str, str], Decimal]:
    """Every debt on `day` from the ledger's payables, by debtor state, creditor state and
    claim type, in USD: the demo's way to its debt at each year end."""
    found: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for row in ledger.balances(uow, as_of=day):
        debtor, kind, *rest = row.account.split("/")
        if kind == "payable" and len(rest) == 2 and row.unit == "USD":
            found[state_of(debtor), state_of(rest[1]), rest[0]] -= to_decimal(row.balance, 2)
    return found


def test_the_net_at_2011_12_31_is_the_sum_of_the_ledgers_parts(uow: UnitOfWork) -> None:
    day = date(2011, 12, 31)
    found = overview(uow, AUDITOR, day)
    parts = payables(uow, day)
    cuba = sum(v for (d, c, _), v in parts.items() if (d, c) == ("CUB", "VEN"))
    venezuela = sum(v for (d, c, _), v in parts.items() if (d, c) == ("VEN", "CUB"))
    (net,) = found.nets
    assert (net.first, net.second) == ("CUB", "VEN")
    assert (net.first_owes, net.second_owes) == (cuba, venezuela)
    assert net.debtor == "VEN" and net.amount == venezuela - cuba
    # Worked by hand from the demo's ledger on that day: 308,840,255.03 of principal and
    # 768,939.89 of interest owed by Cuba, 2,418,930,415.80 of services by Venezuela.
    assert cuba == Decimal("308840255.03") + Decimal("768939.89")
    assert venezuela == Decimal("2418930415.80")
    assert net.amount == Decimal("2109321220.88")
    by_kind = {
        "principal": sum(d.principal for d in found.debts if state_of(d.debtor) == "CUB"),
        "interest": sum(d.interest for d in found.debts if state_of(d.debtor) == "CUB"),
        "services": sum(d.services for d in found.debts if state_of(d.debtor) == "VEN"),
    }
    assert by_kind == {
        "principal": parts["CUB", "VEN", "financed"],
        "interest": parts["CUB", "VEN", "interest"] + parts["CUB", "VEN", "late-interest"],
        "services": parts["VEN", "CUB", "services"],
    }


def test_the_position_by_quarter_is_the_debt_at_each_year_end(uow: UnitOfWork) -> None:
    found = overview(uow, AUDITOR, date(2015, 12, 31))
    (series,) = found.series
    assert series.currency == "USD"
    assert series.directions == (("CUB", "VEN"), ("VEN", "CUB"))
    assert series.days[0] == date(2000, 12, 31) and series.days[-1] == date(2015, 12, 31)
    assert len(series.days) == 61
    for year in range(2000, 2016):
        at = series.days.index(date(year, 12, 31))
        debt = year_end(uow, year)
        assert series.owed[0][at] == to_decimal(debt.cuba_owes, 2), year
        assert series.owed[1][at] == to_decimal(debt.services, 2), year
    (net,) = found.nets  # the last point is the position as of the day, by statements
    assert (series.owed[0][-1], series.owed[1][-1]) == (net.first_owes, net.second_owes)


@pytest.mark.parametrize("day", [date(2002, 12, 31), date(2004, 8, 31), date(2011, 12, 31)])
def test_every_pair_is_read_once_from_the_fewest_statements(uow: UnitOfWork, day: date) -> None:
    found = overview(uow, AUDITOR, day)
    statements = [
        settlement.party_statement(uow, p.code, day) for p in current_agreement(uow).parties
    ]
    pairs = {
        (s["party"], r["counterparty"]) if r["direction"] == "payable" else
        (r["counterparty"], s["party"])
        for s in statements
        for section in ("claims", "tranche_principal")
        for r in s[section]
    }  # fmt: skip
    assert {(d.debtor, d.creditor) for d in found.debts} == pairs
    assert len(found.parties) < len(statements)
    by_states: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for d in found.debts:
        by_states[state_of(d.debtor), state_of(d.creditor)] += d.total
    ledgers: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for (debtor, creditor, _), amount in payables(uow, day).items():
        ledgers[debtor, creditor] += amount
    assert by_states == {k: v for k, v in ledgers.items() if v}


def test_a_treasury_reads_its_own_partys_position(uow: UnitOfWork) -> None:
    mine = overview(uow, VEN_TREASURY, date(2015, 12, 31))
    everyone = overview(uow, CUB_COMMISSION, date(2015, 12, 31))
    assert mine.scope == "VEN" and everyone.scope is None
    assert all("VEN" in (state_of(d.debtor), state_of(d.creditor)) for d in mine.debts)
    assert mine.parties == ("VEN.PDVSA",)
    # In a two-state agreement every debt is Venezuela's or owed to it: the same figures,
    # read from Venezuela's own accounts (its payables and its claims).
    assert mine.debts == everyone.debts and mine.series == everyone.series
    assert all(state_of(i.creditor) == "VEN" for i in mine.installments)


def test_the_next_installments_are_the_schedules_rows_after_the_day(uow: UnitOfWork) -> None:
    day = date(2012, 6, 30)
    found = overview(uow, AUDITOR, day)
    rows = sorted(
        (row.due, t.id, row.number, row.principal, row.interest)
        for t in uow.financing.tranches()
        for row in t.schedule.installments
        if row.due > day
    )[: len(found.installments)]
    assert len(found.installments) == 8
    assert [(i.due, i.tranche, i.number, i.principal, i.interest) for i in found.installments] == [
        (d, t, n, to_decimal(p, 2), to_decimal(i, 2)) for d, t, n, p, i in rows
    ]
    assert all(i.payment == i.principal + i.interest for i in found.installments)


def test_the_ledger_state_is_the_heads_as_stored(uow: UnitOfWork) -> None:
    state = overview(uow, AUDITOR).ledger
    head = uow.ledger.head()
    size, root = uow.log.head()
    assert (state.transactions, state.head_hash) == (head.seq, head.hash)
    assert (state.log_size, state.log_root) == (size, b64(root))
    assert state.verified is None  # the demo records no verification


def test_the_public_reads_the_settled_runs_and_suppressed_results(uow: UnitOfWork) -> None:
    day = date(2010, 6, 30)
    found = published(uow, day)
    runs = [r for r in uow.financing.runs() if date.fromisoformat(r.statement["end"]) <= day]
    assert {r.run_id for r in found.runs} == {r.id for r in runs}
    assert [r.end for r in found.runs] == sorted((r.end for r in found.runs), reverse=True)
    first = found.runs[0]
    assert first.period == "2010Q2" and first.net == Decimal(
        next(r for r in runs if r.id == first.run_id).statement["net"]["amount"]
    )
    dx = ";".join(uid for uid, _ in found.results.columns)
    public = analytics.query(uow, dx, "yearly", "VE", actor=ANONYMOUS)
    assert found.results.cells
    for (uid, ou, pe), cell in found.results.cells.items():
        assert pe <= "2010"
        assert cell == next(r for r in public if (r.dx, r.ou, r.pe) == (uid, ou, pe))
    literacy = next(p for p in found.pathways if p.pathway == "literacy")
    answer = cases.pathway_indicators(uow, "literacy", public=True)
    assert dict(literacy.stopped_at) == answer["stopped_at"]
    assert None in dict(literacy.stopped_at).values()  # small counts suppressed


def test_a_citation_names_the_logs_root_at_its_size(uow: UnitOfWork) -> None:
    size, root = uow.log.head()
    assert published(uow).cited_root == b64(root)  # no checkpoint signed: today's size
    cited = published(uow, date(2015, 12, 31), 1000)
    assert (cited.cited_size, cited.cited_root) == (1000, b64(tree_hash(1000, uow.log)))
    with pytest.raises(InputError, match="cite a size"):
        published(uow, None, size + 1)


def test_the_checkpoint_both_parties_signed_is_the_overviews(
    demo_store: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(demo_store, data)
    runner = CliRunner()

    def convenio(*args: str) -> None:
        result = runner.invoke(app, list(args))
        assert result.exit_code == 0, (result.stdout, result.stderr)

    store = Store(f"sqlite:///{data / 'convenio.db'}")
    try:
        with ConvenioEnv(data, tmp_path):
            convenio("keys", "generate", "--party", "VEN")
            convenio("keys", "generate", "--party", "CUB")
            convenio("checkpoint", "sign", "--party", "VEN", "-o", "cp.note")
            with store.unit_of_work() as uow:
                assert overview(uow, AUDITOR).checkpoint is None  # one party only
                one = published(uow).checkpoint
                assert one is not None and one.signers == ("VEN",)
            convenio("checkpoint", "cosign", "cp.note", "--party", "CUB")
        with store.unit_of_work() as uow:
            both = overview(uow, AUDITOR).checkpoint
            kept = log.latest_checkpoint(uow, 2)
            assert kept is not None and both is not None
            assert (both.size, both.root) == (kept.size, b64(kept.root))
            assert set(both.signers) == {"VEN", "CUB"} and both.filed is not None
            cited = published(uow)
            assert (cited.cited_size, cited.cited_root) == (kept.size, b64(kept.root))
    finally:
        store.close()


@pytest.mark.parametrize("day", [date(2004, 8, 15), date(2011, 11, 15)])
def test_mid_month_the_statements_agree_with_the_ledger(uow: UnitOfWork, day: date) -> None:
    """Interest accrues at each month's end: on a day inside a month the statements must
    not count that month's accrual yet, as the ledger does not (a defect until now: the
    month's accrual was counted from its first day)."""
    found = overview(uow, AUDITOR, day)
    (series,) = found.series
    (net,) = found.nets
    assert series.days[-1] == day
    assert (series.owed[0][-1], series.owed[1][-1]) == (net.first_owes, net.second_owes)
