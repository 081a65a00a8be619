"""Alembic environment: the metadata comes from convenio.store.tables, the connection (or
URL) from the caller — convenio.store.engine passes an open connection."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from convenio.store import (
    cases_tables,  # noqa: F401  (registers its tables)
    deployments_tables,  # noqa: F401  (registers its tables)
    financing_tables,  # noqa: F401  (registers its tables)
    missions_tables,  # noqa: F401  (registers its tables)
)
from convenio.store.tables import metadata

config = context.config


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations()
