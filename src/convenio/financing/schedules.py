"""Tranche repayment schedules: the financed part of an invoice as a loan, row by row.

After the financing split, each tranche gets a schedule from its loan terms (rate,
term, grace, frequency, method, day count): a grace period in which interest accrues
and is either paid or capitalised, then equal-principal or annuity installments. The
schedule is a frozen value whose rows the ledger turns into claims (principal and
interest due on each date). All amounts are integers of the tranche's minor unit
(cents for USD); rounding happens only at the cent, with `daycount.round_minor`, and
the principal parts always add up exactly to the amount lent (plus what was
capitalised). See ``docs/financing.md`` for the rules and a worked example.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, localcontext
from enum import StrEnum
from typing import TypeVar

from convenio.errors import InputError, Problem
from convenio.financing.daycount import (
    DECIMAL_CONTEXT,
    DayCount,
    accrue,
    add_months,
    check_rate,
    round_minor,
)

__all__ = [
    "Frequency",
    "GraceInterest",
    "Installment",
    "InterestBasis",
    "Method",
    "Schedule",
    "build_schedule",
]


class Frequency(StrEnum):
    """How often installments fall due; each period is a whole number of calendar months."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMIANNUAL = "semiannual"
    ANNUAL = "annual"

    @property
    def months(self) -> int:
        """Length of one period, in calendar months."""
        return _MONTHS[self]

    @property
    def periods_per_year(self) -> int:
        """Number of periods in a year (the divisor of the periodic rate)."""
        return 12 // _MONTHS[self]


_MONTHS = {
    Frequency.MONTHLY: 1,
    Frequency.QUARTERLY: 3,
    Frequency.SEMIANNUAL: 6,
    Frequency.ANNUAL: 12,
}


class Method(StrEnum):
    """How the principal is repaid after the grace period."""

    EQUAL_PRINCIPAL = "equal-principal"
    """The same principal every period (first installments carry the remainder cents);
    interest on the falling balance, so payments decrease."""
    ANNUITY = "annuity"
    """A level payment of principal plus interest; the last one absorbs the rounding."""


class GraceInterest(StrEnum):
    """What happens to the interest that accrues during the grace period."""

    PAID = "paid"
    """Paid at each period end: the grace periods are interest-only installments."""
    CAPITALISED = "capitalised"
    """Added to the principal at the end of grace (simple interest on the amount lent,
    one rounded amount per period); no installments during grace."""


class InterestBasis(StrEnum):
    """How a period's interest is computed on its opening principal."""

    PERIODIC = "periodic"
    """The periodic rate: annual rate / periods per year, whatever the period's length."""
    DAY_COUNT = "day-count"
    """The annual rate over the actual dates of the period under the schedule's day count."""


@dataclass(frozen=True, slots=True)
class Installment:
    """One row of a schedule; every amount is in minor units of the tranche's unit.

    `opening` is the principal outstanding at `period_start`, `closing` what remains
    after this installment's `principal` part is paid on `due`; `payment` is
    `interest` + `principal`. Interest-only (grace) rows have `principal` 0.
    """

    number: int
    due: date
    opening: int
    interest: int
    principal: int
    payment: int
    closing: int
    period_start: date

    def __post_init__(self) -> None:
        for name in ("opening", "interest", "principal", "payment", "closing"):
            if getattr(self, name) < 0:
                raise _invalid(name, f"installment {self.number} has a negative amount")
        if self.closing != self.opening - self.principal:
            raise _invalid("closing", f"installment {self.number}: closing != opening - principal")
        if self.payment != self.interest + self.principal:
            raise _invalid("payment", f"installment {self.number}: payment != interest + principal")


@dataclass(frozen=True, slots=True)
class Schedule:
    """A tranche's repayment schedule: its loan terms and its rows, in order of due date.

    `principal` is the amount lent and `capitalised_interest` the grace interest added
    to it (0 unless grace interest is capitalised), both in minor units; `rate` is the
    annual rate as a fraction. `interest_basis` is the basis actually used.
    """

    principal: int
    rate: Decimal
    start: date
    term_months: int
    grace_months: int
    frequency: Frequency
    method: Method
    day_count: DayCount
    grace_interest: GraceInterest
    interest_basis: InterestBasis
    capitalised_interest: int
    installments: tuple[Installment, ...]

    @property
    def grace_end(self) -> date:
        """The date the grace period ends (and capitalised interest joins the principal)."""
        return add_months(self.start, self.grace_months)

    @property
    def maturity(self) -> date:
        """The due date of the last installment."""
        return add_months(self.start, self.term_months)

    @property
    def total_principal(self) -> int:
        """Sum of the principal parts, in minor units: `principal` + `capitalised_interest`."""
        return sum(row.principal for row in self.installments)

    @property
    def total_interest(self) -> int:
        """Sum of the interest paid as interest, in minor units (capitalised interest is
        repaid as principal and is not counted here)."""
        return sum(row.interest for row in self.installments)

    @property
    def total_payment(self) -> int:
        """Everything the borrower pays, in minor units."""
        return sum(row.payment for row in self.installments)

    def outstanding_on(self, day: date) -> int:
        """Principal outstanding at the end of `day`, in minor units, after any installment
        due that day is paid: 0 before `start`, the amount lent until the first principal
        falls due (plus the capitalised interest from `grace_end` on), 0 from maturity on.
        """
        if day < self.start:
            return 0
        balance = self.principal
        if day >= self.grace_end:
            balance += self.capitalised_interest
        for row in self.installments:
            if row.due > day:
                break
            balance = row.closing
        return balance

    def due_between(self, first: date, last: date) -> tuple[Installment, ...]:
        """The installments due from `first` to `last`, both days included, in order."""
        if last < first:
            raise _invalid("last", f"{last.isoformat()} is before first {first.isoformat()}")
        return tuple(row for row in self.installments if first <= row.due <= last)


def _invalid(field: str, message: str) -> InputError:
    return InputError(f"{field}: {message}", [Problem(message, field=field)])


_E = TypeVar("_E", Frequency, Method, DayCount, GraceInterest, InterestBasis)


def _member(kind: type[_E], value: str, field: str, problems: list[Problem]) -> _E | None:
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        problems.append(Problem(f"{value!r} is not one of {choices}", field=field))
        return None


def _whole(value: object, field: str, problems: list[Problem]) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(Problem(f"must be an integer, got {value!r}", field=field))
        return None
    return value


def _split_evenly(amount: int, parts: int) -> list[int]:
    """`amount` in `parts` integers differing by at most one minor unit; the first
    ``amount % parts`` parts carry the extra unit, so the balance falls soonest."""
    base, extra = divmod(amount, parts)
    return [base + 1 if index < extra else base for index in range(parts)]


def _row(
    number: int, span: tuple[date, date], opening: int, interest: int, part: int
) -> Installment:
    """Installment `number` for the period `span` (start, due), repaying `part` of `opening`."""
    start, due = span
    return Installment(number, due, opening, interest, part, interest + part, opening - part, start)


def _level_payment(amount: int, rate: Decimal, periods_per_year: int, periods: int) -> int:
    """The annuity payment, in minor units, that repays `amount` in `periods` periods at the
    periodic rate ``rate / periods_per_year``: ``A·i / (1 − (1 + i)^−n)``, or ``A / n`` at 0."""
    with localcontext(DECIMAL_CONTEXT):
        if rate == 0:
            exact = Decimal(amount) / Decimal(periods)
        else:
            periodic = rate / Decimal(periods_per_year)
            exact = Decimal(amount) * periodic / (1 - (1 + periodic) ** -periods)
    return round_minor(exact)


def build_schedule(
    principal: int,
    rate: Decimal,
    start: date,
    term_months: int,
    grace_months: int,
    *,
    frequency: Frequency,
    method: Method,
    day_count: DayCount,
    grace_interest: GraceInterest,
    interest_basis: InterestBasis | None = None,
) -> Schedule:
    """The repayment schedule of `principal` minor units lent on `start` at the annual
    `rate` (a fraction, 0.02 for 2 %), repaid over `term_months` months of which the first
    `grace_months` are grace, with an installment every `frequency` period.

    Due dates are ``add_months(start, k × period)``: end-of-month clamped, counted from
    `start` so they never drift. Interest of a period is on its opening principal:
    with `InterestBasis.PERIODIC` at ``rate / periods per year``; with
    `InterestBasis.DAY_COUNT` by `accrue` over the period's actual dates under
    `day_count`. The default basis is DAY_COUNT for equal principal and PERIODIC for an
    annuity, whose level payment only exists on a periodic rate (an annuity with
    DAY_COUNT is refused; `day_count` is then unused).

    Raises `InputError` naming every bad field: a negative principal, a rate outside
    [0, 1), a term or grace that is not a whole number of periods, grace ≥ term.
    """
    problems: list[Problem] = []
    amount = _whole(principal, "principal", problems)
    if amount is not None and amount < 0:
        problems.append(Problem(f"must not be negative, got {amount}", field="principal"))
    try:
        check_rate(rate)
    except InputError as error:
        problems.extend(error.problems)
    if not isinstance(start, date) or isinstance(start, datetime):
        problems.append(Problem(f"must be a date, got {start!r}", field="start"))
    freq = _member(Frequency, frequency, "frequency", problems)
    how = _member(Method, method, "method", problems)
    convention = _member(DayCount, day_count, "day_count", problems)
    grace_rule = _member(GraceInterest, grace_interest, "grace_interest", problems)
    basis = (
        None
        if interest_basis is None
        else _member(InterestBasis, interest_basis, "interest_basis", problems)
    )
    term = _whole(term_months, "term_months", problems)
    grace = _whole(grace_months, "grace_months", problems)
    if term is not None and term <= 0:
        problems.append(Problem(f"must be positive, got {term}", field="term_months"))
    if grace is not None and grace < 0:
        problems.append(Problem(f"must not be negative, got {grace}", field="grace_months"))
    if term is not None and grace is not None and term > 0 and grace >= term:
        problems.append(
            Problem(f"{grace} must be shorter than the term of {term}", field="grace_months")
        )
    if freq is not None:
        for field, months in (("term_months", term), ("grace_months", grace)):
            if months is not None and months % freq.months:
                problems.append(
                    Problem(
                        f"{months} is not a whole number of {freq.value} periods "
                        f"({freq.months} months each)",
                        field=field,
                    )
                )
    if how is Method.ANNUITY and basis is InterestBasis.DAY_COUNT:
        problems.append(
            Problem(
                "an annuity's level payment needs the periodic rate; "
                "use 'periodic' or equal-principal",
                field="interest_basis",
            )
        )
    if problems:
        raise InputError("bad tranche terms: " + "; ".join(map(str, problems)), problems)
    # Validation above proved each of these; the asserts tell the type checker.
    assert amount is not None and term is not None and grace is not None
    assert freq is not None and how is not None and convention is not None
    assert grace_rule is not None
    if basis is None:
        basis = InterestBasis.PERIODIC if how is Method.ANNUITY else InterestBasis.DAY_COUNT
    step = freq.months
    total_periods, grace_periods = term // step, grace // step
    dues = [add_months(start, k * step) for k in range(total_periods + 1)]
    spans = {k: (dues[k - 1], dues[k]) for k in range(1, total_periods + 1)}

    def interest_for(opening: int, period: int) -> int:
        if basis is InterestBasis.PERIODIC:
            with localcontext(DECIMAL_CONTEXT):
                exact = Decimal(opening) * rate / Decimal(freq.periods_per_year)
            return round_minor(exact)
        return accrue(opening, rate, *spans[period], convention)

    rows: list[Installment] = []
    capitalised = 0
    for period in range(1, grace_periods + 1):
        interest = interest_for(amount, period)
        if grace_rule is GraceInterest.CAPITALISED:
            capitalised += interest
        else:
            rows.append(_row(len(rows) + 1, spans[period], amount, interest, 0))

    balance = amount + capitalised
    periods = total_periods - grace_periods
    if how is Method.EQUAL_PRINCIPAL:
        parts = _split_evenly(balance, periods)
    else:
        payment = _level_payment(balance, rate, freq.periods_per_year, periods)
    for index, period in enumerate(range(grace_periods + 1, total_periods + 1)):
        interest = interest_for(balance, period)
        if period == total_periods:
            part = balance  # the last installment repays what is left: all the rounding
        elif how is Method.EQUAL_PRINCIPAL:
            part = parts[index]
        else:
            # Never negative: payment and interest are rounded alike, and the exact
            # payment exceeds the exact interest on any balance up to the amount repaid.
            # Capped at the balance: for a few cents over many periods, a payment rounded
            # up could otherwise repay more than is owed before the last period.
            part = min(balance, max(payment - interest, 0))
        rows.append(_row(len(rows) + 1, spans[period], balance, interest, part))
        balance -= part

    return Schedule(
        principal=amount,
        rate=rate,
        start=start,
        term_months=term,
        grace_months=grace,
        frequency=freq,
        method=how,
        day_count=convention,
        grace_interest=grace_rule,
        interest_basis=basis,
        capitalised_interest=capitalised,
        installments=tuple(rows),
    )
