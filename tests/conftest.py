"""Fixtures every tier shares, and the tiers themselves.

Each test is in one tier, by what it needs:

- `unit`: no server and no network (the app through Flask's test client, in sandbox
  mode, on SQLite files); a unit test that opens a network connection fails;
- `integration`: real HTTP, real databases, a real job engine, other processes;
- `browser`: Debian's Chromium driving the app (`tests/browser/`).

A test is `integration` when its module or itself says so, or when it uses a fixture
that needs a server; every other test outside `tests/browser/` is `unit`.
`pytest -m unit` runs the quick tier alone.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.support.apps import TOKEN, dispose, make_app, prepare_database
from tests.support.fake_api import FakeBriaServer
from tests.support.postgres import PostgresCluster
from tests.support.redis import RedisServer
from webapp.database.engine import make_engine

__all__ = ["TOKEN", "dispose", "make_app", "prepare_database"]

#: Fixtures that need a server of some kind: a test using one is an integration test.
NEEDS_A_SERVER = {
    "fake",
    "fake_api",
    "fake_api_for_module",
    "live_app",
    "live_client",
    "postgres",
    "redis_server",
    "served",
    "server",
    "target",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("browser") or item.get_closest_marker("integration"):
            continue
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and callspec.params.get("database_url") == "postgresql"
        if NEEDS_A_SERVER & set(getattr(item, "fixturenames", ())) or on_postgres:
            item.add_marker(pytest.mark.integration)
        else:
            item.add_marker(pytest.mark.unit)


@pytest.fixture(autouse=True)
def _unit_tests_stay_off_the_network(request: pytest.FixtureRequest, monkeypatch) -> None:
    """A unit test that reaches for the network is in the wrong tier: say so."""
    if request.node.get_closest_marker("unit") is None:
        return
    connect = socket.socket.connect

    def refuse(sock: socket.socket, address: object) -> None:
        if sock.family == socket.AF_UNIX:
            return connect(sock, address)
        raise AssertionError(
            f"a unit test connected to {address!r}: mark it integration, or leave the network"
        )

    monkeypatch.setattr(socket.socket, "connect", refuse)


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


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One Redis server for the whole run (the job engine of several servers)."""
    server = RedisServer().start()
    yield server
    server.stop()


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
