"""The projects' work on the job runner: outcomes the database could not take at once,
creates Bria did not confirm, and rows nobody needs any more."""

from __future__ import annotations

from typing import Any

from webapp.jobs import Jobs
from webapp.projects.recording import RECORD_TASK, record
from webapp.projects.service import reconcile_open
from webapp.services import Services, services

#: Drafts (nothing sent) nobody came back to are forgotten after a week; submissions
#: that reached Bria are kept: they make a form sent again a replay, not a second project.
DRAFTS_KEPT_SECONDS = 7 * 24 * 60 * 60
#: How long an outcome waits for the database before the list has to tell instead.
RECORD_RETRIES, RECORD_RETRY_SECONDS = 3600, 1


def _record_later(submission_id: str, kind: str, result: str, message: Any, project: Any) -> None:
    record(services(), submission_id, kind, result, message, project)


def forget_old_drafts(svc: Services) -> None:
    svc.ledger.forget_drafts_older_than(DRAFTS_KEPT_SECONDS)


def register(jobs: Jobs) -> None:
    jobs.task(RECORD_TASK, retries=RECORD_RETRIES, retry_delay=RECORD_RETRY_SECONDS)(_record_later)
    jobs.periodic("projects.reconcile", reconcile_open)
    jobs.periodic("projects.forget-drafts", forget_old_drafts, minute="7")
