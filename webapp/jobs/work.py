"""Work rows: the database's record of what must be done, whatever happens to processes.

A row is written in the same transaction as the request that asked for the work.
A job claims it with a lease before doing anything (`claim`), so two consumers
never run it at once, and records how it ended only while it still holds that
lease: a job that outlived its lease (its consumer was stopped, then came back)
changes nothing. A row whose lease lapsed is claimed again by the next wake.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.engine import Connection, Engine

from webapp.database.engine import db_now, insert_unless_present
from webapp.database.tables import work

WAITING, RUNNING, DONE, FAILED = "waiting", "running", "done", "failed"
#: States of work not finished yet.
OPEN = (WAITING, RUNNING)


@dataclass(frozen=True)
class Work:
    key: str
    kind: str
    state: str
    payload: dict[str, Any]
    attempts: int
    not_before: float
    lease_until: float | None
    lease_owner: str | None
    last_error: str | None
    created_at: float
    updated_at: float

    @classmethod
    def from_row(cls, row: Any) -> Work:
        return cls(
            key=row["key"],
            kind=row["kind"],
            state=row["state"],
            payload=json.loads(row["payload"]) if row["payload"] else {},
            attempts=row["attempts"],
            not_before=row["not_before"],
            lease_until=row["lease_until"],
            lease_owner=row["lease_owner"],
            last_error=row["last_error"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )


class WorkQueue:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._insert = insert_unless_present(engine, work)

    # -- asking for work (in the caller's transaction) -----------------------

    def add(
        self, db: Connection, key: str, kind: str, payload: dict[str, Any] | None = None
    ) -> bool:
        """Ask for `key` to be done; False when it was asked for already (any state)."""
        return bool(
            db.execute(
                self._insert.values(
                    key=key,
                    kind=kind,
                    state=WAITING,
                    payload=json.dumps(payload or {}),
                    attempts=0,
                    not_before=db_now(),
                    created_at=db_now(),
                    updated_at=db_now(),
                )
            ).rowcount
        )

    def again(self, db: Connection, key: str) -> bool:
        """Ask for failed work to be tried again from the start (a Retry button)."""
        return bool(
            db.execute(
                update(work)
                .where(work.c.key == key, work.c.state == FAILED)
                .values(
                    state=WAITING,
                    attempts=0,
                    not_before=db_now(),
                    last_error=None,
                    updated_at=db_now(),
                )
            ).rowcount
        )

    def remove(self, db: Connection, key: str) -> None:
        """Work no longer wanted (what it was for is gone). A job running it finds its
        lease gone and records nothing."""
        db.execute(delete(work).where(work.c.key == key))

    # -- a job's side --------------------------------------------------------

    def claim(self, key: str, owner: str, lease_seconds: float) -> Work | None:
        """Lease `key` for one run, when it is due (waiting and its time has come, or
        running under a lease that lapsed); None when there is nothing to do now."""
        with self.engine.begin() as db:
            taken = db.execute(
                update(work)
                .where(
                    work.c.key == key,
                    or_(
                        and_(work.c.state == WAITING, work.c.not_before <= db_now()),
                        and_(work.c.state == RUNNING, work.c.lease_until < db_now()),
                    ),
                )
                .values(
                    state=RUNNING,
                    lease_until=db_now() + lease_seconds,
                    lease_owner=owner,
                    attempts=work.c.attempts + 1,
                    updated_at=db_now(),
                )
            ).rowcount
            if not taken:
                return None
            row = db.execute(select(work).where(work.c.key == key)).mappings().one()
        return Work.from_row(row)

    def finish(self, item: Work) -> bool:
        """Done. False when the lease was lost meanwhile (nothing is recorded)."""
        return self._end(item, state=DONE, lease_until=None, lease_owner=None, last_error=None)

    def later(
        self, item: Work, seconds: float, reason: str | None = None, failed_attempt: bool = True
    ) -> bool:
        """Run again in `seconds`; an attempt that did not fail (the budget was spent, a
        follower looking again) is not counted against the job."""
        values: dict[str, Any] = {
            "state": WAITING,
            "not_before": db_now() + seconds,
            "lease_until": None,
            "lease_owner": None,
            "last_error": reason,
        }
        if not failed_attempt:
            values["attempts"] = work.c.attempts - 1
        return self._end(item, **values)

    def fail(self, item: Work, reason: str) -> bool:
        """Given up: shown as failed, with `reason` in words, where people look."""
        return self._end(item, state=FAILED, lease_until=None, lease_owner=None, last_error=reason)

    def _end(self, item: Work, **values: Any) -> bool:
        with self.engine.begin() as db:
            return bool(
                db.execute(
                    update(work)
                    .where(work.c.key == item.key, work.c.lease_owner == item.lease_owner)
                    .where(work.c.state == RUNNING)
                    .values(updated_at=db_now(), **values)
                ).rowcount
            )

    # -- looking at it -------------------------------------------------------

    def get(self, key: str) -> Work | None:
        with self.engine.connect() as db:
            row = db.execute(select(work).where(work.c.key == key)).mappings().first()
        return Work.from_row(row) if row else None

    def due(self, limit: int = 1000) -> list[str]:
        """Open work that could be claimed now: waiting past its time, or leased by a
        run that did not end in time (its consumer stopped)."""
        query = (
            select(work.c.key)
            .where(
                or_(
                    and_(work.c.state == WAITING, work.c.not_before <= db_now()),
                    and_(work.c.state == RUNNING, work.c.lease_until < db_now()),
                )
            )
            .order_by(work.c.updated_at)
            .limit(limit)
        )
        with self.engine.connect() as db:
            return list(db.execute(query).scalars())

    def upcoming(self, limit: int = 1000) -> list[tuple[str, float]]:
        """Open work not due yet, and when each is: waiting rows at their time, running
        rows when their lease lapses (the wake that would run them then may have been
        lost with a consumer killed before it handed the wake to the queue)."""
        query = (
            select(work.c.key, func.coalesce(work.c.lease_until, work.c.not_before).label("at"))
            .where(
                or_(
                    and_(work.c.state == WAITING, work.c.not_before > db_now()),
                    work.c.state == RUNNING,
                )
            )
            .order_by("at")
            .limit(limit)
        )
        with self.engine.connect() as db:
            return [(key, at) for key, at in db.execute(query)]

    def open_count(self, kind: str) -> int:
        """Work of this kind not finished yet."""
        query = (
            select(func.count())
            .select_from(work)
            .where(work.c.kind == kind, work.c.state.in_(OPEN))
        )
        with self.engine.connect() as db:
            return db.execute(query).scalar_one()

    def waiting_count(self) -> int:
        with self.engine.connect() as db:
            return db.execute(
                select(func.count()).select_from(work).where(work.c.state.in_(OPEN))
            ).scalar_one()

    def failed(self, limit: int = 50) -> list[Work]:
        query = (
            select(work)
            .where(work.c.state == FAILED)
            .order_by(work.c.updated_at.desc())
            .limit(limit)
        )
        with self.engine.connect() as db:
            return [Work.from_row(row) for row in db.execute(query).mappings()]

    def now(self) -> float:
        with self.engine.connect() as db:
            return db.execute(select(db_now())).scalar_one()

    def forget_done_older_than(self, seconds: float) -> int:
        with self.engine.begin() as db:
            return db.execute(
                delete(work).where(work.c.state == DONE, work.c.updated_at < db_now() - seconds)
            ).rowcount
