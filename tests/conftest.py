from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from webapp import create_app
from webapp.fake_api import FakeBriaServer

TOKEN = "test-token-5f1e0c9a7b3d"


def make_app(instance: Path, **config: object) -> Flask:
    settings = {"TESTING": True, "SECRET_KEY": "test-secret", "BRIA_API_TOKEN": "", **config}
    return create_app(settings, instance_path=str(instance))


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    """The app in sandbox mode, with its own instance folder."""
    return make_app(tmp_path / "instance")


@pytest.fixture
def client(app: Flask):
    return app.test_client()


@pytest.fixture
def fake_api() -> Iterator[FakeBriaServer]:
    with FakeBriaServer() as server:
        server.fake.token = TOKEN
        yield server


@pytest.fixture
def live_app(tmp_path: Path, fake_api: FakeBriaServer) -> Flask:
    """The app in real mode, talking over HTTP to the local fake API."""
    return make_app(
        tmp_path / "live-instance",
        BRIA_API_TOKEN=TOKEN,
        BRIA_API_BASE_URL=fake_api.base_url,
        BRIA_API_TIMEOUT=1.5,
    )


@pytest.fixture
def live_client(live_app: Flask):
    return live_app.test_client()
