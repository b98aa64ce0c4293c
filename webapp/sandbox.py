"""A stand-in for Bria's project endpoints, used when no API token is configured.

It is mounted on the client's `requests` session as a transport adapter, so the
very same client code builds requests, reads answers and translates failures as
in real mode; only the network is replaced. It keeps the API's rules (from
`webapp.rules`) and shapes, and stores projects in SQLite so they outlive restarts.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from webapp.bria import PROJECTS_PATH
from webapp.config import SANDBOX_BASE_URL
from webapp.rules import REQUEST_FIELDS, problems_with

SANDBOX_TOKEN = "sandbox"
_PROJECTS_URL_PATH = urlsplit(SANDBOX_BASE_URL).path + PROJECTS_PATH
_TEXT_FIELDS = ("project_description", "ip_name", "ip_description")


class SandboxStore:
    """Projects kept in one SQLite file; each call opens its own short connection."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS projects ("
                " id INTEGER PRIMARY KEY AUTOINCREMENT,"
                " body TEXT NOT NULL)"
            )

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10)
        db.execute("PRAGMA busy_timeout = 10000")
        return db

    def create(self, fields: dict[str, Any]) -> dict[str, Any]:
        now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        project = {
            "project_name": fields["project_name"],
            **{name: fields.get(name) or "" for name in _TEXT_FIELDS},
            "ip_medium": fields["ip_medium"],
            "ip_type": fields["ip_type"],
            "training_version": fields.get("training_version"),
            "status": "active",
            "created_at": now,
            "updated_at": now,
        }
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


def _error(status: int, code: str, message: str, details: Any = None) -> tuple[int, Any]:
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    return status, body


class SandboxAdapter(BaseAdapter):
    """Answers `requests` calls for the project endpoints from a `SandboxStore`."""

    def __init__(self, store: SandboxStore) -> None:
        super().__init__()
        self.store = store

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        status, body = self._answer(request)
        request_id = uuid.uuid4().hex
        if isinstance(body, dict) and "error" in body:
            body["request_id"] = request_id
        response = requests.Response()
        response.status_code = status
        response.reason = {
            200: "OK",
            201: "Created",
            400: "Bad Request",
            401: "Unauthorized",
            404: "Not Found",
            405: "Method Not Allowed",
        }.get(status, "")
        response._content = json.dumps(body).encode()
        response.headers = CaseInsensitiveDict(
            {"Content-Type": "application/json", "X-Request-Id": request_id}
        )
        response.encoding = "utf-8"
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        """Nothing to release: every store call opens and closes its own connection."""

    def _answer(self, request: requests.PreparedRequest) -> tuple[int, Any]:
        if not request.headers.get("api_token"):
            return _error(401, "unauthorized", "Missing api_token header")
        path = urlsplit(request.url or "").path
        if not path.startswith(_PROJECTS_URL_PATH):
            return _error(404, "not_found", "Unknown endpoint")
        rest = path[len(_PROJECTS_URL_PATH) :]
        if rest in ("", "/"):
            if request.method == "GET":
                return 200, self.store.all()
            if request.method == "POST":
                return self._create(request.body)
            return _error(405, "method_not_allowed", f"{request.method} is not allowed here")
        project_id = rest.strip("/")
        if request.method != "GET":
            return _error(405, "method_not_allowed", f"{request.method} is not allowed here")
        if not project_id.isdigit():
            return _error(404, "not_found", "Project not found")
        project = self.store.get(int(project_id))
        if project is None:
            return _error(404, "not_found", f"Project {project_id} not found")
        return 200, project

    def _create(self, raw: bytes | str | None) -> tuple[int, Any]:
        try:
            fields = json.loads(raw or b"")
        except ValueError:
            return _error(400, "invalid_json", "The request body must be JSON")
        if not isinstance(fields, dict):
            return _error(400, "invalid_json", "The request body must be a JSON object")
        problems = problems_with(fields)
        if problems:
            first = next(iter(problems))
            return _error(400, "validation_error", f"{first} {problems[first]}", problems)
        kept = {name: fields[name] for name in REQUEST_FIELDS if name in fields}
        return 201, self.store.create(kept)
