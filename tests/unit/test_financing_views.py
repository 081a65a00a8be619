"""The financing pages' data (convenio.services.deliveries_views, tranches_views,
payments_views, ledger_views): the pure parts by worked examples and properties, the
reads on the demo's store checked against the engine by other roads (the repository's
rows, the valuation and split recomputed from the prices, the party statement's tranche
principal, the log's proof checked by the tree), the late interest a settlement paid
traced to its month's charge, the payment form's write through the payments loader on a
copy of the demo, and no view that reads rows without being told who reads them."""

from __future__ import annotations

import inspect
import shutil
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from convenio.auth import Principal, Role
from convenio.errors import AccessError, InputError, NotFoundError
from convenio.files.numbers import english_number
from convenio.financing import series_from_points, split_invoice, tranche_for, value_delivery
from convenio.financing.claims import ClaimType
from convenio.log.tree import check_record
from convenio.services import deliveries_views as dv
from convenio.services import financing, settlement
from convenio.services import ledger_views as lv
from convenio.services import payments_views as pv
from convenio.services import tranches_views as tv
from convenio.services.financing_common import Amount
from convenio.store import Store, UnitOfWork
from convenio.store.tables import transactions
from convenio.terms import Band, LoanTerms
from tests.integration.test_late_interest_store import load as load_late_interest_case

AUDITOR = Principal("auditor", Role.AUDITOR)
VEN_TREASURY = Principal("ven-treasury", Role.TREASURY, party="VEN")
CUB_TREASURY = Principal("cub-treasury", Role.TREASURY, party="CUB")
AS_OF = date(2015, 12, 31)


def _loan(**changes: object) -> LoanTerms:
    terms = {
        "term_years": 2, "grace_months": 0, "rate": "0.02", "method": "equal-principal",
        "frequency": "quarterly", "day_count": "30E/360", "grace_interest": "paid",
    }  # fmt: skip
    return LoanTerms.model_validate({**terms, **changes})


# -- pure ------------------------------------------------------------------------------


def test_a_month_is_its_first_and_last_day() -> None:
    assert dv.month_span("2016-02") == (date(2016, 2, 1), date(2016, 2, 29))
    assert dv.month_span("2015-12") == (date(2015, 12, 1), date(2015, 12, 31))
    for wrong in ("2016-13", "2016-00", "2016-1", "16-01", "enero"):
        with pytest.raises(InputError) as raised:
            dv.month_span(wrong)
        assert raised.value.problems[0].field == "month"


@given(st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
def test_every_day_lies_in_its_month(day: date) -> None:
    first, last = dv.month_span(f"{day.year:04d}-{day.month:02d}")
    assert first <= day <= last
    assert first.day == 1 and (last + timedelta(days=1)).day == 1
    assert (first.year, first.month) == (last.year, last.month)


def test_english_grouping_is_dropped_and_anything_else_left_to_the_loader() -> None:
    assert english_number("1,234.56") == "1234.56"
    assert english_number(" 1,234,567 ") == "1234567"
    assert english_number("1234.56") == "1234.56"
    assert english_number("12,3,4") == "12,3,4"
    assert english_number("1,23.4") == "1,23.4"


def test_why_a_split_is_what_it_is() -> None:
    band = Band(at_or_above=Decimal(20), share=Decimal("0.10"))
    assert dv.split_reason("services", True, band, Decimal(0)) == "not-commodity"
    assert dv.split_reason("commodity", False, None, Decimal(0)) == "no-financing"
    assert dv.split_reason("commodity", True, None, Decimal(0)) == "below-bands"
    assert dv.split_reason("commodity", True, band, Decimal(0)) == "netted"
    assert dv.split_reason("commodity", True, band, Decimal("0.10")) == "band"


def test_an_installments_status() -> None:
    day = date(2015, 12, 31)
    assert tv.installment_status(date(2015, 6, 15), 100, 100, day) == "paid"
    assert tv.installment_status(date(2015, 6, 15), 100, 40, day) == "part-paid"
    assert tv.installment_status(date(2015, 6, 15), 100, 0, day) == "unpaid"
    assert tv.installment_status(date(2016, 3, 15), 100, 0, day) == "not-due"


def test_debt_service_by_year_worked_example() -> None:
    # 1,000,000.00 USD at 2 % over two years, quarterly equal principal of 125,000.00 from
    # 2015-01-15: each quarter's interest is the opening principal × 2 % × 90/360.
    lent = tranche_for("tr:x", "x", "A", "B", "USD", 100_000_000, date(2015, 1, 15), _loan())
    assert tv.debt_service_by_year([lent], date(2014, 12, 31)) == {
        (2015, "USD"): (37_500_000, 500_000 + 437_500 + 375_000),
        (2016, "USD"): (50_000_000, 312_500 + 250_000 + 187_500 + 125_000),
        (2017, "USD"): (12_500_000, 62_500),
    }
    assert tv.debt_service_by_year([lent], date(2015, 12, 31)) == {
        (2016, "USD"): (50_000_000, 875_000),
        (2017, "USD"): (12_500_000, 62_500),
    }
    assert tv.debt_service_by_year([lent], date(2017, 1, 15)) == {}


@given(
    principal=st.integers(min_value=1, max_value=10**12),
    years=st.integers(min_value=1, max_value=25),
    grace=st.sampled_from([0, 3, 6, 9]),
    rate=st.decimals(min_value=0, max_value=Decimal("0.15"), places=4),
    method=st.sampled_from(["equal-principal", "annuity"]),
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)),
    after=st.dates(min_value=date(1999, 1, 1), max_value=date(2060, 12, 31)),
)
def test_the_years_add_up_to_the_installments_due_after_the_day(
    principal: int, years: int, grace: int, rate: Decimal, method: str, start: date, after: date
) -> None:
    loan = _loan(term_years=years, grace_months=grace, rate=str(rate), method=method)
    lent = tranche_for("tr:p", "p", "A", "B", "USD", principal, start, loan)
    found = tv.debt_service_by_year([lent], after)
    due = [row for row in lent.schedule.installments if row.due > after]
    assert sum(p for p, _ in found.values()) == sum(row.principal for row in due)
    assert sum(i for _, i in found.values()) == sum(row.interest for row in due)
    assert all(year >= after.year for year, _ in found)
    if after < start:  # every installment: the principal lent, exactly
        assert sum(p for p, _ in found.values()) == principal


# -- reads on the demo -----------------------------------------------------------------


@pytest.fixture(scope="module")
def store(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A copy of the demo's store: the payment tests write to it."""
    data = tmp_path_factory.mktemp("financing-views") / "data"
    shutil.copytree(demo_store, data)
    opened = Store(f"sqlite:///{data / 'convenio.db'}")
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def uow(store: Store) -> Iterator[UnitOfWork]:
    with store.unit_of_work() as work:
        yield work


def test_the_totals_are_those_of_every_matching_delivery(uow: UnitOfWork) -> None:
    rows = [(d, v) for d, v, _ in uow.financing.deliveries() if d.item == "crude"]
    found = dv.deliveries(uow, product="crude", actor=AUDITOR, per_page=50)
    assert found.matching == len(rows) and found.pages == -(-len(rows) // 50)
    assert found.quantities == (
        Amount(Decimal(sum(d.quantity for d, _ in rows)).scaleb(-3), "bbl"),
    )
    assert found.values == (Amount(Decimal(sum(v for _, v in rows)).scaleb(-2), "USD"),)
    newest = sorted(rows, key=lambda r: (-r[0].date.toordinal(), r[0].delivery_id))
    second = dv.deliveries(uow, product="crude", page=2, actor=AUDITOR, per_page=50)
    assert [r.delivery_id for r in second.rows] == [d.delivery_id for d, _ in newest[50:100]]
    beyond = dv.deliveries(uow, product="crude", page=99, actor=AUDITOR, per_page=50)
    assert beyond.page == found.pages  # a page past the last is the last


def test_filters_that_do_not_hold_are_problems_of_their_fields(uow: UnitOfWork) -> None:
    found = dv.deliveries(uow, product="oil", party="XYZ", month="2016-13", actor=AUDITOR)
    assert {p.field for p in found.problems} == {"product", "party", "month"}
    assert found.rows == () and found.products and found.parties


def test_a_treasury_reads_its_own_party_only(uow: UnitOfWork) -> None:
    assert dv.deliveries(uow, party="CUB.CUPET", actor=CUB_TREASURY).matching > 0
    with pytest.raises(AccessError):
        dv.deliveries(uow, party="VEN.PDVSA", actor=CUB_TREASURY)
    assert dv.deliveries(uow, actor=VEN_TREASURY).parties == ("VEN", "VEN.PDVSA")


def test_an_invoices_split_is_the_engines_from_the_prices(uow: UnitOfWork) -> None:
    agreement = financing.current_agreement(uow)
    series = dict(series_from_points(uow.financing.prices())[0])
    for delivery_id, reason in (
        ("oil-2003-05-crude", "band"),
        ("oil-2010-03-crude", "netted"),
        ("svc-2014Q1-doctor", "not-commodity"),
    ):
        (delivery,) = [d for d, _, _ in uow.financing.deliveries() if d.delivery_id == delivery_id]
        valuation = value_delivery(delivery, agreement, series)
        expected = split_invoice(valuation, delivery, agreement.version(valuation.version_id))
        shown = dv.invoice(uow, delivery_id, actor=AUDITOR)
        assert shown.invoice == expected and shown.agrees
        assert shown.reason == reason
        assert shown.delivery.financed == Decimal(expected.financed).scaleb(-2)
        assert f"dlv:{delivery_id}:value" in shown.transactions
    banded = dv.invoice(uow, "oil-2003-05-crude", actor=AUDITOR)
    assert [b.share for b in banded.bands if b.applied] == [banded.share]
    assert banded.tranche_id == "tr:oil-2003-05-crude"
    with pytest.raises(NotFoundError):
        dv.invoice(uow, "no-such-delivery", actor=AUDITOR)


def test_the_principal_outstanding_is_the_party_statements(uow: UnitOfWork) -> None:
    found = tv.tranches(uow, AS_OF, actor=AUDITOR)
    statement = settlement.party_statement(uow, "VEN.PDVSA", AS_OF)
    (lent,) = statement["tranche_principal"]
    assert found.outstanding == (Amount(Decimal(lent["outstanding"]), "USD"),)
    assert sum(y.principal for y in found.service) == sum(r.outstanding for r in found.rows)
    one = tv.tranche(uow, found.rows[-1].tranche_id, AS_OF, actor=AUDITOR)
    assert one.row == found.rows[-1]
    assert sum(i.principal for i in one.installments) == one.row.principal


def test_a_transactions_log_entry_is_proved_by_the_tree(uow: UnitOfWork) -> None:
    shown = lv.transaction(uow, "dlv:oil-2003-05-crude:value", actor=AUDITOR, with_proof=True)
    assert shown.delivery_id == "oil-2003-05-crude" and shown.proof is not None
    proof = shown.proof
    check_record(proof.hashes, proof.tree_size, proof.root_hash, proof.index, proof.leaf_hash)
    assert proof.index == shown.log_index
    paid = lv.transaction(uow, shown_payment(uow), actor=AUDITOR)
    assert paid.run_id is not None and paid.run_status == "settled"
    assert {c.delivery_id for c in paid.claims} != {None}
    with pytest.raises(NotFoundError):
        lv.transaction(uow, "no-such-transaction", actor=AUDITOR)


def shown_payment(uow: UnitOfWork) -> str:
    """The ledger transaction that applied the demo's latest payment, as listed."""
    latest = pv.payments(uow, actor=AUDITOR).rows[0]
    (txn,) = latest.transactions
    return txn


# -- the payment form ------------------------------------------------------------------


def _form(payment_id: str, amount: str, payer: str = "VEN.PDVSA") -> pv.PaymentForm:
    return pv.PaymentForm(payment_id, "2016-01-20", payer, "CUB.BNC", amount, "USD", "t")


def _record(store: Store, form: pv.PaymentForm, language: str, who: Principal) -> None:
    with store.unit_of_work(write=True, late_lock=True) as uow:
        pv.record_payment(uow, form, language, actor=who)


def _stored(store: Store, payment_id: str) -> int | None:
    with store.unit_of_work() as uow:
        found = uow.financing.payments_in(date(2016, 1, 1), date(2016, 1, 31))
    return next((p.amount for p in found if p.id == payment_id), None)


def test_a_payment_is_read_the_way_its_language_writes_numbers(store: Store) -> None:
    _record(store, _form("UNIT-ES", "1.234,56"), "es", VEN_TREASURY)
    _record(store, _form("UNIT-EN", "1,234.56"), "en", VEN_TREASURY)
    assert _stored(store, "UNIT-ES") == _stored(store, "UNIT-EN") == 123_456
    with store.unit_of_work() as uow:
        shown = pv.payments(uow, actor=VEN_TREASURY)
    assert shown.payers == ("VEN", "VEN.PDVSA") and "CUB.BNC" in shown.payees
    assert {"UNIT-ES", "UNIT-EN"} <= {r.payment_id for r in shown.rows}


@pytest.mark.parametrize(
    ("form", "language", "who", "error", "field"),
    [
        (_form("UNIT-BAD-1", "12,3,4"), "en", VEN_TREASURY, InputError, "amount"),
        (_form("UNIT-BAD-2", "12,3,4"), "es", VEN_TREASURY, InputError, "amount"),
        (_form("UNIT-BAD-3", "12.50"), "es", VEN_TREASURY, InputError, "amount"),
        (_form("X" * 51, "1"), "en", VEN_TREASURY, InputError, "payment_id"),
        (_form("UNIT-BAD-4", "5", payer="VEN.PDVSA"), "en", CUB_TREASURY, AccessError, "payer"),
    ],
)
def test_a_refused_payment_names_its_field_and_writes_nothing(
    store: Store,
    form: pv.PaymentForm,
    language: str,
    who: Principal,
    error: type[Exception],
    field: str,
) -> None:
    with pytest.raises(error) as raised:
        _record(store, form, language, who)
    assert field in {p.field for p in raised.value.problems}  # type: ignore[attr-defined]
    assert _stored(store, form.payment_id) is None


# -- who reads -------------------------------------------------------------------------

READS: list[Callable[..., object]] = [
    dv.deliveries, dv.invoice, tv.tranches, tv.tranche, pv.payments, pv.record_payment,
    lv.transaction,
]  # fmt: skip


@pytest.mark.parametrize("view", READS, ids=lambda v: v.__name__)
def test_every_view_must_be_told_who_reads(view: Callable[..., object]) -> None:
    # A route that forgets the actor fails (TypeError) instead of reading every row.
    actor = inspect.signature(view).parameters["actor"]
    assert actor.kind is inspect.Parameter.KEYWORD_ONLY
    assert actor.default is inspect.Parameter.empty


# -- late interest: which transaction recorded it --------------------------------------


def test_late_interest_settled_shows_the_months_charge_that_recorded_it(tmp_path: Path) -> None:
    # The case of tests/integration/test_late_interest_store.py: 2011Q4 charges November's
    # and December's late interest on the unpaid short-term part; 2012Q1's cash pays them.
    fresh = Store(f"sqlite:///{tmp_path / 'late.db'}")
    try:
        load_late_interest_case(fresh, tmp_path)
        for period in ("2011Q4", "2012Q1"):
            with fresh.unit_of_work(write=True) as uow:
                settlement.run_settlement(uow, period)
        with fresh.unit_of_work() as uow:
            t = transactions.c
            charges = dict(
                uow.connection.execute(
                    select(t.id, t.source).where(t.id.startswith("late:VEN.PDVSA>CUB.CUPET:"))
                ).all()
            )
            shown = [
                c
                for (txn,) in uow.connection.execute(
                    select(t.id).where(t.kind == "settlement").order_by(t.seq)
                )
                for c in lv.transaction(uow, txn, actor=VEN_TREASURY).claims
                if c.type == ClaimType.LATE_INTEREST.value
            ]
    finally:
        fresh.close()
    assert {c.claim_id for c in shown} == {
        "late:inv:oil-10:st:2011-11",
        "late:inv:oil-10:st:2011-12",
    }
    for c in shown:
        month = c.claim_id.rsplit(":", 1)[1]
        # The month's charge between the two parties, listing the short-term claim.
        assert c.recorded_by in charges and c.recorded_by.endswith(f":{month}")
        assert "inv:oil-10:st" in charges[c.recorded_by].split(",")
        assert c.delivery_id is None and c.tranche_id is None
