"""Start what the benchmark measures, each in processes of its own, and stop it after.

The fake API (`tests/support/fake_api.py`) stands in for Bria with a fixed delay per
answer. The app runs as `make serve` runs it (`deploy/serve`: nginx in front of gunicorn
with the repository's `gunicorn.conf.py`), or, to compare server models, under gunicorn
alone with another number of threads.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.processes import ROOT, free_port, gunicorn_command, migrate, running

TOKEN = "bench-token-0c1d2e3f"
#: Each process's output, for looking into a failed run (ignored by git).
LOGS = ROOT / "bench" / "results"


@dataclass(frozen=True)
class Model:
    """A way of serving the app: what sits in front, and gunicorn's threads per worker."""

    name: str
    front: str  # "nginx" (deploy/serve, as `make serve`) or "none" (gunicorn alone)
    threads: int


#: The app as `make serve` runs it: nginx in front of gunicorn, 64 threads a worker.
MAKE_SERVE = Model("nginx + gunicorn, 64 threads", "nginx", 64)


@dataclass(frozen=True)
class Served:
    url: str
    pidfile: Path

    def worker_pids(self) -> list[int]:
        master = int(self.pidfile.read_text().strip())
        workers = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                workers.append(int(stat.parent.name))
        return workers


@contextmanager
def fake_api(delay: float, *options: str) -> Iterator[str]:
    """A fake Bria API answering every call after `delay` seconds; yields its base URL.
    `options` go to `tests.support.fake_api` (`--light`, `--training-seconds 3600`)."""
    port = free_port()
    command = [sys.executable, "-m", "tests.support.fake_api", "--port", str(port)]
    command += ["--delay", str(delay), "--token", TOKEN, *options]
    # Its list answers 401 without the token, so wait on a path that needs none.
    ready_url = f"http://127.0.0.1:{port}/ready"
    with running(command, {}, ready_url, LOGS / f"fake-api-{delay:g}s.log"):
        yield f"http://127.0.0.1:{port}/v1"


def api_received(api_base_url: str) -> list[tuple[str, str, float]]:
    """Every request the fake API received: method, path and when (its clock)."""
    url = api_base_url.rsplit("/v1", 1)[0] + "/received"
    with urllib.request.urlopen(url, timeout=30) as answer:
        return [(method, path, at) for method, path, at in json.loads(answer.read())]


def api_call(api_base_url: str, method: str, path: str, body: object = None) -> object:
    """Ask the fake API as Bria's console would (with the token): what a benchmark starts
    from (projects, datasets, models made elsewhere)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        api_base_url + path,
        data=data,
        method=method,
        headers={"api_token": TOKEN, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        raw = answer.read()
    return json.loads(raw) if raw else None


def api_stats(api_base_url: str) -> dict[str, int]:
    """Connections and requests the fake API received (this question not counted)."""
    with urllib.request.urlopen(api_base_url.rsplit("/v1", 1)[0] + "/stats", timeout=10) as answer:
        counts = json.loads(answer.read())
    return {"connections": counts["connections"] - 1, "requests": counts["requests"]}


def _serve(
    model: Model, app: str, env: dict[str, str], ready_path: str, log: Path
) -> Iterator[Served]:
    port = free_port()
    pidfile = Path(tempfile.mkdtemp(prefix="bench-pid-")) / "gunicorn.pid"
    settings = {
        "ACCESS_LOG": "",
        "LOG_LEVEL": "warning",
        "WEB_THREADS": str(model.threads),
        "GUNICORN_CMD_ARGS": f"--pid {pidfile}",
        **env,
    }
    if model.front == "nginx":
        command = ["deploy/serve", app]
        settings |= {"BIND": f"127.0.0.1:{port}", "PATH": os.environ["PATH"] + ":/usr/sbin"}
    else:
        command = gunicorn_command(app)
        settings["BIND"] = f"127.0.0.1:{port}"
    url = f"http://127.0.0.1:{port}"
    with running(command, settings, url + ready_path, log):
        yield Served(url, pidfile)


@contextmanager
def app_against(api_base_url: str, model: Model, **settings: str) -> Iterator[Served]:
    """The app in real mode (a token set) talking to `api_base_url`, in a fresh instance;
    `settings` change its environment (`BRIA_REQUESTS_PER_MINUTE="60"`)."""
    with tempfile.TemporaryDirectory(prefix="bench-instance-") as instance:
        env = {
            "BRIA_API_TOKEN": TOKEN,
            "BRIA_API_BASE_URL": api_base_url,
            "BRIA_REQUESTS_PER_MINUTE": "100000",
            "WEBAPP_INSTANCE_PATH": instance,
            "SECRET_KEY": "bench-secret-0123456789",
            **settings,
        }
        migrate(env)
        log = LOGS / f"app-{model.front}-{model.threads}.log"
        yield from _serve(model, "webapp:create_app()", env, "/healthz", log)


def app_at_budget(api_base_url: str, requests_per_minute: int) -> AbstractContextManager[Served]:
    """The app as `make serve` runs it, against `api_base_url`, with this request budget."""
    return app_against(api_base_url, MAKE_SERVE, BRIA_REQUESTS_PER_MINUTE=str(requests_per_minute))


@contextmanager
def floor_against(api_base_url: str, model: Model) -> Iterator[Served]:
    """`bench.floor`: the least a create can cost with this server, Flask and `requests`.

    It is served as the app is, so that the comparison is of the app's own work (with an
    instance of its own: the server's start builds the app once, and checks its database)."""
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as instance:
        env = {
            "BRIA_API_TOKEN": TOKEN,
            "BRIA_API_BASE_URL": api_base_url,
            "WEBAPP_INSTANCE_PATH": instance,
            "SECRET_KEY": "bench-secret-0123456789",
        }
        migrate(env)
        log = LOGS / f"floor-{model.front}.log"
        yield from _serve(model, "bench.floor:app", env, "/healthz", log)
