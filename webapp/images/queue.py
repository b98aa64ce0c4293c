"""The upload queue: one row per file a person added, from the checks to Bria.

    waiting    accepted, stored, and waiting its turn in the request budget
    sending    a job is sending it now
    at_bria    Bria has it (`bria_image_id`)
    refused    Bria said no (`reason`, in words)
    failed     the app gave up after retries (`reason`); a person may retry
    removed    a person took it out
    rejected   the app's own checks refused it (`reason`): it never joined the queue

The row is written with its work rows (`upload:<id>` sends it, `thumb:<id>` makes its
thumbnail) in one transaction, so nothing a person added is lost between them.
"""

from __future__ import annotations

import json
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection, Engine

from webapp.database.engine import db_now
from webapp.database.tables import uploads

WAITING, SENDING, AT_BRIA, REFUSED, FAILED, REMOVED, REJECTED = (
    "waiting",
    "sending",
    "at_bria",
    "refused",
    "failed",
    "removed",
    "rejected",
)
#: Files on their way: they count against the dataset's 200 and block completing it.
ON_THE_WAY = (WAITING, SENDING)
#: Files that are, or will be, one of the dataset's images.
LIVE = (WAITING, SENDING, AT_BRIA)
SEND, THUMBNAIL = "images.send", "images.thumbnail"


@dataclass(frozen=True)
class Upload:
    id: int
    dataset_id: int
    project_id: int
    original_name: str
    image_name: str
    state: str
    batch: str
    size: int
    sha256: str
    dhash: str | None
    format: str
    width: int
    height: int
    orientation: int
    notes: list[str]
    increase_resolution: bool
    attempted: bool
    bria_image_id: int | None
    reason: str | None
    who: str | None
    created_at: float
    updated_at: float

    @classmethod
    def from_row(cls, row: Any) -> Upload:
        values = {name: row[name] for name in cls.__dataclass_fields__}
        values["notes"] = json.loads(row["notes"] or "[]")
        return cls(**values)

    @property
    def on_the_way(self) -> bool:
        return self.state in ON_THE_WAY

    @property
    def upscaled(self) -> bool:
        return any("upscale" in note for note in self.notes)

    @property
    def transparent(self) -> bool:
        return any("transparent" in note for note in self.notes)


def image_name_for(original: str, upload_id: int, format_: str) -> str:
    """A name no other upload has (Bria's list then tells whether it has this one),
    readable in Bria's console: the person's name, made plain, and the upload's number."""
    plain = unicodedata.normalize("NFKD", original).encode("ascii", "ignore").decode()
    stem = plain.rsplit(".", 1)[0].lower()
    slug = "-".join("".join(ch if ch.isalnum() else " " for ch in stem).split())[:60] or "image"
    extension = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}.get(format_, "img")
    return f"{slug}-u{upload_id}-{secrets.token_hex(3)}.{extension}"


class UploadQueue:
    """One per process (`svc.get(UploadQueue.of)`)."""

    @classmethod
    def of(cls, svc: Any) -> UploadQueue:
        return cls(svc.engine)

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, db: Connection, **values: Any) -> int:
        """A new upload in the caller's transaction (waiting, unless `state` says the checks
        rejected it); its id."""
        values["notes"] = json.dumps(values.get("notes") or [])
        values.setdefault("state", WAITING)
        placeholder = f"new-{secrets.token_hex(12)}"  # unique until the id is known
        result = db.execute(
            uploads.insert().values(
                image_name=placeholder,
                created_at=db_now(),
                updated_at=db_now(),
                **values,
            )
        )
        upload_id = int(result.inserted_primary_key[0])
        db.execute(
            update(uploads)
            .where(uploads.c.id == upload_id)
            .values(image_name=image_name_for(values["original_name"], upload_id, values["format"]))
        )
        return upload_id

    def get(self, upload_id: int) -> Upload | None:
        with self.engine.connect() as db:
            row = db.execute(select(uploads).where(uploads.c.id == upload_id)).mappings().first()
        return Upload.from_row(row) if row else None

    def of_batch(self, dataset_id: int, batch: str) -> list[Upload]:
        query = select(uploads).where(uploads.c.dataset_id == dataset_id, uploads.c.batch == batch)
        with self.engine.connect() as db:
            return [
                Upload.from_row(row) for row in db.execute(query.order_by(uploads.c.id)).mappings()
            ]

    def of_dataset(self, dataset_id: int, states: tuple[str, ...] | None = None) -> list[Upload]:
        query = select(uploads).where(uploads.c.dataset_id == dataset_id)
        if states is not None:
            query = query.where(uploads.c.state.in_(states))
        with self.engine.connect() as db:
            rows = db.execute(query.order_by(uploads.c.id)).mappings()
            return [Upload.from_row(row) for row in rows]

    def live_hashes(self, db: Connection, dataset_id: int) -> dict[str, str]:
        """The live files of a dataset, by content hash: their names (exact duplicates)."""
        query = select(uploads.c.sha256, uploads.c.original_name).where(
            uploads.c.dataset_id == dataset_id, uploads.c.state.in_(LIVE)
        )
        return {sha: name for sha, name in db.execute(query)}

    def on_the_way_count(self, dataset_id: int | None = None) -> int:
        query = select(func.count()).select_from(uploads).where(uploads.c.state.in_(ON_THE_WAY))
        if dataset_id is not None:
            query = query.where(uploads.c.dataset_id == dataset_id)
        with self.engine.connect() as db:
            return db.execute(query).scalar_one()

    def waiting_before(self, upload_id: int) -> int:
        """Files waiting that were added before this one, on every dataset: its place in
        the budget's queue."""
        query = (
            select(func.count())
            .select_from(uploads)
            .where(uploads.c.state == WAITING, uploads.c.id < upload_id)
        )
        with self.engine.connect() as db:
            return db.execute(query).scalar_one()

    def set(
        self,
        upload_id: int,
        when: tuple[str, ...] | None = None,
        *,
        db: Connection | None = None,
        **values: Any,
    ) -> bool:
        """Change an upload (only while it is in one of the states `when`, if given), in
        the caller's transaction `db` or in one of its own."""
        query = update(uploads).where(uploads.c.id == upload_id)
        if when is not None:
            query = query.where(uploads.c.state.in_(when))
        query = query.values(updated_at=db_now(), **values)
        if db is not None:
            return bool(db.execute(query).rowcount)
        with self.engine.begin() as own:
            return bool(own.execute(query).rowcount)
