"""The submission ledger: each rendering of the form may reach the API at most once.

The API has no idempotency key, so the app keeps one: a one-time submission id
is claimed with a single INSERT (atomic in SQLite and PostgreSQL alike) before
the API is called, and the outcome is written afterwards. No lock or
transaction is held while the API works, so concurrent creates run in parallel.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    create_engine,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.schema import CreateIndex, CreateTable

PENDING = "pending"
CREATED = "created"
REFUSED = "refused"
UNKNOWN = "unknown"

SUBMISSION_ID = re.compile(r"^[A-Za-z0-9_-]{20,64}$")

metadata = MetaData()

submissions = Table(
    "submissions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("project_name", String(200), nullable=False),
    Column("project_id", Integer, nullable=True),
    Column("project", Text, nullable=True),
    Column("message", Text, nullable=True),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
    Column("settled_at", DateTime(timezone=True), nullable=True),
)

sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client", String(100), nullable=False, index=True),
    Column("failed_at", DateTime(timezone=True), nullable=False),
)


# Statements built once: building them on every call cost more than running them.
_CLAIM = insert(submissions)
_GET = select(submissions).where(submissions.c.id == bindparam("submission_id"))
_SETTLE = update(submissions).where(submissions.c.id == bindparam("submission_id"))


def _create_tables(engine: Engine) -> None:
    """Create what is missing, safely when several workers start on a new database at once:
    `create_all` checks, then creates, and loses that race ("table already exists")."""
    with engine.begin() as db:
        for table in metadata.sorted_tables:
            db.execute(CreateTable(table, if_not_exists=True))
            for index in table.indexes:
                db.execute(CreateIndex(index, if_not_exists=True))


def new_submission_id() -> str:
    return secrets.token_urlsafe(24)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Submission:
    id: str
    state: str
    project_name: str
    project_id: int | None
    project: dict[str, Any] | None
    message: str | None
    claimed_at: datetime


def make_engine(database_url: str) -> Engine:
    """An engine that suits many threads: WAL and a busy timeout for SQLite."""
    if database_url.startswith("sqlite"):
        engine = create_engine(
            database_url,
            connect_args={"check_same_thread": False, "timeout": 15},
            pool_size=20,
            max_overflow=20,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=15000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(database_url, pool_pre_ping=True, pool_size=20, max_overflow=20)


class Ledger:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        _create_tables(engine)

    def claim(self, submission_id: str, project_name: str) -> bool:
        """Take the id for one API call; False when it was taken before."""
        try:
            with self.engine.begin() as db:
                db.execute(
                    _CLAIM,
                    {
                        "id": submission_id,
                        "state": PENDING,
                        "project_name": project_name[:200],
                        "claimed_at": _now(),
                    },
                )
        except IntegrityError:
            return False
        return True

    def get(self, submission_id: str) -> Submission | None:
        with self.engine.connect() as db:
            row = db.execute(_GET, {"submission_id": submission_id}).mappings().first()
        if row is None:
            return None
        claimed_at = row["claimed_at"]
        if claimed_at.tzinfo is None:  # SQLite hands back naive datetimes
            claimed_at = claimed_at.replace(tzinfo=UTC)
        return Submission(
            id=row["id"],
            state=row["state"],
            project_name=row["project_name"],
            project_id=row["project_id"],
            project=json.loads(row["project"]) if row["project"] else None,
            message=row["message"],
            claimed_at=claimed_at,
        )

    def record_created(self, submission_id: str, project: dict[str, Any]) -> None:
        self._settle(
            submission_id, CREATED, project_id=int(project["id"]), project=json.dumps(project)
        )

    def record_refused(self, submission_id: str, message: str) -> None:
        self._settle(submission_id, REFUSED, message=message)

    def record_unknown(self, submission_id: str, message: str) -> None:
        self._settle(submission_id, UNKNOWN, message=message)

    def _settle(self, submission_id: str, state: str, **values: Any) -> None:
        with self.engine.begin() as db:
            db.execute(
                _SETTLE,
                {"submission_id": submission_id, "state": state, "settled_at": _now(), **values},
            )

    def project_ids_created(self) -> set[int]:
        """Projects this app already knows it created, so a search for an
        unknown outcome does not claim another submission's project."""
        with self.engine.connect() as db:
            rows = db.execute(
                select(submissions.c.project_id).where(submissions.c.project_id.is_not(None))
            )
            return {row[0] for row in rows}

    def record_sign_in_failure(self, client: str) -> None:
        with self.engine.begin() as db:
            db.execute(insert(sign_in_failures).values(client=client[:100], failed_at=_now()))

    def recent_sign_in_failures(self, client: str, window: timedelta) -> int:
        with self.engine.connect() as db:
            return db.execute(
                select(func.count())
                .select_from(sign_in_failures)
                .where(sign_in_failures.c.client == client[:100])
                .where(sign_in_failures.c.failed_at >= _now() - window)
            ).scalar_one()

    def forget_sign_in_failures(self, client: str) -> None:
        with self.engine.begin() as db:
            db.execute(sign_in_failures.delete().where(sign_in_failures.c.client == client[:100]))
