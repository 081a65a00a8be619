"""Financing use cases: load terms, prices, deliveries and payments; accrue interest.

Each load is all-or-nothing and idempotent: a file loaded again changes nothing; a row
whose id is already stored with other content is a conflict. A row dated inside a period
already settled between its parties is recorded, but the settlement run of that period
does not change until it is reopened (`convenio settle PERIOD --reopen`); the load says so.
Deliveries are valued by the terms version in force on their date, split into a
short-term claim and a tranche, and posted to the ledger in the same unit of work.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import astuple, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from convenio.auth import OPERATOR, Principal
from convenio.errors import (
    AccessError,
    ConflictError,
    InputError,
    NotFoundError,
    Problem,
    StorageError,
)
from convenio.files import PLAIN, FileOptions, Source, Tell, open_table, read_text
from convenio.financing import (
    Accrual,
    Delivery,
    Invoice,
    PricePoint,
    PriceSeries,
    Tranche,
    Valuation,
    accrual_accounts,
    accrual_transactions,
    accrue_through,
    delivery_accounts,
    delivery_transactions,
    parse_price_csv,
    quota_problems,
    read_deliveries_csv,
    series_from_points,
    split_invoice,
    value_delivery,
)
from convenio.financing.claims import Claim, ClaimType, Payment
from convenio.financing.late import (
    LateCharge,
    Reduction,
    late_charge_accounts,
    late_charge_transactions,
    late_charges,
)
from convenio.financing.payments import parse_payments_csv
from convenio.financing.prices import series_issuers
from convenio.ledger import AccountSpec, Transaction
from convenio.ledger.parse import Located
from convenio.services import ledger
from convenio.store import UnitOfWork
from convenio.store.ledger_repo import to_micros
from convenio.terms import (
    Agreement,
    LateInterest,
    TermsLookupError,
    belongs_to,
    parse_terms,
    state_of,
)

__all__ = [
    "LoadResult",
    "accrue",
    "charge_late_interest",
    "current_agreement",
    "load_deliveries",
    "load_payments",
    "load_prices",
    "load_terms_file",
    "lock_under",
    "settlement_pair_of",
    "settlement_sides",
    "stored_agreement",
    "tranche",
    "tranches",
]


@dataclass(frozen=True)
class LoadResult:
    """What a load did; `settled` names settled periods that new rows fall in."""

    added: int
    unchanged: int
    posted: int = 0
    settled: tuple[str, ...] = ()


def _now_micros() -> int:
    return to_micros(datetime.now(UTC))


PRICE_NUMERIC = ("price",)
DELIVERY_NUMERIC = ("quantity", "price")
PAYMENT_NUMERIC = ("amount",)
"""The columns of each file that hold amounts or quantities (read the Spanish way
under --locale es; no other column is touched)."""


def check_terms_file(path: Path, options: FileOptions = PLAIN) -> tuple[Agreement, str]:
    """The validated terms of a YAML file, and its text (decoded as `options` say)."""
    text = read_text(path, options)
    return parse_terms(text, str(path)), text


def load_terms_file(
    uow: UnitOfWork, path: Path, options: FileOptions = PLAIN, source: str | None = None
) -> tuple[Agreement, bool]:
    """Check a terms file and make it the store's current terms; False if already current.

    `source` is what the store records as the terms' origin (default: the file's path)."""
    agreement, text = check_terms_file(path, options)
    digest = hashlib.sha256(text.encode()).hexdigest()
    latest = uow.financing.latest_terms()
    if latest is not None and latest.agreement_id != agreement.agreement.id:
        raise ConflictError(
            f"this store keeps agreement {latest.agreement_id}; "
            f"{path} is agreement {agreement.agreement.id} (use another store)"
        )
    origin = str(path) if source is None else source
    added = uow.financing.add_terms(agreement.agreement.id, digest, origin, text, _now_micros())
    uow.commit()
    return agreement, added


def stored_agreement(uow: UnitOfWork) -> Agreement | None:
    """The terms most recently loaded into the store, or None when none were.

    Each request of the server asks: the digest is read first, and the document itself
    only when this process has not parsed it yet."""
    digest = uow.financing.latest_terms_digest()
    if digest is None:
        return None
    known = _PARSED.get(digest)
    if known is not None:
        return known
    latest = uow.financing.latest_terms()
    assert latest is not None
    if len(_PARSED) >= _PARSED_KEPT:
        _PARSED.clear()
    agreement = _PARSED[latest.digest] = parse_terms(latest.text, latest.source)
    return agreement


def current_agreement(uow: UnitOfWork) -> Agreement:
    """The terms most recently loaded into the store (`StorageError` if none were)."""
    agreement = stored_agreement(uow)
    if agreement is None:
        raise StorageError("no terms in this store: run `convenio terms load FILE` first")
    return agreement


def lock_under(uow: UnitOfWork, agreement: Agreement) -> None:
    """Take the write lock (`UnitOfWork.lock`) after a file was read under `agreement`;
    a conflict if other terms were loaded meanwhile (the file was checked against these)."""
    uow.lock()
    if current_agreement(uow) != agreement:  # equal values, whether or not parsed again
        raise ConflictError("the terms changed while the file was read: load it again")


_PARSED: dict[str, Agreement] = {}
"""The terms parsed by this process, by digest (`Agreement` is frozen; a store holds few
documents, a process few stores)."""
_PARSED_KEPT = 16


def load_prices(
    uow: UnitOfWork,
    path: Source,
    options: FileOptions = PLAIN,
    tell: Tell | None = None,
    actor: Principal = OPERATOR,
) -> LoadResult:
    """Record the price points of a CSV or .xlsx file (all or nothing, idempotent); an
    `actor` other than the operator records only series its party issues
    (`convenio.financing.prices.series_issuers`)."""
    with open_table(path, options, PRICE_NUMERIC, tell) as table:
        points, problems = parse_price_csv(table.lines, table.name)
        problems = table.problems(problems)
        _, duplicates = series_from_points(points)
        problems.extend(duplicates)
        if problems:
            raise InputError.from_problems(problems, table.name)
        if not actor.operator:
            _require_issuer(actor, stored_agreement(uow), points, table.name)
        uow.lock()
        stored = {
            (p.series, p.date): p.price for p in uow.financing.prices({p.series for p in points})
        }
        conflicts = [
            Problem(f"{p.series} on {p.date} is stored as {stored[p.series, p.date]}", str(path))
            for p in points
            if (p.series, p.date) in stored and stored[p.series, p.date] != p.price
        ]
        if conflicts:
            raise ConflictError(str(conflicts[0]), conflicts)
        new = [p for p in points if (p.series, p.date) not in stored]
        uow.financing.add_prices(new)
        uow.commit()
        return LoadResult(len(new), len(points) - len(new))


def _require_issuer(
    actor: Principal, agreement: Agreement | None, points: Sequence[PricePoint], name: str
) -> None:
    """`AccessError` at every price point of a series that no party of `actor` issues."""
    issuers = {} if agreement is None else series_issuers(agreement)
    refused = []
    for line, point in enumerate(points, start=2):
        parties = issuers.get(point.series, frozenset())
        if not any(actor.may_act_for(party) for party in parties):
            by = " or ".join(sorted(parties)) or "no party of the terms"
            refused.append(
                Problem(
                    f"{point.series} on {point.date}: {actor.name} may not quote it "
                    f"(issued by {by})",
                    name,
                    line,
                    "series",
                )
            )
    if refused:
        raise AccessError.from_problems(refused, "out of scope")


def _digest(*fields: object) -> str:
    return hashlib.sha256(repr(fields).encode()).hexdigest()


def settlement_sides(agreement: Agreement, day: date) -> dict[str, str]:
    """Who settles for whom on `day`: each party mapped to the settlement party of its
    state (``CUB.CUPET`` and ``CUB`` to ``CUB.BNC`` when the terms name VEN.PDVSA and
    CUB.BNC); empty when the terms name no settlement parties."""
    version = agreement.version_on(day)
    named = version.settlement.parties if version.settlement is not None else ()
    by_state = {state_of(code): code for code in named}
    return {
        p.code: by_state[state_of(p.code)]
        for p in agreement.parties
        if state_of(p.code) in by_state
    }


def settlement_pair_of(agreement: Agreement, day: date, a: str, b: str) -> tuple[str, str]:
    """The two sides of a settlement between `a` and `b` (the terms' order, else sorted)."""
    sides = settlement_sides(agreement, day)
    a, b = sides.get(a, a), sides.get(b, b)
    version = agreement.version_on(day)
    named = version.settlement.parties if version.settlement is not None else ()
    if len(named) == 2 and {a, b} == set(named):
        return named[0], named[1]
    first, second = sorted((a, b))
    return first, second


def _settled_in(
    uow: UnitOfWork, agreement: Agreement, rows: Sequence[tuple[date, str, str]]
) -> tuple[str, ...]:
    """The settled periods (``2011Q4 VEN.PDVSA-CUB.BNC``) that new rows fall in: their
    runs stay as they are until reopened (`convenio settle PERIOD --reopen`)."""
    if not rows:
        return ()
    runs: dict[frozenset[str], list[tuple[str, date, date]]] = defaultdict(list)
    for period, first, last, a, b in uow.financing.settled_periods():
        runs[frozenset((a, b))].append((period, first, last))
    found: set[str] = set()
    for day, a, b in rows:
        pair = settlement_pair_of(agreement, day, a, b)
        for period, first, last in runs.get(frozenset(pair), ()):
            if first <= day <= last:
                found.add(f"{period} {pair[0]}-{pair[1]}")
    return tuple(sorted(found))


def load_deliveries(
    uow: UnitOfWork,
    path: Source,
    options: FileOptions = PLAIN,
    tell: Tell | None = None,
    actor: Principal = OPERATOR,
) -> LoadResult:
    """Value, split and record every delivery of a CSV or .xlsx file, with its ledger
    transactions; an `actor` other than the operator records only deliveries its party
    supplies."""
    agreement = current_agreement(uow)
    with open_table(path, options, DELIVERY_NUMERIC, tell) as table:
        located, problems = read_deliveries_csv(table.lines, table.name, agreement)
        problems = table.problems(problems)
        if problems:
            raise InputError.from_problems(problems, table.name)
        actor.require_parties(
            (d.supplier, Problem(f"delivery {d.delivery_id}", table.name, line, "supplier"))
            for line, d in located
        )
        lines = {delivery.delivery_id: line for line, delivery in located}
        lock_under(uow, agreement)
        return record_deliveries(uow, agreement, [d for _, d in located], table.name, lines)


def record_deliveries(
    uow: UnitOfWork,
    agreement: Agreement,
    parsed: Sequence[Delivery],
    name: str,
    lines: Mapping[str, int] | None = None,
) -> LoadResult:
    """Record parsed deliveries (the Python API of `load_deliveries`), then commit.

    Binding quotas count the deliveries already stored; every problem — a quota, a price
    the rule cannot find — is reported together, at its line where `lines` (delivery id
    to line) gives one, and nothing is written."""
    where = lines or {}
    digests = {d.delivery_id: _digest(*astuple(d)) for d in parsed}
    stored = uow.financing.delivery_digests(list(digests))
    conflicts = [
        Problem(
            f"delivery {i} is already recorded with different content",
            name,
            where.get(i),
            "delivery_id",
        )
        for i, digest in digests.items()
        if i in stored and stored[i] != digest
    ]
    if conflicts:
        raise ConflictError(str(conflicts[0]), conflicts)
    new = [d for d in parsed if d.delivery_id not in stored]
    problems = _quota_problems(uow, agreement, new, where, name)
    settled = _settled_in(uow, agreement, [(d.date, d.supplier, d.recipient) for d in new])
    series = _series(uow)
    txns: list[Transaction] = []
    specs: list[AccountSpec] = []
    valued: list[tuple[Delivery, str, Valuation, Invoice]] = []
    for delivery in new:
        try:
            valuation = value_delivery(delivery, agreement, series)
            invoice = split_invoice(valuation, delivery, agreement.version(valuation.version_id))
        except InputError as exc:
            line = where.get(delivery.delivery_id)
            problems.extend(
                Problem(f"delivery {delivery.delivery_id}: {p.message}", name, line, p.field)
                for p in exc.problems or [Problem(str(exc))]
            )
            continue
        valued.append((delivery, digests[delivery.delivery_id], valuation, invoice))
        specs.extend(delivery_accounts(delivery, invoice))
        txns.extend(delivery_transactions(delivery, valuation, invoice))
    if problems:
        problems.sort(key=lambda problem: problem.line or 0)
        raise InputError.from_problems(problems, name)
    uow.financing.add_deliveries(valued)
    posted = _post(uow, specs, txns, name)
    uow.commit()
    return LoadResult(len(new), len(parsed) - len(new), posted, settled)


def _quota_problems(
    uow: UnitOfWork,
    agreement: Agreement,
    new: Sequence[Delivery],
    lines: Mapping[str, int],
    name: str,
) -> list[Problem]:
    """Binding quotas over the new deliveries and those stored in the same years (the
    widest span a quota is checked over)."""
    if not new or not any(q.binding for v in agreement.versions for q in v.quotas):
        return []
    first = date(min(d.date for d in new).year, 1, 1)
    last = date(max(d.date for d in new).year, 12, 31)
    recorded = uow.financing.deliveries_between(first, last)
    located = [(lines.get(d.delivery_id), d) for d in new]
    return quota_problems(agreement, located, recorded, name)


def _series(uow: UnitOfWork) -> dict[str, PriceSeries]:
    found, problems = series_from_points(uow.financing.prices())
    if problems:  # pragma: no cover - the table's key forbids duplicates
        raise InputError.from_problems(problems, "stored prices")
    return dict(found)


def _post(
    uow: UnitOfWork, specs: Sequence[AccountSpec], txns: Sequence[Transaction], origin: str
) -> int:
    if not txns:
        return 0
    ledger.ensure_accounts(uow, specs, origin)
    batch = [Located(t, origin, None, (None,) * len(t.postings)) for t in txns]
    return ledger.record(uow, batch).posted


def load_payments(
    uow: UnitOfWork,
    path: Source,
    options: FileOptions = PLAIN,
    tell: Tell | None = None,
    actor: Principal = OPERATOR,
) -> LoadResult:
    """Record the cash payments of a CSV or .xlsx file (settlement runs apply them); an
    `actor` other than the operator records only payments its party makes."""
    agreement = current_agreement(uow)
    parties = {p.code for p in agreement.parties}
    scales = ledger.unit_scales(uow)
    with open_table(path, options, PAYMENT_NUMERIC, tell) as table:
        parsed, problems = parse_payments_csv(table.lines, table.name, parties, scales)
        problems = table.problems(problems)
        if problems:
            raise InputError.from_problems(problems, table.name)
        actor.require_parties(
            (p.payer, Problem(f"payment {p.id}", table.name, line, "payer"))
            for line, p in enumerate(parsed, start=2)
        )
        lock_under(uow, agreement)
        return record_payments(uow, agreement, parsed, table.name)


def record_payments(
    uow: UnitOfWork, agreement: Agreement, parsed: Sequence[Payment], name: str
) -> LoadResult:
    digests = {
        p.id: _digest(p.payer, p.payee, p.amount, p.currency, p.date, p.reference) for p in parsed
    }
    stored = uow.financing.payment_digests(list(digests))
    conflicts = [
        Problem(f"payment {i} is already recorded with different content", name, None, "payment_id")
        for i, digest in digests.items()
        if i in stored and stored[i] != digest
    ]
    if conflicts:
        raise ConflictError(str(conflicts[0]), conflicts)
    new = [p for p in parsed if p.id not in stored]
    settled = _settled_in(uow, agreement, [(p.date, p.payer, p.payee) for p in new])
    uow.financing.add_payments([(p, digests[p.id]) for p in new])
    uow.commit()
    return LoadResult(len(new), len(parsed) - len(new), settled=settled)


def tranches(
    uow: UnitOfWork, party: str | None = None, actor: Principal = OPERATOR
) -> list[Tranche]:
    """Every tranche, or those where `party` is creditor or debtor (a state code, ``VEN``,
    stands for its agencies too: ``VEN.PDVSA``). An unknown party: `InputError`. An
    `actor` who reads one party only (a treasury) gets its party's tranches, and
    `AccessError` for another party."""
    if not actor.sees_all_parties():
        party = actor.party if party is None else party
        actor.require_parties([(party or "", Problem("", field="party"))])
    found = uow.financing.tranches()
    if party is None:
        return found
    agreement = stored_agreement(uow)
    known = set() if agreement is None else {p.code for p in agreement.parties}
    known |= {code for t in found for code in (t.creditor, t.debtor)}
    if party not in known:
        listed = ", ".join(sorted(known)) or "none: load terms first"
        raise InputError(
            f"unknown party {party!r} (parties: {listed})",
            [Problem("unknown party", field="--party")],
        )

    return [t for t in found if belongs_to(t.creditor, party) or belongs_to(t.debtor, party)]


def tranche(uow: UnitOfWork, tranche_id: str, actor: Principal = OPERATOR) -> Tranche:
    """The tranche `tranche_id` (`NotFoundError` if none is stored, or none the `actor`
    reads: a treasury reads the tranches its party lends or owes)."""
    for found in tranches(uow, actor=actor):
        if found.id == tranche_id:
            return found
    raise NotFoundError(
        f"no tranche {tranche_id!r}: the tranches list names them",
        [Problem("unknown tranche", field="tranche_id")],
    )


def accrue(uow: UnitOfWork, through: date, commit: bool = True) -> LoadResult:
    """Book month-end interest on every tranche, and late interest on every short-term
    claim whose terms charge it, up to `through` (idempotent).

    Each tranche's accrual of each month is kept in the accruals table; the ledger gets
    one transaction per creditor, debtor, currency and month, summing them. Late
    interest becomes one late-interest claim per short-term claim and month
    (`convenio.financing.late`), posted the same way; a month is charged once every
    settlement period from the claim's invoice to the month's end is settled between its
    parties, since the runs say what was paid and when (`convenio settle` charges the
    months of the period it settles right after its run).
    """
    booked = uow.financing.last_accrued()
    due = accrue_through(uow.financing.tranches(accruing_through=through), through, booked)
    uow.financing.add_accruals([(a.tranche_id, a.month, a.amount) for a in due])
    posted = _post(uow, list(accrual_accounts(due)), _monthly_totals(due), "accrual")
    charged, late_posted = charge_late_interest(uow, through)
    if commit:
        uow.commit()
    return LoadResult(len(due) + charged, len(booked), posted + late_posted)


def charge_late_interest(uow: UnitOfWork, through: date) -> tuple[int, int]:
    """The late-interest part of `accrue` (no commit): the charges through `through` as
    claims and ledger transactions; (charges made, transactions posted)."""
    charges = _late_charges(uow, through)
    uow.financing.add_claims([c.claim() for c in charges])
    posted = _post(
        uow, late_charge_accounts(charges), late_charge_transactions(charges), "late interest"
    )
    return len(charges), posted


def _late_charges(uow: UnitOfWork, through: date) -> list[LateCharge]:
    """The late interest to charge through `through` on every short-term claim whose
    terms version (in force on its invoice date) sets ``short_term.late_interest``, for
    the months whose payments are known (`_settled_through`)."""
    agreement = stored_agreement(uow)
    if agreement is None:
        return []
    charging = [
        v
        for v in agreement.versions
        if v.financing is not None and v.financing.short_term.late_interest is not None
    ]
    if not charging:
        return []
    candidates = uow.financing.claims_of_type(
        ClaimType.SHORT_TERM, issued_from=min(v.effective for v in charging)
    )
    rules: dict[str, LateInterest] = {}
    for claim in candidates:
        try:
            version = agreement.version_on(claim.issued)
        except TermsLookupError:
            continue
        if version.financing is not None and version.financing.short_term.late_interest:
            rules[claim.id] = version.financing.short_term.late_interest
    if not rules:
        return []
    booked = uow.financing.late_interest_booked()
    paid = uow.financing.reductions(rules)
    settled = _settled_through(agreement, uow.financing.settled_periods())
    charges: list[LateCharge] = []
    for claim in candidates:
        if claim.id not in rules:
            continue
        known = settled(claim)
        if known is None:
            continue
        reductions = [Reduction(day, amount) for day, amount in paid.get(claim.id, [])]
        charges += late_charges(
            claim, rules[claim.id], reductions, min(through, known), booked.get(claim.id)
        )
    return charges


def _settled_through(
    agreement: Agreement, runs: Sequence[tuple[str, date, date, str, str]]
) -> Callable[[Claim], date | None]:
    """For a claim, the last day up to which every day from its invoice date lies in a
    settled period between its parties' settlement sides (None: not even its first)."""
    pairs: dict[tuple[date, str, str], frozenset[str]] = {}

    def pair(day: date, creditor: str, debtor: str) -> frozenset[str]:
        key = (day, creditor, debtor)
        if key not in pairs:
            pairs[key] = frozenset(settlement_pair_of(agreement, day, creditor, debtor))
        return pairs[key]

    spans = sorted((first, last, frozenset((a, b))) for _, first, last, a, b in runs)

    def settled(claim: Claim) -> date | None:
        cursor = claim.issued
        for first, last, sides in spans:
            if first <= cursor <= last and sides == pair(last, claim.creditor, claim.debtor):
                cursor = last + timedelta(days=1)
        return None if cursor == claim.issued else cursor - timedelta(days=1)

    return settled


def _monthly_totals(due: Sequence[Accrual]) -> list[Transaction]:
    """One accrual transaction per creditor, debtor, currency and month; its id names a
    digest of the tranches it sums, so accruing a late tranche later is a new id."""
    groups: dict[tuple[str, str, str, str], list[Accrual]] = defaultdict(list)
    for a in due:
        groups[a.creditor, a.debtor, a.currency, a.month].append(a)
    txns = []
    for (creditor, debtor, currency, month), members in sorted(groups.items()):
        keys = hashlib.sha256(",".join(sorted(a.tranche_id for a in members)).encode())
        total = Accrual(
            f"{creditor}>{debtor}:{keys.hexdigest()[:12]}",
            month,
            members[0].date,
            creditor,
            debtor,
            currency,
            sum(a.interest for a in members),
            sum(a.capitalised for a in members),
        )
        (txn,) = accrual_transactions([total])
        txns.append(
            txn._replace(
                description=f"Interest accrued on {len(members)} tranche(s), {month}",
                metadata=(*txn.metadata, ("tranches", str(len(members)))),
            )
        )
    return txns
