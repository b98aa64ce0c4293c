"""Browser tests: the app on a real HTTP server, driven in Debian's Chromium.

Playwright cannot download its own browser on our machines, so the tests launch
the `chromium` package's binary (installed by `make test` when missing). A test
that fails leaves a screenshot of its page in `test-results/`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.apps import TOKEN, live
from tests.support.fake_api import FakeBriaServer
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
    with live(tmp_path_factory.mktemp("browser") / "instance") as running:
        yield running


@pytest.fixture(scope="session")
def base_url(server: LiveServer) -> str:
    return server.url


@pytest.fixture(scope="module")
def failing(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[LiveServer, FakeBriaServer]]:
    """The app in live mode against a fake Bria that the tests make fail (the list is read
    at every page, so each scripted answer meets the call it is meant for)."""
    folder = tmp_path_factory.mktemp("failing")
    with (
        FakeBriaServer(TOKEN, folder=folder) as api,
        live(
            folder / "instance",
            BRIA_API_TOKEN=TOKEN,
            BRIA_API_BASE_URL=api.base_url,
            BRIA_API_TIMEOUT=1,
            BRIA_REQUESTS_PER_MINUTE=10_000,
            BRIA_LIST_MAX_AGE=0,
        ) as server,
    ):
        yield server, api


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator:
    report = yield
    if report.when == "call" and report.failed and "page" in getattr(item, "funcargs", {}):
        RESULTS.mkdir(exist_ok=True)
        item.funcargs["page"].screenshot(path=str(RESULTS / f"{item.name}.png"), full_page=True)
    return report
