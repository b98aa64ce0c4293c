"""Bria's project endpoints over real HTTP, for tests and the benchmark.

The answers are the sandbox's (`webapp.sandbox.FakeBria`: the same rules and
shapes, written once); this adds what tests need to script: a failure, a delay,
a dropped connection, an answer trickled a byte at a time, and counts of the
requests and connections received. Served by the standard library, which keeps
request headers whose names contain `_` (Werkzeug's and gunicorn's servers drop
`api_token`).
"""

from __future__ import annotations

import json
import socket
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from webapp.sandbox import FakeBria
from webapp.sandbox.projects import ProjectStore

PROJECTS_PATH = "/v1/tailored-gen/projects"


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    #: The body's bytes as they arrived, when they are not JSON (a multipart upload).
    raw: bytes = b""
    #: When it arrived (`time.monotonic()`): how many reads fell in any few seconds.
    at: float = field(default_factory=time.monotonic)
    #: When it arrived (`time.time()`): for counting requests in a window.
    at: float = field(default_factory=time.time)


@dataclass
class Scripted:
    """One scripted answer. `create` lets the API make the project first (as the body
    asks), before the delay, the drop or the answer: it made it, then failed to say so.
    `act_first` does the same for any request (an image uploaded, a dataset completed):
    the API does what was asked, then the delay, the drop or the scripted answer follows.
    `trickle` sends the answer a byte every so many seconds; `cut` sends only that many
    bytes of a body announced whole, then closes the connection; `chunked` sends the
    body in chunks without announcing its length."""

    status: int = 200
    body: bytes | str | Any = b""
    content_type: str = "application/json"
    delay: float = 0.0
    drop: bool = False
    create: bool = False
    act_first: bool = False
    trickle: float = 0.0
    cut: int | None = None
    chunked: bool = False
    headers: dict[str, str] = field(default_factory=dict)


#: A scripted step that lets the API answer as it would (to script the call after it).
AS_THE_API_WOULD = Scripted(status=0)


class FakeBriaState:
    """What the fake holds and has seen; tests read and script it."""

    def __init__(self, api: FakeBria, delay: float = 0.0) -> None:
        self.api = api
        self.delay = delay
        self.received: list[Received] = []
        self.script: deque[Scripted] = deque()
        #: Answers scripted for the requests whose path holds a given part (`answer_for`):
        #: other requests (a follower's, a page's) do not take them.
        self.path_script: list[tuple[str, deque[Scripted]]] = []
        self.lock = threading.Lock()
        #: Light: what was received is kept without its headers and body (a benchmark
        #: sending gigabytes of images counts requests, it does not read them).
        self.light = False
        #: Requests being answered right now, and the most there ever were at once.
        self.in_flight = 0
        self.peak_in_flight = 0
        #: Open: answers go out. Closed (`hold_answers`): each waits until it opens again,
        #: so a test can act while requests are surely at the API, whatever the machine's load.
        self._gate = threading.Event()
        self._gate.set()
        #: TCP connections accepted: a client that reuses connections opens few.
        self.connections = 0

    @property
    def token(self) -> str:
        return self.api.token

    @token.setter
    def token(self, value: str) -> None:
        self.api.token = value

    @property
    def store(self) -> ProjectStore:
        return self.api.projects

    @property
    def projects(self) -> list[dict[str, Any]]:
        return self.store.all()

    def add_project(self, **fields: Any) -> dict[str, Any]:
        return self.store.add(**fields)

    @contextmanager
    def hold_answers(self) -> Iterator[None]:
        """Keep every answer back until the block ends (at most a minute)."""
        self._gate.clear()
        try:
            yield
        finally:
            self._gate.set()

    def wait_for_in_flight(self, count: int, seconds: float = 20) -> None:
        """Until `count` requests are being answered at once (or fail after `seconds`)."""
        deadline = time.monotonic() + seconds
        while self.in_flight < count:
            assert time.monotonic() < deadline, f"{self.in_flight} of {count} reached the API"
            time.sleep(0.01)

    def answer_next(self, *answers: Scripted) -> None:
        with self.lock:
            self.script.extend(answers)

    def answer_for(self, path_part: str, *answers: Scripted) -> None:
        """Script the next answers to requests whose path holds `path_part`, in order."""
        with self.lock:
            self.path_script.append((path_part, deque(answers)))

    def _next_scripted(self, path: str) -> Scripted | None:
        """(Under `lock`.) The answer scripted for this path, else the next of `script`."""
        for part, answers in self.path_script:
            if part in path and answers:
                return answers.popleft()
        return self.script.popleft() if self.script else None

    def posts(self) -> list[Received]:
        return [r for r in self.received if r.method == "POST"]

    def calls(self, method: str, path_suffix: str = "") -> list[Received]:
        return [r for r in self.received if r.method == method and r.path.endswith(path_suffix)]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without this, Nagle's algorithm
        # and the client's delayed ACK add 40 ms to answers on a reused connection.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.fake.lock:
            self.server.fake.connections += 1

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read `received`, not stderr."""

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def _handle(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        kept = b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body, kept = raw.decode("utf-8", "replace"), raw
        with fake.lock:
            if fake.light:
                fake.received.append(Received(self.command, self.path, {}, None))
            else:
                fake.received.append(
                    Received(self.command, self.path, dict(self.headers), body, kept)
                )
            scripted = fake._next_scripted(self.path)
            fake.in_flight += 1
            fake.peak_in_flight = max(fake.peak_in_flight, fake.in_flight)
        try:
            self._answer(fake, scripted, raw, body)
        finally:
            with fake.lock:
                fake.in_flight -= 1

    def _answer(
        self, fake: FakeBriaState, scripted: Scripted | None, raw: bytes, body: Any
    ) -> None:
        if self.path == "/ready":  # for a benchmark waiting on the process to start
            self._send(200, b"ok", {"Content-Type": "text/plain"})
            return
        if self.path == "/stats":  # for a benchmark in another process: what was received
            counts = {"connections": fake.connections, "requests": len(fake.received)}
            self._send(200, json.dumps(counts).encode(), {"Content-Type": "application/json"})
            return
        if self.path == "/received":  # for a benchmark: every request's method, path and time
            with fake.lock:
                seen = [[r.method, r.path, r.at] for r in fake.received if r.path != "/received"]
            self._send(200, json.dumps(seen).encode(), {"Content-Type": "application/json"})
            return
        if scripted is not None and scripted.create and isinstance(body, dict):
            fake.api.handle("POST", PROJECTS_PATH, {"api_token": fake.token}, raw)
        if scripted is not None and scripted.act_first:
            fake.api.handle(self.command, self.path, self.headers, raw)
        delay = scripted.delay if scripted else fake.delay
        if delay:
            time.sleep(delay)
        fake._gate.wait(timeout=60)
        if scripted is not None and scripted.drop:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if scripted is None or scripted.status == AS_THE_API_WOULD.status:
            answer = fake.api.handle(self.command, self.path, self.headers, raw)
            self._send(answer.status, answer.encoded(), answer.headers)
            return
        payload = scripted.body
        if not isinstance(payload, (bytes, str)):
            payload = json.dumps(payload)
        data = payload.encode() if isinstance(payload, str) else payload
        headers = {**({"Content-Type": scripted.content_type} if data else {}), **scripted.headers}
        if scripted.cut is not None:
            self._cut(scripted.status, data, headers, scripted.cut)
            return
        if scripted.chunked:
            self._chunked(scripted.status, data, headers)
            return
        self._send(scripted.status, data, headers, scripted.trickle)

    def _send(
        self, status: int, data: bytes, headers: dict[str, str], trickle: float = 0.0
    ) -> None:
        try:
            if trickle:
                self._trickle(status, data, headers, trickle)
                return
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True  # the client gave up waiting: a timeout test

    def _cut(self, status: int, data: bytes, headers: dict[str, str], keep: int) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data) + 10))
        self.end_headers()
        self.wfile.write(data[:keep])
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def _chunked(self, status: int, data: bytes, headers: dict[str, str]) -> None:
        """The body in chunks of 64 KB, its length never announced."""
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(data), 64 * 1024):
                piece = data[start : start + 64 * 1024]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True  # the client stopped reading

    def _trickle(self, status: int, data: bytes, headers: dict[str, str], pause: float) -> None:
        head = f"HTTP/1.1 {status} Slow\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in headers.items()
        )
        head += f"Content-Length: {len(data)}\r\n\r\n"
        self.wfile.write(head.encode())
        self.wfile.flush()
        for index in range(len(data)):
            time.sleep(pause)
            self.wfile.write(data[index : index + 1])
            self.wfile.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, fake: FakeBriaState, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.fake = fake


class FakeBriaServer:
    """`with FakeBriaServer() as api:`; `api.base_url` goes in BRIA_API_BASE_URL."""

    def __init__(
        self,
        token: str = "test-token",
        delay: float = 0.0,
        folder: Path | None = None,
        port: int = 0,
    ) -> None:
        self._folder = None if folder else tempfile.TemporaryDirectory(prefix="fake-bria-")
        where = folder or Path(self._folder.name)  # type: ignore[union-attr]
        self.fake = FakeBriaState(FakeBria(where / "fake-bria.sqlite3", token), delay)
        self._server = _Server(self.fake, port)
        # The addresses of the images it holds are its own.
        self.fake.api.images.origin = self.base_url.rsplit("/v1", 1)[0]
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
        if self._folder is not None:
            self._folder.cleanup()

    def serve_forever(self) -> None:
        """For a benchmark that runs the fake in its own process."""
        self._server.serve_forever()


def main(argv: list[str] | None = None, ready: Callable[[str], None] = print) -> None:
    """`python -m tests.support.fake_api --port 8099 --delay 0.3`: serve until killed."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--token", default="bench-token")
    parser.add_argument("--light", action="store_true", help="keep no request bodies")
    parser.add_argument("--training-seconds", type=float, default=None)
    parser.add_argument("--generation-seconds", type=float, default=None)
    args = parser.parse_args(argv)
    server = FakeBriaServer(args.token, args.delay, port=args.port)
    server.fake.light = args.light
    if args.training_seconds is not None:
        server.fake.api.model_endpoints.training_seconds = args.training_seconds
    if args.generation_seconds is not None:
        server.fake.api.generation_endpoints.seconds = args.generation_seconds
    ready(server.base_url)
    server.serve_forever()


if __name__ == "__main__":
    main()
