"""Start the pieces the benchmark measures, each in its own process, and stop them after.

The fake API (`tests/support/fake_api.py`, standard library) stands in for Bria with a fixed
delay per answer; the app and the bare Flask "hello" run under gunicorn with the
repository's own `gunicorn.conf.py`, so the figures are those of `make serve`.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from tests.support.processes import ROOT, free_port, gunicorn, migrate, running

TOKEN = "bench-token-0c1d2e3f"
#: Each process's output, for looking into a failed run (ignored by git).
LOGS = ROOT / "bench" / "results"


@contextmanager
def fake_api(delay: float) -> Iterator[str]:
    """A fake Bria API answering every call after `delay` seconds; yields its base URL."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}/v1"
    command = [sys.executable, "-m", "tests.support.fake_api", "--port", str(port)]
    command += ["--delay", str(delay), "--token", TOKEN]
    # Its list answers 401 without the token, so wait on a path that needs none.
    ready_url = f"http://127.0.0.1:{port}/ready"
    with running(command, {}, ready_url, LOGS / f"fake-api-{delay:g}s.log"):
        yield base_url


@contextmanager
def app_against(api_base_url: str) -> Iterator[str]:
    """The app in real mode (a token set) talking to `api_base_url`, in a fresh instance."""
    with tempfile.TemporaryDirectory(prefix="bench-instance-") as instance:
        env = {
            "BRIA_API_TOKEN": TOKEN,
            "BRIA_API_BASE_URL": api_base_url,
            "WEBAPP_INSTANCE_PATH": instance,
            "SECRET_KEY": "bench-secret",
            "BRIA_REQUESTS_PER_MINUTE": "100000",
        }
        migrate(env)
        with gunicorn("webapp:create_app()", env, "/healthz") as url:
            yield url


@contextmanager
def floor_against(api_base_url: str) -> Iterator[str]:
    """`bench.floor`: the least a create can cost with gunicorn, Flask and `requests`."""
    env = {"BRIA_API_TOKEN": TOKEN, "BRIA_API_BASE_URL": api_base_url}
    with gunicorn("bench.floor:app", env, "/healthz") as url:
        yield url


@contextmanager
def hello() -> Iterator[str]:
    with gunicorn("bench.hello:app") as url:
        yield url
