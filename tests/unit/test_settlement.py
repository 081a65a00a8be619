"""The bilateral settlement run on hand-worked cases: the reported quarter of Q4 2011 and the
rules of the terms one at a time (allocation order, what services may pay, overpayment).

Every expected figure is worked out by hand in the test's comments, never copied from a
run. Amounts are written as decimal USD text and read with `parse_minor` into cents.
"""

from __future__ import annotations

import importlib
import json
import random
from collections.abc import Sequence
from datetime import date, timedelta

import pytest

import convenio.settlement
from convenio.errors import InputError
from convenio.financing.accounts import cash_account, claim_account, payable_account
from convenio.financing.claims import Claim, ClaimType, Payment
from convenio.ledger.model import AccountSpec, Posting, Transaction
from convenio.ledger.validate import check_transaction
from convenio.periods import parse_period
from convenio.settlement import (
    Allocation,
    Credit,
    DirectionStatement,
    Method,
    OpenClaim,
    Settlement,
    advance_account,
    allocation_sequence,
    prepaid_account,
    settle,
    settlement_accounts,
    settlement_transactions,
)
from convenio.terms.model import SettlementTerms
from convenio.terms.values import AllocationStep
from convenio.units import parse_minor

VEN, CUB = "VEN.PDVSA", "CUB.BNC"
Q4 = parse_period("2011Q4")
PREFIX = "settle:2011Q4:VEN.PDVSA:CUB.BNC"

ST, FIN, INT, LATE = (
    ClaimType.SHORT_TERM,
    ClaimType.INSTALLMENT,
    ClaimType.INTEREST,
    ClaimType.LATE_INTEREST,
)
SVC, GOODS = ClaimType.SERVICES, ClaimType.GOODS


def usd(text: str) -> int:
    """Decimal USD text ("1,002,550,000.00" with or without commas) in cents."""
    return parse_minor(text.replace(",", ""), 2)


def claim(
    id_: str,
    creditor: str,
    debtor: str,
    type_: ClaimType,
    amount: str,
    issued: date,
    due: date | None = None,
    currency: str = "USD",
) -> Claim:
    due = due if due is not None else issued + timedelta(days=90)
    return Claim(id_, creditor, debtor, type_, usd(amount), currency, issued, due)


def whole(*claims: Claim) -> list[OpenClaim]:
    """The claims wholly outstanding."""
    return [OpenClaim(c, c.amount) for c in claims]


def rules(
    may_pay: Sequence[str] = ("any",),
    order: Sequence[str] = ("late-interest", "interest", "oldest-due"),
    overpayment: str = "carry",
) -> SettlementTerms:
    return SettlementTerms.model_validate(
        {
            "period": "quarter",
            "services_may_pay": list(may_pay),
            "allocation_order": list(order),
            "cash_currency": "USD",
            "overpayment": overpayment,
        }
    )


def pay(id_: str, payer: str, payee: str, amount: str, on: date) -> Payment:
    return Payment(id_, payer, payee, usd(amount), "USD", on)


def offset(paid: str, paying: str, amount: str) -> list[Allocation]:
    """The two allocations of one offset: on the claim paid off and on the one paying."""
    cents = usd(amount)
    return [
        Allocation(paid, cents, Method.OFFSET, paying),
        Allocation(paying, cents, Method.OFFSET, paid),
    ]


def after(result: Settlement) -> dict[str, int]:
    return {c.id: c.outstanding for c in result.remaining}


def chart(result: Settlement) -> dict[str, AccountSpec]:
    """The accounts of the run, named here from the chart (not from `settlement_accounts`)."""
    specs = [cash_account(p, result.currency) for p in (result.party_a, result.party_b)]
    for c in result.claims:
        specs.append(claim_account(c.claim.creditor, c.claim.type, c.claim.debtor, "USD"))
        specs.append(payable_account(c.claim.debtor, c.claim.type, c.claim.creditor, "USD"))
    for k in result.credits:
        specs.append(prepaid_account(k.payer, k.payee, "USD"))
        specs.append(advance_account(k.payee, k.payer, "USD"))
    return {s.name: s for s in specs}


def account_totals(txns: Sequence[Transaction]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for txn in txns:
        for p in txn.postings:
            totals[p.account] = totals.get(p.account, 0) + p.amount
    return totals


# --- the worked quarter, Q4 2011 (reported) ------------------------------------------------

# Oil: three monthly shipments, all short-term, 330,000,000.00 + 340,250,000.00 +
# 332,300,000.00 = 1,002,550,000.00 (the reported quarter). Services: three monthly
# invoices of 425,000,000.00 = 1,275,000,000.00. Cash: 163,470,000.00 from PDVSA.
OIL = [
    claim("oil:2011-10", VEN, CUB, ST, "330,000,000.00", date(2011, 10, 31)),
    claim("oil:2011-11", VEN, CUB, ST, "340,250,000.00", date(2011, 11, 30)),
    claim("oil:2011-12", VEN, CUB, ST, "332,300,000.00", date(2011, 12, 31)),
]
SERVICES = [
    claim("svc:2011-10", CUB, VEN, SVC, "425,000,000.00", date(2011, 10, 31), date(2011, 11, 30)),
    claim("svc:2011-11", CUB, VEN, SVC, "425,000,000.00", date(2011, 11, 30), date(2011, 12, 31)),
    claim("svc:2011-12", CUB, VEN, SVC, "425,000,000.00", date(2011, 12, 31), date(2012, 1, 31)),
]
CASH = pay("bnc:2011Q4", VEN, CUB, "163,470,000.00", date(2011, 12, 30))


def worked_quarter(may_pay: Sequence[str]) -> Settlement:
    return settle(Q4, VEN, CUB, whole(*OIL, *SERVICES), [CASH], rules(may_pay), "USD")


@pytest.mark.parametrize("may_pay", [("any",), ("short-term",)])
def test_worked_quarter_reproduces_the_reported_figures(may_pay: Sequence[str]) -> None:
    statement = worked_quarter(may_pay).statement
    # 1,275,000,000.00 - 1,002,550,000.00 = 272,450,000.00 owed by Venezuela, of which
    # 163,470,000.00 paid in cash and 272,450,000.00 - 163,470,000.00 = 108,980,000.00 left.
    assert (statement.net_debtor, statement.net_creditor) == (VEN, CUB)
    assert statement.net_amount == usd("272,450,000.00")
    assert statement.b_on_a.cash_paid == usd("163,470,000.00")
    assert statement.b_on_a.carried_forward == usd("108,980,000.00")
    assert statement.a_on_b.offset == statement.b_on_a.offset == usd("1,002,550,000.00")
    assert statement.a_on_b.carried_forward == 0


@pytest.mark.parametrize("may_pay", [("any",), ("short-term",)])
def test_worked_quarter_allocations(may_pay: Sequence[str]) -> None:
    result = worked_quarter(may_pay)
    # Oil in due order against services oldest first:
    #   oil-10 330.00 M   against svc-10 (425 -> 95 left)
    #   oil-11  95.00 M   against svc-10 (exhausted), oil-11 340.25 -> 245.25 left
    #   oil-11 245.25 M   against svc-11 (425 -> 179.75 left)
    #   oil-12 179.75 M   against svc-11 (exhausted), oil-12 332.30 -> 152.55 left
    #   oil-12 152.55 M   against svc-12 (425 -> 272.45 left)
    # then the cash, 163.47 M, on svc-12: 272.45 - 163.47 = 108.98 M carried.
    assert list(result.allocations) == [
        *offset("oil:2011-10", "svc:2011-10", "330,000,000.00"),
        *offset("oil:2011-11", "svc:2011-10", "95,000,000.00"),
        *offset("oil:2011-11", "svc:2011-11", "245,250,000.00"),
        *offset("oil:2011-12", "svc:2011-11", "179,750,000.00"),
        *offset("oil:2011-12", "svc:2011-12", "152,550,000.00"),
        Allocation("svc:2011-12", usd("163,470,000.00"), Method.CASH, "bnc:2011Q4"),
    ]
    assert after(result) == {
        "oil:2011-10": 0,
        "oil:2011-11": 0,
        "oil:2011-12": 0,
        "svc:2011-10": 0,
        "svc:2011-11": 0,
        "svc:2011-12": usd("108,980,000.00"),
    }
    assert [c.id for c in result.carried] == ["svc:2011-12"]
    assert result.credits == ()


def test_worked_quarter_statement_as_plain_data() -> None:
    data = worked_quarter(("any",)).statement.to_dict(scale=2)
    assert json.loads(json.dumps(data)) == data
    assert data == {
        "period": "2011Q4",
        "start": "2011-10-01",
        "end": "2011-12-31",
        "currency": "USD",
        "parties": [VEN, CUB],
        "directions": [
            {
                "creditor": VEN,
                "debtor": CUB,
                "invoiced": {"short-term": "1002550000.00"},
                "invoiced_total": "1002550000.00",
                "outstanding_before": "1002550000.00",
                "offset": "1002550000.00",
                "cash_paid": "0.00",
                "carried_forward": "0.00",
                "overpaid": "0.00",
            },
            {
                "creditor": CUB,
                "debtor": VEN,
                "invoiced": {"services": "1275000000.00"},
                "invoiced_total": "1275000000.00",
                "outstanding_before": "1275000000.00",
                "offset": "1002550000.00",
                "cash_paid": "163470000.00",
                "carried_forward": "108980000.00",
                "overpaid": "0.00",
            },
        ],
        "net": {"debtor": VEN, "creditor": CUB, "amount": "272450000.00"},
    }
    assert worked_quarter(("any",)).statement.to_dict(scale=3)["net"]["amount"] == "27245000.000"


def test_worked_quarter_transactions() -> None:
    result = worked_quarter(("any",))
    txns = settlement_transactions(result, PREFIX)
    assert [t.id for t in txns] == [
        f"{PREFIX}:offset:oil:2011-10:svc:2011-10",
        f"{PREFIX}:offset:oil:2011-11:svc:2011-10",
        f"{PREFIX}:offset:oil:2011-11:svc:2011-11",
        f"{PREFIX}:offset:oil:2011-12:svc:2011-11",
        f"{PREFIX}:offset:oil:2011-12:svc:2011-12",
        f"{PREFIX}:pay:bnc:2011Q4",
    ]
    first, cash = txns[0], txns[-1]
    x = usd("330,000,000.00")
    assert first.postings == (
        Posting("VEN.PDVSA/claims/short-term/CUB.BNC", -x, "USD"),
        Posting("CUB.BNC/payable/short-term/VEN.PDVSA", x, "USD"),
        Posting("CUB.BNC/claims/services/VEN.PDVSA", -x, "USD"),
        Posting("VEN.PDVSA/payable/services/CUB.BNC", x, "USD"),
    )
    assert (first.kind, first.date, first.source) == (
        "settlement",
        date(2011, 12, 31),
        "oil:2011-10,svc:2011-10",
    )
    y = usd("163,470,000.00")
    assert cash.postings == (
        Posting("CUB.BNC/claims/services/VEN.PDVSA", -y, "USD"),
        Posting("VEN.PDVSA/payable/services/CUB.BNC", y, "USD"),
        Posting("VEN.PDVSA/cash", -y, "USD"),
        Posting("CUB.BNC/cash", y, "USD"),
    )
    assert cash.source == "svc:2011-12"
    assert dict(cash.metadata)["payment"] == "bnc:2011Q4"
    specs = chart(result)
    assert settlement_accounts(result) == specs
    for txn in txns:
        assert check_transaction(txn, specs) == []
    # Over the run: all the oil and 1,002.55 + 163.47 = 1,166.02 M of services paid off.
    oil, services = usd("1,002,550,000.00"), usd("1,166,020,000.00")
    assert account_totals(txns) == {
        "VEN.PDVSA/claims/short-term/CUB.BNC": -oil,
        "CUB.BNC/payable/short-term/VEN.PDVSA": oil,
        "CUB.BNC/claims/services/VEN.PDVSA": -services,
        "VEN.PDVSA/payable/services/CUB.BNC": services,
        "VEN.PDVSA/cash": -y,
        "CUB.BNC/cash": y,
    }


def test_transactions_are_the_same_when_the_run_is_repeated_on_shuffled_input() -> None:
    once = settlement_transactions(worked_quarter(("any",)), PREFIX)
    claims = whole(*OIL, *SERVICES)
    random.Random(7).shuffle(claims)
    again = settle(Q4, VEN, CUB, claims, [CASH], rules(), "USD")
    assert settlement_transactions(again, PREFIX) == once


def test_long_claim_ids_give_a_digest_id_the_store_can_keep() -> None:
    long_a = claim("a" * 150, VEN, CUB, ST, "10.00", date(2011, 10, 1))
    long_b = claim("b" * 150, CUB, VEN, SVC, "10.00", date(2011, 10, 1))
    result = settle(Q4, VEN, CUB, whole(long_a, long_b), [], rules(), "USD")
    (txn,) = settlement_transactions(result, PREFIX)
    assert txn.id.startswith(f"{PREFIX}:offset:") and len(txn.id) <= 200
    assert txn.source == f"{'a' * 150},{'b' * 150}"


# --- allocation order ----------------------------------------------------------------------


def test_interest_before_principal() -> None:
    # Principal 100.00 due in November, interest 80.00 due in December; services 150.00.
    # [interest, financed]: interest 80.00 first, then 150 - 80 = 70.00 of principal.
    inst = claim("tr:1:inst:1", VEN, CUB, FIN, "100.00", date(2011, 10, 1), date(2011, 11, 15))
    intr = claim("tr:1:int:1", VEN, CUB, INT, "80.00", date(2011, 10, 1), date(2011, 12, 15))
    svc = claim("svc:1", CUB, VEN, SVC, "150.00", date(2011, 10, 31))
    claims = whole(inst, intr, svc)
    result = settle(Q4, VEN, CUB, claims, [], rules(order=("interest", "financed")), "USD")
    assert list(result.allocations) == [
        *offset("tr:1:int:1", "svc:1", "80.00"),
        *offset("tr:1:inst:1", "svc:1", "70.00"),
    ]
    assert after(result) == {"tr:1:inst:1": usd("30.00"), "tr:1:int:1": 0, "svc:1": 0}
    # Oldest due alone takes the principal (November) before the interest (December).
    result = settle(Q4, VEN, CUB, claims, [], rules(order=("oldest-due",)), "USD")
    assert after(result) == {"tr:1:inst:1": 0, "tr:1:int:1": usd("30.00"), "svc:1": 0}


def test_oldest_due_first_then_by_id() -> None:
    # Ids out of due order; two claims due on the same day are taken by id.
    jan = claim("z-jan", VEN, CUB, ST, "100.00", date(2011, 10, 1), date(2012, 1, 15))
    feb_b = claim("b-feb", VEN, CUB, ST, "100.00", date(2011, 10, 1), date(2012, 2, 15))
    feb_a = claim("a-feb", VEN, CUB, ST, "100.00", date(2011, 10, 1), date(2012, 2, 15))
    mar = claim("c-mar", VEN, CUB, ST, "100.00", date(2011, 10, 1), date(2012, 3, 15))
    svc = claim("svc", CUB, VEN, SVC, "250.00", date(2011, 10, 31))
    result = settle(Q4, VEN, CUB, whole(mar, feb_b, svc, jan, feb_a), [], rules(), "USD")
    # 250.00 = jan 100 + a-feb 100 + 50 of b-feb; March untouched.
    assert after(result) == {
        "a-feb": 0,
        "b-feb": usd("50.00"),
        "c-mar": usd("100.00"),
        "svc": 0,
        "z-jan": 0,
    }


def test_in_kind_claims_are_consumed_oldest_due_first() -> None:
    oil = claim("oil", VEN, CUB, ST, "100.00", date(2011, 10, 1))
    late = claim("svc-a", CUB, VEN, SVC, "80.00", date(2011, 12, 1), date(2011, 12, 31))
    early = claim("svc-b", CUB, VEN, GOODS, "80.00", date(2011, 10, 1), date(2011, 10, 31))
    result = settle(Q4, VEN, CUB, whole(oil, late, early), [], rules(), "USD")
    # The goods (due October) go first: 80.00, then 20.00 of the services.
    assert list(result.allocations) == [
        *offset("oil", "svc-b", "80.00"),
        *offset("oil", "svc-a", "20.00"),
    ]


def test_allocation_sequence_puts_unnamed_types_last_oldest_due_first() -> None:
    day = date(2011, 10, 1)
    claims = [
        claim("svc", CUB, VEN, SVC, "1.00", day, date(2011, 10, 5)),
        claim("fin", VEN, CUB, FIN, "1.00", day, date(2011, 10, 1)),
        claim("st-2", VEN, CUB, ST, "1.00", day, date(2011, 12, 1)),
        claim("int", VEN, CUB, INT, "1.00", day, date(2011, 12, 31)),
        claim("st-1", VEN, CUB, ST, "1.00", day, date(2011, 11, 1)),
        claim("late", VEN, CUB, LATE, "1.00", day, date(2011, 10, 3)),
    ]
    order = [AllocationStep.INTEREST, AllocationStep.SHORT_TERM]
    assert [c.id for c in allocation_sequence(claims, order)] == [
        "int",  # the interest step
        "st-1",  # the short-term step, by due date
        "st-2",
        "fin",  # then everything else by due date: 1, 3 and 5 October
        "late",
        "svc",
    ]
    steps = [AllocationStep.LATE_INTEREST, AllocationStep.OLDEST_DUE]
    assert [c.id for c in allocation_sequence(claims, steps)] == [
        "late",
        "fin",
        "svc",
        "st-1",
        "st-2",
        "int",
    ]


def test_services_that_may_pay_short_term_leave_financed_installments_untouched() -> None:
    st = claim("st", VEN, CUB, ST, "100.00", date(2011, 10, 1))
    fin = claim("fin", VEN, CUB, FIN, "100.00", date(2011, 10, 1), date(2011, 10, 31))
    intr = claim("int", VEN, CUB, INT, "10.00", date(2011, 10, 1), date(2011, 10, 31))
    svc = claim("svc", CUB, VEN, SVC, "500.00", date(2011, 10, 1))
    # Cuba pays 60.00 in cash: cash may pay any claim, interest (10.00) first.
    cash = pay("p", CUB, VEN, "60.00", date(2011, 11, 1))
    terms = rules(may_pay=("short-term",), order=("interest", "oldest-due"))
    result = settle(Q4, VEN, CUB, whole(st, fin, intr, svc), [cash], terms, "USD")
    assert list(result.allocations) == [
        *offset("st", "svc", "100.00"),
        Allocation("int", usd("10.00"), Method.CASH, "p"),
        Allocation("fin", usd("50.00"), Method.CASH, "p"),
    ]
    assert after(result) == {"st": 0, "fin": usd("50.00"), "int": 0, "svc": usd("400.00")}
    # Net before cash: Venezuela 210.00 on Cuba, Cuba 500.00 on Venezuela: Venezuela owes 290.
    s = result.statement
    assert (s.net_debtor, s.net_creditor, s.net_amount) == (VEN, CUB, usd("290.00"))
    assert s.a_on_b.invoiced == ((ST, usd("100.00")), (FIN, usd("100.00")), (INT, usd("10.00")))
    # Services may pay nothing at all: no offset.
    result = settle(Q4, VEN, CUB, whole(st, fin, svc), [], rules(may_pay=()), "USD")
    assert result.allocations == ()


def test_both_parties_in_kind() -> None:
    # Venezuela: short-term 100.00 and goods 50.00; Cuba: services 120.00, goods 40.00.
    v_st = claim("v-st", VEN, CUB, ST, "100.00", date(2011, 10, 1))
    v_goods = claim("v-goods", VEN, CUB, GOODS, "50.00", date(2011, 10, 1), date(2011, 11, 1))
    c_svc = claim("c-svc", CUB, VEN, SVC, "120.00", date(2011, 10, 1), date(2011, 11, 30))
    c_goods = claim("c-goods", CUB, VEN, GOODS, "40.00", date(2011, 10, 1), date(2011, 10, 31))
    claims = whole(v_st, v_goods, c_svc, c_goods)
    # Cuba's goods (due first) then services pay the short-term: 40 + 60, services 60 left;
    # with `any`, what is left in kind offsets itself: 50.00 of goods against services.
    result = settle(Q4, VEN, CUB, claims, [], rules(), "USD")
    assert list(result.allocations) == [
        *offset("v-st", "c-goods", "40.00"),
        *offset("v-st", "c-svc", "60.00"),
        *offset("c-svc", "v-goods", "50.00"),
    ]
    assert after(result) == {"v-st": 0, "v-goods": 0, "c-svc": usd("10.00"), "c-goods": 0}
    # Net: 150.00 against 160.00, Venezuela owes 10.00, offset or not.
    assert result.statement.net_amount == usd("10.00")
    assert result.statement.net_debtor == VEN
    # Services that may pay only short-term claims never pay goods.
    result = settle(Q4, VEN, CUB, claims, [], rules(may_pay=("short-term",)), "USD")
    assert after(result) == {
        "v-st": 0,
        "v-goods": usd("50.00"),
        "c-svc": usd("60.00"),
        "c-goods": 0,
    }
    assert result.statement.net_amount == usd("10.00")


def test_party_order_changes_the_statement_not_the_outcome() -> None:
    one = worked_quarter(("any",))
    other = settle(Q4, CUB, VEN, whole(*OIL, *SERVICES), [CASH], rules(), "USD")
    assert other.remaining == one.remaining
    assert sorted(other.allocations, key=repr) == sorted(one.allocations, key=repr)
    assert other.statement.a_on_b == one.statement.b_on_a
    assert other.statement.net_debtor == VEN


def test_net_position_even() -> None:
    a = claim("a", VEN, CUB, ST, "5.00", date(2011, 10, 1))
    b = claim("b", CUB, VEN, SVC, "5.00", date(2011, 10, 1))
    s = settle(Q4, VEN, CUB, whole(a, b), [], rules(), "USD").statement
    assert (s.net_debtor, s.net_creditor, s.net_amount) == (None, None, 0)


# --- overpayment ---------------------------------------------------------------------------


def test_overpayment_refused_names_the_payment_and_the_amounts() -> None:
    svc = claim("svc", CUB, VEN, SVC, "1,000.00", date(2011, 10, 1))
    cash = pay("pay-7", VEN, CUB, "1,500.00", date(2011, 12, 1))
    with pytest.raises(InputError) as caught:
        settle(Q4, VEN, CUB, whole(svc), [cash], rules(overpayment="refuse"), "USD")
    message = str(caught.value)
    for part in ("pay-7", "1,500.00 USD", "1,000.00 USD", "500.00 USD", VEN, CUB):
        assert part in message


def test_overpayment_carried_as_the_payers_credit() -> None:
    svc = claim("svc", CUB, VEN, SVC, "1,000.00", date(2011, 10, 1))
    first = pay("pay-1", VEN, CUB, "600.00", date(2011, 11, 1))
    second = pay("pay-2", VEN, CUB, "900.00", date(2011, 12, 1))
    result = settle(Q4, VEN, CUB, whole(svc), [second, first], rules(), "USD")
    # pay-1 (earlier) 600.00; pay-2 the 400.00 left, 500.00 carried.
    assert list(result.allocations) == [
        Allocation("svc", usd("600.00"), Method.CASH, "pay-1"),
        Allocation("svc", usd("400.00"), Method.CASH, "pay-2"),
    ]
    assert result.credits == (Credit("pay-2", VEN, CUB, usd("500.00")),)
    assert result.statement.b_on_a.cash_paid == usd("1,000.00")
    assert result.statement.b_on_a.overpaid == usd("500.00")
    txns = settlement_transactions(result, PREFIX)
    assert txns[-1].postings == (
        Posting("CUB.BNC/claims/services/VEN.PDVSA", -usd("400.00"), "USD"),
        Posting("VEN.PDVSA/payable/services/CUB.BNC", usd("400.00"), "USD"),
        Posting("VEN.PDVSA/cash", -usd("900.00"), "USD"),
        Posting("CUB.BNC/cash", usd("900.00"), "USD"),
        Posting("VEN.PDVSA/prepaid/CUB.BNC", usd("500.00"), "USD"),
        Posting("CUB.BNC/advances/VEN.PDVSA", -usd("500.00"), "USD"),
    )
    specs = chart(result)
    assert all(check_transaction(t, specs) == [] for t in txns)


def test_payment_with_nothing_owed_is_wholly_excess() -> None:
    cash = pay("p", CUB, VEN, "5.00", date(2011, 10, 2))
    with pytest.raises(InputError, match=r"the 0\.00 USD"):
        settle(Q4, VEN, CUB, [], [cash], rules(overpayment="refuse"), "USD")
    result = settle(Q4, VEN, CUB, [], [cash], rules(), "USD")
    assert result.credits == (Credit("p", CUB, VEN, usd("5.00")),)


# --- what takes part -----------------------------------------------------------------------


def test_only_open_claims_between_the_parties_in_the_currency_up_to_the_period_end() -> None:
    day = date(2011, 10, 1)
    taking_part = claim("in", VEN, CUB, ST, "100.00", date(2011, 7, 1))  # earlier quarter
    others = [
        claim("third", VEN, "DOM", ST, "100.00", day),
        claim("eur", VEN, CUB, ST, "100.00", day, currency="EUR"),
        claim("later", VEN, CUB, ST, "100.00", date(2012, 1, 1)),
    ]
    paid_off = claim("paid", VEN, CUB, ST, "100.00", day)
    svc = claim("svc", CUB, VEN, SVC, "1,000.00", day)
    payments = [
        pay("before", VEN, CUB, "1.00", date(2011, 9, 30)),
        pay("after", VEN, CUB, "1.00", date(2012, 1, 1)),
        pay("third", VEN, "DOM", "1.00", day),
        Payment("eur", VEN, CUB, 100, "EUR", day),
    ]
    claims = [*whole(taking_part, svc, *others), OpenClaim(paid_off, 0)]
    result = settle(Q4, VEN, CUB, claims, payments, rules(), "USD")
    assert [c.id for c in result.claims] == ["in", "svc"]
    assert result.payments == ()
    assert after(result) == {"in": 0, "svc": usd("900.00")}
    # Invoiced counts claims issued in the quarter, paid off or not; not the July one.
    assert result.statement.a_on_b.invoiced == ((ST, usd("100.00")),)
    assert result.statement.a_on_b.outstanding_before == usd("100.00")


def test_refused_inputs() -> None:
    a = claim("a", VEN, CUB, ST, "1.00", date(2011, 10, 1))
    with pytest.raises(InputError, match="two parties"):
        settle(Q4, VEN, VEN, [], [], rules(), "USD")
    with pytest.raises(InputError, match="claim 'a' is given twice"):
        settle(Q4, VEN, CUB, [*whole(a), OpenClaim(a, 0)], [], rules(), "USD")
    twice = pay("p", VEN, CUB, "1.00", date(2011, 10, 1))
    with pytest.raises(InputError, match="payment 'p' is given twice"):
        settle(Q4, VEN, CUB, [], [twice, twice], rules(), "USD")
    with pytest.raises(InputError, match="not positive"):
        settle(Q4, VEN, CUB, [], [pay("z", VEN, CUB, "0.00", date(2011, 10, 1))], rules(), "USD")
    with pytest.raises(InputError, match="outstanding"):
        OpenClaim(a, a.amount + 1)
    with pytest.raises(InputError, match="prefix"):
        settlement_transactions(worked_quarter(("any",)), " ")


def test_public_surface() -> None:
    module = importlib.import_module("convenio.settlement")
    names = module.__all__
    assert len(set(names)) == len(names)
    for name in names:
        assert hasattr(convenio.settlement, name)


def test_settlement_lookups_and_payment_reference() -> None:
    svc = claim("svc", CUB, VEN, SVC, "100.00", date(2011, 10, 1))
    cash = Payment("p", VEN, CUB, usd("40.00"), "USD", date(2011, 11, 1), reference="SWIFT-1")
    result = settle(Q4, VEN, CUB, whole(svc), [cash], rules(), "USD")
    assert result.claim("svc") == svc
    assert result.outstanding_before("svc") == usd("100.00")
    assert result.outstanding_after("svc") == usd("60.00")
    assert result.allocated("svc", Method.CASH) == usd("40.00")
    assert result.allocated("svc", Method.OFFSET) == 0
    for lookup in (result.claim, result.outstanding_before, result.outstanding_after):
        with pytest.raises(KeyError):
            lookup("nope")
    (txn,) = settlement_transactions(result, PREFIX)
    assert dict(txn.metadata) == {
        "payment": "p",
        "period": "2011Q4",
        "reference": "SWIFT-1",
        "settlement": PREFIX,
    }


def test_a_statement_that_does_not_add_up_is_refused() -> None:
    with pytest.raises(ValueError, match="carried"):
        DirectionStatement(VEN, CUB, (), 100, 30, 20, 40)
