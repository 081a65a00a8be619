"""Settlement use cases: run (or reopen) the compensation of a period, and statements.

A run is per period and pair of parties. Re-running a settled period changes nothing and
returns the stored statement; `reopen` first reverses the earlier run in the ledger and
marks it reversed, then settles again on what is stored now. Interest is accrued through
the period's end first, so the interest claims a run pays are backed in the ledger; late
interest on the period's months is charged after the run, once it is known what was paid.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from convenio.auth import OPERATOR, Action, Principal
from convenio.errors import AccessError, AuthenticationError, InputError, NotFoundError, Problem
from convenio.files import Tell
from convenio.financing.claims import Claim, ClaimType
from convenio.ledger import reversal_of
from convenio.ledger.parse import Located
from convenio.periods import Period, parse_period, period_of, periods_between
from convenio.services import ledger
from convenio.services.financing import (
    accrue,
    charge_late_interest,
    current_agreement,
    settlement_sides,
)
from convenio.settlement import OpenClaim, settle, settlement_accounts, settlement_transactions
from convenio.store import UnitOfWork
from convenio.store.financing_repo import ACTIVE, RunRow
from convenio.store.ledger_repo import to_micros
from convenio.terms import Agreement
from convenio.units import format_minor

__all__ = [
    "AGE_BUCKETS",
    "MAX_PERIODS",
    "RunOutcome",
    "find_run",
    "may_settle",
    "party_statement",
    "reads_run",
    "run_settlement",
    "settle_periods",
    "settlement_runs",
]

AGE_BUCKETS = (("current", None, 0), ("1-30", 1, 30), ("31-90", 31, 90), ("over 90", 91, None))
"""Days past due: not yet due, 1–30, 31–90, more than 90."""


@dataclass(frozen=True)
class RunOutcome:
    run: RunRow
    created: bool
    reversed_run: str | None = None


def _pairs(
    claims: Sequence[tuple[Claim, int]], named: tuple[str, ...], sides: dict[str, str]
) -> list[tuple[str, str]]:
    if len(named) == 2:
        return [(named[0], named[1])]
    pairs = {_pair_of(claim, sides) for claim, _ in claims}
    return sorted(pairs)


def _pair_of(claim: Claim, sides: dict[str, str]) -> tuple[str, str]:
    """The settlement sides of a claim's two parties, sorted."""
    a, b = sides.get(claim.creditor, claim.creditor), sides.get(claim.debtor, claim.debtor)
    return (a, b) if a <= b else (b, a)


def may_settle(actor: Principal, a: str, b: str) -> bool:
    """Whether `actor` settles the pair `a`, `b`: a commission settles the pairs that
    include its party (the commission of VEN settles VEN.PDVSA's)."""
    return actor.may_act_for(a) or actor.may_act_for(b)


def find_run(uow: UnitOfWork, run_id: str) -> RunRow:
    """Settlement run `run_id`; `NotFoundError` if there is none."""
    run = uow.financing.run(run_id)
    if run is None:
        raise NotFoundError(f"no settlement run {run_id}", [Problem("no such run", field="run_id")])
    return run


def reads_run(actor: Principal, run: RunRow, *, detail: bool = False) -> bool:
    """Whether `actor` reads settlement run `run` — the one rule of the pages and the API.

    A reader of the ledger whose scope includes one of the run's parties (a commission,
    the auditor, a treasury of one of them) reads any run of theirs, reopened ones
    included, with its detail: what makes each figure, its ledger transactions. Anyone
    else, the public included, reads a settled run only (its statement and sign-offs),
    never its detail: with `detail`, whether `actor` reads that too."""
    if actor.may(Action.READ_LEDGER) and (
        actor.sees_all_parties() or may_settle(actor, run.party_a, run.party_b)
    ):
        return True
    return not detail and run.status == ACTIVE


def _refuse_pairs(actor: Principal, key: str, pairs: Sequence[tuple[str, str]]) -> AccessError:
    return AccessError.from_problems(
        [
            Problem(f"{key} {a}-{b}: {actor.name} may not settle a pair without its party",
                    field="period")
            for a, b in pairs
        ],
        "out of scope",
    )  # fmt: skip


def run_settlement(
    uow: UnitOfWork, period_text: str, reopen: bool = False, actor: Principal = OPERATOR
) -> list[RunOutcome]:
    """Settle `period_text` (``2011Q4``, ``2011-10``, ``2011``) for every pair of parties.

    A pair already settled for the period keeps its run (unless `reopen`); when every
    pair is, nothing is written, not even the interest accrual the runs would need. An
    `actor` other than the operator settles only the pairs that include its party:
    `AccessError` (nothing written) when no pair of the period does."""
    period = parse_period(period_text)
    key = period.iso()
    agreement = current_agreement(uow)
    version = agreement.version_on(period.end)
    rules = version.settlement
    if rules is None:
        raise InputError(
            f"terms version {version.id} in force on {period.end} has no settlement rules",
            [Problem("missing", field=f"versions[{version.id}].settlement")],
        )
    currency = rules.cash_currency
    scale = uow.ledger.units()[currency].scale
    sides = settlement_sides(agreement, period.end)
    active_runs = uow.financing.runs(key)
    named = rules.parties
    if len(named) == 2 and not may_settle(actor, named[0], named[1]):
        raise _refuse_pairs(actor, key, [(named[0], named[1])])
    if (
        not reopen
        and len(named) == 2
        and any((r.party_a, r.party_b) == (named[0], named[1]) for r in active_runs)
    ):
        # The terms name the only pair, and it is settled: nothing to read or accrue.
        (run,) = [r for r in active_runs if (r.party_a, r.party_b) == (named[0], named[1])]
        return [RunOutcome(run, created=False)]
    accrue(uow, period.end, commit=False)

    def claims_now() -> list[tuple[Claim, int]]:
        # One read for every pair: each claim belongs to exactly one pair of sides. Late
        # interest on the period's own months is charged after its run (below), from
        # what the run paid, and settled by the next period's run, reopened or not.
        found = uow.financing.open_claims(issued_by=period.end, issued_from=period.start)
        return [
            (c, outstanding)
            for c, outstanding in found
            if c.currency == currency
            and not (c.type is ClaimType.LATE_INTEREST and c.issued >= period.start)
        ]

    claims = claims_now()
    outcomes = []
    due: list[tuple[str, str, str | None]] = []
    now = to_micros(datetime.now(UTC))
    pairs = _pairs(claims, named, sides)
    mine = [(a, b) for a, b in pairs if may_settle(actor, a, b)]
    if pairs and not mine:
        raise _refuse_pairs(actor, key, pairs)
    for a, b in mine:
        active = [r for r in active_runs if (r.party_a, r.party_b) == (a, b)]
        if active and not reopen:
            outcomes.append(RunOutcome(active[0], created=False))
            continue
        for run in active:
            _reverse_run(uow, run, period.end)
            uow.financing.mark_reversed(run.id, now)
        due.append((a, b, active[-1].id if active else None))
    if not due:
        return outcomes  # left uncommitted: the accrual above is rolled back
    if reopen:
        claims = claims_now()  # what the reversed runs had allocated is open again
    paid = [
        p for p in uow.financing.payments_in(period.start, period.end) if p.currency == currency
    ]
    by_pair: dict[tuple[str, str], list[OpenClaim]] = defaultdict(list)
    for claim, outstanding in claims:
        by_pair[_pair_of(claim, sides)].append(OpenClaim(claim, outstanding))
    for a, b, reversed_id in due:
        open_claims = by_pair[(a, b) if a <= b else (b, a)]
        result = settle(period, a, b, open_claims, paid, rules, currency, scale=scale, sides=sides)
        generation = uow.financing.generations(key, (a, b)) + 1
        prefix = f"settle:{key}:{a}:{b}" + (f":{generation}" if generation > 1 else "")
        txns = settlement_transactions(result, prefix)
        if txns:
            ledger.ensure_accounts(uow, settlement_accounts(result).values(), prefix)
            ledger.record(uow, [Located(t, prefix, None, (None,) * len(t.postings)) for t in txns])
        run = RunRow(
            id=f"{key}:{a}:{b}:{generation}",
            period=key,
            party_a=a,
            party_b=b,
            currency=currency,
            generation=generation,
            status=ACTIVE,
            statement=result.statement.to_dict(scale),
            transactions=[t.id for t in txns],
        )
        uow.financing.add_run(
            run,
            period.start,
            period.end,
            [(x.claim_id, x.amount, x.method.value, x.against) for x in result.allocations],
            now,
        )
        outcomes.append(RunOutcome(run, created=True, reversed_run=reversed_id))
    # The period is settled: its payments and offsets are known, so the late interest
    # of its months can be charged (convenio.financing.late).
    charge_late_interest(uow, period.end)
    uow.commit()
    return outcomes


MAX_PERIODS = 400
"""The most periods one call of `settle_periods` settles (a century of quarters)."""


def settle_periods(
    uow: UnitOfWork,
    through: str,
    first: str | None = None,
    actor: Principal = OPERATOR,
    tell: Tell | None = None,
) -> list[RunOutcome]:
    """Settle every period from `first` to `through` (both included, of `through`'s
    kind), in order, as `run_settlement` does each; then commit. Without `first`: from the
    period after the last one settled, or else from the one the terms take effect in."""
    last = parse_period(through)
    start = _start(uow, last) if first is None else parse_period(first)
    periods = list(periods_between(start, last))
    if not periods:
        raise InputError(
            f"{start.iso()} comes after {last.iso()}: nothing to settle",
            [Problem("after through", field="from" if first else "through")],
        )
    if len(periods) > MAX_PERIODS:
        raise InputError(
            f"{len(periods)} periods from {start.iso()} to {last.iso()}: at most "
            f"{MAX_PERIODS} at once",
            [Problem("too many periods", field="from")],
        )
    outcomes: list[RunOutcome] = []
    for done, period in enumerate(periods):
        if tell is not None:
            tell(f"settling {period.iso()}", done, len(periods))
        outcomes += run_settlement(uow, period.iso(), actor=actor)
    if tell is not None:
        tell("settled", len(periods), len(periods))
    uow.commit()
    return outcomes


def _start(uow: UnitOfWork, last: Period) -> Period:
    """The period after the last one settled, or the terms' first (of `last`'s kind)."""
    ends = [end for _, _, end, _, _ in uow.financing.settled_periods()]
    if ends:
        return period_of(max(ends), last.type).next()
    return period_of(current_agreement(uow).versions[0].effective, last.type)


def settlement_runs(
    uow: UnitOfWork, period: str | None = None, actor: Principal = OPERATOR
) -> list[RunRow]:
    """The active settlement runs (of `period`, or all), by period end; an `actor` who
    reads one party only (a treasury) gets the runs of its party's pairs."""
    key = None if period is None else parse_period(period).iso()
    return [
        run
        for run in uow.financing.runs(key)
        if actor.sees_all_parties() or may_settle(actor, run.party_a, run.party_b)
    ]


def _reverse_run(uow: UnitOfWork, run: RunRow, on: date) -> None:
    reversals = []
    for txn_id in run.transactions:
        original = uow.ledger.get(txn_id)
        if original is None:  # pragma: no cover - the run and its transactions commit together
            raise InputError(f"settlement run {run.id}: transaction {txn_id} is missing")
        txn = reversal_of(original.txn, f"{txn_id}/reversal", on, f"reopening of {run.period}")
        reversals.append(Located(txn, run.id, None, (None,) * len(txn.postings)))
    if reversals:
        ledger.record(uow, reversals)


def party_statement(
    uow: UnitOfWork, party: str, as_of: date, actor: Principal = OPERATOR
) -> dict[str, Any]:
    """What `party` is owed and owes as of a date: claims by type and age, tranche
    principal outstanding and accrued interest, each per counterparty (decimal strings).

    A party that settles for others (CUB.BNC for CUB and CUB.CUPET) answers for theirs;
    `settled_by` names the party that answers for `party` (None: itself), and
    `parties_with_claims` the parties whose statements hold something on that date, so
    that an empty statement can say where to look.

    `actor` reads it if it reads `party`'s accounts (a commission, the auditor, the
    party's treasury) or if the statement is a settled one (`_settled_on`), which anyone
    may read: else `AuthenticationError` for the public, `AccessError` for a user."""
    agreement = current_agreement(uow)
    _require_statement_reader(uow, agreement, actor, party, as_of)
    known = sorted(p.code for p in agreement.parties)
    if party not in known:
        raise InputError(
            f"unknown party {party!r} (the terms' parties: {', '.join(known)})",
            [Problem("unknown", field="--party")],
        )
    scales = ledger.unit_scales(uow)
    sides = settlement_sides(agreement, as_of)

    def side(code: str) -> str:
        return sides.get(code, code)

    def position(creditor: str, debtor: str) -> tuple[str, str] | None:
        if side(creditor) == party:
            return "receivable", side(debtor)
        if side(debtor) == party:
            return "payable", side(creditor)
        return None

    ages: dict[tuple[str, str, str, str], int] = defaultdict(int)
    holders: set[str] = set()
    for claim, outstanding in uow.financing.open_claims(issued_by=as_of, as_of=as_of):
        holders |= {side(claim.creditor), side(claim.debtor)}
        where = position(claim.creditor, claim.debtor)
        if where is None:
            continue
        direction, other = where
        late = (as_of - claim.due).days
        bucket = next(
            name
            for name, low, high in AGE_BUCKETS
            if (low is None or late >= low) and (high is None or late <= high)
        )
        ages[direction, other, f"{claim.type.value}|{claim.currency}", bucket] += outstanding
    principal: dict[tuple[str, str, str], int] = defaultdict(int)
    interest: dict[tuple[str, str, str], int] = defaultdict(int)
    repaid = uow.financing.allocated_by_source(as_of, ClaimType.INSTALLMENT)
    accrued = uow.financing.accrued_by(as_of)
    interest_due = uow.financing.due_by_source(as_of, ClaimType.INTEREST)
    for tranche in uow.financing.tranches():
        if tranche.start <= as_of:
            holders |= {side(tranche.creditor), side(tranche.debtor)}
        where = position(tranche.creditor, tranche.debtor)
        if where is None or tranche.start > as_of:
            continue
        direction, other = where
        key = (direction, other, tranche.currency)
        principal[key] += tranche.principal - repaid.get(tranche.id, 0)
        # Accrued but not yet due: due interest is a claim above, in its age bucket.
        interest[key] += accrued.get(tranche.id, 0) - interest_due.get(tranche.id, 0)
    rows: list[dict[str, Any]] = []
    for (direction, other, kind, bucket), amount in sorted(ages.items()):
        claim_type, currency = kind.split("|")
        rows.append(
            {
                "direction": direction,
                "counterparty": other,
                "type": claim_type,
                "age": bucket,
                "currency": currency,
                "outstanding": format_minor(amount, scales[currency]),
            }
        )
    return {
        "party": party,
        "as_of": as_of.isoformat(),
        "settled_by": side(party) if side(party) != party else None,
        "parties_with_claims": sorted(holders),
        "claims": rows,
        "tranche_principal": [
            {
                "direction": direction,
                "counterparty": other,
                "currency": currency,
                "outstanding": format_minor(amount, scales[currency]),
            }
            for (direction, other, currency), amount in sorted(principal.items())
        ],
        "accrued_interest_not_due": [
            {
                "direction": direction,
                "counterparty": other,
                "currency": currency,
                "amount": format_minor(max(amount, 0), scales[currency]),
            }
            for (direction, other, currency), amount in sorted(interest.items())
        ],
    }


def _require_statement_reader(
    uow: UnitOfWork, agreement: Agreement, actor: Principal, party: str, as_of: date
) -> None:
    if actor.may(Action.READ_LEDGER) and (actor.sees_all_parties() or actor.may_act_for(party)):
        return
    if _settled_on(uow, agreement, party, as_of):
        return
    why = (
        f"the statement of {party} as of {as_of.isoformat()} is not a settled one (the last "
        f"day of a period settled for every pair of {party})"
    )
    if actor.anonymous:
        raise AuthenticationError(f"sign in: {why}")
    raise AccessError(
        f"{actor.name} may not read it: {why}",
        [Problem("not a settled statement", field="as_of")],
    )


def _settled_on(uow: UnitOfWork, agreement: Agreement, party: str, as_of: date) -> bool:
    """Whether `as_of` is the last day of a settled period for every pair that `party`
    (through its settlement side) has settled in: a statement published by the runs."""
    side = settlement_sides(agreement, as_of).get(party, party)
    runs = [
        (end, frozenset((a, b)))
        for _, _, end, a, b in uow.financing.settled_periods()
        if side in (a, b)
    ]
    pairs = {pair for _, pair in runs}
    return bool(pairs) and all((as_of, pair) in runs for pair in pairs)
