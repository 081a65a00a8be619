"""What the settlement pages show (convenio.services.settlement_views): each figure of a
statement is the sum of the lines it drills down to; who reads what; reopening; the
checkpoint that covers a statement; the net position by period.

A worked quarter (the tamper tests' 2011Q4, paid 700 M USD in cash where 675 M were
owed) is settled in a fresh SQLite store, and its figures are worked out here by hand;
the demo's store is read for the figures of runs of every kind."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from convenio.auth import ANONYMOUS, OPERATOR, Principal, Role
from convenio.errors import AccessError, AuthenticationError, ConflictError, InputError
from convenio.log import b64
from convenio.periods import parse_period
from convenio.services import financing as fin
from convenio.services import keys, settlement, signed, signoffs
from convenio.services import settlement_views as views
from convenio.settlement.drilldown import Position, positions
from convenio.store import Store, UnitOfWork
from convenio.store.financing_repo import RunRow
from tests.integration.test_log_tamper import FILES, RUN_1, RUN_2

AUDITOR = Principal("auditor", Role.AUDITOR)
VEN = Principal("ven-commission", Role.COMMISSION, party="VEN")
CUB = Principal("cub-commission", Role.COMMISSION, party="CUB")
VEN_TREASURY = Principal("ven-treasury", Role.TREASURY, party="VEN")
COORDINATOR = Principal("zulia", Role.COORDINATOR, org_unit="VE-V")
M = Decimal(1_000_000)


# -- positions: pure ------------------------------------------------------------------


def test_a_claims_position_is_what_it_owed_less_what_the_run_took() -> None:
    held = positions(
        {"a": 500, "b": 300, "c": 40},
        [("a", 200, "offset", "x"), ("a", 100, "cash", "p"), ("b", 300, "offset", "y")],
    )
    assert held["a"] == Position(500, 200, 100)
    assert (held["a"].after, held["b"].after, held["c"].after) == (200, 0, 40)


def test_a_run_that_paid_a_claim_not_owed_is_refused() -> None:
    with pytest.raises(InputError, match="claim z"):
        positions({"a": 5}, [("z", 1, "cash", "p")])


@st.composite
def claims_and_allocations(
    draw: st.DrawFn,
) -> tuple[dict[str, int], list[tuple[str, int, str, str]]]:
    before = draw(st.dictionaries(st.text("abc", min_size=1, max_size=3), st.integers(0, 10**9)))
    allocated: list[tuple[str, int, str, str]] = []
    for claim, owed in before.items():
        left = owed
        for method in draw(st.lists(st.sampled_from(["offset", "cash"]), max_size=3)):
            amount = draw(st.integers(0, left))
            allocated.append((claim, amount, method, "against"))
            left -= amount
    return before, draw(st.permutations(allocated))


@given(claims_and_allocations())
def test_what_is_carried_is_what_was_owed_less_what_was_offset_and_paid(
    drawn: tuple[dict[str, int], list[tuple[str, int, str, str]]],
) -> None:
    before, allocated = drawn
    held = positions(before, allocated)
    assert set(held) == set(before)
    assert all(p.after >= 0 for p in held.values())
    offset = sum(a for _, a, m, _ in allocated if m == "offset")
    cash = sum(a for _, a, m, _ in allocated if m == "cash")
    assert sum(p.after for p in held.values()) == sum(before.values()) - offset - cash


# -- the net position by period: pure ---------------------------------------------------


def run(
    period: str, a: str, b: str, debtor: str | None, amount: str, status: str = "settled"
) -> RunRow:
    creditor = None if debtor is None else (b if debtor == a else a)
    net = {"debtor": debtor, "creditor": creditor, "amount": amount}
    statement = {"net": net, "directions": []}
    return RunRow(f"{period}:{a}:{b}:1", period, a, b, "USD", 1, status, statement, [])


def test_the_net_position_is_summed_by_period_and_signed_by_who_owes() -> None:
    found = views.net_series(
        [
            run("2003Q2", "CUB", "VEN", "CUB", "10.00"),  # CUB owes VEN: below the line
            run("2003Q2", "CUB.CUPET", "VEN.PDVSA", "VEN.PDVSA", "25.50"),
            run("2003Q3", "CUB", "VEN", None, "0.00"),
            run("2003Q4", "VEN.PDVSA", "CUB.BNC", "VEN.PDVSA", "99.00", status="reversed"),
            run("2004Q1", "VEN.PDVSA", "CUB.BNC", "VEN.PDVSA", "7.25"),  # the latest: VEN owes
        ]
    )
    assert found == views.NetSeries(
        "VEN",
        "CUB",
        (("2003Q2", Decimal("15.50")), ("2003Q3", Decimal(0)), ("2004Q1", Decimal("7.25"))),
    )


def test_no_net_line_without_settled_runs_or_between_more_than_two_states() -> None:
    assert views.net_series([]) is None
    assert views.net_series([run("2003Q2", "CUB", "VEN", "CUB", "1.00", "reversed")]) is None
    assert (
        views.net_series(
            [run("2003Q2", "CUB", "VEN", "CUB", "1.00"), run("2003Q2", "BOL", "VEN", "BOL", "1")]
        )
        is None
    )


# -- who reads a run: one rule (services.settlement.reads_run) --------------------------

CUB_TREASURY = Principal("cub-treasury", Role.TREASURY, party="CUB")
ADMIN = Principal("admin", Role.ADMIN)
EVERYONE = (ANONYMOUS, ADMIN, COORDINATOR, VEN_TREASURY, CUB_TREASURY, VEN, CUB, AUDITOR)


@pytest.mark.parametrize("who", EVERYONE, ids=lambda p: p.name)
def test_a_ledger_reader_of_the_pair_reads_any_run_the_rest_a_settled_one(who: Principal) -> None:
    ledger = who in (VEN_TREASURY, VEN, CUB, AUDITOR)  # CUB's treasury: not of VEN-BOL
    for status in ("settled", "reversed"):
        row = run("2003Q2", "VEN.PDVSA", "BOL", "BOL", "1.00", status)
        assert settlement.reads_run(who, row, detail=True) is ledger
        assert settlement.reads_run(who, row) is (ledger or status == "settled")


# -- a worked quarter -------------------------------------------------------------------


@pytest.fixture
def quarter(tmp_path: Path) -> Iterator[Store]:
    """The tamper tests' 2011Q4 — oil 2 × 300 M USD (all short-term), Cuba's services
    1,275 M USD — with a cash payment of 700 M USD from VEN.PDVSA to CUB.BNC, settled."""
    files = {
        **FILES,
        "payments.csv": (
            "payment_id,date,payer,payee,amount,currency\n"
            "bnc-q4,2011-12-30,VEN.PDVSA,CUB.BNC,700000000.00,USD\n"
        ),
    }
    for name, content in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    store = Store(f"sqlite:///{tmp_path / 'convenio.db'}")
    steps = (
        lambda uow: fin.load_terms_file(uow, tmp_path / "terms.yaml", source="terms.yaml"),
        lambda uow: fin.load_prices(uow, tmp_path / "prices.csv"),
        lambda uow: fin.load_deliveries(uow, tmp_path / "deliveries.csv"),
        lambda uow: fin.load_payments(uow, tmp_path / "payments.csv"),
        lambda uow: settlement.run_settlement(uow, "2011Q4"),
    )
    for step in steps:
        with store.unit_of_work(write=True) as uow:
            step(uow)
    try:
        yield store
    finally:
        store.close()


def test_each_figure_of_the_worked_quarter_drills_down_to_what_makes_it(quarter: Store) -> None:
    # By hand: Cuba's services (1,275 M) offset the two oil invoices (600 M); of the 675 M
    # left, the 700 M payment pays all and 25 M is carried as Venezuela's credit.
    expected = {
        0: {"invoiced": 600, "outstanding": 600, "offset": 600, "cash": 0, "carried": 0},
        1: {"invoiced": 1275, "outstanding": 1275, "offset": 600, "cash": 675, "carried": 0},
    }
    expected[0]["overpaid"], expected[1]["overpaid"] = 0, 25
    with quarter.unit_of_work() as uow:
        for direction, figures in expected.items():
            for figure, millions in figures.items():
                found = views.figure_view(uow, RUN_1, AUDITOR, figure, direction)
                assert found.total == found.stated == millions * M, (direction, figure)
        invoiced = views.figure_view(uow, RUN_1, AUDITOR, "invoiced", 0)
        assert [(c.id, c.amount, c.delivery) for c in invoiced.claims] == [
            ("inv:oil-10:st", 300 * M, "oil-10"),
            ("inv:oil-11:st", 300 * M, "oil-11"),
        ]
        for line in invoiced.claims:
            assert line.recorded_by is not None and uow.ledger.get(line.recorded_by) is not None
        offset = views.figure_view(uow, RUN_1, AUDITOR, "offset", 1)
        assert [
            (a.claim.id, a.amount, a.against, a.against_delivery) for a in offset.allocations
        ] == [
            ("inv:svc-q4:services", 300 * M, "inv:oil-10:st", "oil-10"),
            ("inv:svc-q4:services", 300 * M, "inv:oil-11:st", "oil-11"),
        ]
        stored = uow.financing.run(RUN_1)
        assert stored is not None
        paying = "settle:2011Q4:VEN.PDVSA:CUB.BNC:pay:bnc-q4"
        assert {a.transaction for a in offset.allocations} | {paying} == set(stored.transactions)
        (cash,) = views.figure_view(uow, RUN_1, AUDITOR, "cash", 1).allocations
        assert (cash.against, cash.amount, cash.transaction) == (
            "bnc-q4", 675 * M, "settle:2011Q4:VEN.PDVSA:CUB.BNC:pay:bnc-q4",
        )  # fmt: skip
        (paid,) = views.figure_view(uow, RUN_1, AUDITOR, "overpaid", 1).payments
        assert (paid.amount, paid.applied, paid.excess) == (700 * M, 675 * M, 25 * M)
        services = views.figure_view(uow, RUN_1, AUDITOR, "invoiced", 1, "services")
        assert services.total == services.stated == 1275 * M
        assert views.figure_view(uow, RUN_1, AUDITOR, "invoiced", 1, "goods").count == 0


def test_the_statement_names_its_terms_version_entry_and_signers(quarter: Store) -> None:
    with quarter.unit_of_work() as uow:
        view = views.statement_view(uow, RUN_1, AUDITOR)
        assert view.version[0] == "test-2011q4"
        assert view.net_debtor == "VEN.PDVSA" and view.net_amount == 675 * M
        assert view.signers == ("VEN", "CUB") and view.awaiting == ("VEN", "CUB")
        assert view.entry == uow.log.locate("run", RUN_1)
        stored = uow.financing.run(RUN_1)
        assert stored is not None and view.digest == signoffs.statement_digest(stored)
        assert view.checkpoint is None and view.detail and not view.may_sign
        assert views.statement_view(uow, RUN_1, VEN).may_sign


def test_who_reads_what_of_a_statement(quarter: Store) -> None:
    with quarter.unit_of_work() as uow:
        assert views.statement_view(uow, RUN_1, VEN_TREASURY).detail
        for outsider in (ANONYMOUS, COORDINATOR):
            public = views.statement_view(uow, RUN_1, outsider)
            assert not public.detail and not public.may_sign and not public.may_reopen
            with pytest.raises((AccessError, AuthenticationError)):
                views.figure_view(uow, RUN_1, outsider, "offset", 0)
        with pytest.raises(AccessError):
            views.runs_view(uow, COORDINATOR)


def test_signing_and_reopening_change_what_the_pages_offer(quarter: Store) -> None:
    with quarter.unit_of_work(write=True) as uow:
        signoffs.sign_off(uow, RUN_1, VEN)
    with quarter.unit_of_work() as uow:
        (line,) = views.runs_view(uow, CUB).lines
        assert (line.awaiting, line.may_sign, line.may_reopen) == (("CUB",), True, True)
        assert not views.runs_view(uow, VEN).lines[0].may_sign
        assert not views.runs_view(uow, VEN_TREASURY).lines[0].may_reopen
    with quarter.unit_of_work(write=True) as uow, pytest.raises(AccessError):
        views.reopen(uow, RUN_1, VEN_TREASURY)
    with quarter.unit_of_work(write=True) as uow:
        outcome = views.reopen(uow, RUN_1, VEN)
    assert (outcome.run.id, outcome.reversed_run) == (RUN_2, RUN_1)
    with quarter.unit_of_work() as uow:
        old, new = (views.statement_view(uow, r, AUDITOR) for r in (RUN_1, RUN_2))
        assert (old.settled, old.replaced_by, old.awaiting, old.may_sign) == (
            False,
            RUN_2,
            (),
            False,
        )
        assert (new.settled, new.replaces, new.awaiting) == (True, RUN_1, ("VEN", "CUB"))
        with pytest.raises(AuthenticationError):
            views.statement_view(uow, RUN_1, ANONYMOUS)  # a reopened run is not published
        for who in EVERYONE:  # the statement page and the API's sign-offs agree
            for run_id in (RUN_1, RUN_2):
                page = _reads(views.statement_view, uow, run_id, who)
                api = _reads(signoffs.run_signoffs, uow, run_id, who)
                assert page == api, (who.name, run_id)
        assert [line.run.id for line in views.runs_view(uow, AUDITOR).lines] == [RUN_2, RUN_1]
    with quarter.unit_of_work(write=True) as uow, pytest.raises(ConflictError):
        views.reopen(uow, RUN_1, VEN)


def _reads(read: Callable[[UnitOfWork, str, Principal], object], *args: Any) -> str:
    """What a reader meets: "read", or the refusal's kind."""
    try:
        read(*args)
    except (AccessError, AuthenticationError) as refused:
        return type(refused).__name__
    return "read"


def test_the_checkpoint_that_covers_a_statement(quarter: Store, tmp_path: Path) -> None:
    key = tmp_path / "VEN.key"
    with quarter.unit_of_work(write=True) as uow:
        keys.generate_key(uow, "VEN", key)
    with quarter.unit_of_work(write=True) as uow:
        _, body = signed.sign_checkpoint(uow, "VEN", key)
    with quarter.unit_of_work() as uow:
        covering = views.statement_view(uow, RUN_1, ANONYMOUS).checkpoint
    assert covering == views.CoveringCheckpoint(body.size, b64(body.root_hash), ("VEN",))


# -- the demo ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(demo_store: Path) -> Iterator[UnitOfWork]:
    store = Store(f"sqlite:///{demo_store / 'convenio.db'}")
    try:
        with store.unit_of_work() as uow:
            yield uow
    finally:
        store.close()


@pytest.mark.parametrize("period", ["2000Q4", "2003Q2", "2005Q2", "2011Q4", "2015Q4"])
def test_the_demos_figures_are_the_sums_of_their_lines(demo: UnitOfWork, period: str) -> None:
    for stored in demo.financing.runs(period):
        for direction in (0, 1):
            for figure in views.FIGURES:
                found = views.figure_view(demo, stored.id, AUDITOR, figure, direction)
                assert found.total == found.stated, (stored.id, direction, figure)
                assert found.count <= views.PAGE_SIZE or found.pages > 1


def test_the_demos_runs_are_listed_newest_first(demo: UnitOfWork) -> None:
    listed = views.runs_view(demo, AUDITOR)
    ends = [parse_period(line.run.period).end for line in listed.lines]
    assert ends == sorted(ends, reverse=True) and len(listed.lines) == len(demo.financing.runs())
    assert listed.years[0] == 2015 and listed.net is not None
    assert (listed.net.debtor, listed.net.creditor) == ("VEN", "CUB")
    of_2011 = views.runs_view(demo, AUDITOR, 2011)
    assert {line.run.period for line in of_2011.lines} == {"2011Q1", "2011Q2", "2011Q3", "2011Q4"}
    assert not views.runs_view(demo, OPERATOR).lines[0].may_sign  # no commission user
