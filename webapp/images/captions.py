"""Captions: edit one, regenerate one, find and replace across all of them with a
preview, and undo the last batch (regenerating every caption is the dataset's, in
`webapp.datasets.tasks`).

A caption is checked before it is sent (valid JSON, the visual schema's parts). Batches
go to Bria one caption at a time on the job runner (`caption:<batch>:<image>`), at the
budget's pace, each change kept with what it replaced so the batch can be undone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select

from webapp.bria.errors import RATE_LIMITED, BriaError, BriaNotSent, BriaRefused, Failure
from webapp.catalog.images import ImageRecords
from webapp.database.engine import db_now
from webapp.database.tables import caption_batches
from webapp.images.words import CAPTION, explain
from webapp.jobs import Fail, Retry, Work
from webapp.rules.datasets import JsonProblem, caption_problem
from webapp.services import Services

APPLY = "images.caption"


@dataclass(frozen=True)
class Change:
    image_id: int
    name: str
    before: str
    after: str
    problem: JsonProblem | None = None


def set_caption(svc: Services, dataset: dict[str, Any], image_id: int, caption: str) -> str | None:
    """A person's caption, checked, then sent; None when done, else why not (words)."""
    problem = caption_problem(caption, dataset.get("visual_schema"))
    if problem is not None:
        return str(problem)
    return _send(
        svc, dataset, lambda: svc.bria.images.set_caption(dataset["id"], image_id, caption)
    )


def regenerate_caption(svc: Services, dataset: dict[str, Any], image_id: int) -> str | None:
    return _send(svc, dataset, lambda: svc.bria.images.regenerate_caption(dataset["id"], image_id))


def _send(svc: Services, dataset: dict[str, Any], call: Any) -> str | None:
    try:
        image = call()
    except BriaError as error:
        return explain(Failure.of(error), CAPTION)
    svc.get(ImageRecords).remember(int(dataset["id"]), image)
    return None


# -- find and replace ------------------------------------------------------------


def preview_replace(
    images: list[dict[str, Any]], schema: str | None, find: str, replace: str
) -> list[Change]:
    """Every caption that would change, with the problem a change would cause."""
    changes = []
    for image in images:
        before = image.get("caption")
        if not isinstance(before, str) or not find or find not in before:
            continue
        after = before.replace(find, replace)
        name = str(image.get("image_name") or image["id"])
        changes.append(
            Change(int(image["id"]), name, before, after, caption_problem(after, schema))
        )
    return changes


def apply_batch(
    svc: Services,
    dataset_id: int,
    changes: list[Change],
    description: str,
    undoes: int | None = None,
    who: str | None = None,
) -> int:
    """Keep the batch (for undo) and send each change on the job runner; its id."""
    kept = [c for c in changes if c.problem is None and c.before != c.after]
    record = [
        {"image_id": c.image_id, "name": c.name, "before": c.before, "after": c.after} for c in kept
    ]
    with svc.engine.begin() as db:
        batch_id = int(
            db.execute(
                insert(caption_batches).values(
                    dataset_id=dataset_id,
                    description=description,
                    changes=json.dumps(record),
                    undoes=undoes,
                    who=who,
                    created_at=db_now(),
                )
            ).inserted_primary_key[0]
        )
        for change in kept:
            payload = {"dataset": dataset_id, "image": change.image_id, "caption": change.after}
            svc.jobs.add(db, f"caption:{batch_id}:{change.image_id}", APPLY, payload)
    for change in kept:
        svc.jobs.wake(f"caption:{batch_id}:{change.image_id}")
    return batch_id


def last_batch(svc: Services, dataset_id: int) -> dict[str, Any] | None:
    query = (
        select(caption_batches)
        .where(caption_batches.c.dataset_id == dataset_id)
        .order_by(caption_batches.c.id.desc())
        .limit(1)
    )
    with svc.engine.connect() as db:
        row = db.execute(query).mappings().first()
    if row is None:
        return None
    return {**row, "changes": json.loads(row["changes"])}


def undo_last(svc: Services, dataset: dict[str, Any], images: list[dict[str, Any]]) -> int | None:
    """Put back what the last batch replaced, where nobody has changed a caption since."""
    batch = last_batch(svc, int(dataset["id"]))
    if batch is None or batch["undoes"] is not None:
        return None
    current = {int(image["id"]): image.get("caption") for image in images}
    changes = [
        Change(c["image_id"], c["name"], c["after"], c["before"])
        for c in batch["changes"]
        if current.get(c["image_id"]) == c["after"]
    ]
    return apply_batch(
        svc, int(dataset["id"]), changes, f"Undo of “{batch['description']}”", batch["id"]
    )


def apply_change(svc: Services, work: Work) -> None:
    """The job: one caption of a batch, sent to Bria."""
    dataset_id, image_id = int(work.payload["dataset"]), int(work.payload["image"])
    try:
        image = svc.bria.images.set_caption(dataset_id, image_id, work.payload["caption"])
    except BriaNotSent as error:
        raise Retry(error.retry_after or 60, "Waiting for the request budget") from None
    except BriaRefused as error:
        if error.kind == RATE_LIMITED:  # not a failure: the budget waits for everyone
            raise Retry(error.retry_after or 60, "Bria asked to slow down") from None
        # Bria said no (the image is gone, the dataset completed): trying again cannot help.
        raise Fail(explain(Failure.of(error), CAPTION)) from None
    svc.get(ImageRecords).remember(dataset_id, image)
    return None


def batch_progress(svc: Services, batch: dict[str, Any]) -> tuple[int, int]:
    """How many of a batch's changes are done, of how many."""
    done = 0
    for change in batch["changes"]:
        work = svc.jobs.queue.get(f"caption:{batch['id']}:{change['image_id']}")
        done += work is not None and work.state == "done"
    return done, len(batch["changes"])
