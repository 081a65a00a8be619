"""Numbers as Spanish-locale spreadsheets write them, to the plain text the parsers read.

A treasury's spreadsheet saved with the Spanish locale writes ``1.234.567,89``: a dot
groups thousands, a comma marks the decimals. `spanish_number` turns that into
``1234567.89`` and nothing else: the digits are kept as they are (no float, no
rounding), the thousands groups must be of three digits, and a text that is neither a
plain integer nor a well-grouped Spanish number is refused rather than guessed. Text
with letters in it (``n/a``, a DHIS2 text value) is not a number at all and is left
for the parser to judge.
"""

from __future__ import annotations

import re

__all__ = ["SpanishNumberError", "english_number", "format_spanish", "spanish_number"]

_PLAIN = re.compile(r"[+-]?\d+(?:,\d+)?")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?")
_NUMERIC_LOOKING = re.compile(r"[+-]?[\d.,\s]*\d[\d.,\s]*")
_ENGLISH_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")


class SpanishNumberError(ValueError):
    """A text that looks like a number but is not written the Spanish way."""


def spanish_number(text: str) -> str:
    """``1.234,56`` → ``1234.56``, ``1.234`` → ``1234``, ``-0,5`` → ``-0.5``.

    Empty text and text that does not look numeric come back unchanged (stripped);
    a numeric-looking text that is malformed (``1.23,4``, ``1,2,3``, ``1.5``) raises
    `SpanishNumberError` with a message that says how it should be written.
    """
    stripped = text.strip()
    if not stripped:
        return stripped
    if _PLAIN.fullmatch(stripped) or _GROUPED.fullmatch(stripped):
        return stripped.replace(".", "").replace(",", ".")
    if _NUMERIC_LOOKING.fullmatch(stripped):
        raise SpanishNumberError(
            f"{stripped!r} is not a number written the Spanish way (--locale es: "
            "thousands grouped by '.' in threes, decimals after ',', e.g. 1.234,56)"
        )
    return stripped


def english_number(text: str) -> str:
    """``1,234.56`` → ``1234.56`` (a form typed in English): thousands grouped by commas in
    threes are dropped; any other text is left as it is (stripped) for the parser to judge
    (``12,3,4`` stays, and is refused there)."""
    stripped = text.strip()
    return stripped.replace(",", "") if _ENGLISH_GROUPED.fullmatch(stripped) else stripped


def format_spanish(text: str) -> str:
    """The inverse, for tests and examples: ``-1234567.891`` → ``-1.234.567,891``."""
    sign = text[0] if text[:1] in ("+", "-") else ""
    whole, _, decimals = text[len(sign) :].partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return sign + ".".join(groups) + ("," + decimals if decimals else "")
