"""The cached list of projects: few API calls, never a stale answer where it matters."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from webapp.catalog import ProjectCatalog, find_created_since, matching, named, newest_first


class CountingClient:
    """Stands in for `BriaClient.list_projects`, slowly, counting calls."""

    def __init__(self, delay: float = 0.0) -> None:
        self.calls = 0
        self.delay = delay
        self.projects = [{"id": 1, "project_name": "One", "created_at": "2025-01-01T00:00:00Z"}]

    def list_projects(self):
        self.calls += 1
        time.sleep(self.delay)
        return list(self.projects)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_list_is_read_once_per_ttl():
    clock, client = Clock(), CountingClient()
    catalog = ProjectCatalog(30, clock=clock)
    catalog.projects(client)
    clock.now += 29
    catalog.projects(client)
    assert client.calls == 1
    clock.now += 2
    catalog.projects(client)
    assert client.calls == 2


def test_sixteen_threads_missing_the_cache_together_share_one_call():
    client = CountingClient(delay=0.2)
    catalog = ProjectCatalog(30)
    start = threading.Barrier(16)

    def read(_):
        start.wait()
        return catalog.projects(client)

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(read, range(16)))
    assert client.calls == 1
    assert all(r == client.projects for r in results)


def test_fresh_always_reads_a_list_begun_after_the_question():
    clock, client = Clock(), CountingClient()
    catalog = ProjectCatalog(30, clock=clock)
    catalog.projects(client)
    clock.now += 1
    client.projects.append({"id": 2, "project_name": "Two"})
    assert [p["id"] for p in catalog.projects(client, fresh=True)] == [1, 2]
    assert client.calls == 2


def test_a_created_project_is_added_to_the_cached_list_without_a_call():
    client = CountingClient()
    catalog = ProjectCatalog(30)
    catalog.projects(client)
    catalog.remember({"id": 9, "project_name": "New", "created_at": "2026-01-01T00:00:00Z"})
    assert [p["id"] for p in catalog.projects(client)] == [9, 1]
    catalog.remember({"id": 1, "project_name": "One", "status": "found again"})
    assert [(p["id"], p.get("status")) for p in catalog.projects(client)] == [
        (1, "found again"),
        (9, None),
    ]
    assert [p["id"] for p in catalog.named(client, "one")] == [1]
    assert client.calls == 1
    catalog.forget()
    catalog.projects(client)
    assert client.calls == 2


def test_names_match_trimmed_and_in_any_case_and_search_by_every_word():
    projects = [
        {"id": 1, "project_name": "  Lora   Adventures "},
        {"id": 2, "project_name": "Adventures of Max"},
    ]
    assert [p["id"] for p in named(projects, "lora adventures")] == [1]
    assert [p["id"] for p in matching(projects, "ADVENTURES max")] == [2]
    assert [p["id"] for p in matching(projects, "adventures")] == [1, 2]


def test_newest_first_puts_unreadable_dates_last():
    projects = [
        {"id": 1, "created_at": "2024-01-01T00:00:00Z"},
        {"id": 2, "created_at": "not a date"},
        {"id": 3, "created_at": "2025-01-01T00:00:00+00:00"},
    ]
    assert [p["id"] for p in newest_first(projects)] == [3, 1, 2]


def test_an_unknown_outcome_matches_only_a_new_project_of_that_name_medium_and_type():
    since = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    payload = {"project_name": "Lora", "ip_medium": "illustration", "ip_type": "icons"}
    old = {
        "id": 1,
        "project_name": "Lora",
        "ip_medium": "illustration",
        "ip_type": "icons",
        "created_at": "2026-11-25T11:00:00Z",
    }
    other_type = {**old, "id": 2, "ip_type": "other", "created_at": "2026-11-25T12:00:05Z"}
    claimed = {**old, "id": 3, "created_at": "2026-11-25T12:00:06Z"}
    new = {**old, "id": 4, "created_at": "2026-11-25T12:00:01Z"}
    found = find_created_since([old, other_type, claimed, new], payload, since, {3})
    assert found is not None and found["id"] == 4
    assert find_created_since([old, other_type], payload, since, set()) is None


def test_the_duplicate_check_finds_names_through_the_index_and_sees_new_projects():
    client = CountingClient()
    client.projects.append({"id": 2, "project_name": " one ", "created_at": "2025-02-01T00:00:00Z"})
    catalog = ProjectCatalog(30)
    assert [p["id"] for p in catalog.named(client, "ONE")] == [2, 1]
    catalog.remember({"id": 3, "project_name": "One", "created_at": "2026-01-01T00:00:00Z"})
    catalog.remember({"id": 4, "project_name": "Other"})
    assert [p["id"] for p in catalog.named(client, "one")] == [3, 2, 1]
    assert catalog.named(client, "nobody") == []
    assert client.calls == 1
