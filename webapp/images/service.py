"""Adding images to a dataset, taking them out, trying again, and what the page lists.

Adding: every file is checked (`webapp.images.checks`); the ones that pass are stored
and written to the upload queue with their work rows in one transaction, then woken;
the others are named with their reason. Nothing is sent to Bria here: jobs send the
queue at the pace of the shared request budget (`webapp.images.tasks`).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from sqlalchemy.exc import IntegrityError

from webapp.bria.errors import BriaError, BriaNotFound, Failure
from webapp.catalog.images import ImageRecords
from webapp.images import checks, files
from webapp.images.files import file_store
from webapp.images.pictures import differing_bits
from webapp.images.queue import (
    AT_BRIA,
    FAILED,
    LIVE,
    REFUSED,
    REJECTED,
    REMOVED,
    SEND,
    THUMBNAIL,
    WAITING,
    Upload,
    UploadQueue,
)
from webapp.images.words import REMOVE, explain
from webapp.rules.datasets import DRAFT
from webapp.rules.images import MAX_IMAGES_PER_DATASET, NEAR_DUPLICATE_BITS
from webapp.services import Services


@dataclass(frozen=True)
class Incoming:
    """A file as it arrived: the name the person's computer gave it, and its content."""

    name: str
    stream: BinaryIO
    size: int


@dataclass
class Added:
    """What became of the files of one upload request (`batch` names them together)."""

    batch: str
    accepted: list[Upload] = field(default_factory=list)
    refused: list[Upload] = field(default_factory=list)


#: Characters no file name shows: control characters (a NUL byte, which PostgreSQL
#: refuses to store), and the invisible marks that reorder how text reads.
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
NAME_MAX_LENGTH = 300


#: Why a file that may be at Bria already is not taken out now.
NOT_KNOWN_YET = (
    "Bria could not say whether it already has this file, so it was not taken out: try "
    "again in a minute."
)


def queue(svc: Services) -> UploadQueue:
    return svc.get(UploadQueue.of)


def shown_name(name: str) -> str:
    """A file's name as the app keeps and shows it (never as a path): without invisible
    characters, at most 300 characters."""
    return _INVISIBLE.sub("", name).strip()[:NAME_MAX_LENGTH] or "unnamed"


def add_images(
    svc: Services,
    dataset: dict[str, Any],
    incoming: list[Incoming],
    increase_resolution: bool,
    who: str | None = None,
) -> Added:
    """Check each file and queue the ones that pass; the others are kept as rejected, with
    their reason, for the page to say. See the module's docstring."""
    added = Added(batch=secrets.token_urlsafe(12))
    dataset_id = int(dataset["id"])
    at_bria = len(svc.get(ImageRecords).of_dataset(dataset_id)[0])
    room = MAX_IMAGES_PER_DATASET - at_bria - queue(svc).on_the_way_count(dataset_id)
    store = svc.get(file_store)
    for item in incoming:
        reason = None
        if dataset.get("status") != DRAFT:
            reason = "The dataset is completed: it takes no more images (clone it to change it)."
        elif room <= 0:
            reason = _no_room()
        else:
            try:
                checked = checks.check(item.stream, item.size, increase_resolution)
            except checks.Refused as refusal:
                reason = str(refusal)
        if reason is None:
            upload = _queue_one(
                svc, store, dataset, added.batch, item, checked, increase_resolution, who
            )
            if isinstance(upload, Upload):
                added.accepted.append(upload)
                room -= 1
                continue
            reason = upload
        added.refused.append(_rejected(svc, dataset, added.batch, item, reason, who))
    for upload in added.accepted:
        svc.jobs.wake(f"thumb:{upload.id}")
        svc.jobs.wake(f"upload:{upload.id}")
    return added


def _rejected(
    svc: Services, dataset: dict[str, Any], batch: str, item: Incoming, reason: str, who: str | None
) -> Upload:
    with svc.engine.begin() as db:
        upload_id = queue(svc).add(
            db,
            dataset_id=int(dataset["id"]),
            project_id=int(dataset["project_id"]),
            original_name=shown_name(item.name),
            state=REJECTED,
            batch=batch,
            size=item.size,
            sha256="",
            format="",
            width=0,
            height=0,
            increase_resolution=True,
            reason=reason,
            who=who,
        )
    upload = queue(svc).get(upload_id)
    assert upload is not None
    return upload


def _no_room() -> str:
    return (
        f"The dataset already has {MAX_IMAGES_PER_DATASET} images with those on their way, "
        "the most Bria takes: remove some to make room."
    )


def _queue_one(
    svc: Services,
    store: Any,
    dataset: dict[str, Any],
    batch: str,
    item: Incoming,
    checked: checks.Checked,
    increase_resolution: bool,
    who: str | None,
) -> Upload | str:
    """Store the file and queue it, in one transaction; the upload, or why not (words)."""
    dataset_id = int(dataset["id"])
    try:
        with svc.engine.begin() as db:
            same = queue(svc).live_hashes(db, dataset_id).get(checked.sha256)
            if same is not None:
                return f"It is the same file as “{same}”, already in this dataset."
            upload_id = queue(svc).add(
                db,
                dataset_id=dataset_id,
                project_id=int(dataset["project_id"]),
                original_name=shown_name(item.name),
                batch=batch,
                size=checked.size,
                sha256=checked.sha256,
                format=checked.format,
                width=checked.width,
                height=checked.height,
                orientation=checked.orientation,
                notes=checked.notes,
                increase_resolution=increase_resolution,
                who=who,
            )
            item.stream.seek(0)
            store.put(db, files.key(upload_id, "original"), item.stream)
            svc.jobs.add(db, f"thumb:{upload_id}", THUMBNAIL, {"upload": upload_id})
            svc.jobs.add(db, f"upload:{upload_id}", SEND, {"upload": upload_id})
    except IntegrityError:  # the same file, added through another server at this moment
        return "It is the same file as one added to this dataset a moment ago."
    upload = queue(svc).get(upload_id)
    assert upload is not None
    return upload


def remove_upload(svc: Services, upload: Upload) -> str | None:
    """Take a file out: off the queue, or off Bria. None when done, else why not (words)."""
    image_id = upload.bria_image_id if upload.state == AT_BRIA else None
    if image_id is None and upload.attempted and upload.state in (WAITING, FAILED):
        # An earlier try may have reached Bria without its answer reaching the app: if
        # Bria has the file under its unique name, it goes too. (A file being sent right
        # now is taken off Bria by its job, once Bria answers.)
        records = svc.get(ImageRecords)
        _, freshness = records.of_dataset(upload.dataset_id, fresh=True)
        if freshness.problem is not None:
            return NOT_KNOWN_YET
        found = records.named(upload.dataset_id, upload.image_name)
        image_id = int(found["id"]) if found else None
    if image_id is not None:
        problem = remove_image(svc, upload.dataset_id, image_id)
        if problem:
            return problem
    if not queue(svc).set(upload.id, when=(upload.state,), state=REMOVED):
        # Its job moved it on meanwhile (it reached Bria, say): take it out from there.
        now = queue(svc).get(upload.id)
        return None if now is None or now.state == REMOVED else remove_upload(svc, now)
    with svc.engine.begin() as db:
        svc.jobs.queue.remove(db, f"upload:{upload.id}")
    svc.get(file_store).delete(files.key(upload.id, "original"))
    return None


def remove_image(svc: Services, dataset_id: int, image_id: int) -> str | None:
    """Delete one of the dataset's images at Bria; None when done, else why not."""
    try:
        svc.bria.images.delete(dataset_id, image_id)
    except BriaNotFound:
        pass  # gone already
    except BriaError as error:
        return explain(Failure.of(error), REMOVE)
    svc.get(ImageRecords).forget(image_id)
    return None


def retry_upload(svc: Services, upload: Upload) -> bool:
    """Try a failed file again from the start."""
    if upload.state != FAILED:
        return False
    key = f"upload:{upload.id}"
    with svc.engine.begin() as db:  # both or neither: a file shown waiting is on its way
        if not svc.jobs.queue.again(db, key):
            return False
        queue(svc).set(upload.id, when=(FAILED,), db=db, state=WAITING, reason=None)
    svc.jobs.wake(key)
    return True


# -- what the dataset page lists -------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One picture on the dataset's page: a file the app took (`upload`), an image Bria
    holds (`image`), or both."""

    upload: Upload | None
    image: dict[str, Any] | None
    near_duplicates: list[str] = field(default_factory=list)

    @property
    def state(self) -> str:
        if self.image is not None:
            return AT_BRIA
        return self.upload.state if self.upload else AT_BRIA

    @property
    def name(self) -> str:
        if self.upload is not None:
            return self.upload.original_name
        return str((self.image or {}).get("image_name") or "")

    @property
    def caption(self) -> str | None:
        caption = (self.image or {}).get("caption")
        return caption if isinstance(caption, str) and caption.strip() else None


def entries(svc: Services, dataset_id: int, images: list[dict[str, Any]]) -> list[Entry]:
    """Every picture of the dataset: Bria's images (the truth) with what the app knows of
    them, then the files still on their way, refused or failed."""
    uploads = [u for u in queue(svc).of_dataset(dataset_id) if u.state not in (REMOVED, REJECTED)]
    by_image = {u.bria_image_id: u for u in uploads if u.bria_image_id is not None}
    by_name = {u.image_name: u for u in uploads}
    listed: list[Entry] = []
    matched: set[int] = set()
    for image in images:
        upload = by_image.get(image["id"]) or by_name.get(str(image.get("image_name")))
        if upload is not None:
            matched.add(upload.id)
        listed.append(Entry(upload, image))
    for upload in uploads:
        if upload.id not in matched and upload.state != AT_BRIA:
            listed.append(Entry(upload, None))
    return _with_near_duplicates(listed)


def _with_near_duplicates(listed: list[Entry]) -> list[Entry]:
    hashed = [
        (entry, entry.upload.dhash)
        for entry in listed
        if entry.upload is not None and entry.upload.dhash and entry.state in LIVE
    ]
    result = []
    for entry in listed:
        mine = entry.upload.dhash if entry.upload else None
        alike = [
            other.name
            for other, theirs in hashed
            if mine and other is not entry and differing_bits(mine, theirs) <= NEAR_DUPLICATE_BITS
        ]
        result.append(Entry(entry.upload, entry.image, alike))
    return result


def counts(listed: list[Entry]) -> dict[str, int]:
    found = {state: 0 for state in (WAITING, "sending", AT_BRIA, REFUSED, FAILED)}
    for entry in listed:
        found[entry.state] = found.get(entry.state, 0) + 1
    return found
