"""Reads from Bria made once on everyone's behalf, across threads, workers and servers.

When many requests need the same thing from Bria (the list of projects, one
project) at the same moment, one of them takes a lease in the database and
asks; the others wait for the outcome written there, a failure as much as a
success. Nobody asks again while the lease holder is still waiting on Bria,
and a failure reaches everyone who was waiting instead of each of them trying
in turn. A lease outlives a crashed holder by no more than its length.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.engine import Engine

from webapp.bria.errors import TIMEOUT, BriaError, BriaNotFound, BriaUnconfirmed, Failure
from webapp.database.engine import db_now, insert_unless_present
from webapp.database.tables import refreshes

#: A read that failed this recently answers those who ask next, too: a failing
#: Bria is not asked again by every request that arrives.
FAILURE_REUSE_SECONDS = 5.0
_FIRST_POLL_SECONDS = 0.02
_LONGEST_POLL_SECONDS = 0.2


def created_at(thing: dict[str, Any]) -> datetime | None:
    """A thing's creation time at Bria as an aware datetime, or None if unreadable."""
    raw = thing.get("created_at")
    if not isinstance(raw, str):
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        moment.timestamp()  # a date at the edge of the calendar cannot be used
    except (ValueError, OverflowError):
        return None
    return moment


@dataclass(frozen=True)
class Freshness:
    """How old what is shown is, and why it is not newer when it could not be."""

    as_of: float | None
    #: When this was said (database clock); only needed to say how old it is.
    now: float | None
    problem: BriaError | None = None

    @property
    def age_seconds(self) -> float | None:
        if self.as_of is None or self.now is None:
            return None
        return max(0.0, self.now - self.as_of)


class SharedReads:
    def __init__(self, engine: Engine, lease_seconds: float) -> None:
        self.engine = engine
        self.lease_seconds = lease_seconds
        self._insert = insert_unless_present(engine, refreshes)
        self._known_keys: set[str] = set()  # rows known to exist: saves an INSERT per read

    def read(
        self,
        key: str,
        fetch: Callable[[float], None],
        max_age: float | None = None,
        fresh_after: float | None = None,
    ) -> float:
        """Make sure a read of `key` has succeeded that began at most `max_age` seconds
        ago, or at or after `fresh_after` (database clock), asking Bria through
        `fetch(began_at)` only if nobody else is. Returns when that read began.

        Raises the `BriaError` of the read that answered, when it failed."""
        self._ensure_row(key)
        deadline = time.monotonic() + self.lease_seconds
        asked_at: float | None = None
        pause = _FIRST_POLL_SECONDS
        while True:
            with self.engine.connect() as db:
                row = (
                    db.execute(
                        select(refreshes, db_now().label("now")).where(refreshes.c.key == key)
                    )
                    .mappings()
                    .one()
                )
            now = row["now"]
            if asked_at is None:
                asked_at = now
                if fresh_after is None:
                    fresh_after = now - (max_age or 0.0)
            if row["as_of"] is not None and row["as_of"] >= fresh_after:
                return row["as_of"]
            failed_at = row["failed_at"]
            if (
                failed_at is not None
                and failed_at >= asked_at - FAILURE_REUSE_SECONDS
                and (row["as_of"] is None or failed_at > row["as_of"])
            ):
                failure = Failure.from_dict(json.loads(row["failure"])) or Failure(TIMEOUT)
                raise failure.to_error(seconds_since=now - failed_at)
            lease = (
                self._lease(key) if row["lease_until"] is None or row["lease_until"] < now else None
            )
            if lease is not None:
                return self._read_holding_lease(key, lease, fetch)
            if time.monotonic() > deadline:
                raise BriaUnconfirmed(
                    TIMEOUT, "Another request was reading this from Bria and did not finish"
                )
            time.sleep(pause)
            pause = min(pause * 2, _LONGEST_POLL_SECONDS)

    def fresh_or_kept(
        self, key: str, fetch: Callable[[float], None], max_age: float, fresh: bool = False
    ) -> Freshness:
        """Read `key` unless someone did within `max_age` seconds (or, `fresh`, since
        now). When Bria cannot be asked, what was kept is shown with its age and the
        reason; a 404 is raised, since there is nothing to show."""
        now = self.now()
        try:
            as_of = self.read(key, fetch, max_age=max_age, fresh_after=now if fresh else None)
        except BriaNotFound:
            raise
        except BriaError as problem:
            return Freshness(self.last_success(key), self.now(), problem)
        return Freshness(as_of, self.now())

    def now(self) -> float:
        """The database's clock."""
        with self.engine.connect() as db:
            return db.execute(select(db_now())).scalar_one()

    def last_success(self, key: str) -> float | None:
        """When the last successful read of `key` began (database clock), or None."""
        with self.engine.connect() as db:
            return db.execute(select(refreshes.c.as_of).where(refreshes.c.key == key)).scalar()

    def _ensure_row(self, key: str) -> None:
        if key in self._known_keys:
            return
        with self.engine.begin() as db:
            db.execute(self._insert.values(key=key))
        self._known_keys.add(key)

    def _lease(self, key: str) -> str | None:
        """Take the lease on `key`; its token, or None when someone else holds it."""
        token = secrets.token_hex(8)
        with self.engine.begin() as db:
            taken = db.execute(
                update(refreshes)
                .where(refreshes.c.key == key)
                .where(or_(refreshes.c.lease_until.is_(None), refreshes.c.lease_until < db_now()))
                .values(lease_until=db_now() + self.lease_seconds, lease_owner=token)
            ).rowcount
        return token if taken else None

    def _read_holding_lease(self, key: str, lease: str, fetch: Callable[[float], None]) -> float:
        with self.engine.connect() as db:
            began_at = db.execute(select(db_now())).scalar_one()
        try:
            fetch(began_at)
        except BriaError as error:
            self._finish(
                key, lease, failed_at=db_now(), failure=json.dumps(Failure.of(error).as_dict())
            )
            raise
        except BaseException:
            self._finish(key, lease)
            raise
        self._finish(key, lease, as_of=began_at)
        return began_at

    def _finish(self, key: str, lease: str, **values: object) -> None:
        with self.engine.begin() as db:
            db.execute(
                update(refreshes)
                .where(refreshes.c.key == key)
                .where(refreshes.c.lease_owner == lease)
                .values(lease_until=None, lease_owner=None, **values)
            )
