from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.support.apps import TOKEN, dispose, make_app, prepare_database
from tests.support.fake_api import FakeBriaServer
from tests.support.postgres import PostgresCluster
from webapp.database.engine import make_engine

__all__ = ["TOKEN", "dispose", "make_app", "prepare_database"]


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """The app in sandbox mode, with its own instance folder."""
    app = make_app(tmp_path / "instance")
    yield app
    dispose(app)


@pytest.fixture
def client(app: Flask):
    return app.test_client()


@pytest.fixture
def fake_api() -> Iterator[FakeBriaServer]:
    with FakeBriaServer(TOKEN) as server:
        yield server


@pytest.fixture
def live_app(tmp_path: Path, fake_api: FakeBriaServer) -> Iterator[Flask]:
    """The app in real mode, talking over HTTP to the local fake API."""
    app = make_app(
        tmp_path / "live-instance",
        BRIA_API_TOKEN=TOKEN,
        BRIA_API_BASE_URL=fake_api.base_url,
        BRIA_API_TIMEOUT=1.5,
        BRIA_REQUESTS_PER_MINUTE=10_000,
    )
    yield app
    dispose(app)


@pytest.fixture
def live_client(live_app: Flask):
    return live_app.test_client()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """One PostgreSQL server for the whole run, started only if a test asks for it."""
    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database of each kind the app runs on."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
        prepare_database(url)
        yield url
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    name = cluster.create_database()
    url = cluster.url(name)
    prepare_database(url)
    yield url
    cluster.drop_database(name)


@pytest.fixture
def engines(database_url: str) -> Iterator[list]:
    """Four engines on one database: four workers or servers."""
    made = [make_engine(database_url) for _ in range(4)]
    yield made
    for engine in made:
        engine.dispose()
