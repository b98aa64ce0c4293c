"""For load balancers and orchestrators: liveness (`/healthz`) and readiness (`/readyz`).

Neither calls Bria. `/healthz` answers quickly with a read of the database
(bounded by the database's time limits); `/readyz` says whether the database
takes writes, which every create needs.
"""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy import text

from webapp.database import UNAVAILABLE, write_heartbeat
from webapp.services import services

bp = Blueprint("health", __name__)

Answer = tuple[dict[str, str], int]


def _mode() -> str:
    return "sandbox" if services().sandbox else "live"


@bp.get("/healthz")
def healthz() -> Answer:
    try:
        with services().engine.connect() as db:
            db.execute(text("SELECT 1"))
    except UNAVAILABLE:
        return {"status": "database unavailable", "mode": _mode()}, 503
    return {"status": "ok", "mode": _mode()}, 200


@bp.get("/readyz")
def readyz() -> Answer:
    try:
        write_heartbeat(services().engine)
    except UNAVAILABLE:
        return {"status": "database cannot be written", "mode": _mode()}, 503
    return {"status": "ready", "mode": _mode()}, 200
