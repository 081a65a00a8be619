"""Financing: how the financed part of an invoice becomes a loan tranche and is repaid.

This package's pure core: day-count conventions and exact interest accrual
(`daycount`), and tranche repayment schedules with grace, equal principal or annuity
installments (`schedules`). Amounts are integers of minor units (cents), rates are
`Decimal` annual fractions, and rounding (half to even) happens only at the cent.
"""

from convenio.financing.daycount import (
    DECIMAL_CONTEXT,
    ROUNDING,
    DayCount,
    accrue,
    add_months,
    check_rate,
    round_minor,
    year_fraction,
)
from convenio.financing.schedules import (
    Frequency,
    GraceInterest,
    Installment,
    InterestBasis,
    Method,
    Schedule,
    build_schedule,
)

__all__ = [
    "DECIMAL_CONTEXT",
    "ROUNDING",
    "DayCount",
    "Frequency",
    "GraceInterest",
    "Installment",
    "InterestBasis",
    "Method",
    "Schedule",
    "accrue",
    "add_months",
    "build_schedule",
    "check_rate",
    "round_minor",
    "year_fraction",
]
