"""The translation catalogues: extract every label, update the Spanish catalogues, compile.

    python -m convenio.web.catalog           # extract, update es/*.po, compile es/*.mo
    python -m convenio.web.catalog --check   # exit 1 if a label is untranslated or stale
    python -m convenio.web.catalog --domain missions   # one page group's catalogue only

Labels are found with Babel's extractors in the page modules (``_()``, ``gettext``) and
in the templates (``{% trans %}``, ``_()``, through Jinja2's extractor). A page group
has a domain of its own — ``pages/<group>.py`` and ``templates/<group>/`` — so that
its catalogue (``locale/es/LC_MESSAGES/<group>.po``) changes with it alone; everything
else is the ``base`` domain. A translator edits the ``.po`` files (any PO editor), then
runs this module to compile them; the ``.mo`` files ship in the package.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_file
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

__all__ = ["domain_of", "main", "problems", "template_catalogues"]

WEB: Final = Path(__file__).parent
LOCALE: Final = WEB / "locale"
TRANSLATED: Final = ("es",)
_KEYWORDS: Final = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def domain_of(path: Path) -> str:
    """The domain of a source file: its page group, or ``base``."""
    relative = path.relative_to(WEB)
    if relative.parts[0] == "pages" and relative.stem != "__init__" and len(relative.parts) == 2:
        return relative.stem if relative.stem != "home" else "base"
    if relative.parts[0] == "templates" and len(relative.parts) > 2:
        return relative.parts[1]
    return "base"


def _sources() -> Iterator[tuple[Path, str]]:
    for path in sorted(WEB.rglob("*.py")):
        if path.name != "catalog.py":
            yield path, "python"
    for path in sorted((WEB / "templates").rglob("*.html")):
        yield path, "jinja2.ext:babel_extract"


def template_catalogues() -> dict[str, Catalog]:
    """Every label of the sources, by domain."""
    catalogues: dict[str, Catalog] = {}
    options = {"extensions": "jinja2.ext.i18n", "trimmed": "true"}
    for path, method in _sources():
        domain = domain_of(path)
        catalogue = catalogues.setdefault(domain, Catalog(domain=domain, project="convenio"))
        for line, message, comments, context in extract_from_file(
            method, str(path), keywords=_KEYWORDS, options=options
        ):
            where = [(str(path.relative_to(WEB)), line)]
            catalogue.add(message, None, where, auto_comments=comments, context=context)
    return {domain: found for domain, found in catalogues.items() if len(found)}


def _po_path(language: str, domain: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / f"{domain}.po"


def _updated(language: str, domain: str, template: Catalog) -> Catalog:
    path = _po_path(language, domain)
    if path.exists():
        with path.open("rb") as file:
            catalogue = read_po(file, locale=language, domain=domain)
    else:
        catalogue = Catalog(
            locale=language, domain=domain, project="convenio", copyright_holder="convenio"
        )
    created = catalogue.creation_date  # kept: a run that changes no label changes no file
    catalogue.update(template, no_fuzzy_matching=True)
    catalogue.creation_date = created
    return catalogue


def _po_bytes(catalogue: Catalog) -> bytes:
    out = io.BytesIO()
    write_po(out, catalogue, omit_header=False, ignore_obsolete=True, width=96, sort_output=True)
    return out.getvalue()


def _mo_bytes(catalogue: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalogue, use_fuzzy=False)
    return out.getvalue()


def _untranslated(catalogue: Catalog) -> list[str]:
    return [
        str(message.id)
        for message in catalogue
        if message.id and (message.fuzzy or not message.string or not all(message.string))
    ]


def _pair(message: Message) -> tuple[str, str]:
    """A message as (id, translation), plurals joined, whichever file it was read from
    (a .po gives tuples, a .mo lists)."""

    def text(value: object) -> str:
        return "\x00".join(value) if isinstance(value, list | tuple) else str(value)

    return text(message.id), text(message.string)


def _shipped(language: str, domain: str) -> Catalog | None:
    path = _po_path(language, domain)
    if not path.exists():
        return None
    with path.open("rb") as file:
        return read_po(file, locale=language, domain=domain)


def _disagreements(language: str, domains: list[str]) -> list[str]:
    """A label translated one way in one domain and another way in another: the pages
    would show whichever catalogue loads last."""
    seen: dict[str, tuple[str, str]] = {}
    found: list[str] = []
    for domain in domains:
        catalogue = _shipped(language, domain)
        for message in catalogue or ():
            if not message.id or not message.string:
                continue
            label, said = _pair(message)
            first = seen.setdefault(label, (domain, said))
            if first[1] != said:
                found.append(
                    f"{language}: {label!r} is {first[1]!r} in {first[0]}.po "
                    f"but {said!r} in {domain}.po"
                )
    return found


def problems() -> list[str]:
    """What is wrong with the shipped catalogues: a label without a Spanish translation,
    a catalogue that lacks a label of the sources, a ``.mo`` that is not its ``.po``."""
    found: list[str] = []
    for domain, template in template_catalogues().items():
        for language in TRANSLATED:
            path = _po_path(language, domain)
            name = path.relative_to(WEB)
            if not path.exists():
                found.append(f"{name}: missing (run python -m convenio.web.catalog)")
                continue
            with path.open("rb") as file:
                shipped = read_po(file, locale=language, domain=domain)
            missing = [str(m.id) for m in template if m.id and m.id not in shipped]
            found += [f"{name}: no entry for {m!r}" for m in missing]
            found += [f"{name}: untranslated {m!r}" for m in _untranslated(shipped)]
            compiled = path.with_suffix(".mo")
            if not compiled.exists():
                found.append(f"{compiled.relative_to(WEB)}: missing")
                continue
            with compiled.open("rb") as file:
                built = read_mo(file)
            pairs = {_pair(m) for m in shipped if m.id and m.string}
            got = {_pair(m) for m in built if m.id}
            if pairs != got:
                found.append(f"{compiled.relative_to(WEB)}: not compiled from its .po")
    for language in TRANSLATED:
        found += _disagreements(language, sorted(template_catalogues()))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m convenio.web.catalog", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report what is missing")
    parser.add_argument("--domain", help="update this domain only (a page group, or base)")
    args = parser.parse_args(argv)
    if args.check:
        found = problems()
        print("\n".join(found) or "the catalogues are complete")
        return 1 if found else 0
    for domain, template in template_catalogues().items():
        if args.domain not in (None, domain):
            continue
        for language in TRANSLATED:
            catalogue = _updated(language, domain, template)
            path = _po_path(language, domain)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(_po_bytes(catalogue))
            path.with_suffix(".mo").write_bytes(_mo_bytes(catalogue))
            left = _untranslated(catalogue)
            if left:
                print(f"{path.relative_to(WEB)}: {len(left)} to translate")
    return 0


if __name__ == "__main__":
    sys.exit(main())
