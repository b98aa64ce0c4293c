"""Alembic's entry point, run by `flask --app webapp db upgrade` (see `webapp.migrate`)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from webapp.database.migrate import MIGRATION_LOCK_ID
from webapp.database.tables import metadata


def run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline migrations are not supported: run `flask --app webapp db upgrade`.")
run(context.config.attributes["connection"])
