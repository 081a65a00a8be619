"""`convenio terms show`: the stored terms' versions, or one version's pricing, financing
bands, loan terms, rate cards and settlement rules — exact values, rates as % for people
and as exact fractions in JSON (the convention of `convenio.cli.render`)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import typer

from convenio.cli.common import console, guard, open_store, print_json
from convenio.cli.discover import NO_TERMS, JsonFlag
from convenio.cli.render import (
    Cell,
    Column,
    Listing,
    Rate,
    emit,
    format_rate,
    json_value,
    output_format,
    print_fields,
    print_listing,
)

if TYPE_CHECKING:
    from convenio.terms import Agreement, AgreementVersion, LoanTerms

__all__ = ["terms_show"]


def terms_show(
    version: Annotated[
        str | None,
        typer.Option(
            "--version", help="Show this version: bands, loan terms, rate cards, settlement"
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """The versions of the stored terms (id, name, effective date, source), or one
    version's pricing, financing bands, loan terms, rate cards and settlement rules,
    with exact values and rates as %."""
    from convenio.services import catalog

    with guard(), open_store().unit_of_work() as uow:
        agreement = catalog.stored_agreement(uow)
        found = None if version is None else catalog.terms_version(uow, version)
        rows = catalog.terms_versions(uow)
    if agreement is None or found is None:
        columns = [Column("id"), Column("name", wrap=True), Column("effective"),
                   Column("ends", people=any(r.ends for r in rows)), Column("inherits"),
                   Column("source", wrap=True)]  # fmt: skip
        title = "" if agreement is None else f"{agreement.agreement.id}: {len(rows)} version(s)"
        listing = Listing(title, columns, [list(r) for r in rows], empty=NO_TERMS)
        emit(listing, output_format(as_json, False))
        return
    if as_json:
        print_json(_version_json(agreement, found))
    else:
        _print_version(agreement, found)


def _loan_cells(loan: LoanTerms) -> list[Cell]:
    return [
        loan.months, loan.grace_months, Rate(loan.rate), loan.method.value,
        loan.frequency.value, loan.day_count.value, loan.grace_interest.value,
    ]  # fmt: skip


_LOAN_COLUMNS = [
    Column("applies"), Column("months", "term (months)"), Column("grace_months", "grace (months)"),
    Column("rate"), Column("method"), Column("frequency"), Column("day_count", "day count"),
    Column("grace_interest", "grace interest"),
]  # fmt: skip


def _print_version(agreement: Agreement, v: AgreementVersion) -> None:
    price_unit = agreement.price_unit(v)
    header: dict[str, Cell] = {
        "id": v.id, "name": v.name, "effective": v.effective, "ends": v.ends,
        "inherits": v.inherits, "source": " ".join(v.source.split()),
    }  # fmt: skip
    if v.pricing is not None:
        floor = v.pricing.floor
        header["pricing"] = f"{v.pricing.rule.value} of {v.pricing.reference_series}" + (
            f", floor {floor.price} {floor.currency}/{floor.per}" if floor else ""
        )
    if v.financing is not None:
        short = v.financing.short_term
        header["short term"] = f"due {short.days} days after the invoice"
        late = short.late_interest
        if late is not None:
            header["late interest"] = (
                f"{format_rate(late.rate)} a year after "
                f"{late.after_days} days ({late.day_count.value})"
            )
    print_fields(f"Version {v.id} of {agreement.agreement.id}", header, console)
    if v.financing is not None:
        bands = Listing(
            f"Financing bands (reference price in {price_unit}; below the first, nothing "
            "is financed)",
            [Column("at_or_above", "at or above"), Column("share", "financed"),
             Column("own_loan", "own loan terms")],
            [[b.at_or_above, Rate(b.share), b.loan is not None] for b in v.financing.bands],
            empty="no bands: nothing is financed",
        )  # fmt: skip
        console.print()
        print_listing(bands, console)
        loans = Listing("Loan terms", _LOAN_COLUMNS,
                        [[applies, *_loan_cells(loan)] for applies, loan in v.loans()])  # fmt: skip
        console.print()
        print_listing(loans, console)
    cards = Listing(
        "Rate cards",
        [Column("item"), Column("price"), Column("currency"), Column("per")],
        [[c.item, c.price, c.currency, c.per] for c in v.rate_cards],
        empty="no rate cards: services and goods are not valued in this version",
    )
    console.print()
    print_listing(cards, console)
    console.print()
    s = v.settlement
    if s is None:
        console.print("Settlement: none in this version", highlight=False)
        return
    print_fields(
        "Settlement",
        {
            "period": s.period.value,
            "parties": ", ".join(s.parties) or "the parties of the flows",
            "services may pay": ", ".join(k.value for k in s.services_may_pay) or "nothing",
            "allocation order": ", ".join(step.value for step in s.allocation_order),
            "cash currency": s.cash_currency,
            "overpayment": s.overpayment.value,
        },
        console,
    )


def _loan_json(applies: str, loan: LoanTerms) -> dict[str, Any]:
    keys = [c.key for c in _LOAN_COLUMNS]
    return {k: json_value(c) for k, c in zip(keys, [applies, *_loan_cells(loan)], strict=True)}


def _version_json(agreement: Agreement, v: AgreementVersion) -> dict[str, Any]:
    """One version as JSON: decimals and rates (fractions) as exact strings."""

    def exact(value: Decimal | None) -> str | int | bool | None:
        return None if value is None else json_value(value)

    result: dict[str, Any] = {
        "agreement": agreement.agreement.id, "id": v.id, "name": v.name,
        "effective": v.effective.isoformat(), "ends": v.ends and v.ends.isoformat(),
        "inherits": v.inherits, "source": " ".join(v.source.split()), "pricing": None,
        "short_term": None, "bands": [], "loans": [], "rate_cards": [], "settlement": None,
    }  # fmt: skip
    if v.pricing is not None:
        floor = v.pricing.floor
        result["pricing"] = {
            "reference_series": v.pricing.reference_series,
            "price_unit": agreement.price_unit(v),
            "rule": v.pricing.rule.value,
            "floor": None if floor is None else {
                "price": exact(floor.price), "currency": floor.currency, "per": floor.per
            },
        }  # fmt: skip
    if v.financing is not None:
        short, late = v.financing.short_term, v.financing.short_term.late_interest
        result["short_term"] = {
            "days": short.days,
            "late_interest": None if late is None else {
                "rate": json_value(Rate(late.rate)), "after_days": late.after_days,
                "day_count": late.day_count.value,
            },
        }  # fmt: skip
        result["bands"] = [
            {"at_or_above": exact(b.at_or_above), "share": json_value(Rate(b.share)),
             "own_loan": b.loan is not None}
            for b in v.financing.bands
        ]  # fmt: skip
        result["loans"] = [_loan_json(applies, loan) for applies, loan in v.loans()]
    result["rate_cards"] = [
        {"item": c.item, "price": exact(c.price), "currency": c.currency, "per": c.per}
        for c in v.rate_cards
    ]
    if v.settlement is not None:
        s = v.settlement
        result["settlement"] = {
            "period": s.period.value, "parties": list(s.parties),
            "services_may_pay": [k.value for k in s.services_may_pay],
            "allocation_order": [step.value for step in s.allocation_order],
            "cash_currency": s.cash_currency, "overpayment": s.overpayment.value,
        }  # fmt: skip
    return result
