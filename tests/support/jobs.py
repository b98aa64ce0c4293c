"""A job consumer inside the test's own process, for tests that need jobs to run for real
(huey's immediate mode would hide ordering and serialisation)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from huey.consumer import Consumer

from webapp.jobs import Jobs


class ThreadConsumer(Consumer):
    """huey's consumer, started from a thread that is not the main one: no signal handlers."""

    def _set_signal_handlers(self) -> None:
        return None


@contextmanager
def consumer_running(jobs: Jobs, workers: int = 4) -> Iterator[ThreadConsumer]:
    consumer = ThreadConsumer(
        jobs.huey,
        workers=workers,
        worker_type="thread",
        initial_delay=0.01,
        max_delay=0.05,
        check_worker_health=False,
    )
    consumer.start()
    try:
        yield consumer
    finally:
        consumer.stop(graceful=True)
