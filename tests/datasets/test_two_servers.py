"""Two app servers that share nothing but PostgreSQL and Redis, one dataset, files added
through both at the same moment: every image reaches Bria once, and both show the same
queue. A file received by one server is sent by the job consumer beside the other, so
the originals and thumbnails live in the shared database (UPLOAD_STORE=database)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from tests.conftest import TOKEN, prepare_database
from tests.images import pictures
from tests.images.flows import dataset_at, posted_names
from tests.support.fake_api import FakeBriaServer
from tests.support.pages import hidden_inputs, soup
from tests.support.processes import gunicorn_servers, job_consumer
from tests.support.waiting import poll
from webapp.database.engine import make_engine
from webapp.database.tables import blobs, uploads

pytestmark = pytest.mark.integration


@dataclass
class Team:
    urls: list[str]
    api: FakeBriaServer
    database_url: str
    project_id: int
    dataset_id: int

    def page(self, number: int, rest: str = "") -> str:
        return f"{self.urls[number]}/projects/{self.project_id}/datasets/{self.dataset_id}{rest}"


@pytest.fixture
def team(tmp_path: Path, postgres, redis_server) -> Iterator[Team]:
    redis_server.flush()
    name = postgres.create_database()
    url = postgres.url(name)
    prepare_database(url)
    with ExitStack() as stack:
        stack.callback(postgres.drop_database, name)
        api = stack.enter_context(FakeBriaServer(TOKEN, folder=tmp_path))
        project_id, dataset_id = dataset_at(api.fake.api, "Shared")
        envs = [
            {
                "DATABASE_URL": url,
                "JOB_QUEUE_URL": redis_server.url,
                "UPLOAD_STORE": "database",
                "BRIA_API_TOKEN": TOKEN,
                "BRIA_API_BASE_URL": api.base_url,
                "BRIA_API_TIMEOUT": "5",
                "BRIA_REQUESTS_PER_MINUTE": "100000",
                "WEB_CONCURRENCY": "2",
                "WEBAPP_INSTANCE_PATH": str(tmp_path / f"server-{number}"),
            }
            for number in range(2)
        ]
        logs = [tmp_path / f"server-{number}.log" for number in range(2)]
        servers = stack.enter_context(gunicorn_servers(envs, logs))
        # The job consumer runs beside the second server only: what the first server
        # receives is sent from the other machine.
        stack.enter_context(job_consumer(envs[1], tmp_path / "consumer.log"))
        yield Team([server.url for server in servers], api, url, project_id, dataset_id)


def add_through(team: Team, number: int, files: list[tuple[str, bytes]]) -> requests.Response:
    """A person adding files on one server's page, as the plain form sends them."""
    with requests.Session() as browser:
        page = browser.get(team.page(number), timeout=30)
        assert page.status_code == 200, page.text[:500]
        answer = browser.post(
            team.page(number, "/images"),
            data={"csrf_token": hidden_inputs(page.text)["csrf_token"], "increase_resolution": "y"},
            files=[
                ("images", (name, content, "application/octet-stream")) for name, content in files
            ],
            timeout=60,
        )
        assert answer.status_code == 200, answer.text[:500]  # after the redirect
        return answer


def queue_of(team: Team, number: int) -> dict:
    answer = requests.get(team.page(number, "/queue.json"), timeout=30)
    assert answer.status_code == 200
    return answer.json()


def cards(team: Team, number: int) -> list[tuple[str, str]]:
    page = requests.get(team.page(number), timeout=30).text
    return [
        (
            card.select_one(".card-name strong").get_text(),
            card.select_one("[data-state]").get_text(),
        )
        for card in soup(page).select(".image-card")
    ]


def test_files_added_through_both_servers_at_once_reach_bria_once_each(team: Team):
    shared = pictures.picture(99, "JPEG")  # the same file, added on both servers at once
    batches = [
        [(f"first-{n}.jpg", pictures.picture(n, "JPEG")) for n in range(6)]
        + [("same.jpg", shared)],
        [(f"second-{n}.jpg", pictures.picture(100 + n, "JPEG")) for n in range(6)]
        + [("same.jpg", shared)],
    ]
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(add_through, [team, team], [0, 1], batches))

    engine = make_engine(team.database_url)
    try:
        with engine.connect() as db:
            kept = db.execute(select(uploads.c.original_name, uploads.c.state)).all()
        accepted = [name for name, state in kept if state != "rejected"]
        assert sorted(accepted) == sorted({name for batch in batches for name, _ in batch})
        assert Counter(state for _, state in kept)["rejected"] == 1  # the second "same.jpg"

        poll(
            lambda: queue_of(team, 0)["counts"]["at_bria"] == 13,
            seconds=60,
            what="every image reaching Bria",
        )
        with engine.connect() as db:
            names = dict(db.execute(select(uploads.c.image_name, uploads.c.state)).all())
            left = list(db.execute(select(blobs.c.key)).scalars())
    finally:
        engine.dispose()

    sent = Counter(posted_names(team.api.fake.received))
    at_bria = {name for name, state in names.items() if state == "at_bria"}
    assert len(at_bria) == 13
    assert sent == Counter(dict.fromkeys(at_bria, 1))
    at_fake = [i["image_name"] for i in team.api.fake.api.images.of_dataset(team.dataset_id)]
    assert sorted(at_fake) == sorted(at_bria)

    # Both servers show the same queue, and the originals are gone from the database.
    assert queue_of(team, 0) == queue_of(team, 1)
    assert queue_of(team, 0)["counts"] == {
        "waiting": 0,
        "sending": 0,
        "at_bria": 13,
        "refused": 0,
        "failed": 0,
    }
    assert cards(team, 0) == cards(team, 1)
    assert len(cards(team, 0)) == 13
    assert all(key.endswith("-thumb") for key in left) and len(left) == 13

    # A thumbnail made on the consumer's machine is served by the first server.
    page = requests.get(team.page(0), timeout=30).text
    thumbnail = soup(page).select_one(".image-card .thumb img")["src"]
    answer = requests.get(team.urls[0] + thumbnail, timeout=30)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "image/jpeg"
