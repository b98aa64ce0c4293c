"""The shared list of projects, on SQLite and PostgreSQL: one read for everyone, pages from it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.support.bria import bria_failure
from tests.support.scripted import scripted_services
from webapp.bria.errors import BriaNotFound
from webapp.projects.snapshot import PAGE_SIZE, Filters, ProjectSnapshot
from webapp.rules.names import name_key, search_words, word_index
from webapp.sandbox import Reply


@pytest.fixture
def setup(database_url, tmp_path):
    svc, fake = scripted_services(database_url, tmp_path)
    yield svc, fake
    svc.engine.dispose()


def lists(fake) -> int:
    return len([call for call in fake.sent if call[:2] == ("GET", "/v1/tailored-gen/projects")])


def refresh_at_once(svc, threads: int) -> list:
    """`threads` threads that all find the list old at the same moment."""
    start = threading.Barrier(threads)

    def look(_: int):
        start.wait()
        return svc.get(ProjectSnapshot).refresh()

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(look, range(threads)))


def test_names_are_compared_as_a_person_reads_them():
    assert name_key("  Lora\u00a0 SUMMER\tCampaign ") == "lora summer campaign"
    assert name_key("ｌｏｒａ") == "lora"  # full-width letters
    assert name_key("Lo\u200bra\u2060") == "lora"  # zero-width space, word joiner
    assert name_key("Straße") == name_key("STRASSE")
    assert name_key(None) == name_key(42) == ""
    assert search_words("30 Days, Lora") == ["30", "days,", "lora"]
    assert word_index("Lora summer") == " lora summer "


def test_threads_that_find_the_list_old_share_one_read(setup):
    svc, fake = setup
    fake.delay = 0.3
    answers = refresh_at_once(svc, 16)
    assert lists(fake) == 1
    assert all(a.problem is None and a.as_of is not None for a in answers)
    svc.get(ProjectSnapshot).refresh()
    assert lists(fake) == 1  # fresh for `ttl` seconds


def test_a_failure_reaches_everyone_who_waited_for_it(setup):
    svc, fake = setup
    fake.delay = 0.3
    fake.then(Reply(500, {"error": {"message": "down"}}))
    answers = refresh_at_once(svc, 12)
    assert lists(fake) == 1
    assert all(a.problem is not None and a.problem.kind == "server_error" for a in answers)
    assert {a.problem.message for a in answers} == {"down"}


def test_a_list_that_cannot_be_read_leaves_the_last_one_shown_with_its_age(setup):
    svc, fake = setup
    fake.fake.projects.add(project_name="Kept")
    first = svc.get(ProjectSnapshot).refresh(strict=True)
    fake.then(requests.exceptions.ConnectTimeout("gone"))
    later = svc.get(ProjectSnapshot).refresh(read_after=svc.get(ProjectSnapshot).now())
    assert later.problem is not None and later.problem.kind == "unreachable"
    assert later.as_of == first.as_of and later.age_seconds >= 0
    listing = svc.get(ProjectSnapshot).page(Filters(), 1, later)
    assert [p["project_name"] for p in listing.projects] == ["Kept"]


def test_pages_of_fifty_newest_first_with_counts(setup):
    svc, fake = setup
    for number in range(120):
        fake.fake.projects.add(
            project_name=f"Project {number}",
            created_at=f"2025-01-01T00:{number // 60:02d}:{number % 60:02d}Z",
        )
    freshness = svc.get(ProjectSnapshot).refresh(strict=True)
    first = svc.get(ProjectSnapshot).page(Filters(), 1, freshness)
    assert (first.total, first.matching, first.pages) == (120, 120, 3)
    assert len(first.projects) == PAGE_SIZE
    assert first.projects[0]["project_name"] == "Project 119"
    last = svc.get(ProjectSnapshot).page(Filters(), 99, freshness)
    assert last.page == 3 and len(last.projects) == 20
    assert last.projects[-1]["project_name"] == "Project 0"


def test_filters_and_whole_word_search(setup):
    svc, fake = setup
    store = fake.fake.projects
    store.add(project_name="30 days of Lora", ip_type="defined_character", ip_medium="photography")
    store.add(project_name="Day 0 icons", ip_type="icons", training_version="fibo")
    store.add(project_name="Old scenes", ip_type="stylized_scene", training_version="max")
    store.add(project_name="100% pure_icons", ip_type="icons")
    freshness = svc.get(ProjectSnapshot).refresh(strict=True)

    def names(**filters: str) -> list[str]:
        page = svc.get(ProjectSnapshot).page(Filters(**filters), 1, freshness)
        return sorted(p["project_name"] for p in page.projects)

    assert names(query="0") == ["Day 0 icons"]  # not "30" nor "100%"
    assert names(query="LORA days") == ["30 days of Lora"]
    assert names(query="100%") == ["100% pure_icons"]
    assert names(query="pure_icons") == ["100% pure_icons"]
    assert names(query="%") == []
    assert names(ip_type="icons") == ["100% pure_icons", "Day 0 icons"]
    assert names(ip_medium="photography") == ["30 days of Lora"]
    assert names(family="Legacy") == ["Old scenes"]
    assert names(family="FIBO", ip_type="icons") == ["Day 0 icons"]


def test_a_project_page_is_read_from_bria_at_most_once_in_a_short_while(setup):
    svc, fake = setup
    created = fake.fake.projects.add(project_name="Seen")
    project, _ = svc.get(ProjectSnapshot).project(created["id"])
    svc.get(ProjectSnapshot).project(created["id"])
    assert project["project_name"] == "Seen"
    reads = [c for c in fake.sent if c[1] == f"/v1/tailored-gen/projects/{created['id']}"]
    assert len(reads) == 1
    with bria_failure("not_found", BriaNotFound):
        svc.get(ProjectSnapshot).project(999)


def test_what_the_app_changed_itself_is_in_the_list_at_once(setup):
    svc, fake = setup
    svc.get(ProjectSnapshot).refresh(strict=True)
    project = fake.fake.projects.add(project_name="New one")
    svc.get(ProjectSnapshot).remember(project)
    assert [p["id"] for p in svc.get(ProjectSnapshot).named(name_key("NEW ONE"))] == [project["id"]]
    svc.get(ProjectSnapshot).forget(project["id"])
    assert svc.get(ProjectSnapshot).named("new one") == []
