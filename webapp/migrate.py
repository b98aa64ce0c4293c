"""Schema migrations: `flask --app webapp db upgrade` is the deploy step.

App workers never change the schema. Each one checks at start-up that the
database is at the revision its code expects, and refuses to start otherwise,
so that the app can run under a role that may read and write rows but not
create tables.
"""

from __future__ import annotations

from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from sqlalchemy.engine import Engine

UPGRADE_COMMAND = "flask --app webapp db upgrade"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def expected_revision() -> str | None:
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
    engine = current_app.extensions["webapp.engine"]
    upgrade(engine, revision)
    click.echo(f"Database at revision {current_revision(engine)}.")


@db_group.command("current")
def current_command() -> None:
    """Print the database's schema revision and the one this code needs."""
    engine = current_app.extensions["webapp.engine"]
    click.echo(f"database: {current_revision(engine)}  code: {expected_revision()}")


def init_app(app: Flask) -> None:
    app.cli.add_command(db_group)
