"""The datasets' work on the job runner: visual schemas being made, and captions Bria is
writing again (one request, then a follower that reads the dataset until it is done)."""

from __future__ import annotations

from typing import Any

from webapp.bria.errors import BriaError, Failure
from webapp.catalog.datasets import DatasetRecords
from webapp.catalog.images import ImageRecords
from webapp.datasets import schema
from webapp.datasets.words import CAPTIONS, explain
from webapp.jobs import Jobs, Work
from webapp.rules.datasets import CAPTIONS_IN_PROGRESS
from webapp.services import Services

FOLLOW = "datasets.captions"
#: Asking Bria to write every caption again, on the project's record of who did what.
REGENERATE = "captions.regenerate"
#: How often the follower reads a dataset whose captions Bria is writing.
FOLLOW_SECONDS = 15.0


def regenerate_all(svc: Services, dataset: dict[str, Any]) -> str | None:
    """Ask Bria to write every caption again, and follow it until it is done; None when
    asked, else why not (words)."""
    try:
        started = svc.bria.datasets.regenerate_captions(int(dataset["id"]))
    except BriaError as error:
        return explain(Failure.of(error), CAPTIONS)
    svc.get(DatasetRecords).remember({**dataset, **started})
    key = f"captions:{dataset['id']}:{started.get('updated_at') or ''}"
    svc.jobs.submit(key, FOLLOW, {"dataset": dataset["id"]})
    return None


def follow_captions(svc: Services, work: Work) -> float | None:
    """Read the dataset (once for everyone) until Bria has written the captions."""
    dataset_id = int(work.payload["dataset"])
    dataset = svc.get(DatasetRecords).dataset(dataset_id, fresh=True)
    if dataset.freshness.problem is not None:
        return FOLLOW_SECONDS * 2
    if dataset.value.get("captions_update_status") == CAPTIONS_IN_PROGRESS:
        return FOLLOW_SECONDS
    svc.get(ImageRecords).of_dataset(dataset_id, fresh=True)
    return None


def register(jobs: Jobs) -> None:
    jobs.register(schema.MAKE, schema.make, lease_seconds=300, max_attempts=4)
    jobs.register(FOLLOW, follow_captions, lease_seconds=120, max_attempts=10)
