"""The organisation's projects as the app sees them: a short-lived list, and searches in it.

Rate limits are low (10 requests a minute on the free plan), so the list is
cached for a few seconds per process and updated with each project this process
creates; the duplicate-name check then costs no extra API call on most creates.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from webapp.bria import BriaClient

Project = dict[str, Any]
#: How far the API's clock may differ from ours when matching "created since".
CLOCK_SKEW = timedelta(minutes=2)


def normalised_name(name: str | None) -> str:
    return " ".join((name or "").split()).casefold()


def created_at(project: Project) -> datetime | None:
    """The project's creation time as an aware datetime, or None if unreadable."""
    raw = project.get("created_at")
    if not isinstance(raw, str):
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def newest_first(projects: Iterable[Project]) -> list[Project]:
    oldest = datetime.min.replace(tzinfo=UTC)

    def key(project: Project) -> tuple[datetime, int]:
        project_id = project.get("id")
        return (created_at(project) or oldest, project_id if isinstance(project_id, int) else 0)

    return sorted(projects, key=key, reverse=True)


def named(projects: Iterable[Project], name: str) -> list[Project]:
    wanted = normalised_name(name)
    return [p for p in projects if normalised_name(p.get("project_name")) == wanted]


def matching(projects: Iterable[Project], query: str) -> list[Project]:
    """Projects whose name contains every word of the query, in any case."""
    words = normalised_name(query).split()
    return [p for p in projects if all(w in normalised_name(p.get("project_name")) for w in words)]


class ProjectCatalog:
    """A per-process cache of `GET /tailored-gen/projects`, shared by all threads.

    Threads that miss the cache together share one call (single flight): sixteen
    people creating at once after the cache expired cost the API one list, not sixteen.
    """

    def __init__(self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._refreshing = threading.Lock()
        self._projects: list[Project] | None = None
        self._by_name: dict[str, list[Project]] = {}
        self._fetched_at = float("-inf")

    def projects(self, client: BriaClient, fresh: bool = False) -> list[Project]:
        """The organisation's projects, newest first; raises `BriaError` on failure.

        `fresh` asks for a list read after this call began (to find a project whose
        create may have happened); otherwise one up to `ttl` seconds old will do.
        """
        asked_at = self._clock()
        with self._lock:
            if self._usable(asked_at, fresh):
                return list(self._projects or [])
        with self._refreshing:
            with self._lock:
                if self._usable(asked_at, fresh):  # another thread read it meanwhile
                    return list(self._projects or [])
            started = self._clock()
            listed = newest_first(client.list_projects())
            by_name: dict[str, list[Project]] = {}
            for project in listed:
                by_name.setdefault(normalised_name(project.get("project_name")), []).append(project)
            with self._lock:
                self._projects = listed
                self._by_name = by_name
                self._fetched_at = started
            return list(listed)

    def named(self, client: BriaClient, name: str) -> list[Project]:
        """Projects called `name` (trimmed, in any case), newest first, from an index:
        the duplicate check runs on every create and the list may hold thousands."""
        self.projects(client)
        with self._lock:
            return list(self._by_name.get(normalised_name(name), []))

    def remember(self, project: Project) -> None:
        """Add a project this process just created, so the cached list stays true."""
        with self._lock:
            if self._projects is not None:
                # Just created, so the newest: it goes first without sorting the rest again,
                # and the whole list is searched only when the project is already in it
                # (found by listing after an unknown outcome).
                key = normalised_name(project.get("project_name"))
                same = self._by_name.get(key, [])
                if any(p.get("id") == project.get("id") for p in same):
                    same = [p for p in same if p.get("id") != project.get("id")]
                    self._projects = [p for p in self._projects if p.get("id") != project.get("id")]
                self._projects.insert(0, project)
                self._by_name[key] = [project, *same]

    def forget(self) -> None:
        with self._lock:
            self._projects = None
            self._by_name = {}
            self._fetched_at = float("-inf")

    def _usable(self, asked_at: float, fresh: bool) -> bool:
        if self._projects is None:
            return False
        if self._fetched_at >= asked_at:
            return True
        return not fresh and self._clock() - self._fetched_at < self.ttl


def find_created_since(
    projects: Iterable[Project], payload: dict[str, str], since: datetime, exclude_ids: set[int]
) -> Project | None:
    """The newest project like `payload` created at or after `since` (less clock skew).

    Used after a create whose outcome is unknown: name, medium and type must all
    match, and projects another submission already accounts for are skipped.
    """
    for project in newest_first(named(projects, payload["project_name"])):
        moment = created_at(project)
        if project.get("id") in exclude_ids or moment is None:
            continue
        if any(project.get(k) not in (None, payload[k]) for k in ("ip_medium", "ip_type")):
            continue
        if moment >= since - CLOCK_SKEW:
            return project
    return None
