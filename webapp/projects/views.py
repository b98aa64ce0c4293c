"""Creating a project: the form, and turning the create workflow's outcome into a reply."""

from __future__ import annotations

from flask import Blueprint, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import RequestEntityTooLarge

from webapp.bria.errors import Failure
from webapp.database.engine import DatabaseUnavailable
from webapp.ledger.submissions import CREATE, INVALID, NOT_SENT
from webapp.projects.forms import CreateProjectForm
from webapp.projects.outcomes import Outcome, Result
from webapp.projects.recording import note_done
from webapp.projects.replies import (
    DRAFT_STATES,
    keep_draft,
    page,
    render_create_form,
    show_submission,
)
from webapp.projects.service import create_project
from webapp.services import services
from webapp.web.errors import came_from_this_site
from webapp.web.forms import new_submission_id
from webapp.web.pages import Page
from webapp.web.people import person

bp = Blueprint("create", __name__)


@bp.get("/")
def new_project() -> Page:
    return render_create_form(CreateProjectForm.fresh())


@bp.post("/")
def send() -> Page:
    form = CreateProjectForm()
    if not form.validate():
        return _kept_or_shown(form, INVALID)
    try:
        outcome = create_project(
            services(),
            form.submission_id.data,
            form.to_payload(),
            form.answers(),
            allow_duplicate=request.form.get("allow_duplicate") == "yes",
        )
    except DatabaseUnavailable:
        return render_create_form(form, 503, failure=Failure.database())
    note_done(services(), outcome, CREATE, person())
    return _reply(form, outcome)


def _reply(form: CreateProjectForm, outcome: Outcome) -> Page:
    if outcome.result in DRAFT_STATES:
        return _kept_or_shown(form, DRAFT_STATES[outcome.result], outcome.failure)
    if outcome.result is Result.ALREADY_SENT and outcome.previous is not None:
        # Back, changed, sent again: the person wants another project, not the old one.
        form.submission_id.data = new_submission_id()
        notice = {"kind": "already_sent", "previous": outcome.previous.id}
        return _kept_or_shown(form, NOT_SENT, notice)
    if not outcome.recorded:  # the database could not keep it: show it from here
        if outcome.result is Result.DONE:
            return page("created", project=outcome.project, submission=None)
        return render_create_form(form, 503, failure=outcome.failure)
    return show_submission(outcome.submission_id)


@bp.errorhandler(CSRFError)
def page_left_open(error: CSRFError) -> Page:
    """The form token ran out (a page left open for a day) or came from elsewhere: the
    answers come back only for a post from one of this site's pages."""
    if came_from_this_site():
        form = CreateProjectForm(formdata=request.form, meta={"csrf": False})
        return _kept_or_shown(form, INVALID, {"kind": "stale_page"})
    return render_create_form(CreateProjectForm.fresh(), 400, notice="other_site")


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> Page:
    return render_create_form(CreateProjectForm.fresh(), 413, notice="too_large")


def _kept_or_shown(
    form: CreateProjectForm, state: str, failure: Failure | dict | None = None
) -> Page:
    submission_id = keep_draft(form, CREATE, state, failure)
    if submission_id is None:
        return render_create_form(form, 503, failure=Failure.database())
    return show_submission(submission_id)
