"""Amendments as differences: resolve versions that inherit from an earlier version.

An amendment states only what changes (`inherits: previous`, or the id of an earlier
version). Before validation, each such version is overlaid on the resolved version it
names: mappings merge key by key, anything else (a list, a number, null) replaces what
was inherited. A version's own identity (id, name, dates, note, source) is never
inherited. Alongside the merged data comes a `Provenance` per version, which maps a
path in the resolved version back to the place in the file that wrote it, so that an
error in an inherited band is reported at the line of the version that stated it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from convenio.terms.values import Loc

__all__ = ["PREVIOUS", "Provenance", "Resolution", "resolve_versions"]

PREVIOUS: Final = "previous"
"""The value of `inherits` that names the version listed just before."""

NOT_INHERITED: Final = frozenset({"id", "name", "effective", "ends", "inherits", "note", "source"})
"""Keys of a version that describe the version itself and are never inherited."""

EXCLUSIVE: Final = (
    frozenset({"term_years", "term_months"}),
    frozenset({"above", "at_or_above"}),
    frozenset({"item", "group"}),
)
"""Keys of which a mapping holds one: stating one in an amendment drops the inherited other."""


@dataclass
class Provenance:
    """Where each part of one resolved version was written: resolved path -> file path."""

    origins: dict[Loc, Loc] = field(default_factory=dict)

    def source_of(self, loc: Loc) -> Loc:
        """The file path (from the document root) that wrote resolved path `loc`."""
        for cut in range(len(loc), -1, -1):
            origin = self.origins.get(loc[:cut])
            if origin is not None:
                return origin + loc[cut:]
        return loc  # pragma: no cover - the root () is always recorded


@dataclass(frozen=True)
class Resolution:
    """Resolved versions (plain data), their provenance, and the inheritance problems."""

    versions: list[Any]
    provenance: list[Provenance]
    findings: list[tuple[Loc, str]]


def resolve_versions(versions: Sequence[Any]) -> Resolution:
    """Resolve every version that inherits; others (and anything not a mapping) pass as given.

    A version may inherit only from one listed before it, so there are no cycles.
    """
    resolved: list[Any] = []
    provenance: list[Provenance] = []
    findings: list[tuple[Loc, str]] = []
    for index, raw in enumerate(versions):
        here: Loc = ("versions", index)
        own = Provenance({(): here})
        parent = _parent(versions, index, findings)
        if parent is None or not isinstance(resolved[parent], Mapping):
            resolved.append(raw)
            provenance.append(own)
            continue
        base = {k: v for k, v in resolved[parent].items() if k not in NOT_INHERITED}
        merged = _overlay(base, provenance[parent], raw, here, (), own)
        parent_id = resolved[parent].get("id")
        merged["inherits"] = parent_id if isinstance(parent_id, str) else raw["inherits"]
        resolved.append(merged)
        provenance.append(own)
    return Resolution(resolved, provenance, findings)


def _parent(versions: Sequence[Any], index: int, findings: list[tuple[Loc, str]]) -> int | None:
    """The index of the version that version `index` inherits from, or None."""
    raw = versions[index]
    if not isinstance(raw, Mapping) or raw.get("inherits") is None:
        return None
    ref = raw["inherits"]
    loc: Loc = ("versions", index, "inherits")
    if ref == PREVIOUS:
        if index == 0:
            findings.append((loc, "the first version has no previous version to inherit from"))
            return None
        return index - 1
    ids = [v.get("id") if isinstance(v, Mapping) else None for v in versions]
    if ref in ids[:index]:
        return ids.index(ref)
    if ref in ids[index:]:
        message = f"inherits {ref!r}, which is not listed before it; inherit only from earlier"
    else:
        message = f"inherits {ref!r}, but no version has that id (or write 'previous')"
    findings.append((loc, message))
    return None


def _overlay(
    base: Mapping[str, Any],
    base_origin: Provenance,
    over: Mapping[str, Any],
    over_at: Loc,
    rel: Loc,
    origin: Provenance,
) -> dict[str, Any]:
    """`over` (written at file path `over_at`) merged onto `base` (resolved path `rel`)."""
    origin.origins[rel] = over_at
    dropped = {k for group in EXCLUSIVE if group & over.keys() for k in group - over.keys()}
    merged: dict[str, Any] = {}
    for key, value in base.items():
        if key not in over and key not in dropped:
            merged[key] = value
            _copy_origins(base_origin, (*rel, key), origin)
    for key, value in over.items():
        below = (*rel, key)
        if isinstance(value, Mapping) and isinstance(base.get(key), Mapping):
            merged[key] = _overlay(base[key], base_origin, value, (*over_at, key), below, origin)
        else:
            merged[key] = value
            origin.origins[below] = (*over_at, key)
    return merged


def _copy_origins(source: Provenance, rel: Loc, target: Provenance) -> None:
    """Record that everything under resolved path `rel` comes from where `source` says."""
    target.origins[rel] = source.source_of(rel)
    for loc, at in source.origins.items():
        if len(loc) > len(rel) and loc[: len(rel)] == rel:
            target.origins[loc] = at
