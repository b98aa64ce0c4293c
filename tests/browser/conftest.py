"""Browser tests: the app on a real HTTP server, driven in Debian's Chromium.

Playwright cannot download its own browser on our machines, so the tests launch
the `chromium` package's binary (installed by `make test` when missing). A test
that fails leaves a screenshot of its page in `test-results/`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import dispose, make_app
from tests.support.live_server import LiveServer

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
RESULTS = Path(__file__).resolve().parents[2] / "test-results"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for the session: tests count projects by name, not in total."""
    app = make_app(tmp_path_factory.mktemp("browser") / "instance")
    live = LiveServer(app)
    yield live
    live.stop()
    dispose(app)


@pytest.fixture(scope="session")
def base_url(server: LiveServer) -> str:
    return server.url


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator:
    report = yield
    if report.when == "call" and report.failed and "page" in getattr(item, "funcargs", {}):
        RESULTS.mkdir(exist_ok=True)
        item.funcargs["page"].screenshot(path=str(RESULTS / f"{item.name}.png"), full_page=True)
    return report
