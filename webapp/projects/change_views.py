"""The organisation's projects: the list, a project's page, changing and deleting it.

Every page here reads from the shared snapshot (`webapp.snapshot`), which asks
Bria at most once per period for everybody; when Bria cannot be asked, what was
last read is shown with its age. A failure with nothing to show is one page,
`read_failure`, worded for where the person was.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask_wtf.csrf import CSRFError

from webapp.bria.errors import BriaError, BriaNotFound, Failure
from webapp.bria.projects import LARGEST_ID
from webapp.database.engine import DatabaseUnavailable
from webapp.ledger.shared_reads import Freshness
from webapp.ledger.submissions import DELETE, EDIT, INVALID
from webapp.projects.forms import DeleteProjectForm, EditProjectForm
from webapp.projects.outcomes import Result
from webapp.projects.recording import note_done
from webapp.projects.replies import (
    DRAFT_STATES,
    keep_draft,
    page,
    render_delete,
    render_edit_form,
    show_submission,
)
from webapp.projects.service import delete_project, edit_project
from webapp.projects.snapshot import Filters, ProjectSnapshot
from webapp.projects.words import LIST, PROJECT, explain, page_status
from webapp.rules import projects as rules
from webapp.rules.versions import TRAINING_FAMILIES
from webapp.services import services
from webapp.web import sections
from webapp.web.errors import came_from_this_site, error_page
from webapp.web.forms import new_submission_id
from webapp.web.pages import Page
from webapp.web.people import person

bp = Blueprint("projects", __name__)
#: A project's address; an id beyond what Bria (and the ledger) can hold is not found.
PROJECT_PATH = f"/projects/<int(max={LARGEST_ID}):project_id>"


class ProjectUnreadable(Exception):
    """A project's page cannot be shown: Bria could not be read and nothing older is kept."""

    def __init__(self, error: BriaError, project_id: int) -> None:
        super().__init__(error.message)
        self.error = error
        self.project_id = project_id


def read_failure(error: BriaError, context: str, project_id: int | None = None) -> Page:
    """The one page for a read Bria could not answer, with nothing older to show."""
    if isinstance(error, BriaNotFound):
        return page("not_found", 404, project_id=project_id)
    failure = Failure.of(error)
    return page(
        "read_failed",
        page_status(failure),
        failure=failure,
        message=explain(failure, context),
        context=context,
    )


def _filters() -> Filters:
    def choice(name: str, known: dict[str, Any]) -> str:
        value = request.args.get(name, "")
        return value if value in known else ""

    return Filters(
        ip_type=choice("type", rules.IP_TYPES_BY_VALUE),
        ip_medium=choice("medium", rules.MEDIA_BY_VALUE),
        family=choice("family", {family: True for family in TRAINING_FAMILIES}),
        query=(request.args.get("q") or "").strip()[:100],
    )


@bp.get("/projects")
def index() -> Page:
    snapshot = services().get(ProjectSnapshot)
    freshness = snapshot.refresh()
    if freshness.as_of is None and freshness.problem is not None:
        return read_failure(freshness.problem, LIST)
    number = request.args.get("page", "1")
    wanted = int(number) if number.isascii() and number.isdigit() and len(number) < 7 else 1
    return page("projects", listing=snapshot.page(_filters(), wanted, freshness))


def _project(project_id: int) -> tuple[dict[str, Any], Freshness]:
    """The project and how fresh it is; `ProjectUnreadable` when it cannot be read."""
    try:
        return services().get(ProjectSnapshot).project(project_id)
    except BriaError as error:
        raise ProjectUnreadable(error, project_id) from None


@bp.errorhandler(ProjectUnreadable)
def unreadable(problem: ProjectUnreadable) -> Page:
    return read_failure(problem.error, PROJECT, problem.project_id)


@bp.get(PROJECT_PATH)
def show(project_id: int) -> Page:
    project, freshness = _project(project_id)
    shown = sections.sections_for(sections.PROJECT, project)
    return page("project", project=project, freshness=freshness, sections=shown)


@bp.get(PROJECT_PATH + "/edit")
def edit(project_id: int) -> Page:
    project, freshness = _project(project_id)
    form = EditProjectForm.fresh(project.get("ip_type"), data=_editable(project))
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
    note_done(services(), outcome, EDIT, person())
    if outcome.result in DRAFT_STATES:
        return _kept_or_shown(form, project, DRAFT_STATES[outcome.result], outcome.failure)
    if not outcome.recorded:
        if outcome.result is Result.DONE:
            return page("changed", project=outcome.project, submission=None)
        return render_edit_form(form, project, 503, failure=outcome.failure)
    return show_submission(outcome.submission_id)


def _kept_or_shown(
    form: EditProjectForm,
    project: dict[str, Any],
    state: str,
    failure: Failure | dict[str, Any] | None = None,
) -> Page:
    submission_id = keep_draft(form, EDIT, state, failure, target_id=int(project["id"]))
    if submission_id is None:
        return render_edit_form(form, project, 503, failure=Failure.database())
    return show_submission(submission_id)


@bp.get(PROJECT_PATH + "/delete")
def confirm_delete(project_id: int) -> Page:
    project, _ = _project(project_id)
    return render_delete(DeleteProjectForm.fresh(), project)


@bp.post(PROJECT_PATH + "/delete")
def send_delete(project_id: int) -> Page:
    project, _ = _project(project_id)
    form = DeleteProjectForm()
    if not form.validate():
        form.submission_id.data = new_submission_id()
        return render_delete(form, project, 400)
    try:
        outcome = delete_project(services(), form.submission_id.data, project)
    except DatabaseUnavailable:
        return render_delete(form, project, 503, failure=Failure.database())
    note_done(services(), outcome, DELETE, person())
    if not outcome.recorded:
        if outcome.result is Result.DONE:
            return page("deleted", submission=None, project=project)
        return render_delete(form, project, 503, failure=outcome.failure)
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
    return render_delete(DeleteProjectForm.fresh(), project, 400, notice="stale_delete")
