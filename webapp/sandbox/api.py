"""`FakeBria`: a stand-in for Bria's API, written once, one module per resource.

It answers a request (method, path, headers, body) as Bria would, from the
sandbox's own SQLite file. It is served two ways:

- `SandboxAdapter` (`webapp.sandbox.adapter`), a `requests` transport adapter: sandbox
  mode mounts it under the Bria client's transport, so the very same client code
  builds requests, reads answers and translates failures as in real mode;
- the tests' HTTP server (`tests/support/fake_api.py`), which adds scripted failures.

An endpoint added here therefore exists in both at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from webapp.sandbox.database import SandboxDatabase
from webapp.sandbox.projects import PATH as PROJECTS_PATH
from webapp.sandbox.projects import ProjectEndpoints, ProjectStore
from webapp.sandbox.replies import Reply, error

SANDBOX_BASE_URL = "https://sandbox.bria.invalid/v1"
SANDBOX_TOKEN = "sandbox"


class FakeBria:
    """Bria's endpoints, answered from one sandbox file with the API's rules."""

    def __init__(self, path: Path, token: str) -> None:
        self.database = SandboxDatabase(path)
        self.token = token
        self.projects = ProjectStore(self.database)
        #: Each resource's endpoints by the path that leads to them (after /v1/).
        self._routes = {PROJECTS_PATH: ProjectEndpoints(self.projects)}

    def handle(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | str | None
    ) -> Reply:
        reply = self._route(method, urlsplit(url).path, headers, body)
        request_id = uuid.uuid4().hex
        if isinstance(reply.body, dict) and "error" in reply.body:
            reply.body["request_id"] = request_id
        reply.headers.setdefault("X-Request-Id", request_id)
        if reply.status != 204:
            reply.headers.setdefault("Content-Type", "application/json")
        return reply

    def _route(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes | str | None
    ) -> Reply:
        if headers.get("api_token") != self.token:
            return error(401, "unauthorized", "Missing or invalid api_token header")
        parts = [part for part in path.split("/") if part]
        if parts[:1] != ["v1"]:
            return error(404, "not_found", "Unknown endpoint")
        for prefix, endpoints in self._routes.items():
            length = prefix.count("/") + 1
            if "/".join(parts[1 : 1 + length]) == prefix:
                return endpoints.handle(method, parts[1 + length :], body)
        return error(404, "not_found", "Unknown endpoint")
