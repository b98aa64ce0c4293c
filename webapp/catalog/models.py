"""Models as Bria last said, shared by every server, with each model's timeline.

A model's page reads it through a freshness window shared by everyone: one read serves
every viewer, a page shows a status at most `MAX_AGE_SECONDS` old, and however many
ask (pages, the follower job), Bria is asked about a model at most once in
`MIN_GAP_SECONDS`. Each status the app sees a model in is written to its timeline once
(`model_events`, unique per model and status), by whichever server saw it first: that
server alone tells the team when a training ended.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, delete, select

from webapp.bria.errors import BriaNotFound
from webapp.database.engine import db_now, insert_unless_present, upsert_newer_wins
from webapp.database.tables import model_events, snapshot_models
from webapp.ledger.shared_reads import Freshness
from webapp.rules.models import ENDED, IN_PROGRESS

if TYPE_CHECKING:
    from webapp.services import Services

Model = dict[str, Any]
MAX_AGE_SECONDS = 30.0
MIN_GAP_SECONDS = 5.0
#: Marks a training whose starter is not known (started in Bria's console, by a script,
#: or here by nobody named): the team hears of its end all the same. A model first seen
#: already ended has no starter (None): nobody is told of an old ending.
BY_THE_TEAM = ""


@dataclass(frozen=True)
class Event:
    id: int
    model_id: int
    project_id: int
    status: str
    at: float
    who: str | None
    started_by: str | None


class ModelRecords:
    """One per process (`svc.get(ModelRecords)`)."""

    def __init__(self, svc: Services) -> None:
        self.engine = svc.engine
        self.bria = svc.bria
        self.reads = svc.reads
        self._upsert = upsert_newer_wins(self.engine, snapshot_models)
        self._insert_event = insert_unless_present(self.engine, model_events)

    # -- reading -----------------------------------------------------------------

    def of_project(self, project_id: int) -> tuple[list[Model], Freshness]:
        freshness = self.reads.fresh_or_kept(
            f"models:project:{int(project_id)}",
            lambda began: self._read_project(project_id, began),
            MAX_AGE_SECONDS,
        )
        query = (
            select(snapshot_models.c.body)
            .where(snapshot_models.c.project_id == project_id)
            .order_by(snapshot_models.c.id.desc())
        )
        with self.engine.connect() as db:
            return [json.loads(body) for (body,) in db.execute(query)], freshness

    def _read_project(self, project_id: int, began_at: float) -> None:
        try:
            models = self.bria.models.of_project(project_id)
        except BriaNotFound:  # no such project (any more) at Bria: it has no models
            models = []
        for model in models:
            self.remember(model, began_at)
        with self.engine.begin() as db:
            db.execute(
                delete(snapshot_models)
                .where(snapshot_models.c.project_id == project_id)
                .where(snapshot_models.c.id.not_in([model["id"] for model in models]))
                .where(snapshot_models.c.read_at < began_at)
            )

    def model(self, model_id: int, fresh: bool = False) -> tuple[Model, Freshness]:
        """A model; `BriaNotFound` when Bria has none. `fresh`: read within the last few
        seconds (the follower), else within the page window."""
        key = f"model:{int(model_id)}"
        try:
            freshness = self.reads.fresh_or_kept(
                key,
                lambda began: self.remember(self.bria.models.get(model_id), began),
                MIN_GAP_SECONDS if fresh else MAX_AGE_SECONDS,
            )
        except BriaNotFound:
            with self.engine.begin() as db:
                db.execute(delete(snapshot_models).where(snapshot_models.c.id == model_id))
            raise
        query = select(snapshot_models.c.body).where(snapshot_models.c.id == model_id)
        with self.engine.connect() as db:
            body = db.execute(query).scalar()
        if body is None:
            raise freshness.problem or BriaNotFound("not_found", "Model not found", 404)
        return json.loads(body), freshness

    # -- what the app saw or did ---------------------------------------------------

    def remember(self, model: Model, read_at: Any = None, who: str | None = None) -> Event | None:
        """Keep the model as Bria said, and its status on its timeline the first time it
        is seen; the new event, when this call wrote it."""
        row = {
            "id": model["id"],
            "project_id": model.get("project_id") or 0,
            "dataset_id": model.get("dataset_id"),
            "body": json.dumps(model),
            "read_at": read_at if read_at is not None else db_now(),
        }
        with self.engine.begin() as db:
            db.execute(self._upsert.values(**row))
        return self.saw(model, who)

    def saw(self, model: Model, who: str | None = None) -> Event | None:
        status = str(model.get("status") or "")
        if not status:
            return None
        started_by = self._started_by(int(model["id"])) if status in ENDED else None
        if status == IN_PROGRESS:  # seen training: the team hears when it ends
            started_by = who if who is not None else BY_THE_TEAM
        with self.engine.begin() as db:
            made = db.execute(
                self._insert_event.values(
                    model_id=model["id"],
                    project_id=model.get("project_id") or 0,
                    status=status[:40],
                    at=db_now(),
                    who=who,
                    started_by=started_by,
                )
            ).rowcount
        if not made:
            return None
        return next((e for e in self.timeline(int(model["id"])) if e.status == status[:40]), None)

    def started_through_the_app(self, model_id: int, project_id: int, who: str | None) -> None:
        """The app started this training: whoever asked is who the team hears about."""
        with self.engine.begin() as db:
            db.execute(
                self._insert_event.values(
                    model_id=model_id,
                    project_id=project_id,
                    status=IN_PROGRESS,
                    at=db_now(),
                    who=who,
                    started_by=who if who is not None else BY_THE_TEAM,
                )
            )

    def _started_by(self, model_id: int) -> str | None:
        query = select(model_events.c.started_by).where(
            and_(model_events.c.model_id == model_id, model_events.c.status == IN_PROGRESS)
        )
        with self.engine.connect() as db:
            return db.execute(query).scalar()

    def timeline(self, model_id: int) -> list[Event]:
        query = (
            select(model_events)
            .where(model_events.c.model_id == model_id)
            .order_by(model_events.c.at, model_events.c.id)
        )
        with self.engine.connect() as db:
            return [_event(row) for row in db.execute(query).mappings()]

    def event(self, event_id: int) -> Event | None:
        with self.engine.connect() as db:
            row = (
                db.execute(select(model_events).where(model_events.c.id == event_id))
                .mappings()
                .first()
            )
        return _event(row) if row else None

    def endings_since(self, seconds: float) -> list[Event]:
        """Trainings seen running that ended in the last `seconds` (for the notices)."""
        query = (
            select(model_events)
            .where(model_events.c.status.in_(ENDED))
            .where(model_events.c.started_by.is_not(None))
            .where(model_events.c.at > db_now() - seconds)
            .order_by(model_events.c.at.desc())
        )
        with self.engine.connect() as db:
            return [_event(row) for row in db.execute(query).mappings()]

    def names(self, model_ids: list[int]) -> dict[int, Model]:
        if not model_ids:
            return {}
        query = select(snapshot_models.c.id, snapshot_models.c.body).where(
            snapshot_models.c.id.in_(model_ids)
        )
        with self.engine.connect() as db:
            return {model_id: json.loads(body) for model_id, body in db.execute(query)}


def _event(row: Any) -> Event:
    return Event(
        row["id"],
        row["model_id"],
        row["project_id"],
        row["status"],
        row["at"],
        row["who"],
        row["started_by"],
    )
