"""Asking a trained model for an image, and the images the team has had made.

The prompt form is on the model's page (`webapp.training.views`); its answer is that
page again, where the new image appears in the gallery when Bria has made it.
"""

from __future__ import annotations

import io

from flask import Blueprint, abort, render_template, request, url_for
from PIL import Image, UnidentifiedImageError
from werkzeug.wrappers import Response

from webapp.catalog.lookup import model_of, project_of
from webapp.generation import service
from webapp.generation.forms import PromptForm
from webapp.generation.tasks import key
from webapp.generation.words import GENERATE, explain
from webapp.images.files import file_store
from webapp.rules import models as rules
from webapp.services import services
from webapp.web.pages import Page
from webapp.web.people import person
from webapp.web.sending import after_sending

bp = Blueprint("generation", __name__, url_prefix="/projects/<int:project_id>")


@bp.post("/models/<int:model_id>/generate")
def generate(project_id: int, model_id: int) -> Page:
    svc = services()
    project = project_of(project_id)
    model, freshness = model_of(project_id, model_id)
    form = PromptForm()
    context = {
        "project": project,
        "model": model,
        "freshness": freshness,
        "prefix": rules.generation_prefix(project),
    }
    if model.get("status") != rules.COMPLETED:
        form.form_errors.append("This model is not trained yet: it cannot make images.")
        return render_template("generation/prompt.html", form=form, **context), 409
    if not form.validate():
        return render_template("generation/prompt.html", form=form, **context), 400
    sent = service.ask(
        svc, form.submission_id.data, model, form.prompt.data, form.aspect_ratio.data, person()
    )
    made = (sent.answer or {}).get("id")
    page = url_for("training.show", project_id=project_id, model_id=model_id)
    shown = f"{page}#generated-{made}" if made is not None else page
    done = (shown, "Bria is making the image: it appears below when ready.")
    return after_sending(sent, explain, GENERATE, done, form, "generation/prompt.html", **context)


@bp.get("/generated/<int:made_id>")
def image(project_id: int, made_id: int) -> Response:
    """An image the team had made, as the app keeps it (Bria's own address expires)."""
    made = service.get(services(), made_id)
    if made is None or made.project_id != project_id or made.state != service.COMPLETED:
        abort(404)
    content = services().get(file_store).read(key(made_id))
    if content is None:
        abort(404)
    try:
        with Image.open(io.BytesIO(content)) as picture:
            mimetype = Image.MIME.get(picture.format or "", "application/octet-stream")
            extension = (picture.format or "bin").lower()
    except (UnidentifiedImageError, OSError):
        abort(404)
    response = Response(content, mimetype=mimetype)
    response.headers["Cache-Control"] = "private, max-age=86400"
    if request.args.get("download"):
        name = f"model-{made.model_id}-image-{made.id}.{extension}"
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
