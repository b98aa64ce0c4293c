"""Start servers in processes of their own, on free ports, and stop them after.

Used by the tests that run the production command (gunicorn with the
repository's `gunicorn.conf.py`, as `make serve` does) and by the benchmark.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children_of(pid: int) -> list[int]:
    """The processes whose parent is `pid` (a server's workers or backends)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended while we looked
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def logged_lines(log: Path, needle: str, at_least: int = 1, seconds: float = 10) -> list[str]:
    """The lines of `log` that hold `needle`, once there are `at_least` of them: a server
    writes its log line after the answer, so a client may read the log first."""
    deadline = time.monotonic() + seconds
    while True:
        lines = [line for line in log.read_text().splitlines() if needle in line]
        if len(lines) >= at_least or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def wait_until_up(
    url: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 30
) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"{url} exited before answering:\n{log.read_text()}") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not come up in {seconds:g} s") from None
            time.sleep(0.1)


def environment(env: dict[str, str]) -> dict[str, str]:
    """This process's environment with `env` on top, and none of the app's own settings
    but those given: a developer's BRIA_ or DATABASE_ variable must not leak in."""
    own = ("BRIA_", "DATABASE_", "ACCESS_", "ALLOWED_HOSTS", "SECRET_KEY", "WEBAPP_", "FLASK_")
    base = {k: v for k, v in os.environ.items() if not k.startswith(own)}
    return {**base, **env}


@contextmanager
def running(
    command: list[str], env: dict[str, str], ready_url: str, log: Path, cwd: Path = ROOT
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `command` until the block ends, its output in `log`, once `ready_url` answers."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as output:
        # A session of its own: stopping it stops what it started too (`make run` starts
        # a shell that starts the server and the job consumer).
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=environment(env),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until_up(ready_url, process, log)
            yield process
        finally:
            stop_group(process)


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process and everything in its session; SIGKILL after 15 s."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


#: `flask --app webapp db upgrade`, the deploy step, with this interpreter.
UPGRADE_COMMAND = [sys.executable, "-m", "flask", "--app", "webapp", "db", "upgrade"]


def migrate(env: dict[str, str], cwd: Path = ROOT) -> None:
    """The deploy step, with these settings."""
    subprocess.run(
        UPGRADE_COMMAND,
        cwd=cwd,
        env=environment(env),
        check=True,
        capture_output=True,
    )


@contextmanager
def job_consumer(
    env: dict[str, str], log: Path, app: str = "webapp"
) -> Iterator[subprocess.Popen[bytes]]:
    """A job consumer, `flask --app webapp jobs run`, with these settings (as `make run`
    and `make serve` start one), until the block ends."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", app, "jobs", "run"],
            cwd=ROOT,
            env=environment(env),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def gunicorn_command(app: str = "webapp:create_app()") -> list[str]:
    """How the repository's gunicorn settings serve `app`, from any working folder."""
    return [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py"), app]


@contextmanager
def gunicorn(
    app: str,
    env: dict[str, str] | None = None,
    ready_path: str = "/",
    log: Path | None = None,
    port: int | None = None,
) -> Iterator[str]:
    """`app` under gunicorn with the repository's settings; yields the URL it answers at.

    No access log unless `env` asks for one: a benchmark measures the app, not the log.
    """
    port = port or free_port()
    command = gunicorn_command(app)
    settings = {"BIND": f"127.0.0.1:{port}", "ACCESS_LOG": "", "LOG_LEVEL": "warning"}
    url = f"http://127.0.0.1:{port}"
    log = log or ROOT / "bench" / "results" / f"{app.split(':')[0]}.log"
    with running(command, {**settings, **(env or {})}, url + ready_path, log):
        yield url


@dataclass
class GunicornServer:
    url: str
    master: subprocess.Popen[bytes]

    def workers(self) -> list[int]:
        return children_of(self.master.pid)


@contextmanager
def gunicorn_servers(
    envs: list[dict[str, str]], logs: list[Path], app: str = "webapp:create_app()"
) -> Iterator[list[GunicornServer]]:
    """Several servers started at the same moment (as a deploy starts them), each with the
    repository's gunicorn settings and its own environment."""
    ports = [free_port() for _ in envs]
    processes = []
    try:
        for port, env, log in zip(ports, envs, logs, strict=True):
            log.parent.mkdir(parents=True, exist_ok=True)
            settings = {"BIND": f"127.0.0.1:{port}", "ACCESS_LOG": "", "LOG_LEVEL": "warning"}
            with log.open("wb") as output:
                processes.append(
                    subprocess.Popen(
                        gunicorn_command(app),
                        cwd=ROOT,
                        env=environment({**settings, **env}),
                        stdout=output,
                        stderr=subprocess.STDOUT,
                    )
                )
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        for url, process, log in zip(urls, processes, logs, strict=True):
            wait_until_up(url + "/healthz", process, log)
        yield [GunicornServer(url, process) for url, process in zip(urls, processes, strict=True)]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def make_serve(env: dict[str, str], log: Path, ready_path: str = "/healthz") -> Iterator[str]:
    """The app as `make serve` runs it (`deploy/serve`: nginx in front of gunicorn), on a
    free port; yields its URL. The database must be migrated first (`migrate`)."""
    port = free_port()
    settings = {
        "BIND": f"127.0.0.1:{port}",
        "PATH": os.environ.get("PATH", "") + ":/usr/sbin",
        **env,
    }
    url = f"http://127.0.0.1:{port}"
    with running(["deploy/serve"], settings, url + ready_path, log):
        yield url
