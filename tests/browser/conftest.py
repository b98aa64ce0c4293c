"""Browser tests: the app on a real HTTP server, driven in Debian's Chromium.

Playwright cannot download its own browser on our machines, so the tests launch
the `chromium` package's binary (installed by `make test` when missing).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import make_app
from tests.live_server import LiveServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for the session: tests count projects by name, not in total."""
    live = LiveServer(make_app(tmp_path_factory.mktemp("browser") / "instance"))
    yield live
    live.stop()


@pytest.fixture(scope="session")
def base_url(server: LiveServer) -> str:
    return server.url
