"""The financing side's repository: terms documents, prices, deliveries, tranches, claims,
payments, accruals, settlement runs and their statements' sign-offs, as domain values.

Like the ledger's, it never commits. Outstanding amounts are derived, never stored: a
claim's amount less what the settlement runs still in force allocated to it.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection

from convenio.financing import Delivery, Invoice, PricePoint, Tranche, Valuation, tranche_for
from convenio.financing.claims import Claim, ClaimType, Payment
from convenio.log.records import (
    REOPEN,
    RUN,
    SIGNOFF,
    TERMS,
    reopen_entry,
    run_entry,
    signoff_entry,
    terms_entry,
)
from convenio.store.financing_tables import (
    accruals,
    allocations,
    claims,
    deliveries,
    payments,
    price_points,
    settlement_runs,
    statement_signoffs,
    terms_documents,
    tranches,
)
from convenio.store.ledger_repo import driver_day
from convenio.store.log_repo import LogRepository, run_fields
from convenio.terms import ItemKind, LoanTerms

__all__ = ["FinancingRepository", "RunRow", "SignoffRow", "TermsDocument"]

ACTIVE = "settled"
REVERSED = "reversed"


class TermsDocument(NamedTuple):
    id: int
    agreement_id: str
    digest: str
    source: str
    text: str


class RunRow(NamedTuple):
    id: str
    period: str
    party_a: str
    party_b: str
    currency: str
    generation: int
    status: str
    statement: dict[str, Any]
    transactions: list[str]


class SignoffRow(NamedTuple):
    run_id: str
    party: str
    login: str
    signed_at: int  # microseconds since the epoch, UTC
    digest: str


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


@lru_cache(maxsize=100_000)
def _tranche(
    tranche_id: str,
    delivery_id: str,
    creditor: str,
    debtor: str,
    currency: str,
    principal: int,
    start: date,
    loan: str,
) -> Tranche:
    """A stored tranche with its schedule; memoised, since the schedule is a pure
    function of these values and settlement runs and accruals read it again and again."""
    terms = LoanTerms.model_validate_json(loan)
    return tranche_for(tranche_id, delivery_id, creditor, debtor, currency, principal, start, terms)


def _delivery(r: Any) -> Delivery:
    price = None if r.price is None else Decimal(r.price)
    kind = ItemKind(r.kind)
    return Delivery(r.id, r.date, r.supplier, r.recipient, kind, r.item, r.quantity, r.unit, price)


def _claim(row: Any) -> Claim:
    return Claim(
        row.id,
        row.creditor,
        row.debtor,
        ClaimType(row.type),
        row.amount,
        row.currency,
        row.issued,
        row.due,
        row.source,
    )


_CLAIM_COLUMNS = (
    "id", "creditor", "debtor", "type", "amount", "currency", "issued", "due", "source",
)  # fmt: skip


_LATEST_DIGEST = (
    select(terms_documents.c.digest).order_by(terms_documents.c.id.desc()).limit(1)
)  # built once: each write of the server asks it


class FinancingRepository:
    """Reads and inserts the financing side's rows on `conn`."""

    def __init__(self, conn: Connection, log: LogRepository | None = None) -> None:
        self.conn = conn
        self.log = LogRepository(conn) if log is None else log

    # -- terms -------------------------------------------------------------------------

    def add_terms(self, agreement_id: str, digest: str, source: str, text: str, at: int) -> bool:
        """Store a terms document; False if the same text is already stored."""
        known = self.conn.execute(
            select(terms_documents.c.id).where(terms_documents.c.digest == digest)
        ).scalar_one_or_none()
        if known is not None:
            return False
        done = self.conn.execute(
            terms_documents.insert().values(
                agreement_id=agreement_id, digest=digest, source=source, text=text, loaded_at=at
            )
        )
        (terms_id,) = done.inserted_primary_key or (None,)
        assert isinstance(terms_id, int)
        entry = terms_entry(terms_id, at, agreement_id, digest, source, text)
        self.log.append(TERMS, [entry], key_from=terms_id)
        return True

    def latest_terms_digest(self) -> str | None:
        """The digest of the terms most recently loaded (a small read: the text stays)."""
        return self.conn.execute(_LATEST_DIGEST).scalar_one_or_none()

    def latest_terms(self) -> TermsDocument | None:
        row = self.conn.execute(
            select(terms_documents).order_by(terms_documents.c.id.desc()).limit(1)
        ).one_or_none()
        if row is None:
            return None
        return TermsDocument(row.id, row.agreement_id, row.digest, row.source, row.text)

    # -- prices ------------------------------------------------------------------------

    def prices(self, series: Iterable[str] | None = None) -> list[PricePoint]:
        query = select(price_points).order_by(price_points.c.series, price_points.c.date)
        if series is not None:
            query = query.where(price_points.c.series.in_(list(series)))
        return [PricePoint(r.series, r.date, Decimal(r.price)) for r in self.conn.execute(query)]

    def add_prices(self, points: Sequence[PricePoint]) -> None:
        if points:
            self.conn.execute(
                price_points.insert(),
                [{"series": p.series, "date": p.date, "price": str(p.price)} for p in points],
            )

    # -- deliveries, tranches, claims -------------------------------------------------

    def delivery_digests(self, ids: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for start in range(0, len(ids), 5000):
            rows = self.conn.execute(
                select(deliveries.c.id, deliveries.c.digest).where(
                    deliveries.c.id.in_(ids[start : start + 5000])
                )
            )
            found.update((r.id, r.digest) for r in rows)
        return found

    def add_deliveries(self, rows: Sequence[tuple[Delivery, str, Valuation, Invoice]]) -> None:
        """Insert valued deliveries with their tranches and claims, in bulk."""
        if not rows:
            return
        self.conn.execute(
            deliveries.insert(),
            [
                {
                    "id": d.delivery_id,
                    "date": d.date,
                    "supplier": d.supplier,
                    "recipient": d.recipient,
                    "kind": d.kind.value,
                    "item": d.item,
                    "quantity": d.quantity,
                    "unit": d.unit,
                    "price": None if d.price is None else str(d.price),
                    "digest": digest,
                    "version_id": v.version_id,
                    "currency": v.currency,
                    "value": v.value,
                    "price_used": str(v.price),
                    "price_source": v.source.value,
                    "reference_price": None
                    if v.reference_price is None
                    else str(v.reference_price),
                    "financed": inv.financed,
                    "short_term": inv.short_term,
                }
                for d, digest, v, inv in rows
            ],
        )
        lent = [inv.tranche for _, _, _, inv in rows if inv.tranche is not None]
        if lent:
            self.conn.execute(
                tranches.insert(),
                [
                    {
                        "id": t.id,
                        "delivery_id": t.delivery_id,
                        "creditor": t.creditor,
                        "debtor": t.debtor,
                        "currency": t.currency,
                        "principal": t.principal,
                        "start": t.start,
                        "maturity": t.schedule.maturity,
                        "loan": t.loan.model_dump_json(),
                    }
                    for t in lent
                ],
            )
        self.add_claims([c for _, _, _, inv in rows for c in inv.all_claims])

    def add_claims(self, new: Iterable[Claim]) -> None:
        """Insert claims in bulk. Through the driver: a tranche brings a claim for each of
        its installments and interest periods, and SQLAlchemy's per-row parameter
        processing cost more than the insert itself."""
        dialect = self.conn.dialect.name
        rows = [
            (c.id, c.creditor, c.debtor, c.type.value, c.amount, c.currency,
             driver_day(dialect, c.issued), driver_day(dialect, c.due), c.source)
            for c in new
        ]  # fmt: skip
        if not rows:
            return
        ph = ", ".join(["?" if dialect == "sqlite" else "%s"] * len(_CLAIM_COLUMNS))
        self.conn.exec_driver_sql(
            f"INSERT INTO claims ({', '.join(_CLAIM_COLUMNS)}) VALUES ({ph})", rows
        )

    def settled_periods(self) -> list[tuple[str, date, date, str, str]]:
        """Every active run: (period, first day, last day, party a, party b)."""
        r = settlement_runs.c
        query = select(r.period, r.period_start, r.period_end, r.party_a, r.party_b).where(
            r.status == ACTIVE
        )
        return [
            (row.period, row.period_start, row.period_end, row.party_a, row.party_b)
            for row in self.conn.execute(query)
        ]

    def last_settled_day(self) -> date | None:
        """The last day of the latest period a run in force settled (None: none yet)."""
        r = settlement_runs.c
        found: date | None = self.conn.execute(
            select(func.max(r.period_end)).where(r.status == ACTIVE)
        ).scalar_one_or_none()
        return found

    def deliveries(self) -> list[tuple[Delivery, int, str]]:
        """Every stored delivery with its value and currency, by date."""
        rows = self.conn.execute(select(deliveries).order_by(deliveries.c.date, deliveries.c.id))
        return [(_delivery(r), r.value, r.currency) for r in rows]

    def deliveries_between(self, first: date, last: date) -> list[Delivery]:
        """The stored deliveries dated from `first` to `last`, by date."""
        d = deliveries.c
        rows = self.conn.execute(
            select(deliveries).where(d.date >= first, d.date <= last).order_by(d.date, d.id)
        )
        return [_delivery(r) for r in rows]

    def tranches(self, accruing_through: date | None = None) -> list[Tranche]:
        """Stored tranches with their schedules; with `accruing_through`, only those that
        have months left to accrue up to that date."""
        query = select(tranches).order_by(tranches.c.start, tranches.c.id)
        rows = list(self.conn.execute(query))
        if accruing_through is not None:
            booked = self.last_accrued()
            rows = [
                r
                for r in rows
                if r.start <= accruing_through
                and booked.get(r.id, "") < _month(min(accruing_through, r.maturity))
            ]
        return [
            _tranche(
                r.id, r.delivery_id, r.creditor, r.debtor, r.currency, r.principal, r.start, r.loan
            )
            for r in rows
        ]

    def last_accrued(self) -> dict[str, str]:
        """Per tranche, the last month (``YYYY-MM``) booked by an accrual."""
        rows = self.conn.execute(
            select(accruals.c.tranche_id, func.max(accruals.c.month)).group_by(
                accruals.c.tranche_id
            )
        )
        return {row[0]: row[1] for row in rows}

    def add_accruals(self, rows: Sequence[tuple[str, str, int]]) -> None:
        if rows:
            self.conn.execute(
                accruals.insert(),
                [{"tranche_id": t, "month": m, "amount": a} for t, m, a in rows],
            )

    def _allocated(self, as_of: date | None = None) -> Any:
        """Per claim, what active settlement runs allocated to it (a subquery)."""
        query = (
            select(allocations.c.claim_id, func.sum(allocations.c.amount).label("allocated"))
            .select_from(
                allocations.join(settlement_runs, allocations.c.run_id == settlement_runs.c.id)
            )
            .where(settlement_runs.c.status == ACTIVE)
            .group_by(allocations.c.claim_id)
        )
        if as_of is not None:
            query = query.where(settlement_runs.c.period_end <= as_of)
        return query.subquery()

    def open_claims(
        self,
        parties: tuple[Collection[str], Collection[str]] | None = None,
        issued_by: date | None = None,
        as_of: date | None = None,
        issued_from: date | None = None,
    ) -> list[tuple[Claim, int]]:
        """Claims with their outstanding amount (> 0), optionally between two groups of
        parties (either way round: a settler and those it settles for, on each side).
        With `issued_from`, also the claims issued on or after that day that are paid off
        (outstanding 0): a period's statement counts what it invoiced, paid or not."""
        allocated = self._allocated(as_of)
        outstanding = claims.c.amount - func.coalesce(allocated.c.allocated, 0)
        wanted = outstanding > 0
        if issued_from is not None:
            wanted = or_(wanted, claims.c.issued >= issued_from)
        query = (
            select(claims, outstanding.label("outstanding"))
            .select_from(claims.outerjoin(allocated, allocated.c.claim_id == claims.c.id))
            .where(wanted)
            .order_by(claims.c.due, claims.c.id)
        )
        if parties is not None:
            a, b = list(parties[0]), list(parties[1])
            query = query.where(
                or_(
                    and_(claims.c.creditor.in_(a), claims.c.debtor.in_(b)),
                    and_(claims.c.creditor.in_(b), claims.c.debtor.in_(a)),
                )
            )
        if issued_by is not None:
            query = query.where(claims.c.issued <= issued_by)
        return [(_claim(r), int(r.outstanding)) for r in self.conn.execute(query)]

    def allocated_totals(
        self, as_of: date | None = None, claim_ids: Collection[str] | None = None
    ) -> dict[str, int]:
        """Per claim id (of `claim_ids`, default every claim), what settlement runs in force
        (ending by `as_of`) allocated."""
        allocated = self._allocated(as_of)
        if claim_ids is None:
            rows = self.conn.execute(select(allocated))
            return {r.claim_id: int(r.allocated) for r in rows}
        wanted = sorted(set(claim_ids))
        found: dict[str, int] = {}
        for start in range(0, len(wanted), 500):  # bound the number of parameters
            chunk = wanted[start : start + 500]
            query = select(allocated).where(allocated.c.claim_id.in_(chunk))
            found.update({r.claim_id: int(r.allocated) for r in self.conn.execute(query)})
        return found

    def due_by_source(self, as_of: date, type_: ClaimType) -> dict[str, int]:
        """Per claim source (a tranche, for its installments and interest), the total of
        its claims of `type_` due on or before `as_of`."""
        c = claims.c
        rows = self.conn.execute(
            select(c.source, func.sum(c.amount))
            .where(c.due <= as_of, c.type == type_.value)
            .group_by(c.source)
        )
        return {source: int(total) for source, total in rows}

    def allocated_by_source(self, as_of: date, type_: ClaimType) -> dict[str, int]:
        """Per claim source (a tranche, for its installments), what the settlement runs in
        force ending by `as_of` allocated to its claims of `type_`."""
        allocated = self._allocated(as_of)
        c = claims.c
        rows = self.conn.execute(
            select(c.source, func.sum(allocated.c.allocated))
            .select_from(claims.join(allocated, allocated.c.claim_id == c.id))
            .where(c.type == type_.value)
            .group_by(c.source)
        )
        return {source: int(total) for source, total in rows}

    def claims_of_type(self, type_: ClaimType, issued_from: date | None = None) -> list[Claim]:
        """Every claim of `type_` (issued on or after `issued_from`), by issue date and id."""
        query = select(claims).where(claims.c.type == type_.value)
        if issued_from is not None:
            query = query.where(claims.c.issued >= issued_from)
        return [_claim(r) for r in self.conn.execute(query.order_by(claims.c.issued, claims.c.id))]

    def reductions(self, claim_ids: Collection[str]) -> dict[str, list[tuple[date, int]]]:
        """Per short-term claim of `claim_ids`, what the settlement runs in force paid off
        of it and from when: a cash allocation on its payment's date, an offset on the
        run's last day. (Only short-term claims bear late interest: the allocations to
        every other claim are not read.)"""
        a, r, p = allocations.c, settlement_runs.c, payments.c
        query = (
            select(a.claim_id, a.amount, a.method, r.period_end, p.date.label("paid_on"))
            .select_from(
                allocations.join(settlement_runs, a.run_id == r.id)
                .join(claims, claims.c.id == a.claim_id)
                .outerjoin(payments, and_(a.method == "cash", a.against == p.id))
            )
            .where(r.status == ACTIVE, claims.c.type == ClaimType.SHORT_TERM.value)
        )
        wanted = set(claim_ids)
        found: dict[str, list[tuple[date, int]]] = {}
        for row in self.conn.execute(query):
            if row.claim_id in wanted:
                day = row.paid_on if row.method == "cash" and row.paid_on else row.period_end
                found.setdefault(row.claim_id, []).append((day, int(row.amount)))
        return found

    def claims_by_id(self, ids: Collection[str]) -> dict[str, tuple[Claim, str | None]]:
        """The stored claims of `ids`, each with the delivery of the tranche it belongs to
        (None for a claim of no tranche: its `source` names what created it)."""
        c, t = claims.c, tranches.c
        wanted = sorted(set(ids))
        found: dict[str, tuple[Claim, str | None]] = {}
        for start in range(0, len(wanted), 500):  # bound the number of parameters
            query = (
                select(claims, t.delivery_id.label("tranche_delivery"))
                .select_from(claims.outerjoin(tranches, t.id == c.source))
                .where(c.id.in_(wanted[start : start + 500]))
            )
            for row in self.conn.execute(query):
                found[row.id] = (_claim(row), row.tranche_delivery)
        return found

    def late_interest_booked(self) -> dict[str, tuple[str, int]]:
        """Per short-term claim, the last month (``YYYY-MM``) of late interest charged on
        it and the total charged, from its late-interest claims."""
        c = claims.c
        rows = self.conn.execute(
            select(c.source, func.max(c.issued), func.sum(c.amount))
            .where(c.type == ClaimType.LATE_INTEREST.value)
            .group_by(c.source)
        )
        return {source: (_month(last), int(total)) for source, last, total in rows}

    def accrued_by(self, as_of: date) -> dict[str, int]:
        """Per tranche, the interest accrued in months ending on or before `as_of` (a
        month's accrual is booked on its last day: inside a month, only the months before)."""
        last_day = (as_of + timedelta(days=1)).month != as_of.month
        ended = as_of if last_day else as_of.replace(day=1) - timedelta(days=1)
        month = f"{ended.year:04d}-{ended.month:02d}"
        rows = self.conn.execute(
            select(accruals.c.tranche_id, func.sum(accruals.c.amount))
            .where(accruals.c.month <= month)
            .group_by(accruals.c.tranche_id)
        )
        totals = {tranche: int(amount) for tranche, amount in rows}
        return totals

    # -- payments ----------------------------------------------------------------------

    def payment_digests(self, ids: Sequence[str]) -> dict[str, str]:
        rows = self.conn.execute(
            select(payments.c.id, payments.c.digest).where(payments.c.id.in_(list(ids)))
        )
        return {r.id: r.digest for r in rows}

    def add_payments(self, new: Sequence[tuple[Payment, str]]) -> None:
        if new:
            self.conn.execute(
                payments.insert(),
                [
                    {
                        "id": p.id,
                        "payer": p.payer,
                        "payee": p.payee,
                        "amount": p.amount,
                        "currency": p.currency,
                        "date": p.date,
                        "reference": p.reference,
                        "digest": digest,
                    }
                    for p, digest in new
                ],
            )

    def payments_in(self, first: date, last: date) -> list[Payment]:
        """Every payment dated from `first` to `last`, by date and id."""
        rows = self.conn.execute(
            select(payments)
            .where(payments.c.date.between(first, last))
            .order_by(payments.c.date, payments.c.id)
        )
        return [
            Payment(r.id, r.payer, r.payee, r.amount, r.currency, r.date, r.reference) for r in rows
        ]

    # -- settlement runs ---------------------------------------------------------------

    def run(self, run_id: str) -> RunRow | None:
        """The run `run_id`, settled or reversed."""
        found = self._runs(select(settlement_runs).where(settlement_runs.c.id == run_id))
        return found[0] if found else None

    def runs(self, period: str | None = None, status: str | None = ACTIVE) -> list[RunRow]:
        query = select(settlement_runs).order_by(
            settlement_runs.c.period_end, settlement_runs.c.party_a, settlement_runs.c.generation
        )
        if period is not None:
            query = query.where(settlement_runs.c.period == period)
        if status is not None:
            query = query.where(settlement_runs.c.status == status)
        return self._runs(query)

    def _runs(self, query: Any) -> list[RunRow]:
        return [
            RunRow(
                r.id,
                r.period,
                r.party_a,
                r.party_b,
                r.currency,
                r.generation,
                r.status,
                json.loads(r.statement),
                json.loads(r.transactions),
            )
            for r in self.conn.execute(query)
        ]

    def generations(self, period: str, parties: tuple[str, str]) -> int:
        value = self.conn.execute(
            select(func.max(settlement_runs.c.generation)).where(
                settlement_runs.c.period == period,
                settlement_runs.c.party_a == parties[0],
                settlement_runs.c.party_b == parties[1],
            )
        ).scalar_one()
        return int(value or 0)

    def add_run(
        self,
        run: RunRow,
        period_start: date,
        period_end: date,
        allocated: Sequence[tuple[str, int, str, str]],
        at: int,
    ) -> None:
        self.conn.execute(
            settlement_runs.insert().values(
                id=run.id,
                period=run.period,
                period_start=period_start,
                period_end=period_end,
                party_a=run.party_a,
                party_b=run.party_b,
                currency=run.currency,
                generation=run.generation,
                status=run.status,
                statement=json.dumps(run.statement, sort_keys=True),
                transactions=json.dumps(run.transactions),
                created_at=at,
            )
        )
        if allocated:
            self.conn.execute(
                allocations.insert(),
                [
                    {
                        "run_id": run.id,
                        "idx": i,
                        "claim_id": claim_id,
                        "amount": amount,
                        "method": method,
                        "against": against,
                    }
                    for i, (claim_id, amount, method, against) in enumerate(allocated)
                ],
            )
        row = self.conn.execute(select(settlement_runs).where(settlement_runs.c.id == run.id)).one()
        entry = run_entry(run.id, at, run_fields(row), [list(a) for a in allocated])
        self.log.append(RUN, [entry], key_text=run.id)

    def mark_reversed(self, run_id: str, at: int) -> None:
        self.conn.execute(
            settlement_runs.update()
            .where(settlement_runs.c.id == run_id)
            .values(status=REVERSED, reversed_at=at)
        )
        self.log.append(REOPEN, [reopen_entry(run_id, at)], key_text=run_id)

    def signoffs(self, run_ids: Collection[str]) -> list[SignoffRow]:
        """The sign-offs of the runs `run_ids`, oldest first."""
        s = statement_signoffs.c
        found: list[SignoffRow] = []
        wanted = sorted(set(run_ids))
        for at in range(0, len(wanted), 5_000):
            found += [
                SignoffRow(*row)
                for row in self.conn.execute(
                    select(s.run_id, s.party, s.login, s.signed_at, s.digest).where(
                        s.run_id.in_(wanted[at : at + 5_000])
                    )
                )
            ]
        return sorted(found, key=lambda r: (r.signed_at, r.run_id, r.party))

    def add_signoff(self, row: SignoffRow) -> int:
        """Record a sign-off and append its entry to the log; its id."""
        self.log.lock()  # the id is the next one under the log's lock
        s = statement_signoffs.c
        signoff_id = 1 + int(
            self.conn.execute(select(func.coalesce(func.max(s.id), 0))).scalar_one()
        )
        self.conn.execute(statement_signoffs.insert().values(id=signoff_id, **row._asdict()))
        entry = signoff_entry(
            signoff_id, row.signed_at, row.run_id, row.party, row.login, row.digest
        )
        self.log.append(SIGNOFF, [entry], key_from=signoff_id)
        return signoff_id
