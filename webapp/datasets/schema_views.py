"""A dataset's visual schema (pick images, have it made, read and edit it, save it) and
regenerating every caption from it."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from webapp.bria.errors import Failure
from webapp.catalog.images import ImageRecords
from webapp.catalog.lookup import dataset_of, project_of
from webapp.datasets import schema, service, tasks
from webapp.datasets.forms import ConfirmForm
from webapp.datasets.service import save_schema
from webapp.datasets.views import DATASET, bp
from webapp.datasets.words import SCHEMA, explain
from webapp.images import service as images
from webapp.ledger.activity import Activity, record_sent
from webapp.rules import datasets as rules
from webapp.services import services
from webapp.web import structured
from webapp.web.pages import Page
from webapp.web.people import person


@bp.get(DATASET + "/schema")
def show_schema(project_id: int, dataset_id: int) -> Page:
    svc = services()
    project = project_of(project_id)
    dataset, _ = dataset_of(project_id, dataset_id)
    pictures = svc.get(ImageRecords).of_dataset(dataset_id)[0]
    listed = {e.image["id"]: e for e in images.entries(svc, dataset_id, pictures) if e.image}
    draft = schema.draft(svc, dataset_id)
    hashes = {i: e.upload.dhash for i, e in listed.items() if e.upload and e.upload.dhash}
    picked = draft.picked if draft and draft.picked else schema.pick_spread(pictures, hashes)
    shown = draft.visual_schema if draft and draft.visual_schema else dataset.get("visual_schema")
    return render_template(
        "datasets/schema.html",
        project=project,
        dataset=dataset,
        entries=listed,
        pictures=pictures,
        picked=picked,
        draft=draft,
        shown=shown,
        saved=dataset.get("visual_schema"),
        form=ConfirmForm.fresh(),
        low=rules.SCHEMA_IMAGES[0],
        high=rules.SCHEMA_IMAGES[1],
    ), 200


@bp.post(DATASET + "/schema")
def change_schema(project_id: int, dataset_id: int) -> Response:
    svc = services()
    dataset, _ = dataset_of(project_id, dataset_id)
    form = ConfirmForm()
    back = url_for(".show_schema", project_id=project_id, dataset_id=dataset_id)
    if not form.validate():
        flash("This page was open for a long time: select the button again.")
        return redirect(back, 303)
    if dataset.get("status") != rules.DRAFT:
        flash("The dataset is completed: its visual schema cannot change.")
        return redirect(back, 303)
    action = request.form.get("action")
    if action == "make":
        picked = [int(value) for value in request.form.getlist("picked") if value.isdigit()]
        low, high = rules.SCHEMA_IMAGES
        if not low <= len(picked) <= high:
            flash(f"Pick {low} to {high} images: {len(picked)} are picked.")
            return redirect(back, 303)
        schema.start_making(svc, dataset_id, picked)
        flash("Bria is making the visual schema from the images you picked.")
        return redirect(back, 303)
    draft = schema.draft(svc, dataset_id)
    original = (draft.visual_schema if draft else None) or dataset.get("visual_schema")
    written = structured.from_form(request.form, original)
    parsed = rules.parse_object(written, "visual schema")
    if isinstance(parsed, rules.JsonProblem):
        flash(str(parsed))
        return redirect(back, 303)
    schema.keep_edited(svc, dataset_id, written)
    if action != "save":
        flash("Your changes are kept here. They are not at Bria until you save them.")
        return redirect(back, 303)
    sent = save_schema(svc, form.submission_id.data, dataset, written)
    subject = f"the visual schema of dataset “{dataset['name']}”"
    record_sent(svc, sent, form.submission_id.data, service.SCHEMA, subject, project_id, person())
    if not sent.done:
        flash(explain(sent.failure or Failure("refused"), SCHEMA))
        return redirect(back, 303)
    flash(
        "The visual schema is saved. Captions written before it do not follow it: "
        "regenerate every caption below."
    )
    page = url_for(".show", project_id=project_id, dataset_id=dataset_id)
    return redirect(page + "#captions", 303)


@bp.post(DATASET + "/captions/regenerate")
def regenerate_captions(project_id: int, dataset_id: int) -> Response:
    dataset, _ = dataset_of(project_id, dataset_id)
    form = ConfirmForm()
    if not form.validate():
        flash("This page was open for a long time: select the button again.")
    else:
        problem = tasks.regenerate_all(services(), dataset)
        flash(problem or "Bria is writing every caption again. This page shows its progress.")
        if problem is None:
            services().get(Activity.of).record(
                tasks.REGENERATE,
                f"every caption of dataset “{dataset['name']}” to be written again",
                project_id,
                person(),
                f"{tasks.REGENERATE}:{form.submission_id.data}",
            )
    page = url_for(".show", project_id=project_id, dataset_id=dataset_id)
    return redirect(page + "#captions", 303)
