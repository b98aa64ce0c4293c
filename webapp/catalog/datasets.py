"""Datasets as Bria last said, kept in the database for every server.

Bria's lists are the truth: a project's datasets and a dataset are read from Bria on
everyone's behalf (`SharedReads`), at most once per `MAX_AGE_SECONDS`, and every page
answers from the rows written here. Datasets made elsewhere (Bria's console, a script)
show up the same way. What the app changes itself it writes here at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from webapp.bria.errors import BriaNotFound
from webapp.catalog.images import MAX_AGE_SECONDS, ImageRecords
from webapp.database.engine import db_now, upsert_newer_wins
from webapp.database.tables import snapshot_datasets
from webapp.ledger.shared_reads import Freshness, created_at

if TYPE_CHECKING:
    from webapp.services import Services

Dataset = dict[str, Any]


@dataclass(frozen=True)
class Read:
    """What a page shows, and how fresh it is."""

    value: Any
    freshness: Freshness


class DatasetRecords:
    """One per process (`svc.get(DatasetRecords)`)."""

    def __init__(self, svc: Services) -> None:
        self.engine = svc.engine
        self.bria = svc.bria
        self.reads = svc.reads
        self.images = svc.get(ImageRecords)
        self._upsert = upsert_newer_wins(self.engine, snapshot_datasets)

    def of_project(self, project_id: int, fresh: bool = False) -> Read:
        """The project's datasets, oldest first (the first one locked the project)."""
        freshness = self.reads.fresh_or_kept(
            f"datasets:project:{int(project_id)}",
            lambda began: self._read_project(project_id, began),
            MAX_AGE_SECONDS,
            fresh,
        )
        query = (
            select(snapshot_datasets.c.body)
            .where(snapshot_datasets.c.project_id == project_id)
            .order_by(snapshot_datasets.c.created_at, snapshot_datasets.c.id)
        )
        with self.engine.connect() as db:
            return Read([json.loads(body) for (body,) in db.execute(query)], freshness)

    def _read_project(self, project_id: int, began_at: float) -> None:
        datasets = self.bria.datasets.of_project(project_id)
        with self.engine.begin() as db:
            for dataset in datasets:
                db.execute(self._upsert.values(**_row(dataset, began_at)))
            db.execute(
                delete(snapshot_datasets)
                .where(snapshot_datasets.c.project_id == project_id)
                .where(snapshot_datasets.c.id.not_in([dataset["id"] for dataset in datasets]))
                .where(snapshot_datasets.c.read_at < began_at)
            )

    def dataset(self, dataset_id: int, fresh: bool = False) -> Read:
        """A dataset; `BriaNotFound` when Bria has no such dataset."""
        try:
            freshness = self.reads.fresh_or_kept(
                f"dataset:{int(dataset_id)}",
                lambda began: self.remember(self.bria.datasets.get(dataset_id), began),
                MAX_AGE_SECONDS,
                fresh,
            )
        except BriaNotFound:
            self.forget(dataset_id)
            raise
        query = select(snapshot_datasets.c.body).where(snapshot_datasets.c.id == dataset_id)
        with self.engine.connect() as db:
            body = db.execute(query).scalar()
        if body is None:
            if freshness.problem is not None:
                raise freshness.problem
            raise BriaNotFound("not_found", f"Dataset {dataset_id} not found", 404)
        return Read(json.loads(body), freshness)

    def remember(self, dataset: Dataset, read_at: Any = None) -> None:
        """A dataset as Bria answered it (its images, if any, are not kept here)."""
        kept = {key: value for key, value in dataset.items() if key != "images"}
        stamp = read_at if read_at is not None else db_now()
        with self.engine.begin() as db:
            db.execute(self._upsert.values(**_row(kept, stamp)))

    def forget(self, dataset_id: int) -> None:
        self.images.forget_dataset(dataset_id)
        with self.engine.begin() as db:
            db.execute(delete(snapshot_datasets).where(snapshot_datasets.c.id == dataset_id))


def _row(dataset: Dataset, read_at: Any) -> dict[str, Any]:
    moment = created_at(dataset)
    return {
        "id": dataset["id"],
        "project_id": dataset["project_id"],
        "created_at": moment.timestamp() if moment else None,
        "body": json.dumps(dataset),
        "read_at": read_at,
    }
