"""`SandboxAdapter`: the sandbox under the Bria client's transport, with no network between."""

from __future__ import annotations

import io
from typing import Any

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from webapp.sandbox.api import FakeBria
from webapp.sandbox.replies import REASONS, Reply


class SandboxAdapter(BaseAdapter):
    """Answers `requests` calls from a `FakeBria`."""

    def __init__(self, fake: FakeBria) -> None:
        super().__init__()
        self.fake = fake

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        reply = self.fake.handle(
            request.method or "GET", request.url or "", request.headers, request.body
        )
        return self.respond(request, reply)

    @staticmethod
    def respond(request: requests.PreparedRequest, reply: Reply) -> requests.Response:
        """`reply` as the `requests.Response` a transport adapter returns."""
        response = requests.Response()
        response.status_code = reply.status
        response.reason = REASONS.get(reply.status, "")
        response.raw = io.BytesIO(reply.encoded())
        response.headers = CaseInsensitiveDict(reply.headers)
        response.encoding = "utf-8"
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        """Nothing to release: every store call opens and closes its own connection."""
