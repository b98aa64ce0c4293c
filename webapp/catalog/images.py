"""A dataset's images as Bria last listed them, kept in the database for every server.

Bria's list is the truth (images added in Bria's console or by a script show up too);
it is read on everyone's behalf at most once per `MAX_AGE_SECONDS` (`SharedReads`),
and what the app changes itself is written here at once.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from webapp.database.engine import db_now, upsert_newer_wins
from webapp.database.tables import snapshot_images
from webapp.ledger.shared_reads import Freshness

if TYPE_CHECKING:
    from webapp.services import Services

Image = dict[str, Any]
#: How old what a dataset's page shows may be.
MAX_AGE_SECONDS = 30.0


class ImageRecords:
    """One per process (`svc.get(ImageRecords)`)."""

    def __init__(self, svc: Services) -> None:
        self.engine = svc.engine
        self.bria = svc.bria
        self.reads = svc.reads
        self._upsert = upsert_newer_wins(self.engine, snapshot_images)

    def of_dataset(self, dataset_id: int, fresh: bool = False) -> tuple[list[Image], Freshness]:
        """The dataset's images at Bria, in the order they arrived, and how fresh."""
        freshness = self.reads.fresh_or_kept(
            f"images:dataset:{int(dataset_id)}",
            lambda began: self._read(dataset_id, began),
            MAX_AGE_SECONDS,
            fresh,
        )
        query = (
            select(snapshot_images.c.body)
            .where(snapshot_images.c.dataset_id == dataset_id)
            .order_by(snapshot_images.c.id)
        )
        with self.engine.connect() as db:
            return [json.loads(body) for (body,) in db.execute(query)], freshness

    def _read(self, dataset_id: int, began_at: float) -> None:
        images = self.bria.images.of_dataset(dataset_id)
        with self.engine.begin() as db:
            for image in images:
                db.execute(self._upsert.values(**_row(dataset_id, image, began_at)))
            db.execute(
                delete(snapshot_images)
                .where(snapshot_images.c.dataset_id == dataset_id)
                .where(snapshot_images.c.id.not_in([image["id"] for image in images]))
                .where(snapshot_images.c.read_at < began_at)
            )

    def remember(self, dataset_id: int, image: Image) -> None:
        """An image as Bria just answered it (uploaded, captioned)."""
        with self.engine.begin() as db:
            db.execute(self._upsert.values(**_row(dataset_id, image, db_now())))

    def forget(self, image_id: int) -> None:
        with self.engine.begin() as db:
            db.execute(delete(snapshot_images).where(snapshot_images.c.id == image_id))

    def forget_dataset(self, dataset_id: int) -> None:
        with self.engine.begin() as db:
            db.execute(delete(snapshot_images).where(snapshot_images.c.dataset_id == dataset_id))

    def named(self, dataset_id: int, image_name: str) -> Image | None:
        """The image Bria holds under this name, as last read."""
        query = select(snapshot_images.c.body).where(
            snapshot_images.c.dataset_id == dataset_id, snapshot_images.c.image_name == image_name
        )
        with self.engine.connect() as db:
            body = db.execute(query).scalar()
        return json.loads(body) if body else None


def _row(dataset_id: int, image: Image, read_at: Any) -> dict[str, Any]:
    return {
        "id": image["id"],
        "dataset_id": dataset_id,
        "image_name": str(image.get("image_name") or "")[:200],
        "body": json.dumps(image),
        "read_at": read_at,
    }
