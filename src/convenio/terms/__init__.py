"""Agreement terms as validated data: parties, versions, pricing, financing, rate cards.

The start of convenio's data flow. A terms file (YAML, ``docs/terms.md``) is loaded
with `load_terms` into a frozen `Agreement` whose versions are fully resolved (an
amendment states only what changes); every problem in the file is reported at once,
each with its line and field. Valuation, financing and settlement then read the
`AgreementVersion` in force on a date (`Agreement.version_on`): its band table
(`FinancingTerms.financed_share`, `FinancingTerms.loan_for`), rate cards and
settlement rules. Prices are `Decimal` in a named currency per unit; shares and rates
are `Decimal` fractions (5 % is ``Decimal("0.05")``).
"""

from convenio.terms.loader import TermsYamlLoader, load_terms, parse_terms
from convenio.terms.model import (
    SCHEMA,
    Agreement,
    AgreementHeader,
    AgreementInfo,
    AgreementVersion,
    Band,
    FinancingTerms,
    Flow,
    Item,
    LateInterest,
    LoanBand,
    LoanTerms,
    Party,
    PriceSeries,
    Pricing,
    Quota,
    RateCard,
    SettlementTerms,
    ShortTerm,
    TermsLookupError,
    UnitPrice,
    UnitSpec,
)
from convenio.terms.values import (
    AllocationStep,
    ClaimKind,
    DayCount,
    Frequency,
    GraceInterest,
    ItemKind,
    Overpayment,
    PartyKind,
    PricingRule,
    QuotaPeriod,
    RepaymentMethod,
    SettlementPeriod,
    belongs_to,
    parse_fraction,
    state_of,
)

__all__ = [
    "SCHEMA",
    "Agreement",
    "AgreementHeader",
    "AgreementInfo",
    "AgreementVersion",
    "AllocationStep",
    "Band",
    "ClaimKind",
    "DayCount",
    "FinancingTerms",
    "Flow",
    "Frequency",
    "GraceInterest",
    "Item",
    "ItemKind",
    "LateInterest",
    "LoanBand",
    "LoanTerms",
    "Overpayment",
    "Party",
    "PartyKind",
    "PriceSeries",
    "Pricing",
    "PricingRule",
    "Quota",
    "QuotaPeriod",
    "RateCard",
    "RepaymentMethod",
    "SettlementPeriod",
    "SettlementTerms",
    "ShortTerm",
    "TermsLookupError",
    "TermsYamlLoader",
    "UnitPrice",
    "UnitSpec",
    "belongs_to",
    "load_terms",
    "parse_fraction",
    "parse_terms",
    "state_of",
]
