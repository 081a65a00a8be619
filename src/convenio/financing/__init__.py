"""Financing: how the financed part of an invoice becomes a loan tranche and is repaid.

This package's pure core: day-count conventions and exact interest accrual
(`daycount`), and tranche repayment schedules with grace, equal principal or annuity
installments (`schedules`). Amounts are integers of minor units (cents), rates are
`Decimal` annual fractions, and rounding (half to even) happens only at the cent.
"""

from convenio.financing.accrual import (
    Accrual,
    accrual_accounts,
    accrual_transactions,
    accrue_through,
    late_interest,
)
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
from convenio.financing.deliveries import (
    DELIVERY_COLUMNS,
    Delivery,
    parse_deliveries_csv,
    quota_problems,
    quota_span,
    read_deliveries_csv,
)
from convenio.financing.invoicing import (
    SPLIT_ROUNDING,
    VALUE_ROUNDING,
    Invoice,
    PriceSource,
    Valuation,
    delivery_accounts,
    delivery_transactions,
    split_invoice,
    value_delivery,
)
from convenio.financing.prices import (
    PRICE_COLUMNS,
    PRICE_DECIMALS,
    PRICE_ROUNDING,
    PricePoint,
    PriceSeries,
    parse_price,
    parse_price_csv,
    reference_price,
    series_from_points,
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
from convenio.financing.tranches import (
    Tranche,
    financing_day_count,
    tranche_claims,
    tranche_for,
)

__all__ = [
    "DECIMAL_CONTEXT",
    "DELIVERY_COLUMNS",
    "PRICE_COLUMNS",
    "PRICE_DECIMALS",
    "PRICE_ROUNDING",
    "ROUNDING",
    "SPLIT_ROUNDING",
    "VALUE_ROUNDING",
    "Accrual",
    "DayCount",
    "Delivery",
    "Frequency",
    "GraceInterest",
    "Installment",
    "InterestBasis",
    "Invoice",
    "Method",
    "PricePoint",
    "PriceSeries",
    "PriceSource",
    "Schedule",
    "Tranche",
    "Valuation",
    "accrual_accounts",
    "accrual_transactions",
    "accrue",
    "accrue_through",
    "add_months",
    "build_schedule",
    "check_rate",
    "delivery_accounts",
    "delivery_transactions",
    "financing_day_count",
    "late_interest",
    "parse_deliveries_csv",
    "parse_price",
    "parse_price_csv",
    "quota_problems",
    "quota_span",
    "read_deliveries_csv",
    "reference_price",
    "round_minor",
    "series_from_points",
    "split_invoice",
    "tranche_claims",
    "tranche_for",
    "value_delivery",
    "year_fraction",
]
