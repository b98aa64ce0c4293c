"""What the images and datasets tests do again and again: a dataset at the fake, files added
through the page as a browser adds them, and the queue's jobs run to the end."""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Iterable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from tests.images import pictures
from tests.support.pages import hidden_inputs
from webapp.database.tables import budget_gate, work
from webapp.images.queue import Upload, UploadQueue
from webapp.sandbox import FakeBria
from webapp.services import Services

#: Files the app named itself: nothing else is ever written in the instance folder.
APP_FILES = re.compile(
    r"^(webapp\.sqlite3|jobs\.sqlite3|sandbox\.sqlite3)(-wal|-shm|-journal)?$|^secret_key$"
    r"|^uploads$|^uploads/upload-\d+-(original|thumb)$"
)


def services(app: Flask) -> Services:
    return app.extensions["webapp"]


def fake_of(app: Flask) -> FakeBria:
    """The sandbox an app in sandbox mode answers from."""
    return services(app).fake


def dataset_at(fake: FakeBria, name: str = "Summer shots", **fields: Any) -> tuple[int, int]:
    """A project and a draft dataset in it, made at the fake (as in Bria's console)."""
    project = fake.projects.add(project_name="Lora")
    dataset = fake.datasets.add(project["id"], name=name, **fields)
    return project["id"], dataset["id"]


def image_at(fake: FakeBria, dataset_id: int, seed: int, name: str | None = None) -> dict:
    """An image added at the fake directly (by a script, or Bria's console)."""
    token = fake.token
    body = {
        "file": base64.b64encode(pictures.picture(seed, "JPEG")).decode(),
        "image_name": name or f"elsewhere-{seed}.jpg",
    }
    reply = fake.handle(
        "POST",
        f"/v1/tailored-gen/datasets/{dataset_id}/images",
        {"api_token": token, "Content-Type": "application/json"},
        json.dumps(body).encode(),
    )
    assert reply.status == 201, reply.body
    return reply.body


def page_of(project_id: int, dataset_id: int, rest: str = "") -> str:
    return f"/projects/{project_id}/datasets/{dataset_id}{rest}"


def add_files(
    client: FlaskClient,
    project_id: int,
    dataset_id: int,
    files: Iterable[tuple[str, bytes]],
    increase_resolution: bool = True,
) -> Any:
    """Post files to the upload form, as the page's plain form sends them."""
    page = client.get(page_of(project_id, dataset_id)).get_data(as_text=True)
    data: dict[str, Any] = {
        "csrf_token": hidden_inputs(page)["csrf_token"],
        "images": [(io.BytesIO(content), name) for name, content in files],
    }
    if increase_resolution:
        data["increase_resolution"] = "y"
    return client.post(
        page_of(project_id, dataset_id, "/images"), data=data, content_type="multipart/form-data"
    )


def uploads(app: Flask, dataset_id: int) -> list[Upload]:
    return services(app).get(UploadQueue.of).of_dataset(dataset_id)


def states(app: Flask, dataset_id: int) -> dict[str, str]:
    return {u.original_name: u.state for u in uploads(app, dataset_id)}


def open_keys(app: Flask, prefix: str = "") -> list[str]:
    """Work waiting and due now (in the order it was asked for)."""
    svc = services(app)
    query = select(work.c.key).where(work.c.state == "waiting").order_by(work.c.created_at)
    with svc.engine.connect() as db:
        keys = list(db.execute(query).scalars())
    now = svc.jobs.queue.now()
    return [
        key
        for key in keys
        if key.startswith(prefix) and (svc.jobs.queue.get(key).not_before <= now)  # type: ignore[union-attr]
    ]


def run_jobs(app: Flask, prefix: str = "", rounds: int = 20) -> list[str]:
    """Run every due job (and the jobs they ask for) in this process, until none is due."""
    ran: list[str] = []
    for _ in range(rounds):
        keys = open_keys(app, prefix)
        if not keys:
            return ran
        for key in keys:
            services(app).jobs.run(key)
            ran.append(key)
    raise AssertionError(f"jobs still due after {rounds} rounds: {open_keys(app, prefix)}")


def make_due(app: Flask, key: str) -> None:
    """As if the wait a job asked for had passed."""
    svc = services(app)
    with svc.engine.begin() as db:
        db.execute(
            update(work).where(work.c.key == key).values(not_before=work.c.not_before - 100_000)
        )


def end_pause(app: Flask) -> None:
    """As if the pause Bria asked for (a 429) had passed."""
    with services(app).engine.begin() as db:
        db.execute(update(budget_gate).values(paused_until=None))


def paused_for(app: Flask) -> float:
    """Seconds the shared budget is still paused for (0 when it is not)."""
    svc = services(app)
    with svc.engine.connect() as db:
        until = db.execute(select(budget_gate.c.paused_until)).scalar()
    return 0.0 if until is None else until - svc.jobs.queue.now()


def posted_names(received: list[Any]) -> list[str]:
    """The image_name of every image upload the fake received, in order."""
    return [
        r.body["image_name"]
        for r in received
        if r.method == "POST" and r.path.endswith("/images") and isinstance(r.body, dict)
    ]
