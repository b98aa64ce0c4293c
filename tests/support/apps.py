"""The app as `create_app` builds it, for tests: on a migrated database of its own."""

from __future__ import annotations

import functools
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask

from tests.support.bria import TOKEN  # noqa: F401 - the one test token, for conftest
from tests.support.live_server import LiveServer
from webapp import create_app
from webapp.database import migrate
from webapp.database.engine import make_engine
from webapp.sandbox import FakeBria

#: A defined character, every field filled, as Bria receives it from a create.
CHARACTER = {
    "project_name": "Lora adventures",
    "project_description": "Spring",
    "ip_name": "Lora",
    "ip_description": "purple hair",
    "ip_medium": "illustration",
    "ip_type": "defined_character",
}


def prepare_database(url: str) -> None:
    """The deploy step, `flask --app webapp db upgrade`, for a test's database.

    A new SQLite file is a copy of one migrated once per test process: the same schema,
    without running every migration again for each of hundreds of tests."""
    path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    if path is not None and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_migrated_sqlite_file(), path)
        path.chmod(0o600)
        return
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()


@functools.cache
def _migrated_sqlite_file() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="webapp-schema-"))
    path = folder / "migrated.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    try:
        migrate.upgrade(engine)
        with engine.connect() as db:  # one file, not a write-ahead log beside it
            db.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    return path


def make_app(instance: Path, **config: object) -> Flask:
    settings = {"TESTING": True, "SECRET_KEY": "test-secret-0123456789", **config}
    url = str(settings.get("DATABASE_URL") or f"sqlite:///{instance / 'webapp.sqlite3'}")
    prepare_database(url)
    return create_app(settings, instance_path=str(instance))


def dispose(app: Flask) -> None:
    app.extensions["webapp"].engine.dispose()


def sandbox_of(app: Flask) -> FakeBria:
    """The sandbox an app in sandbox mode answers from (tests add odd projects to it)."""
    return app.extensions["webapp"].fake


@contextmanager
def live(instance: Path, **config: object) -> Iterator[LiveServer]:
    """The app on a real threaded HTTP server, for as long as the block runs."""
    app = make_app(instance, **config)
    server = LiveServer(app)
    try:
        yield server
    finally:
        server.stop()
        dispose(app)
