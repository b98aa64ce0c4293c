"""A local fake of Bria's project endpoints over real HTTP, for tests and benchmarks.

Served by the standard library's `http.server`, which keeps request headers
whose names contain `_` (Werkzeug's and gunicorn's servers drop `api_token`).
Each answer can be scripted: a status and body, a delay, or a dropped connection.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PROJECTS_PATH = "/v1/tailored-gen/projects"


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Scripted:
    """One scripted answer. `create` stores the project as the API would, before the
    delay, the drop or the answer: the API made it, then failed to say so."""

    status: int = 200
    body: bytes | str | Any = b""
    content_type: str = "application/json"
    delay: float = 0.0
    drop: bool = False
    create: bool = False
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeBria:
    token: str = "test-token"
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    projects: list[dict[str, Any]] = field(default_factory=list)
    script: deque[Scripted] = field(default_factory=deque)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: Requests being answered right now, and the most there ever were at once.
    in_flight: int = 0
    peak_in_flight: int = 0

    def answer_next(self, *answers: Scripted) -> None:
        self.script.extend(answers)

    def add_project(self, **fields: Any) -> dict[str, Any]:
        with self.lock:
            project = {
                "id": len(self.projects) + 1,
                "project_name": "",
                "project_description": "",
                "ip_name": "",
                "ip_description": "",
                "ip_medium": "illustration",
                "ip_type": "other",
                "training_version": None,
                "status": "active",
                "created_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                **fields,
            }
            self.projects.append(project)
            return project

    def posts(self) -> list[Received]:
        return [r for r in self.received if r.method == "POST"]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without this, Nagle's algorithm
        # and the client's delayed ACK add 40 ms to answers on a reused connection.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read `received`, not stderr."""

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        with fake.lock:
            fake.received.append(Received(self.command, self.path, dict(self.headers), body))
            scripted = fake.script.popleft() if fake.script else None
            fake.in_flight += 1
            fake.peak_in_flight = max(fake.peak_in_flight, fake.in_flight)
        try:
            self._answer(fake, scripted, body)
        finally:
            with fake.lock:
                fake.in_flight -= 1

    def _answer(self, fake: FakeBria, scripted: Scripted | None, body: Any) -> None:
        if scripted is not None and scripted.create and isinstance(body, dict):
            fake.add_project(**body)
        delay = scripted.delay if scripted else fake.delay
        if delay:
            time.sleep(delay)
        if scripted is not None and scripted.drop:
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if scripted is not None:
            payload = scripted.body
            if not isinstance(payload, (bytes, str)):
                payload = json.dumps(payload)
            self._send(scripted.status, payload, scripted.content_type, scripted.headers)
            return
        self._send(*self._default(fake, body))

    def _default(self, fake: FakeBria, body: Any) -> tuple[int, str, str]:
        if self.path == "/ready":  # for a benchmark waiting on the process to start
            return 200, "ok", "text/plain"
        if self.headers.get("api_token") != fake.token:
            return 401, json.dumps({"error": {"message": "Invalid api_token"}}), "application/json"
        if self.path == PROJECTS_PATH and self.command == "POST":
            project = fake.add_project(**(body if isinstance(body, dict) else {}))
            return 201, json.dumps(project), "application/json"
        if self.path == PROJECTS_PATH:
            with fake.lock:
                return 200, json.dumps(fake.projects), "application/json"
        if self.path.startswith(PROJECTS_PATH + "/"):
            wanted = self.path.rsplit("/", 1)[1]
            with fake.lock:
                found = [p for p in fake.projects if str(p["id"]) == wanted]
            if found:
                return 200, json.dumps(found[0]), "application/json"
            return 404, json.dumps({"error": {"message": "Project not found"}}), "application/json"
        return 404, json.dumps({"error": {"message": "Not found"}}), "application/json"

    def _send(
        self,
        status: int,
        payload: bytes | str,
        content_type: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        data = payload.encode() if isinstance(payload, str) else payload
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if data:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        try:
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up waiting: a timeout test


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, fake: FakeBria, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.fake = fake


class FakeBriaServer:
    """Start with `with FakeBriaServer() as api:`; `api.base_url` goes in BRIA_API_BASE_URL."""

    def __init__(self, fake: FakeBria | None = None, port: int = 0) -> None:
        self.fake = fake or FakeBria()
        self._server = _Server(self.fake, port)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> FakeBriaServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def serve_forever(self) -> None:
        """For a benchmark that runs the fake in its own process."""
        self._server.serve_forever()


def main(argv: list[str] | None = None, ready: Callable[[str], None] = print) -> None:
    """`python -m webapp.fake_api --port 8099 --delay 0.3`: serve until killed."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--token", default="bench-token")
    args = parser.parse_args(argv)
    server = FakeBriaServer(FakeBria(token=args.token, delay=args.delay), args.port)
    ready(server.base_url)
    server.serve_forever()


if __name__ == "__main__":
    main()
