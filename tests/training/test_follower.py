"""Following trainings for everyone: one follower per model whatever how many people look,
at a pace that fits the shared request budget, a model read at most once in 5 seconds
however many pages ask, and every shape of Bria's answer met without losing the model."""

from __future__ import annotations

import itertools
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import update

from tests.conftest import TOKEN, dispose, make_app
from tests.support.apps import live
from tests.support.fake_api import Scripted
from tests.support.training import completed_dataset_at, model_at, model_page, set_status
from tests.training.flows import (
    age_reads,
    ending_rows,
    events,
    follow_key,
    follower_rows,
    model_gets,
    run_follower,
    services,
    start,
)
from webapp.catalog.models import ModelRecords
from webapp.database.tables import model_events
from webapp.training import tasks
from webapp.training.service import FOLLOW


def live_env(fake_api, **more: object) -> dict[str, object]:
    return {
        "BRIA_API_TOKEN": TOKEN,
        "BRIA_API_BASE_URL": fake_api.base_url,
        "BRIA_API_TIMEOUT": 5,
        "BRIA_REQUESTS_PER_MINUTE": 100_000,
        **more,
    }


# -- one follower per model ------------------------------------------------------------


@pytest.mark.integration
def test_one_follower_per_model_whatever_how_many_pages_are_loaded_at_once(
    tmp_path, fake_api, bria, dataset
):
    training = [model_at(bria, dataset[1], name=f"T{n}", status="InProgress") for n in range(3)]
    model_at(bria, dataset[1], name="Not yet")
    model_at(bria, dataset[1], name="Done", status="Completed")
    pages = [f"/projects/{dataset[0]}", f"/projects/{dataset[0]}/datasets/{dataset[1]}"] + [
        model_page(dataset[0], m["id"]) for m in training
    ]
    with live(tmp_path / "instance", **live_env(fake_api)) as server:

        def load(number: int) -> int:
            with requests.Session() as browser:
                answer = browser.get(server.url + pages[number % len(pages)], timeout=30)
            return answer.status_code

        with ThreadPoolExecutor(12) as pool:
            assert set(pool.map(load, range(60))) == {200}
        assert follower_rows(server.app) == sorted(follow_key(m["id"]) for m in training)


# -- the pace ----------------------------------------------------------------------------


@pytest.fixture
def paced(tmp_path):
    """An app in real mode (never asked to reach Bria here) with a budget of its own."""
    made = []

    def make(per_minute: int):
        app = make_app(
            tmp_path / f"paced-{per_minute}",
            BRIA_API_TOKEN=TOKEN,
            BRIA_API_BASE_URL="https://bria.example/v1",
            BRIA_REQUESTS_PER_MINUTE=per_minute,
        )
        made.append(app)
        return app

    yield make
    for app in made:
        dispose(app)


def following(app, count: int, started_ago: float = 0.0) -> int:
    """`count` models in training, followed; the first one's id."""
    svc = services(app)
    records = svc.get(ModelRecords)
    with svc.engine.begin() as db:
        for model_id in range(1, count + 1):
            svc.jobs.add(db, follow_key(model_id), FOLLOW, {"model": model_id})
    for model_id in range(1, count + 1):
        records.started_through_the_app(model_id, 1, None)
    if started_ago:
        with svc.engine.begin() as db:
            db.execute(update(model_events).values(at=model_events.c.at - started_ago))
    return 1


def pace_of(app, model_id: int) -> float:
    svc = services(app)
    return tasks.pace(svc, svc.get(ModelRecords), model_id)


@pytest.mark.parametrize(
    ("per_minute", "models", "started_ago", "seconds"),
    [
        (10, 1, 0, 120),  # every 2 minutes in the first hour
        (10, 1, 3599, 120),
        (10, 1, 3601, 600),  # every 10 after
        (1000, 50, 0, 120),  # a large budget: the usual pace
        (10, 50, 0, 600),  # 50 models on 5 requests a minute (half the budget)
        (10, 100, 3601, 1200),  # slower still: never more than half the budget
        (60, 50, 0, 120),  # 50 models on 30 a minute: 100 s, so the usual 2 minutes
        (60, 100, 0, 200),
    ],
)
def test_the_follower_reads_every_2_minutes_then_every_10_within_half_the_budget(
    paced, per_minute, models, started_ago, seconds
):
    app = paced(per_minute)
    first = following(app, models, started_ago)
    assert pace_of(app, first) == pytest.approx(seconds, abs=1)


def test_a_follower_in_the_sandbox_looks_every_5_seconds(app):
    first = following(app, 3, started_ago=7200)
    assert pace_of(app, first) == 5.0


@pytest.mark.integration
def test_a_run_of_the_follower_asks_to_run_again_in_2_minutes(live_app, bria, dataset):
    model = model_at(bria, dataset[1], status="InProgress")
    services(live_app).get(ModelRecords).started_through_the_app(model["id"], dataset[0], None)
    services(live_app).jobs.submit(follow_key(model["id"]), FOLLOW, {"model": model["id"]})

    after = run_follower(live_app, model["id"])

    assert after.state == "waiting" and after.attempts == 0
    wait = after.not_before - services(live_app).jobs.queue.now()
    assert 110 < wait <= 120


# -- at most one read of a model in 5 seconds -----------------------------------------


@pytest.mark.integration
def test_a_model_is_read_at_most_once_in_5_seconds_whatever_the_number_of_viewers(
    tmp_path, fake_api, bria, dataset
):
    watched = [model_at(bria, dataset[1], name=f"W{n}", status="InProgress") for n in range(2)]
    with live(tmp_path / "instance", **live_env(fake_api)) as server:
        app = server.app
        for model in watched:
            services(app).jobs.submit(follow_key(model["id"]), FOLLOW, {"model": model["id"]})
        until = time.monotonic() + 6.0

        def viewer(number: int) -> int:
            loads = 0
            with requests.Session() as browser:
                while time.monotonic() < until:
                    model = watched[loads % 2]
                    rest = "/live.json" if (loads + number) % 3 else ""
                    answer = browser.get(
                        server.url + model_page(dataset[0], model["id"], rest), timeout=30
                    )
                    assert answer.status_code == 200
                    loads += 1
            return loads

        def follower() -> int:
            runs = 0
            while time.monotonic() < until:  # the follower, as often as it could ever run
                for model in watched:
                    run_follower(app, model["id"], waited=0)
                runs += 1
            return runs

        with ThreadPoolExecutor(8) as pool:
            viewers = [pool.submit(viewer, n) for n in range(6)]
            runs = pool.submit(follower)
            loads = sum(v.result() for v in viewers)
        assert loads > 60 and runs.result() > 5

    for model in watched:
        reads = [r.at for r in model_gets(fake_api, model["id"])]
        assert 1 <= len(reads) <= 2, reads
        gaps = [later - earlier for earlier, later in itertools.pairwise(reads)]
        assert all(gap > 4.8 for gap in gaps), gaps


# -- what the follower meets -------------------------------------------------------------


@pytest.fixture
def followed(live_app, live_client, bria, dataset):
    """A model in training that the app follows (its page was seen)."""
    model = model_at(bria, dataset[1], status="InProgress")
    assert live_client.get(model_page(dataset[0], model["id"])).status_code == 200
    assert follower_rows(live_app) == [follow_key(model["id"])]
    return model


@pytest.mark.integration
@pytest.mark.parametrize(("ending", "words"), [("Completed", "ready"), ("Failed", "failed")])
def test_the_follower_sees_the_end_once_and_stops(
    live_app, live_client, bria, dataset, followed, ending, words
):
    assert run_follower(live_app, followed["id"]).state == "waiting"
    set_status(bria, followed["id"], ending)

    assert run_follower(live_app, followed["id"]).state == "done"
    assert run_follower(live_app, followed["id"]).state == "done"  # nothing more to run
    for _ in range(3):
        age_reads(live_app, 31)
        live_client.get(model_page(dataset[0], followed["id"]))

    assert [s for s, _ in events(live_app, followed["id"])] == ["InProgress", ending]
    assert ending_rows(live_app) == 1
    text = live_client.get(model_page(dataset[0], followed["id"])).get_data(as_text=True)
    assert words in text.lower()


@pytest.mark.integration
@pytest.mark.parametrize(
    "scripted",
    [
        Scripted(500, {"error": {"message": "Internal error"}}),
        Scripted(502, "<html>Bad gateway</html>", "text/html"),
        Scripted(drop=True),
        Scripted(200, {"id": 1, "name": "Fox", "status": "InProgress"}, cut=10),
        Scripted(200, "not json", "text/plain"),
    ],
)
def test_a_failed_read_leaves_the_follower_waiting_to_look_again(
    live_app, fake_api, followed, scripted
):
    fake_api.fake.answer_for(f"/models/{followed['id']}", scripted)
    age_reads(live_app, 60)

    after = run_follower(live_app, followed["id"])

    assert after.state == "waiting" and after.attempts == 0
    assert 110 < after.not_before - services(live_app).jobs.queue.now() <= 120
    assert len(model_gets(fake_api, followed["id"])) == 2  # the page's, and this one


@pytest.mark.integration
def test_a_429_waits_as_long_as_bria_asks_without_counting_an_attempt(live_app, fake_api, followed):
    fake_api.fake.answer_for(
        f"/models/{followed['id']}",
        Scripted(429, {"error": {"message": "Too many"}}, headers={"Retry-After": "45"}),
    )
    age_reads(live_app, 60)

    after = run_follower(live_app, followed["id"])

    assert after.state == "waiting" and after.attempts == 0
    assert 30 < after.not_before - services(live_app).jobs.queue.now() <= 45
    assert after.last_error == "Waiting for the request budget"


@pytest.mark.integration
def test_a_model_deleted_at_bria_is_followed_no_more(live_app, bria, followed):
    bria.model_endpoints.models.delete(followed["id"])
    assert run_follower(live_app, followed["id"]).state == "done"


@pytest.mark.integration
def test_a_status_the_app_does_not_know_is_followed_until_it_ends(
    live_app, live_client, bria, dataset, followed
):
    set_status(bria, followed["id"], "Queued for GPUs")
    assert run_follower(live_app, followed["id"]).state == "waiting"
    page = live_client.get(model_page(dataset[0], followed["id"])).get_data(as_text=True)
    assert "Bria reports “Queued for GPUs”" in page
    set_status(bria, followed["id"], "Completed")
    assert run_follower(live_app, followed["id"]).state == "done"
    assert [s for s, _ in events(live_app, followed["id"])] == [
        "InProgress",
        "Queued for GPUs",
        "Completed",
    ]


@pytest.mark.integration
def test_a_model_seen_training_again_after_its_follower_ended_is_followed_again(
    live_app, live_client, bria, dataset, followed
):
    set_status(bria, followed["id"], "Created")  # Bria put it back, say
    assert run_follower(live_app, followed["id"]).state == "done"
    set_status(bria, followed["id"], "InProgress")
    age_reads(live_app, 31)

    live_client.get(model_page(dataset[0], followed["id"]))

    assert services(live_app).jobs.queue.get(follow_key(followed["id"])).state == "waiting"
    assert follower_rows(live_app) == [follow_key(followed["id"])]


@pytest.mark.integration
def test_the_follower_reads_bria_itself_when_no_page_has_for_5_seconds(
    live_app, fake_api, bria, followed
):
    before = len(model_gets(fake_api, followed["id"]))
    services(live_app).jobs.run(follow_key(followed["id"]))  # due now, read just now
    assert len(model_gets(fake_api, followed["id"])) == before
    run_follower(live_app, followed["id"])  # 6 seconds later
    assert len(model_gets(fake_api, followed["id"])) == before + 1


def test_the_sandbox_trains_follows_and_ends_in_the_app(tmp_path):
    app = make_app(tmp_path / "instance", SANDBOX_TRAINING_SECONDS=0)
    try:
        svc = services(app)
        project_id, dataset_id = completed_dataset_at(svc.fake)
        model = model_at(svc.fake, dataset_id)
        client = app.test_client()
        assert start(client, project_id, model["id"]).status_code == 303
        assert run_follower(app, model["id"]).state == "done"
        assert [s for s, _ in events(app, model["id"])] == ["Created", "InProgress", "Completed"]
    finally:
        dispose(app)
