"""Who did what: every action that changes something at Bria is on the record once, with
when and who (the sign-in proxy's header only when the app is told it is behind one; the
name given at the app's own sign-in; else "someone on the team"), newest first, in pages."""

from __future__ import annotations

import json
import re

import pytest
from werkzeug.security import generate_password_hash

from tests.conftest import dispose, make_app
from tests.images import pictures
from tests.images.flows import add_files, page_of, run_jobs, services
from tests.support.pages import VALID, hidden_inputs, main_text, soup, submit
from tests.support.training import completed_dataset_at, model_at, model_page
from tests.training.flows import model_id_in, new_model, send_form, stop
from webapp.ledger.activity import PAGE_SIZE, Activity

SCHEMA = json.dumps({"style": "flat colours", "palette": "warm reds", "subject": "a fox"})


def record(app, project_id: int | None = None) -> list[tuple[str | None, str, str]]:
    """(who, action, subject), newest first."""
    entries, _ = services(app).get(Activity.of).page(project_id)
    return [(e.who, e.action, e.subject) for e in entries]


def sentences(client, url: str) -> list[str]:
    page = soup(client.get(url).get_data(as_text=True))
    return [
        " ".join(item.select_one("span").get_text().split())
        for item in page.select("main .activity-list li")
    ]


def named(client, name: str) -> None:
    with client.session_transaction() as session:
        session["display_name"] = name


def twice(client, url: str, **fields: str) -> tuple:
    """The same form sent twice (a double click)."""
    html = client.get(url).get_data(as_text=True)
    data = {**hidden_inputs(html), **fields}
    return client.post(url, data=data), client.post(url, data=data)


@pytest.fixture
def sandbox_app(tmp_path, monkeypatch):
    monkeypatch.setattr("webapp.sandbox.models.STOPPING_SECONDS", 0.0)
    app = make_app(tmp_path / "instance", SANDBOX_TRAINING_SECONDS=3600)
    yield app
    dispose(app)


def test_every_action_that_changes_bria_is_recorded_once_with_who_newest_first(sandbox_app):
    app = sandbox_app
    fake = services(app).fake
    client = app.test_client()
    named(client, "Dana")

    # A project: created (twice over), changed.
    form = client.get("/").get_data(as_text=True)
    first = submit(client, form, "/", **VALID)
    submit(client, form, "/", **VALID)
    assert first.status_code == 303
    [project] = fake.projects.all()
    pid = project["id"]
    edit = client.get(f"/projects/{pid}/edit").get_data(as_text=True)
    changed = {**{k: VALID[k] for k in ("project_name", "ip_name", "ip_description")}}
    submit(client, edit, f"/projects/{pid}/edit", **changed, project_description="Autumn")

    # A dataset: created (twice over), images added, schema saved, a caption changed,
    # completed (twice over).
    twice(client, f"/projects/{pid}/datasets/new", name="Foxes", training_version="max")
    [dataset] = fake.datasets.of_project(pid)
    did = dataset["id"]
    add_files(client, pid, did, [(f"fox-{n}.png", pictures.picture(n)) for n in range(5)])
    run_jobs(app, "upload:")
    schema_url = page_of(pid, did, "/schema")
    schema_page = client.get(schema_url).get_data(as_text=True)
    form = {**hidden_inputs(schema_page), "raw": SCHEMA, "action": "save"}
    assert client.post(schema_url, data=form).status_code == 303
    image = fake.images.of_dataset(did)[0]
    caption_url = page_of(pid, did, f"/images/{image['id']}/caption")
    caption_page = client.get(caption_url).get_data(as_text=True)
    written = json.dumps({"style": "ink", "palette": "cold", "subject": "a fox"})
    edited = {**hidden_inputs(caption_page), "raw": written, "action": "save"}
    assert client.post(caption_url, data=edited).status_code == 303
    twice(client, page_of(pid, did, "/complete"))
    assert fake.datasets.get(did)["status"] == "completed"

    # A model: created, started, stopped (each twice over); another one generates.
    page = f"/projects/{pid}/datasets/{did}/models/new"
    made, _ = twice(client, page, name="Cub", training_mode="fully_automated")
    mid = model_id_in(made)
    twice(client, model_page(pid, mid, "/start"))
    twice(client, model_page(pid, mid, "/stop"))
    trained = model_at(fake, did, name="Adult", status="Completed")
    html = client.get(model_page(pid, trained["id"])).get_data(as_text=True)
    data = {
        **{t["name"]: t.get("value", "") for t in soup(html).select("#try input[type=hidden]")},
        "prompt": "a fox in the snow",
        "aspect_ratio": "1:1",
    }
    for _ in range(2):
        client.post(model_page(pid, trained["id"], "/generate"), data=data)

    expected = [
        ("generation.ask", "an image from model “Adult”: “a fox in the snow”"),
        ("model.stop", "the training of model “Cub”"),
        ("model.start", "the training of model “Cub”"),
        ("model.create", "model “Cub” from dataset “Foxes”"),
        ("dataset.complete", "dataset “Foxes”"),
        ("caption.edit", "the caption of “fox-0.png” in dataset “Foxes”"),
        ("dataset.schema", "the visual schema of dataset “Foxes”"),
        ("images.upload", "5 images to dataset “Foxes”"),
        ("dataset.create", "dataset “Foxes”"),
        ("project.edit", f"project “{VALID['project_name']}”"),
        ("project.create", f"project “{VALID['project_name']}”"),
    ]
    assert [(a, s) for _, a, s in record(app, pid)] == expected
    assert {who for who, _, _ in record(app, pid)} == {"Dana"}
    said = sentences(client, f"/projects/{pid}/activity")
    assert said[0] == "Dana asked for an image from model “Adult”: “a fox in the snow”."
    assert said[3] == "Dana created model “Cub” from dataset “Foxes”."
    assert said[-1] == f"Dana created project “{VALID['project_name']}”."
    assert len(said) == len(expected)
    times = [
        t["datetime"]
        for t in soup(client.get(f"/projects/{pid}/activity").data).select(
            "main .activity-list time"
        )
    ]
    assert len(times) == len(expected) and times == sorted(times, reverse=True)
    latest = sentences(client, f"/projects/{pid}")
    assert latest == said[:5]

    # The project deleted (twice over): on the record of every project.
    twice(client, f"/projects/{pid}/delete")
    assert fake.projects.all() == []
    assert record(app, pid)[0][1:] == ("project.delete", f"project “{VALID['project_name']}”")
    assert len(record(app, pid)) == len(expected) + 1
    assert sentences(client, "/activity")[0] == (f"Dana deleted project “{VALID['project_name']}”.")


def test_what_bria_refused_or_the_app_did_not_send_is_not_on_the_record(sandbox_app):
    fake = services(sandbox_app).fake
    client = sandbox_app.test_client()
    pid, did = completed_dataset_at(fake)
    draft = fake.datasets.add(pid, name="Draft")
    refused = client.get(f"/projects/{pid}/datasets/{draft['id']}/models/new")
    assert refused.status_code == 409  # no form: nothing can be sent
    model = model_at(fake, did, status="InProgress")
    page = model_page(pid, model["id"], "/stop")
    html = client.get(page).get_data(as_text=True)  # seen training
    fake.model_endpoints.models.update(model["id"], {"status": "Stopped"})  # ended meanwhile
    assert client.post(page, data=hidden_inputs(html)).status_code == 409  # Bria's 409
    assert record(sandbox_app, pid) == []
    assert stop(client, pid, model["id"]).status_code in (400, 409)
    assert record(sandbox_app, pid) == []


# -- who -----------------------------------------------------------------------------------


def act(app, headers: dict[str, str] | None = None, name: str | None = None) -> str:
    """Start a training in a new project, as a person whose request carries `headers`;
    the sentence it is recorded as."""
    fake = services(app).fake
    fake.model_endpoints.training_seconds = 3600
    client = app.test_client()
    if name:
        named(client, name)
    pid, did = completed_dataset_at(fake)
    model = model_at(fake, did)
    page = model_page(pid, model["id"], "/start")
    html = client.get(page, headers=headers).get_data(as_text=True)
    answer = client.post(page, data=hidden_inputs(html), headers=headers)
    assert answer.status_code == 303
    return sentences(client, f"/projects/{pid}/activity")[0]


@pytest.mark.parametrize(
    ("settings", "headers", "name", "said"),
    [
        ({}, {}, None, "Someone on the team started"),
        ({}, {}, "Dana", "Dana started"),
        (
            {"BEHIND_PROXY": "1", "TRUSTED_USER_HEADER": "X-Forwarded-User"},
            {"X-Forwarded-User": "ana@example.org"},
            "Dana",
            "ana@example.org started",
        ),
        (
            {"BEHIND_PROXY": "1", "TRUSTED_USER_HEADER": "X-Auth-Request-Email"},
            {"X-Auth-Request-Email": " ana\x07@example.org\t"},
            None,
            "ana@example.org started",
        ),
        (  # without a proxy in front, anyone could send the header: it is not read
            {"TRUSTED_USER_HEADER": "X-Forwarded-User"},
            {"X-Forwarded-User": "mallory"},
            None,
            "Someone on the team started",
        ),
        (  # behind a proxy, but no header named: nobody in particular
            {"BEHIND_PROXY": "1"},
            {"X-Forwarded-User": "mallory"},
            None,
            "Someone on the team started",
        ),
        (  # the proxy sent no name: the session's
            {"BEHIND_PROXY": "1", "TRUSTED_USER_HEADER": "X-Forwarded-User"},
            {},
            "Dana",
            "Dana started",
        ),
    ],
)
def test_who_is_the_proxys_header_only_when_behind_one_else_the_sign_in_name(
    tmp_path, settings, headers, name, said
):
    app = make_app(tmp_path / "instance", **settings)
    try:
        assert act(app, headers, name) == f"{said} the training of model “Fox”."
    finally:
        dispose(app)


def test_the_name_given_at_sign_in_is_who_did_it(tmp_path):
    app = make_app(tmp_path / "gated", ACCESS_PASSWORD_HASH=generate_password_hash("sesame"))
    try:
        client = app.test_client()
        page = client.get("/sign-in").get_data(as_text=True)
        assert soup(page).select_one("input[name=display_name]") is not None
        client.post(
            "/sign-in",
            data={**hidden_inputs(page), "password": "sesame", "display_name": "  Dana Scully "},
            headers={"Origin": "http://localhost"},
        )
        fake = services(app).fake
        fake.model_endpoints.training_seconds = 3600
        pid, did = completed_dataset_at(fake)
        made = new_model(client, pid, did, name="Signed")
        assert made.status_code == 303
        assert sentences(client, f"/projects/{pid}/activity") == [
            "Dana Scully created model “Signed” from dataset “Summer shots”."
        ]
    finally:
        dispose(app)


# -- pages -----------------------------------------------------------------------------------


def test_the_record_is_in_pages_of_50_newest_first(app, client):
    activity = services(app).get(Activity.of)
    pid, _ = completed_dataset_at(services(app).fake)
    for number in range(1, 121):
        activity.record("model.start", f"the training of model “M{number}”", pid, None)
    activity.record("project.create", "project “Elsewhere”", pid + 1, "Ana")

    first = sentences(client, f"/projects/{pid}/activity")
    second = sentences(client, f"/projects/{pid}/activity?page=2")
    third = sentences(client, f"/projects/{pid}/activity?page=3")

    assert PAGE_SIZE == 50
    assert (len(first), len(second), len(third)) == (50, 50, 20)
    assert first[0] == "Someone on the team started the training of model “M120”."
    assert second[0] == "Someone on the team started the training of model “M70”."
    assert third[-1] == "Someone on the team started the training of model “M1”."
    page = soup(client.get(f"/projects/{pid}/activity?page=2").get_data(as_text=True))
    assert "Page 2 of 3." in page.select_one("nav.pagination").get_text()
    assert [(a["rel"][0], a["href"]) for a in page.select("nav.pagination a")] == [
        ("prev", f"/projects/{pid}/activity?page=1"),
        ("next", f"/projects/{pid}/activity?page=3"),
    ]
    beyond = client.get(f"/projects/{pid}/activity?page=4").get_data(as_text=True)
    assert "There is no page 4." in main_text(beyond)
    for odd in ("x", "0", "-2", "²", "٣"):
        assert sentences(client, f"/projects/{pid}/activity?page={odd}")[0] == first[0]
    far = client.get(f"/projects/{pid}/activity?page={'9' * 40}")
    assert far.status_code == 200
    assert "There is no page 1000000." in main_text(far.get_data(as_text=True))

    everything = sentences(client, "/activity")
    assert everything[0] == "Ana created project “Elsewhere”."
    assert len(everything) == 50
    project_page = client.get(f"/projects/{pid}").get_data(as_text=True)
    assert sentences(client, f"/projects/{pid}") == first[:5]
    assert "See all 120 entries" in main_text(project_page)


def test_every_projects_record_names_each_entrys_project_and_a_deleted_one_by_its_id(app, client):
    fake = services(app).fake
    listed = fake.projects.add(project_name="Summer campaign")
    client.get("/projects")  # the list, as the app last read it, names the projects
    activity = services(app).get(Activity.of)
    activity.record("project.create", "project “Summer campaign”", listed["id"], "Ana")
    activity.record("project.delete", "project “Gone”", 999, "Ana")

    page = soup(client.get("/activity").get_data(as_text=True))
    where = [
        " ".join(li.get_text().split()).rsplit(" In", 1)[-1]
        for li in page.select("main .activity-list li")
    ]

    assert where == [" project 999, no longer listed", " “Summer campaign”"]
    link = page.select_one("main .activity-list a")
    assert link["href"] == f"/projects/{listed['id']}/activity"


def test_an_action_is_recorded_once_per_key(app):
    activity = services(app).get(Activity.of)
    for _ in range(3):
        activity.record("model.create", "model “Fox”", 1, "Dana", key="model.create:abc")
    activity.record("model.create", "model “Fox”", 1, "Dana", key="model.create:def")
    entries, total = activity.page(1)
    assert total == 2 and [e.who for e in entries] == ["Dana", "Dana"]


def test_a_name_that_is_too_long_or_has_control_characters_is_cleaned(app, client):
    named(client, "Dana\u202e\x07 " + "x" * 300)
    fake = services(app).fake
    pid, did = completed_dataset_at(fake)
    assert new_model(client, pid, did).status_code == 303
    [(who, _, _)] = record(app, pid)
    assert who is not None and len(who) <= 100 and who.startswith("Dana")
    assert not re.search(r"[\x00-\x1f\u202e]", who)


def test_nothing_is_recorded_for_a_form_that_only_reads(app, client):
    fake = services(app).fake
    pid, did = completed_dataset_at(fake)
    model = model_at(fake, did)
    for url in (
        f"/projects/{pid}",
        f"/projects/{pid}/datasets/{did}",
        model_page(pid, model["id"]),
        model_page(pid, model["id"], "/start"),
        f"/projects/{pid}/datasets/{did}/models/new",
    ):
        assert client.get(url).status_code == 200
    send_form(client, f"/projects/{pid}/datasets/{did}/models/new", name=" ")
    assert record(app, pid) == []
    assert "Nothing has been done in this project through this app yet." in main_text(
        client.get(f"/projects/{pid}").get_data(as_text=True)
    )
