"""The terms of an agreement as frozen, validated pydantic models.

This is the first stop of the data flow: a terms file (YAML, read by
`convenio.terms.loader`) becomes an `Agreement` — parties, units, items, price series
and a list of `AgreementVersion`s, each in force from its effective date. Valuation,
the financing split, tranche schedules and settlement runs all read the version in
force on a date (`Agreement.version_on`). Each model checks what it can see by itself
(a band table's order, a loan's grace against its term); `Agreement` adds the checks
across the document (`convenio.terms.validate`: references, scales, version order).
Prices are `Decimal` in a named currency per unit; shares and rates are fractions.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal, Self

from pydantic import Field, PrivateAttr, StrictBool, model_validator

from convenio.errors import InputError, Problem
from convenio.terms import validate
from convenio.terms.inherit import resolve_versions
from convenio.terms.loans import (
    Band,
    FinancingTerms,
    LateInterest,
    LoanBand,
    LoanTerms,
    ShortTerm,
)
from convenio.terms.values import (
    AllocationStep,
    ClaimKind,
    Count,
    FinancedParts,
    Id,
    ItemKind,
    Loc,
    Overpayment,
    PartyCode,
    PartyKind,
    Positive,
    Price,
    PricingRule,
    QuotaPeriod,
    SettlementPeriod,
    TermsModel,
    UnitCode,
    fail,
)
from convenio.units.amounts import Unit, UnitKind, UnitRegistry

__all__ = [
    "SCHEMA",
    "Agreement",
    "AgreementHeader",
    "AgreementInfo",
    "AgreementVersion",
    "Band",
    "FinancingTerms",
    "Flow",
    "Item",
    "LateInterest",
    "LoanBand",
    "LoanTerms",
    "Party",
    "PriceSeries",
    "Pricing",
    "Quota",
    "RateCard",
    "SettlementTerms",
    "ShortTerm",
    "TermsLookupError",
    "UnitPrice",
    "UnitSpec",
]

SCHEMA = "convenio.terms/1"
"""The value of the `schema` key this package reads."""


class TermsLookupError(InputError, LookupError):
    """Nothing in the terms answers a lookup: no version in force on a date, an unknown id."""


def _missing(what: str, field: str, origin: str | None = None) -> TermsLookupError:
    error = TermsLookupError.from_problems([Problem(what, origin, None, field)])
    assert isinstance(error, TermsLookupError)
    return error


class AgreementInfo(TermsModel):
    """What the agreement is: its id, name and date of signature."""

    id: Id
    name: str
    signed: date
    note: str = ""
    source: str = ""


class Party(TermsModel):
    """A state, agency or company; `parent` is the party it belongs to (VEN for VEN.PDVSA)."""

    code: PartyCode
    name: str
    kind: PartyKind
    parent: PartyCode | None = None
    note: str = ""

    @model_validator(mode="after")
    def _not_own_parent(self) -> Self:
        if self.parent == self.code:
            fail(
                "Party", [(("parent",), f"party {self.code} cannot be its own parent", self.parent)]
            )
        return self


class UnitSpec(TermsModel):
    """A unit declared by the terms file, beyond the built-in ones; `scale` is its decimals."""

    code: UnitCode
    scale: Count = Field(le=12)
    kind: UnitKind
    name: str = ""

    def to_unit(self) -> Unit:
        """This declaration as a `convenio.units.Unit`."""
        return Unit(self.code, self.scale, self.kind, self.name)


class Item(TermsModel):
    """Something delivered (a commodity, goods, a profession's services) counted in `unit`."""

    id: Id
    kind: ItemKind
    unit: UnitCode
    name: str
    group: Id | None = None
    note: str = ""


class PriceSeries(TermsModel):
    """A reference price series, quoted in currency `unit` per unit `per` (USD per bbl)."""

    id: Id
    unit: UnitCode
    per: UnitCode
    name: str = ""
    note: str = ""


class Flow(TermsModel):
    """Who supplies which items to whom under a version."""

    supplier: PartyCode
    recipient: PartyCode
    items: tuple[Id, ...] = Field(min_length=1)
    note: str = ""

    @model_validator(mode="after")
    def _two_parties(self) -> Self:
        if self.supplier == self.recipient:
            message = f"{self.supplier} cannot supply itself"
            fail("Flow", [(("recipient",), message, self.recipient)])
        return self


class Quota(TermsModel):
    """A volume of an item (or of every item of a group) per day, month, quarter or year.

    `quantity` is in `unit`; `binding` says the volume is a commitment rather than a
    ceiling ("up to 53,000 bpd" is not binding).
    """

    supplier: PartyCode
    recipient: PartyCode
    item: Id | None = None
    group: Id | None = None
    quantity: Positive
    unit: UnitCode
    per: QuotaPeriod
    binding: StrictBool = False
    note: str = ""

    @model_validator(mode="after")
    def _item_or_group(self) -> Self:
        if (self.item is None) == (self.group is None):
            fail("Quota", [(("item",), "give exactly one of item and group", self.item)])
        return self


class UnitPrice(TermsModel):
    """A price: `price` in currency `currency` per one `per` (27 USD per bbl)."""

    price: Price
    currency: UnitCode
    per: UnitCode
    note: str = ""


class Pricing(TermsModel):
    """How deliveries of commodities are priced: a reference series, a rule, a floor."""

    reference_series: Id
    rule: PricingRule
    floor: UnitPrice | None = None
    note: str = ""

    def invoice_price(self, reference: Decimal) -> Decimal:
        """The price invoiced for a reference price: never below the floor (series units)."""
        if self.floor is not None and reference < self.floor.price:
            return self.floor.price
        return reference


class RateCard(TermsModel):
    """The value of one `per` (a person-month, a tonne) of an item, in `currency`."""

    item: Id
    price: Price
    currency: UnitCode
    per: UnitCode
    note: str = ""


class SettlementTerms(TermsModel):
    """How claims are offset each period, which claims services may pay, in what order.

    `parties` are those that settle on behalf of the others (the oil company and the
    central bank: VEN.PDVSA and CUB.BNC); empty means the parties of the flows.
    """

    period: SettlementPeriod
    parties: tuple[PartyCode, ...] = ()
    services_may_pay: tuple[ClaimKind, ...] = ()
    allocation_order: tuple[AllocationStep, ...] = Field(min_length=1)
    cash_currency: UnitCode
    overpayment: Overpayment
    financed_parts: FinancedParts = FinancedParts.LENT
    """``netted``: an invoice between the two `parties` (or parties they settle for) is
    not split; its whole value is netted in the period's compensation."""
    note: str = ""

    @model_validator(mode="after")
    def _orders(self) -> Self:
        errors: list[tuple[Loc, str, object]] = []
        for name, values in (
            ("services_may_pay", self.services_may_pay),
            ("allocation_order", self.allocation_order),
        ):
            for i, value in enumerate(values):
                if value in values[:i]:
                    errors.append(((name, i), f"{value} is listed twice", value))
        if ClaimKind.ANY in self.services_may_pay and len(self.services_may_pay) > 1:
            errors.append((("services_may_pay",), "'any' stands alone", self.services_may_pay))
        if self.financed_parts is FinancedParts.NETTED:
            if len(self.parties) != 2:
                message = "netted needs the two parties that settle named in 'parties'"
                errors.append((("financed_parts",), message, self.financed_parts))
            if not {ClaimKind.ANY, ClaimKind.SHORT_TERM} & set(self.services_may_pay):
                message = (
                    "netted invoices are short-term claims: services_may_pay must allow "
                    "short-term (or any)"
                )
                errors.append((("financed_parts",), message, self.financed_parts))
        steps = self.allocation_order
        if AllocationStep.OLDEST_DUE in steps[:-1]:
            index = steps.index(AllocationStep.OLDEST_DUE)
            message = "oldest-due takes every remaining claim, so it must come last"
            errors.append((("allocation_order", index), message, steps[index]))
        fail("SettlementTerms", errors)
        return self


class AgreementVersion(TermsModel):
    """The terms in force from `effective` to `ends` (inclusive; open-ended if None).

    `inherits` names the version this one was resolved from: the loaded model holds
    every version fully resolved, whatever the file left to inheritance.
    """

    id: Id
    name: str
    effective: date
    ends: date | None = None
    inherits: Id | None = None
    note: str = ""
    source: str = ""
    flows: tuple[Flow, ...] = ()
    quotas: tuple[Quota, ...] = ()
    pricing: Pricing | None = None
    financing: FinancingTerms | None = None
    rate_cards: tuple[RateCard, ...] = ()
    settlement: SettlementTerms | None = None

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.ends is not None and self.ends < self.effective:
            message = f"ends {self.ends} before it takes effect ({self.effective})"
            fail("AgreementVersion", [(("ends",), message, self.ends)])
        return self

    def in_force_on(self, day: date) -> bool:
        """Whether `day` falls within this version's dates."""
        return self.effective <= day and (self.ends is None or day <= self.ends)

    def loans(self) -> list[tuple[str, LoanTerms]]:
        """Every loan of this version's financing and the prices it applies to (none
        without financing)."""
        return [] if self.financing is None else self.financing.loans()

    def rate_for(self, item: str) -> RateCard:
        """The rate card of `item`; `TermsLookupError` if this version prices it not."""
        for card in self.rate_cards:
            if card.item == item:
                return card
        raise _missing(f"version {self.id} has no rate card for {item!r}", "rate_cards")


class AgreementHeader(TermsModel):
    """Everything of a terms file but its versions: what the versions refer to."""

    schema_id: Literal["convenio.terms/1"] = Field(alias="schema")
    agreement: AgreementInfo
    parties: tuple[Party, ...] = Field(min_length=1)
    units: tuple[UnitSpec, ...] = ()
    items: tuple[Item, ...] = ()
    price_series: tuple[PriceSeries, ...] = ()

    def unit_registry(self) -> UnitRegistry:
        """The built-in units plus those the file declares."""
        registry = UnitRegistry()
        for spec in self.units:
            registry.add(spec.to_unit())
        return registry

    def party(self, code: str) -> Party:
        """The party with `code`; `TermsLookupError` if there is none."""
        for party in self.parties:
            if party.code == code:
                return party
        raise _missing(f"no party {code!r} in the terms", "parties")

    def item(self, item_id: str) -> Item:
        """The catalogue item with `item_id`; `TermsLookupError` if there is none."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise _missing(f"no item {item_id!r} in the terms", "items")

    def items_in_group(self, group: str) -> tuple[Item, ...]:
        """The items of `group`, in catalogue order (empty if the group is unknown)."""
        return tuple(item for item in self.items if item.group == group)

    def price_unit(self, version: AgreementVersion) -> str:
        """What `version`'s reference prices are quoted in (``USD/bbl``); "" unpriced."""
        if version.pricing is None:
            return ""
        series = self.series(version.pricing.reference_series)
        return f"{series.unit}/{series.per}"

    def series(self, series_id: str) -> PriceSeries:
        """The price series with `series_id`; `TermsLookupError` if there is none."""
        for series in self.price_series:
            if series.id == series_id:
                return series
        raise _missing(f"no price series {series_id!r} in the terms", "price_series")


class Agreement(AgreementHeader):
    """A whole terms file: the header and its versions, ordered by effective date.

    Given plain data (a parsed YAML mapping), versions that inherit are resolved first;
    then every check of `convenio.terms.validate` runs and all failures are raised
    together. Use `convenio.terms.load_terms` to get the failures with line numbers.
    """

    versions: tuple[AgreementVersion, ...] = Field(min_length=1)
    _origin: str | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _resolve_inheritance(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("versions"), list):
            resolution = resolve_versions(data["versions"])
            fail("Agreement", [(loc, message, None) for loc, message in resolution.findings])
            data = {**data, "versions": resolution.versions}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        findings = validate.check_agreement(self, list(enumerate(self.versions)))
        fail("Agreement", [(loc, message, None) for loc, message in findings])
        return self

    @property
    def origin(self) -> str | None:
        """Where these terms were read from (a path or a source name), if known."""
        return self._origin

    def version(self, version_id: str) -> AgreementVersion:
        """The version with `version_id`; `TermsLookupError` if there is none."""
        for version in self.versions:
            if version.id == version_id:
                return version
        raise _missing(f"no version {version_id!r} in the terms", "versions", self._origin)

    def version_on(self, day: date) -> AgreementVersion:
        """The version in force on `day`; `TermsLookupError` naming the date if none is."""
        current = None
        for version in self.versions:
            if version.effective <= day:
                current = version
        if current is not None and current.in_force_on(day):
            return current
        if current is None:
            why = f"the first version takes effect on {self.versions[0].effective.isoformat()}"
        else:
            why = f"version {current.id} ended on {current.ends}"
        message = f"no version of {self.agreement.id} is in force on {day.isoformat()} ({why})"
        raise _missing(message, "versions", self._origin)
