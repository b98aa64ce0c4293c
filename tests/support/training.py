"""What the models, training, generation and activity tests share: a completed dataset and
models made at the fake (as Bria's console or a script makes them), a model moved on to
another status as Bria moves it, and a team chat's incoming webhook to post to."""

from __future__ import annotations

import functools
import json
import ssl
import subprocess
import tempfile
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from webapp.sandbox import FakeBria

MODELS = "/v1/tailored-gen/models"


def completed_dataset_at(
    fake: FakeBria,
    name: str = "Summer shots",
    training_version: str | None = None,
    **project: Any,
) -> tuple[int, int]:
    """A project and a completed dataset in it, made at the fake: (project id, dataset id)."""
    fields = {"project_name": "Lora", **project}
    made = fake.projects.add(**fields)
    extra = {"training_version": training_version} if training_version else {}
    dataset = fake.datasets.add(made["id"], name=name, status="completed", **extra)
    return made["id"], dataset["id"]


def call(fake: FakeBria, method: str, path: str, body: Any = None) -> Any:
    """A request to the fake as another client of Bria's would send it; its answer."""
    reply = fake.handle(
        method,
        path,
        {"api_token": fake.token, "Content-Type": "application/json"},
        json.dumps(body).encode() if body is not None else None,
    )
    assert reply.status < 300, (reply.status, reply.body)
    return reply.body


def model_at(
    fake: FakeBria,
    dataset_id: int,
    name: str = "Fox",
    training_mode: str = "fully_automated",
    **changes: Any,
) -> dict[str, Any]:
    """A model made at the fake (in Bria's console); `changes` set on it afterwards (a
    status, say), as Bria would have moved it on."""
    made = call(
        fake,
        "POST",
        MODELS,
        {"name": name, "dataset_id": dataset_id, "training_mode": training_mode},
    )
    if changes:
        made = fake.model_endpoints.models.update(made["id"], changes)
    return made


def start_at(fake: FakeBria, model_id: int) -> dict[str, Any]:
    """Training started at the fake (by a script, not through the app)."""
    return call(fake, "POST", f"{MODELS}/{model_id}/start_training", {})


def set_status(fake: FakeBria, model_id: int, status: str, **more: Any) -> None:
    """Bria moves the model on (its training ends, say)."""
    fake.model_endpoints.models.update(model_id, {"status": status, **more})


def model_page(project_id: int, model_id: int, rest: str = "") -> str:
    return f"/projects/{project_id}/models/{model_id}{rest}"


# -- a team chat's incoming webhook ------------------------------------------------


@functools.cache
def certificate() -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (the webhook must be https) and its key, made once per
    test process; a client trusts it through REQUESTS_CA_BUNDLE."""
    folder = Path(tempfile.mkdtemp(prefix="team-chat-"))
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@dataclass
class Post:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class _ChatHandler(BaseHTTPRequestHandler):
    server: _ChatServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_POST(self) -> None:
        chat = self.server.chat
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with chat.lock:
            chat.posts.append(Post(self.path, dict(self.headers), body))
            status = chat.answers.popleft() if chat.answers else 200
        data = b"ok" if status < 300 else b"no"
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _ChatServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, chat: TeamChat) -> None:
        super().__init__(("127.0.0.1", 0), _ChatHandler)
        self.chat = chat


class TeamChat:
    """`with TeamChat() as chat:` an incoming webhook at `chat.url` (https, trusted through
    `chat.bundle`) that keeps every post; `answers` are the statuses it gives, in order
    (then 200)."""

    def __init__(self, *answers: int) -> None:
        self.posts: list[Post] = []
        self.answers: deque[int] = deque(answers)
        self.lock = threading.Lock()
        cert, key = certificate()
        self.bundle = str(cert)
        self._server = _ChatServer(self)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self._server.server_address[1]}/services/team-hook"

    def __enter__(self) -> TeamChat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
