"""Visual schemas: made by Bria from 5 to 10 of the dataset's images that the app picks
(a spread, changeable by the person), kept as a draft to read and edit, then saved.

Making one is a job (`schema:<dataset>:<n>`), since Bria may take a while; the draft
says where it is (making, ready, failed with the reason in words).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from webapp.bria.errors import BriaError, BriaNotSent, Failure
from webapp.catalog.images import ImageRecords
from webapp.database.engine import db_now, upsert_newer_wins
from webapp.database.tables import schema_drafts
from webapp.datasets.words import READ, explain
from webapp.images.pictures import differing_bits
from webapp.jobs import Fail, Retry, Work
from webapp.rules.datasets import SCHEMA_IMAGES
from webapp.services import Services

MAKE = "datasets.schema"
MAKING, READY, FAILED = "making", "ready", "failed"


@dataclass(frozen=True)
class Draft:
    state: str
    picked: list[int]
    visual_schema: str | None
    reason: str | None


def pick_spread(images: list[dict[str, Any]], hashes: dict[int, str], count: int = 8) -> list[int]:
    """A spread of the dataset's images: each next one as unlike those picked as the hashes
    say (evenly through the dataset where there are none)."""
    count = max(SCHEMA_IMAGES[0], min(count, SCHEMA_IMAGES[1], len(images)))
    ids = [int(image["id"]) for image in images]
    if len(ids) <= count:
        return ids
    hashed = [image_id for image_id in ids if image_id in hashes]
    if len(hashed) < count:
        step = len(ids) / count
        return [ids[int(index * step)] for index in range(count)]
    picked = [hashed[0]]
    while len(picked) < count:
        farthest = max(
            (i for i in hashed if i not in picked),
            key=lambda i: min(differing_bits(hashes[i], hashes[p]) for p in picked),
        )
        picked.append(farthest)
    return picked


def draft(svc: Services, dataset_id: int) -> Draft | None:
    query = select(schema_drafts).where(schema_drafts.c.dataset_id == dataset_id)
    with svc.engine.connect() as db:
        row = db.execute(query).mappings().first()
    if row is None:
        return None
    return Draft(row["state"], json.loads(row["picked"]), row["visual_schema"], row["reason"])


def _keep(svc: Services, dataset_id: int, state: str, picked: list[int], **values: Any) -> None:
    row = {
        "dataset_id": dataset_id,
        "state": state,
        "picked": json.dumps(picked),
        "visual_schema": values.get("visual_schema"),
        "reason": values.get("reason"),
        "updated_at": db_now(),
    }
    upsert = upsert_newer_wins(svc.engine, schema_drafts, key="dataset_id", stamp="updated_at")
    with svc.engine.begin() as db:
        db.execute(upsert.values(**row))


def start_making(svc: Services, dataset_id: int, picked: list[int]) -> None:
    _keep(svc, dataset_id, MAKING, picked)
    svc.jobs.submit(f"schema:{dataset_id}:{time.time_ns()}", MAKE, {"dataset": dataset_id})


def keep_edited(svc: Services, dataset_id: int, visual_schema: str) -> None:
    """A person's edit, kept as the draft until it is saved at Bria."""
    current = draft(svc, dataset_id)
    _keep(svc, dataset_id, READY, current.picked if current else [], visual_schema=visual_schema)


def make(svc: Services, work: Work) -> None:
    """The job: ask Bria for a schema from the picked images' addresses."""
    dataset_id = int(work.payload["dataset"])
    current = draft(svc, dataset_id)
    if current is None or current.state != MAKING:
        return None
    images = {int(i["id"]): i for i in svc.get(ImageRecords).of_dataset(dataset_id)[0]}
    addresses = [
        images[i]["image_url"] for i in current.picked if images.get(i, {}).get("image_url")
    ]
    if len(addresses) < SCHEMA_IMAGES[0]:
        reason = f"Fewer than {SCHEMA_IMAGES[0]} of the picked images are at Bria: pick again."
        _keep(svc, dataset_id, FAILED, current.picked, reason=reason)
        raise Fail(reason)
    try:
        schema = svc.bria.datasets.visual_schema(addresses)
    except BriaNotSent as error:
        raise Retry(error.retry_after or 60, "Waiting for the request budget") from None
    except BriaError as error:
        if error.outcome_unknown and work.attempts < 3:
            raise
        reason = explain(Failure.of(error), READ)
        _keep(svc, dataset_id, FAILED, current.picked, reason=reason)
        raise Fail(reason) from None
    _keep(svc, dataset_id, READY, current.picked, visual_schema=schema)
    return None
