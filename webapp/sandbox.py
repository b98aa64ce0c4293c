"""A stand-in for Bria's project endpoints: the API's rules and shapes, written once.

`FakeBria` answers a request (method, path, headers, body) as Bria would, from a
`ProjectStore` kept in SQLite. It is served two ways:

- `SandboxAdapter`, a `requests` transport adapter: sandbox mode mounts it on the
  client's session, so the very same client code builds requests, reads answers
  and translates failures as in real mode; only the network is replaced.
- the tests' HTTP server (`tests/support/fake_api.py`), which adds scripted
  failures: delays, dropped connections, odd answers.

An endpoint added here (datasets, say) therefore exists in both at once.
"""

from __future__ import annotations

import io
import json
import sqlite3
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from webapp.database import create_private_file
from webapp.rules import (
    EDITABLE_FIELDS,
    REQUEST_FIELDS,
    problems_with,
    problems_with_changes,
)

PROJECTS_PATH = "/v1/tailored-gen/projects"
SANDBOX_BASE_URL = "https://sandbox.bria.invalid/v1"
SANDBOX_TOKEN = "sandbox"
_TEXT_FIELDS = ("project_description", "ip_name", "ip_description")
REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
}


def _timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class ProjectStore:
    """Projects in one SQLite file; each call opens its own short connection, so
    several processes (gunicorn workers) share one sandbox."""

    def __init__(self, path: Path) -> None:
        self.path = path
        create_private_file(path)
        self._lock = threading.Lock()
        db = self._connect()
        try:
            # Workers and `flask` commands start together on one file: one at a time here.
            db.execute("BEGIN IMMEDIATE")
            db.execute(
                "CREATE TABLE IF NOT EXISTS projects ("
                " id INTEGER PRIMARY KEY AUTOINCREMENT,"
                " body TEXT NOT NULL,"
                " training INTEGER NOT NULL DEFAULT 0)"
            )
            columns = {row[1] for row in db.execute("PRAGMA table_info(projects)")}
            if "training" not in columns:  # sandboxes made before delete existed
                db.execute("ALTER TABLE projects ADD COLUMN training INTEGER NOT NULL DEFAULT 0")
            db.commit()
        finally:
            db.close()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10)
        db.execute("PRAGMA busy_timeout = 10000")
        return db

    def create(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """A project as the API makes it from a valid body."""
        project = {
            "project_name": fields["project_name"],
            **{name: fields.get(name) or "" for name in _TEXT_FIELDS},
            "ip_medium": fields["ip_medium"],
            "ip_type": fields["ip_type"],
            "training_version": fields.get("training_version"),
        }
        return self.add(**project)

    def add(self, **fields: Any) -> dict[str, Any]:
        """Store a project as given (tests set odd values and old dates this way)."""
        now = _timestamp()
        project = {
            "project_name": "",
            "project_description": "",
            "ip_name": "",
            "ip_description": "",
            "ip_medium": "illustration",
            "ip_type": "other",
            "training_version": None,
            "status": "active",
            "created_at": now,
            "updated_at": now,
            **fields,
        }
        project.pop("id", None)
        with self._lock, self._connect() as db:
            cursor = db.execute("INSERT INTO projects (body) VALUES (?)", (json.dumps(project),))
            project_id = cursor.lastrowid
        return {"id": project_id, **project}

    def get(self, project_id: int) -> dict[str, Any] | None:
        with self._connect() as db:
            row = db.execute("SELECT id, body FROM projects WHERE id = ?", (project_id,)).fetchone()
        return {"id": row[0], **json.loads(row[1])} if row else None

    def all(self) -> list[dict[str, Any]]:
        with self._connect() as db:
            rows = db.execute("SELECT id, body FROM projects ORDER BY id").fetchall()
        return [{"id": row[0], **json.loads(row[1])} for row in rows]

    def update(self, project_id: int, changes: Mapping[str, Any]) -> dict[str, Any] | None:
        with self._lock, self._connect() as db:
            row = db.execute("SELECT body FROM projects WHERE id = ?", (project_id,)).fetchone()
            if row is None:
                return None
            project = {**json.loads(row[0]), **changes, "updated_at": _timestamp()}
            db.execute(
                "UPDATE projects SET body = ? WHERE id = ?", (json.dumps(project), project_id)
            )
        return {"id": project_id, **project}

    def delete(self, project_id: int) -> bool:
        with self._lock, self._connect() as db:
            return db.execute("DELETE FROM projects WHERE id = ?", (project_id,)).rowcount == 1

    def set_training(self, project_id: int, training: bool = True) -> None:
        """Mark a project as having a model in training: deleting it then answers 409."""
        with self._lock, self._connect() as db:
            db.execute("UPDATE projects SET training = ? WHERE id = ?", (int(training), project_id))

    def is_training(self, project_id: int) -> bool:
        with self._connect() as db:
            row = db.execute("SELECT training FROM projects WHERE id = ?", (project_id,)).fetchone()
        return bool(row and row[0])


@dataclass
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        return b"" if self.status == 204 else json.dumps(self.body).encode()


def _error(status: int, code: str, message: str, details: Any = None) -> Answer:
    return Answer(status, {"error": {"code": code, "message": message, "details": details or {}}})


def _json_object(raw: bytes | str | None) -> dict[str, Any] | Answer:
    try:
        fields = json.loads(raw or b"")
    except ValueError:
        return _error(400, "invalid_json", "The request body must be JSON")
    if not isinstance(fields, dict):
        return _error(400, "invalid_json", "The request body must be a JSON object")
    return fields


def _refused(problems: dict[str, str]) -> Answer:
    first = next(iter(problems))
    return _error(400, "validation_error", f"{first} {problems[first]}", problems)


class FakeBria:
    """Bria's project endpoints, answered from a `ProjectStore` with the API's rules."""

    def __init__(self, store: ProjectStore, token: str) -> None:
        self.store = store
        self.token = token

    def handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes | str | None
    ) -> Answer:
        answer = self._route(method, urlsplit(path).path, headers, body)
        request_id = uuid.uuid4().hex
        if isinstance(answer.body, dict) and "error" in answer.body:
            answer.body["request_id"] = request_id
        answer.headers.setdefault("X-Request-Id", request_id)
        if answer.status != 204:
            answer.headers.setdefault("Content-Type", "application/json")
        return answer

    def _route(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes | str | None
    ) -> Answer:
        if headers.get("api_token") != self.token:
            return _error(401, "unauthorized", "Missing or invalid api_token header")
        if not path.startswith(PROJECTS_PATH):
            return _error(404, "not_found", "Unknown endpoint")
        rest = path[len(PROJECTS_PATH) :].strip("/")
        if not rest:
            if method == "GET":
                return Answer(200, self.store.all())
            if method == "POST":
                return self._create(body)
            return _error(405, "method_not_allowed", f"{method} is not allowed here")
        if not rest.isdigit():
            return _error(404, "not_found", "Project not found")
        project_id = int(rest)
        if method == "GET":
            return self._found(project_id, self.store.get(project_id))
        if method == "PUT":
            return self._update(project_id, body)
        if method == "DELETE":
            return self._delete(project_id)
        return _error(405, "method_not_allowed", f"{method} is not allowed here")

    @staticmethod
    def _found(project_id: int, project: dict[str, Any] | None) -> Answer:
        if project is None:
            return _error(404, "not_found", f"Project {project_id} not found")
        return Answer(200, project)

    def _create(self, raw: bytes | str | None) -> Answer:
        fields = _json_object(raw)
        if isinstance(fields, Answer):
            return fields
        problems = problems_with(fields)
        if problems:
            return _refused(problems)
        kept = {name: fields[name] for name in REQUEST_FIELDS if name in fields}
        return Answer(201, self.store.create(kept))

    def _update(self, project_id: int, raw: bytes | str | None) -> Answer:
        project = self.store.get(project_id)
        if project is None:
            return self._found(project_id, None)
        changes = _json_object(raw)
        if isinstance(changes, Answer):
            return changes
        problems = problems_with_changes(changes, project.get("ip_type"))
        if problems:
            return _refused(problems)
        kept = {name: changes[name] for name in EDITABLE_FIELDS if name in changes}
        return self._found(project_id, self.store.update(project_id, kept))

    def _delete(self, project_id: int) -> Answer:
        if self.store.is_training(project_id):
            return _error(409, "conflict", "Cannot delete project while models are in training")
        if not self.store.delete(project_id):
            return self._found(project_id, None)
        return Answer(204)


class SandboxAdapter(BaseAdapter):
    """Answers `requests` calls from a `FakeBria`, with no network in between."""

    def __init__(self, fake: FakeBria) -> None:
        super().__init__()
        self.fake = fake

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        answer = self.fake.handle(
            request.method or "GET", request.url or "", request.headers, request.body
        )
        return self.respond(request, answer)

    @staticmethod
    def respond(request: requests.PreparedRequest, answer: Answer) -> requests.Response:
        """`answer` as the `requests.Response` a transport adapter returns."""
        response = requests.Response()
        response.status_code = answer.status
        response.reason = REASONS.get(answer.status, "")
        response.raw = io.BytesIO(answer.encoded())
        response.headers = CaseInsensitiveDict(answer.headers)
        response.encoding = "utf-8"
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        """Nothing to release: every store call opens and closes its own connection."""
