"""The long-lived objects a request needs, built once per process by `create_app`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy.engine import Engine

from webapp.access import AccessGate
from webapp.bria import BriaClient
from webapp.budget import Admission, RequestBudget
from webapp.config import CONNECT_TIMEOUT_SECONDS, Settings
from webapp.database import make_engine
from webapp.ledger import Ledger
from webapp.outbox import Outbox
from webapp.sandbox import SANDBOX_BASE_URL, SANDBOX_TOKEN, FakeBria, ProjectStore, SandboxAdapter
from webapp.shared_reads import SharedReads
from webapp.snapshot import ProjectSnapshot

#: A project's page is served from what was read this recently (the list included).
PROJECT_TTL_SECONDS = 10.0


@dataclass(frozen=True)
class Services:
    engine: Engine
    client: BriaClient
    ledger: Ledger
    snapshot: ProjectSnapshot
    outbox: Outbox
    access: AccessGate
    budget: RequestBudget | None
    sandbox: bool
    timeout: float


def build_services(settings: Settings, instance: Path) -> Services:
    engine = make_engine(settings.database_url, settings.database)
    budget = None
    if settings.sandbox:  # the sandbox is not Bria: it has no budget
        fake = FakeBria(ProjectStore(instance / "sandbox.sqlite3"), SANDBOX_TOKEN)
        client = BriaClient(
            SANDBOX_BASE_URL,
            SANDBOX_TOKEN,
            settings.bria_api_timeout,
            mount=SandboxAdapter(fake),
            admission=Admission(settings.max_waiting_on_bria, None),
        )
    else:
        budget = RequestBudget(engine, settings.bria_requests_per_minute)
        client = BriaClient(
            settings.bria_api_base_url,
            settings.bria_api_token,
            settings.bria_api_timeout,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            pool_size=settings.max_waiting_on_bria,
            admission=Admission(settings.max_waiting_on_bria, budget),
        )
    reads = SharedReads(engine, lease_seconds=settings.bria_api_timeout + 10)
    snapshot = ProjectSnapshot(
        engine, client, reads, settings.bria_list_max_age, PROJECT_TTL_SECONDS
    )
    return Services(
        engine=engine,
        client=client,
        ledger=Ledger(engine),
        snapshot=snapshot,
        outbox=Outbox(),
        access=AccessGate(engine, settings.access_password_hash),
        budget=budget,
        sandbox=settings.sandbox,
        timeout=settings.bria_api_timeout,
    )


def services() -> Services:
    return current_app.extensions["webapp"]
