"""The sandbox's answers, in the shapes Bria gives them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    412: "Precondition Failed",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
}


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        if self.status == 204:
            return b""
        return self.body if isinstance(self.body, bytes) else json.dumps(self.body).encode()


def timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def error(status: int, code: str, message: str, details: Any = None) -> Reply:
    return Reply(status, {"error": {"code": code, "message": message, "details": details or {}}})


def not_allowed(method: str) -> Reply:
    return error(405, "method_not_allowed", f"{method} is not allowed here")


def json_object(raw: bytes | str | None) -> dict[str, Any] | Reply:
    """The request's JSON object, or the 400 Bria answers when it is not one."""
    try:
        fields = json.loads(raw or b"")
    except ValueError:
        return error(400, "invalid_json", "The request body must be JSON")
    if not isinstance(fields, dict):
        return error(400, "invalid_json", "The request body must be a JSON object")
    return fields


def refused(problems: dict[str, str]) -> Reply:
    first = next(iter(problems))
    return error(400, "validation_error", f"{first} {problems[first]}", problems)
