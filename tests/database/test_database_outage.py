"""PostgreSQL stopped under a running server: nothing lost, nothing doubled, nothing to restart."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from tests.conftest import TOKEN, prepare_database
from tests.support.fake_api import FakeBriaServer
from tests.support.pages import VALID, hidden_inputs, input_value, main_text
from tests.support.postgres import PostgresCluster
from tests.support.processes import GunicornServer, gunicorn_servers, job_consumer, logged_lines
from webapp.database.engine import make_engine
from webapp.database.tables import submissions

#: Servers and processes of their own.
pytestmark = pytest.mark.integration


@dataclass
class Served:
    server: GunicornServer
    log: Path
    api: FakeBriaServer
    cluster: PostgresCluster
    database_url: str

    @property
    def url(self) -> str:
        return self.server.url

    def state_of(self, submission_id: str) -> str | None:
        engine = make_engine(self.database_url)
        try:
            with engine.connect() as db:
                return db.execute(
                    select(submissions.c.state).where(submissions.c.id == submission_id)
                ).scalar()
        finally:
            engine.dispose()


@pytest.fixture
def served(tmp_path) -> Iterator[Served]:
    """A PostgreSQL server of its own (this test stops it), and an app server using it."""
    cluster = PostgresCluster().start()
    try:
        name = cluster.create_database()
        url = cluster.url(name)
        prepare_database(url)
        with FakeBriaServer(TOKEN, folder=tmp_path) as api:
            env = {
                "DATABASE_URL": url,
                "BRIA_API_TOKEN": TOKEN,
                "BRIA_API_BASE_URL": api.base_url,
                "BRIA_API_TIMEOUT": "10",
                "BRIA_REQUESTS_PER_MINUTE": "1000",
                "SECRET_KEY": "outage-secret-0123456789",
                "WEB_CONCURRENCY": "2",
                "WEBAPP_INSTANCE_PATH": str(tmp_path / "instance"),
            }
            log = tmp_path / "server.log"
            with (
                gunicorn_servers([env], [log]) as [server],
                job_consumer(env, tmp_path / "consumer.log"),
            ):
                yield Served(server, log, api, cluster, url)
    finally:
        cluster.stop()


def open_form(url: str) -> tuple[requests.Session, dict[str, str]]:
    browser = requests.Session()
    return browser, hidden_inputs(browser.get(url + "/", timeout=10).text)


def test_the_database_stopped_while_bria_creates_loses_and_doubles_nothing(served):
    browser, tokens = open_form(served.url)
    browser.get(served.url + "/projects", timeout=10)  # the name check's list, read
    data = {**tokens, **VALID, "project_name": "Made during the outage"}
    with ThreadPoolExecutor(1) as pool:
        with served.api.fake.hold_answers():
            sending = pool.submit(browser.post, served.url + "/", data=data, timeout=60)
            served.api.fake.wait_for_in_flight(1)
            served.cluster.pause()  # while Bria creates the project
        answer = sending.result()

    assert answer.status_code == 200
    assert "Project created" in main_text(answer.text)  # shown from Bria's own answer
    assert "Made during the outage" in main_text(answer.text)

    served.cluster.resume()
    deadline = time.monotonic() + 20
    state = None
    while time.monotonic() < deadline:
        try:
            state = served.state_of(tokens["submission_id"])
        except Exception:
            state = None
        if state == "done":
            break
        time.sleep(0.2)
    assert state == "done", "the ledger settles once the database is back, with no restart"

    again = browser.post(served.url + "/", data=data, timeout=30)
    assert "Project created" in main_text(again.text)
    other_browser, other_tokens = open_form(served.url)
    same_name = {**other_tokens, **VALID, "project_name": "Made during the outage"}
    warned = other_browser.post(served.url + "/", data=same_name, timeout=30)
    assert "A project called “Made during the outage”" in main_text(warned.text)
    assert len(served.api.fake.posts()) == 1


def test_a_database_out_of_reach_sends_nothing_and_keeps_the_answers(served):
    browser, tokens = open_form(served.url)
    served.cluster.pause()
    try:
        started = time.monotonic()
        answer = browser.post(served.url + "/", data={**tokens, **VALID}, timeout=30)
        took = time.monotonic() - started
        health = requests.get(served.url + "/healthz", timeout=30)
        ready = requests.get(served.url + "/readyz", timeout=30)
    finally:
        served.cluster.resume()
    assert answer.status_code == 503
    text = main_text(answer.text)
    assert "This app cannot reach its database right now, so nothing was created." in text
    assert "Your answers are kept below." in text
    assert input_value(answer.text, "project_name") == VALID["project_name"]
    assert served.api.fake.posts() == []
    assert took < 10
    assert (health.status_code, ready.status_code) == (503, 503)
    # Back without a restart: the same form now creates the project.
    deadline = time.monotonic() + 20
    while requests.get(served.url + "/readyz", timeout=10).status_code != 200:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    again = browser.post(served.url + "/", data={**tokens, **VALID}, timeout=30)
    assert "Project created" in main_text(again.text)


def test_threads_are_not_all_held_by_a_database_that_is_down(served):
    served.cluster.pause()
    try:
        start = threading.Barrier(20)

        def health(_: int) -> float:
            start.wait()
            began = time.monotonic()
            requests.get(served.url + "/healthz", timeout=30)
            return time.monotonic() - began

        with ThreadPoolExecutor(20) as pool:
            took = list(pool.map(health, range(20)))
    finally:
        served.cluster.resume()
    assert max(took) < 5


def test_a_frozen_database_holds_no_request_for_long(served):
    browser, tokens = open_form(served.url)
    assert requests.get(served.url + "/healthz", timeout=10).status_code == 200
    served.cluster.freeze()
    try:
        start = threading.Barrier(8)

        def ask(number: int) -> tuple[int, float]:
            start.wait()
            began = time.monotonic()
            if number % 2:
                answer = requests.get(served.url + "/healthz", timeout=60)
            else:
                answer = browser.post(served.url + "/", data={**tokens, **VALID}, timeout=60)
            return answer.status_code, time.monotonic() - began

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(ask, range(8)))
    finally:
        served.cluster.thaw()
    assert {status for status, _ in answers} == {503}
    assert max(took for _, took in answers) < 15
    assert served.api.fake.posts() == []


def test_a_worker_started_while_the_database_is_down_keeps_the_server_up(served):
    """gunicorn halts the whole server when a worker exits while booting. A worker that
    replaces a crashed one during an outage must start anyway and answer 503 meanwhile."""
    served.cluster.pause()
    try:
        workers = served.server.workers()
        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 20
        while not (replacement := set(served.server.workers()) - set(workers)):
            assert time.monotonic() < deadline, "no worker was started in the crashed one's place"
            time.sleep(0.05)
        [started] = replacement
        # The replacement says it goes on (before the fix it exited with status 3 here,
        # and gunicorn halted): it has booted, and the server is still there.
        booted = logged_lines(served.log, f"process {started} starts while the database is out")
        assert booted, served.log.read_text()
        answers = {requests.get(served.url + "/healthz", timeout=10).status_code for _ in range(6)}
        assert answers == {503}
        assert served.server.master.poll() is None, served.log.read_text()
        assert started in served.server.workers()
    finally:
        served.cluster.resume()
    browser, tokens = open_form(served.url)
    created = browser.post(served.url + "/", data={**tokens, **VALID}, timeout=30)
    assert "Project created" in main_text(created.text)
