"""For load balancers and orchestrators: liveness (`/healthz`) and readiness (`/readyz`).

Neither calls Bria. `/healthz` answers quickly with reads of small tables (bounded
by the database's time limits), and says whether the job runner is alive; `/readyz`
says whether the database takes writes, which every create needs. A database that is
down, hanging, read-only or corrupted makes them answer 503, not a server error.
"""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from webapp.database.engine import UNAVAILABLE, write_heartbeat
from webapp.database.tables import heartbeat
from webapp.services import services
from webapp.web.security import public

bp = Blueprint("health", __name__)

Status = tuple[dict[str, object], int]
NOT_USABLE = (DBAPIError, *UNAVAILABLE)


def _mode() -> str:
    return "sandbox" if services().sandbox else "live"


@bp.get("/healthz")
@public
def healthz() -> Status:
    """Liveness, with the job runner's state: whether a consumer has been heard from in
    the last few minutes, and how much work waits. A consumer that is gone does not make
    this server unhealthy (restarting it would not help); it is said, for monitoring."""
    jobs = services().jobs
    try:
        with services().engine.connect() as db:
            db.execute(select(heartbeat.c.beat_at)).all()
        consumers, waiting = jobs.consumers_alive(), jobs.queue.waiting_count()
    except NOT_USABLE:  # down, hanging past its limits, or a file that is not a database
        return {"status": "database unavailable", "mode": _mode()}, 503
    state = {"consumer": "running" if consumers else "not running", "waiting": waiting}
    return {"status": "ok", "mode": _mode(), "jobs": state}, 200


@bp.get("/readyz")
@public
def readyz() -> Status:
    try:
        write_heartbeat(services().engine)
    except NOT_USABLE:
        return {"status": "database cannot be written", "mode": _mode()}, 503
    return {"status": "ready", "mode": _mode()}, 200
