"""Languages and formats of the web application: Spanish (the default) and English.

Labels are written in English in the templates and the page modules (``_("Overview")``)
and translated through gettext catalogues, one domain per page group
(``locale/es/LC_MESSAGES/<domain>.po``, compiled beside it as ``.mo``; `convenio.web.catalog`
extracts and compiles them). English is the source language and needs no catalogue.

Numbers, money and dates follow the reader's locale through Babel — es-VE writes
``1.234.567,89``, English ``1,234,567.89`` — from exact `Decimal` values: a figure keeps
every decimal it has (never fewer than its unit's two for money) and is never rounded
through a float. Money always shows its unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Final

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_compact_decimal, format_decimal, format_percent
from babel.support import NullTranslations, Translations

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "Formats",
    "choose_language",
    "mark",
    "translations",
]

LANGUAGES: Final[Mapping[str, str]] = {"es": "Español", "en": "English"}
"""The languages offered, each named in itself (the switcher's labels)."""
DEFAULT_LANGUAGE: Final = "es"
_LOCALE: Final[Mapping[str, str]] = {"es": "es_VE", "en": "en_US"}
LOCALE_DIR: Final = Path(__file__).parent / "locale"


@cache
def translations(language: str) -> NullTranslations:
    """Every domain's catalogue of `language`, merged (English: none, the source)."""
    merged: NullTranslations = NullTranslations()
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    for compiled in sorted(folder.glob("*.mo")):
        with compiled.open("rb") as file:
            catalogue = Translations(file, compiled.stem)
        if isinstance(merged, Translations):
            merged.merge(catalogue)
        else:
            merged = catalogue
    return merged


def mark(text: str) -> str:
    """Mark `text` for the catalogue where it is defined (``from convenio.web.i18n import
    mark as _``); it is translated where it is shown (``page.gettext(text)``, ``_(x)`` in
    a template)."""
    return text


def choose_language(asked: str | None, remembered: str | None) -> str:
    """The language of a page: the one asked for (``?lang=``), else the one remembered
    (the cookie the switcher sets), else Spanish — the browser's own preference does
    not switch it: the parties' working language is the default until a reader chooses."""
    for candidate in (asked, remembered):
        if candidate is not None and candidate in LANGUAGES:
            return candidate
    return DEFAULT_LANGUAGE


def _pattern(value: Decimal, least: int) -> str:
    places = max(least, -value.as_tuple().exponent if value.is_finite() else 0)  # type: ignore[operator]
    return "#,##0" + ("." + "0" * places if places else "")


@dataclass(frozen=True)
class Formats:
    """How numbers, money and dates read in one language."""

    language: str

    @property
    def locale(self) -> Locale:
        return Locale.parse(_LOCALE[self.language])

    def number(self, value: Decimal | int | str, places: int = 0) -> str:
        """`value` with the locale's grouping and decimal mark, keeping every decimal it
        has and at least `places`."""
        exact = Decimal(value)
        return format_decimal(
            exact, _pattern(exact, places), locale=self.locale, decimal_quantization=False
        )

    def money(self, value: Decimal | int | str, unit: str, places: int = 2) -> str:
        """An amount and its unit: ``1.234.567,89 USD`` (a no-break space between)."""
        return f"{self.number(value, places)}\u00a0{unit}"

    def quantity(self, value: Decimal | int | str, unit: str) -> str:
        """A quantity and its unit: ``53.000 bbl``, ``12,5 person-months``."""
        return f"{self.number(value)}\u00a0{unit}"

    def compact(self, value: Decimal | int | str) -> str:
        """A figure shortened for a chart's axis (es ``2418,9 M``, en ``2.4B``): for the
        eye only — tables beside the charts carry the exact figures."""
        return format_compact_decimal(Decimal(value), locale=self.locale, fraction_digits=1)

    def percent(self, value: Decimal | str, places: int = 1) -> str:
        """A ratio (0.25) as a percentage in the locale (``25,0 %``)."""
        pattern = "#,##0" + ("." + "0" * places if places else "") + "%"
        return format_percent(Decimal(value), pattern, locale=self.locale)

    def date(self, value: date | str, length: str = "medium") -> str:
        """A day in the locale (es: ``31 mar 2012``; en: ``Mar 31, 2012``)."""
        day = date.fromisoformat(value) if isinstance(value, str) else value
        return format_date(day, length, locale=self.locale)

    def moment(self, value: datetime | str) -> str:
        """A moment in the locale, in UTC as stored."""
        when = datetime.fromisoformat(value) if isinstance(value, str) else value
        return format_datetime(when, "medium", tzinfo=None, locale=self.locale) + " UTC"
