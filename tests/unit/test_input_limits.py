"""Inputs that used to escape the parsers as tracebacks (or stall them) are located problems.

Each case is the reproduction of an escape found by fuzzing (issue 8): an amount of more
digits than Python converts to `int`, JSON and YAML nested past the recursion limit, a
YAML timestamp that is not a date, and a YAML alias bomb.
"""

from __future__ import annotations

import io
import json

import pytest
import yaml

from convenio.errors import InputError
from convenio.ledger.parse import parse_json
from convenio.missions import dhis2
from convenio.missions.metadata_file import parse_metadata
from convenio.safe_yaml import MAX_DEPTH, MAX_EXPANDED, expanded_size
from convenio.terms.loader import TermsYamlLoader, parse_terms
from convenio.units import AmountError, parse_minor, to_minor

HUGE = "1" * 4_301  # one digit beyond Python's int string-conversion limit


def journal(amount: str) -> io.StringIO:
    posting = '{"account": "VEN/cash", "amount": ' + amount + ', "unit": "USD"}'
    return io.StringIO(
        '[{"id": "t1", "date": "2020-01-01", "postings": [' + posting + ", " + posting + "]}]"
    )


def billion_laughs(levels: int = 9, width: int = 9) -> str:
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * width) + "]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("amount", [HUGE, f"{HUGE}.5", f'"{HUGE}"', f'"{HUGE}.00"', "1e5000"])
def test_a_json_amount_of_thousands_of_digits_is_a_located_problem(amount: str) -> None:
    located, problems = parse_json(journal(amount), "j.json", {"USD": 2})
    assert located == []
    (problem,) = problems  # a transaction stops at its first bad field
    assert problem.field == "[0].postings[0].amount" and "too large" in problem.message


def test_amounts_of_many_digits_are_refused_by_the_conversions_themselves() -> None:
    with pytest.raises(AmountError, match="4,301 digits"):
        parse_minor(HUGE, 2)
    with pytest.raises(AmountError, match="too large"):
        to_minor(10**100, 2)
    # Leading zeros are not digits of the amount; 100 digits are still an amount.
    assert parse_minor("0" * 5_000 + "12.5", 2) == 1250
    assert parse_minor("9" * 100, 0) == 10**100 - 1


def test_json_nested_past_the_recursion_limit_is_a_problem_in_both_json_loaders() -> None:
    deep = "[" * 2_000 + "]" * 2_000
    located, problems = parse_json(io.StringIO(deep), "j.json", {"USD": 2})
    assert located == [] and [p.message for p in problems] == ["not usable JSON: nested too deeply"]
    raws, problems = dhis2.parse_json('{"dataValues": ' + deep + "}", "v.json")
    assert raws == [] and [p.message for p in problems] == ["not usable JSON: nested too deeply"]


def test_dhis2_numbers_stay_text_whatever_their_length() -> None:
    raws, problems = dhis2.parse_json(json.dumps({"dataValues": [{"value": 0}]}).replace(
        "0}", HUGE + "}"), "v.json")  # fmt: skip
    assert problems == [] and raws[0].value == HUGE


@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * 2_000 + "]" * 2_000 + "\n",
        "".join("  " * i + "k:\n" for i in range(1_500)),
        "a: " + "{b: " * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1) + "\n",
    ],
)
def test_yaml_nested_too_deeply_is_refused_in_terms_and_metadata(text: str) -> None:
    with pytest.raises(InputError, match=f"nested more than {MAX_DEPTH} levels deep") as caught:
        parse_terms(text, "t.yaml")
    assert caught.value.problems[0].file == "t.yaml" and caught.value.problems[0].line
    document, problems = parse_metadata(text, "m.yaml")
    assert document is None and "nested more than" in problems[0].message


def test_nesting_up_to_the_bound_is_read() -> None:
    depth = MAX_DEPTH - 2  # the root mapping and the innermost scalar are levels too
    text = "a: " + "[" * depth + "1" + "]" * depth + "\n"
    data = TermsYamlLoader(text).get_single_data()["a"]
    for _ in range(depth - 1):
        data = data[0]
    assert data == [1]
    with pytest.raises(yaml.YAMLError, match="nested more than"):
        TermsYamlLoader(text.replace("[", "[[", 1).replace("]", "]]", 1)).get_single_data()


def test_a_timestamp_that_is_no_date_is_a_located_problem() -> None:
    text = "schema: 1\nagreement: x\nsigned: 2000-02-30\n"
    with pytest.raises(InputError) as caught:
        parse_terms(text, "t.yaml")
    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == ("t.yaml", 3)
    assert "2000-02-30" in problem.message and "day is out of range" in problem.message
    _, problems = parse_metadata("x: 2000-02-30\n", "m.yaml")
    assert problems[0].line == 1 and "2000-02-30" in problems[0].message


def test_a_yaml_integer_of_thousands_of_digits_is_a_located_problem() -> None:
    with pytest.raises(InputError, match="too many digits"):
        parse_terms(f"schema: {HUGE}\n", "t.yaml")
    _, problems = parse_metadata(f"x: {HUGE}\n", "m.yaml")
    assert "too many digits" in problems[0].message


def test_an_alias_bomb_is_refused_before_any_walk() -> None:
    bomb = billion_laughs()  # a walk of its expanded tree would visit over 9**9 nodes
    with pytest.raises(InputError, match="aliases expand the document beyond"):
        parse_terms(bomb, "t.yaml")
    document, problems = parse_metadata(bomb, "m.yaml")
    assert document is None and "aliases expand" in problems[0].message


@pytest.mark.parametrize("text", ["a: &x [1, *x]\n", "a: &x {k: *x}\n", "a: &x [[[*x]]]\n"])
def test_an_alias_into_its_own_anchor_is_refused_not_walked_forever(text: str) -> None:
    with pytest.raises(InputError, match="aliases expand the document beyond"):
        parse_terms(text, "t.yaml")
    document, problems = parse_metadata(text, "m.yaml")
    assert document is None and "aliases expand" in problems[0].message


def test_expanded_size_counts_every_alias_followed_without_walking_them() -> None:
    loader = TermsYamlLoader(billion_laughs(levels=3, width=3))
    loader._aliases = False  # read the tree without the bound to measure it
    root = loader.get_single_node()
    # a0 holds 1 + 3 scalars; a(i) holds 1 + 3 × a(i-1); plus the keys and the root.
    sizes = [4]
    for _ in range(3):
        sizes.append(1 + 3 * sizes[-1])
    assert expanded_size(root) == 1 + sum(1 + s for s in sizes)


def test_a_few_aliases_are_still_allowed() -> None:
    data = TermsYamlLoader("x: &a [1, 2]\ny: *a\n").get_single_data()
    assert data == {"x": [1, 2], "y": [1, 2]}
    assert MAX_EXPANDED > 1_000
