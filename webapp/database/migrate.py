"""Schema migrations: `flask --app webapp db upgrade` is the deploy step.

App workers never change the schema. Each one checks at start-up that the
database is at the revision its code expects, and refuses to start otherwise,
so that the app can run under a role that may read and write rows but not
create tables.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from sqlalchemy.engine import Engine

from webapp.database.engine import make_engine

UPGRADE_COMMAND = "flask --app webapp db upgrade"
#: Any number of `db upgrade` commands may start at once (one per server in a
#: deploy script): the first takes this PostgreSQL lock, the rest wait for it and
#: then find nothing left to do.
MIGRATION_LOCK_ID = 0x0B21A_1ED6E
#: The longest a migration's statement (or its wait for another migration) may take.
MIGRATION_TIME_LIMIT_SECONDS = 600.0
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


@functools.cache
def expected_revision() -> str | None:
    """The newest migration this code carries (its files do not change while it runs)."""
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to `revision` (the newest by default)."""
    config = _config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def schema_problem(engine: Engine) -> str | None:
    """One line saying why this code cannot use the database as it is, or None."""
    current, expected = current_revision(engine), expected_revision()
    if current == expected:
        return None
    if current is None:
        return f"The database has no tables yet: run `{UPGRADE_COMMAND}` first."
    known = {script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()}
    if current not in known:
        return (
            f"The database schema ({current}) is newer than this code expects ({expected}): "
            "deploy the newer code, or restore a matching database."
        )
    return (
        f"The database schema is out of date ({current}, this code needs {expected}): "
        f"run `{UPGRADE_COMMAND}`."
    )


@click.group("db")
def db_group() -> None:
    """The ledger's database schema."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
def upgrade_command(revision: str) -> None:
    """Bring the database to the schema this code needs (safe to run on every deploy)."""
    # Not the app's engine: its limits, seconds for a statement or a lock, suit a page,
    # not a migration that waits for another server's to finish or rewrites a table.
    settings = replace(
        current_app.config["DATABASE"],
        statement_timeout=MIGRATION_TIME_LIMIT_SECONDS,
        pool_size=1,
        max_overflow=0,
    )
    engine = make_engine(current_app.config["DATABASE_URL"], settings)
    try:
        upgrade(engine, revision)
        click.echo(f"Database at revision {current_revision(engine)}.")
    finally:
        engine.dispose()


@db_group.command("current")
def current_command() -> None:
    """Print the database's schema revision and the one this code needs."""
    engine = current_app.extensions["webapp.engine"]
    click.echo(f"database: {current_revision(engine)}  code: {expected_revision()}")


def init_app(app: Flask) -> None:
    app.cli.add_command(db_group)
