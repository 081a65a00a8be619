"""The vocabulary of terms files: exact decimals, percentages, codes, enumerations.

A terms file is read by `convenio.terms.loader` into plain data and validated by the
models of `convenio.terms.model`; the field types those models share live here. Every
number is a `Decimal` (a float is refused, it has already lost exactness); a percentage
is written ``5%`` or ``2.5 %`` or as a fraction (``0.05``) and is always held as the
fraction. The enumerations' values are the words written in terms files.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictInt
from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

from convenio.units.amounts import UNIT_CODE

__all__ = [
    "AllocationStep",
    "ClaimKind",
    "Count",
    "DayCount",
    "Exact",
    "Fraction",
    "Frequency",
    "GraceInterest",
    "Id",
    "ItemKind",
    "Loc",
    "Overpayment",
    "PartyCode",
    "PartyKind",
    "Positive",
    "Price",
    "PricingRule",
    "QuotaPeriod",
    "Rate",
    "RepaymentMethod",
    "SettlementPeriod",
    "TermsModel",
    "UnitCode",
    "belongs_to",
    "fail",
    "format_loc",
    "parse_fraction",
    "parse_share",
    "state_of",
]

Loc = tuple[str | int, ...]
"""A path into a terms document: keys and list indices, e.g. ``("versions", 2, "id")``."""

_PARTY = re.compile(r"^[A-Z]{3}(\.[A-Z0-9][A-Z0-9_-]*)*$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def _error(message: str) -> PydanticCustomError:
    # The message travels in the context so that braces in it are never a template.
    return PydanticCustomError("terms", "{message}", {"message": message})


def fail(
    title: str, errors: Sequence[tuple[Loc, str, object]], prior: ValidationError | None = None
) -> None:
    """Raise one `ValidationError` carrying every `(loc, message, input)` of `errors`.

    Raised inside a model validator, pydantic keeps each error's own location (below
    the model's), so a check over a whole table can point at the offending row. The
    errors of `prior` (what the fields' own validation found) come first.
    """
    details: list[InitErrorDetails] = []
    for known in prior.errors(include_url=False) if prior is not None else ():
        kind = known["type"]
        ctx = known.get("ctx")
        detail = InitErrorDetails(
            type=PydanticCustomError(kind, "{message}", ctx) if kind == "terms" else kind,
            loc=known["loc"],
            input=known["input"],
        )
        if ctx is not None:
            detail["ctx"] = ctx
        details.append(detail)
    details += [
        InitErrorDetails(type=_error(message), loc=loc, input=value)
        for loc, message, value in errors
    ]
    if details:
        raise ValidationError.from_exception_data(title, details)


def format_loc(loc: Loc) -> str:
    """A path as a field name: ``versions[2].financing.bands[3].share``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _exact(value: object) -> object:
    if isinstance(value, bool | float):
        raise _error(f"{value!r} is not an exact decimal; write it as a plain decimal number")
    return value


def parse_fraction(value: object) -> Decimal:
    """Read a percentage (``"5%"``, ``"2.5 %"``) or a fraction (``0.05``) as a `Decimal`."""
    if isinstance(value, bool | float):
        raise _error(f"{value!r} is not exact; write a percentage such as 5% or a decimal")
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        percent = text.endswith("%")
        digits = text[:-1].strip() if percent else text
        if not _PLAIN.match(digits):
            raise _error(f"{value!r} is not a percentage (write 5% or 2.5%) or a decimal fraction")
        try:
            number = Decimal(digits)
        except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
            raise _error(f"{value!r} is not a number") from None
        if percent:
            number = number.scaleb(-2)
    else:
        raise _error(f"{value!r} is not a percentage or a decimal fraction")
    if not number.is_finite():
        raise _error(f"{value!r} is not a finite number")
    return number


def _percent(number: Decimal) -> str:
    return f"{number.scaleb(2).normalize():f} %"


def _hint(value: object, number: Decimal) -> str:
    """For a bare number above 1 (``share: 5``), how to write the percentage meant."""
    if number >= 1 and not (isinstance(value, str) and value.strip().endswith("%")):
        return f" (for {number} per cent write {number}%)"
    return ""


def parse_share(value: object) -> Decimal:
    """Read a share (``"40%"`` or ``0.4``) as a `Decimal` fraction within 0 and 1 inclusive."""
    number = parse_fraction(value)
    if not Decimal(0) <= number <= Decimal(1):
        hint = _hint(value, number)
        raise _error(f"{_percent(number)} is not within 0 % and 100 %{hint}")
    return number


def _rate(value: object) -> Decimal:
    number = parse_fraction(value)
    if not Decimal(0) <= number < Decimal(1):
        hint = _hint(value, number)
        raise _error(
            f"a yearly rate of {_percent(number)} is not within 0 % and 100 % (excluded){hint}"
        )
    return number


def _party(code: str) -> str:
    if not _PARTY.match(code):
        raise _error(f"{code!r} is not a party code (VEN, VEN.PDVSA: ISO state code, then .PARTS)")
    return code


def _id(text: str) -> str:
    if not _ID.match(text):
        raise _error(
            f"{text!r} is not an id: letters, digits, '.', '_' and '-', "
            "starting with a letter or digit, at most 64 characters"
        )
    return text


def _unit(code: str) -> str:
    if not UNIT_CODE.match(code):
        raise _error(f"{code!r} is not a unit code (USD, bbl, person-month)")
    return code


Exact = Annotated[Decimal, BeforeValidator(_exact), Field(allow_inf_nan=False)]
"""A finite `Decimal`; floats and booleans are refused."""
Price = Annotated[Decimal, BeforeValidator(_exact), Field(ge=0, allow_inf_nan=False)]
"""A price or price threshold: a non-negative `Decimal` in a named currency per unit."""
Positive = Annotated[Decimal, BeforeValidator(_exact), Field(gt=0, allow_inf_nan=False)]
"""A quantity greater than zero, in a named unit."""
Fraction = Annotated[Decimal, BeforeValidator(parse_share)]
"""A share within 0 and 1 inclusive, written ``40%`` or ``0.4``."""
Rate = Annotated[Decimal, BeforeValidator(_rate)]
"""A yearly interest rate within 0 (included) and 1 (excluded), written ``2%`` or ``0.02``."""
Count = Annotated[StrictInt, Field(ge=0)]
"""A whole number of days or months, zero or more."""
PartyCode = Annotated[str, AfterValidator(_party)]
"""A party: ``VEN`` (a state), ``VEN.PDVSA`` (an agency or company below it)."""


def state_of(code: str) -> str:
    """The state a party belongs to: ``VEN`` for ``VEN.PDVSA`` and for ``VEN`` itself."""
    return code.split(".", maxsplit=1)[0]


def belongs_to(code: str, party: str) -> bool:
    """Whether `code` is `party` or one of its agencies (``VEN.PDVSA`` belongs to ``VEN``)."""
    return code == party or code.startswith(party + ".")


Id = Annotated[str, AfterValidator(_id)]
"""The id of an agreement, version, item or price series (``jet-fuel``, ``petrocaribe-2005``)."""
UnitCode = Annotated[str, AfterValidator(_unit)]
"""A unit code known to the units registry (``USD``, ``bbl``, ``person-month``)."""


class TermsModel(BaseModel):
    """Base of the terms models: frozen, and unknown keys are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_by_name=True)


class _Words(StrEnum):
    """An enumeration whose values are the words of terms files, read in any case."""

    @classmethod
    def _missing_(cls, value: object) -> _Words | None:
        if isinstance(value, str):
            for member in cls:
                if member.value.casefold() == value.strip().casefold():
                    return member
        return None


class PartyKind(_Words):
    STATE = "state"
    AGENCY = "agency"
    COMPANY = "company"


class ItemKind(_Words):
    COMMODITY = "commodity"
    GOODS = "goods"
    SERVICES = "services"


class QuotaPeriod(_Words):
    DAY = "day"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class PricingRule(_Words):
    """Which reference price values a delivery."""

    MONTH_AVERAGE = "month-average"
    """The average of the reference series over the calendar month of delivery."""
    DELIVERY_DATE = "delivery-date"
    """The reference price on the delivery date."""
    BILL_OF_LADING_DATE = "bill-of-lading-date"
    """The reference price on the date of the bill of lading (loading, FOB)."""


class RepaymentMethod(_Words):
    EQUAL_PRINCIPAL = "equal-principal"
    ANNUITY = "annuity"


class Frequency(_Words):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMIANNUAL = "semiannual"
    ANNUAL = "annual"


class DayCount(_Words):
    """Day-count conventions; the values match `convenio.financing.DayCount` where it has them."""

    THIRTY_360 = "30/360"
    """30/360 US (bond basis)."""
    THIRTY_E_360 = "30E/360"
    """30E/360 (Eurobond basis)."""
    ACT_360 = "act/360"
    ACT_365 = "act/365"
    ACT_ACT = "act/act"


class GraceInterest(_Words):
    """What happens to interest accrued during grace: paid each period or capitalised."""

    CAPITALISED = "capitalised"
    PAID = "paid"


class SettlementPeriod(_Words):
    MONTH = "month"
    QUARTER = "quarter"
    HALF_YEAR = "half-year"
    YEAR = "year"


class ClaimKind(_Words):
    """Kinds of claim that deliveries of services or goods may pay off."""

    SHORT_TERM = "short-term"
    """The part of an invoice due in cash at the short term (90 days)."""
    FINANCED = "financed"
    """Installments of principal of a financed tranche."""
    INTEREST = "interest"
    """Interest on financed tranches."""
    LATE_INTEREST = "late-interest"
    """Interest charged on short-term parts paid late."""
    ANY = "any"
    """Any claim that is due."""


class AllocationStep(_Words):
    """One step of the order in which an offset or payment is applied to claims due."""

    LATE_INTEREST = "late-interest"
    INTEREST = "interest"
    SHORT_TERM = "short-term"
    FINANCED = "financed"
    OLDEST_DUE = "oldest-due"
    """Every claim not yet covered, oldest due date first; nothing may follow it."""


class FinancedParts(_Words):
    """What a settlement run does with the financed part of an invoice between its two
    settlement parties: lend it as a tranche (the band table), or net it whole."""

    LENT = "lent"
    """The band table lends it: a tranche, repaid by its schedule."""
    NETTED = "netted"
    """Nothing is lent: the whole invoice is a short-term claim, netted in the period's
    compensation against the other party's services and goods."""


class Overpayment(_Words):
    """What a settlement does with more payment than is due: refuse it or carry it forward."""

    REFUSE = "refuse"
    CARRY = "carry"
