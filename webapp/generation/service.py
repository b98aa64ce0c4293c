"""Trying a trained model: one generate request per form, a job that follows Bria's status
address until the image is ready, and the image kept by the app (Bria's addresses
expire); the model's gallery of what the team made, with who asked and when."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update

from webapp.bria.errors import BriaError, Failure
from webapp.database.engine import db_now
from webapp.database.tables import generations
from webapp.ledger.activity import record_sent
from webapp.ledger.once import Sent, send_once
from webapp.services import Services

ASK, FOLLOW = "generation.ask", "generation.follow"
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
        with svc.engine.begin() as db:
            made_id = int(
                db.execute(
                    insert(generations).values(
                        project_id=int(model["project_id"]),
                        model_id=int(model["id"]),
                        prompt=prompt,
                        aspect_ratio=aspect_ratio,
                        state=ASKED,
                        request_id=asked.request_id,
                        status_url=asked.status_url,
                        who=who,
                        created_at=db_now(),
                        updated_at=db_now(),
                    )
                ).inserted_primary_key[0]
            )
            svc.jobs.add(db, f"generation:{made_id}", FOLLOW, {"generation": made_id})
        svc.jobs.wake(f"generation:{made_id}")
        return {"id": made_id, "request_id": asked.request_id}

    sent = send_once(
        svc.ledger, svc.jobs, submission_id, ASK, prompt[:200], call, target_id=model["id"]
    )
    subject = f"an image from model “{model['name']}”: “{prompt[:120]}”"
    record_sent(svc, sent, submission_id, ASK, subject, int(model["project_id"]), who)
    return sent


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
