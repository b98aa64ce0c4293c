"""Restarts lose nothing: a job consumer killed with `kill -9` while a training is followed,
or while an image is being made, leaves its work in the database; the next consumer
picks it up and finishes it. Sandbox mode, with the app's own command
(`flask --app webapp jobs run`) in processes of its own sharing one instance folder."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

from tests.conftest import dispose, make_app
from tests.support.processes import job_consumer
from tests.support.training import completed_dataset_at, model_at, model_page
from tests.support.waiting import poll
from tests.training.flows import events, follow_key, send_form, services, start
from webapp.generation import service as generation
from webapp.sandbox import FakeBria

pytestmark = pytest.mark.integration


@dataclass
class Instance:
    app: Flask
    env: dict[str, str]
    folder: Path

    @property
    def fake(self) -> FakeBria:
        return services(self.app).fake

    def consumer(self, name: str):
        return job_consumer(self.env, self.folder / f"{name}.log")


@pytest.fixture
def instance(tmp_path) -> Iterator[Instance]:
    """The app in sandbox mode, as a server and its consumers share it (one folder)."""
    folder = tmp_path / "instance"
    settings = {
        "SECRET_KEY": "restart-secret-0123456789",
        "SANDBOX_TRAINING_SECONDS": "3600",
    }
    app = make_app(folder, **settings)
    env = {
        **settings,
        "DATABASE_URL": f"sqlite:///{folder / 'webapp.sqlite3'}",
        "WEBAPP_INSTANCE_PATH": str(folder),
        "JOB_WORKERS": "2",
    }
    yield Instance(app, env, folder)
    dispose(app)


def ran_once(instance: Instance, key: str, since: float) -> bool:
    """The consumer has run `key` at least once since `since` (and is waiting to again)."""
    work = services(instance.app).jobs.queue.get(key)
    return work is not None and work.updated_at > since and work.state == "waiting"


def test_a_training_followed_when_its_consumer_is_killed_is_followed_to_its_end(instance):
    project_id, dataset_id = completed_dataset_at(instance.fake)
    model = model_at(instance.fake, dataset_id)
    client = instance.app.test_client()
    assert start(client, project_id, model["id"]).status_code == 303
    key = follow_key(model["id"])
    asked_at = services(instance.app).jobs.queue.get(key).updated_at

    with instance.consumer("first") as first:
        poll(lambda: ran_once(instance, key, asked_at), 60, "the follower's first run")
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert services(instance.app).jobs.queue.get(key).state == "waiting"
    assert [s for s, _ in events(instance.app, model["id"])] == ["Created", "InProgress"]

    instance.fake.model_endpoints.models.update(model["id"], {"status": "Completed"})
    with instance.consumer("second"):
        poll(
            lambda: services(instance.app).jobs.queue.get(key).state == "done",
            60,
            "the training's end, seen by the next consumer",
        )

    assert [s for s, _ in events(instance.app, model["id"])] == [
        "Created",
        "InProgress",
        "Completed",
    ]
    home = client.get("/").get_data(as_text=True)
    assert "The training of model “Fox” is complete" in home


def hold_at_the_sandbox(fake: FakeBria, seconds: float) -> None:
    """Every image the sandbox is making is ready `seconds` from now (or ago)."""
    with fake.database.write_lock, fake.database.connect() as db:
        for request_id, body in db.execute("SELECT id, body FROM generations").fetchall():
            kept = {**json.loads(body), "at": time.time() + seconds}
            db.execute(
                "UPDATE generations SET body = ? WHERE id = ?", (json.dumps(kept), request_id)
            )


def test_an_image_pending_when_its_consumer_is_killed_is_kept_after_a_restart(instance):
    project_id, dataset_id = completed_dataset_at(instance.fake)
    model = model_at(instance.fake, dataset_id, status="Completed")
    client = instance.app.test_client()
    answer = send_form(
        client,
        model_page(project_id, model["id"]),
        model_page(project_id, model["id"], "/generate"),
        prompt="a fox in the snow",
        aspect_ratio="1:1",
    )
    assert answer.status_code == 303
    [made] = generation.gallery(services(instance.app), model["id"])
    hold_at_the_sandbox(instance.fake, 3600)
    key = f"generation:{made.id}"
    asked_at = services(instance.app).jobs.queue.get(key).updated_at

    with instance.consumer("first") as first:
        poll(lambda: ran_once(instance, key, asked_at), 60, "the image's first look")
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert generation.get(services(instance.app), made.id).state == "asked"
    image = f"/projects/{project_id}/generated/{made.id}"
    assert client.get(image).status_code == 404

    hold_at_the_sandbox(instance.fake, -1)
    with instance.consumer("second"):
        poll(
            lambda: generation.get(services(instance.app), made.id).state == "completed",
            60,
            "the image, made and kept after the restart",
        )

    kept = client.get(image)
    assert kept.status_code == 200 and kept.mimetype == "image/png"
    assert services(instance.app).jobs.queue.get(key).state == "done"
