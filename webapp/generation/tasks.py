"""Following a generation until its image is ready, and keeping the image.

A read every two seconds where the budget allows one (so the image is on the person's
page within two seconds of Bria finishing), at the budget's pace where it is tighter.
The result's address is Bria's and expires: the image is fetched (without the token),
checked to be an image of at most 40 MB, and kept in the app's file store.
"""

from __future__ import annotations

import io
from typing import Any

from PIL import Image, UnidentifiedImageError

from webapp.bria.errors import (
    BROKEN,
    RATE_LIMITED,
    TIMEOUT,
    UNREACHABLE,
    BriaError,
    BriaNotSent,
    BriaRefused,
)
from webapp.bria.generation import Asked
from webapp.generation.service import (
    COMPLETED,
    ERROR,
    FAILED,
    FOLLOW,
    KEEP_TASK,
    UNKNOWN,
    failure_words,
    get,
    keep_asked,
    set_state,
)
from webapp.images.files import file_store
from webapp.jobs import Fail, Jobs, Retry, Work
from webapp.rules.models import GEN_COMPLETED, GEN_ERROR, GEN_IN_PROGRESS, GEN_UNKNOWN
from webapp.services import Services, services

#: How often a generation in progress is read, at the most.
FASTEST_SECONDS = 2.0
#: A status the app does not know is followed this long, then told as Bria says it.
ODD_STATUS_SECONDS = 600.0


def key(made_id: int) -> str:
    return f"generated-{int(made_id)}"


def follow(svc: Services, work: Work) -> float | None:
    made = get(svc, int(work.payload["generation"]))
    if made is None or made.ended or not made.request_id or not made.status_url:
        return None
    try:
        status = svc.bria.generation.status(Asked(made.request_id, made.status_url))
    except (BriaNotSent, BriaRefused) as error:
        if isinstance(error, BriaNotSent) or error.kind == RATE_LIMITED:
            # Not Bria saying no to the image: the budget (or Bria) asks to wait.
            raise Retry(error.retry_after or 60, "Waiting for the request budget") from None
        set_state(svc, made.id, FAILED, failure_words(error))
        raise Fail(failure_words(error)) from None
    except BriaError as error:
        if error.outcome_unknown and work.attempts < 5:
            raise
        set_state(svc, made.id, FAILED, failure_words(error))
        raise Fail(failure_words(error)) from None
    if status.status == GEN_IN_PROGRESS:
        return interval(svc)
    if status.status == GEN_COMPLETED and status.image_url:
        keep_image(svc, made.id, status.image_url, work.attempts)
        set_state(svc, made.id, COMPLETED)
        return None
    if status.status == GEN_COMPLETED:
        set_state(svc, made.id, FAILED, "Bria says the image is made but gave no address for it.")
        return None
    if status.status == GEN_ERROR:
        reason = "Bria could not make this image"
        set_state(
            svc, made.id, ERROR, f"{reason}: “{status.reason}”." if status.reason else f"{reason}."
        )
        return None
    if status.status == GEN_UNKNOWN:
        set_state(svc, made.id, UNKNOWN, "Bria lost track of this image: ask for it again.")
        return None
    if svc.jobs.queue.now() - made.created_at < ODD_STATUS_SECONDS:
        return interval(svc)
    set_state(
        svc, made.id, UNKNOWN, f"Bria reports “{status.status[:40]}”, which the app does not know."
    )
    return None


def interval(svc: Services) -> float:
    if svc.sandbox:
        return 0.5
    return max(FASTEST_SECONDS, 60.0 / max(1, svc.settings.bria_requests_per_minute // 2))


def keep_image(svc: Services, made_id: int, image_url: str, attempts: int = 1) -> None:
    """Fetch Bria's result and keep it; a result that cannot be kept (too large, not an
    image, an address the app does not fetch) is said in words, once and for all; one
    that did not arrive (a timeout, a broken connection) is tried again a few times."""
    try:
        content = svc.bria.generation.result(image_url)
    except BriaError as error:
        if error.kind in (TIMEOUT, BROKEN, UNREACHABLE) and attempts < 5:
            raise
        said = f"Bria made the image, but the app could not fetch it: {error.message}."
        set_state(svc, made_id, FAILED, said)
        raise Fail(said) from None
    try:
        with Image.open(io.BytesIO(content), formats=["PNG", "JPEG", "WEBP"]) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        set_state(svc, made_id, FAILED, "Bria's result is not an image.")
        raise Fail("Bria's result is not an image.") from None
    with svc.engine.begin() as db:
        svc.get(file_store).put(db, key(made_id), io.BytesIO(content))


def keep_later(*fields: Any) -> None:
    """`keep_asked` once the database is back (a huey task: there is no row to run)."""
    keep_asked(services(), *fields)


def register(jobs: Jobs) -> None:
    jobs.register(FOLLOW, follow, lease_seconds=300, max_attempts=6)
    jobs.task(KEEP_TASK, retries=3600, retry_delay=1)(keep_later)
