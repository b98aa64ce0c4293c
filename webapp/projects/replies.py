"""Form replies the Post/Redirect/Get way, and the pages that show them.

A form's reply is kept in the ledger under its submission id (what was typed,
the problems, what the person is told) and the browser is sent to
`/submissions/<id>`, where a GET shows it. Back and Refresh therefore always
land on a page that exists, never on "Confirm form resubmission", and the
answers never travel in a URL. Only when the database itself is down is a reply
shown straight from the POST.
"""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from webapp.bria.errors import Failure
from webapp.database.engine import UNAVAILABLE
from webapp.ledger.submissions import (
    CREATE,
    DELETE,
    DUPLICATES,
    EDIT,
    NOT_SENT,
    UNCHECKED,
    Submission,
)
from webapp.projects.forms import (
    CreateProjectForm,
    DeleteProjectForm,
    EditProjectForm,
    ProjectTextForm,
)
from webapp.projects.outcomes import Result
from webapp.projects.words import NOTICES, STALE_DELETE, explain, field_message
from webapp.services import services
from webapp.web.forms import SUBMISSION_ID, new_submission_id

#: Where a problem with the whole form (not one field) is kept among the problems.
FORM_PROBLEM = "_form"
#: Outcomes that sent nothing to Bria, and the draft state their reply is kept in.
DRAFT_STATES = {
    Result.DUPLICATES: DUPLICATES,
    Result.CHECK_FAILED: UNCHECKED,
    Result.NOT_SENT: NOT_SENT,
}


def page(name: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """One of this feature's templates (`templates/projects/<name>.html`), with its status."""
    return render_template(f"projects/{name}.html", **context), status


def show_submission(submission_id: str) -> Response:
    return redirect(url_for("submissions.show", submission_id=submission_id), 303)


def keep_draft(
    form: ProjectTextForm,
    kind: str,
    state: str,
    failure: Failure | dict[str, Any] | None = None,
    target_id: int | None = None,
) -> str | None:
    """Keep a reply that sent nothing to Bria; the id it was kept under, or None when
    the database cannot keep it (the caller then shows the reply at once)."""
    message = failure.as_dict() if isinstance(failure, Failure) else failure
    problems = {field.name: field.errors[0] for field in form if field.errors}
    if form.form_errors:
        problems[FORM_PROBLEM] = form.form_errors[0]
    submission_id = form.submission_id.data or ""
    if not SUBMISSION_ID.match(submission_id):
        submission_id = ""
    try:
        kept = bool(submission_id) and services().ledger.save_draft(
            submission_id, kind, state, form.answers(), problems, message, target_id
        )
        if not kept:  # a used or missing id: the reply gets a fresh one
            submission_id = new_submission_id()
            services().ledger.save_draft(
                submission_id, kind, state, form.answers(), problems, message, target_id
            )
    except UNAVAILABLE:
        return None
    return submission_id


def form_from(submission: Submission, form_class: type[ProjectTextForm], **kwargs: Any) -> Any:
    """The form as the person left it, with its problems, ready to show again.

    Each showing carries a fresh one-time id, as every rendering of a form does, so
    that each reply has an address of its own (Back goes to the one before, not to
    the same address showing something newer). The shown reply stays as it is."""
    form = form_class(formdata=MultiDict(submission.answers), meta={"csrf": False}, **kwargs)
    form.submission_id.data = new_submission_id()
    for name, message in submission.problems.items():
        if name == FORM_PROBLEM:
            form.form_errors.append(message)
        elif name in form:
            form[name].errors = [message]
    failure = Failure.from_dict(submission.message)
    named = field_message(failure) if failure else None
    if named is not None and named[0] in form:
        form[named[0]].errors = [named[1]]
    return form


def form_messages(
    context: str,
    notice: str | None = None,
    failure: Failure | None = None,
    submission: Submission | None = None,
) -> list[str]:
    """What the top of a form page says went wrong, in the words for where the person is.

    An outcome Bria did not confirm has a panel of its own, and names that could not be
    checked are said in the duplicate panel: neither is repeated here."""
    messages = [NOTICES[notice]] if notice in NOTICES else []
    unchecked = submission is not None and submission.state == UNCHECKED
    if failure is not None and not failure.outcome_unknown and not unchecked:
        messages.append(explain(failure, context))
    return messages


def _form_page(
    name: str, context: str, form: ProjectTextForm, status: int, **values: Any
) -> tuple[str, int]:
    messages = form_messages(
        context, values.get("notice"), values.get("failure"), values.get("submission")
    )
    has_errors = bool(form.errors or form.form_errors or messages)
    return page(name, status, form=form, messages=messages, has_errors=has_errors, **values)


def render_create_form(
    form: CreateProjectForm, status: int = 200, **context: Any
) -> tuple[str, int]:
    return _form_page("create", CREATE, form, status, **context)


def render_edit_form(
    form: EditProjectForm, project: dict[str, Any], status: int = 200, **context: Any
) -> tuple[str, int]:
    return _form_page("edit", EDIT, form, status, project=project, **context)


def render_delete(
    form: DeleteProjectForm,
    project: dict[str, Any],
    status: int = 200,
    failure: Failure | None = None,
    notice: str | None = None,
    unknown: bool = False,
) -> tuple[str, int]:
    messages = [STALE_DELETE] if notice == "stale_delete" else []
    if failure is not None and not unknown:
        messages.append(explain(failure, DELETE))
    return page(
        "delete",
        status,
        form=form,
        project=project,
        failure=failure,
        unknown=unknown,
        messages=messages,
        has_errors=bool(messages or form.form_errors),
    )
