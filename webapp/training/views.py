"""A model's pages: make one from a completed dataset, its page (status, timeline, what
it cost in time, what the team generated), and the confirmations to start and to stop
its training.

Every read of a model goes through the shared records (`webapp.catalog.models`): the
status a page shows is at most 30 seconds old, however many people look, and says how
old it is when Bria cannot be asked.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template, request, url_for
from werkzeug.wrappers import Response

from webapp.bria.errors import BriaError
from webapp.catalog.datasets import DatasetRecords
from webapp.catalog.lookup import (
    CONTEXT_MAX_AGE_SECONDS,
    Unreadable,
    dataset_of,
    model_of,
    project_of,
)
from webapp.catalog.models import Event, ModelRecords
from webapp.datasets.forms import ConfirmForm
from webapp.datasets.health import health_of
from webapp.generation import service as generation
from webapp.generation.forms import PromptForm
from webapp.ledger.shared_reads import Freshness
from webapp.rules import models as rules
from webapp.rules.datasets import COMPLETED as DATASET_COMPLETED
from webapp.services import Services, services
from webapp.training import service
from webapp.training.forms import NewModelForm
from webapp.training.progress import Progress, duration, progress_of
from webapp.training.words import CREATE, START, STOP, event_words, explain
from webapp.web.formatting import ago, from_clock, moment_in_words
from webapp.web.pages import Page
from webapp.web.people import person
from webapp.web.sending import after_sending

bp = Blueprint("training", __name__, url_prefix="/projects/<int:project_id>")
MODEL = "/models/<int:model_id>"


# -- make a model ------------------------------------------------------------------


@bp.route("/datasets/<int:dataset_id>/models/new", methods=["GET", "POST"])
def new_model(project_id: int, dataset_id: int) -> Page:
    project = project_of(project_id)
    dataset, _ = dataset_of(project_id, dataset_id)
    context = {"project": project, "dataset": dataset, "modes": rules.TRAINING_MODES}
    ready = dataset.get("status") == DATASET_COMPLETED
    if request.method == "GET" or not ready:
        form = NewModelForm.fresh(data={"name": dataset["name"][: rules.NAME_MAX_LENGTH]})
        return render_template("training/new.html", form=form, **context), 200 if ready else 409
    form = NewModelForm()
    if not form.validate():
        return render_template("training/new.html", form=form, **context), 400
    sent = service.create_model(
        services(),
        form.submission_id.data,
        dataset,
        form.name.data,
        form.training_mode.data,
        form.description.data or "",
        person(),
    )
    made = sent.answer or {}
    page = url_for(".show", project_id=project_id, model_id=made.get("id", 0))
    said = f"Model “{made.get('name', '')}” created. Start its training when you are ready."
    return after_sending(sent, explain, CREATE, (page, said), form, "training/new.html", **context)


# -- the model's page ----------------------------------------------------------------


@bp.get(MODEL)
def show(project_id: int, model_id: int) -> Page:
    svc = services()
    project = project_of(project_id)
    model, freshness = model_of(project_id, model_id)
    service.follow_if_training(svc, model)
    return render_template(
        "training/model.html",
        project=project,
        model=model,
        freshness=freshness,
        prompt_form_data=PromptForm.fresh(),
        prefix=rules.generation_prefix(project),
        sandbox_training=_sandbox_training(svc),
        **_state(svc, project, model, freshness),
    ), 200


def _expected_seconds(svc: Services, version: object) -> tuple[float, float]:
    """How long a training takes: Bria's documents' range for the family, or the
    sandbox's own time."""
    if svc.sandbox:
        seconds = svc.settings.sandbox_training_seconds
        return seconds, seconds
    low, high = rules.expected_hours(version)
    return low * 3600.0, high * 3600.0


def _sandbox_training(svc: Services) -> str | None:
    """How long a training takes in the sandbox, in words (the pages give Bria's hours)."""
    return duration(svc.settings.sandbox_training_seconds) if svc.sandbox else None


def _state(
    svc: Services, project: dict[str, Any], model: dict[str, Any], freshness: Freshness
) -> dict[str, Any]:
    """What the page shows and its script refreshes."""
    model_id = int(model["id"])
    timeline = svc.get(ModelRecords).timeline(model_id)
    # An ended training's progress is how long it ran: no need to read its dataset.
    ended = model.get("status") in rules.ENDED
    version = project.get("training_version") if ended else _training_version(svc, project, model)
    now = freshness.now if freshness.now is not None else svc.reads.now()
    return {
        "timeline": timeline,
        "progress": progress_of(timeline, now, _expected_seconds(svc, version)),
        "gallery": generation.gallery(svc, model_id),
    }


def _training_version(svc: Services, project: dict[str, Any], model: dict[str, Any]) -> Any:
    """The model's dataset's training version (the family sets how long training takes);
    the project's when the dataset cannot be read."""
    try:
        return svc.get(DatasetRecords).dataset(int(model["dataset_id"])).value["training_version"]
    except (BriaError, KeyError, TypeError, ValueError):
        return project.get("training_version")


@bp.get(MODEL + "/live.json")
def live(project_id: int, model_id: int) -> Response:
    """What the model page's script refreshes: the status (with how old it is), the
    timeline, the time so far, and the state of each image asked for."""
    svc = services()
    project = project_of(project_id, max_age=CONTEXT_MAX_AGE_SECONDS)
    model, freshness = model_of(project_id, model_id)
    generation.look_while_open(svc, model_id)
    state = _state(svc, project, model, freshness)
    progress: Progress = state["progress"]
    answer = jsonify(
        status=model.get("status"),
        words=rules.status_in_words(model.get("status")),
        training=model.get("status") in rules.TRAINING,
        read=f"Read from Bria {ago(freshness.age_seconds)}.",
        stale=freshness.problem is not None,
        progress=progress.in_words(),
        timeline=[
            _event_json(event) for event in state["timeline"] if event.status != rules.CREATED
        ],
        gallery=[_made_json(project_id, made) for made in state["gallery"]],
    )
    answer.headers["Cache-Control"] = "no-store"
    return answer


def _event_json(event: Event) -> dict[str, str]:
    iso, text = moment_in_words(from_clock(event.at)) or ("", "at a time not known")
    return {"words": event_words(event), "iso": iso, "text": text}


def _made_json(project_id: int, made: generation.Made) -> dict[str, Any]:
    ready = made.state == generation.COMPLETED
    image = url_for("generation.image", project_id=project_id, made_id=made.id) if ready else None
    download = (
        url_for("generation.image", project_id=project_id, made_id=made.id, download=1)
        if ready
        else None
    )
    return {
        "id": made.id,
        "state": made.state,
        "words": made.in_words(),
        "image": image,
        "alt": f"Made from the prompt: {made.prompt}",
        # The page's own link, added when the image arrives: "Download" and, for screen
        # readers, which image.
        "download": download,
        "download_hint": f" the image made from “{made.prompt}”",
        "news": _news_of(made),
    }


def _news_of(made: generation.Made) -> str:
    """What a screen reader is told when the image's state changes while the page is open."""
    if made.state == generation.COMPLETED:
        return f"The image made from “{made.prompt}” is ready."
    if made.ended:
        return f"The image from “{made.prompt}” was not made. {made.in_words()}"
    return ""


# -- start and stop ------------------------------------------------------------------


@bp.route(MODEL + "/start", methods=["GET", "POST"])
def start(project_id: int, model_id: int) -> Page:
    svc = services()
    project = project_of(project_id)
    model, _ = model_of(project_id, model_id)
    dataset = _dataset_or_none(project_id, model)
    version = dataset.get("training_version") if dataset else project.get("training_version")
    context = {
        "project": project,
        "model": model,
        "dataset": dataset,
        "health": health_of(svc, dataset) if dataset else None,
        "duration": rules.duration_in_words(version),
        "sandbox_training": _sandbox_training(svc),
    }
    startable = model.get("status") == rules.CREATED
    if request.method == "GET" or not startable:
        form = ConfirmForm.fresh()
        return render_template("training/start.html", form=form, **context), (
            200 if startable or request.method == "GET" else 409
        )
    form = ConfirmForm()
    if not form.validate():
        return render_template("training/start.html", form=form, **context), 400
    sent = service.start_training(svc, form.submission_id.data, model, person())
    page = url_for(".show", project_id=project_id, model_id=model_id)
    said = f"Training started. It usually takes {context['duration']}; this page follows it."
    return after_sending(sent, explain, START, (page, said), form, "training/start.html", **context)


def _dataset_or_none(project_id: int, model: dict[str, Any]) -> dict[str, Any] | None:
    """The model's dataset; None when it cannot be read (the page says so)."""
    try:
        return dataset_of(project_id, int(model["dataset_id"]))[0]
    except (Unreadable, KeyError, TypeError, ValueError):
        return None


@bp.route(MODEL + "/stop", methods=["GET", "POST"])
def stop(project_id: int, model_id: int) -> Page:
    svc = services()
    project = project_of(project_id)
    model, _ = model_of(project_id, model_id)
    context = {"project": project, "model": model}
    stoppable = model.get("status") == rules.IN_PROGRESS
    if request.method == "GET" or not stoppable:
        form = ConfirmForm.fresh()
        status = 200 if stoppable or request.method == "GET" else 409
        return render_template("training/stop.html", form=form, **context), status
    form = ConfirmForm()
    if not form.validate():
        return render_template("training/stop.html", form=form, **context), 400
    sent = service.stop_training(svc, form.submission_id.data, model, person())
    page = url_for(".show", project_id=project_id, model_id=model_id)
    said = "Bria is stopping the training. The timeline shows when it has stopped."
    return after_sending(sent, explain, STOP, (page, said), form, "training/stop.html", **context)
