"""Ledger writes kept until the database takes them again.

When Bria has acted (a project created, changed, deleted) and the database
cannot record it, the person is still shown what Bria answered, and the write
waits here, retried every second until it succeeds. If the process ends first,
the submission stays "pending" in the database, and the next read of the list
settles it (`webapp.submissions.settle_open`).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable

from webapp.database.engine import UNAVAILABLE

log = logging.getLogger("webapp.outbox")


class Outbox:
    def __init__(self, retry_seconds: float = 1.0, limit: int = 10_000) -> None:
        self.retry_seconds = retry_seconds
        self._writes: deque[tuple[str, Callable[[], None]]] = deque(maxlen=limit)
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def __len__(self) -> int:
        return len(self._writes)

    def add(self, what: str, write: Callable[[], None]) -> None:
        log.warning("outbox holding a ledger write until the database is back: %s", what)
        with self._wake:
            self._writes.append((what, write))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._drain, name="outbox", daemon=True)
                self._thread.start()
            self._wake.notify()

    def _drain(self) -> None:
        while True:
            with self._wake:
                if not self._writes:
                    return
                what, write = self._writes[0]
            try:
                write()
            except UNAVAILABLE:
                with self._wake:
                    self._wake.wait(self.retry_seconds)
                continue
            except Exception:  # a bug, not an outage: say so and drop the write
                log.exception("outbox write failed and was dropped: %s", what)
            else:
                log.info("outbox wrote: %s", what)
            with self._wake:
                self._writes.popleft()
