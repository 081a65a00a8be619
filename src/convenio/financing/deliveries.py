"""Deliveries: what one party provided another, read and checked against the terms.

A delivery is the start of the financing flow: a commodity shipment, goods, or services
for a period, later valued by the terms in force on its date
(`convenio.financing.invoicing`). `parse_deliveries_csv` reads a file of them and checks
each row against an `Agreement` — parties, items, units and their scales, the dates the
agreement covers, the flows of the version in force and its binding quotas — and
reports every problem with its line and field. Quantities are integers of the minor
unit of the item's unit (bbl has 3 decimals: 1,000.5 bbl is 1_000_500).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Final, NamedTuple

from convenio.errors import InputError, Problem
from convenio.financing.prices import parse_price
from convenio.ledger.parse import parse_date
from convenio.terms import Agreement, AgreementVersion, Item, ItemKind, Quota, QuotaPeriod
from convenio.units import AmountError, UnitRegistry, format_minor, parse_minor, to_minor

__all__ = [
    "DELIVERY_COLUMNS",
    "Delivery",
    "parse_deliveries_csv",
    "quota_problems",
    "quota_span",
    "read_deliveries_csv",
]

DELIVERY_COLUMNS: Final = (
    "delivery_id",
    "date",
    "supplier",
    "recipient",
    "kind",
    "item",
    "quantity",
    "unit",
    "price",
)
"""The header of a deliveries CSV file (in this order or any other)."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """`supplier` provided `recipient` `quantity` of `item` on `date`.

    `quantity` is an integer of the minor unit of `unit` (the item's unit). `price` is an
    explicit price per one `unit` in the currency the terms value the item in; None (the
    usual case) means the terms set it: the reference series for commodities, the rate
    card for services and goods. For a commodity, `date` is the date of the bill of
    lading (loading, FOB), which every pricing rule reads.
    """

    delivery_id: str
    date: date
    supplier: str
    recipient: str
    kind: ItemKind
    item: str
    quantity: int
    unit: str
    price: Decimal | None = None


def quota_span(per: QuotaPeriod, day: date) -> tuple[date, date]:
    """The calendar period (first day, last day) over which a quota of `per` is checked.

    A per-day quota (bpd) is checked over the calendar month, against its daily quantity
    times the month's days in force: cargoes arrive every few days, so a day-by-day check
    would refuse every tanker. Monthly, quarterly and yearly quotas are checked over the
    calendar month, quarter and year.
    """
    if per is QuotaPeriod.YEAR:
        return date(day.year, 1, 1), date(day.year, 12, 31)
    first_month = (day.month - 1) // 3 * 3 + 1 if per is QuotaPeriod.QUARTER else day.month
    months = 3 if per is QuotaPeriod.QUARTER else 1
    first = date(day.year, first_month, 1)
    index = day.year * 12 + first_month - 1 + months
    after = date(index // 12, index % 12 + 1, 1)
    return first, after - timedelta(days=1)


class _QuotaKey(NamedTuple):
    """A quota as a limit, whatever version states it (inherited quotas pool)."""

    supplier: str
    recipient: str
    item: str | None
    group: str | None
    quantity: Decimal
    unit: str
    per: QuotaPeriod

    @classmethod
    def of(cls, quota: Quota) -> _QuotaKey:
        return cls(
            quota.supplier,
            quota.recipient,
            quota.item,
            quota.group,
            quota.quantity,
            quota.unit,
            quota.per,
        )

    @property
    def what(self) -> str:
        return self.item if self.item is not None else f"group {self.group}"


class _Row(NamedTuple):
    line: int
    delivery: Delivery
    item: Item
    version: AgreementVersion


class _RowReader:
    """Checks of one row; collects its problems and remembers what it could read."""

    def __init__(self, agreement: Agreement, units: UnitRegistry, name: str, line: int) -> None:
        self.agreement = agreement
        self.units = units
        self.name = name
        self.line = line
        self.problems: list[Problem] = []

    def add(self, field: str, message: str) -> None:
        self.problems.append(Problem(message, self.name, self.line, field))

    def party(self, field: str, code: str) -> str | None:
        try:
            return self.agreement.party(code).code
        except InputError:
            self.add(field, f"unknown party {code!r}")
            return None

    def when(self, text: str) -> tuple[date, AgreementVersion] | tuple[None, None]:
        try:
            day = parse_date(text)
        except ValueError as error:
            self.add("date", str(error))
            return None, None
        try:
            return day, self.agreement.version_on(day)
        except InputError as error:
            self.add("date", error.problems[0].message if error.problems else str(error))
            return None, None

    def item(self, text: str) -> Item | None:
        try:
            return self.agreement.item(text)
        except InputError:
            self.add("item", f"unknown item {text!r}")
            return None

    def kind(self, text: str, item: Item | None) -> ItemKind | None:
        try:
            kind = ItemKind(text)
        except ValueError:
            choices = ", ".join(member.value for member in ItemKind)
            self.add("kind", f"{text!r} is not one of {choices}")
            return None
        if item is not None and item.kind != kind:
            self.add("kind", f"{item.id} is {item.kind.value}, not {kind.value}")
        return kind

    def quantity(self, text: str, unit: str, item: Item | None) -> int | None:
        if item is not None and unit != item.unit:
            self.add("unit", f"{item.id} is counted in {item.unit}, not {unit!r}")
        code = item.unit if item is not None else unit
        if code not in self.units:
            if item is None:
                self.add("unit", f"unknown unit {unit!r}")
            return None
        scale = self.units[code].scale
        try:
            quantity = parse_minor(text, scale)
        except AmountError as error:
            self.add("quantity", f"{error} ({code} allows {scale}); quantities are never rounded")
            return None
        if quantity <= 0:
            self.add("quantity", f"must be greater than 0, got {text.strip()}")
            return None
        return quantity

    def price(self, text: str) -> Decimal | None:
        if not text.strip():
            return None
        try:
            return parse_price(text)
        except ValueError as error:
            self.add("price", str(error))
            return None

    def flow(self, version: AgreementVersion, supplier: str, recipient: str, item: Item) -> None:
        if not version.flows:
            return
        for flow in version.flows:
            if (flow.supplier, flow.recipient) == (supplier, recipient) and item.id in flow.items:
                return
        self.add(
            "item",
            f"version {version.id} has no flow of {item.id} from {supplier} to {recipient}",
        )


def _read_row(
    agreement: Agreement, units: UnitRegistry, name: str, line: int, cells: dict[str, str]
) -> tuple[_Row | None, list[Problem]]:
    reader = _RowReader(agreement, units, name, line)
    delivery_id = cells["delivery_id"]
    if not delivery_id:
        reader.add("delivery_id", "the delivery id is empty")
    day, version = reader.when(cells["date"])
    supplier = reader.party("supplier", cells["supplier"])
    recipient = reader.party("recipient", cells["recipient"])
    if supplier is not None and supplier == recipient:
        reader.add("recipient", f"{supplier} cannot deliver to itself")
    item = reader.item(cells["item"])
    kind = reader.kind(cells["kind"], item)
    quantity = reader.quantity(cells["quantity"], cells["unit"], item)
    price = reader.price(cells["price"])
    if version is not None and supplier and recipient and item is not None:
        reader.flow(version, supplier, recipient, item)
    if reader.problems:
        return None, reader.problems
    assert day is not None and version is not None and supplier is not None
    assert recipient is not None and item is not None and kind is not None
    assert quantity is not None
    delivery = Delivery(
        delivery_id, day, supplier, recipient, kind, item.id, quantity, item.unit, price
    )
    return _Row(line, delivery, item, version), []


def _applies(quota: Quota, delivery: Delivery, item: Item) -> bool:
    return (
        quota.binding
        and (quota.supplier, quota.recipient) == (delivery.supplier, delivery.recipient)
        and (quota.item == item.id or (quota.group is not None and quota.group == item.group))
    )


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _allowance(agreement: Agreement, key: _QuotaKey, span: tuple[date, date], scale: int) -> int:
    """The quota over `span`, in minor units: per day, the quantity times the days of the
    span on which a version states this same quota; otherwise the quantity."""
    quantity = to_minor(key.quantity, scale)
    if key.per is not QuotaPeriod.DAY:
        return quantity
    days = 0
    for day in _days(*span):
        try:
            version = agreement.version_on(day)
        except InputError:
            continue
        if any(q.binding and _QuotaKey.of(q) == key for q in version.quotas):
            days += 1
    return quantity * days


def quota_problems(
    agreement: Agreement,
    new: Sequence[tuple[int | None, Delivery]],
    recorded: Iterable[Delivery] = (),
    name: str | None = None,
) -> list[Problem]:
    """A problem at the line where deliveries first exceed a binding quota in a period.

    `new` are the deliveries being loaded with their lines (None where there is no
    file), `recorded` those already stored: these count towards each quota first, so a
    quota is held across files. A recorded delivery loaded again (the same id) counts
    once. Each delivery's date must be one a version covers (the parser checks it).
    """
    totals: dict[tuple[_QuotaKey, date], int] = {}
    allowances: dict[tuple[_QuotaKey, date], int] = {}
    reported: set[tuple[_QuotaKey, date]] = set()
    units = agreement.unit_registry()
    again = {delivery.delivery_id for _, delivery in new}
    stored = [(False, None, d) for d in recorded if d.delivery_id not in again]
    problems: list[Problem] = []
    for loading, line, delivery in [*stored, *((True, line, d) for line, d in new)]:
        item = agreement.item(delivery.item)
        for quota in agreement.version_on(delivery.date).quotas:
            if not _applies(quota, delivery, item):
                continue
            key = _QuotaKey.of(quota)
            span = quota_span(quota.per, delivery.date)
            group = (key, span[0])
            totals[group] = totals.get(group, 0) + delivery.quantity
            scale = units[key.unit].scale
            if group not in allowances:
                allowances[group] = _allowance(agreement, key, span, scale)
            # Stored deliveries over a quota made binding since are not this load's doing.
            if totals[group] > allowances[group] and group not in reported and loading:
                reported.add(group)
                per = (
                    f"{key.quantity} {key.unit} a day over the days in force"
                    if key.per is QuotaPeriod.DAY
                    else f"{key.quantity} {key.unit} a {key.per.value}"
                )
                message = (
                    f"delivery {delivery.delivery_id}: deliveries of {key.what} from "
                    f"{key.supplier} to {key.recipient} from {span[0].isoformat()} to "
                    f"{span[1].isoformat()} reach {format_minor(totals[group], scale)} "
                    f"{key.unit}, over the binding quota of "
                    f"{format_minor(allowances[group], scale)} {key.unit} ({per})"
                )
                problems.append(Problem(message, name, line, "quantity"))
    return problems


def parse_deliveries_csv(
    stream: Iterable[str], name: str, agreement: Agreement
) -> tuple[list[Delivery], list[Problem]]:
    """`read_deliveries_csv` without the line numbers."""
    located, problems = read_deliveries_csv(stream, name, agreement)
    return [delivery for _, delivery in located], problems


def read_deliveries_csv(
    stream: Iterable[str], name: str, agreement: Agreement
) -> tuple[list[tuple[int, Delivery]], list[Problem]]:
    """Read a deliveries CSV and check it against `agreement`; every problem is located.

    Header: ``delivery_id,date,supplier,recipient,kind,item,quantity,unit,price`` (any
    order; `price` may be left empty). Each problem names `name`, the line (the header is
    line 1) and the field: an unknown party or item, a kind other than the item's, a unit
    other than the item's, more decimals than the unit allows (never rounded), a
    quantity not above 0, a bad price, a date no version covers (before the first, after
    the last one's end, or in a gap), an item that no flow of the version in force takes
    from the supplier to the recipient, a repeated delivery id, and deliveries over a
    binding quota (see `quota_span`; quotas that are not binding are ceilings stated for
    the record and not enforced).

    Returns the deliveries of every row without a problem of its own, with their lines,
    in file order, and all problems; a caller accepts the file only when there are none.
    Quotas are checked within the file; `quota_problems` checks them with what is stored.
    """
    reader = csv.reader(stream)
    header = next(reader, None)
    if header is None:
        expected = ",".join(DELIVERY_COLUMNS)
        return [], [Problem(f"the file is empty; expected the header {expected}", name, 1)]
    columns = [column.strip() for column in header]
    if sorted(columns) != sorted(DELIVERY_COLUMNS):
        missing = [column for column in DELIVERY_COLUMNS if column not in columns]
        unknown = [column for column in columns if column not in DELIVERY_COLUMNS]
        parts = [
            f"missing column(s) {', '.join(missing)}" if missing else "",
            f"unknown column(s) {', '.join(unknown)}" if unknown else "",
            "" if missing or unknown else "a column is repeated",
        ]
        detail = "; ".join(part for part in parts if part)
        return [], [Problem(f"bad header: {detail}", name, 1, "header")]
    units = agreement.unit_registry()
    problems: list[Problem] = []
    rows: list[_Row] = []
    first_line: dict[str, int] = {}
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(columns):
            message = f"expected {len(columns)} fields, found {len(cells)}"
            problems.append(Problem(message, name, line))
            continue
        values = {column: cell.strip() for column, cell in zip(columns, cells, strict=True)}
        delivery_id = values["delivery_id"]
        if delivery_id and delivery_id in first_line:
            message = f"delivery {delivery_id} is already on line {first_line[delivery_id]}"
            problems.append(Problem(message, name, line, "delivery_id"))
            continue
        if delivery_id:
            first_line[delivery_id] = line
        row, found = _read_row(agreement, units, name, line, values)
        problems.extend(found)
        if row is not None:
            rows.append(row)
    problems.extend(quota_problems(agreement, [(r.line, r.delivery) for r in rows], (), name))
    problems.sort(key=lambda problem: problem.line or 0)
    return [(row.line, row.delivery) for row in rows], problems
