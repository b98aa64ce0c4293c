"""Start the pieces the benchmark measures, each in its own process, and stop them after.

The fake API (`webapp.fake_api`, standard library) stands in for Bria with a fixed
delay per answer; the app and the bare Flask "hello" run under gunicorn with the
repository's own `gunicorn.conf.py`, so the figures are those of `make serve`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token-0c1d2e3f"
#: Each process's output, for looking into a failed run (ignored by git).
LOGS = ROOT / "bench" / "results"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"{url} exited before answering:\n{log.read_text()}") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not come up in 30 s") from None
            time.sleep(0.1)


@contextmanager
def running(command: list[str], env: dict[str, str], ready_url: str, log: Path) -> Iterator[None]:
    """Run `command` until the block ends, its output in `log`, once `ready_url` answers."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            wait_until_up(ready_url, process, log)
            yield
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


@contextmanager
def fake_api(delay: float) -> Iterator[str]:
    """A fake Bria API answering every call after `delay` seconds; yields its base URL."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}/v1"
    command = [sys.executable, "-m", "webapp.fake_api", "--port", str(port)]
    command += ["--delay", str(delay), "--token", TOKEN]
    # Its list answers 401 without the token, so wait on a path that needs none.
    ready_url = f"http://127.0.0.1:{port}/ready"
    with running(command, {}, ready_url, LOGS / f"fake-api-{delay:g}s.log"):
        yield base_url


@contextmanager
def gunicorn(
    app: str, env: dict[str, str] | None = None, ready_path: str = "/", log: Path | None = None
) -> Iterator[str]:
    """`app` under gunicorn with the repository's settings; yields the URL it answers at.

    No access log unless `env` asks for one: the benchmark measures the app, not the log.
    """
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", app]
    settings = {"BIND": f"127.0.0.1:{port}", "ACCESS_LOG": "", "LOG_LEVEL": "warning"}
    url = f"http://127.0.0.1:{port}"
    log = log or LOGS / f"{app.split(':')[0]}.log"
    with running(command, {**settings, **(env or {})}, url + ready_path, log):
        yield url


@contextmanager
def app_against(api_base_url: str) -> Iterator[str]:
    """The app in real mode (a token set) talking to `api_base_url`, in a fresh instance."""
    with tempfile.TemporaryDirectory(prefix="bench-instance-") as instance:
        env = {
            "BRIA_API_TOKEN": TOKEN,
            "BRIA_API_BASE_URL": api_base_url,
            "WEBAPP_INSTANCE_PATH": instance,
            "SECRET_KEY": "bench-secret",
        }
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
