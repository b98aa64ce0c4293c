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
from webapp.sandbox.datasets import DatasetEndpoints, DatasetStore
from webapp.sandbox.generation import GenerationEndpoints
from webapp.sandbox.images import ImageStore, serve_file
from webapp.sandbox.models import ModelEndpoints, ModelStore
from webapp.sandbox.projects import ProjectEndpoints, ProjectStore
from webapp.sandbox.replies import Reply, error

SANDBOX_ORIGIN = "https://sandbox.bria.invalid"
SANDBOX_BASE_URL = SANDBOX_ORIGIN + "/v1"
SANDBOX_TOKEN = "sandbox"


class FakeBria:
    """Bria's endpoints, answered from one sandbox file with the API's rules.

    `origin` is where the sandbox is reached: the addresses of its images start there."""

    def __init__(self, path: Path, token: str, origin: str = SANDBOX_ORIGIN) -> None:
        self.database = SandboxDatabase(path)
        self.token = token
        self.projects = ProjectStore(self.database)
        self.datasets = DatasetStore(self.database)
        self.images = ImageStore(self.database, origin)
        self.dataset_endpoints = DatasetEndpoints(self.projects, self.datasets, self.images)
        self.model_endpoints = ModelEndpoints(ModelStore(self.database), self.datasets)
        self.generation_endpoints = GenerationEndpoints(
            self.database, self.model_endpoints, self.images
        )
        self.project_endpoints = ProjectEndpoints(
            self.projects,
            self.dataset_endpoints,
            on_delete=self.datasets.delete_of_project,
            models=self.model_endpoints,
        )

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
        served = self._file(path) if method == "GET" else None
        if served is not None:  # an image's address: no token, as Bria's are not signed by it
            return served
        if headers.get("api_token") != self.token:
            return error(401, "unauthorized", "Missing or invalid api_token header")
        parts = [part for part in path.split("/") if part]
        if parts[:1] == ["v2"]:
            return self._v2(method, parts[1:], body)
        if parts[:2] != ["v1", "tailored-gen"] or len(parts) < 3:
            return error(404, "not_found", "Unknown endpoint")
        resource, rest = parts[2], parts[3:]
        content_type = headers.get("Content-Type") or headers.get("content-type") or ""
        if resource == "projects":
            return self.project_endpoints.handle(method, rest, body)
        if resource == "datasets":
            return self.dataset_endpoints.handle(method, rest, body, content_type)
        if resource == "generate_visual_schema" and not rest:
            return self.dataset_endpoints.visual_schema(method, body)
        if resource == "models":
            return self.model_endpoints.handle(method, rest, body)
        return error(404, "not_found", "Unknown endpoint")

    def _v2(self, method: str, parts: list[str], body: bytes | str | None) -> Reply:
        if parts == ["image", "generate", "tailored"]:
            return self.generation_endpoints.generate(method, body)
        if len(parts) == 2 and parts[0] == "status":
            return self.generation_endpoints.status(method, parts[1])
        return error(404, "not_found", "Unknown endpoint")

    def _file(self, path: str) -> Reply | None:
        if path.startswith("/files/generated/") and path.endswith(".png"):
            found = self.generation_endpoints.picture(path.rsplit("/", 1)[1][: -len(".png")])
            return found or error(404, "not_found", "No such file")
        return serve_file(path, self.images)
