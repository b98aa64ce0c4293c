"""Send something to Bria once per form, whatever is replayed: `send_once`.

The form's one-time submission id is claimed in the ledger before Bria is called (see
`webapp.ledger.submissions`); a double click, a refresh or a second tab finds the id
taken and is told what became of the first sending instead of sending again. Bria's
answer, or why it did not do it, is kept on the row. When the database cannot take
the outcome after Bria acted, the write waits on the job runner (`RECORD_TASK`).

The projects' create, change and delete have their own workflow (a duplicate name
check and reconciling from the list); everything else sent once goes through here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from webapp.bria.errors import BriaError, BriaNotSent, Failure
from webapp.database.engine import UNAVAILABLE, DatabaseUnavailable
from webapp.ledger.submissions import DONE, NOT_SENT, PENDING, REFUSED, UNKNOWN, Ledger

log = logging.getLogger("webapp.ledger")

RECORD_TASK = "ledger.record"


@dataclass(frozen=True)
class Sent:
    """What became of a submission: DONE (with Bria's `answer`), REFUSED, UNKNOWN (Bria
    may have done it), NOT_SENT (Bria was not asked), or PENDING (another request is
    sending it right now). `replay` when this id had been sent before."""

    state: str
    answer: dict[str, Any] | None = None
    failure: Failure | None = None
    replay: bool = False

    @property
    def done(self) -> bool:
        return self.state == DONE


def send_once(
    ledger: Ledger,
    jobs: Any,
    submission_id: str,
    kind: str,
    label: str,
    call: Callable[[], dict[str, Any] | None],
    payload: dict[str, Any] | None = None,
    target_id: int | None = None,
) -> Sent:
    """Call Bria (`call`) once for this submission id; see the module's docstring."""
    try:
        previous = ledger.get(submission_id)
        if previous is not None and previous.reached_bria:
            return _as_sent(previous, replay=True)
        claim = ledger.claim(
            submission_id, kind, payload or {}, {}, target_id=target_id, label=label
        )
        if not claim.won:
            again = ledger.get(submission_id)
            if again is not None:
                return _as_sent(again, replay=True)
    except UNAVAILABLE as error:
        raise DatabaseUnavailable() from error
    try:
        answer = call()
    except BriaError as error:
        failure = Failure.of(error)
        if isinstance(error, BriaNotSent):
            state = NOT_SENT
        elif error.outcome_unknown:
            state = UNKNOWN
        else:
            state = REFUSED
        _record(ledger, jobs, submission_id, state, None, failure)
        return Sent(state, None, failure)
    _record(ledger, jobs, submission_id, DONE, answer, None)
    return Sent(DONE, answer)


def record(
    ledger: Ledger,
    submission_id: str,
    state: str,
    answer: dict[str, Any] | None,
    failure: Failure | None,
) -> None:
    """Keep the outcome (a task of its own when the database was out of reach: writing
    twice changes nothing, the ledger writes only rows still open)."""
    message = failure.as_dict() if failure else {}
    if state == DONE:
        ledger.record_done(submission_id, answer, message or None)
    elif state == NOT_SENT:
        ledger.record_not_sent(submission_id, message)
    elif state == UNKNOWN:
        ledger.record_unknown(submission_id, message, release_name=True)
    else:
        ledger.record_refused(submission_id, message)


def _record(
    ledger: Ledger,
    jobs: Any,
    submission_id: str,
    state: str,
    answer: dict[str, Any] | None,
    failure: Failure | None,
) -> None:
    try:
        record(ledger, submission_id, state, answer, failure)
    except UNAVAILABLE:
        log.warning("the database is out of reach: submission %s (%s) waits", submission_id, state)
        message = failure.as_dict() if failure else None
        jobs.call(RECORD_TASK, submission_id, state, answer, message)


def _as_sent(submission: Any, replay: bool) -> Sent:
    state = submission.state if submission.state in (DONE, REFUSED, UNKNOWN, PENDING) else NOT_SENT
    return Sent(state, submission.answer, Failure.from_dict(submission.message), replay)


def register(jobs: Any, ledger: Ledger) -> None:
    """The task that writes an outcome once the database is back."""

    def record_later(
        submission_id: str, state: str, answer: Any, message: dict[str, Any] | None
    ) -> None:
        record(ledger, submission_id, state, answer, Failure.from_dict(message))

    jobs.task(RECORD_TASK, retries=3600, retry_delay=1)(record_later)
