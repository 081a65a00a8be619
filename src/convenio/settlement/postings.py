"""The ledger transactions that record a settlement run.

The last pure step of a run: `convenio.settlement.offset.settle` decides the
allocations, this module books them on the chart of `convenio.financing.accounts` and a
service writes the transactions. Every claim is carried in both parties' books (the
creditor's ``claims`` asset, the debtor's ``payable`` liability), so an offset of X
takes X off both sides of both claims, and a payment moves cash and takes what it pays
off both sides of the claims it pays. Transaction ids derive from a caller's prefix and
the claim and payment ids only, so posting the same run again is an idempotent replay.
Amounts are integers of the minor unit of the settlement's currency.
"""

from __future__ import annotations

import hashlib

from convenio.errors import InputError, Problem
from convenio.financing.accounts import cash_account, claim_account, payable_account
from convenio.financing.claims import Claim
from convenio.ledger.model import AccountKind, AccountSpec, Posting, Transaction
from convenio.settlement.model import Credit, Method, Settlement

__all__ = [
    "MAX_TXN_ID",
    "TXN_KIND",
    "advance_account",
    "prepaid_account",
    "settlement_accounts",
    "settlement_transactions",
]

TXN_KIND = "settlement"
"""The `kind` of every transaction of a settlement run."""

MAX_TXN_ID = 200
"""The longest transaction id the store keeps; longer ids are shortened with a digest."""


def prepaid_account(payer: str, payee: str, currency: str) -> AccountSpec:
    """What `payer` paid `payee` beyond its claims, carried as a credit (asset, never negative).

    Not (yet) part of `convenio.financing.accounts`: only overpayments carried by a
    settlement run post to it.
    """
    return AccountSpec(f"{payer}/prepaid/{payee}", currency, AccountKind.ASSET, floor=0)


def advance_account(payee: str, payer: str, currency: str) -> AccountSpec:
    """What `payee` received from `payer` in advance of any claim (liability, never positive)."""
    return AccountSpec(f"{payee}/advances/{payer}", currency, AccountKind.LIABILITY, ceiling=0)


class _Journal:
    """Builds postings and remembers the declaration of every account they touch."""

    def __init__(self, currency: str) -> None:
        self.currency = currency
        self.specs: dict[str, AccountSpec] = {}

    def post(self, spec: AccountSpec, amount: int) -> Posting:
        self.specs[spec.name] = spec
        return Posting(spec.name, amount, spec.unit)

    def settle_claim(self, claim: Claim, amount: int) -> tuple[Posting, Posting]:
        """Take `amount` off the creditor's claim and off the debtor's payable."""
        c = claim
        return (
            self.post(claim_account(c.creditor, c.type, c.debtor, self.currency), -amount),
            self.post(payable_account(c.debtor, c.type, c.creditor, self.currency), amount),
        )


def _txn_id(prefix: str, what: str, *ids: str) -> str:
    readable = ":".join((prefix, what, *ids))
    if len(readable) <= MAX_TXN_ID:
        return readable
    digest = hashlib.sha256("\0".join(ids).encode()).hexdigest()[:32]
    return f"{prefix}:{what}:{digest}"


def _build(settlement: Settlement, txn_prefix: str) -> tuple[list[Transaction], _Journal]:
    prefix = txn_prefix.strip()
    if not prefix or prefix != txn_prefix or len(prefix) > MAX_TXN_ID - 80:
        message = f"{txn_prefix!r} is not a transaction id prefix (non-empty, at most 120 chars)"
        raise InputError(message, [Problem(message, field="txn_prefix")])
    s = settlement
    journal = _Journal(s.currency)
    period = s.period.iso()
    day = s.period.end
    txns: list[Transaction] = []
    claims = {c.id: c.claim for c in s.claims}

    paired: set[frozenset[str]] = set()
    for a in s.allocations:
        pair = frozenset((a.claim_id, a.against))
        if a.method is not Method.OFFSET or pair in paired:
            continue
        paired.add(pair)
        paid, paying = claims[a.claim_id], claims[a.against]
        pair_postings = (
            *journal.settle_claim(paid, a.amount),
            *journal.settle_claim(paying, a.amount),
        )
        txns.append(
            Transaction(
                id=_txn_id(prefix, "offset", paid.id, paying.id),
                date=day,
                description=(
                    f"Settlement {period}: {paid.creditor}'s {paid.type} claim {paid.id} "
                    f"offset against {paying.creditor}'s {paying.type} claim {paying.id}"
                ),
                postings=pair_postings,
                kind=TXN_KIND,
                source=f"{paid.id},{paying.id}",
                metadata=(("period", period), ("settlement", prefix)),
            )
        )

    credits: dict[str, Credit] = {c.payment_id: c for c in s.credits}
    for p in s.payments:
        applied = [a for a in s.allocations if a.method is Method.CASH and a.against == p.id]
        claim_postings = [
            posting
            for a in applied
            for posting in journal.settle_claim(claims[a.claim_id], a.amount)
        ]
        postings = [
            *claim_postings,
            journal.post(cash_account(p.payer, s.currency), -p.amount),
            journal.post(cash_account(p.payee, s.currency), p.amount),
        ]
        credit = credits.get(p.id)
        if credit is not None:
            postings += [
                journal.post(prepaid_account(p.payer, p.payee, s.currency), credit.amount),
                journal.post(advance_account(p.payee, p.payer, s.currency), -credit.amount),
            ]
        note = f"; {credit.amount} minor units carried as {p.payer}'s credit" if credit else ""
        metadata = [("payment", p.id), ("period", period), ("settlement", prefix)]
        if p.reference:
            metadata.append(("reference", p.reference))
        txns.append(
            Transaction(
                id=_txn_id(prefix, "pay", p.id),
                date=day,
                description=(
                    f"Settlement {period}: payment {p.id} from {p.payer} to {p.payee}{note}"
                ),
                postings=tuple(postings),
                kind=TXN_KIND,
                source=",".join(a.claim_id for a in applied),
                metadata=tuple(sorted(metadata)),
            )
        )
    return txns, journal


def settlement_transactions(settlement: Settlement, txn_prefix: str) -> list[Transaction]:
    """The balanced transactions that record `settlement`, offsets first, then payments.

    One transaction per offset pair (four postings: each claim off its creditor's
    ``claims`` and its debtor's ``payable``), and one per payment (each claim it pays
    off both sides, the cash from payer to payee, and any excess carried from the
    payer's `prepaid_account` to the payee's `advance_account`). Ids are
    ``PREFIX:offset:CLAIM:CLAIM`` and ``PREFIX:pay:PAYMENT`` (ids longer than
    `MAX_TXN_ID` end with a digest instead), kind ``settlement``, effective on the
    period's last day; `source` lists the claim ids. `txn_prefix` is typically
    ``settle:2011Q4:VEN.PDVSA:CUB.BNC``.
    """
    return _build(settlement, txn_prefix)[0]


def settlement_accounts(settlement: Settlement) -> dict[str, AccountSpec]:
    """The declaration of every account the transactions of `settlement` post to, by name."""
    return _build(settlement, "settle")[1].specs
