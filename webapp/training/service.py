"""Models and their training: create a model from a completed dataset, start training
after a confirmation, stop it, each sent to Bria once, each on the project's record of
who did what. No HTTP in here."""

from __future__ import annotations

from typing import Any

from webapp.catalog.models import ModelRecords
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

    sent = send_once(
        svc.ledger, svc.jobs, submission_id, START, model["name"], call, target_id=model["id"]
    )
    if sent.done:
        follow(svc, model)
    subject = f"the training of model “{model['name']}”"
    record_sent(svc, sent, submission_id, START, subject, int(model["project_id"]), who)
    return sent


def stop_training(
    svc: Services, submission_id: str, model: dict[str, Any], who: str | None
) -> Sent:
    """One way: a stopped model cannot be resumed."""

    def call() -> dict[str, Any]:
        svc.bria.models.stop_training(int(model["id"]))
        stopping = {**model, "status": STOPPING}
        svc.get(ModelRecords).remember(stopping, who=who)
        return stopping

    sent = send_once(
        svc.ledger, svc.jobs, submission_id, STOP, model["name"], call, target_id=model["id"]
    )
    if sent.done:
        follow(svc, model)
    subject = f"the training of model “{model['name']}”"
    record_sent(svc, sent, submission_id, STOP, subject, int(model["project_id"]), who)
    return sent


def follow(svc: Services, model: dict[str, Any]) -> None:
    """One follower per model for everyone (the work row's key is the model's)."""
    svc.jobs.submit(f"follow:model:{int(model['id'])}", FOLLOW, {"model": int(model["id"])})


def follow_if_training(svc: Services, model: dict[str, Any]) -> None:
    """A model seen training (started here, in Bria's console, or by a script) is followed."""
    if (
        model.get("status") in TRAINING
        and svc.jobs.queue.get(f"follow:model:{int(model['id'])}") is None
    ):
        follow(svc, model)
