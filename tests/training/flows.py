"""What the training and generation tests do again and again: a form sent as a browser sends
it, the follower run as a consumer runs it, time moved on for the app's shared reads."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from tests.images.flows import make_due, services
from tests.support.pages import hidden_inputs
from tests.support.training import model_page
from webapp.catalog.models import ModelRecords
from webapp.database.tables import model_events, refreshes, work
from webapp.training.service import FOLLOW

__all__ = ["make_due", "services"]


def send_form(client: FlaskClient, page: str, target: str | None = None, **fields: Any) -> Any:
    """GET the page, then POST its form with its hidden fields (and `fields`)."""
    html = client.get(page).get_data(as_text=True)
    return client.post(target or page, data={**hidden_inputs(html), **fields})


def new_model(
    client: FlaskClient,
    project_id: int,
    dataset_id: int,
    name: str = "Fox",
    mode: str = "fully_automated",
    description: str = "",
) -> Any:
    return send_form(
        client,
        f"/projects/{project_id}/datasets/{dataset_id}/models/new",
        name=name,
        training_mode=mode,
        description=description,
    )


def model_id_in(response: Any) -> int:
    assert response.status_code == 303, (response.status_code, response.get_data()[:600])
    found = re.search(r"/models/(\d+)", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def start(client: FlaskClient, project_id: int, model_id: int) -> Any:
    return send_form(client, model_page(project_id, model_id, "/start"))


def stop(client: FlaskClient, project_id: int, model_id: int) -> Any:
    return send_form(client, model_page(project_id, model_id, "/stop"))


def age_reads(app: Flask, seconds: float, key_prefix: str = "model") -> None:
    """As if every read of Bria kept for the app (and every failed one) were `seconds`
    older: the next page reads again when that is past its window."""
    with services(app).engine.begin() as db:
        db.execute(
            update(refreshes)
            .where(refreshes.c.key.startswith(key_prefix))
            .values(
                as_of=refreshes.c.as_of - seconds,
                failed_at=refreshes.c.failed_at - seconds,
            )
        )


def follow_key(model_id: int) -> str:
    return f"follow:model:{int(model_id)}"


def run_follower(app: Flask, model_id: int, waited: float = 6.0) -> Any:
    """One run of the model's follower now, as if its wait (`waited` seconds: past the
    few seconds in which a model is read once) had passed; its work row after."""
    key = follow_key(model_id)
    make_due(app, key)
    age_reads(app, waited, f"model:{int(model_id)}")
    services(app).jobs.run(key)
    return services(app).jobs.queue.get(key)


def follower_rows(app: Flask) -> list[str]:
    query = select(work.c.key).where(work.c.kind == FOLLOW).order_by(work.c.key)
    with services(app).engine.connect() as db:
        return list(db.execute(query).scalars())


def events(app: Flask, model_id: int) -> list[tuple[str, str | None]]:
    """The model's timeline: (status, who)."""
    return [(e.status, e.who) for e in services(app).get(ModelRecords).timeline(model_id)]


def ending_rows(app: Flask) -> int:
    query = (
        select(func.count())
        .select_from(model_events)
        .where(model_events.c.status.in_(("Completed", "Failed", "Stopped")))
    )
    with services(app).engine.connect() as db:
        return db.execute(query).scalar_one()


def work_of_kind(app: Flask, kind: str) -> list[Any]:
    query = select(work.c.key).where(work.c.kind == kind).order_by(work.c.key)
    with services(app).engine.connect() as db:
        keys = list(db.execute(query).scalars())
    return [services(app).jobs.queue.get(key) for key in keys]


def model_gets(fake_api: Any, model_id: int) -> list[Any]:
    """The reads of one model the fake received."""
    return [
        r
        for r in fake_api.fake.received
        if r.method == "GET" and r.path == f"/v1/tailored-gen/models/{model_id}"
    ]
