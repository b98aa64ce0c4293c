"""Models and their training: create a model from a completed dataset, start training
after a confirmation, stop it, each sent to Bria once, each on the project's record of
who did what. No HTTP in here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import delete

from webapp.catalog.models import ModelRecords
from webapp.database.tables import work
from webapp.jobs.work import OPEN
from webapp.ledger.activity import record_sent
from webapp.ledger.once import Sent, send_once
from webapp.rules.models import STOPPING, TRAINING
from webapp.services import Services

CREATE, START, STOP = "model.create", "model.start", "model.stop"
FOLLOW = "training.follow"


def create_model(
    svc: Services,
    submission_id: str,
    dataset: dict[str, Any],
    name: str,
    mode: str,
    description: str,
    who: str | None,
) -> Sent:
    def call() -> dict[str, Any]:
        model = svc.bria.models.create(int(dataset["id"]), name, mode, description)
        svc.get(ModelRecords).remember(model, who=who)
        return model

    payload = {"dataset_id": dataset["id"], "name": name, "training_mode": mode}
    sent = send_once(svc.ledger, svc.jobs, submission_id, CREATE, name, call, payload)
    subject = f"model “{name}” from dataset “{dataset['name']}”"
    record_sent(svc, sent, submission_id, CREATE, subject, int(dataset["project_id"]), who)
    return sent


def start_training(
    svc: Services, submission_id: str, model: dict[str, Any], who: str | None
) -> Sent:
    """Costs money and hours: the view asks first, in words; this sends it once."""

    def call() -> dict[str, Any]:
        started = svc.bria.models.start_training(int(model["id"]))
        records = svc.get(ModelRecords)
        records.started_through_the_app(int(model["id"]), int(model["project_id"]), who)
        records.remember({**model, **started})
        return started

    return _change_training(svc, submission_id, model, who, START, call)


def stop_training(
    svc: Services, submission_id: str, model: dict[str, Any], who: str | None
) -> Sent:
    """One way: a stopped model cannot be resumed."""

    def call() -> dict[str, Any]:
        svc.bria.models.stop_training(int(model["id"]))
        stopping = {**model, "status": STOPPING}
        svc.get(ModelRecords).remember(stopping, who=who)
        return stopping

    return _change_training(svc, submission_id, model, who, STOP, call)


def _change_training(
    svc: Services,
    submission_id: str,
    model: dict[str, Any],
    who: str | None,
    kind: str,
    call: Callable[[], dict[str, Any]],
) -> Sent:
    """Start or stop: sent once, the model followed (its status is about to change), and
    on the project's record."""
    sent = send_once(
        svc.ledger, svc.jobs, submission_id, kind, model["name"], call, target_id=model["id"]
    )
    if sent.done:
        follow(svc, model)
    subject = f"the training of model “{model['name']}”"
    record_sent(svc, sent, submission_id, kind, subject, int(model["project_id"]), who)
    return sent


def follow(svc: Services, model: dict[str, Any]) -> None:
    """One follower per model for everyone (the work row's key is the model's)."""
    svc.jobs.submit(f"follow:model:{int(model['id'])}", FOLLOW, {"model": int(model["id"])})


def follow_if_training(svc: Services, model: dict[str, Any]) -> None:
    """A model seen training (started here, in Bria's console, or by a script) is followed;
    one whose follower had ended (it was seen in another status, or gave up after many
    failures) is followed again."""
    if model.get("status") not in TRAINING:
        return
    key = f"follow:model:{int(model['id'])}"
    current = svc.jobs.queue.get(key)
    if current is not None and current.state in OPEN:
        return
    if current is not None:
        with svc.engine.begin() as db:
            db.execute(delete(work).where(work.c.key == key, work.c.state.not_in(OPEN)))
    follow(svc, model)
