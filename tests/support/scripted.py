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

from webapp.bria import BriaClient
from webapp.sandbox import SANDBOX_BASE_URL, Answer, FakeBria, ProjectStore, SandboxAdapter

TOKEN = "scripted-token"
#: A scripted step: an exception to raise, an `Answer` to give, or a callable to run first.
Step = BaseException | Answer | Callable[[], None]


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
        if isinstance(step, Answer):
            return self.respond(request, step)
        return super().send(request, **kwargs)

    def calls(self, method: str) -> list[tuple[str, str, Any]]:
        return [call for call in self.sent if call[0] == method]


def scripted_client(
    folder: Path, timeout: float = 2.0, **kwargs: Any
) -> tuple[BriaClient, ScriptedAdapter]:
    store = ProjectStore(folder / "fake-bria.sqlite3")
    adapter = ScriptedAdapter(FakeBria(store, TOKEN))
    return BriaClient(SANDBOX_BASE_URL, TOKEN, timeout, mount=adapter, **kwargs), adapter


def scripted_services(
    database_url: str,
    folder: Path,
    timeout: float = 2.0,
    per_minute: int | None = None,
    max_waiting: int = 48,
) -> tuple[Any, ScriptedAdapter]:
    """The app's services on a migrated database, with a scripted fake for Bria."""
    from webapp.access import AccessGate
    from webapp.budget import Admission, RequestBudget
    from webapp.config import DEFAULT_LIST_MAX_AGE_SECONDS
    from webapp.database import make_engine
    from webapp.ledger import Ledger
    from webapp.outbox import Outbox
    from webapp.services import PROJECT_TTL_SECONDS, Services
    from webapp.shared_reads import SharedReads
    from webapp.snapshot import ProjectSnapshot
    from webapp.submissions import settle_open

    engine = make_engine(database_url)
    budget = RequestBudget(engine, per_minute) if per_minute else None
    client, adapter = scripted_client(folder, timeout, admission=Admission(max_waiting, budget))
    reads = SharedReads(engine, lease_seconds=timeout + 10)
    snapshot = ProjectSnapshot(
        engine, client, reads, DEFAULT_LIST_MAX_AGE_SECONDS, PROJECT_TTL_SECONDS
    )
    svc = Services(
        engine=engine,
        client=client,
        ledger=Ledger(engine),
        snapshot=snapshot,
        outbox=Outbox(retry_seconds=0.05),
        access=AccessGate(engine, ""),
        budget=budget,
        sandbox=False,
        timeout=timeout,
    )
    snapshot.after_refresh.append(lambda as_of: settle_open(svc, as_of))
    return svc, adapter
