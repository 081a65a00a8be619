"""The pure parts of the overview (convenio.settlement.positions): the accounts a debt is
read from, a statement's figures by kind, quarter ends and balances at given days."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from convenio.financing.claims import ClaimType
from convenio.periods import PeriodType, period_of
from convenio.settlement.positions import (
    DebtAccount,
    Kind,
    Owed,
    Pair,
    balances_on,
    debt_account,
    debt_accounts,
    quarter_ends,
    statement_debts,
)
from convenio.terms import state_of

DAYS = st.dates(min_value=date(1999, 1, 1), max_value=date(2030, 12, 31))


def test_quarter_ends_run_to_the_day_asked() -> None:
    assert quarter_ends(date(2000, 11, 5), date(2001, 5, 10)) == (
        date(2000, 12, 31),
        date(2001, 3, 31),
        date(2001, 5, 10),
    )
    assert quarter_ends(date(2000, 10, 1), date(2001, 3, 31)) == (
        date(2000, 12, 31),
        date(2001, 3, 31),
    )
    assert quarter_ends(date(2001, 3, 31), date(2001, 3, 31)) == (date(2001, 3, 31),)
    assert quarter_ends(date(2001, 4, 1), date(2001, 3, 31)) == ()


@given(DAYS, st.integers(min_value=0, max_value=4000))
def test_quarter_ends_are_every_quarter_end_then_the_last_day(first: date, span: int) -> None:
    last = first + timedelta(days=span)
    ends = quarter_ends(first, last)
    assert ends[-1] == last
    assert list(ends) == sorted(set(ends))
    quarters = [period_of(d, PeriodType.QUARTERLY) for d in ends]
    assert quarters[0] == period_of(first, PeriodType.QUARTERLY)
    for before, after in itertools.pairwise(quarters):
        assert after == before.next()  # no quarter skipped
    assert all(q.end == d for q, d in zip(quarters[:-1], ends[:-1], strict=True))


MOVES = st.dictionaries(
    st.sampled_from(["a", "b", "c"]),
    st.lists(st.tuples(DAYS, st.integers(min_value=-(10**12), max_value=10**12)), max_size=30),
    max_size=3,
).map(lambda found: {key: sorted(dated) for key, dated in found.items()})


@given(MOVES, st.lists(DAYS, max_size=10).map(lambda days: sorted(set(days))))
def test_balances_on_each_day_are_the_moves_dated_by_then(
    moves: dict[str, list[tuple[date, int]]], days: list[date]
) -> None:
    opening = {"a": 7}
    found = balances_on(days, moves, opening)
    assert len(found) == len(days)
    for day, balances in zip(days, found, strict=True):
        for key, dated in moves.items():
            assert balances[key] == opening.get(key, 0) + sum(a for d, a in dated if d <= day)


@given(MOVES, DAYS, st.integers(min_value=0, max_value=3000))
def test_the_position_by_quarter_ends_at_the_position_on_the_last_day(
    moves: dict[str, list[tuple[date, int]]], first: date, span: int
) -> None:
    last = first + timedelta(days=span)
    series = balances_on(quarter_ends(first, last), moves)
    on_last = {key: sum(a for d, a in dated if d <= last) for key, dated in moves.items()}
    assert series[-1] == on_last


def test_a_debt_is_read_from_a_payable_or_a_claim() -> None:
    assert debt_account("CUB.CUPET/payable/financed/VEN.PDVSA") == DebtAccount(
        "CUB.CUPET", "VEN.PDVSA", ClaimType.INSTALLMENT, "CUB.CUPET", -1
    )
    assert debt_account("VEN.PDVSA/claims/short-term/CUB.CUPET") == DebtAccount(
        "CUB.CUPET", "VEN.PDVSA", ClaimType.SHORT_TERM, "VEN.PDVSA", 1
    )
    for other in ("VEN/cash", "VEN/income/services", "VEN/payable/nothing/CUB", "A/b/c/d/e"):
        assert debt_account(other) is None


NAMES = (
    "VEN/payable/services/CUB",
    "CUB/claims/services/VEN",
    "CUB.CUPET/payable/short-term/VEN.PDVSA",
    "VEN.PDVSA/claims/short-term/CUB.CUPET",
    "VEN.PDVSA/cash",
)


def test_every_party_read_counts_each_debt_once_from_its_payable() -> None:
    chosen = debt_accounts(NAMES, lambda party: True)
    assert sorted(chosen) == ["CUB.CUPET/payable/short-term/VEN.PDVSA", "VEN/payable/services/CUB"]


def test_one_party_read_counts_its_payables_and_its_claims() -> None:
    def venezuela(party: str) -> bool:
        return state_of(party) == "VEN"

    chosen = debt_accounts(NAMES, venezuela)
    assert sorted(chosen) == ["VEN.PDVSA/claims/short-term/CUB.CUPET", "VEN/payable/services/CUB"]
    assert debt_accounts(NAMES, lambda party: False) == {}


@given(st.sets(st.sampled_from(["VEN", "VEN.PDVSA", "CUB", "CUB.BNC", "CUB.CUPET"])))
def test_no_debt_is_counted_twice_whoever_reads(read: set[str]) -> None:
    parties = ["VEN", "VEN.PDVSA", "CUB", "CUB.BNC", "CUB.CUPET"]
    names = [f"{a}/payable/interest/{b}" for a in parties for b in parties if a != b] + [
        f"{b}/claims/interest/{a}" for a in parties for b in parties if a != b
    ]
    chosen = debt_accounts(names, read.__contains__)
    debts = [(d.debtor, d.creditor) for d in chosen.values()]
    assert len(debts) == len(set(debts))
    assert set(debts) == {(a, b) for a in parties for b in parties if a != b and read & {a, b}}


def _row(direction: str, other: str, type_: str, amount: str) -> dict[str, str]:
    return {
        "direction": direction,
        "counterparty": other,
        "type": type_,
        "age": "current",
        "currency": "USD",
        "outstanding": amount,
    }


def test_a_statement_by_kind_counts_installments_due_inside_the_principal() -> None:
    statement = {
        "party": "VEN.PDVSA",
        "claims": [
            _row("receivable", "CUB.BNC", "short-term", "100.00"),
            _row("receivable", "CUB.BNC", "short-term", "0.50"),
            _row("receivable", "CUB.BNC", "financed", "30.00"),
            _row("receivable", "CUB.BNC", "interest", "2.00"),
            _row("receivable", "CUB.BNC", "late-interest", "1.25"),
            _row("payable", "CUB.BNC", "services", "900.00"),
            _row("payable", "CUB.BNC", "goods", "10.00"),
        ],
        "tranche_principal": [
            {"direction": "receivable", "counterparty": "CUB.BNC", "currency": "USD",
             "outstanding": "500.00"},
        ],
        "accrued_interest_not_due": [
            {"direction": "receivable", "counterparty": "CUB.BNC", "currency": "USD",
             "amount": "0.75"},
        ],
    }  # fmt: skip
    found = statement_debts(statement, {"USD": 2})
    cuba = Owed(short_term=10050, principal=50000, interest=400, services=0, principal_due=3000)
    assert found == {
        Pair("CUB.BNC", "VEN.PDVSA", "USD"): cuba,
        Pair("VEN.PDVSA", "CUB.BNC", "USD"): Owed(services=91000),
    }
    assert cuba.total == 10050 + 50000 + 400  # what is due of the principal is in it
    assert cuba.of(Kind.INTEREST) == 400
