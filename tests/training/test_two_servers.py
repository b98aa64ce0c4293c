"""Two app servers (gunicorn, as deployed) and a job consumer beside each, sharing nothing
but PostgreSQL and Redis, with people loading the pages of models in training on both at
once: one follower per model in total, a model read at most once in 5 seconds, and each
training's end written once, shown once and posted to the team chat once."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select, update

from tests.conftest import TOKEN, dispose, make_app, prepare_database
from tests.support.fake_api import FakeBriaServer
from tests.support.pages import soup
from tests.support.processes import gunicorn_servers, job_consumer
from tests.support.training import TeamChat, completed_dataset_at, model_at, model_page, set_status
from tests.support.waiting import poll
from tests.training.flows import follow_key, model_gets, services
from webapp.database.tables import model_events, refreshes, work
from webapp.training.service import FOLLOW
from webapp.training.tasks import WEBHOOK

pytestmark = pytest.mark.integration

ENDINGS = {"Fox": "Completed", "Owl": "Failed", "Cat": "Stopped"}
NEWS = {
    "Fox": "The training of model “Fox” is complete: the model can make images now. "
    "Started by someone on the team.",
    "Owl": "The training of model “Owl” failed. Started by someone on the team.",
    "Cat": "The training of model “Cat” was stopped. Started by someone on the team.",
}


@dataclass
class Team:
    urls: list[str]
    api: FakeBriaServer
    chat: TeamChat
    #: The app as a third machine builds it: to look at the shared database and to
    #: wake work through the shared Redis.
    app: Flask
    project_id: int
    dataset_id: int
    models: dict[str, dict]


@pytest.fixture
def team(tmp_path: Path, postgres, redis_server) -> Iterator[Team]:
    redis_server.flush()
    name = postgres.create_database()
    url = postgres.url(name)
    prepare_database(url)
    with ExitStack() as stack:
        stack.callback(postgres.drop_database, name)
        api = stack.enter_context(FakeBriaServer(TOKEN, folder=tmp_path))
        api.fake.api.model_endpoints.training_seconds = 24 * 3600.0
        chat = stack.enter_context(TeamChat())
        project_id, dataset_id = completed_dataset_at(api.fake.api)
        models = {
            model: model_at(api.fake.api, dataset_id, name=model, status="InProgress")
            for model in ENDINGS
        }
        shared = {
            "DATABASE_URL": url,
            "JOB_QUEUE_URL": redis_server.url,
            "BRIA_API_TOKEN": TOKEN,
            "BRIA_API_BASE_URL": api.base_url,
            "BRIA_API_TIMEOUT": "5",
            "BRIA_REQUESTS_PER_MINUTE": "100000",
            "TEAM_WEBHOOK_URL": chat.url,
            "SECRET_KEY": "two-servers-secret-0123456789",
        }
        envs = [
            {
                **shared,
                "WEB_CONCURRENCY": "2",
                "REQUESTS_CA_BUNDLE": chat.bundle,
                "WEBAPP_INSTANCE_PATH": str(tmp_path / f"server-{number}"),
            }
            for number in range(2)
        ]
        logs = [tmp_path / f"server-{number}.log" for number in range(2)]
        servers = stack.enter_context(gunicorn_servers(envs, logs))
        for number, env in enumerate(envs):
            stack.enter_context(job_consumer(env, tmp_path / f"consumer-{number}.log"))
        app = make_app(tmp_path / "looking", **shared)
        stack.callback(dispose, app)
        yield Team([s.url for s in servers], api, chat, app, project_id, dataset_id, models)


def pages_of(team: Team) -> list[str]:
    return [
        f"/projects/{team.project_id}",
        f"/projects/{team.project_id}/datasets/{team.dataset_id}",
        *(model_page(team.project_id, m["id"]) for m in team.models.values()),
        *(model_page(team.project_id, m["id"], "/live.json") for m in team.models.values()),
    ]


def load_everywhere(team: Team, loads: int = 60) -> None:
    """People on both servers loading every page at once."""
    pages = pages_of(team)

    def load(number: int) -> int:
        with requests.Session() as browser:
            url = team.urls[number % 2] + pages[number % len(pages)]
            return browser.get(url, timeout=60).status_code

    with ThreadPoolExecutor(10) as pool:
        assert set(pool.map(load, range(loads))) == {200}


def count(team: Team, query) -> int:
    with services(team.app).engine.connect() as db:
        return db.execute(query).scalar_one()


def work_states(team: Team, kind: str) -> dict[str, str]:
    with services(team.app).engine.connect() as db:
        return dict(db.execute(select(work.c.key, work.c.state).where(work.c.kind == kind)).all())


def notices_on(url: str) -> list[str]:
    page = soup(requests.get(url + "/projects", timeout=60).text)
    return [
        " ".join(box.select_one("p").get_text(" ").split())
        for box in page.select(".notification-news")
    ]


def test_one_follower_one_ending_and_one_post_per_training_across_two_servers(team: Team):
    load_everywhere(team)
    followers = {follow_key(m["id"]) for m in team.models.values()}
    assert set(work_states(team, FOLLOW)) == followers

    # The followers' first runs, on whichever consumer, then wait their two minutes.
    poll(
        lambda: (
            set(work_states(team, FOLLOW).values()) == {"waiting"}
            and all(
                w.updated_at > w.created_at
                for w in (services(team.app).jobs.queue.get(k) for k in followers)
            )
        ),
        60,
        "every follower's first run",
    )

    # Every training ends at Bria; pages on both servers and both consumers' followers
    # look at once.
    for name, ending in ENDINGS.items():
        set_status(team.api.fake.api, team.models[name]["id"], ending)
    before = {m["id"]: len(model_gets(team.api, m["id"])) for m in team.models.values()}
    with services(team.app).engine.begin() as db:
        db.execute(update(refreshes).values(as_of=refreshes.c.as_of - 60))
        db.execute(update(work).where(work.c.kind == FOLLOW).values(not_before=0))
    for key in sorted(followers) * 2:  # each woken twice: both consumers may take it
        services(team.app).jobs.wake(key)
    load_everywhere(team)

    poll(
        lambda: (
            set(work_states(team, FOLLOW).values()) == {"done"}
            and len(work_states(team, WEBHOOK)) == 3
            and set(work_states(team, WEBHOOK).values()) == {"done"}
        ),
        60,
        "every ending seen and posted",
    )
    assert count(team, select(func.count()).select_from(work).where(work.c.state != "done")) == 0

    endings = count(
        team,
        select(func.count())
        .select_from(model_events)
        .where(model_events.c.status.in_(list(ENDINGS.values()))),
    )
    assert endings == 3
    assert set(work_states(team, FOLLOW)) == followers  # still one row per model

    texts = Counter(post.json["text"] for post in team.chat.posts)
    assert texts == Counter(NEWS.values())
    for post in team.chat.posts:
        assert set(post.json) == {"text"}
        assert TOKEN not in post.body.decode()

    for url in team.urls:  # one notice per ending, on either server
        shown = notices_on(url)
        assert len(shown) == 3
        for name in ENDINGS:
            assert sum(NEWS[name] in notice for notice in shown) == 1

    # Since the reads were made old: each model read once by whichever server or
    # consumer asked first, again only after 5 seconds.
    for model in team.models.values():
        reads = [r.at for r in model_gets(team.api, model["id"])[before[model["id"]] :]]
        assert 1 <= len(reads) <= 2, reads
        gaps = [later - earlier for earlier, later in itertools.pairwise(reads)]
        assert all(gap > 4.8 for gap in gaps), gaps
