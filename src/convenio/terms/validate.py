"""Checks across a whole terms document, after each part has validated on its own.

The models of `convenio.terms.model` check what one table or one loan can see; this
module checks what needs the whole document: ids declared once, every reference to a
party, item, unit or price series declared, amounts with no more decimals than their
unit's scale allows (never rounded), versions in order of effective date and not
overlapping. Each problem is a finding ``(path, message)``; the loader turns paths into
line numbers, `Agreement` raises them all at once. Pure functions over the models.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from convenio.units.amounts import BUILTIN_UNITS, AmountError, UnitKind, UnitRegistry, to_minor

if TYPE_CHECKING:
    from convenio.terms.model import AgreementHeader, AgreementVersion, Item, Quota, UnitPrice
    from convenio.terms.values import Loc

__all__ = ["Finding", "check_agreement"]

Finding = tuple["Loc", str]
"""A problem found: the path of the offending value and what is wrong with it."""


def check_agreement(
    header: AgreementHeader | None, versions: Sequence[tuple[int, AgreementVersion]]
) -> list[Finding]:
    """Every cross-document problem of `header` and the `(index, version)` pairs given.

    `header` is None when it failed validation itself: then only the checks among
    versions run. `versions` may skip indices whose version failed validation.
    """
    findings: list[Finding] = []
    findings += _version_order(versions)
    if header is not None:
        checker = _References(header, findings)
        for index, version in versions:
            checker.version(("versions", index), version)
    return findings


def _duplicates(values: Iterable[tuple[Loc, str]], what: str) -> list[Finding]:
    seen: dict[str, Loc] = {}
    findings: list[Finding] = []
    for loc, value in values:
        if value in seen:
            findings.append((loc, f"{what} {value!r} is declared twice"))
        else:
            seen[value] = loc
    return findings


def _version_order(versions: Sequence[tuple[int, AgreementVersion]]) -> list[Finding]:
    findings = _duplicates(((("versions", i, "id"), v.id) for i, v in versions), "version id")
    for (previous, before), (index, version) in itertools.pairwise(versions):
        if version.effective <= before.effective:
            findings.append(
                (
                    ("versions", index, "effective"),
                    f"versions must be listed by effective date: {version.id} takes effect on "
                    f"{version.effective}, not after {before.id} ({before.effective})",
                )
            )
        elif before.ends is not None and before.ends >= version.effective:
            findings.append(
                (
                    ("versions", previous, "ends"),
                    f"{before.id} ends on {before.ends}, but {version.id} takes effect on "
                    f"{version.effective}: versions must not overlap",
                )
            )
    return findings


class _References:
    """Resolves and checks the references of versions against one header."""

    def __init__(self, header: AgreementHeader, findings: list[Finding]) -> None:
        self.findings = findings
        self.units = self._units(header)
        self.parties = {party.code for party in header.parties}
        self.items = {item.id: item for item in header.items}
        self.groups = {item.group for item in header.items if item.group is not None}
        self.series = {series.id: series for series in header.price_series}
        self._header(header)

    def add(self, loc: Loc, message: str) -> None:
        self.findings.append((loc, message))

    def _units(self, header: AgreementHeader) -> UnitRegistry:
        registry = UnitRegistry(BUILTIN_UNITS)
        builtin = {unit.code for unit in BUILTIN_UNITS}
        declared = [(("units", i, "code"), spec.code) for i, spec in enumerate(header.units)]
        self.findings.extend(_duplicates(declared, "unit"))
        for i, spec in enumerate(header.units):
            try:
                registry.add(spec.to_unit())
            except AmountError as error:
                self.add(("units", i, "scale"), str(error))
                continue
            if spec.code in builtin and registry[spec.code].kind != spec.kind:
                self.add(("units", i, "kind"), f"built-in unit {spec.code} is not {spec.kind}")
        return registry

    def _header(self, header: AgreementHeader) -> None:
        add = self.findings.extend
        add(
            _duplicates(
                ((("parties", i, "code"), p.code) for i, p in enumerate(header.parties)), "party"
            )
        )
        add(_duplicates(((("items", i, "id"), t.id) for i, t in enumerate(header.items)), "item"))
        series_ids = ((("price_series", i, "id"), s.id) for i, s in enumerate(header.price_series))
        add(_duplicates(series_ids, "price series"))
        parents = {party.code: party.parent for party in header.parties}
        for i, party in enumerate(header.parties):
            if party.parent is None:
                continue
            if party.parent not in self.parties:
                self.add(("parties", i, "parent"), f"unknown parent party {party.parent!r}")
                continue
            seen = {party.code}
            above: str | None = party.parent
            while above is not None and above not in seen:
                seen.add(above)
                above = parents.get(above)
            if above == party.code:
                self.add(("parties", i, "parent"), f"party {party.code} is its own ancestor")
        for i, item in enumerate(header.items):
            self.unit(("items", i, "unit"), item.unit)
        for i, series in enumerate(header.price_series):
            self.currency(("price_series", i, "unit"), series.unit)
            self.unit(("price_series", i, "per"), series.per)

    def unit(self, loc: Loc, code: str) -> bool:
        if code not in self.units:
            self.add(loc, f"unknown unit {code!r}; declare it under units")
            return False
        return True

    def currency(self, loc: Loc, code: str) -> bool:
        if not self.unit(loc, code):
            return False
        if self.units[code].kind != UnitKind.CURRENCY:
            self.add(loc, f"{code} is a unit of {self.units[code].kind}, not a currency")
            return False
        return True

    def party(self, loc: Loc, code: str) -> None:
        if code not in self.parties:
            self.add(loc, f"unknown party {code!r}; declare it under parties")

    def item(self, loc: Loc, item_id: str) -> Item | None:
        item = self.items.get(item_id)
        if item is None:
            self.add(loc, f"unknown item {item_id!r}; declare it under items")
        return item

    def exact(self, loc: Loc, value: Decimal, code: str) -> None:
        """`value` must be a whole number of the smallest step of unit `code`."""
        if code not in self.units:
            return
        scale = self.units[code].scale
        try:
            to_minor(value, scale)
        except AmountError:
            self.add(
                loc,
                f"{value} has more decimals than {code} allows ({scale}); "
                "amounts are never rounded",
            )

    def price(self, loc: Loc, price: UnitPrice) -> None:
        if self.currency((*loc, "currency"), price.currency):
            self.exact((*loc, "price"), price.price, price.currency)
        self.unit((*loc, "per"), price.per)

    def version(self, at: Loc, version: AgreementVersion) -> None:
        flows: dict[tuple[str, str], set[str]] = {}
        for i, flow in enumerate(version.flows):
            self.party((*at, "flows", i, "supplier"), flow.supplier)
            self.party((*at, "flows", i, "recipient"), flow.recipient)
            for j, item_id in enumerate(flow.items):
                self.item((*at, "flows", i, "items", j), item_id)
            flows.setdefault((flow.supplier, flow.recipient), set()).update(flow.items)
        for i, quota in enumerate(version.quotas):
            self.quota((*at, "quotas", i), quota, flows)
        currency = None
        if version.pricing is not None:
            currency = self.pricing((*at, "pricing"), version)
        if version.financing is not None:
            fin: Loc = (*at, "financing")
            if version.financing.bands and version.pricing is None:
                self.add((*fin, "bands"), "bands read a reference price: state pricing too")
            if currency is not None:
                for i, band in enumerate(version.financing.bands):
                    self.exact((*fin, "bands", i, "at_or_above"), band.at_or_above, currency)
                for i, entry in enumerate(version.financing.loan_by_price):
                    self.exact((*fin, "loan_by_price", i), entry.threshold, currency)
        cards = [((*at, "rate_cards", i, "item"), c.item) for i, c in enumerate(version.rate_cards)]
        self.findings.extend(_duplicates(cards, "rate card for item"))
        for i, card in enumerate(version.rate_cards):
            loc: Loc = (*at, "rate_cards", i)
            item = self.item((*loc, "item"), card.item)
            if self.currency((*loc, "currency"), card.currency):
                self.exact((*loc, "price"), card.price, card.currency)
            if self.unit((*loc, "per"), card.per) and item is not None and item.unit != card.per:
                self.add((*loc, "per"), f"{card.item} is counted in {item.unit}, not {card.per}")
        if version.settlement is not None:
            settle: Loc = (*at, "settlement")
            self.currency((*settle, "cash_currency"), version.settlement.cash_currency)
            for i, code in enumerate(version.settlement.parties):
                self.party((*settle, "parties", i), code)

    def quota(self, loc: Loc, quota: Quota, flows: dict[tuple[str, str], set[str]]) -> None:
        self.party((*loc, "supplier"), quota.supplier)
        self.party((*loc, "recipient"), quota.recipient)
        items: list[Item] = []
        if quota.item is not None:
            item = self.item((*loc, "item"), quota.item)
            items = [item] if item is not None else []
        elif quota.group is not None:
            items = [item for item in self.items.values() if item.group == quota.group]
            if not items:
                self.add((*loc, "group"), f"no item belongs to group {quota.group!r}")
        if self.unit((*loc, "unit"), quota.unit):
            self.exact((*loc, "quantity"), quota.quantity, quota.unit)
            for item in items:
                if item.unit != quota.unit:
                    self.add(
                        (*loc, "unit"), f"{item.id} is counted in {item.unit}, not {quota.unit}"
                    )
        if flows and items:
            covered = flows.get((quota.supplier, quota.recipient), set())
            missing = [item.id for item in items if item.id not in covered]
            if missing:
                self.add(
                    loc,
                    f"no flow from {quota.supplier} to {quota.recipient} carries "
                    f"{', '.join(missing)}",
                )

    def pricing(self, loc: Loc, version: AgreementVersion) -> str | None:
        """Check `version.pricing`; the currency of its reference series, if known."""
        pricing = version.pricing
        assert pricing is not None
        series = self.series.get(pricing.reference_series)
        if series is None:
            self.add(
                (*loc, "reference_series"),
                f"unknown price series {pricing.reference_series!r}; declare it under price_series",
            )
        if pricing.floor is not None:
            self.price((*loc, "floor"), pricing.floor)
            if series is not None and (pricing.floor.currency, pricing.floor.per) != (
                series.unit,
                series.per,
            ):
                self.add(
                    (*loc, "floor"),
                    f"the floor is in {pricing.floor.currency}/{pricing.floor.per} but the "
                    f"series {series.id} is in {series.unit}/{series.per}",
                )
        if series is not None and series.unit in self.units:
            return series.unit
        return None
