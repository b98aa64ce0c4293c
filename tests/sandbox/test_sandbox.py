"""The fake API (`webapp.sandbox`): the API's rules and shapes, once, for the sandbox and tests.

Each test runs against both ways it is served: in process (the sandbox's
transport adapter) and over real HTTP (the tests' server), so that an endpoint
written once behaves the same in both.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from tests.conftest import TOKEN, make_app
from tests.support.apps import CHARACTER
from tests.support.bria import bria_failure, make_client
from tests.support.fake_api import FakeBriaServer
from tests.support.pages import VALID, follow, main_text, submit
from webapp.bria import Bria
from webapp.bria.errors import BriaNotFound, BriaRefused
from webapp.sandbox import SANDBOX_BASE_URL, FakeBria, SandboxAdapter
from webapp.sandbox.projects import ProjectStore

SHAPE = {
    "id",
    "project_name",
    "project_description",
    "ip_name",
    "ip_description",
    "ip_medium",
    "ip_type",
    "training_version",
    "status",
    "created_at",
    "updated_at",
}


@pytest.fixture(params=["in-process", "over-http"])
def served(request, tmp_path) -> Iterator[tuple[Bria, ProjectStore]]:
    """A client of the fake API, and the store behind it, served one way or the other."""
    if request.param == "in-process":
        fake = FakeBria(tmp_path / "sandbox.sqlite3", TOKEN)
        store = fake.projects
        adapter = SandboxAdapter(fake)
        yield make_client(SANDBOX_BASE_URL, TOKEN, adapter=adapter), store
        return
    with FakeBriaServer(TOKEN, folder=tmp_path) as server:
        yield make_client(server.base_url, TOKEN), server.fake.store


def test_create_answers_201_with_every_field(served):
    client, _ = served
    project = client.projects.create(
        {
            "project_name": "Scenes",
            "ip_medium": "photography",
            "ip_type": "stylized_scene",
            "training_version": "max",
        }
    )
    assert set(project) == SHAPE
    assert project["id"] == 1
    assert project["training_version"] == "max"
    assert project["status"] == "active"
    assert project["ip_name"] == "" and project["project_description"] == ""
    assert project["created_at"].endswith("Z")


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"ip_medium": "photography", "ip_type": "icons"}, "project_name is required"),
        (
            {"project_name": "P", "ip_medium": "photography", "ip_type": "icons"},
            "ip_type icons is available only when ip_medium = illustration",
        ),
        (
            {
                "project_name": "P",
                "ip_medium": "illustration",
                "ip_type": "defined_character",
                "ip_description": "x",
            },
            "ip_name is required for defined_character",
        ),
    ],
)
def test_a_body_that_breaks_a_rule_gets_the_error_envelope(served, payload, message):
    client, _ = served
    with bria_failure("bad_request", BriaRefused) as raised:
        client.projects.create(payload)
    assert raised.value.message == message
    assert raised.value.request_id


def test_list_read_change_and_delete(served):
    client, _ = served
    first = client.projects.create(
        {"project_name": "A", "ip_medium": "illustration", "ip_type": "icons"}
    )
    client.projects.create({"project_name": "B", "ip_medium": "illustration", "ip_type": "icons"})
    assert [p["project_name"] for p in client.projects.list()] == ["A", "B"]
    assert client.projects.get(first["id"]) == first
    changed = client.projects.update(first["id"], {"project_name": "A2"})
    assert changed["project_name"] == "A2" and changed["ip_type"] == "icons"
    client.projects.delete(first["id"])
    assert [p["project_name"] for p in client.projects.list()] == ["B"]
    with bria_failure("not_found", BriaNotFound):
        client.projects.get(first["id"])
    with bria_failure("not_found", BriaNotFound):
        client.projects.delete(first["id"])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ip_medium": "photography"}, "ip_medium cannot be changed"),
        ({"project_name": "  "}, "project_name is required"),
        ({"ip_name": ""}, "ip_name is required for defined_character"),
        ({"ip_name": "one two three four"}, "ip_name must be 1-3 words"),
        ({"ip_description": "1 2 3 4 5 6 7"}, "ip_description must be 1-6 words"),
        ({"project_name": 7}, "project_name must be a string"),
    ],
)
def test_a_change_is_checked_by_the_same_rules(served, changes, message):
    client, store = served
    project = store.add(project_name="Lora", ip_type="defined_character", ip_name="Lora")
    with bria_failure("bad_request", BriaRefused) as raised:
        client.projects.update(project["id"], changes)
    assert raised.value.message == message
    assert store.get(project["id"])["project_name"] == "Lora"


def test_a_project_whose_model_is_training_cannot_be_deleted(served):
    client, store = served
    project = store.add(project_name="Busy")
    store.set_training(project["id"])
    with bria_failure("conflict", BriaRefused) as raised:
        client.projects.delete(project["id"])
    assert raised.value.message == "Cannot delete project while models are in training"
    store.set_training(project["id"], False)
    client.projects.delete(project["id"])
    assert store.all() == []


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status", "message"),
    [
        ("GET", "/tailored-gen/projects", None, {"api_token": ""}, 401, "api_token"),
        ("GET", "/tailored-gen/unknown", None, {}, 404, "Unknown endpoint"),
        ("DELETE", "/tailored-gen/projects", None, {}, 405, "DELETE is not allowed here"),
        ("PATCH", "/tailored-gen/projects/1", None, {}, 405, "PATCH is not allowed here"),
        ("GET", "/tailored-gen/projects/abc", None, {}, 404, "Project not found"),
        ("POST", "/tailored-gen/projects", b"{not json", {}, 400, "The request body must be JSON"),
        ("POST", "/tailored-gen/projects", b"[1]", {}, 400, "must be a JSON object"),
    ],
)
def test_odd_requests_get_what_the_api_would_answer(
    served, method, path, body, headers, status, message
):
    client, _ = served
    answer = client.transport.session.request(
        method, client.transport.base_url + path, data=body, headers=headers
    )
    assert answer.status_code == status
    assert message in answer.json()["error"]["message"]


def test_projects_survive_a_restart(tmp_path):
    instance = tmp_path / "instance"
    first = make_app(instance)
    first.extensions["webapp"].bria.projects.create(
        {"project_name": "Kept", "ip_medium": "illustration", "ip_type": "icons"}
    )
    second = make_app(instance)
    listed = second.extensions["webapp"].bria.projects.list()
    assert [p["project_name"] for p in listed] == ["Kept"]


def test_a_fresh_app_creates_a_project_in_the_sandbox_and_says_so(client):
    form_page = client.get("/").get_data(as_text=True)
    assert "Nothing here is created at Bria" in main_text(form_page) or "Sandbox" in form_page
    page = follow(client, submit(client, form_page, **VALID)).get_data(as_text=True)
    assert "Project created" in main_text(page)
    assert "Nothing here is created at Bria" in page
    assert "Create a dataset now" in main_text(page)


@pytest.mark.integration
@pytest.mark.parametrize("made_before_delete", [False, True], ids=["new file", "older file"])
def test_processes_opening_one_sandbox_at_once_all_open_it(tmp_path, made_before_delete):
    """Workers and `flask` commands start together on one sandbox file (once, four
    `flask db upgrade` at once lost one to "duplicate column name: training")."""
    path = tmp_path / "sandbox.sqlite3"
    if made_before_delete:
        with sqlite3.connect(path) as old:
            old.execute(
                "CREATE TABLE projects (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL)"
            )
            old.execute("INSERT INTO projects (body) VALUES (?)", (json.dumps(CHARACTER),))
    # Each process imports first, says it is ready, then waits for the signal: all open
    # the file at once.
    go = tmp_path / "go"
    code = (
        "import sys, time, pathlib, webapp.sandbox.database as s\n"
        "pathlib.Path(sys.argv[3]).touch()\n"
        "while not pathlib.Path(sys.argv[2]).exists(): time.sleep(0.001)\n"
        "s.SandboxDatabase(pathlib.Path(sys.argv[1]))"
    )
    ready = [tmp_path / f"ready-{n}" for n in range(8)]
    starts = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(path), str(go), str(mark)], stderr=subprocess.PIPE
        )
        for mark in ready
    ]
    deadline = time.monotonic() + 60
    while not all(mark.exists() for mark in ready):
        assert time.monotonic() < deadline, "the processes did not all start"
        time.sleep(0.01)
    go.touch()
    errors = [start.communicate(timeout=60)[1].decode() for start in starts]
    assert [start.returncode for start in starts] == [0] * 8, errors
    store = FakeBria(path, TOKEN).projects
    projects = store.all()
    if made_before_delete:
        [kept] = projects
        store.set_training(kept["id"])
        assert store.is_training(kept["id"])
    else:
        assert projects == []
