"""The upload queue's jobs: a thumbnail for each file, and each file sent to Bria once.

Sending (`upload:<id>`) is idempotent. Before a send that may reach Bria, the row is
marked `attempted`; a later run of the same work (a retry after no answer, or after
`kill -9`) first reads the dataset's images and looks for the upload's unique name:
if Bria has it, the file is not sent again. Bria's refusals (409, 412, 415, 422) end
the work with Bria's reason in words; a spent budget or a 429 waits for the budget,
its place in the queue keeping files in the order they were added.
"""

from __future__ import annotations

import io
import logging
from typing import Any

from webapp.bria.errors import (
    RATE_LIMITED,
    BriaNotSent,
    BriaRefused,
    BriaUnconfirmed,
    Failure,
)
from webapp.catalog.images import ImageRecords
from webapp.images import captions, files
from webapp.images.files import file_store
from webapp.images.pictures import thumbnail, upright
from webapp.images.queue import (
    AT_BRIA,
    FAILED,
    REFUSED,
    REMOVED,
    SEND,
    SENDING,
    THUMBNAIL,
    WAITING,
    Upload,
    UploadQueue,
)
from webapp.images.service import remove_image
from webapp.jobs import Fail, Jobs, Retry, Work
from webapp.services import Services

log = logging.getLogger("webapp.images")

#: Tries before a file the app could not get a word from Bria about shows as failed.
SEND_ATTEMPTS = 5
#: Why Bria refused an image, in words, by its status.
REFUSALS = {
    409: "Bria did not take it: the dataset is completed, or already has 200 images.",
    412: "Bria did not take it: the image is too small for it.",
    415: "Bria did not take it: it does not read this kind of file.",
    422: "Bria did not take it: the image did not pass its content checks.",
}


def _upload(svc: Services, work: Work) -> Upload | None:
    return svc.get(UploadQueue.of).get(int(work.payload["upload"]))


def make_thumbnail(svc: Services, work: Work) -> None:
    """The thumbnail people see, made by the app from the original (never Bria's URL)."""
    upload = _upload(svc, work)
    if upload is None or upload.dhash is not None:
        return None
    store = svc.get(file_store)
    original = store.read(files.key(upload.id, "original"))
    if original is None:
        return None  # sent and forgotten before a thumbnail was asked for: nothing to show
    picture, hashed = thumbnail(original)
    with svc.engine.begin() as db:
        store.put(db, files.key(upload.id, "thumb"), io.BytesIO(picture))
    svc.get(UploadQueue.of).set(upload.id, dhash=hashed)
    return None


def send(svc: Services, work: Work) -> float | None:
    """Send one file to Bria, once; see the module's docstring."""
    uploads = svc.get(UploadQueue.of)
    upload = _upload(svc, work)
    if upload is None or upload.state in (REMOVED, AT_BRIA, REFUSED):
        return None
    if upload.attempted:
        found = _already_at_bria(svc, upload)
        if found is not None:
            _arrived(svc, upload, found)
            return None
    store = svc.get(file_store)
    original = store.read(files.key(upload.id, "original"))
    if original is None:
        lost = "The file was lost before it reached Bria: add it again."
        uploads.set(upload.id, state=FAILED, reason=lost)
        raise Fail(lost)
    if upload.dhash is None:  # the thumbnail, before the original may be forgotten
        make_thumbnail(svc, work)
    uploads.set(upload.id, when=(WAITING, SENDING, FAILED), state=SENDING, attempted=True)
    try:
        image = svc.bria.images.upload(
            upload.dataset_id,
            upright(original, upload.orientation),
            upload.image_name,
            increase_resolution=upload.increase_resolution,
        )
    except BriaNotSent as error:
        uploads.set(upload.id, when=(SENDING,), state=WAITING, attempted=upload.attempted)
        wait = _wait(svc, upload, error.retry_after)
        raise Retry(wait, "Waiting for the request budget") from None
    except BriaRefused as error:
        if error.kind == RATE_LIMITED:
            uploads.set(upload.id, when=(SENDING,), state=WAITING)
            raise Retry(_wait(svc, upload, error.retry_after), "Bria asked to slow down") from None
        reason = REFUSALS.get(error.status or 0, "Bria did not take it.")
        said = Failure.of(error).plain_reason
        words = f"{reason} It said: “{said}”." if said else reason
        uploads.set(upload.id, state=REFUSED, reason=words)
        return None
    except BriaUnconfirmed:
        if work.attempts >= SEND_ATTEMPTS:
            words = "Bria did not answer after several tries: select Retry to try again."
            uploads.set(upload.id, state=FAILED, reason=words)
            raise Fail(words) from None
        uploads.set(upload.id, when=(SENDING,), state=WAITING)
        raise  # tried again with backoff; the next run looks at Bria first
    svc.get(ImageRecords).remember(upload.dataset_id, image)
    _arrived(svc, upload, image)
    return None


def _already_at_bria(svc: Services, upload: Upload) -> dict[str, Any] | None:
    """After an answer was lost: does the dataset hold an image of this upload's name?"""
    records = svc.get(ImageRecords)
    records.of_dataset(upload.dataset_id, fresh=True)
    return records.named(upload.dataset_id, upload.image_name)


def _arrived(svc: Services, upload: Upload, image: dict[str, Any]) -> None:
    uploads = svc.get(UploadQueue.of)
    took = uploads.set(
        upload.id,
        when=(WAITING, SENDING, FAILED),
        state=AT_BRIA,
        bria_image_id=int(image["id"]),
        reason=None,
    )
    svc.get(file_store).delete(files.key(upload.id, "original"))
    if not took:  # removed while it was on its way: take it off Bria too
        remove_image(svc, upload.dataset_id, int(image["id"]))


def _wait(svc: Services, upload: Upload, retry_after: float | None) -> float:
    """When to try again: when the budget has room, and later for files further back in
    the queue, so that they go in the order they were added (not all at once)."""
    per_minute = svc.settings.bria_requests_per_minute
    place = svc.get(UploadQueue.of).waiting_before(upload.id)
    return max(retry_after or 60.0, 60.0 * place / per_minute)


def register(jobs: Jobs) -> None:
    jobs.register(THUMBNAIL, make_thumbnail, lease_seconds=120, max_attempts=3)
    jobs.register(SEND, send, max_attempts=SEND_ATTEMPTS + 1)
    jobs.register(captions.APPLY, captions.apply_change, lease_seconds=120)
