"""A project's datasets: create one, its page, rename, delete, clone, complete.

Every page reads Bria through the shared records (`webapp.catalog.datasets`): one read
serves everyone, and a page says how old what it shows is when Bria cannot be asked.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from webapp.catalog.datasets import DatasetRecords
from webapp.catalog.images import ImageRecords
from webapp.catalog.lookup import dataset_of, project_of
from webapp.datasets import health as health_report
from webapp.datasets import service
from webapp.datasets.forms import ConfirmForm, DatasetNameForm, NewDatasetForm
from webapp.datasets.words import CLONE, COMPLETE, CREATE, DELETE, RENAME, explain
from webapp.images import service as images
from webapp.images.forms import UploadForm
from webapp.ledger.activity import record_sent
from webapp.ledger.once import Sent
from webapp.rules import datasets as rules
from webapp.rules import images as image_rules
from webapp.services import Services, services
from webapp.web.pages import Page
from webapp.web.people import person
from webapp.web.sections import DATASET as DATASET_PAGE
from webapp.web.sections import sections_for
from webapp.web.sending import after_sending

bp = Blueprint("datasets", __name__, url_prefix="/projects/<int:project_id>/datasets")
DATASET = "/<int:dataset_id>"


def lock_for(svc: Services, project: dict[str, Any]) -> service.Lock:
    datasets = svc.get(DatasetRecords).of_project(int(project["id"])).value
    return service.lock_of(project, datasets)


def _on_record(sent: Sent, form: Any, action: str, subject: str, project_id: int) -> None:
    record_sent(services(), sent, form.submission_id.data, action, subject, project_id, person())


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
    _on_record(sent, form, service.CREATE, f"dataset “{form.name.data}”", project_id)
    made = sent.answer or {}
    target = url_for(".show", project_id=project_id, dataset_id=made.get("id", 0))
    done = (target, f"Dataset “{made.get('name', '')}” created. Add its images below.")
    return after_sending(sent, explain, CREATE, done, form, "datasets/new.html", **context)


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
        sections=sections_for(DATASET_PAGE, dataset),
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
    project = project_of(project_id)
    dataset, _ = dataset_of(project_id, dataset_id)
    report = health_report.health_of(services(), dataset)
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
    subject = f"dataset “{dataset['name']}” to “{form.name.data}”"
    _on_record(sent, form, service.RENAME, subject, project_id)
    back = url_for(".show", project_id=project_id, dataset_id=dataset_id)
    done = (back, f"Dataset renamed “{form.name.data}”.")
    return after_sending(sent, explain, RENAME, done, form, "datasets/name.html", **context)


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
    subject = f"dataset “{dataset['name']}” as “{form.name.data}”"
    _on_record(sent, form, service.CLONE, subject, project_id)
    copy = (sent.answer or {}).get("id", dataset_id)
    said = f"“{form.name.data}” is a new draft with the same images and visual schema."
    done = (url_for(".show", project_id=project_id, dataset_id=copy), said)
    return after_sending(sent, explain, CLONE, done, form, "datasets/name.html", **context)


@bp.route(DATASET + "/delete", methods=["GET", "POST"])
def delete(project_id: int, dataset_id: int) -> Page:
    project = project_of(project_id)
    if request.method == "POST":  # a replay once the dataset is gone goes on too
        gone = service.deleted_by(services(), request.form.get("submission_id", ""), dataset_id)
        if gone is not None:
            flash(f"Dataset “{gone}” deleted, with its images.")
            return redirect(url_for("projects.show", project_id=project_id), 303)
    dataset, _ = dataset_of(project_id, dataset_id)
    context = {"project": project, "dataset": dataset}
    if request.method == "GET":
        return render_template("datasets/delete.html", form=ConfirmForm.fresh(), **context), 200
    form = ConfirmForm()
    if not form.validate():
        return render_template("datasets/delete.html", form=form, **context), 400
    sent = service.delete_dataset(services(), form.submission_id.data, dataset)
    _on_record(sent, form, service.DELETE, f"dataset “{dataset['name']}”", project_id)
    said = f"Dataset “{dataset['name']}” deleted, with its images."
    done = (url_for("projects.show", project_id=project_id), said)
    return after_sending(sent, explain, DELETE, done, form, "datasets/delete.html", **context)


# -- complete ---------------------------------------------------------------------


@bp.route(DATASET + "/complete", methods=["GET", "POST"])
def complete(project_id: int, dataset_id: int) -> Page:
    svc = services()
    project = project_of(project_id)
    dataset, _ = dataset_of(project_id, dataset_id)
    report = health_report.health_of(svc, dataset)
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
    _on_record(sent, form, service.COMPLETE, f"dataset “{dataset['name']}”", project_id)
    said = "The dataset is completed. A model can now be trained from it."
    done = (url_for(".show", project_id=project_id, dataset_id=dataset_id), said)
    return after_sending(sent, explain, COMPLETE, done, form, "datasets/complete.html", **context)
