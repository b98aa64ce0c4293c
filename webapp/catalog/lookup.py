"""The project, dataset or model a page's address names, read through the shared records;
a page that cannot be shown says why (`Unreadable`, answered by `register`'s handler)."""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template

from webapp.bria.errors import BriaError, BriaNotFound, Failure
from webapp.catalog.datasets import DatasetRecords
from webapp.catalog.models import ModelRecords
from webapp.ledger.shared_reads import Freshness
from webapp.projects.snapshot import ProjectSnapshot
from webapp.services import services
from webapp.web.pages import Page


class Unreadable(Exception):
    """The project, dataset or model cannot be read from Bria, and nothing older is kept."""

    def __init__(self, error: BriaError, thing: str = "dataset") -> None:
        super().__init__(error.message)
        self.error = error
        #: What the page shows ("dataset", "model"), for its words.
        self.thing = thing


#: How old the project may be where it is only the setting of what a script refreshes
#: (a model page's live state): the page itself read it when it was opened.
CONTEXT_MAX_AGE_SECONDS = 300.0


def project_of(project_id: int, max_age: float | None = None) -> dict[str, Any]:
    """The project, read at most `max_age` seconds ago (its own page's freshness unless
    said)."""
    try:
        return services().get(ProjectSnapshot).project(project_id, max_age)[0]
    except BriaError as error:
        raise Unreadable(error) from None


def dataset_of(project_id: int, dataset_id: int) -> tuple[dict[str, Any], Freshness]:
    """The dataset (of this project, or not found) and how fresh it is."""
    try:
        read = services().get(DatasetRecords).dataset(dataset_id)
    except BriaError as error:
        raise Unreadable(error) from None
    if int(read.value.get("project_id", -1)) != project_id:
        raise Unreadable(BriaNotFound("not_found", "Not this project's dataset", 404))
    return read.value, read.freshness


def model_of(project_id: int, model_id: int) -> tuple[dict[str, Any], Freshness]:
    """The model (of this project, or not found), read at most 30 seconds ago for
    everyone, and how fresh it is."""
    try:
        model, freshness = services().get(ModelRecords).model(model_id)
    except BriaError as error:
        raise Unreadable(error, "model") from None
    if int(model.get("project_id", -1)) != project_id:
        raise Unreadable(BriaNotFound("not_found", "Not this project's model", 404), "model")
    return model, freshness


def unreadable(problem: Unreadable) -> Page:
    if isinstance(problem.error, BriaNotFound):
        return render_template("datasets/not_found.html", thing=problem.thing), 404
    failure = Failure.of(problem.error)
    status = 429 if failure.kind in ("budget", "rate_limited") else 502
    return render_template("datasets/unreadable.html", failure=failure, thing=problem.thing), status


def register(app: Flask) -> None:
    app.register_error_handler(Unreadable, unreadable)
