"""What the model pages say when Bria did not do what was asked: the API's 412 and 409
for training in the words of what they mean here."""

from __future__ import annotations

from webapp.bria.errors import Failure
from webapp.catalog.models import Event
from webapp.rules import models as rules
from webapp.web.people import in_words
from webapp.web.words import Doing
from webapp.web.words import explain as explain_doing

CREATE, START, STOP = "create", "start", "stop"
DOING = {
    CREATE: Doing("no model was created", "Bria did not confirm whether the model was created."),
    START: Doing(
        "the training did not start", "Bria did not confirm whether the training started."
    ),
    STOP: Doing("the training was not stopped", "Bria did not confirm whether it stopped."),
}


def explain(failure: Failure, action: str) -> str:
    if failure.kind == "precondition_failed" and action in (CREATE, START):
        return (
            "Bria says the dataset is not completed, so nothing was started. Complete the "
            "dataset first (from its page), then come back."
        )
    if failure.kind == "conflict" and action == START:
        return "This model's training has already been started, so nothing more was sent."
    if failure.kind == "conflict" and action == STOP:
        return "This model is not training any more (it ended or was stopped), so nothing was sent."
    return explain_doing(failure, DOING[action])


EVENT_WORDS = {
    rules.CREATED: "Model created",
    rules.IN_PROGRESS: "Training started",
    rules.COMPLETED: "Training completed: the model is ready",
    rules.FAILED: "Training failed",
    rules.STOPPING: "Asked to stop",
    rules.STOPPED: "Training stopped",
}


def event_words(event: Event) -> str:
    """A line of a model's timeline: 'Training started by Ana'."""
    said = EVENT_WORDS.get(event.status) or f"Bria reported “{event.status}”"
    return f"{said} by {event.who}" if event.who else said


def ending_news(event: Event, model_name: str) -> str:
    """The news of a training's end, as every page's notice and the team chat tell it."""
    by = in_words(event.started_by or None, starts_sentence=False)
    return f"{rules.ending_in_words(model_name, event.status)} Started by {by}."
