"""Bria's answers as read whole, and what a failed one says, in all the shapes it comes in.

Error bodies arrive as a JSON envelope (`{"error": {"message"}, "request_id"}`), a bare
JSON string (403: "Quota exceeded: …"), plain text, an HTML page from a proxy, or
nothing. Whatever it is, the app's token is hidden before anything is kept.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MESSAGE_LIMIT = 300
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
#: The shortest piece of the token worth hiding when a cut leaves only its start.
_SHORTEST_TOKEN_PIECE = 4
#: Any longer piece of the token, anywhere in a message, is hidden.
_LONGEST_SAFE_PIECE = 7


@dataclass(frozen=True)
class Answer:
    """What Bria sent back, read whole (within the transport's size limit)."""

    status_code: int
    reason: str
    headers: Mapping[str, str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body as JSON; raises ValueError when it is not."""
        return json.loads(self.content)


def redact(text: str, token: str) -> str:
    """Hide the token, any piece of it that is long enough to help guess the rest, and
    any start of it that ends the text (a message cut mid-token)."""
    if not token:
        return text
    text = text.replace(token, "[redacted]")
    kept, position = [], 0
    while position < len(text):
        longest = next(
            (
                length
                for length in range(min(len(token), len(text) - position), _LONGEST_SAFE_PIECE, -1)
                if text[position : position + length] in token
            ),
            0,
        )
        if longest:
            kept.append("[redacted]")
            position += longest
        else:
            kept.append(text[position])
            position += 1
    text = "".join(kept)
    for length in range(len(token) - 1, _SHORTEST_TOKEN_PIECE - 1, -1):
        if text.endswith(token[:length]):
            return text[: len(text) - length] + "[redacted]"
    return text


def shorten(text: str, token: str) -> str:
    """Redact, then cut to `MESSAGE_LIMIT`, then redact what the cut may have exposed."""
    text = redact(_SPACE.sub(" ", text).strip(), token)
    if len(text) > MESSAGE_LIMIT:
        text = redact(text[: MESSAGE_LIMIT - 1], token) + "…"
    return text


def message_from_body(response: Answer, token: str = "") -> str:
    """Read the API's reason from a JSON envelope, a JSON string, text, HTML or nothing."""
    fallback = f"HTTP {response.status_code} {response.reason or ''}".strip()
    body = response.text or ""
    if not body.strip():
        return fallback
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    else:
        if isinstance(data, str) and data.strip():
            return shorten(data, token)
        if isinstance(data, dict):
            error = data.get("error")
            if isinstance(error, dict) and isinstance(error.get("message"), str):
                return shorten(error["message"], token)
            for key in ("message", "detail", "error"):
                value = data.get(key)
                if isinstance(value, str) and value.strip():
                    return shorten(value, token)
        return fallback
    if "<" in body and ">" in body:
        title = _TITLE.search(body)
        text = shorten(html.unescape(title.group(1) if title else _TAG.sub(" ", body)), token)
        return f"{fallback}: {text}" if text and text not in fallback else fallback
    return shorten(body, token)


def safe_request_id(value: object, token: str = "") -> str | None:
    """A request id fit for a log line and a page: a short run of safe characters.

    Anything else (a newline that would forge a log line, the token quoted back)
    is not kept at all."""
    if not isinstance(value, str) or not _REQUEST_ID.match(value):
        return None
    return value if redact(value, token) == value else None


def request_id_of(response: Answer, token: str = "") -> str | None:
    header = response.headers.get("x-request-id") or response.headers.get("request-id")
    if header:
        return safe_request_id(header, token)
    try:
        data = response.json()
    except ValueError:
        return None
    return safe_request_id(data.get("request_id"), token) if isinstance(data, dict) else None


def retry_after_of(response: Answer) -> float | None:
    """Seconds Bria asked to wait (`Retry-After` in seconds, at most an hour), if any."""
    raw = response.headers.get("retry-after", "")
    try:
        seconds = float(raw)
    except ValueError:
        return None
    return seconds if 0 <= seconds <= 3600 else None
