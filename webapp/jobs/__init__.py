"""The job runner: huey wakes up work whose record is a row in the database.

huey takes a task off its queue when a consumer picks it up and keeps no
acknowledgement, so a consumer killed mid-task loses that task; queues that do
acknowledge may run a task twice. Neither matters here: the work itself is a row
(`webapp.jobs.work`) written with the request that asked for it, a run claims it
with a lease and records the outcome only while holding it, and every wake is
only "look at row K". Each claim also schedules a wake for when its lease lapses,
and a periodic sweep wakes every row that is due, so work interrupted by
`kill -9` of any process is picked up again once a consumer runs.

Storage: SQLite in the instance folder on one machine (`SqliteHuey`), Redis when
several servers share the work (`JOB_QUEUE_URL=redis://…`, `RedisHuey`).

A kind of work is a function `handler(svc, work)`: it returns None when done, or
seconds after which to run again (a follower that looks at something until it
ends). It raises `Retry` for "not now" (the request budget is spent), `Fail` for
"never" (with the reason in words), and anything else counts as a failed attempt,
tried again with backoff and then shown as failed.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from huey import RedisHuey, SqliteHuey, crontab
from huey.api import Huey
from huey.consumer import Consumer
from sqlalchemy import select, update
from sqlalchemy.engine import Connection, Engine

from webapp.database.engine import UNAVAILABLE, db_now, insert_unless_present
from webapp.database.tables import job_consumers
from webapp.jobs.work import WAITING, Work, WorkQueue

if TYPE_CHECKING:
    from flask import Flask

log = logging.getLogger("webapp.jobs")

#: Seconds before a failed attempt is tried again: doubled each time, up to the cap.
FIRST_RETRY_SECONDS = 10.0
LONGEST_RETRY_SECONDS = 30 * 60.0
#: A consumer that has not written its heartbeat for this long is taken as gone.
CONSUMER_SILENT_SECONDS = 150.0
#: Finished work is kept a week (what happened to an upload, for the pages), then forgotten.
DONE_KEPT_SECONDS = 7 * 24 * 60 * 60.0
Handler = Callable[[Any, Work], float | None]


class Retry(Exception):
    """Not now: run again in `seconds`, without counting a failed attempt."""

    def __init__(self, seconds: float, reason: str | None = None) -> None:
        super().__init__(reason or f"again in {seconds:g} s")
        self.seconds = seconds
        self.reason = reason


class Fail(Exception):
    """This will never work: the reason, in words a person reads."""


@dataclass(frozen=True)
class Kind:
    name: str
    handler: Handler
    lease_seconds: float
    max_attempts: int
    #: Words for a failure the handler did not explain (an exception it did not expect).
    describe: Callable[[BaseException], str]


def _plain_reason(error: BaseException) -> str:
    return "Something went wrong in this app while doing it: tell your administrator."


def make_huey(queue_url: str, instance: Path) -> Huey:
    """SQLite in the instance folder, or Redis when `queue_url` names one."""
    if queue_url:
        return RedisHuey("webapp", url=queue_url, results=False)
    return SqliteHuey("webapp", filename=str(instance / "jobs.sqlite3"), results=False, timeout=10)


class Jobs:
    def __init__(
        self, huey: Huey, engine: Engine, lease_seconds: float, max_attempts: int = 5
    ) -> None:
        self.huey = huey
        self.engine = engine
        self.queue = WorkQueue(engine)
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self.kinds: dict[str, Kind] = {}
        self.tasks: dict[str, Any] = {}
        self.name = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._app: Flask | None = None
        self._starting = threading.Lock()
        self._has_started = False
        self._insert_consumer = insert_unless_present(engine, job_consumers)
        self._run = huey.task(name="run")(self._run_key)
        huey.periodic_task(crontab(), name="sweep")(self._every_minute)
        huey.on_startup(name="consumer-started")(self._started)
        self.periodic("jobs.forget-done", self._forget_done, minute="37")

    def bind(self, app: Flask) -> None:
        """The app whose context jobs run in (`services()` inside a handler)."""
        self._app = app

    # -- what features declare ----------------------------------------------

    def register(
        self,
        kind: str,
        handler: Handler,
        lease_seconds: float | None = None,
        max_attempts: int | None = None,
        describe: Callable[[BaseException], str] = _plain_reason,
    ) -> None:
        """A kind of work. Its lease must outlast one run (a Bria call and its deadline)."""
        self.kinds[kind] = Kind(
            kind,
            handler,
            lease_seconds or self.lease_seconds,
            max_attempts or self.max_attempts,
            describe,
        )

    def task(self, name: str, retries: int = 0, retry_delay: float = 0) -> Callable[..., Any]:
        """A plain huey task, for work that cannot be a row (the database is out of reach)."""

        def decorator(function: Callable[..., Any]) -> Any:
            def in_context(*args: Any) -> Any:
                with self._context():
                    return function(*args)

            wrapper = self.huey.task(name=name, retries=retries, retry_delay=retry_delay)(
                in_context
            )
            self.tasks[name] = wrapper
            return wrapper

        return decorator

    def periodic(self, name: str, function: Callable[[Any], None], minute: str = "*") -> None:
        """Run `function(svc)` on every consumer at these minutes (crontab's words: "*" is
        every minute, "*/15" every quarter hour); it must be idempotent."""

        def in_context() -> None:
            with self._context():
                function(self._services())

        self.huey.periodic_task(crontab(minute=minute), name=name)(in_context)

    # -- asking for work ------------------------------------------------------

    def add(
        self, db: Connection, key: str, kind: str, payload: dict[str, Any] | None = None
    ) -> bool:
        """Record work in the caller's transaction; `wake(key)` after it commits."""
        if kind not in self.kinds:
            raise KeyError(f"no kind of work called {kind!r}")
        return self.queue.add(db, key, kind, payload)

    def submit(self, key: str, kind: str, payload: dict[str, Any] | None = None) -> bool:
        """Record work in a transaction of its own, and wake it."""
        with self.engine.begin() as db:
            added = self.add(db, key, kind, payload)
        self.wake(key)
        return added

    def wake(self, key: str, delay: float = 0.0) -> None:
        """Ask a consumer to look at `key` (now, or in `delay` seconds). Losing a wake
        loses nothing: the periodic sweep wakes every open row again."""
        try:
            if delay > 0:
                self._run.schedule(args=(key,), delay=delay)
            else:
                self._run(key)
        except Exception:
            log.exception("could not wake %s: the sweep will", key)

    def call(self, name: str, *args: Any) -> bool:
        """Enqueue the plain task `name`; False when the queue cannot take it."""
        try:
            self.tasks[name](*args)
        except Exception:
            log.exception("could not enqueue %s", name)
            return False
        return True

    # -- running it -----------------------------------------------------------

    def _context(self) -> Any:
        if self._app is None:
            raise RuntimeError("jobs run only in a process that built the app")
        return self._app.app_context()

    def _services(self) -> Any:
        """The app's services, which hold this runner (handed to every handler)."""
        return self._app.extensions["webapp"] if self._app is not None else None

    def _run_key(self, key: str) -> None:
        self.run(key)

    def run(self, key: str) -> None:
        """Claim `key` if it is due, run it once, and record how it ended."""
        with self._context():
            self._run_once(key)

    def run_if_due(self, key: str) -> bool:
        """Run `key` in this thread if it is waiting and due (no run holds it): for a page
        someone has open, which need not wait for the next wake (huey's scheduler looks
        once a second, on top of the time asked for). True when it ran. The lease keeps
        it to one run, whoever else is asking; a consumer's wake finds nothing to do."""
        work = self.queue.get(key)
        if work is None or work.state != WAITING or work.not_before > self.queue.now():
            return False
        self._run_once(key)
        return True

    def _run_once(self, key: str) -> None:
        current = self.queue.get(key)
        kind = self.kinds.get(current.kind) if current else None
        if kind is None:
            return
        item = self.queue.claim(key, self.name, kind.lease_seconds)
        if item is None:
            return
        # If this consumer dies now, the row is picked up when its lease lapses.
        self.wake(key, delay=kind.lease_seconds + 1)
        try:
            again = kind.handler(self._services(), item)
        except Retry as retry:
            self.queue.later(item, retry.seconds, retry.reason, failed_attempt=False)
            self.wake(key, delay=retry.seconds)
        except Fail as failure:
            log.warning("job %s failed: %s", key, failure)
            self.queue.fail(item, str(failure))
        except UNAVAILABLE:
            log.warning("job %s: the database is out of reach; tried again later", key)
        except Exception as error:
            self._failed_attempt(kind, item, error)
        else:
            if again is None:
                self.queue.finish(item)
            else:
                self.queue.later(item, again, failed_attempt=False)
                self.wake(key, delay=again)

    def _failed_attempt(self, kind: Kind, item: Work, error: Exception) -> None:
        log.exception("job %s: attempt %d of %d failed", item.key, item.attempts, kind.max_attempts)
        reason = kind.describe(error)
        if item.attempts >= kind.max_attempts:
            self.queue.fail(item, reason)
            return
        wait = min(FIRST_RETRY_SECONDS * 2 ** (item.attempts - 1), LONGEST_RETRY_SECONDS)
        self.queue.later(item, wait, reason)
        self.wake(item.key, delay=wait)

    def sweep(self) -> int:
        """Wake every row that is due and not running: its wake was lost (the queue
        was out of reach) or its run was (a consumer killed mid-run). How many."""
        due = self.queue.due()
        for key in due:
            self.wake(key)
        return len(due)

    def _every_minute(self) -> None:
        with self._context():
            self.beat()
            self.sweep()

    def _started(self) -> None:
        """Once per consumer (huey calls this in each worker thread): besides the sweep,
        a wake for each open row when it falls due. A wake asked for by a consumer
        killed a moment later may never have reached the queue."""
        with self._starting:
            if self._has_started:
                return
            self._has_started = True
        self._every_minute()
        with self._context():
            now = self.queue.now()
            for key, at in self.queue.upcoming():
                self.wake(key, delay=max(0.0, at - now) + 1)

    def _forget_done(self, svc: Any) -> None:
        self.queue.forget_done_older_than(DONE_KEPT_SECONDS)

    # -- the consumer ---------------------------------------------------------

    def beat(self) -> None:
        """This consumer is alive (what `/healthz` reads)."""
        with self.engine.begin() as db:
            db.execute(
                self._insert_consumer.values(name=self.name, started_at=db_now(), beat_at=db_now())
            )
            db.execute(
                update(job_consumers)
                .where(job_consumers.c.name == self.name)
                .values(beat_at=db_now())
            )

    def consumers_alive(self) -> int:
        query = select(job_consumers.c.name).where(
            job_consumers.c.beat_at > db_now() - CONSUMER_SILENT_SECONDS
        )
        with self.engine.connect() as db:
            return len(db.execute(query).all())

    def consumer(self, workers: int = 8) -> Consumer:
        """A consumer running `workers` threads (Bria calls wait, they do not compute).

        An idle worker looks for work at least every quarter second (SQLite's queue is
        polled; Redis's hands work over at once): a generation's next read is not late
        by more than that, on top of the scheduler's one-second tick."""
        return self.huey.create_consumer(
            workers=workers, worker_type="thread", max_delay=0.25, check_worker_health=True
        )
