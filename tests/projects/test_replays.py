"""A submission reaches the API once, whatever arrives; creates never wait for each other.

These run the app on a real threaded HTTP server and the fake API on another, so that
double clicks and simultaneous people are simultaneous requests, not a loop of calls.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.conftest import TOKEN
from tests.support.apps import live
from tests.support.fake_api import Scripted
from tests.support.live_server import LiveServer
from tests.support.pages import VALID, hidden_inputs, main_text

PEOPLE = 16


#: Long enough that an answer held back while the others arrive is not a timeout.
SETTINGS = {
    "BRIA_API_TOKEN": TOKEN,
    "BRIA_API_TIMEOUT": 10,
    "BRIA_REQUESTS_PER_MINUTE": 10_000,
}


@pytest.fixture
def server(tmp_path, fake_api) -> Iterator[LiveServer]:
    with live(tmp_path / "instance", **SETTINGS, BRIA_API_BASE_URL=fake_api.base_url) as served:
        yield served


def open_form(server: LiveServer) -> tuple[requests.Session, dict[str, str]]:
    """A browser that has the form open: its cookie and the form's hidden tokens."""
    browser = requests.Session()
    page = browser.get(server.url + "/", timeout=10)
    assert page.status_code == 200
    return browser, hidden_inputs(page.text)


def post(browser: requests.Session, server: LiveServer, data: dict[str, str]) -> requests.Response:
    return browser.post(server.url + "/", data=data, allow_redirects=False, timeout=10)


def same_browser(browser: requests.Session) -> requests.Session:
    """A second connection with the first one's cookie, as a second click would send."""
    twin = requests.Session()
    twin.cookies.update(browser.cookies)
    return twin


def test_the_same_form_sent_many_times_creates_one_project(server, fake_api):
    browser, tokens = open_form(server)
    data = {**tokens, **VALID}

    answers = [post(browser, server, data) for _ in range(5)]

    assert [a.status_code for a in answers] == [303] * 5
    assert {a.headers["Location"] for a in answers} == {f"/submissions/{tokens['submission_id']}"}
    assert len(fake_api.fake.posts()) == 1
    assert [p["project_name"] for p in fake_api.fake.projects] == ["Lora adventures"]


def test_a_double_click_while_the_api_works_creates_one_project_and_shows_it_to_both(
    server, fake_api
):
    browser, tokens = open_form(server)
    data = {**tokens, **VALID}
    assert browser.get(server.url + "/projects", timeout=10).status_code == 200  # cache the list
    fake_api.fake.delay = 0.5
    clicks = [browser, same_browser(browser)]
    start = threading.Barrier(len(clicks))

    def click(session: requests.Session) -> requests.Response:
        start.wait()
        return post(session, server, data)

    with ThreadPoolExecutor(len(clicks)) as pool:
        answers = list(pool.map(click, clicks))

    assert [a.status_code for a in answers] == [303, 303]
    assert {a.headers["Location"] for a in answers} == {f"/submissions/{tokens['submission_id']}"}
    assert len(fake_api.fake.posts()) == 1
    shown = browser.get(server.url + answers[1].headers["Location"], timeout=10)
    assert "Project created" in main_text(shown.text)


def test_a_refused_submission_sent_again_is_not_sent_to_the_api_again(server, fake_api):
    browser, tokens = open_form(server)
    data = {**tokens, **VALID, "ip_name": "Lora"}

    browser.get(server.url + "/projects", timeout=10)
    fake_api.fake.answer_next(Scripted(400, {"error": {"message": "Name taken"}}))

    first = post(browser, server, data)
    again = post(browser, server, data)

    assert first.headers["Location"] == again.headers["Location"]
    shown = browser.get(server.url + again.headers["Location"], timeout=10).text
    assert "It said: “Name taken”" in main_text(shown)
    assert len(fake_api.fake.posts()) == 1
    # The form that came back carries a fresh id, so the person can send it once more.
    assert hidden_inputs(shown)["submission_id"] != tokens["submission_id"]


def test_sixteen_people_creating_at_once_are_at_the_api_at_the_same_time(server, fake_api):
    people = [open_form(server) for _ in range(PEOPLE)]
    people[0][0].get(server.url + "/projects", timeout=10)  # the duplicate check's list, cached
    fake_api.fake.peak_in_flight = 0

    def create(index: int) -> requests.Response:
        browser, tokens = people[index]
        return post(browser, server, {**tokens, **VALID, "project_name": f"Person {index}"})

    with ThreadPoolExecutor(PEOPLE) as pool:
        with fake_api.fake.hold_answers():
            sending = [pool.submit(create, index) for index in range(PEOPLE)]
            # No lock is held while the API works: every create reaches it, none answered.
            fake_api.fake.wait_for_in_flight(PEOPLE)
        answers = [sent.result() for sent in sending]

    assert [a.status_code for a in answers] == [303] * PEOPLE
    assert len({a.headers["Location"] for a in answers}) == PEOPLE
    assert len(fake_api.fake.posts()) == PEOPLE
    assert fake_api.fake.peak_in_flight == PEOPLE


def test_past_the_bound_on_waiting_for_bria_a_person_is_told_at_once(tmp_path, fake_api):
    """Two threads a process: one may wait on Bria, so the second person is told "busy"
    at once (answers kept) instead of the pages that need no Bria waiting too."""
    settings = {**SETTINGS, "BRIA_API_BASE_URL": fake_api.base_url, "WEB_THREADS": 2}
    with live(tmp_path / "instance", **settings) as server:
        people = [open_form(server) for _ in range(2)]
        people[0][0].get(server.url + "/projects", timeout=10)  # the name check's list, read

        def create(index: int) -> str:
            browser, tokens = people[index]
            data = {**tokens, **VALID, "project_name": f"Bound {index}"}
            return main_text(browser.post(server.url + "/", data=data, timeout=10).text)

        with ThreadPoolExecutor(1) as pool:
            with fake_api.fake.hold_answers():
                sending = pool.submit(create, 0)
                fake_api.fake.wait_for_in_flight(1)
                second = create(1)  # while the first waits on Bria
            first = sending.result()
    assert "Project created" in first
    assert "Bria is busy with other requests from your team, so nothing was created." in second
    assert "Your answers are kept below." in second
    assert len(fake_api.fake.posts()) == 1
