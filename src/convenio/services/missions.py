"""Missions use cases on the metadata side: load org units, load metadata, reopen a
locked period; and keeping the DuckDB analytics mirror in step with the store.

Each load is all-or-nothing and idempotent: the same file again changes nothing. An org
units file loaded with changes (a clinic moved to another parish) records new versions
from the day the changes take effect, so earlier data keeps rolling up where it was
reported. Metadata that values already depend on — an element's value type or
disaggregation, an option combo in use — cannot be changed under them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from convenio.auth import Principal
from convenio.errors import AccessError, ConflictError, InputError, Problem
from convenio.files import PLAIN, FileOptions, Source, Tell, open_table, read_text
from convenio.missions import (
    Catalog,
    Hierarchy,
    MetadataDocument,
    OrgUnitRow,
    apply_rows,
    check_catalog,
    merge_metadata,
    parse_metadata,
    parse_orgunits_csv,
)
from convenio.periods import parse_period
from convenio.services.mirror_sync import rebuild_copy
from convenio.store import UnitOfWork
from convenio.store.analytics_mirror import MirrorWriter
from convenio.store.missions_tables import org_units

__all__ = [
    "MAX_PROBLEMS",
    "MetadataResult",
    "OrgUnitsResult",
    "commit_with_mirror",
    "ensure_mirror",
    "load_metadata",
    "load_metadata_document",
    "load_org_unit_rows",
    "load_org_units",
    "refuse",
    "reopen_period",
    "require_reach",
    "scope_of",
]

MAX_PROBLEMS = 100
"""Problems a bulk import reads back from DuckDB and lists; the rest are counted."""


@dataclass(frozen=True)
class OrgUnitsResult:
    added: int
    changed: int
    total: int


@dataclass(frozen=True)
class MetadataResult:
    """How many objects of each kind the file named (added or replaced), and whether the
    catalog changed (False: everything was stored as named already; nothing written)."""

    counts: dict[str, int]
    changed: bool = True


def refuse(problems: Sequence[Problem], what: str) -> InputError:
    """One `InputError` carrying all the problems (the CLI lists the first ones and
    writes all of them to --errors-file)."""
    return InputError.from_problems(problems, what=what)


def require_reach(
    actor: Principal, hierarchy: Hierarchy, located: Iterable[tuple[str, Problem]]
) -> None:
    """`AccessError` listing every (org unit, where) outside the actor's subtree (a
    coordinator's); units the hierarchy does not know are left to the input checks."""
    refused = [
        where._replace(
            message=f"{where.message}: " * bool(where.message)
            + f"{actor.name} may not act at {unit} (outside {actor.org_unit})"
        )
        for unit, where in located
        if unit in hierarchy and not actor.may_reach(hierarchy.ancestors(unit))
    ]
    if refused:
        raise AccessError.from_problems(refused, "out of scope")


def scope_of(actor: Principal, hierarchy: Hierarchy) -> frozenset[str] | None:
    """The org units the actor reads (its subtree), or None: every one."""
    if actor.org_unit is None or actor.may_reach(()):
        return None
    return frozenset(hierarchy.descendants(actor.org_unit))


def commit_with_mirror(
    uow: UnitOfWork, before: int, after: int, apply: Callable[[MirrorWriter], None]
) -> None:
    """Commit the unit of work and bring the analytics mirror (if any) to version `after`.

    The mirror is written in its own transaction while the store's is open, then the
    store commits, then the mirror. A mirror that was not at `before` is rebuilt whole
    from the store instead of patched.
    """
    mirror = uow.missions.mirror
    if mirror is None:
        uow.commit()
        return
    with mirror.writing() as writer:
        if writer.version() == before:
            apply(writer)
            writer.set_version(after)
        else:
            rebuild_copy(uow, writer, after)
        uow.commit()


def ensure_mirror(uow: UnitOfWork) -> None:
    """Rebuild the analytics mirror from the store if it is missing or behind."""
    mirror = uow.missions.mirror
    if mirror is None:
        return
    version = uow.missions.data_version()
    if mirror.version() != version:
        with mirror.writing() as writer:
            rebuild_copy(uow, writer, version)


def load_org_units(
    uow: UnitOfWork,
    path: Source,
    effective: date,
    options: FileOptions = PLAIN,
    tell: Tell | None = None,
) -> OrgUnitsResult:
    """Load an org units CSV or .xlsx; changes to known units take effect on `effective`."""
    with open_table(path, options, (), tell) as table:
        rows, problems = parse_orgunits_csv(table.lines, table.name)
        problems = table.problems(problems)
        if problems:
            raise refuse(problems, table.name)
        return load_org_unit_rows(uow, rows, effective, table.name)


def load_org_unit_rows(
    uow: UnitOfWork, rows: Sequence[OrgUnitRow], effective: date, source: str
) -> OrgUnitsResult:
    """Load parsed org unit rows (as `load_org_units` does a file's), `source` naming
    them in problems; changes to known units take effect on `effective`."""
    uow.lock()
    repo = uow.missions
    hierarchy, added, changed, problems = apply_rows(repo.hierarchy(), rows, effective, source)
    if problems:
        raise refuse(problems, source)
    if added or changed:
        repo.save_hierarchy(hierarchy)
        before = repo.data_version()
        after = repo.bump_data_version()
        ancestors = repo.ancestor_rows()
        commit_with_mirror(uow, before, after, lambda w: w.replace_ancestors(ancestors))
    return OrgUnitsResult(added, changed, len(hierarchy))


def _conflicts(uow: UnitOfWork, old: Catalog, new: Catalog) -> list[str]:
    """Changes the stored values forbid: an element's type or combo, a combo's options."""
    used = uow.missions.element_usage()
    found = []
    for uid, count in used.items():
        before, after = old.elements.get(uid), new.elements.get(uid)
        if before is None or after is None:
            continue
        if before.value_type != after.value_type or before.combo != after.combo:
            found.append(
                f"data element {uid} has {count} stored value(s): its value type and "
                "category combo cannot change"
            )
    gone = uow.missions.used_option_combos() - set(new.option_combos)
    found += [f"category option combo {uid} is used by stored values" for uid in sorted(gone)]
    return found


def load_metadata(uow: UnitOfWork, path: Path, options: FileOptions = PLAIN) -> MetadataResult:
    """Add or replace the objects of a metadata file (YAML or JSON), all or nothing."""
    document, problems = parse_metadata(read_text(path, options), str(path))
    if document is None:
        raise refuse(problems, str(path))
    return load_metadata_document(uow, document, str(path))


def load_metadata_document(
    uow: UnitOfWork, document: MetadataDocument, source: str
) -> MetadataResult:
    """Add or replace the objects of a parsed metadata document (as `load_metadata` does
    a file's), all or nothing; `source` names it in problems."""
    uow.lock()
    repo = uow.missions
    old = repo.catalog()
    catalog, problems = merge_metadata(old, document, source)
    units = repo.ids(org_units)
    problems += [p._replace(file=source) for p in check_catalog(catalog, units)]
    if problems:
        raise refuse(problems, source)
    conflicts = _conflicts(uow, old, catalog)
    if conflicts:
        raise ConflictError(f"{source}: {conflicts[0]}", [Problem(c, source) for c in conflicts])
    counts = {
        name: len(getattr(document, name))
        for name in type(document).model_fields
        if getattr(document, name)
    }
    if catalog == old:
        return MetadataResult(counts, changed=False)
    repo.save_catalog(catalog)
    uow.commit()
    return MetadataResult(counts)


def reopen_period(uow: UnitOfWork, data_set: str, period: str) -> bool:
    """Let a data set's period take changes again, despite its expiry or a settlement
    run over it; False if it was already reopened."""
    catalog = uow.missions.catalog()
    ds = catalog.data_sets.get(data_set)
    if ds is None:
        raise InputError(f"unknown data set {data_set!r}", [Problem("unknown", field="DATA_SET")])
    p = parse_period(period)
    if p.type is not ds.period_type:
        raise InputError(
            f"{p.id} is {p.type}; data set {ds.uid} takes {ds.period_type} periods",
            [Problem("wrong period type", field="PERIOD")],
        )
    added = uow.missions.reopen(ds.uid, p.id)
    uow.commit()
    return added
