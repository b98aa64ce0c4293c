"""A project's datasets: create one, its page, rename, delete, clone, complete.

Every page reads Bria through the shared records (`webapp.catalog.datasets`): one read
serves everyone, and a page says how old what it shows is when Bria cannot be asked.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from webapp.bria.errors import Failure
from webapp.catalog.datasets import DatasetRecords
from webapp.catalog.images import ImageRecords
from webapp.catalog.lookup import dataset_of, project_of
from webapp.datasets import health as health_report
from webapp.datasets import service
from webapp.datasets.forms import ConfirmForm, DatasetNameForm, NewDatasetForm
from webapp.datasets.words import CLONE, COMPLETE, CREATE, DELETE, RENAME, explain
from webapp.images import service as images
from webapp.images.forms import UploadForm
from webapp.ledger.once import Sent
from webapp.rules import datasets as rules
from webapp.rules import images as image_rules
from webapp.services import Services, services
from webapp.web.pages import Page

bp = Blueprint("datasets", __name__, url_prefix="/projects/<int:project_id>/datasets")
DATASET = "/<int:dataset_id>"


def lock_for(svc: Services, project: dict[str, Any]) -> service.Lock:
    datasets = svc.get(DatasetRecords).of_project(int(project["id"])).value
    return service.lock_of(project, datasets)


def _after(
    sent: Sent, action: str, done: tuple[str, str], form: Any, template: str, **context: Any
) -> Page:
    """What a sent form shows: the next page (`done`: its address and what to say there)
    when Bria did it, else the form again with what happened, in words. A replay of a form
    that was done goes on to the next page too."""
    if sent.done:
        flash(done[1])
        return redirect(done[0], 303)
    message = (
        "This is being sent to Bria now. Refresh this page in a moment."
        if sent.state == "pending"
        else explain(sent.failure or Failure("refused"), action)
    )
    form.form_errors.append(message)
    return render_template(template, form=form, failure=sent.failure, **context), 409


# -- create --------------------------------------------------------------------


@bp.get("/new")
def new(project_id: int) -> Page:
    project = project_of(project_id)
    lock = lock_for(services(), project)
    form = NewDatasetForm.fresh(lock.version)
    return render_template("datasets/new.html", form=form, project=project, lock=lock), 200


@bp.post("/new")
def create(project_id: int) -> Page:
    svc = services()
    project = project_of(project_id)
    lock = lock_for(svc, project)
    form = NewDatasetForm(lock.version)
    context = {"project": project, "lock": lock}
    if not form.validate():
        return render_template("datasets/new.html", form=form, **context), 400
    version = form.training_version.data or lock.version
    sent = service.create_dataset(svc, form.submission_id.data, project, form.name.data, version)
    made = sent.answer or {}
    target = url_for(".show", project_id=project_id, dataset_id=made.get("id", 0))
    done = (target, f"Dataset “{made.get('name', '')}” created. Add its images below.")
    return _after(sent, CREATE, done, form, "datasets/new.html", **context)


# -- the dataset's page ---------------------------------------------------------


@bp.get(DATASET)
def show(project_id: int, dataset_id: int) -> Page:
    svc = services()
    project = project_of(project_id)
    dataset, freshness = dataset_of(project_id, dataset_id)
    pictures, image_freshness = svc.get(ImageRecords).of_dataset(dataset_id)
    listed = images.entries(svc, dataset_id, pictures)
    batch = request.args.get("batch", "")
    last = images.queue(svc).of_batch(dataset_id, batch) if batch else []
    return render_template(
        "datasets/dataset.html",
        project=project,
        dataset=dataset,
        freshness=freshness if freshness.problem else image_freshness,
        entries=listed,
        counts=images.counts(listed),
        health=health_report.report(listed, dataset.get("captions_update_status")),
        eta=eta_in_words(svc, images.queue(svc).on_the_way_count(dataset_id)),
        last_batch=last,
        upload_form=UploadForm(),
        image_rules=image_rules,
    ), 200


def eta_in_words(svc: Services, waiting: int) -> str | None:
    """When the files on their way will be at Bria, at the budget's pace today."""
    if not waiting:
        return None
    if svc.sandbox:
        return "The sandbox takes them in a few seconds."
    per_minute = svc.settings.bria_requests_per_minute
    minutes = waiting / per_minute
    pace = f"At your plan's {per_minute} requests a minute (shared with your team)"
    if minutes < 1:
        return f"{pace}, within a minute."
    return f"{pace}, about {round(minutes)} minute{'s' if round(minutes) != 1 else ''}."


@bp.get(DATASET + "/health")
def health(project_id: int, dataset_id: int) -> Page:
    svc = services()
    project = project_of(project_id)
    dataset, _ = dataset_of(project_id, dataset_id)
    listed = images.entries(svc, dataset_id, svc.get(ImageRecords).of_dataset(dataset_id)[0])
    report = health_report.report(listed, dataset.get("captions_update_status"))
    context = {"project": project, "dataset": dataset, "health": report}
    return render_template("datasets/health.html", **context), 200


# -- rename, delete, clone ------------------------------------------------------


@bp.route(DATASET + "/rename", methods=["GET", "POST"])
def rename(project_id: int, dataset_id: int) -> Page:
    project = project_of(project_id)
    dataset, _ = dataset_of(project_id, dataset_id)
    context = {"project": project, "dataset": dataset, "action": "rename"}
    if request.method == "GET":
        form = DatasetNameForm.fresh(data={"name": dataset["name"]})
        return render_template("datasets/name.html", form=form, **context), 200
    form = DatasetNameForm()
    if not form.validate():
        return render_template("datasets/name.html", form=form, **context), 400
    sent = service.rename_dataset(services(), form.submission_id.data, dataset, form.name.data)
    back = url_for(".show", project_id=project_id, dataset_id=dataset_id)
    done = (back, f"Dataset renamed “{form.name.data}”.")
    return _after(sent, RENAME, done, form, "datasets/name.html", **context)


@bp.route(DATASET + "/clone", methods=["GET", "POST"])
def clone(project_id: int, dataset_id: int) -> Page:
    project = project_of(project_id)
    dataset, _ = dataset_of(project_id, dataset_id)
    context = {"project": project, "dataset": dataset, "action": "clone"}
    if request.method == "GET":
        name = f"Copy of {dataset['name']}"[: rules.NAME_MAX_LENGTH]
        form = DatasetNameForm.fresh(data={"name": name})
        return render_template("datasets/name.html", form=form, **context), 200
    form = DatasetNameForm()
    if not form.validate():
        return render_template("datasets/name.html", form=form, **context), 400
    sent = service.clone_dataset(services(), form.submission_id.data, dataset, form.name.data)
    copy = (sent.answer or {}).get("id", dataset_id)
    said = f"“{form.name.data}” is a new draft with the same images and visual schema."
    done = (url_for(".show", project_id=project_id, dataset_id=copy), said)
    return _after(sent, CLONE, done, form, "datasets/name.html", **context)


@bp.route(DATASET + "/delete", methods=["GET", "POST"])
def delete(project_id: int, dataset_id: int) -> Page:
    project = project_of(project_id)
    dataset, _ = dataset_of(project_id, dataset_id)
    context = {"project": project, "dataset": dataset}
    if request.method == "GET":
        return render_template("datasets/delete.html", form=ConfirmForm.fresh(), **context), 200
    form = ConfirmForm()
    if not form.validate():
        return render_template("datasets/delete.html", form=form, **context), 400
    sent = service.delete_dataset(services(), form.submission_id.data, dataset)
    said = f"Dataset “{dataset['name']}” deleted, with its images."
    done = (url_for("projects.show", project_id=project_id), said)
    return _after(sent, DELETE, done, form, "datasets/delete.html", **context)


# -- complete ---------------------------------------------------------------------


@bp.route(DATASET + "/complete", methods=["GET", "POST"])
def complete(project_id: int, dataset_id: int) -> Page:
    svc = services()
    project = project_of(project_id)
    dataset, _ = dataset_of(project_id, dataset_id)
    listed = images.entries(svc, dataset_id, svc.get(ImageRecords).of_dataset(dataset_id)[0])
    report = health_report.report(listed, dataset.get("captions_update_status"))
    problems = rules.completion_problems(
        report.at_bria, bool(dataset.get("visual_schema")), len(report.on_the_way)
    )
    context = {"project": project, "dataset": dataset, "health": report, "problems": problems}
    if request.method == "GET" or dataset.get("status") == rules.COMPLETED:
        return render_template("datasets/complete.html", form=ConfirmForm.fresh(), **context), 200
    form = ConfirmForm()
    if problems or not form.validate():  # a forced request: nothing is sent
        return render_template("datasets/complete.html", form=ConfirmForm.fresh(), **context), 409
    sent = service.complete_dataset(svc, form.submission_id.data, dataset)
    said = "The dataset is completed. A model can now be trained from it."
    done = (url_for(".show", project_id=project_id, dataset_id=dataset_id), said)
    return _after(sent, COMPLETE, done, form, "datasets/complete.html", **context)
