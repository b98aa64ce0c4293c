"""The Flask app: `create_app()` wires settings, services, features and headers.

`gunicorn 'webapp:create_app()'` and `flask --app webapp run` both start here. A
setting that cannot be used, or a database that is not at the schema this code
needs, stops the start with one line naming the problem (and, for the schema,
the command that fixes it) instead of a traceback or a half-working app.

Each feature is a package with a `register(app)`; adding one is one line in
`FEATURES`.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.exc import SQLAlchemyError

from webapp import (
    access,
    activity,
    commands,
    datasets,
    generation,
    health,
    images,
    projects,
    training,
)
from webapp.database import migrate
from webapp.database.engine import UNAVAILABLE, write_heartbeat
from webapp.ledger import once
from webapp.services import build_services
from webapp.settings import FIXED_SETTINGS, ConfigError, dotenv_problem, read_settings
from webapp.web import assets, bodies, errors, formatting, security

#: The features, each registering its pages (and jobs) with the app.
FEATURES = (projects, datasets, images, training, generation, activity, access, health)

PACKAGE = Path(__file__).resolve().parent
#: gunicorn stops (instead of starting new workers for ever) when a worker exits
#: with this status while booting; `flask` simply exits with it.
EXIT_CANNOT_START = 3
csrf = CSRFProtect()
log = logging.getLogger("webapp")

#: Whether this process, or the gunicorn master it was forked from, has found the
#: database usable. Until then a database out of reach is a setting to fix and stops
#: the start; after, it is an outage: a worker that gunicorn starts in its place (after
#: a crash) must serve 503s until the database is back, since a worker that exits while
#: booting makes gunicorn halt the whole server.
_database_seen_usable = False


class StartupError(Exception):
    """The app cannot start as configured; the message says why, in one line."""


def _shipped(name: str) -> str:
    """`templates/` and `static/` sit at the top of the repository and are copied into
    the package when it is built as a wheel: use the copy when there is one."""
    inside = PACKAGE / name
    return str(inside if inside.is_dir() else PACKAGE.parent / name)


def create_app(
    test_config: dict[str, Any] | None = None,
    instance_path: str | None = None,
    adapter: Any = None,
) -> Flask:
    """Build the app. Settings come from the environment unless `test_config` gives them;
    `adapter` stands in for Bria's network (tests)."""
    try:
        return _build(test_config, instance_path, adapter)
    except (StartupError, ConfigError) as problem:
        print(f"webapp cannot start: {problem}", file=sys.stderr, flush=True)
        raise SystemExit(EXIT_CANNOT_START) from None


def _build(test_config: dict[str, Any] | None, instance_path: str | None, adapter: Any) -> Flask:
    if test_config is None:
        env: Any = _environment()
    else:
        env = {k: str(v) for k, v in test_config.items() if isinstance(v, (str, int, float))}
        env = {k: v for k, v in env.items() if not isinstance(test_config[k], bool)}
    app = Flask(
        __name__,
        instance_path=instance_path or os.environ.get("WEBAPP_INSTANCE_PATH") or None,
        template_folder=_shipped("templates"),
        static_folder=_shipped("static"),
    )
    if app.debug and "gunicorn.arbiter" in sys.modules:
        raise StartupError(
            "FLASK_DEBUG is on under gunicorn: the debugger would replace the app's error "
            "pages; unset FLASK_DEBUG in production"
        )
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True, mode=0o700)
    settings = read_settings(env, instance)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.config.update(FIXED_SETTINGS)
    app.config.update(settings.as_flask_config())
    app.config.update(test_config or {})
    app.logger.setLevel(logging.INFO)  # "webapp": Flask gives it a stderr handler

    svc = build_services(settings, instance, adapter)
    app.extensions["webapp"] = svc
    if _serving():
        _check_database(svc.engine)

    bodies.init_app(app)  # before the CSRF check, which reads the body first
    csrf.init_app(app)
    security.init_app(app)
    assets.init_app(app)
    formatting.init_app(app)
    errors.init_app(app)
    migrate.init_app(app)
    svc.jobs.bind(app)
    commands.init_app(app)
    once.register(svc.jobs, svc.ledger)
    app.context_processor(lambda: {"sandbox": settings.sandbox})
    for feature in FEATURES:
        feature.register(app)
    return app


def _environment() -> Any:
    """The process's environment, after a `.env` file in the working folder (if any)."""
    from dotenv import load_dotenv

    dotenv = Path.cwd() / ".env"
    problem = dotenv_problem(dotenv)
    if problem:
        raise StartupError(problem)
    load_dotenv(dotenv, override=False)
    return os.environ


def _serving() -> bool:
    """False while a `flask` command other than `run` builds the app (`flask db upgrade`
    must work on a database that is behind; `hash-password` needs no database)."""
    context = click.get_current_context(silent=True)
    return context is None or context.info_name == "run"


def _check_database(engine: Any) -> None:
    """Refuse to start on a database that cannot be read, is at another schema, or is
    read-only: each would otherwise be found by the first person to create a project."""
    global _database_seen_usable
    try:
        problem = migrate.schema_problem(engine)
        if problem is None:
            write_heartbeat(engine)
    except UNAVAILABLE as error:
        if _database_seen_usable:
            log.warning(
                "process %d starts while the database is out of reach (%s): pages that "
                "need it answer 503 until it is back",
                os.getpid(),
                _first_line(error),
            )
            return
        raise StartupError(f"the database cannot be used: {_first_line(error)}") from None
    except SQLAlchemyError as error:  # a corrupted file, a role without rights
        raise StartupError(f"the database cannot be read: {_first_line(error)}") from None
    if problem:
        raise StartupError(problem)
    _database_seen_usable = True


def _first_line(error: Exception) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__
