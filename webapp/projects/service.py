"""The workflows that send something to Bria: create a project, change it, delete it.

Each takes a submission id (the form's one-time key), what to send and the
person's choice about duplicate names, and returns an `Outcome` in a straight
line. For a create:

    look the id up (a replay) → duplicate check → claim → call Bria → record or reconcile

Views only turn an outcome into a page. Nothing here knows about HTTP, so the
workflows are tested on their own (`tests/projects/test_workflow.py`).

The guarantees live in the ledger's database, shared by every worker and server:
an id reaches Bria at most once; a new name is held while it is being created, so
two people sending it at once create one project; an outcome Bria did not confirm
is reconciled from the list of projects, never by sending again.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from webapp.bria.errors import CREATED_UNREADABLE, BriaError, BriaNotFound, BriaNotSent, Failure
from webapp.database.engine import UNAVAILABLE, DatabaseUnavailable
from webapp.ledger.submissions import (
    CREATE,
    DELETE,
    DONE,
    EDIT,
    NOT_DONE,
    PENDING,
    UNKNOWN,
    Submission,
)
from webapp.projects.outcomes import Duplicates, NamesUnchecked, Outcome, Result
from webapp.projects.recording import record_outcome
from webapp.projects.snapshot import ProjectSnapshot
from webapp.rules import projects as rules
from webapp.rules.names import name_key
from webapp.services import Services

log = logging.getLogger("webapp.submissions")

#: How far Bria's clock may differ from the database's when matching "created since".
CLOCK_SKEW_SECONDS = 120.0
#: How long past the API's timeout a submission may stay pending before the list
#: is asked what became of it (its request's own process has given up by then).
PENDING_GRACE_SECONDS = 5.0
PENDING_POLL_SECONDS = 0.05


# -- create ------------------------------------------------------------------


def create_project(
    svc: Services,
    submission_id: str,
    payload: dict[str, str],
    answers: dict[str, str],
    allow_duplicate: bool = False,
) -> Outcome:
    """Create a project once, whatever arrives twice; see the module's docstring."""
    hold = None if allow_duplicate else name_key(payload["project_name"])
    stop = _claim(svc, submission_id, CREATE, payload, answers, hold=hold)
    if stop is not None:
        return stop
    try:
        project = svc.bria.projects.create(payload)
    except BriaError as error:
        if error.kind == CREATED_UNREADABLE:
            return record_outcome(svc, submission_id, CREATE, Result.DONE, Failure.of(error))
        return _after_failure(svc, submission_id, CREATE, error)
    return record_outcome(svc, submission_id, CREATE, Result.DONE, project=project)


def find_duplicates(
    svc: Services, key: str, except_project: int | None = None, submission_id: str = ""
) -> Duplicates:
    """Projects with this name in the shared list, and other work in progress holding it
    (not this submission's own: a resend racing its first sending is a replay).

    Raises `NamesUnchecked` when Bria may not be asked now (the budget), or when the
    list has never been read and cannot be."""
    snapshot = svc.get(ProjectSnapshot)
    freshness = snapshot.refresh()
    problem = freshness.problem
    if isinstance(problem, BriaNotSent):
        raise NamesUnchecked(Result.NOT_SENT, Failure.of(problem))
    if problem is not None and freshness.as_of is None:
        raise NamesUnchecked(Result.CHECK_FAILED, Failure.of(problem))
    projects = [p for p in snapshot.named(key) if p.get("id") != except_project]
    listed = {p.get("id") for p in projects}
    in_progress = [
        s
        for s in svc.ledger.holds_for(key)
        if s.id != submission_id
        and (s.target_id is None or s.target_id not in listed | {except_project})
    ]
    return Duplicates(projects, in_progress, freshness)


# -- edit and delete ---------------------------------------------------------


def edit_project(
    svc: Services,
    submission_id: str,
    project: dict[str, Any],
    changes: dict[str, str],
    answers: dict[str, str],
    allow_duplicate: bool = False,
) -> Outcome:
    """Change a project's name, description or IP fields once (`PUT`)."""
    project_id = int(project["id"])
    key = name_key(changes["project_name"])
    renaming = key != name_key(project.get("project_name"))
    hold = key if renaming and not allow_duplicate else None
    stop = _claim(svc, submission_id, EDIT, changes, answers, hold=hold, target_id=project_id)
    if stop is not None:
        return stop
    try:
        changed = svc.bria.projects.update(project_id, changes)
    except BriaError as error:
        return _after_failure(svc, submission_id, EDIT, error)
    return record_outcome(svc, submission_id, EDIT, Result.DONE, project=changed)


def delete_project(svc: Services, submission_id: str, project: dict[str, Any]) -> Outcome:
    """Delete a project once (`DELETE`); a project already gone counts as deleted."""
    project_id = int(project["id"])
    answers = {"project_name": str(project.get("project_name") or "")}
    stop = _claim(svc, submission_id, DELETE, {}, answers, hold=None, target_id=project_id)
    if stop is not None:
        return stop
    try:
        svc.bria.projects.delete(project_id)
    except BriaNotFound:
        pass  # deleted already, here or in Bria's console
    except BriaError as error:
        return _after_failure(svc, submission_id, DELETE, error)
    return record_outcome(svc, submission_id, DELETE, Result.DONE, project=project)


def _claim(
    svc: Services,
    submission_id: str,
    kind: str,
    payload: dict[str, str],
    answers: dict[str, str],
    *,
    hold: str | None,
    target_id: int | None = None,
) -> Outcome | None:
    """Claim the right to send this submission to Bria, or say what to show instead.

    Returns None when this request won the claim and must call Bria. Otherwise the
    outcome to show: a replay of an id that reached Bria already, or duplicates
    (`hold` is the name key to check and hold while sending; None sends as is)."""
    try:
        previous = svc.ledger.get(submission_id)
        if previous is not None and previous.reached_bria:
            return _replay(svc, previous, payload)
        if hold is not None and find_duplicates(svc, hold, target_id, submission_id):
            # The same form, sent twice at once, may have made the very project found.
            sent_meanwhile = svc.ledger.get(submission_id)
            if sent_meanwhile is not None and sent_meanwhile.reached_bria:
                return _replay(svc, sent_meanwhile, payload)
            return Outcome(Result.DUPLICATES, submission_id)
        claim = svc.ledger.claim(
            submission_id, kind, payload, answers, name_key=hold, target_id=target_id
        )
    except NamesUnchecked as unchecked:
        return Outcome(unchecked.result, submission_id, failure=unchecked.failure)
    except UNAVAILABLE as error:
        raise DatabaseUnavailable() from error
    if claim.name_held_by is not None:
        return Outcome(Result.DUPLICATES, submission_id)
    if not claim.won:
        return _replay(svc, svc.ledger.get(submission_id), payload)
    return None


# -- after Bria answered -----------------------------------------------------


def _after_failure(svc: Services, submission_id: str, kind: str, error: BriaError) -> Outcome:
    failure = Failure.of(error)
    if isinstance(error, BriaNotSent):
        return record_outcome(svc, submission_id, kind, Result.NOT_SENT, failure)
    if not error.outcome_unknown:
        return record_outcome(svc, submission_id, kind, Result.REFUSED, failure)
    outcome = record_outcome(svc, submission_id, kind, Result.UNKNOWN, failure)
    if kind == CREATE and outcome.recorded:
        submission = svc.ledger.get(submission_id)
        if submission is not None:
            return reconcile(svc, submission, must_read=True) or outcome
    return outcome


def _replay(svc: Services, previous: Submission | None, sent: dict[str, Any]) -> Outcome:
    """An id came back: say what became of it; never send it again."""
    if previous is None:  # pragma: no cover - a claimed row is never deleted
        raise DatabaseUnavailable()
    settled = _wait_while_at_bria(svc, previous)
    if settled.state == PENDING and settled.kind == CREATE:
        settled = _reconciled(svc, settled)
    same = name_key((settled.payload or {}).get("project_name")) == name_key(
        sent.get("project_name")
    )
    if not same:  # Back, changed, sent again: not a replay of what was sent
        return Outcome(Result.ALREADY_SENT, settled.id, previous=settled)
    result = _REPLAYED.get(settled.state, Result.REFUSED)
    return Outcome(result, settled.id, settled.answer, previous=settled)


#: What a replay of a sent id reports, by the state its first sending reached.
_REPLAYED = {DONE: Result.DONE, PENDING: Result.PENDING, UNKNOWN: Result.UNKNOWN}


def _wait_while_at_bria(svc: Services, submission: Submission) -> Submission:
    """Give a submission still at Bria (a double click) the API's time to finish."""
    if submission.state != PENDING or submission.attempted_at is None:
        return submission
    remaining = (
        submission.attempted_at
        + svc.timeout
        + 1
        + PENDING_GRACE_SECONDS
        - svc.get(ProjectSnapshot).now()
    )
    deadline = time.monotonic() + max(0.0, remaining)
    while submission.state == PENDING and time.monotonic() < deadline:
        time.sleep(PENDING_POLL_SECONDS)
        submission = svc.ledger.get(submission.id) or submission
    return submission


def _reconciled(svc: Services, submission: Submission) -> Submission:
    """A create pending past its time: its process gave up or died. Ask the list."""
    reconcile(svc, submission, must_read=True)
    return svc.ledger.get(submission.id) or submission


# -- reconciling what Bria did not confirm, from the list --------------------


def sent_fields_match(sent: dict[str, Any], project: dict[str, Any]) -> bool:
    """Every field we sent has the same value in the project (and what we left out is empty).

    `training_version` is compared only when the list gives it (the API's read
    schemas leave it out)."""
    for name in rules.REQUEST_FIELDS:
        if name == "training_version" and name not in project:
            continue
        if (sent.get(name) or "") != (project.get(name) or ""):
            return False
    return True


def reconcile(svc: Services, submission: Submission, must_read: bool = False) -> Outcome | None:
    """Find out from the list of projects what became of a create Bria did not confirm.

    A listed project is ours only when every field we sent matches, it was created
    after our attempt (less the clock skew), and no other create accounts for it.
    When a list read that began long enough after the attempt does not show it, it
    was not created. `must_read` asks for a list read after this moment."""
    if submission.attempted_at is None:
        return None
    snapshot = svc.get(ProjectSnapshot)
    freshness = snapshot.refresh(read_after=snapshot.now() if must_read else None)
    if freshness.as_of is None or freshness.as_of < submission.attempted_at:
        return None
    return _match(svc, submission, freshness.as_of)


def _match(svc: Services, submission: Submission, as_of: float) -> Outcome | None:
    sent = submission.payload or {}
    since = (submission.attempted_at or 0) - CLOCK_SKEW_SECONDS
    candidates = [
        p
        for p in reversed(svc.get(ProjectSnapshot).listed_since(since))
        if sent_fields_match(sent, p)
    ]
    taken = svc.ledger.ids_accounted_for(CREATE, [int(p["id"]) for p in candidates])
    for project in candidates:
        if project["id"] not in taken and svc.ledger.record_done(submission.id, project):
            log.info("submission %s found in the list: project %s", submission.id, project["id"])
            return Outcome(Result.DONE, submission.id, project)
    settled_by = (submission.attempted_at or 0) + svc.timeout + 1 + CLOCK_SKEW_SECONDS
    if as_of >= settled_by and submission.state != NOT_DONE:
        svc.ledger.record_not_done(submission.id, (submission.message or {}))
    return None


def reconcile_open(svc: Services) -> None:
    """On the job runner, once a minute: creates pending past their time (their process
    gave up or died) or of unknown outcome are looked for in the list, and the names
    of work the list now shows are freed. The list is read only when there is
    something to look for, at most once a list period for everyone."""
    snapshot = svc.get(ProjectSnapshot)
    cutoff = snapshot.now() - svc.timeout - 1 - PENDING_GRACE_SECONDS
    waiting = svc.ledger.open_submissions(before=cutoff)
    if not waiting and not svc.ledger.names_held_by_done_work():
        return
    as_of = snapshot.refresh().as_of
    if as_of is None:
        return
    svc.ledger.release_names_listed_since(as_of)
    for submission in waiting:
        if submission.attempted_at is not None and submission.attempted_at <= as_of:
            _match(svc, submission, as_of)
