"""The upload queue's jobs: a thumbnail for each file, and each file sent to Bria once.

Sending (`upload:<id>`) is idempotent. Before a send that may reach Bria, the row is
marked `attempted`; a later run of the same work (a retry after no answer, or after
`kill -9`) first reads the dataset's images and looks for the upload's unique name:
if Bria has it, the file is not sent again (and when that list cannot be read, nothing
is sent). Bria's refusals of the file (409, 412, 415, 422…) end the work with Bria's
reason in words; a spent budget or a 429 waits for the budget, its place in the queue
keeping files in the order they were added; no answer is tried again with backoff,
then shown as failed with a Retry button.
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
from webapp.bria.transport import Transport
from webapp.catalog.images import ImageRecords
from webapp.database.engine import UNAVAILABLE
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
from webapp.rules.images import MAX_FILE_BYTES
from webapp.services import Services

log = logging.getLogger("webapp.images")

#: Tries before a file the app could not get a word from Bria about shows as failed.
SEND_ATTEMPTS = 5
#: Why Bria refused an image, in words, by its status.
REFUSALS = {
    400: "Bria did not take it.",
    404: "Bria did not take it: the dataset is no longer there (deleted here or in Bria's "
    "console).",
    409: "Bria did not take it: the dataset is completed, or already has 200 images.",
    412: "Bria did not take it: the image is too small for it.",
    413: "Bria did not take it: the file is too large for it.",
    415: "Bria did not take it: it does not read this kind of file.",
    422: "Bria did not take it: the image did not pass its content checks.",
}
#: What a file waiting again, or given up on, says on the page.
SLOWED = "Bria asked the app to slow down: it is sent again as soon as Bria allows."
NO_ANSWER = "Bria did not answer this time: the app checks whether it arrived, then tries again."
GAVE_UP = "Bria did not answer after several tries: select Retry to try again."
BROKE = "Something went wrong in this app while sending it: select Retry to try again."
NOT_ALLOWED = (
    "Bria did not let the app add images (the token, or the plan's quota): once that is put "
    "right, select Retry."
)


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
    try:
        _send(svc, work, upload)
    except BriaNotSent as error:  # nothing reached Bria: wait for the budget, in turn
        uploads.set(upload.id, when=(SENDING,), state=WAITING, attempted=upload.attempted)
        wait = _wait(svc, upload, error.retry_after)
        raise Retry(wait, "Waiting for the request budget") from None
    except BriaRefused as error:
        if error.kind == RATE_LIMITED:  # the budget is paused for everyone meanwhile
            wait = _wait(svc, upload, error.retry_after)
            uploads.set(upload.id, when=(SENDING,), state=WAITING, reason=SLOWED)
            raise Retry(wait, "Bria asked to slow down") from None
        said = Failure.of(error).plain_reason
        if error.status in REFUSALS:  # Bria said no to this file
            reason = REFUSALS[error.status]
            uploads.set(upload.id, state=REFUSED, reason=_with_said(reason, said))
            return None
        # Refused for what is not the file's fault (the token, the plan's quota): the file
        # waits for a person's Retry once that is put right.
        reason = _with_said(NOT_ALLOWED, said)
        uploads.set(upload.id, state=FAILED, reason=reason)
        raise Fail(reason) from None
    except (Fail, Retry, *UNAVAILABLE):
        raise  # said already; or the database is out of reach (tried again, not counted)
    except Exception as error:
        # No word from Bria (5xx, no answer in time, a dropped connection), or a problem
        # here: tried again with backoff, and the next run looks at Bria first.
        unconfirmed = isinstance(error, BriaUnconfirmed)
        if work.attempts >= SEND_ATTEMPTS:
            reason = GAVE_UP if unconfirmed else BROKE
            uploads.set(upload.id, state=FAILED, reason=reason)
            raise Fail(reason) from None
        uploads.set(
            upload.id, when=(SENDING,), state=WAITING, reason=NO_ANSWER if unconfirmed else None
        )
        raise
    return None


def _send(svc: Services, work: Work, upload: Upload) -> None:
    """Look at Bria first when an earlier try may have reached it, else send the file."""
    uploads = svc.get(UploadQueue.of)
    if upload.attempted:
        found = _already_at_bria(svc, upload)
        if found is not None:
            _arrived(svc, upload, found)
            return
    store = svc.get(file_store)
    original = store.read(files.key(upload.id, "original"))
    if original is None:
        lost = "The file was lost before it reached Bria: add it again."
        uploads.set(upload.id, state=FAILED, reason=lost)
        raise Fail(lost)
    if upload.dhash is None:  # the thumbnail, before the original may be forgotten
        try:
            make_thumbnail(svc, work)
        except Exception:  # a thumbnail the app cannot make must not hold the file back
            log.exception("no thumbnail for upload %d", upload.id)
    content = upright(original, upload.orientation)
    if not uploads.set(upload.id, when=(WAITING, SENDING, FAILED), state=SENDING, attempted=True):
        return  # taken out meanwhile
    image = svc.bria.images.upload(
        upload.dataset_id,
        content,
        upload.image_name,
        increase_resolution=upload.increase_resolution,
    )
    svc.get(ImageRecords).remember(upload.dataset_id, image)
    _arrived(svc, upload, image)


def _with_said(reason: str, said: str | None) -> str:
    return f"{reason} It said: “{said}”." if said else reason


def _already_at_bria(svc: Services, upload: Upload) -> dict[str, Any] | None:
    """After an answer was lost: does the dataset hold an image of this upload's name?
    Raises what Bria answered when the list could not be read: without it, sending again
    could make a second copy."""
    records = svc.get(ImageRecords)
    _, freshness = records.of_dataset(upload.dataset_id, fresh=True)
    if freshness.problem is not None:
        raise freshness.problem
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


def register(jobs: Jobs, transport: Transport) -> None:
    jobs.register(THUMBNAIL, make_thumbnail, lease_seconds=120, max_attempts=3)
    # A send holds its work for as long as the largest file may take to reach Bria on
    # the slowest link the deadline allows for: no second run starts while one is sending.
    largest = transport.deadline_for(MAX_FILE_BYTES * 4 // 3 + 2**10)
    jobs.register(
        SEND,
        send,
        lease_seconds=max(jobs.lease_seconds, largest + 60),
        max_attempts=SEND_ATTEMPTS + 1,
    )
    jobs.register(captions.APPLY, captions.apply_change, lease_seconds=120)
