"""Committing a unit of work together with the DuckDB file when it touches bulk values.

`commit_with_mirror` (convenio.services.missions) patches the mirror's copy, or rebuilds
the copy instead when the mirror was not at the store's version. Bulk values are no
copy: a change to them must be written whichever way the copy is brought up to date, so
`commit_with_bulk` takes the two parts apart.
"""

from __future__ import annotations

from collections.abc import Callable

from convenio.store import UnitOfWork
from convenio.store.analytics_mirror import MirrorWriter

__all__ = ["commit_with_bulk", "rebuild_copy"]


def rebuild_copy(uow: UnitOfWork, writer: MirrorWriter, version: int) -> None:
    """Refill the mirror's copy of the store's tables and mark it at `version`."""
    repo = uow.missions
    writer.replace_all(
        version,
        repo.values.mirror_period_rows(),
        repo.ancestor_rows(),
        repo.values.mirror_value_rows(),
    )


def commit_with_bulk(
    uow: UnitOfWork,
    before: int,
    after: int,
    copy: Callable[[MirrorWriter], None],
    bulk: Callable[[MirrorWriter], None],
) -> None:
    """Commit the unit of work and the DuckDB file at version `after`: `copy` patches
    the mirror's copy if it was at `before` (else the copy is rebuilt from the store, as
    `commit_with_mirror` does), `bulk` changes the bulk values in either case."""
    mirror = uow.missions.mirror
    assert mirror is not None, "bulk values live in the embedded store's DuckDB file"
    with mirror.writing() as writer:
        if writer.version() == before:
            copy(writer)
            writer.set_version(after)
        else:
            rebuild_copy(uow, writer, after)
        bulk(writer)
        uow.commit()
