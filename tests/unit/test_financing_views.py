"""The financing pages' data (convenio.services.financing_views): the pure parts by worked
examples and properties, the reads on the demo's store checked against the engine by
other roads (the repository's rows, the valuation and split recomputed from the prices,
the party statement's tranche principal, the log's proof checked by the tree), and the
payment form's write through the payments loader on a copy of the demo."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from convenio.auth import Principal, Role
from convenio.errors import AccessError, InputError, NotFoundError
from convenio.financing import series_from_points, split_invoice, tranche_for, value_delivery
from convenio.log.tree import check_record
from convenio.services import financing, settlement
from convenio.services import financing_views as views
from convenio.store import Store, UnitOfWork
from convenio.terms import Band, LoanTerms

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
    assert views.month_span("2016-02") == (date(2016, 2, 1), date(2016, 2, 29))
    assert views.month_span("2015-12") == (date(2015, 12, 1), date(2015, 12, 31))
    for wrong in ("2016-13", "2016-00", "2016-1", "16-01", "enero"):
        with pytest.raises(InputError) as raised:
            views.month_span(wrong)
        assert raised.value.problems[0].field == "month"


@given(st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
def test_every_day_lies_in_its_month(day: date) -> None:
    first, last = views.month_span(f"{day.year:04d}-{day.month:02d}")
    assert first <= day <= last
    assert first.day == 1 and (last + timedelta(days=1)).day == 1
    assert (first.year, first.month) == (last.year, last.month)


def test_english_grouping_is_dropped_and_anything_else_left_to_the_loader() -> None:
    assert views.english_number("1,234.56") == "1234.56"
    assert views.english_number(" 1,234,567 ") == "1234567"
    assert views.english_number("1234.56") == "1234.56"
    assert views.english_number("12,3,4") == "12,3,4"
    assert views.english_number("1,23.4") == "1,23.4"


def test_why_a_split_is_what_it_is() -> None:
    band = Band(at_or_above=Decimal(20), share=Decimal("0.10"))
    assert views.split_reason("services", True, band, Decimal(0)) == "not-commodity"
    assert views.split_reason("commodity", False, None, Decimal(0)) == "no-financing"
    assert views.split_reason("commodity", True, None, Decimal(0)) == "below-bands"
    assert views.split_reason("commodity", True, band, Decimal(0)) == "netted"
    assert views.split_reason("commodity", True, band, Decimal("0.10")) == "band"


def test_an_installments_status() -> None:
    day = date(2015, 12, 31)
    assert views.installment_status(date(2015, 6, 15), 100, 100, day) == "paid"
    assert views.installment_status(date(2015, 6, 15), 100, 40, day) == "part-paid"
    assert views.installment_status(date(2015, 6, 15), 100, 0, day) == "unpaid"
    assert views.installment_status(date(2016, 3, 15), 100, 0, day) == "not-due"


def test_debt_service_by_year_worked_example() -> None:
    # 1,000,000.00 USD at 2 % over two years, quarterly equal principal of 125,000.00 from
    # 2015-01-15: each quarter's interest is the opening principal × 2 % × 90/360.
    lent = tranche_for("tr:x", "x", "A", "B", "USD", 100_000_000, date(2015, 1, 15), _loan())
    assert views.debt_service_by_year([lent], date(2014, 12, 31)) == {
        (2015, "USD"): (37_500_000, 500_000 + 437_500 + 375_000),
        (2016, "USD"): (50_000_000, 312_500 + 250_000 + 187_500 + 125_000),
        (2017, "USD"): (12_500_000, 62_500),
    }
    assert views.debt_service_by_year([lent], date(2015, 12, 31)) == {
        (2016, "USD"): (50_000_000, 875_000),
        (2017, "USD"): (12_500_000, 62_500),
    }
    assert views.debt_service_by_year([lent], date(2017, 1, 15)) == {}


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
    found = views.debt_service_by_year([lent], after)
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
    found = views.deliveries(uow, product="crude", actor=AUDITOR, per_page=50)
    assert found.matching == len(rows) and found.pages == -(-len(rows) // 50)
    assert found.quantities == (
        views.Amount(Decimal(sum(d.quantity for d, _ in rows)).scaleb(-3), "bbl"),
    )
    assert found.values == (views.Amount(Decimal(sum(v for _, v in rows)).scaleb(-2), "USD"),)
    newest = sorted(rows, key=lambda r: (-r[0].date.toordinal(), r[0].delivery_id))
    second = views.deliveries(uow, product="crude", page=2, actor=AUDITOR, per_page=50)
    assert [r.delivery_id for r in second.rows] == [d.delivery_id for d, _ in newest[50:100]]
    beyond = views.deliveries(uow, product="crude", page=99, actor=AUDITOR, per_page=50)
    assert beyond.page == found.pages  # a page past the last is the last


def test_filters_that_do_not_hold_are_problems_of_their_fields(uow: UnitOfWork) -> None:
    found = views.deliveries(uow, product="oil", party="XYZ", month="2016-13", actor=AUDITOR)
    assert {p.field for p in found.problems} == {"product", "party", "month"}
    assert found.rows == () and found.products and found.parties


def test_a_treasury_reads_its_own_party_only(uow: UnitOfWork) -> None:
    assert views.deliveries(uow, party="CUB.CUPET", actor=CUB_TREASURY).matching > 0
    with pytest.raises(AccessError):
        views.deliveries(uow, party="VEN.PDVSA", actor=CUB_TREASURY)
    assert views.deliveries(uow, actor=VEN_TREASURY).parties == ("VEN", "VEN.PDVSA")


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
        shown = views.invoice(uow, delivery_id, actor=AUDITOR)
        assert shown.invoice == expected and shown.agrees
        assert shown.reason == reason
        assert shown.delivery.financed == Decimal(expected.financed).scaleb(-2)
        assert f"dlv:{delivery_id}:value" in shown.transactions
    banded = views.invoice(uow, "oil-2003-05-crude", actor=AUDITOR)
    assert [b.share for b in banded.bands if b.applied] == [banded.share]
    assert banded.tranche_id == "tr:oil-2003-05-crude"
    with pytest.raises(NotFoundError):
        views.invoice(uow, "no-such-delivery", actor=AUDITOR)


def test_the_principal_outstanding_is_the_party_statements(uow: UnitOfWork) -> None:
    found = views.tranches(uow, AS_OF, actor=AUDITOR)
    statement = settlement.party_statement(uow, "VEN.PDVSA", AS_OF)
    (lent,) = statement["tranche_principal"]
    assert found.outstanding == (views.Amount(Decimal(lent["outstanding"]), "USD"),)
    assert sum(y.principal for y in found.service) == sum(r.outstanding for r in found.rows)
    one = views.tranche(uow, found.rows[-1].tranche_id, AS_OF, actor=AUDITOR)
    assert one.row == found.rows[-1]
    assert sum(i.principal for i in one.installments) == one.row.principal


def test_a_transactions_log_entry_is_proved_by_the_tree(uow: UnitOfWork) -> None:
    shown = views.transaction(uow, "dlv:oil-2003-05-crude:value", AUDITOR, with_proof=True)
    assert shown.delivery_id == "oil-2003-05-crude" and shown.proof is not None
    proof = shown.proof
    check_record(proof.hashes, proof.tree_size, proof.root_hash, proof.index, proof.leaf_hash)
    assert proof.index == shown.log_index
    paid = views.transaction(uow, shown_payment(uow), AUDITOR)
    assert paid.run_id is not None and paid.run_status == "settled"
    assert {c.delivery_id for c in paid.claims} != {None}
    with pytest.raises(NotFoundError):
        views.transaction(uow, "no-such-transaction", AUDITOR)


def shown_payment(uow: UnitOfWork) -> str:
    """The ledger transaction that applied the demo's latest payment, as listed."""
    latest = views.payments(uow, AUDITOR).rows[0]
    (txn,) = latest.transactions
    return txn


# -- the payment form ------------------------------------------------------------------


def _form(payment_id: str, amount: str, payer: str = "VEN.PDVSA") -> views.PaymentForm:
    return views.PaymentForm(payment_id, "2016-01-20", payer, "CUB.BNC", amount, "USD", "t")


def _record(store: Store, form: views.PaymentForm, language: str, who: Principal) -> None:
    with store.unit_of_work(write=True, late_lock=True) as uow:
        views.record_payment(uow, form, language, who)


def _stored(store: Store, payment_id: str) -> int | None:
    with store.unit_of_work() as uow:
        found = uow.financing.payments_in(date(2016, 1, 1), date(2016, 1, 31))
    return next((p.amount for p in found if p.id == payment_id), None)


def test_a_payment_is_read_the_way_its_language_writes_numbers(store: Store) -> None:
    _record(store, _form("UNIT-ES", "1.234,56"), "es", VEN_TREASURY)
    _record(store, _form("UNIT-EN", "1,234.56"), "en", VEN_TREASURY)
    assert _stored(store, "UNIT-ES") == _stored(store, "UNIT-EN") == 123_456
    with store.unit_of_work() as uow:
        shown = views.payments(uow, VEN_TREASURY)
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
    form: views.PaymentForm,
    language: str,
    who: Principal,
    error: type[Exception],
    field: str,
) -> None:
    with pytest.raises(error) as raised:
        _record(store, form, language, who)
    assert field in {p.field for p in raised.value.problems}  # type: ignore[attr-defined]
    assert _stored(store, form.payment_id) is None
