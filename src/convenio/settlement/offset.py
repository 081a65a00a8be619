"""The bilateral settlement (compensation) run: offset in kind, apply cash, carry the rest.

This is the step of the flow that follows valuation and financing: they leave claims in
both directions between two parties (oil invoices, tranche installments and interest one
way; invoices for services and goods the other), and each period `settle` nets them as
the terms' `SettlementTerms` say. It is a pure function of its inputs — the claims
still open with what is outstanding on each, the period's cash payments and the rules —
and returns a `Settlement` value; `convenio.settlement.postings` turns that into ledger
transactions and a service writes them. The algorithm, with the worked quarter of Q4
2011, is described in ``docs/settlement.md``. Amounts are integers of minor units.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Final

from convenio.errors import InputError, Problem
from convenio.financing.claims import Claim, ClaimType, Payment
from convenio.periods import Period
from convenio.settlement.model import Allocation, Credit, Method, OpenClaim, Settlement
from convenio.settlement.statement import DirectionStatement, Statement
from convenio.terms.model import SettlementTerms
from convenio.terms.values import AllocationStep, ClaimKind, Overpayment
from convenio.units import format_minor

__all__ = [
    "ALL_TYPES",
    "IN_KIND",
    "allocation_sequence",
    "payable_in_kind",
    "settle",
]

IN_KIND: Final = frozenset({ClaimType.SERVICES, ClaimType.GOODS})
"""The claim types that pay in kind: invoices for services and for goods."""

ALL_TYPES: Final = frozenset(ClaimType)

_STEP_TYPE: Final = {
    AllocationStep.LATE_INTEREST: ClaimType.LATE_INTEREST,
    AllocationStep.INTEREST: ClaimType.INTEREST,
    AllocationStep.SHORT_TERM: ClaimType.SHORT_TERM,
    AllocationStep.FINANCED: ClaimType.INSTALLMENT,
}

_KIND_TYPES: Final = {
    ClaimKind.SHORT_TERM: frozenset({ClaimType.SHORT_TERM}),
    ClaimKind.FINANCED: frozenset({ClaimType.INSTALLMENT}),
    ClaimKind.INTEREST: frozenset({ClaimType.INTEREST}),
    ClaimKind.LATE_INTEREST: frozenset({ClaimType.LATE_INTEREST}),
    ClaimKind.ANY: ALL_TYPES,
}


def payable_in_kind(services_may_pay: Iterable[ClaimKind]) -> frozenset[ClaimType]:
    """The claim types that services and goods may pay off (``any``: every type)."""
    types: frozenset[ClaimType] = frozenset()
    for kind in services_may_pay:
        types |= _KIND_TYPES[kind]
    return types


def _due_order(claim: Claim) -> tuple[object, ...]:
    return (claim.due, claim.id)


def allocation_sequence(claims: Iterable[Claim], order: Sequence[AllocationStep]) -> list[Claim]:
    """`claims` in the order an offset or a payment pays them off.

    Each step of `order` takes the claims of its type, oldest due date first, then by
    id; ``oldest-due`` takes every claim not yet taken in that order. Claims of a type
    no step names (services and goods always) follow at the end, oldest due first, as
    if the order ended with ``oldest-due``.
    """
    rest = sorted(claims, key=_due_order)
    ordered: list[Claim] = []
    for step in order:
        if step == AllocationStep.OLDEST_DUE:
            taken, rest = rest, []
        else:
            type_ = _STEP_TYPE[step]
            taken = [c for c in rest if c.type == type_]
            rest = [c for c in rest if c.type != type_]
        ordered += taken
    return ordered + rest


class _Book:
    """What each claim still owes while the run allocates; refuses to over-allocate."""

    def __init__(self, claims: Sequence[OpenClaim], side: Callable[[str], str]) -> None:
        self._side = side
        self._claims = {c.id: c.claim for c in claims}
        self._left = {c.id: c.outstanding for c in claims}
        self.allocations: list[Allocation] = []

    def left(self, claim_id: str) -> int:
        return self._left[claim_id]

    def open(self, creditor: str, debtor: str, types: frozenset[ClaimType]) -> list[Claim]:
        """The claims of `creditor` on `debtor` of `types` that still owe something."""
        return [
            c
            for c in self._claims.values()
            if self._side(c.creditor) == creditor
            and self._side(c.debtor) == debtor
            and c.type in types
            and self._left[c.id] > 0
        ]

    def take(self, claim_id: str, amount: int, method: Method, against: str) -> None:
        if not 0 < amount <= self._left[claim_id]:  # pragma: no cover - a bug if it happens
            owes = self._left[claim_id]
            raise AssertionError(f"allocating {amount} to {claim_id}, which owes {owes}")
        self._left[claim_id] -= amount
        self.allocations.append(Allocation(claim_id, amount, method, against))

    def offset(self, owed: Sequence[Claim], in_kind: Sequence[Claim]) -> None:
        """Pair `owed` (in allocation order) with `in_kind` (oldest first) until one runs out."""
        i = j = 0
        while i < len(owed) and j < len(in_kind):
            paid, paying = owed[i], in_kind[j]
            amount = min(self._left[paid.id], self._left[paying.id])
            self.take(paid.id, amount, Method.OFFSET, paying.id)
            self.take(paying.id, amount, Method.OFFSET, paid.id)
            i += self._left[paid.id] == 0
            j += self._left[paying.id] == 0

    def pay(self, payment: Payment, owed: Sequence[Claim]) -> int:
        """Apply `payment` to `owed` in order; return what is left of it (the excess)."""
        left = payment.amount
        for claim in owed:
            if left == 0:
                break
            amount = min(left, self._left[claim.id])
            self.take(claim.id, amount, Method.CASH, payment.id)
            left -= amount
        return left

    def remaining(self, claims: Sequence[OpenClaim]) -> tuple[OpenClaim, ...]:
        return tuple(OpenClaim(c.claim, self._left[c.id]) for c in claims)


def _input_error(message: str, field: str) -> InputError:
    return InputError(message, [Problem(message, field=field)])


def _money(minor: int, scale: int, currency: str) -> str:
    return f"{format_minor(minor, scale, grouping=True)} {currency}"


def _unique(ids: Iterable[str], what: str) -> None:
    seen: set[str] = set()
    for id_ in ids:
        if id_ in seen:
            raise _input_error(f"{what} {id_!r} is given twice", what + "s")
        seen.add(id_)


def settle(
    period: Period,
    party_a: str,
    party_b: str,
    open_claims: Sequence[OpenClaim],
    payments: Sequence[Payment],
    rules: SettlementTerms,
    currency: str,
    *,
    scale: int = 2,
    sides: Mapping[str, str] | None = None,
) -> Settlement:
    """Settle the claims between `party_a` and `party_b` in `currency` for `period`.

    Claims take part if they are between the two parties, in `currency`, issued on or
    before the period's end and still outstanding; payments if they go from one party
    to the other in `currency` on a day of the period. Others are ignored. In order:

    1. *offset in kind* — each party's services and goods claims pay off the other
       party's claims of the types `rules.services_may_pay` allows, these taken in
       `rules.allocation_order`, the in-kind claims consumed oldest due first; then,
       only if services may pay ``any`` claim, the in-kind claims left on both sides
       offset each other;
    2. *cash* — each payment, by date then id, pays off the payee's claims on the payer
       in the allocation order (every type); an excess is refused (`InputError` naming
       the payment and the amounts) or carried as the payer's `Credit`, as
       `rules.overpayment` says;
    3. *carry* — what is left stays outstanding (`Settlement.carried`).

    The result does not depend on the order of `open_claims` and `payments`. `scale`
    (the currency's decimals) only formats amounts in error messages. Raises
    `InputError` when the parties are the same or an id is given twice.

    `sides` maps a party to the party that settles for it (``CUB.CUPET`` and ``CUB`` to
    ``CUB.BNC``): their claims and payments then take part as that side's, while the
    postings still name the claims' own parties. Parties not in it settle for themselves.
    """
    if party_a == party_b:
        raise _input_error(f"a settlement needs two parties, got {party_a} twice", "parties")
    pair = {party_a, party_b}
    mapping = dict(sides or {})

    def side(party: str) -> str:
        return mapping.get(party, party)

    relevant = [
        c
        for c in open_claims
        if {side(c.claim.creditor), side(c.claim.debtor)} == pair
        and c.claim.currency == currency
        and c.claim.issued <= period.end
    ]
    _unique((c.id for c in relevant), "claim")
    claims = sorted((c for c in relevant if c.outstanding > 0), key=lambda c: c.id)
    paid = sorted(
        (
            p
            for p in payments
            if {side(p.payer), side(p.payee)} == pair
            and p.currency == currency
            and period.contains(p.date)
        ),
        key=lambda p: (p.date, p.id),
    )
    _unique((p.id for p in paid), "payment")
    for p in paid:
        if p.amount <= 0:
            raise _input_error(f"payment {p.id}: amount {p.amount} is not positive", "payments")

    book = _Book(claims, side)
    order = rules.allocation_order
    may_pay = payable_in_kind(rules.services_may_pay)
    for creditor, debtor in ((party_a, party_b), (party_b, party_a)):
        owed = allocation_sequence(book.open(debtor, creditor, may_pay - IN_KIND), order)
        in_kind = sorted(book.open(creditor, debtor, IN_KIND), key=_due_order)
        book.offset(owed, in_kind)
    if may_pay >= IN_KIND:
        # Services pay anything: what is left in kind on both sides offsets itself.
        owed = allocation_sequence(book.open(party_b, party_a, IN_KIND), order)
        in_kind = sorted(book.open(party_a, party_b, IN_KIND), key=_due_order)
        book.offset(owed, in_kind)

    credits: list[Credit] = []
    refused: list[Problem] = []
    for p in paid:
        owed = allocation_sequence(book.open(side(p.payee), side(p.payer), ALL_TYPES), order)
        was_owed = sum(book.left(c.id) for c in owed)
        excess = book.pay(p, owed)
        if not excess:
            continue
        if rules.overpayment == Overpayment.CARRY:
            credits.append(Credit(p.id, p.payer, p.payee, excess))
            continue
        message = (
            f"payment {p.id} of {_money(p.amount, scale, currency)} from {p.payer} to "
            f"{p.payee} on {p.date.isoformat()} is more than the "
            f"{_money(was_owed, scale, currency)} {p.payee} is still owed by {p.payer} in "
            f"{period.iso()}: {_money(excess, scale, currency)} too much, and the terms "
            "refuse overpayments"
        )
        refused.append(Problem(message, field="payments"))
    if refused:
        raise InputError.from_problems(refused, what=f"settlement of {period.iso()}")

    remaining = book.remaining(claims)
    allocations = tuple(book.allocations)
    statement = _statement(
        period, party_a, party_b, currency, relevant, claims, remaining, allocations, credits,
        side,
    )  # fmt: skip
    return Settlement(
        period=period,
        party_a=party_a,
        party_b=party_b,
        currency=currency,
        claims=tuple(claims),
        remaining=remaining,
        payments=tuple(paid),
        allocations=allocations,
        credits=tuple(credits),
        statement=statement,
    )


def _statement(
    period: Period,
    party_a: str,
    party_b: str,
    currency: str,
    relevant: Sequence[OpenClaim],
    before: Sequence[OpenClaim],
    after: Sequence[OpenClaim],
    allocations: Sequence[Allocation],
    credits: Sequence[Credit],
    side: Callable[[str], str],
) -> Statement:
    def direction(creditor: str, debtor: str) -> DirectionStatement:
        def held(claim: Claim) -> bool:
            return side(claim.creditor) == creditor and side(claim.debtor) == debtor

        invoiced = dict.fromkeys(ClaimType, 0)
        seen: set[ClaimType] = set()
        for c in relevant:
            if held(c.claim) and period.contains(c.claim.issued):
                invoiced[c.claim.type] += c.claim.amount
                seen.add(c.claim.type)
        ids = {c.id for c in before if held(c.claim)}
        by_method = {
            m: sum(a.amount for a in allocations if a.claim_id in ids and a.method is m)
            for m in Method
        }
        return DirectionStatement(
            creditor=creditor,
            debtor=debtor,
            invoiced=tuple((t, invoiced[t]) for t in ClaimType if t in seen),
            outstanding_before=sum(c.outstanding for c in before if c.id in ids),
            offset=by_method[Method.OFFSET],
            cash_paid=by_method[Method.CASH],
            carried_forward=sum(c.outstanding for c in after if c.id in ids),
            overpaid=sum(
                k.amount for k in credits if side(k.payee) == creditor and side(k.payer) == debtor
            ),
        )

    a_on_b, b_on_a = direction(party_a, party_b), direction(party_b, party_a)
    net = a_on_b.outstanding_before - b_on_a.outstanding_before
    debtor, creditor = (party_b, party_a) if net > 0 else (party_a, party_b)
    return Statement(
        period=period,
        party_a=party_a,
        party_b=party_b,
        currency=currency,
        a_on_b=a_on_b,
        b_on_a=b_on_a,
        net_debtor=debtor if net else None,
        net_creditor=creditor if net else None,
        net_amount=abs(net),
    )
