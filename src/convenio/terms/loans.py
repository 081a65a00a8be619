"""Financing terms: the band table that splits an invoice, and the loans that repay it.

Part of the terms model (`convenio.terms.model`): each `AgreementVersion` may carry a
`FinancingTerms`. The financing package reads it per invoice — the reference price
(currency of the version's price series per unit, e.g. USD/bbl) picks the financed
share (`FinancingTerms.financed_share`) and the loan terms (`FinancingTerms.loan_for`);
the rest is due at the short term. Shares and rates are `Decimal` fractions, terms and
grace are months. The lookups are pure.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Self

from pydantic import Field, ModelWrapValidatorHandler, ValidationError, model_validator

from convenio.terms.values import (
    Count,
    DayCount,
    Fraction,
    Frequency,
    GraceInterest,
    Loc,
    Price,
    Rate,
    RepaymentMethod,
    TermsModel,
    fail,
    parse_share,
)

__all__ = ["Band", "FinancingTerms", "LateInterest", "LoanBand", "LoanTerms", "ShortTerm"]


class LateInterest(TermsModel):
    """Interest on a short-term part unpaid `after_days` days from the invoice date."""

    rate: Rate
    after_days: Count
    day_count: DayCount


class ShortTerm(TermsModel):
    """The part of an invoice not financed: due `days` days after the invoice date."""

    days: Count = Field(gt=0)
    late_interest: LateInterest | None = None


class LoanTerms(TermsModel):
    """How a financed part is repaid: term, grace (months, within the term), yearly rate."""

    term_years: Count | None = Field(default=None, gt=0)
    term_months: Count | None = Field(default=None, gt=0)
    grace_months: Count = 0
    rate: Rate
    method: RepaymentMethod
    frequency: Frequency
    day_count: DayCount
    grace_interest: GraceInterest
    note: str = ""

    @model_validator(mode="after")
    def _term_and_grace(self) -> Self:
        if (self.term_years is None) == (self.term_months is None):
            message = "give exactly one of term_years and term_months"
            fail("LoanTerms", [(("term_years",), message, self.term_years)])
        if self.grace_months >= self.months:
            message = (
                f"a grace of {self.grace_months} months must be shorter than "
                f"the term of {self.months} months"
            )
            fail("LoanTerms", [(("grace_months",), message, self.grace_months)])
        return self

    @property
    def months(self) -> int:
        """The whole term in months, grace included."""
        return self.term_months if self.term_months is not None else 12 * (self.term_years or 0)


class Band(TermsModel):
    """A row of the band table: from reference price `at_or_above` up, `share` is financed."""

    at_or_above: Price
    share: Fraction
    loan: LoanTerms | None = None


class LoanBand(TermsModel):
    """Loan terms for reference prices `above` (or `at_or_above`) a threshold."""

    above: Price | None = None
    at_or_above: Price | None = None
    loan: LoanTerms

    @model_validator(mode="after")
    def _one_threshold(self) -> Self:
        if (self.above is None) == (self.at_or_above is None):
            fail("LoanBand", [(("above",), "give exactly one of above and at_or_above", None)])
        return self

    @property
    def threshold(self) -> Decimal:
        """The price this band starts from (series currency per unit)."""
        return self.above if self.above is not None else self.at_or_above or Decimal(0)

    def applies_to(self, price: Decimal) -> bool:
        """Whether a reference price reaches this band."""
        return price > self.threshold if self.above is not None else price >= self.threshold


class FinancingTerms(TermsModel):
    """The split of an invoice into a short-term part and a financed part, and the loan.

    `bands` run strictly ascending by price with non-decreasing shares; below the first
    band nothing is financed. The loan for a price is the band's own `loan`, else the
    highest `loan_by_price` entry the price reaches, else `loan`.
    """

    short_term: ShortTerm
    bands: tuple[Band, ...] = ()
    loan: LoanTerms
    loan_by_price: tuple[LoanBand, ...] = ()

    @model_validator(mode="wrap")
    @classmethod
    def _tables_in_order(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        # The order of a table is checked even when some of its rows are invalid, so
        # that a row out of order and a share over 100 % are reported together.
        try:
            terms = handler(data)
        except ValidationError as error:
            fail("FinancingTerms", _order_errors(*_raw_tables(data)), prior=error)
            raise
        bands = [(band.at_or_above, band.share) for band in terms.bands]
        fail("FinancingTerms", _order_errors(bands, [e.threshold for e in terms.loan_by_price]))
        return terms

    def band_for(self, price: Decimal) -> Band | None:
        """The highest band whose threshold is at or below `price`, or None below the first."""
        index = bisect.bisect_right([band.at_or_above for band in self.bands], price)
        return self.bands[index - 1] if index else None

    def financed_share(self, price: Decimal) -> Decimal:
        """The fraction of an invoice financed at reference `price` (0 below the first band)."""
        band = self.band_for(price)
        return band.share if band is not None else Decimal(0)

    def loans(self) -> list[tuple[str, LoanTerms]]:
        """Every loan these terms can give, with the prices it applies to, in the words
        of `convenio terms show`: the default, each band's own, each by-price entry's."""
        found = [("default", self.loan)]
        found += [(f"band at or above {b.at_or_above}", b.loan) for b in self.bands if b.loan]
        found += [
            (f"{'above' if e.above is not None else 'at or above'} {e.threshold}", e.loan)
            for e in self.loan_by_price
        ]
        return found

    def loan_for(self, price: Decimal) -> LoanTerms:
        """The loan terms of the part financed at reference `price`."""
        band = self.band_for(price)
        if band is not None and band.loan is not None:
            return band.loan
        for entry in reversed(self.loan_by_price):
            if entry.applies_to(price):
                return entry.loan
        return self.loan


_Row = tuple[Decimal | None, Decimal | None]


def _order_errors(
    bands: Sequence[_Row], loan_thresholds: Sequence[Decimal | None]
) -> list[tuple[Loc, str, object]]:
    """Rows out of order in the band table and in loan_by_price (None: unreadable, skipped)."""
    errors: list[tuple[Loc, str, object]] = []
    last_at: Decimal | None = None
    last_share: Decimal | None = None
    for i, (at, share) in enumerate(bands):
        if at is not None and last_at is not None and at <= last_at:
            message = f"bands must ascend strictly by price: {at} follows {last_at}"
            errors.append((("bands", i, "at_or_above"), message, at))
        if share is not None and last_share is not None and share < last_share:
            message = (
                f"shares must not decrease as the price rises: {_pc(share)} after {_pc(last_share)}"
            )
            errors.append((("bands", i, "share"), message, share))
        last_at = at if at is not None else last_at
        last_share = share if share is not None else last_share
    last_at = None
    for i, at in enumerate(loan_thresholds):
        if at is not None and last_at is not None and at <= last_at:
            message = f"loan_by_price must ascend strictly by price: {at} follows {last_at}"
            errors.append((("loan_by_price", i), message, at))
        last_at = at if at is not None else last_at
    return errors


def _pc(fraction: Decimal) -> str:
    return f"{fraction.scaleb(2).normalize():f} %"


def _raw_tables(data: Any) -> tuple[list[_Row], list[Decimal | None]]:
    """The band and loan thresholds (and shares) of unvalidated data, where readable."""
    if not isinstance(data, Mapping):
        return [], []
    bands = data.get("bands")
    loans = data.get("loan_by_price")
    rows = [
        (_read(_get(band, "at_or_above"), _decimal), _read(_get(band, "share"), parse_share))
        for band in (bands if isinstance(bands, list | tuple) else ())
    ]
    thresholds = [
        _read(_get(entry, "above"), _decimal) or _read(_get(entry, "at_or_above"), _decimal)
        for entry in (loans if isinstance(loans, list | tuple) else ())
    ]
    return rows, thresholds


def _get(row: Any, key: str) -> Any:
    return row.get(key) if isinstance(row, Mapping) else getattr(row, key, None)


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise ValueError(value)
    number = Decimal(value.strip() if isinstance(value, str) else value)
    if not number.is_finite():
        raise ValueError(value)
    return number


def _read(value: Any, parse: Callable[[Any], Decimal]) -> Decimal | None:
    try:
        return None if value is None else parse(value)
    except (ValueError, ArithmeticError):
        return None
