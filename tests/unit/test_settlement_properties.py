"""Invariants of the settlement run for any claims, payments and rules (Hypothesis).

Claims and payments are drawn between three parties (the third's are to be ignored), in
two currencies, issued around the quarter; the rules draw what services may pay, the
allocation order and the overpayment policy. Whatever they are, the run conserves every
claim, allocates nothing beyond what is outstanding, nets to the independent sum, does
not depend on input order, leaves nothing to offset when re-run, and books balanced
transactions on the chart of accounts.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from convenio.errors import InputError
from convenio.financing.claims import Claim, ClaimType, Payment
from convenio.ledger.validate import check_transaction
from convenio.periods import parse_period
from convenio.settlement import (
    IN_KIND,
    Method,
    OpenClaim,
    Settlement,
    payable_in_kind,
    settle,
    settlement_accounts,
    settlement_transactions,
)
from convenio.terms.model import SettlementTerms
from convenio.terms.values import Overpayment

A, B, C = "VEN.PDVSA", "CUB.BNC", "DOM"
Q4 = parse_period("2011Q4")
DAY0 = date(2011, 8, 1)  # claims are issued from here to 150 days later, past the quarter

directed_pairs = st.sampled_from([(A, B), (B, A), (A, C), (C, B)])
currencies = st.sampled_from(["USD", "USD", "USD", "EUR"])


@st.composite
def open_claims(draw: st.DrawFn) -> list[OpenClaim]:
    n = draw(st.integers(0, 12))
    claims = []
    for i in range(n):
        creditor, debtor = draw(directed_pairs)
        amount = draw(st.integers(1, 10_000))
        issued = DAY0 + timedelta(days=draw(st.integers(0, 150)))
        due = issued + timedelta(days=draw(st.integers(0, 90)))
        claim = Claim(
            f"c{i}",
            creditor,
            debtor,
            draw(st.sampled_from(list(ClaimType))),
            amount,
            draw(currencies),
            issued,
            due,
        )
        outstanding = draw(st.one_of(st.just(amount), st.integers(0, amount)))
        claims.append(OpenClaim(claim, outstanding))
    return claims


@st.composite
def payments(draw: st.DrawFn) -> list[Payment]:
    n = draw(st.integers(0, 4))
    result = []
    for i in range(n):
        payer, payee = draw(directed_pairs)
        on = date(2011, 9, 1) + timedelta(days=draw(st.integers(0, 150)))
        amount = draw(st.integers(1, 15_000))
        result.append(Payment(f"p{i}", payer, payee, amount, draw(currencies), on))
    return result


KINDS = ["short-term", "financed", "interest", "late-interest"]


@st.composite
def terms(draw: st.DrawFn, overpayment: str = "carry") -> SettlementTerms:
    may_pay = draw(st.one_of(st.just(["any"]), st.permutations(KINDS).map(lambda k: k[:2])))
    steps = draw(st.permutations(KINDS))[: draw(st.integers(1, 4))]
    if draw(st.booleans()):
        steps = [*steps[:-1], "oldest-due"]
    return SettlementTerms.model_validate(
        {
            "period": "quarter",
            "services_may_pay": may_pay,
            "allocation_order": steps,
            "cash_currency": "USD",
            "overpayment": overpayment,
        }
    )


def run(claims: Sequence[OpenClaim], paid: Sequence[Payment], rules: SettlementTerms) -> Settlement:
    return settle(Q4, A, B, claims, paid, rules, "USD")


def takes_part(c: OpenClaim) -> bool:
    k = c.claim
    return (
        {k.creditor, k.debtor} == {A, B}
        and k.currency == "USD"
        and k.issued <= Q4.end
        and c.outstanding > 0
    )


@settings(max_examples=300)
@given(open_claims(), payments(), terms())
def test_conservation_and_bounds(
    claims: list[OpenClaim], paid: list[Payment], rules: SettlementTerms
) -> None:
    result = run(claims, paid, rules)
    assert {c.id for c in result.claims} == {c.id for c in claims if takes_part(c)}
    assert [c.id for c in result.remaining] == [c.id for c in result.claims]
    for before, left in zip(result.claims, result.remaining, strict=True):
        allocated = result.allocated(before.id)
        assert before.outstanding == allocated + left.outstanding
        assert 0 <= left.outstanding <= before.outstanding
    assert all(a.amount > 0 for a in result.allocations)
    # Offsets come in mirrored pairs: the same amount on two claims of opposite directions.
    offsets = [a for a in result.allocations if a.method is Method.OFFSET]
    assert sorted((a.claim_id, a.against, a.amount) for a in offsets) == sorted(
        (a.against, a.claim_id, a.amount) for a in offsets
    )
    for a in offsets:
        paid_off, paying = result.claim(a.claim_id), result.claim(a.against)
        assert (paid_off.creditor, paid_off.debtor) == (paying.debtor, paying.creditor)
        assert paid_off.type in IN_KIND or paying.type in IN_KIND
    a_side = sum(a.amount for a in offsets if result.claim(a.claim_id).creditor == A)
    b_side = sum(a.amount for a in offsets if result.claim(a.claim_id).creditor == B)
    assert a_side == b_side
    s = result.statement
    assert s.a_on_b.offset == s.b_on_a.offset == a_side
    # Cash: every payment of the period between the two is applied or carried, wholly.
    in_period = [
        p
        for p in paid
        if {p.payer, p.payee} == {A, B} and p.currency == "USD" and Q4.contains(p.date)
    ]
    applied = sum(a.amount for a in result.allocations if a.method is Method.CASH)
    assert applied + sum(k.amount for k in result.credits) == sum(p.amount for p in in_period)
    for a in result.allocations:
        if a.method is Method.CASH:
            payment = next(p for p in in_period if p.id == a.against)
            k = result.claim(a.claim_id)
            assert (k.creditor, k.debtor) == (payment.payee, payment.payer)


@settings(max_examples=300)
@given(open_claims(), payments(), terms())
def test_net_position_before_cash(
    claims: list[OpenClaim], paid: list[Payment], rules: SettlementTerms
) -> None:
    s = run(claims, paid, rules).statement
    a_on_b = sum(c.outstanding for c in claims if takes_part(c) and c.claim.creditor == A)
    b_on_a = sum(c.outstanding for c in claims if takes_part(c) and c.claim.creditor == B)
    assert (s.a_on_b.outstanding_before, s.b_on_a.outstanding_before) == (a_on_b, b_on_a)
    net = a_on_b - b_on_a
    assert s.net_amount == abs(net)
    if net > 0:
        assert (s.net_debtor, s.net_creditor) == (B, A)
    elif net < 0:
        assert (s.net_debtor, s.net_creditor) == (A, B)
    else:
        assert (s.net_debtor, s.net_creditor) == (None, None)
    for d in s.directions:
        assert d.outstanding_before - d.offset - d.cash_paid == d.carried_forward


@settings(max_examples=200)
@given(open_claims(), payments(), terms(), st.randoms(use_true_random=False))
def test_input_order_does_not_matter(
    claims: list[OpenClaim], paid: list[Payment], rules: SettlementTerms, rnd: random.Random
) -> None:
    result = run(claims, paid, rules)
    shuffled_claims, shuffled_payments = list(claims), list(paid)
    rnd.shuffle(shuffled_claims)
    rnd.shuffle(shuffled_payments)
    again = run(shuffled_claims, shuffled_payments, rules)
    assert again == result
    assert settlement_transactions(again, "s") == settlement_transactions(result, "s")


@settings(max_examples=300)
@given(open_claims(), payments(), terms())
def test_resettling_the_result_offsets_nothing_more(
    claims: list[OpenClaim], paid: list[Payment], rules: SettlementTerms
) -> None:
    result = run(claims, paid, rules)
    # In each direction either the in-kind claims or the claims they may pay are exhausted.
    may_pay = payable_in_kind(rules.services_may_pay)
    left = result.carried
    for holder, other in ((A, B), (B, A)):
        in_kind = [c for c in left if c.claim.creditor == holder and c.claim.type in IN_KIND]
        # `any` is the only kind that includes services and goods themselves.
        payable = [c for c in left if c.claim.creditor == other and c.claim.type in may_pay]
        assert not (in_kind and payable)
    again = settle(Q4, A, B, result.remaining, [], rules, "USD")
    assert again.allocations == ()
    assert again.remaining == result.carried
    net = sum(c.outstanding if c.claim.creditor == A else -c.outstanding for c in left)
    assert again.statement.net_amount == abs(net)


@settings(max_examples=200)
@given(open_claims(), payments(), terms("refuse"))
def test_refuse_raises_exactly_when_carry_would_carry(
    claims: list[OpenClaim], paid: list[Payment], rules: SettlementTerms
) -> None:
    carrying = run(claims, paid, rules.model_copy(update={"overpayment": Overpayment.CARRY}))
    try:
        refusing = run(claims, paid, rules)
    except InputError as exc:
        assert carrying.credits
        assert all(k.payment_id in str(exc.render()) for k in carrying.credits)
    else:
        assert carrying.credits == ()
        assert refusing == carrying


@settings(max_examples=300)
@given(open_claims(), payments(), terms())
def test_every_transaction_balances_on_the_chart(
    claims: list[OpenClaim], paid: list[Payment], rules: SettlementTerms
) -> None:
    result = run(claims, paid, rules)
    txns = settlement_transactions(result, "settle:2011Q4:VEN.PDVSA:CUB.BNC")
    specs = settlement_accounts(result)
    assert len({t.id for t in txns}) == len(txns)
    totals: dict[str, int] = {}
    for txn in txns:
        assert check_transaction(txn, specs) == []
        per_unit: dict[str, int] = {}
        for p in txn.postings:
            per_unit[p.unit] = per_unit.get(p.unit, 0) + p.amount
            totals[p.account] = totals.get(p.account, 0) + p.amount
        assert set(per_unit.values()) <= {0}
        assert txn.kind == "settlement" and txn.date == Q4.end
    # Each claims account falls by exactly what was allocated to its claims.
    expected: dict[str, int] = {}
    for c in result.claims:
        k = c.claim
        name = f"{k.creditor}/claims/{k.type.value}/{k.debtor}"
        expected[name] = expected.get(name, 0) - result.allocated(c.id)
    for name, amount in expected.items():
        assert totals.get(name, 0) == amount
