"""Adding images, their thumbnails and queue, taking them out, and their captions.

The upload route is the one place a large body is accepted (`@large_body`): up to a
dataset's worth of files in one request, written to disk by Werkzeug as it arrives.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from webapp.catalog.images import ImageRecords
from webapp.catalog.lookup import dataset_of, project_of
from webapp.images import captions, files
from webapp.images import service as images
from webapp.images.files import file_store
from webapp.images.forms import CaptionForm, ReplaceForm, UploadForm
from webapp.ledger.activity import Activity
from webapp.rules import datasets as rules
from webapp.rules.images import UPLOAD_REQUEST_BYTES, UPLOAD_REQUEST_PARTS
from webapp.services import services
from webapp.web import structured
from webapp.web.bodies import large_body
from webapp.web.pages import Page
from webapp.web.people import person

bp = Blueprint(
    "images", __name__, url_prefix="/projects/<int:project_id>/datasets/<int:dataset_id>"
)


#: What goes on the project's record of who did what.
UPLOAD, CAPTION_EDITED, CAPTION_REGENERATED, CAPTIONS_REPLACED, CAPTIONS_UNDONE = (
    "images.upload",
    "caption.edit",
    "caption.regenerate",
    "captions.replace",
    "captions.undo",
)


def _back(project_id: int, dataset_id: int, anchor: str = "", **args: Any) -> Response:
    target = url_for("datasets.show", project_id=project_id, dataset_id=dataset_id, **args)
    return redirect(target + (f"#{anchor}" if anchor else ""), 303)


@bp.post("/images")
@large_body(UPLOAD_REQUEST_BYTES, UPLOAD_REQUEST_PARTS)
def upload(project_id: int, dataset_id: int) -> Page:
    project_of(project_id)
    dataset, _ = dataset_of(project_id, dataset_id)
    form = UploadForm()
    chosen = [f for f in request.files.getlist(form.images.name) if f.filename or f.content_length]
    if not form.validate() or not chosen:
        flash("Choose one or more images to add." if form.validate() else form_problem(form))
        return _back(project_id, dataset_id, "add-images")
    incoming = []
    for storage in chosen:
        storage.stream.seek(0, 2)
        size = storage.stream.tell()
        storage.stream.seek(0)
        incoming.append(images.Incoming(storage.filename or "unnamed", storage.stream, size))
    who = person()
    added = images.add_images(services(), dataset, incoming, form.increase_resolution.data, who)
    if added.accepted:
        count = len(added.accepted)
        subject = f"{count} image{'s' if count != 1 else ''} to dataset “{dataset['name']}”"
        activity = services().get(Activity.of)
        activity.record(UPLOAD, subject, project_id, who, f"{UPLOAD}:{added.batch}")
    return _back(project_id, dataset_id, "last-upload", batch=added.batch)


def form_problem(form: UploadForm) -> str:
    if form.csrf_token.errors:
        return "This page was open for a long time: choose the images again and add them."
    return "Choose one or more images to add."


@bp.get("/thumbnails/<int:upload_id>.jpg")
def thumbnail(project_id: int, dataset_id: int, upload_id: int) -> Response:
    upload = images.queue(services()).get(upload_id)
    if upload is None or upload.dataset_id != dataset_id or upload.project_id != project_id:
        abort(404)
    picture = services().get(file_store).read(files.key(upload_id, "thumb"))
    if picture is None:
        abort(404)
    response = Response(picture, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


@bp.get("/queue.json")
def queue_state(project_id: int, dataset_id: int) -> dict[str, Any]:
    """What the page's script reads while files are on their way."""
    svc = services()
    listed = images.entries(svc, dataset_id, svc.get(ImageRecords).of_dataset(dataset_id)[0])
    return {
        "counts": images.counts(listed),
        "uploads": {
            str(e.upload.id): {"state": e.state, "reason": e.upload.reason}
            for e in listed
            if e.upload is not None
        },
    }


@bp.post("/uploads/<int:upload_id>/<any(remove, retry):action>")
def upload_action(project_id: int, dataset_id: int, upload_id: int, action: str) -> Response:
    svc = services()
    CaptionForm().validate() or abort(400)
    upload = images.queue(svc).get(upload_id)
    if upload is None or upload.dataset_id != dataset_id:
        abort(404)
    if action == "retry":
        images.retry_upload(svc, upload)
        flash(f"“{upload.original_name}” will be sent again.")
    else:
        problem = images.remove_upload(svc, upload)
        flash(problem or f"“{upload.original_name}” is out of the dataset.")
    return _back(project_id, dataset_id, "images")


@bp.post("/images/<int:image_id>/remove")
def remove_image(project_id: int, dataset_id: int, image_id: int) -> Response:
    """An image at Bria the app did not add (Bria's console, a script)."""
    CaptionForm().validate() or abort(400)
    dataset, _ = dataset_of(project_id, dataset_id)
    if dataset.get("status") != rules.DRAFT:
        flash("The dataset is completed: its images cannot change.")
    else:
        flash(
            images.remove_image(services(), dataset_id, image_id)
            or "The image is out of the dataset."
        )
    return _back(project_id, dataset_id, "images")


# -- captions ------------------------------------------------------------------------


def _image(dataset_id: int, image_id: int) -> dict[str, Any]:
    found = [
        i for i in services().get(ImageRecords).of_dataset(dataset_id)[0] if i["id"] == image_id
    ]
    if not found:
        abort(404)
    return found[0]


@bp.route("/images/<int:image_id>/caption", methods=["GET", "POST"])
def caption(project_id: int, dataset_id: int, image_id: int) -> Page:
    svc = services()
    project = project_of(project_id)
    dataset, _ = dataset_of(project_id, dataset_id)
    image = _image(dataset_id, image_id)
    upload = next((e.upload for e in images.entries(svc, dataset_id, [image]) if e.upload), None)
    form = CaptionForm()
    context = {"project": project, "dataset": dataset, "image": image, "upload": upload}

    def page(status: int) -> Page:
        return render_template("images/caption.html", form=form, **context), status

    if request.method == "GET":
        return page(200)
    if not form.validate():
        return page(400)
    if dataset.get("status") != rules.DRAFT:
        form.caption.errors = ["The dataset is completed: its captions cannot change."]
        return page(409)
    regenerate = request.form.get("action") == "regenerate"
    if regenerate:
        problem = captions.regenerate_caption(svc, dataset, image_id)
    else:
        written = structured.from_form(request.form, image.get("caption"))
        problem = captions.set_caption(svc, dataset, image_id, written)
        if problem:
            form.caption.data = written
    if problem:
        form.caption.errors = [problem]
        return page(400)
    name = images.Entry(upload, image).name or f"image {image_id}"
    subject = f"the caption of “{name}” in dataset “{dataset['name']}”"
    action = CAPTION_REGENERATED if regenerate else CAPTION_EDITED
    services().get(Activity.of).record(action, subject, project_id, person())
    flash("Bria wrote the caption again." if regenerate else "Caption saved.")
    return _back(project_id, dataset_id, f"image-{image_id}")


@bp.route("/captions/replace", methods=["GET", "POST"])
def replace(project_id: int, dataset_id: int) -> Page:
    svc = services()
    project = project_of(project_id)
    dataset, _ = dataset_of(project_id, dataset_id)
    pictures = svc.get(ImageRecords).of_dataset(dataset_id)[0]
    form = ReplaceForm()
    last = captions.last_batch(svc, dataset_id)
    context: dict[str, Any] = {"project": project, "dataset": dataset, "form": form, "last": last}
    if last is not None:
        context["progress"] = captions.batch_progress(svc, last)
    if request.method == "GET" or not form.validate() or not form.find.data:
        return render_template("images/replace.html", **context), 200
    changes = captions.preview_replace(
        pictures, dataset.get("visual_schema"), form.find.data, form.replace.data or ""
    )
    if request.form.get("action") != "confirm":
        return render_template("images/replace.html", changes=changes, **context), 200
    if dataset.get("status") != rules.DRAFT:
        abort(409)
    description = f"“{form.find.data}” replaced with “{form.replace.data or ''}”"
    captions.apply_batch(svc, dataset_id, changes, description)
    subject = (
        f"“{form.find.data}” with “{form.replace.data or ''}” in the captions of dataset "
        f"“{dataset['name']}”"
    )
    svc.get(Activity.of).record(CAPTIONS_REPLACED, subject, project_id, person())
    flash(f"{sum(1 for c in changes if c.problem is None)} captions are being changed at Bria.")
    return redirect(url_for(".replace", project_id=project_id, dataset_id=dataset_id), 303)


@bp.post("/captions/undo")
def undo(project_id: int, dataset_id: int) -> Response:
    svc = services()
    ReplaceForm().validate() or abort(400)
    dataset, _ = dataset_of(project_id, dataset_id)
    pictures = svc.get(ImageRecords).of_dataset(dataset_id, fresh=True)[0]
    if captions.undo_last(svc, dataset, pictures) is None:
        flash("There is no change to undo.")
    else:
        flash("The last change to the captions is being undone.")
        subject = f"the last change to the captions of dataset “{dataset['name']}”"
        svc.get(Activity.of).record(CAPTIONS_UNDONE, subject, project_id, person())
    return redirect(url_for(".replace", project_id=project_id, dataset_id=dataset_id), 303)
