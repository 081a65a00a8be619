"""The example terms (examples/cuba-venezuela.yaml) load, resolve and answer lookups."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal
from pathlib import Path

import pydantic
import pytest
import yaml

import convenio.terms
from convenio.errors import InputError
from convenio.terms import (
    Agreement,
    ClaimKind,
    SettlementPeriod,
    TermsLookupError,
    TermsYamlLoader,
    load_terms,
)
from convenio.terms.values import FinancedParts

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cuba-venezuela.yaml"


@pytest.fixture(scope="module")
def terms() -> Agreement:
    return load_terms(EXAMPLE)


def test_public_api_is_explicit_and_importable() -> None:
    names = convenio.terms.__all__
    assert len(names) == len(set(names))
    for name in names:
        assert getattr(convenio.terms, name) is not None
    for entry in ("load_terms", "parse_terms", "Agreement", "FinancingTerms", "TermsLookupError"):
        assert entry in names


def test_example_loads_with_its_parties_and_versions(terms: Agreement) -> None:
    assert terms.agreement.id == "cuba-venezuela"
    assert terms.agreement.signed == date(2000, 10, 30)
    assert {p.code for p in terms.parties} == {"VEN", "VEN.PDVSA", "CUB", "CUB.BNC", "CUB.CUPET"}
    assert terms.party("CUB.BNC").parent == "CUB"
    assert terms.party("VEN.PDVSA").parent == "VEN"
    assert [v.effective for v in terms.versions] == sorted(v.effective for v in terms.versions)
    assert terms.origin == str(EXAMPLE)
    assert all(v.source for v in terms.versions), "every version cites its source facts"


def test_items_are_counted_in_the_units_of_the_facts(terms: Agreement) -> None:
    assert {i.id for i in terms.items_in_group("oil")} == {"crude", "diesel", "jet-fuel", "lpg"}
    assert all(i.unit == "bbl" for i in terms.items_in_group("oil"))
    for profession in ("doctor", "nurse", "teacher", "sports-trainer", "ophthalmologist"):
        assert terms.item(profession).unit == "person-month"
    assert terms.item("sugar").unit == "t"
    assert terms.unit_registry()["scholarship"].scale == 0


def test_acec_2000_terms(terms: Agreement) -> None:
    version = terms.version_on(date(2000, 11, 1))
    assert version.id == "acec-2000"
    financing = version.financing
    assert financing is not None
    assert financing.short_term.days == 90
    assert financing.financed_share(Decimal("14.99")) == 0
    assert financing.financed_share(Decimal(15)) == Decimal("0.05")
    assert financing.financed_share(Decimal("29.99")) == Decimal("0.20")
    assert financing.financed_share(Decimal(100)) == Decimal("0.25")
    loan = financing.loan_for(Decimal(30))
    assert (loan.months, loan.grace_months, loan.rate) == (15 * 12, 12, Decimal("0.02"))
    quota = version.quotas[0]
    assert (quota.group, quota.quantity, quota.unit, quota.per) == ("oil", 53000, "bbl", "day")
    assert version.rate_cards == (), "services became paid only on 12 Aug 2001"


def test_services_are_paid_from_the_2001_addendum(terms: Agreement) -> None:
    version = terms.version_on(date(2001, 8, 12))
    assert version.id == "addendum-2001-services"
    assert version.inherits == "acec-2000"
    card = version.rate_for("doctor")
    assert (card.currency, card.per) == ("USD", "person-month")
    with pytest.raises(TermsLookupError):
        version.rate_for("diplomat")


def test_every_rate_card_is_labelled_an_assumption(terms: Agreement) -> None:
    cards = [card for version in terms.versions for card in version.rate_cards]
    assert cards
    assert all("ASSUMPTION" in card.note for card in cards)
    text = EXAMPLE.read_text(encoding="utf-8")
    for price in {str(card.price) for card in cards}:
        lines = [line for line in text.splitlines() if f"price: {price}" in line]
        assert lines and all("# ASSUMPTION" in line for line in lines)


def test_alba_floor_and_two_years_of_grace(terms: Agreement) -> None:
    before = terms.version_on(date(2004, 12, 13))
    assert before.pricing is not None and before.pricing.floor is None
    alba = terms.version_on(date(2004, 12, 14))
    assert alba.id == "alba-2004"
    assert alba.pricing is not None and alba.pricing.floor is not None
    assert alba.pricing.floor.price == 27
    assert (alba.pricing.floor.currency, alba.pricing.floor.per) == ("USD", "bbl")
    assert alba.pricing.invoice_price(Decimal("20.50")) == 27
    assert alba.pricing.invoice_price(Decimal("33.22")) == Decimal("33.22")
    assert alba.financing is not None
    loan = alba.financing.loan
    assert (loan.term_years, loan.grace_months, loan.rate) == (15, 24, Decimal("0.02"))
    scholarships = [q for q in alba.quotas if q.item == "scholarship"]
    assert [(q.quantity, q.per) for q in scholarships] == [(2000, "year")]


def test_petrocaribe_2005_bands_and_loans_by_price(terms: Agreement) -> None:
    version = terms.version_on(date(2006, 1, 1))
    assert version.id == "petrocaribe-2005"
    financing = version.financing
    assert financing is not None
    assert financing.financed_share(Decimal(100)) == Decimal("0.50")
    assert financing.financed_share(Decimal(150)) == Decimal("0.50")
    assert financing.financed_share(Decimal("45.39")) == Decimal("0.30")
    at_40 = financing.loan_for(Decimal(40))
    above_40 = financing.loan_for(Decimal("40.01"))
    assert (at_40.term_years, at_40.grace_months, at_40.rate) == (17, 24, Decimal("0.02"))
    assert (above_40.term_years, above_40.grace_months, above_40.rate) == (25, 24, Decimal("0.01"))
    # The compensation nets every invoice at its quarter's end: no late interest (note).
    assert financing.short_term.late_interest is None
    assert version.pricing is not None and version.pricing.floor is not None, "floor inherited"
    assert version.settlement is not None
    assert version.settlement.period is SettlementPeriod.QUARTER
    assert version.settlement.services_may_pay == (ClaimKind.ANY,)
    assert version.settlement.parties == ("VEN.PDVSA", "CUB.BNC")
    assert version.settlement.financed_parts is FinancedParts.NETTED
    alba = terms.version("alba-2004").settlement
    assert alba is not None and alba.financed_parts is FinancedParts.LENT


def test_july_2008_amendment(terms: Agreement) -> None:
    version = terms.version_on(date(2008, 8, 1))
    assert version.id == "petrocaribe-2008"
    financing = version.financing
    assert financing is not None
    assert financing.financed_share(Decimal(100)) == Decimal("0.60")
    assert financing.financed_share(Decimal("149.99")) == Decimal("0.60")
    assert financing.financed_share(Decimal(150)) == Decimal("0.70")
    assert financing.financed_share(Decimal("86.49")) == Decimal("0.40")
    # Only the bands changed: the loans of 2005 carry over unchanged.
    previous = terms.version("petrocaribe-2005")
    assert previous.financing is not None
    assert financing.loan_by_price == previous.financing.loan_by_price
    assert financing.loan == previous.financing.loan
    assert version.settlement == previous.settlement


def test_no_version_in_force_names_the_date(terms: Agreement) -> None:
    with pytest.raises(TermsLookupError) as caught:
        terms.version_on(date(1999, 12, 31))
    assert isinstance(caught.value, InputError) and isinstance(caught.value, LookupError)
    (problem,) = caught.value.problems
    assert "1999-12-31" in problem.message
    assert problem.file == str(EXAMPLE)
    assert problem.field == "versions"


def test_lookups_of_unknown_ids_raise(terms: Agreement) -> None:
    for lookup, key in (
        (terms.party, "NOR"),
        (terms.item, "tea"),
        (terms.series, "brent"),
        (terms.version, "acec-1999"),
    ):
        with pytest.raises(TermsLookupError, match=key):
            lookup(key)


def test_models_are_frozen(terms: Agreement) -> None:
    version = terms.versions[0]
    with pytest.raises(pydantic.ValidationError):
        version.id = "other"  # type: ignore[misc]
    assert isinstance(version.flows, tuple)
    assert hash(version) == hash(terms.version(version.id))


def test_numbers_are_exact_decimals_never_floats(terms: Agreement) -> None:
    data = yaml.load(EXAMPLE.read_text(encoding="utf-8"), Loader=TermsYamlLoader)

    def walk(value: object) -> None:
        assert not isinstance(value, float)
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(data)
    assert isinstance(terms.version("acec-2000").rate_cards, tuple)
    card = terms.version("addendum-2001-services").rate_for("nurse")
    assert isinstance(card.price, Decimal)


def test_plain_data_resolves_inheritance_like_the_loader(terms: Agreement) -> None:
    data = yaml.load(EXAMPLE.read_text(encoding="utf-8"), Loader=TermsYamlLoader)
    from_data = Agreement.model_validate(data)
    assert from_data.versions == terms.versions
    assert from_data.model_dump() == terms.model_dump()


def test_the_format_reference_names_every_key_and_word() -> None:
    docs = (EXAMPLE.parents[1] / "docs" / "terms.md").read_text(encoding="utf-8")
    models = [getattr(convenio.terms, name) for name in convenio.terms.__all__]
    for model in models:
        if isinstance(model, type) and issubclass(model, pydantic.BaseModel):
            for name, info in model.model_fields.items():
                key = info.alias or name
                assert f"`{key}" in docs or f".{key}`" in docs, f"{model.__name__}.{key}"
        elif isinstance(model, type) and issubclass(model, enum.Enum):
            for member in model:
                assert f"`{member.value}`" in docs, f"{model.__name__} {member.value!r}"


def test_a_dump_reads_back_as_the_same_terms(terms: Agreement) -> None:
    assert Agreement.model_validate(terms.model_dump()).versions == terms.versions
    again = Agreement.model_validate_json(terms.model_dump_json(by_alias=True))
    assert again.versions == terms.versions
    assert again.model_dump() == terms.model_dump()
