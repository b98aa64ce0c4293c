"""Generating with a trained model (Bria's v2 path): ask, then follow the status address.

Bria answers a generation with 202, a `request_id` and a `status_url`. The status
address is followed only on Bria's own hosts (the token goes with it), and the
result's image is fetched without the token, at most `MAX_RESULT_BYTES`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from webapp.bria.errors import BAD_RESPONSE, BriaUnconfirmed
from webapp.bria.transport import Transport
from webapp.bria.transport.bodies import shorten
from webapp.rules.models import MAX_RESULT_BYTES

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


@dataclass(frozen=True)
class Asked:
    request_id: str
    status_url: str


@dataclass(frozen=True)
class Status:
    status: str
    image_url: str | None = None
    reason: str | None = None


class Generation:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def generate(self, model_id: int, prompt: str, aspect_ratio: str = "1:1") -> Asked:
        body = {
            "tailored_model_id": str(int(model_id)),
            "prompt": prompt,
            "aspect_ratio": aspect_ratio,
        }
        answer = self.transport.call(
            "POST", "/image/generate/tailored", json=body, base=self.transport.v2_url
        )
        data = self.transport.json_of(answer)
        request_id = data.get("request_id") if isinstance(data, dict) else None
        if not isinstance(request_id, str) or not _REQUEST_ID.match(request_id):
            raise self.transport.unreadable(answer, "Bria accepted it but gave no request id")
        status_url = data.get("status_url")
        if not isinstance(status_url, str):
            status_url = f"{self.transport.v2_url}/status/{request_id}"
        if not self.transport.is_bria(status_url):
            raise self.transport.unreadable(
                answer, "Bria's answer points at a status address on another host: not followed"
            )
        return Asked(request_id, status_url)

    def status(self, asked: Asked) -> Status:
        """Where a generation is; a status URL off Bria's hosts is never followed."""
        if not self.transport.is_bria(asked.status_url):
            raise BriaUnconfirmed(BAD_RESPONSE, "The status address is not one of Bria's")
        answer = self.transport.call(
            "GET", f"/status/{asked.request_id}", base=self.transport.v2_url
        )
        data = self.transport.json_of(answer)
        if not isinstance(data, dict) or not isinstance(data.get("status"), str):
            raise self.transport.unreadable(answer, "The status answer has no status in it")
        result: Any = data.get("result")
        image_url = result.get("image_url") if isinstance(result, dict) else None
        error: Any = data.get("error")
        reason = error.get("message") if isinstance(error, dict) else error
        return Status(
            data["status"],
            image_url if isinstance(image_url, str) else None,
            # Shown on the page as Bria's reason: redacted and cut, as every reason is.
            shorten(reason, self.transport.token) if isinstance(reason, str) else None,
        )

    def result(self, image_url: str) -> bytes:
        return self.transport.download(image_url, MAX_RESULT_BYTES)
