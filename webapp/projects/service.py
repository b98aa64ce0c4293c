"""The workflows that send something to Bria: create a project, change it, delete it.

Each takes a submission id (the form's one-time key), what to send and the
person's choice about duplicate names, and returns an `Outcome` in a straight
line. For a create:

    look the id up (a replay) → duplicate check → claim → call Bria → record or reconcile

Views only turn an outcome into a page. Nothing here knows about HTTP, so the
workflows are tested on their own (`tests/test_workflow.py`).

The guarantees live in the ledger's database, shared by every worker and server:
an id reaches Bria at most once; a new name is held while it is being created, so
two people sending it at once create one project; an outcome Bria did not confirm
is reconciled from the list of projects, never by sending again.
"""

from __future__ import annotations

import enum
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from webapp.bria.errors import CREATED_UNREADABLE, BriaError, BriaNotFound, BriaNotSent, Failure
from webapp.database.engine import UNAVAILABLE, DatabaseUnavailable
from webapp.ledger.activity import Activity
from webapp.ledger.shared_reads import Freshness
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
#: The job that writes an outcome the database could not take when Bria answered.
RECORD_TASK = "projects.record"


class Result(enum.Enum):
    DONE = "done"  # Bria did it; `project` is its answer (None: the answer was unreadable)
    DUPLICATES = "duplicates"  # the name is taken or being taken: nothing sent
    CHECK_FAILED = "check_failed"  # names could not be checked: nothing sent
    PENDING = "pending"  # the same id is still at Bria (a double click)
    ALREADY_SENT = "already_sent"  # the id reached Bria before, with other answers
    REFUSED = "refused"  # Bria said no
    UNKNOWN = "unknown"  # Bria did not confirm, and the list does not show it yet
    NOT_SENT = "not_sent"  # Bria was not asked (budget, busy, unreachable, database)


@dataclass(frozen=True)
class Outcome:
    result: Result
    submission_id: str
    project: dict[str, Any] | None = None
    failure: Failure | None = None
    #: False when the database could not keep this outcome: show it from here.
    recorded: bool = True
    previous: Submission | None = None


@dataclass(frozen=True)
class Duplicates:
    """What already has, or is about to have, a name: listed projects, and work in progress."""

    projects: list[dict[str, Any]] = field(default_factory=list)
    in_progress: list[Submission] = field(default_factory=list)
    freshness: Freshness | None = None

    def __bool__(self) -> bool:
        return bool(self.projects or self.in_progress)


class NamesUnchecked(Exception):
    """The duplicate check could not be made, so nothing was sent."""

    def __init__(self, result: Result, failure: Failure) -> None:
        super().__init__(result.value)
        self.result = result
        self.failure = failure


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
            return _record(svc, submission_id, CREATE, Result.DONE, Failure.of(error))
        return _after_failure(svc, submission_id, CREATE, error)
    return _record(svc, submission_id, CREATE, Result.DONE, project=project)


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
    return _record(svc, submission_id, EDIT, Result.DONE, project=changed)


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
    return _record(svc, submission_id, DELETE, Result.DONE, project=project)


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
        return _record(svc, submission_id, kind, Result.NOT_SENT, failure)
    if not error.outcome_unknown:
        return _record(svc, submission_id, kind, Result.REFUSED, failure)
    outcome = _record(svc, submission_id, kind, Result.UNKNOWN, failure)
    if kind == CREATE and outcome.recorded:
        submission = svc.ledger.get(submission_id)
        if submission is not None:
            return reconcile(svc, submission, must_read=True) or outcome
    return outcome


def _record(
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
