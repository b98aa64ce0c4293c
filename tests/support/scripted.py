"""The sandbox's fake API in process, with failures that a test scripts, for tests that
need no HTTP (the workflows, the snapshot). Over HTTP, `fake_api.py` does the same."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import requests

from webapp.bria import Bria
from webapp.bria.transport import Transport
from webapp.projects.service import reconcile_open
from webapp.projects.snapshot import ProjectSnapshot
from webapp.sandbox import SANDBOX_BASE_URL, FakeBria, Reply, SandboxAdapter
from webapp.services import Services, build_services
from webapp.settings import read_settings

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
    database_url: str,
    folder: Path,
    timeout: float = 2.0,
    per_minute: int | None = None,
    max_waiting: int = 48,
) -> tuple[Services, ScriptedAdapter]:
    """The app's services, built as the app builds them, on a migrated database, with a
    scripted fake standing in for Bria (the budget applies when `per_minute` is given)."""
    env = {
        "BRIA_API_TOKEN": TOKEN,
        "BRIA_API_BASE_URL": SANDBOX_BASE_URL,
        "BRIA_REQUESTS_PER_MINUTE": str(per_minute or 100_000),
        "DATABASE_URL": database_url,
        "SECRET_KEY": "scripted-secret-0123456789",
    }
    settings = replace(
        read_settings(env, folder),
        bria_api_timeout=timeout,  # below what a setting may be: tests wait less
        max_waiting_on_bria=max_waiting,
    )
    adapter = ScriptedAdapter(FakeBria(folder / "fake-bria.sqlite3", TOKEN))
    svc = build_services(settings, folder, adapter)
    svc.outbox.retry_seconds = 0.05
    svc.get(ProjectSnapshot).after_refresh.append(partial(reconcile_open, svc))
    return svc, adapter
