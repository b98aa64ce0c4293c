"""What the datasets pages' tests share: the sandbox behind the app, and every request the
app sends it (to say "nothing was sent" exactly)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask

from tests.images.flows import fake_of, services
from webapp.sandbox import FakeBria


@dataclass
class Sent:
    calls: list[tuple[str, str, Any]]

    def of(self, method: str, path_suffix: str = "") -> list[tuple[str, str, Any]]:
        """Requests of `method` whose path (after /v1) ends with `path_suffix`."""
        return [c for c in self.calls if c[0] == method and c[1].endswith(path_suffix)]

    def changes(self) -> list[tuple[str, str]]:
        """Everything but reads."""
        return [(m, p) for m, p, _ in self.calls if m != "GET"]

    def clear(self) -> None:
        self.calls.clear()


@pytest.fixture
def sandbox(app: Flask) -> FakeBria:
    return fake_of(app)


@pytest.fixture
def sent(app: Flask, monkeypatch) -> Sent:
    """Every request the app sends the sandbox: (method, path after /v1, body)."""
    recorded = Sent([])
    adapter = services(app).bria.transport._adapter
    original = adapter.send

    def send(request, **kwargs):
        path = urlsplit(request.url).path.removeprefix("/v1")
        recorded.calls.append((request.method, path, request.body))
        return original(request, **kwargs)

    monkeypatch.setattr(adapter, "send", send)
    return recorded
