"""Trying a trained model: one generate request per form, a job that follows Bria's status
address until the image is ready, and the image kept by the app (Bria's addresses
expire); the model's gallery of what the team made, with who asked and when."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update

from webapp.bria.errors import BriaError, Failure
from webapp.database.engine import UNAVAILABLE, db_now
from webapp.database.tables import generations
from webapp.ledger.activity import record_sent
from webapp.ledger.once import Sent, send_once
from webapp.services import Services

log = logging.getLogger("webapp.generation")

ASK, FOLLOW = "generation.ask", "generation.follow"
#: The task that keeps an image Bria is making once the database is back.
KEEP_TASK = "generation.keep"
ASKED, COMPLETED, ERROR, UNKNOWN, FAILED = "asked", "completed", "error", "unknown", "failed"
ENDED = (COMPLETED, ERROR, UNKNOWN, FAILED)


@dataclass(frozen=True)
class Made:
    id: int
    project_id: int
    model_id: int
    prompt: str
    aspect_ratio: str
    state: str
    request_id: str | None
    status_url: str | None
    reason: str | None
    who: str | None
    created_at: float
    updated_at: float

    @property
    def ended(self) -> bool:
        return self.state in ENDED

    def in_words(self) -> str:
        if self.state == ASKED:
            return "Being made by Bria…"
        if self.state == COMPLETED:
            return "Ready"
        return self.reason or "Bria did not make this image."


def ask(
    svc: Services,
    submission_id: str,
    model: dict[str, Any],
    prompt: str,
    aspect_ratio: str,
    who: str | None,
) -> Sent:
    """Send the prompt once; the follower takes it from there."""

    def call() -> dict[str, Any]:
        asked = svc.bria.generation.generate(int(model["id"]), prompt, aspect_ratio)
        fields = (int(model["project_id"]), int(model["id"]), prompt, aspect_ratio)
        fields += (asked.request_id, asked.status_url, who)
        try:
            made_id = keep_asked(svc, *fields)
        except UNAVAILABLE:
            # Bria is making it: what it needs to be followed waits on the job runner.
            log.warning("the database is out of reach: generation %s waits", asked.request_id)
            svc.jobs.call(KEEP_TASK, *fields)
            return {"request_id": asked.request_id}
        return {"id": made_id, "request_id": asked.request_id}

    sent = send_once(
        svc.ledger, svc.jobs, submission_id, ASK, prompt[:200], call, target_id=model["id"]
    )
    subject = f"an image from model “{model['name']}”: “{prompt[:120]}”"
    record_sent(svc, sent, submission_id, ASK, subject, int(model["project_id"]), who)
    return sent


def keep_asked(
    svc: Services,
    project_id: int,
    model_id: int,
    prompt: str,
    aspect_ratio: str,
    request_id: str,
    status_url: str,
    who: str | None,
) -> int:
    """The image Bria is making, and its follower: written once per request id (the job
    runner writes it again when the database was out of reach the first time)."""
    with svc.engine.begin() as db:
        kept = db.execute(
            select(generations.c.id).where(generations.c.request_id == request_id)
        ).scalar()
        if kept is not None:
            return int(kept)
        made_id = int(
            db.execute(
                insert(generations).values(
                    project_id=project_id,
                    model_id=model_id,
                    prompt=prompt,
                    aspect_ratio=aspect_ratio,
                    state=ASKED,
                    request_id=request_id,
                    status_url=status_url,
                    who=who,
                    created_at=db_now(),
                    updated_at=db_now(),
                )
            ).inserted_primary_key[0]
        )
        svc.jobs.add(db, follow_key(made_id), FOLLOW, {"generation": made_id})
    svc.jobs.wake(follow_key(made_id))
    return made_id


def follow_key(made_id: int) -> str:
    """The work that follows one image until it is made and kept."""
    return f"generation:{int(made_id)}"


def look_while_open(svc: Services, model_id: int) -> None:
    """While someone has the model's page open, each image being made is looked at as
    soon as its next look is due, in the page's own request: it is on the page within
    a poll of Bria saying it is made, not a scheduler's tick later. With no page open,
    the job runner looks, at the same pace."""
    for made in gallery(svc, model_id):
        if not made.ended:
            svc.jobs.run_if_due(follow_key(made.id))


def gallery(svc: Services, model_id: int, limit: int = 60) -> list[Made]:
    query = (
        select(generations)
        .where(generations.c.model_id == model_id)
        .order_by(generations.c.id.desc())
        .limit(limit)
    )
    with svc.engine.connect() as db:
        return [Made(**row) for row in db.execute(query).mappings()]


def get(svc: Services, made_id: int) -> Made | None:
    with svc.engine.connect() as db:
        row = db.execute(select(generations).where(generations.c.id == made_id)).mappings().first()
    return Made(**row) if row else None


def set_state(svc: Services, made_id: int, state: str, reason: str | None = None) -> None:
    with svc.engine.begin() as db:
        db.execute(
            update(generations)
            .where(generations.c.id == made_id)
            .values(state=state, reason=reason, updated_at=db_now())
        )


def failure_words(error: BriaError) -> str:
    failure = Failure.of(error)
    said = f" It said: “{failure.plain_reason}”." if failure.plain_reason else ""
    return f"Bria did not make the image.{said}"
