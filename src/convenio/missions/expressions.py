"""Indicator expressions: DHIS2's formula syntax over data elements, evaluated exactly.

An indicator's numerator and denominator are expressions such as
``#{LIT_LITERATE_15P} + #{LIT_GRADUATED.F_15P}`` or ``(#{CONSULT} - #{REFERRED}) * 2``:
``#{element}`` is the element summed over its disaggregations, ``#{element.combo}`` one
category option combo of it, numbers are constants, and ``+ - * /`` (also ``×`` and
``÷``) and parentheses combine them with the usual precedence. Parsing happens when
metadata is loaded, so a bad formula is refused there with its position; evaluation is
`Decimal` arithmetic over the sums the analytics query returns (no float anywhere).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, DivisionByZero, InvalidOperation, localcontext
from typing import Final, NamedTuple

__all__ = [
    "Binary",
    "Constant",
    "Expression",
    "ExpressionError",
    "Item",
    "Negated",
    "evaluate",
    "items_of",
    "parse_expression",
]

PRECISION: Final = 50
"""Significant digits of intermediate results (far beyond any stored value)."""


class Item(NamedTuple):
    """An operand: an element, optionally one category option combo of it (None: all)."""

    element: str
    combo: str | None = None

    def __str__(self) -> str:
        return f"#{{{self.element}}}" if self.combo is None else f"#{{{self.element}.{self.combo}}}"


@dataclass(frozen=True)
class Constant:
    value: Decimal

    def __str__(self) -> str:
        return str(self.value)


@dataclass(frozen=True)
class Negated:
    operand: Expression

    def __str__(self) -> str:
        return f"-{self.operand}"


@dataclass(frozen=True)
class Binary:
    op: str  # one of + - * /
    left: Expression
    right: Expression

    def __str__(self) -> str:
        return f"({self.left} {self.op} {self.right})"


Expression = Item | Constant | Negated | Binary


class ExpressionError(ValueError):
    """A formula that does not parse; `position` is the 0-based offset of the trouble."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at character {position + 1})")
        self.position = position


_UID: Final = r"[A-Za-z0-9_\-]+"
_TOKEN: Final = re.compile(
    rf"\s*(?:(?P<item>#\{{(?P<el>{_UID})(?:\.(?P<coc>{_UID}))?\}})"
    r"|(?P<num>\d+(?:\.\d+)?|\.\d+)"
    r"|(?P<op>[-+*/×÷()]))"
)
_OPS: Final = {"×": "*", "÷": "/"}


class _Token(NamedTuple):
    kind: str  # item, num, op, end
    text: str
    position: int
    item: Item | None = None


def _tokens(text: str) -> Iterator[_Token]:
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None:
            start = len(text) - len(text[position:].lstrip())
            snippet = text[start : start + 12]
            raise ExpressionError(f"unexpected {snippet!r}", start)
        start = match.start(match.lastgroup or 0)
        if match.group("item"):
            item = Item(match.group("el"), match.group("coc"))
            yield _Token("item", match.group("item"), start, item)
        elif match.group("num"):
            yield _Token("num", match.group("num"), start)
        else:
            op = match.group("op")
            yield _Token("op", _OPS.get(op, op), start)
        position = match.end()
    yield _Token("end", "", len(text))


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = list(_tokens(text))
        self.index = 0

    @property
    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expression(self) -> Expression:
        left = self.term()
        while self.peek.kind == "op" and self.peek.text in "+-":
            op = self.take().text
            left = Binary(op, left, self.term())
        return left

    def term(self) -> Expression:
        left = self.factor()
        while self.peek.kind == "op" and self.peek.text in "*/":
            op = self.take().text
            left = Binary(op, left, self.factor())
        return left

    def factor(self) -> Expression:
        token = self.take()
        if token.kind == "op" and token.text in "+-":
            operand = self.factor()
            return Negated(operand) if token.text == "-" else operand
        if token.kind == "num":
            return Constant(Decimal(token.text))
        if token.kind == "item":
            assert token.item is not None
            return token.item
        if token.kind == "op" and token.text == "(":
            inner = self.expression()
            closing = self.take()
            if closing.text != ")":
                raise ExpressionError("missing ')'", closing.position)
            return inner
        what = "end of formula" if token.kind == "end" else repr(token.text)
        raise ExpressionError(
            f"expected a number, #{{element}} or '(' but found {what}", token.position
        )


def parse_expression(text: str) -> Expression:
    """The expression tree of `text`; raises `ExpressionError` with the position if bad."""
    if not text.strip():
        raise ExpressionError("empty formula", 0)
    parser = _Parser(text)
    tree = parser.expression()
    rest = parser.peek
    if rest.kind != "end":
        raise ExpressionError(f"unexpected {rest.text!r}", rest.position)
    return tree


def items_of(expression: Expression) -> frozenset[Item]:
    """Every element operand the expression reads."""
    if isinstance(expression, Item):
        return frozenset({expression})
    if isinstance(expression, Constant):
        return frozenset()
    if isinstance(expression, Negated):
        return items_of(expression.operand)
    return items_of(expression.left) | items_of(expression.right)


def _eval(expression: Expression, values: Mapping[Item, Decimal]) -> Decimal:
    if isinstance(expression, Item):
        return values.get(expression, Decimal(0))
    if isinstance(expression, Constant):
        return expression.value
    if isinstance(expression, Negated):
        return -_eval(expression.operand, values)
    left, right = _eval(expression.left, values), _eval(expression.right, values)
    if expression.op == "+":
        return left + right
    if expression.op == "-":
        return left - right
    if expression.op == "*":
        return left * right
    return left / right


def evaluate(expression: Expression, values: Mapping[Item, Decimal]) -> Decimal | None:
    """The value of `expression` with each item read from `values` (missing: zero).

    None when a division by zero occurs. Arithmetic is `Decimal` with `PRECISION`
    significant digits, so sums and products of stored values are exact.
    """
    with localcontext() as ctx:
        ctx.prec = PRECISION
        ctx.traps[DivisionByZero] = True
        ctx.traps[InvalidOperation] = True
        try:
            return +_eval(expression, values)
        except (DivisionByZero, InvalidOperation):
            return None
