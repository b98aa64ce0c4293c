"""The job runner: work rows claimed with a lease, retried with backoff, picked up again
after a consumer dies, and run once however many consumers and servers share it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
from sqlalchemy import update

from tests.support import job_app
from tests.support.apps import prepare_database
from tests.support.jobs import consumer_running
from tests.support.processes import ROOT, environment, free_port, job_consumer, running
from tests.support.scripted import scripted_services
from tests.support.waiting import poll
from webapp.bria.errors import budget_spent
from webapp.database.tables import work as work_table
from webapp.jobs import FIRST_RETRY_SECONDS, Fail, Retry
from webapp.jobs.work import DONE, FAILED, RUNNING, WAITING

#: Servers and processes of their own.
pytestmark = pytest.mark.integration


@pytest.fixture
def svc(database_url, tmp_path):
    svc, _ = scripted_services(database_url, tmp_path)
    yield svc
    svc.engine.dispose()


def due_now(svc, key: str) -> None:
    """Move a row's time to now, as if its wait had passed."""
    with svc.engine.begin() as db:
        db.execute(update(work_table).where(work_table.c.key == key).values(not_before=0))


def test_work_is_claimed_by_one_run_however_many_try_at_once(svc):
    svc.jobs.register("test.once", lambda svc, work: None)
    with svc.engine.begin() as db:
        assert svc.jobs.add(db, "once:1", "test.once", {"n": 1})
        assert not svc.jobs.add(db, "once:1", "test.once", {"n": 2})  # asked for already
    start = threading.Barrier(8)
    claimed = []

    def claim(number: int) -> None:
        start.wait()
        claimed.append(svc.jobs.queue.claim("once:1", f"consumer-{number}", 60))

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    [won] = [item for item in claimed if item is not None]
    assert won.state == RUNNING and won.payload == {"n": 1} and won.attempts == 1


def test_a_run_that_outlived_its_lease_records_nothing(svc):
    svc.jobs.register("test.lease", lambda svc, work: None)
    svc.jobs.submit("lease:1", "test.lease")
    first = svc.jobs.queue.claim("lease:1", "first", lease_seconds=60)
    assert svc.jobs.queue.claim("lease:1", "second", lease_seconds=60) is None  # still leased
    with svc.engine.begin() as db:  # the first run's consumer stopped: its lease lapsed
        db.execute(update(work_table).values(lease_until=0))
    second = svc.jobs.queue.claim("lease:1", "second", lease_seconds=60)
    assert second is not None and second.attempts == 2
    assert not svc.jobs.queue.finish(first)  # the first run came back: it changes nothing
    assert svc.jobs.queue.get("lease:1").state == RUNNING
    assert svc.jobs.queue.finish(second)
    assert svc.jobs.queue.get("lease:1").state == DONE


def test_failed_attempts_back_off_then_show_as_failed_with_the_reason_in_words(svc):
    def broken(svc, work):
        raise RuntimeError("disk on fire")

    svc.jobs.register(
        "test.broken", broken, max_attempts=3, describe=lambda error: "It broke: try later."
    )
    svc.jobs.submit("broken:1", "test.broken")
    waits = []
    for _ in range(3):
        due_now(svc, "broken:1")
        svc.jobs.run("broken:1")
        item = svc.jobs.queue.get("broken:1")
        waits.append(round(item.not_before - svc.jobs.queue.now()))
    assert item.state == FAILED and item.last_error == "It broke: try later."
    assert waits[:2] == [FIRST_RETRY_SECONDS, 2 * FIRST_RETRY_SECONDS]
    assert [w.key for w in svc.jobs.queue.failed()] == ["broken:1"]
    # A person's Retry starts it again from the beginning.
    with svc.engine.begin() as db:
        assert svc.jobs.queue.again(db, "broken:1")
    assert svc.jobs.queue.get("broken:1").state == WAITING


def test_fail_is_final_and_keeps_the_words(svc):
    def refused(svc, work):
        raise Fail("Bria refused this image: it is smaller than 256 pixels.")

    svc.jobs.register("test.refused", refused)
    svc.jobs.submit("refused:1", "test.refused")
    svc.jobs.run("refused:1")
    item = svc.jobs.queue.get("refused:1")
    assert item.state == FAILED and item.attempts == 1
    assert item.last_error == "Bria refused this image: it is smaller than 256 pixels."


def test_a_spent_budget_waits_without_counting_an_attempt(svc):
    calls = []

    def paced(svc, work):
        calls.append(1)
        if len(calls) < 3:
            error = budget_spent(30)
            raise Retry(error.retry_after, "Waiting for the request budget")
        return None

    svc.jobs.register("test.paced", paced, max_attempts=1)
    svc.jobs.submit("paced:1", "test.paced")
    for _ in range(3):
        due_now(svc, "paced:1")
        svc.jobs.run("paced:1")
    assert len(calls) == 3
    assert svc.jobs.queue.get("paced:1").state == DONE  # one attempt allowed, none failed


def test_a_follower_runs_again_when_it_asks_and_ends_when_it_is_done(svc):
    looks = []

    def follower(svc, work):
        looks.append(1)
        return None if len(looks) == 3 else 120.0

    svc.jobs.register("test.follow", follower)
    svc.jobs.submit("follow:1", "test.follow")
    svc.jobs.run("follow:1")
    item = svc.jobs.queue.get("follow:1")
    assert item.state == WAITING and 119 <= item.not_before - svc.jobs.queue.now() <= 121
    svc.jobs.run("follow:1")  # not due yet: nothing happens
    assert len(looks) == 1
    for _ in range(2):
        due_now(svc, "follow:1")
        svc.jobs.run("follow:1")
    assert svc.jobs.queue.get("follow:1").state == DONE and len(looks) == 3


def test_the_sweep_wakes_work_whose_wake_was_lost(svc):
    done = threading.Event()
    svc.jobs.register("test.lost", lambda svc, work: done.set())
    with svc.engine.begin() as db:  # recorded, but the wake never reached the queue
        svc.jobs.add(db, "lost:1", "test.lost")
    with consumer_running(svc.jobs):
        assert svc.jobs.sweep() == 1
        assert done.wait(10)
        poll(lambda: svc.jobs.queue.get("lost:1").state == DONE, what="the run")


def test_a_starting_consumer_wakes_work_not_due_yet_when_it_falls_due(svc):
    """A follower asked to look again in a few seconds, whose consumer was killed before
    that wake reached the queue: the next consumer runs it when due, not at the next
    minute's sweep."""
    ran_at = []
    svc.jobs.register("test.soon", lambda svc, work: ran_at.append(svc.jobs.queue.now()))
    with svc.engine.begin() as db:
        svc.jobs.add(db, "soon:1", "test.soon")
        svc.jobs.add(db, "soon:2", "test.soon")
        due_at = svc.jobs.queue.now() + 2
        db.execute(update(work_table).values(not_before=due_at))
    assert svc.jobs.queue.due() == []
    assert sorted(key for key, _ in svc.jobs.queue.upcoming()) == ["soon:1", "soon:2"]
    with consumer_running(svc.jobs):
        poll(lambda: len(ran_at) == 2, seconds=15, what="both runs when due")
    assert all(due_at <= at <= due_at + 5 for at in ran_at)
    assert svc.jobs.queue.upcoming() == []


def test_healthz_says_whether_a_consumer_is_alive_and_how_much_waits(app):
    client = app.test_client()
    jobs = app.extensions["webapp"].jobs
    assert client.get("/healthz").get_json()["jobs"] == {"consumer": "not running", "waiting": 0}
    jobs.submit("jobs.check:health", "jobs.check")  # no consumer: it waits
    assert client.get("/healthz").get_json()["jobs"] == {"consumer": "not running", "waiting": 1}
    with consumer_running(jobs):
        poll(
            lambda: (
                client.get("/healthz").get_json()["jobs"] == {"consumer": "running", "waiting": 0}
            ),
            what="the run",
        )


# -- consumers in processes of their own ---------------------------------------


def job_env(tmp_path: Path, database_url: str, name: str, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "jobs-secret-0123456789",
        "WEBAPP_INSTANCE_PATH": str(tmp_path / name),
        "TEST_STEP_LEASE_SECONDS": "2",
        **extra,
    }


def submitting_app(env: dict[str, str]):
    """The app as a server with `env` builds it, to ask for work as its pages would."""
    previous = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        return job_app.create_app()
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def step_consumer(env: dict[str, str], log: Path):
    """A consumer that knows the test's own kind of work (`tests.support.job_app`)."""
    return job_consumer(env, log, app="tests.support.job_app")


def test_work_interrupted_by_kill_9_is_done_after_a_restart(tmp_path, database_url):
    env = job_env(tmp_path, database_url, "instance")
    app = submitting_app(env)
    folder = tmp_path / "step"
    folder.mkdir()
    (folder / "hold").touch()
    app.extensions["webapp"].jobs.submit("step:1", job_app.STEP, {"folder": str(folder)})
    jobs = app.extensions["webapp"].jobs
    try:
        with step_consumer(env, tmp_path / "first.log") as first:
            poll(lambda: len(job_app.runs(folder)) == 1, what="the first run's start")
            first.send_signal(signal.SIGKILL)
            first.wait()
        (folder / "hold").unlink()
        with step_consumer(env, tmp_path / "second.log") as second:
            poll(lambda: jobs.queue.get("step:1").state == DONE, seconds=30, what="the rerun")
    finally:
        app.extensions["webapp"].engine.dispose()
    lines = job_app.runs(folder)
    assert [line.split()[2] for line in lines] == ["start", "start", "end"]
    assert lines[1].split()[1] == lines[2].split()[1] == str(second.pid)


def test_work_asked_for_on_one_server_runs_once_on_a_consumer_of_another_through_redis(
    tmp_path, postgres, redis_server
):
    name = postgres.create_database()
    url = postgres.url(name)
    prepare_database(url)
    shared = {"JOB_QUEUE_URL": redis_server.url}
    asking = submitting_app(job_env(tmp_path, url, "server-a", **shared))
    folder = tmp_path / "step"
    folder.mkdir()
    env_b = job_env(tmp_path, url, "server-b", **shared)
    jobs = asking.extensions["webapp"].jobs
    try:
        with (
            step_consumer(env_b, tmp_path / "b-1.log") as first,
            step_consumer(env_b, tmp_path / "b-2.log") as second,
        ):
            consumers = [first, second]
            for number in range(5):
                jobs.submit(f"step:{number}", job_app.STEP, {"folder": str(folder)})
            poll(
                lambda: all(jobs.queue.get(f"step:{n}").state == DONE for n in range(5)),
                what="five runs on the other server",
            )
    finally:
        asking.extensions["webapp"].engine.dispose()
        postgres.drop_database(name)
    lines = job_app.runs(folder)
    assert sorted(line.split()[0] for line in lines if line.endswith("end")) == [
        f"step:{n}" for n in range(5)
    ]
    assert len(lines) == 10  # each ran once: a start and an end
    assert {line.split()[1] for line in lines} <= {str(c.pid) for c in consumers}


def test_make_run_serves_the_app_and_runs_its_jobs_with_nothing_else_started(tmp_path):
    port = free_port()
    env = {"WEBAPP_INSTANCE_PATH": str(tmp_path / "instance"), "PORT": str(port)}
    url = f"http://127.0.0.1:{port}"
    with running(
        ["make", "--no-print-directory", "run"], env, url + "/healthz", tmp_path / "run.log"
    ):
        check = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "webapp", "jobs", "check"],
            cwd=ROOT,
            env=environment(env),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert check.returncode == 0, check.stderr
        assert check.stdout.startswith("A consumer ran jobs.check:")
        health = requests.get(url + "/healthz", timeout=5).json()
        assert health["mode"] == "sandbox" and health["jobs"]["consumer"] == "running"
        assert "Sandbox" in requests.get(url + "/", timeout=5).text
