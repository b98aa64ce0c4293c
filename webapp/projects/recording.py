"""Keeping what Bria did with a project's submission: in the ledger, in the shared list,
and on the record of who did what; or, while the database is out of reach, on the
job runner until it is back."""

from __future__ import annotations

import logging
from typing import Any

from webapp.bria.errors import Failure
from webapp.database.engine import UNAVAILABLE
from webapp.ledger.activity import Activity
from webapp.ledger.submissions import CREATE, DELETE, EDIT
from webapp.projects.outcomes import Outcome, Result
from webapp.projects.snapshot import ProjectSnapshot
from webapp.services import Services

log = logging.getLogger("webapp.submissions")

#: The job that writes an outcome the database could not take when Bria answered.
RECORD_TASK = "projects.record"


def record_outcome(
    svc: Services,
    submission_id: str,
    kind: str,
    result: Result,
    failure: Failure | None = None,
    project: dict[str, Any] | None = None,
) -> Outcome:
    """Write the outcome. When the database cannot take it, the write waits on the job
    runner (`projects.record`) and the outcome is returned marked unrecorded, so that
    the view shows it from here."""
    message = failure.as_dict() if failure else None
    try:
        record(svc, submission_id, kind, result.value, message, project)
    except UNAVAILABLE:
        log.warning("the database is out of reach: %s %s %s waits", kind, submission_id, result)
        svc.jobs.call(RECORD_TASK, submission_id, kind, result.value, message, project)
        return Outcome(result, submission_id, project, failure, recorded=False)
    return Outcome(result, submission_id, project, failure)


def record(
    svc: Services,
    submission_id: str,
    kind: str,
    result: str,
    message: dict[str, Any] | None,
    project: dict[str, Any] | None,
) -> None:
    """Keep what Bria did with a submission (a task of its own when the database was
    out of reach: writing twice changes nothing, the ledger writes only open rows)."""
    if result == Result.DONE.value:
        svc.ledger.record_done(submission_id, project if kind != DELETE else None, message)
        _after_done(svc, kind, project)
    elif result == Result.NOT_SENT.value:
        svc.ledger.record_not_sent(submission_id, message or {})
    elif result == Result.UNKNOWN.value:
        svc.ledger.record_unknown(submission_id, message or {}, release_name=kind != CREATE)
    else:
        svc.ledger.record_refused(submission_id, message or {})


def _after_done(svc: Services, kind: str, project: dict[str, Any] | None) -> None:
    """Keep the shared list true at once: the next page and name check see the change."""
    if project is None:
        return
    if kind == DELETE:
        svc.get(ProjectSnapshot).forget(int(project["id"]))
        svc.ledger.release_names_of(int(project["id"]))
    else:
        svc.get(ProjectSnapshot).remember(project)


ACTIVITY = {CREATE: "project.create", EDIT: "project.edit", DELETE: "project.delete"}


def note_done(svc: Services, outcome: Outcome, kind: str, who: str | None) -> None:
    """Put a create, change or delete Bria did on the project's record of who did what:
    once, whatever is replayed (the submission id is the record's key). While the
    database is out of reach there is nothing to write it on; the action itself stands."""
    project = outcome.project
    if outcome.result is not Result.DONE or not isinstance(project, dict) or "id" not in project:
        return
    subject = f"project “{project.get('project_name') or project['id']}”"
    try:
        svc.get(Activity.of).record(
            ACTIVITY[kind], subject, int(project["id"]), who, f"{kind}:{outcome.submission_id}"
        )
    except UNAVAILABLE:
        log.warning("the database is out of reach: the %s of a project is not on record", kind)
