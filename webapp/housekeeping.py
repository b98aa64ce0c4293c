"""Rows nobody needs any more, deleted now and then so that the ledger does not grow for ever.

Run after a read of the list of projects (at most once an hour in each process):
drafts that were never sent and are a week old, sign-in attempts past their window,
sessions that ended. Submissions that reached Bria are kept: they are what makes a
form sent again a replay rather than a second project.
"""

from __future__ import annotations

import logging
import threading
import time

from webapp.access.gate import AccessGate
from webapp.services import Services

log = logging.getLogger("webapp.housekeeping")

DRAFTS_KEPT_SECONDS = 7 * 24 * 60 * 60
EVERY_SECONDS = 60 * 60


class Housekeeping:
    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self._last = float("-inf")
        self._lock = threading.Lock()

    def __call__(self, as_of: float) -> None:
        with self._lock:
            if time.monotonic() - self._last < EVERY_SECONDS:
                return
            self._last = time.monotonic()
        drafts = self.svc.ledger.forget_drafts_older_than(DRAFTS_KEPT_SECONDS)
        self.svc.get(AccessGate.of).forget_old()
        if drafts:
            log.info("housekeeping forgot %d drafts older than a week", drafts)
