"""The sandbox's fake API in process, with failures that a test scripts, for tests that
need no HTTP (the workflows, the snapshot). Over HTTP, `fake_api.py` does the same."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from webapp import create_app
from webapp.bria import Bria
from webapp.bria.transport import Transport
from webapp.sandbox import SANDBOX_BASE_URL, FakeBria, Reply, SandboxAdapter
from webapp.services import Services

TOKEN = "scripted-token"
#: A scripted step: an exception to raise, an `Answer` to give, or a callable to run first.
Step = BaseException | Reply | Callable[[], None]


class ScriptedAdapter(SandboxAdapter):
    def __init__(self, fake: FakeBria) -> None:
        super().__init__(fake)
        self.script: deque[tuple[Step, bool]] = deque()
        self.sent: list[tuple[str, str, Any]] = []
        self.delay = 0.0
        self._lock = threading.Lock()

    def then(self, step: Step, act_first: bool = False) -> None:
        """The next call meets `step`; `act_first` lets the fake do what was asked first
        (the project is created, then the answer is lost)."""
        with self._lock:
            self.script.append((step, act_first))

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        with self._lock:
            self.sent.append((request.method or "", request.path_url, request.body))
            step, act_first = self.script.popleft() if self.script else (None, False)
        if self.delay:
            time.sleep(self.delay)
        if act_first:
            super().send(request, **kwargs)
        if isinstance(step, BaseException):
            raise step
        if callable(step):
            step()
        if isinstance(step, Reply):
            return self.respond(request, step)
        return super().send(request, **kwargs)

    def calls(self, method: str) -> list[tuple[str, str, Any]]:
        return [call for call in self.sent if call[0] == method]


def scripted_client(
    folder: Path, timeout: float = 2.0, **kwargs: Any
) -> tuple[Bria, ScriptedAdapter]:
    adapter = ScriptedAdapter(FakeBria(folder / "fake-bria.sqlite3", TOKEN))
    return Bria(Transport(SANDBOX_BASE_URL, TOKEN, timeout, adapter=adapter, **kwargs)), adapter


def scripted_services(
    database_url: str, folder: Path, timeout: float = 2.0, per_minute: int | None = None
) -> tuple[Services, ScriptedAdapter]:
    """The app's services, as `create_app` builds them, on a migrated database, with a
    scripted fake standing in for Bria (the budget applies when `per_minute` is given).

    A `timeout` below what a setting may be (tests wait less) is set afterwards."""
    adapter = ScriptedAdapter(FakeBria(folder / "fake-bria.sqlite3", TOKEN))
    config = {
        "TESTING": True,
        "SECRET_KEY": "scripted-secret-0123456789",
        "BRIA_API_TOKEN": TOKEN,
        "BRIA_API_BASE_URL": SANDBOX_BASE_URL,
        "BRIA_REQUESTS_PER_MINUTE": per_minute or 100_000,
        "DATABASE_URL": database_url,
    }
    app = create_app(config, instance_path=str(folder / "instance"), adapter=adapter)
    svc: Services = app.extensions["webapp"]
    object.__setattr__(svc, "timeout", timeout)
    svc.bria.transport.timeout = (min(5.0, timeout), timeout)
    return svc, adapter
