"""What may be sent to Bria: a request budget shared by every server, and a bound per process.

Bria's plans allow few requests a minute for the whole organisation (10 on the
free plan). `RequestBudget` counts the requests that every process and server of
the app sent in the last 60 seconds, in the database, and refuses one more past
`BRIA_REQUESTS_PER_MINUTE`; when Bria itself answers "too many requests", it
pauses spending for as long as Bria asks (or a minute).

`Admission` is what the Bria transport asks before each call: first a place among the
calls this process may have waiting on Bria at once (so that a slow Bria cannot
take every thread, and pages that do not need Bria stay quick), then a slot of
the budget. Either refusal is a `BriaNotSent`: nothing was sent.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Engine

from webapp.bria import errors
from webapp.database.engine import db_now
from webapp.database.tables import budget_gate, budget_spent

WINDOW_SECONDS = 60.0
GATE_ROW = 1


class RequestBudget:
    def __init__(self, engine: Engine, per_minute: int) -> None:
        self.engine = engine
        self.per_minute = per_minute

    @property
    def reserved_for_changes(self) -> int:
        """Requests of each minute that reads may not take: creating, changing and
        deleting stay possible however many pages people open."""
        return max(1, self.per_minute // 5) if self.per_minute > 1 else 0

    def spend(self, reading: bool = False) -> None:
        """Take one request from the budget, or raise `BriaBudgetSpent` with the wait.

        The gate row is locked first (an UPDATE): counting and spending are then one
        step for every process and server, in SQLite and PostgreSQL alike."""
        with self.engine.begin() as db:
            db.execute(update(budget_gate).where(budget_gate.c.id == GATE_ROW).values(id=GATE_ROW))
            now, paused_until = db.execute(
                select(db_now(), budget_gate.c.paused_until).where(budget_gate.c.id == GATE_ROW)
            ).one()
            if paused_until is not None and paused_until > now:
                raise errors.budget_spent(paused_until - now)
            db.execute(delete(budget_spent).where(budget_spent.c.spent_at <= now - WINDOW_SECONDS))
            spent, oldest = db.execute(
                select(func.count(), func.min(budget_spent.c.spent_at))
            ).one()
            allowed = self.per_minute - (self.reserved_for_changes if reading else 0)
            if spent >= allowed:
                raise errors.budget_spent(max(1.0, oldest + WINDOW_SECONDS - now))
            db.execute(insert(budget_spent).values(spent_at=now))

    def pause(self, seconds: float | None) -> None:
        """Bria said "too many requests": send nothing more for `seconds` (a minute if unsaid)."""
        wait = seconds if seconds is not None else WINDOW_SECONDS
        with self.engine.begin() as db:
            db.execute(
                update(budget_gate)
                .where(budget_gate.c.id == GATE_ROW)
                .values(paused_until=db_now() + wait)
            )

    def spent_in_window(self) -> int:
        with self.engine.connect() as db:
            return db.execute(
                select(func.count()).where(budget_spent.c.spent_at > db_now() - WINDOW_SECONDS)
            ).scalar_one()


class Admission:
    """Asked by the Bria transport before every call; see the module's docstring.

    Without a budget (the sandbox, a test), only the bound on waiting calls applies."""

    def __init__(self, max_waiting: int = 1000, budget: RequestBudget | None = None) -> None:
        self.max_waiting = max_waiting
        self.budget = budget
        self._places = threading.BoundedSemaphore(max_waiting)

    @contextmanager
    def __call__(self, method: str) -> Iterator[None]:
        if not self._places.acquire(blocking=False):
            raise errors.BriaNotSent(
                errors.BUSY,
                f"{self.max_waiting} requests of this server are already waiting on Bria",
            )
        try:
            if self.budget is not None:
                self.budget.spend(reading=method == "GET")
            yield
        finally:
            self._places.release()

    def rate_limited(self, retry_after: float | None) -> None:
        if self.budget is not None:
            self.budget.pause(retry_after)
