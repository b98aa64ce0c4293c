"""The organisation's projects: the list, a project's page, changing and deleting it.

Every page here reads from the shared snapshot (`webapp.snapshot`), which asks
Bria at most once per period for everybody; when Bria cannot be asked, what was
last read is shown with its age. A failure with nothing to show is one page,
`read_failure`, worded for where the person was.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, make_response, render_template, request
from flask_wtf.csrf import CSRFError

from webapp import rules
from webapp.bria import LARGEST_PROJECT_ID, BriaError, BriaNotFound
from webapp.errors import came_from_this_site, error_page
from webapp.forms import DeleteProjectForm, EditProjectForm
from webapp.ledger import EDIT, INVALID, new_submission_id
from webapp.messages import LIST, PROJECT, Failure, explain, page_status
from webapp.services import services
from webapp.snapshot import Filters, Freshness
from webapp.submissions import DatabaseUnavailable, Result, delete_project, edit_project
from webapp.views.replies import (
    DRAFT_STATES,
    Page,
    keep_draft,
    render_edit_form,
    show_submission,
)

bp = Blueprint("projects", __name__)
#: A project's address; an id beyond what Bria (and the ledger) can hold is not found.
PROJECT_PATH = f"/projects/<int(max={LARGEST_PROJECT_ID}):project_id>"


def read_failure(error: BriaError, context: str, project_id: int | None = None) -> Page:
    """The one page for a read Bria could not answer, with nothing older to show."""
    if isinstance(error, BriaNotFound):
        return render_template("not_found.html", project_id=project_id), 404
    failure = Failure.of(error)
    return render_template(
        "read_failed.html", failure=failure, message=explain(failure, context), context=context
    ), page_status(failure)


def _filters() -> Filters:
    def choice(name: str, known: dict[str, Any]) -> str:
        value = request.args.get(name, "")
        return value if value in known else ""

    return Filters(
        ip_type=choice("type", rules.IP_TYPES_BY_VALUE),
        ip_medium=choice("medium", rules.MEDIA_BY_VALUE),
        family=choice("family", {family: True for family in rules.TRAINING_FAMILIES}),
        query=(request.args.get("q") or "").strip()[:100],
    )


@bp.get("/projects")
def index() -> Page:
    svc = services()
    freshness = svc.snapshot.refresh()
    if freshness.as_of is None and freshness.problem is not None:
        return read_failure(freshness.problem, LIST)
    number = request.args.get("page", "1")
    wanted = int(number) if number.isascii() and number.isdigit() and len(number) < 7 else 1
    page = svc.snapshot.page(_filters(), wanted, freshness)
    return render_template("projects.html", listing=page), 200


def _project(project_id: int) -> tuple[dict[str, Any], Freshness]:
    """The project and how fresh it is; a page that explains, when it cannot be read."""
    try:
        return services().snapshot.project(project_id)
    except BriaError as error:
        abort(make_response(read_failure(error, PROJECT, project_id)))


@bp.get(PROJECT_PATH)
def show(project_id: int) -> Page:
    project, freshness = _project(project_id)
    return render_template("project.html", project=project, freshness=freshness), 200


@bp.get(PROJECT_PATH + "/edit")
def edit(project_id: int) -> Page:
    project, freshness = _project(project_id)
    form = EditProjectForm(project.get("ip_type"), formdata=None, data=_editable(project))
    form.submission_id.data = new_submission_id()
    return render_edit_form(form, project, freshness=freshness)


def _editable(project: dict[str, Any]) -> dict[str, str]:
    return {name: str(project.get(name) or "") for name in rules.EDITABLE_FIELDS}


@bp.post(PROJECT_PATH + "/edit")
def send_edit(project_id: int) -> Page:
    project, _ = _project(project_id)
    form = EditProjectForm(project.get("ip_type"))
    if not form.validate():
        return _kept_or_shown(form, project, INVALID)
    try:
        outcome = edit_project(
            services(),
            form.submission_id.data,
            project,
            form.to_changes(),
            form.answers(),
            allow_duplicate=request.form.get("allow_duplicate") == "yes",
        )
    except DatabaseUnavailable:
        return render_edit_form(form, project, 503, failure=Failure.database())
    if outcome.result in DRAFT_STATES:
        return _kept_or_shown(form, project, DRAFT_STATES[outcome.result], outcome.failure)
    if not outcome.recorded:
        if outcome.result is Result.DONE:
            return render_template("changed.html", project=outcome.project, submission=None), 200
        return render_edit_form(form, project, 503, failure=outcome.failure)
    return show_submission(outcome.submission_id)


def _kept_or_shown(
    form: EditProjectForm,
    project: dict[str, Any],
    state: str,
    failure: Failure | dict[str, Any] | None = None,
) -> Page:
    submission_id = keep_draft(form, EDIT, state, failure, project_id=int(project["id"]))
    if submission_id is None:
        return render_edit_form(form, project, 503, failure=Failure.database())
    return show_submission(submission_id)


@bp.get(PROJECT_PATH + "/delete")
def confirm_delete(project_id: int) -> Page:
    project, _ = _project(project_id)
    form = DeleteProjectForm(formdata=None)
    form.submission_id.data = new_submission_id()
    return render_template("delete.html", form=form, project=project), 200


@bp.post(PROJECT_PATH + "/delete")
def send_delete(project_id: int) -> Page:
    project, _ = _project(project_id)
    form = DeleteProjectForm()
    if not form.validate():
        form.submission_id.data = new_submission_id()
        return render_template("delete.html", form=form, project=project), 400
    try:
        outcome = delete_project(services(), form.submission_id.data, project)
    except DatabaseUnavailable:
        return render_template(
            "delete.html", form=form, project=project, failure=Failure.database()
        ), 503
    if not outcome.recorded:
        if outcome.result is Result.DONE:
            return render_template("deleted.html", submission=None, project=project), 200
        return render_template(
            "delete.html", form=form, project=project, failure=outcome.failure
        ), 503
    return show_submission(outcome.submission_id)


@bp.errorhandler(CSRFError)
def page_left_open(error: CSRFError) -> Page:
    """A change or delete form whose token ran out: nothing was sent. A change from this
    site comes back with its answers; a delete asks again."""
    project_id = (request.view_args or {}).get("project_id")
    if project_id is None or not came_from_this_site():
        return error_page(400)
    project, _ = _project(project_id)
    if request.endpoint == "projects.send_edit":
        form = EditProjectForm(project.get("ip_type"), formdata=request.form, meta={"csrf": False})
        return _kept_or_shown(form, project, INVALID, {"kind": "stale_page"})
    form = DeleteProjectForm(formdata=None)
    form.submission_id.data = new_submission_id()
    return render_template("delete.html", form=form, project=project, notice="stale_delete"), 400
