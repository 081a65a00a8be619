"""Bad terms files: every problem is an InputError Problem with the right line and field.

Each case edits a small valid document; the expected line is found in the edited text
(the line holding the bad value), never written down by hand.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from convenio.errors import InputError, Problem
from convenio.terms import Agreement, TermsYamlLoader, load_terms, parse_terms

BASE = """\
schema: convenio.terms/1
agreement: {id: demo, name: Demo agreement, signed: 2000-10-30}
parties:
  - {code: VEN, name: Venezuela, kind: state}
  - {code: VEN.PDVSA, name: PDVSA, kind: company, parent: VEN}
  - {code: CUB, name: Cuba, kind: state}
items:
  - {id: crude, kind: commodity, unit: bbl, name: crude oil, group: oil}
  - {id: doctor, kind: services, unit: person-month, name: physician}
price_series:
  - {id: basket, unit: USD, per: bbl}
versions:
  - id: first
    name: First
    effective: 2000-10-30
    flows:
      - {supplier: VEN.PDVSA, recipient: CUB, items: [crude]}
      - {supplier: CUB, recipient: VEN, items: [doctor]}
    quotas:
      - {supplier: VEN.PDVSA, recipient: CUB, group: oil, quantity: 53000, unit: bbl, per: day}
    pricing: {reference_series: basket, rule: month-average}
    financing:
      short_term: {days: 90}
      bands:
        - {at_or_above: 15, share: 5%}
        - {at_or_above: 20, share: 10%}
        - {at_or_above: 30, share: 25%}
      loan:
        term_years: 15
        grace_months: 12
        rate: 2%
        method: equal-principal
        frequency: quarterly
        day_count: 30E/360
        grace_interest: paid
    rate_cards:
      - {item: doctor, price: 8000.00, currency: USD, per: person-month}
    settlement:
      period: quarter
      services_may_pay: [any]
      allocation_order: [interest, oldest-due]
      cash_currency: USD
      overpayment: carry
  - id: second
    inherits: previous
    name: Second
    effective: 2005-06-29
    financing:
      bands:
        - {at_or_above: 15, share: 5%}
        - {at_or_above: 100, share: 50%}
"""


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} must occur once"
    return text.replace(old, new)


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the only line of `text` containing `needle`."""
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(lines) == 1, f"{needle!r} is on lines {lines}"
    return lines[0]


def problems(text: str) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        parse_terms(text, "terms.yaml")
    assert caught.value.problems
    assert all(p.file == "terms.yaml" for p in caught.value.problems)
    return list(caught.value.problems)


def only(text: str) -> Problem:
    (problem,) = problems(text)
    return problem


def test_the_base_document_is_valid() -> None:
    agreement = parse_terms(BASE, "terms.yaml")
    assert [v.id for v in agreement.versions] == ["first", "second"]
    second = agreement.versions[1].financing
    assert second is not None and second.loan.term_years == 15


def test_unsorted_bands() -> None:
    text = edit(BASE, "{at_or_above: 20, share: 10%}", "{at_or_above: 40, share: 10%}")
    problem = only(text)
    assert problem.field == "versions[0].financing.bands[2].at_or_above"
    assert problem.line == line_of(text, "at_or_above: 30")
    assert "ascend" in problem.message


def test_decreasing_shares() -> None:
    text = edit(BASE, "{at_or_above: 30, share: 25%}", "{at_or_above: 30, share: 7.5%}")
    problem = only(text)
    assert problem.field == "versions[0].financing.bands[2].share"
    assert problem.line == line_of(text, "share: 7.5%")


def test_share_over_100_percent() -> None:
    text = edit(BASE, "{at_or_above: 100, share: 50%}", "{at_or_above: 100, share: 150%}")
    problem = only(text)
    assert problem.field == "versions[1].financing.bands[1].share"
    assert problem.line == line_of(text, "150%")
    assert "150 %" in problem.message


def test_bare_number_share_hints_at_the_percent_sign() -> None:
    text = edit(BASE, "share: 50%", "share: 50")
    problem = only(text)
    assert problem.field == "versions[1].financing.bands[1].share"
    assert "50%" in problem.message


def test_overlapping_versions() -> None:
    text = edit(
        BASE, "    effective: 2000-10-30\n", "    effective: 2000-10-30\n    ends: 2005-06-29\n"
    )
    problem = only(text)
    assert problem.field == "versions[0].ends"
    assert problem.line == line_of(text, "ends: 2005-06-29")
    assert "overlap" in problem.message


def test_an_end_the_day_before_the_next_version_is_fine() -> None:
    text = edit(
        BASE, "    effective: 2000-10-30\n", "    effective: 2000-10-30\n    ends: 2005-06-28\n"
    )
    agreement = parse_terms(text, "terms.yaml")
    assert agreement.versions[0].ends is not None


def test_versions_out_of_order() -> None:
    text = edit(BASE, "effective: 2005-06-29", "effective: 1999-01-01")
    problem = only(text)
    assert problem.field == "versions[1].effective"
    assert problem.line == line_of(text, "effective: 1999-01-01")


@pytest.mark.parametrize(
    ("old", "new", "field", "needle"),
    [
        ("name: Demo agreement,", "name: Demo agreement, colour: red,", "agreement.colour", "red"),
        ("grace_months: 12\n", "grace_months: 12\n        grace_monhts: 3\n", None, "monhts"),
        (
            "    name: Second\n",
            "    name: Second\n    sources: x\n",
            "versions[1].sources",
            "sources",
        ),
    ],
)
def test_unknown_keys(old: str, new: str, field: str | None, needle: str) -> None:
    text = edit(BASE, old, new)
    problem = only(text)
    assert problem.line == line_of(text, needle)
    assert "unknown key" in problem.message
    if field is None:  # inherited by the second version, reported once where written
        assert problem.field == "versions[0].financing.loan.grace_monhts"
        assert "did you mean 'grace_months'" in problem.message
    else:
        assert problem.field == field


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("quantity: 53000,", "quantity: 53000.0001,", "versions[0].quotas[0].quantity"),
        ("price: 8000.00,", "price: 8000.005,", "versions[0].rate_cards[0].price"),
        ("at_or_above: 100,", "at_or_above: 99.999,", "versions[1].financing.bands[1].at_or_above"),
    ],
)
def test_more_decimals_than_the_unit_allows(old: str, new: str, field: str) -> None:
    text = edit(BASE, old, new)
    problem = only(text)
    assert problem.field == field
    assert problem.line == line_of(text, new)
    assert "never rounded" in problem.message


def test_trailing_zeros_within_the_scale_are_fine() -> None:
    text = edit(BASE, "quantity: 53000,", "quantity: 53000.000,")
    assert parse_terms(text, "terms.yaml").versions[0].quotas[0].quantity == 53000


@pytest.mark.parametrize(
    ("old", "new", "field", "what"),
    [
        (
            "recipient: CUB, items: [crude]",
            "recipient: CHN, items: [crude]",
            "versions[0].flows[0].recipient",
            "party",
        ),
        ("parent: VEN}", "parent: VEN.MINPPE}", "parties[1].parent", "parent party"),
        ("items: [doctor]", "items: [lawyer]", "versions[0].flows[1].items[0]", "item"),
        (
            "reference_series: basket",
            "reference_series: brent",
            "versions[0].pricing.reference_series",
            "price series",
        ),
        ("unit: person-month, name", "unit: person-year, name", "items[1].unit", "unit"),
    ],
)
def test_unknown_references(old: str, new: str, field: str, what: str) -> None:
    text = edit(BASE, old, new)
    found = problems(text)
    assert found[0].field == field
    assert found[0].line == line_of(text, new)
    assert f"unknown {what}" in found[0].message


def test_unknown_settlement_party() -> None:
    text = edit(
        BASE, "      period: quarter\n", "      period: quarter\n      parties: [VEN, CHN]\n"
    )
    problem = only(text)
    assert problem.field == "versions[0].settlement.parties[1]"
    assert problem.line == line_of(text, "[VEN, CHN]")


def test_interest_rate_within_0_and_100_percent() -> None:
    text = edit(BASE, "rate: 2%", "rate: 150%")
    problem = only(text)
    assert problem.field == "versions[0].financing.loan.rate"
    assert problem.line == line_of(text, "rate: 150%")


def test_grace_shorter_than_the_term() -> None:
    text = edit(BASE, "grace_months: 12", "grace_months: 180")
    problem = only(text)
    assert problem.field == "versions[0].financing.loan.grace_months"
    assert problem.line == line_of(text, "grace_months: 180")
    assert "shorter" in problem.message


def test_duplicate_ids() -> None:
    text = edit(BASE, "  - id: second\n", "  - id: first\n")
    problem = only(text)
    assert problem.field == "versions[1].id"
    assert problem.line == line_of(text, "name: Second") - 2


def test_a_unit_conflicting_with_a_builtin_scale() -> None:
    text = edit(BASE, "items:\n", "units:\n  - {code: USD, scale: 3, kind: currency}\nitems:\n")
    problem = only(text)
    assert problem.field == "units[0].scale"
    assert problem.line == line_of(text, "scale: 3")


def test_inheriting_from_an_unknown_version() -> None:
    text = edit(BASE, "inherits: previous", "inherits: zeroth")
    found = problems(text)
    assert found[0].field == "versions[1].inherits"
    assert found[0].line == line_of(text, "inherits: zeroth")


def test_yaml_syntax_error() -> None:
    text = edit(BASE, "items: [doctor]}", "items: [doctor}")
    problem = only(text)
    assert problem.message.startswith("YAML syntax")
    assert problem.line == line_of(text, "[doctor}")


def test_keys_written_twice() -> None:
    text = edit(BASE, "    name: Second\n", "    name: Second\n    name: Again\n")
    problem = only(text)
    assert problem.field == "versions[1].name"
    assert problem.line == line_of(text, "name: Again")
    assert f"line {line_of(text, 'name: Second')}" in problem.message


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", "0x1F", "017", "1:30"])
def test_numbers_that_are_not_plain_decimals(value: str) -> None:
    text = edit(BASE, "quantity: 53000,", f"quantity: {value},")
    problem = only(text)
    assert problem.line == line_of(text, f"quantity: {value},")


def test_many_problems_are_reported_together_in_line_order() -> None:
    text = edit(BASE, "name: Demo agreement,", "name: Demo agreement, colour: red,")
    text = edit(text, "{at_or_above: 20, share: 10%}", "{at_or_above: 40, share: 10%}")
    text = edit(text, "{at_or_above: 30, share: 25%}", "{at_or_above: 30, share: 250%}")
    text = edit(text, "grace_months: 12", "grace_months: twelve")
    text = edit(text, "share: 50%}", "share: -1%}")
    found = problems(text)
    got = {(p.field, p.line) for p in found}
    assert got == {
        ("agreement.colour", line_of(text, "colour")),
        ("versions[0].financing.bands[2].at_or_above", line_of(text, "share: 250%")),
        ("versions[0].financing.bands[2].share", line_of(text, "share: 250%")),
        ("versions[0].financing.loan.grace_months", line_of(text, "twelve")),
        ("versions[1].financing.bands[1].share", line_of(text, "-1%")),
    }
    assert [p.line for p in found] == sorted(p.line or 0 for p in found)


def test_reference_problems_are_reported_together() -> None:
    text = edit(BASE, "recipient: CUB, items: [crude]", "recipient: CHN, items: [crude]")
    text = edit(text, "price: 8000.00,", "price: 8000.001,")
    text = edit(
        text, "    effective: 2000-10-30\n", "    effective: 2000-10-30\n    ends: 2010-01-01\n"
    )
    fields = {p.field for p in problems(text)}
    assert {
        "versions[0].flows[0].recipient",
        "versions[0].rate_cards[0].price",
        "versions[0].ends",
    } <= fields


def test_an_error_in_an_inherited_part_is_reported_once_where_it_is_written() -> None:
    text = edit(BASE, "day_count: 30E/360", "day_count: 31/360")
    problem = only(text)
    assert problem.field == "versions[0].financing.loan.day_count"
    assert problem.line == line_of(text, "31/360")


def test_load_terms_names_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    with pytest.raises(InputError) as caught:
        load_terms(missing)
    assert caught.value.problems[0].file == str(missing)


def test_load_terms_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "terms.yaml"
    path.write_text(BASE, encoding="utf-8")
    assert load_terms(path).origin == str(path)
    path.write_text(edit(BASE, "rate: 2%", "rate: 200%"), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_terms(path)
    assert caught.value.problems[0].file == str(path)


def test_the_loader_reads_decimals_and_only_true_false_as_booleans() -> None:
    data = yaml.load("a: 0.02\nb: no\nc: true\nd: 1_000\ne: 2000-10-30\n", Loader=TermsYamlLoader)
    assert data["a"] == Decimal("0.02") and isinstance(data["a"], Decimal)
    assert data["b"] == "no"
    assert data["c"] is True
    assert data["d"] == 1000
    assert not isinstance(yaml.safe_load("a: 0.02")["a"], Decimal), "SafeLoader is untouched"


def test_agreement_from_plain_data_raises_with_paths() -> None:
    data = yaml.load(
        edit(BASE, "recipient: CUB, items: [crude]", "recipient: CHN, items: [crude]"),
        Loader=TermsYamlLoader,
    )
    with pytest.raises(ValueError, match="unknown party") as caught:
        Agreement.model_validate(data)
    assert "versions.0.flows.0.recipient" in str(caught.value)
