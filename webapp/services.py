"""The long-lived objects a request or a job needs, built once per process.

`build_services` is the one place the graph is put together, for the app, the job
consumer and the tests alike (a test passes its own `adapter` to stand in for Bria).
Features keep their own objects here too without this module knowing them:
`svc.get(Factory)` builds `Factory(svc)` once per process and hands it back after.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from flask import current_app
from requests.adapters import BaseAdapter
from sqlalchemy.engine import Engine

from webapp.bria import Bria
from webapp.bria.transport import Transport
from webapp.bria.transport.budget import Admission, RequestBudget
from webapp.database.engine import make_engine
from webapp.jobs import Jobs, make_huey
from webapp.ledger.shared_reads import SharedReads
from webapp.ledger.submissions import Ledger
from webapp.sandbox import SANDBOX_BASE_URL, SANDBOX_TOKEN, FakeBria, SandboxAdapter
from webapp.settings import CONNECT_TIMEOUT_SECONDS, Settings

Made = TypeVar("Made")


@dataclass(frozen=True)
class Services:
    settings: Settings = field(repr=False)
    #: The instance folder: the sandbox's file, the job queue's, uploaded files.
    instance: Path
    engine: Engine
    bria: Bria
    ledger: Ledger
    reads: SharedReads
    jobs: Jobs
    #: The shared request budget; None in the sandbox, which has no limit.
    budget: RequestBudget | None
    #: The sandbox's fake API when there is no token (None in real mode).
    fake: FakeBria | None
    #: Seconds Bria has to answer (`BRIA_API_TIMEOUT`).
    timeout: float
    _made: dict[Any, Any] = field(default_factory=dict, repr=False)
    _making: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @property
    def sandbox(self) -> bool:
        return self.settings.sandbox

    def get(self, factory: Callable[[Services], Made]) -> Made:
        """The one `factory(self)` of this process (a feature's own long-lived object)."""
        made = self._made.get(factory)
        if made is None:
            with self._making:
                made = self._made.get(factory)
                if made is None:
                    made = self._made[factory] = factory(self)
        return made


def build_services(
    settings: Settings, instance: Path, adapter: BaseAdapter | None = None
) -> Services:
    """Everything a process needs. `adapter` stands in for the network (a test's fake);
    without a token, the sandbox does."""
    engine = make_engine(settings.database_url, settings.database)
    budget = None
    fake = None
    if settings.sandbox:  # the sandbox is not Bria: it has no budget
        fake = FakeBria(instance / "sandbox.sqlite3", SANDBOX_TOKEN)
        fake.model_endpoints.training_seconds = settings.sandbox_training_seconds
        fake.model_endpoints.training_outcome = settings.sandbox_training_outcome
        transport = Transport(
            SANDBOX_BASE_URL,
            SANDBOX_TOKEN,
            settings.bria_api_timeout,
            adapter=adapter or SandboxAdapter(fake),
            admission=Admission(settings.max_waiting_on_bria),
        )
    else:
        budget = RequestBudget(engine, settings.bria_requests_per_minute)
        transport = Transport(
            settings.bria_api_base_url,
            settings.token,
            settings.bria_api_timeout,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            adapter=adapter,
            pool_size=settings.max_waiting_on_bria,
            admission=Admission(settings.max_waiting_on_bria, budget),
            v2_url=settings.bria_api_v2_url or None,
        )
    return Services(
        settings=settings,
        instance=instance,
        engine=engine,
        bria=Bria(transport),
        ledger=Ledger(engine),
        reads=SharedReads(engine, lease_seconds=settings.bria_api_timeout + 10),
        jobs=Jobs(make_huey(settings.job_queue_url, instance), engine, settings.job_lease_seconds),
        budget=budget,
        fake=fake,
        timeout=settings.bria_api_timeout,
    )


def services() -> Services:
    """The current app's services (inside a request, a command or a job)."""
    return current_app.extensions["webapp"]
