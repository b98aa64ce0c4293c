"""The organisation's projects as last read from Bria, kept in the database for everyone.

Bria allows few requests a minute (10 on the free plan) and its list has no
pages, so the app reads it at most once per `ttl` for every process and server
together (`SharedReads`), keeps it in the ledger's database, and answers from
there: the duplicate-name check, the pages of the list with their filters and
search, and (for a few seconds) a project's own page. Nothing that grows with
the organisation's projects is kept in a worker's memory.

When Bria cannot be asked (the request budget is spent, Bria fails), the last
snapshot is served with its age and the reason, rather than nothing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Connection, Engine

from webapp.bria.errors import BriaError, BriaNotFound
from webapp.database.engine import db_now, insert_unless_present, upsert_newer_wins
from webapp.database.tables import snapshot_projects, submissions
from webapp.ledger.shared_reads import Freshness, created_at
from webapp.ledger.submissions import DELETE, DONE
from webapp.rules.names import name_key, search_words, word_index
from webapp.rules.versions import family_of

if TYPE_CHECKING:
    from webapp.services import Services

log = logging.getLogger("webapp.projects")
Project = dict[str, Any]
LIST_KEY = "projects"
PAGE_SIZE = 50
#: A project's page is served from what was read this recently (the list included).
PROJECT_TTL_SECONDS = 10.0


def _row(project: Project, read_at: Any) -> dict[str, Any]:
    moment = created_at(project)
    return {
        "id": project["id"],
        "name_key": name_key(project.get("project_name")),
        "name_words": word_index(project.get("project_name")),
        "ip_type": (project.get("ip_type") or None),
        "ip_medium": (project.get("ip_medium") or None),
        "family": family_of(project.get("training_version")),
        "created_at": moment.timestamp() if moment else None,
        "body": json.dumps(project),
        "read_at": read_at,
    }


@dataclass(frozen=True)
class Filters:
    ip_type: str = ""
    ip_medium: str = ""
    family: str = ""
    query: str = ""

    @property
    def any(self) -> bool:
        return bool(self.ip_type or self.ip_medium or self.family or self.query)


@dataclass(frozen=True)
class ListPage:
    projects: list[Project]
    total: int
    matching: int
    page: int
    pages: int
    freshness: Freshness
    filters: Filters = field(default_factory=Filters)


class ProjectSnapshot:
    """The shared list of projects; one per process (`svc.get(ProjectSnapshot)`)."""

    def __init__(self, svc: Services) -> None:
        self.engine: Engine = svc.engine
        self.projects = svc.bria.projects
        self.reads = svc.reads
        self.ttl = svc.settings.bria_list_max_age
        self.project_ttl = PROJECT_TTL_SECONDS
        self._insert = insert_unless_present(self.engine, snapshot_projects)
        self._upsert = upsert_newer_wins(self.engine, snapshot_projects)

    # -- keeping it fresh ----------------------------------------------------

    def refresh(self, read_after: float | None = None, strict: bool = False) -> Freshness:
        """Bring the list to at most `ttl` seconds old, or read after `read_after`.

        When Bria cannot be asked, the last snapshot is kept and the problem is
        returned with it; `strict` raises the problem instead."""
        try:
            as_of = self.reads.read(
                LIST_KEY, self._read_list, max_age=self.ttl, fresh_after=read_after
            )
        except BriaError as problem:
            if strict:
                raise
            return Freshness(self.reads.last_success(LIST_KEY), self.now(), problem)
        return Freshness(as_of, None)

    def _read_list(self, began_at: float) -> None:
        """Bria's list, decoded and written a batch at a time, each batch in a short
        transaction of its own: however many projects there are, a worker holds one
        batch, and no lock is held while the list is decoded. A row from this read
        replaces an older one, never one written after the read began (a create, an
        edit); once every batch is in, the rows this read did not see (projects deleted
        at Bria) go."""
        for batch in self.projects.read_list().batches():
            rows = [_row(project, began_at) for project in batch]
            with self.engine.begin() as db:
                deleted_since = self._deleted_since(db, began_at)
                rows = [row for row in rows if row["id"] not in deleted_since]
                if rows:
                    db.execute(self._upsert, rows)
        with self.engine.begin() as db:
            db.execute(delete(snapshot_projects).where(snapshot_projects.c.read_at < began_at))

    @staticmethod
    def _deleted_since(db: Connection, began_at: float) -> set[int]:
        """Projects deleted through the app after this read began: the list is older."""
        query = (
            select(submissions.c.target_id)
            .where(submissions.c.kind == DELETE)
            .where(submissions.c.state == DONE)
            .where(submissions.c.updated_at >= began_at)
        )
        return {row[0] for row in db.execute(query)}

    def now(self) -> float:
        """The database's clock."""
        with self.engine.connect() as db:
            return db.execute(select(db_now())).scalar_one()

    # -- changes the app made itself -----------------------------------------

    def remember(self, project: Project) -> None:
        """Keep a project as Bria just answered it (created, changed or read)."""
        row = _row(project, db_now())
        with self.engine.begin() as db:
            changed = db.execute(
                update(snapshot_projects).where(snapshot_projects.c.id == row["id"]).values(**row)
            ).rowcount
            if not changed:
                db.execute(self._insert.values(**row))

    def forget(self, project_id: int) -> None:
        with self.engine.begin() as db:
            db.execute(delete(snapshot_projects).where(snapshot_projects.c.id == project_id))

    # -- answering from it ---------------------------------------------------

    def named(self, key: str) -> list[Project]:
        """Projects whose name is the same as `key` (see `webapp.names`), newest first."""
        query = (
            select(snapshot_projects.c.body)
            .where(snapshot_projects.c.name_key == key)
            .order_by(snapshot_projects.c.created_at.desc(), snapshot_projects.c.id.desc())
        )
        with self.engine.connect() as db:
            return [json.loads(body) for (body,) in db.execute(query)]

    def names(self, project_ids: set[int]) -> dict[int, str]:
        """The names of these projects, as the list last said (a deleted one has none)."""
        if not project_ids:
            return {}
        query = select(snapshot_projects.c.id, snapshot_projects.c.body).where(
            snapshot_projects.c.id.in_(sorted(project_ids))
        )
        with self.engine.connect() as db:
            rows = db.execute(query).all()
        return {row.id: str(json.loads(row.body).get("project_name") or row.id) for row in rows}

    def listed_since(self, moment: float) -> list[Project]:
        """Projects created at or after `moment` (seconds since 1970), newest first."""
        query = (
            select(snapshot_projects.c.body)
            .where(snapshot_projects.c.created_at >= moment)
            .order_by(snapshot_projects.c.created_at.desc(), snapshot_projects.c.id.desc())
        )
        with self.engine.connect() as db:
            return [json.loads(body) for (body,) in db.execute(query)]

    def page(self, filters: Filters, page: int, freshness: Freshness) -> ListPage:
        """One page of at most `PAGE_SIZE` projects, newest first, with the counts."""
        table = snapshot_projects
        conditions = []
        if filters.ip_type:
            conditions.append(table.c.ip_type == filters.ip_type)
        if filters.ip_medium:
            conditions.append(table.c.ip_medium == filters.ip_medium)
        if filters.family:
            conditions.append(table.c.family == filters.family)
        for word in search_words(filters.query)[:10]:
            escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            conditions.append(table.c.name_words.like(f"% {escaped}%", escape="\\"))
        with self.engine.connect() as db:
            total = db.execute(select(func.count()).select_from(table)).scalar_one()
            matching = db.execute(
                select(func.count()).select_from(table).where(*conditions)
            ).scalar_one()
            pages = max(1, -(-matching // PAGE_SIZE))
            page = min(max(1, page), pages)
            bodies = db.execute(
                select(table.c.body)
                .where(*conditions)
                .order_by(table.c.created_at.desc().nulls_last(), table.c.id.desc())
                .limit(PAGE_SIZE)
                .offset((page - 1) * PAGE_SIZE)
            )
            projects = [json.loads(body) for (body,) in bodies]
        return ListPage(projects, total, matching, page, pages, freshness, filters)

    def project(self, project_id: int, max_age: float | None = None) -> tuple[Project, Freshness]:
        """A project read from Bria at most `max_age` seconds ago (`project_ttl` unless
        said), or as last read when Bria cannot be asked. Raises `BriaNotFound`, or the
        problem when the app has never seen the project."""
        key = f"project:{int(project_id)}"
        now = self.now()
        max_age = self.project_ttl if max_age is None else max_age
        # The list's time first: a list read writes its rows, then its time, so rows are
        # there for any time seen here (read in the other order, a read finishing in
        # between would look fresh with its rows missing).
        listed_at = self.reads.last_success(LIST_KEY)
        kept = self._kept(project_id)
        if kept is not None and kept[1] >= now - max_age:
            return kept[0], Freshness(kept[1], now)
        if kept is None and listed_at is not None and listed_at >= now - self.ttl:
            # Not in a list read a moment ago: no request of the budget is spent on an
            # address someone typed (or a script tries one id after another).
            raise BriaNotFound(f"Project {project_id} is not in the list of projects", 404)
        try:
            self.reads.read(
                key,
                lambda began_at: self._read_one(project_id),
                fresh_after=now - max_age,
            )
        except BriaNotFound:
            self.forget(project_id)
            raise
        except BriaError as problem:
            if kept is None:
                raise
            return kept[0], Freshness(kept[1], self.now(), problem)
        kept = self._kept(project_id)
        if kept is None:  # deleted between the read and now
            raise BriaNotFound(f"Project {project_id} not found", 404)
        return kept[0], Freshness(kept[1], self.now())

    def _read_one(self, project_id: int) -> None:
        self.remember(self.projects.get(project_id))

    def _kept(self, project_id: int) -> tuple[Project, float] | None:
        query = select(snapshot_projects.c.body, snapshot_projects.c.read_at).where(
            snapshot_projects.c.id == project_id
        )
        with self.engine.connect() as db:
            row = db.execute(query).first()
        return (json.loads(row[0]), row[1]) if row else None
