"""`/submissions/<id>`: what became of a sent form, shown by a GET.

A create, a change or a delete: the confirmation when Bria did it, the form again
(with the person's answers and what went wrong) when it did not, and for an
outcome Bria did not confirm, what the app did about it and a way to check again.
Each visit to an unsettled create asks the list of projects again (at most once
per list period, for everyone).
"""

from __future__ import annotations

from flask import Blueprint, abort

from webapp.bria.errors import BriaError, Failure
from webapp.ledger.submissions import (
    CREATE,
    DELETE,
    DONE,
    DUPLICATES,
    EDIT,
    OPEN,
    PENDING,
    UNKNOWN,
    Submission,
)
from webapp.projects.forms import CreateProjectForm, DeleteProjectForm, EditProjectForm
from webapp.projects.outcomes import NamesUnchecked
from webapp.projects.replies import (
    form_from,
    page,
    render_create_form,
    render_delete,
    render_edit_form,
)
from webapp.projects.service import find_duplicates, reconcile
from webapp.projects.snapshot import ProjectSnapshot
from webapp.projects.words import NOTICES
from webapp.rules.names import name_key
from webapp.services import services
from webapp.web.forms import SUBMISSION_ID
from webapp.web.pages import Page

bp = Blueprint("submissions", __name__)


@bp.get("/submissions/<submission_id>")
def show(submission_id: str) -> Page:
    if not SUBMISSION_ID.match(submission_id):
        abort(404)
    svc = services()
    submission = svc.ledger.get(submission_id)
    if submission is None:
        abort(404)
    if submission.kind == CREATE and submission.state in OPEN:
        reconcile(svc, submission)  # "keeps checking": the list, as fresh as the budget allows
        submission = svc.ledger.get(submission_id) or submission
    if submission.kind == EDIT:
        return _edit(submission)
    if submission.kind == DELETE:
        return _delete(submission)
    return _create(submission)


def _create(submission: Submission) -> Page:
    if submission.state == DONE:
        return page("created", project=submission.answer, submission=submission)
    if submission.state == PENDING:
        return page("pending", submission=submission)
    form = form_from(submission, CreateProjectForm)
    return render_create_form(form, **_reply_context(submission))


def _edit(submission: Submission) -> Page:
    project = _current_project(submission)
    if submission.state == DONE:
        return page("changed", project=submission.answer, submission=submission)
    form = form_from(submission, EditProjectForm, ip_type=(project or {}).get("ip_type"))
    return render_edit_form(
        form, project or {"id": submission.target_id}, **_reply_context(submission)
    )


def _delete(submission: Submission) -> Page:
    if submission.state == DONE:
        return page("deleted", submission=submission)
    form = DeleteProjectForm.fresh()
    project = _current_project(submission) or {
        "id": submission.target_id,
        "project_name": submission.label,
    }
    return render_delete(
        form,
        project,
        failure=Failure.from_dict(submission.message),
        unknown=submission.state == UNKNOWN,
    )


def _current_project(submission: Submission) -> dict | None:
    if submission.target_id is None:
        return None
    try:
        project, _ = services().get(ProjectSnapshot).project(submission.target_id)
    except BriaError:
        return None
    return project


def _reply_context(submission: Submission) -> dict:
    """What the form page says above the answers, from the submission's state."""
    message = submission.message or {}
    context: dict = {"submission": submission}
    if message.get("kind") == "already_sent":
        context["already_sent"] = services().ledger.get(message.get("previous", ""))
    elif message.get("kind") in NOTICES:
        context["notice"] = message["kind"]
    else:
        context["failure"] = Failure.from_dict(message)
    if submission.state == DUPLICATES:
        key = name_key(submission.answers.get("project_name"))
        try:
            context["duplicates"] = find_duplicates(services(), key, submission.target_id)
        except NamesUnchecked as unchecked:
            context["failure"] = unchecked.failure
    return context
