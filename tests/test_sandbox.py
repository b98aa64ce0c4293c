"""The sandbox keeps the API's rules and shapes, and its projects outlive a restart."""

import pytest

from tests.conftest import make_app
from tests.helpers import VALID, submit
from webapp import bria
from webapp.services import Services

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


def client_of(app) -> bria.BriaClient:
    services: Services = app.extensions["webapp"]
    assert services.sandbox
    return services.client


def test_create_answers_201_with_every_field(app):
    project = client_of(app).create_project(
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
def test_a_body_that_breaks_a_rule_gets_the_error_envelope(app, payload, message):
    with pytest.raises(bria.BriaBadRequest) as raised:
        client_of(app).create_project(payload)
    assert raised.value.message == message
    assert raised.value.request_id


def test_list_and_read_by_id_and_404(app):
    client = client_of(app)
    first = client.create_project(
        {"project_name": "A", "ip_medium": "illustration", "ip_type": "icons"}
    )
    client.create_project({"project_name": "B", "ip_medium": "illustration", "ip_type": "icons"})
    assert [p["project_name"] for p in client.list_projects()] == ["A", "B"]
    assert client.get_project(first["id"]) == first
    with pytest.raises(bria.BriaNotFound):
        client.get_project(99)


def test_projects_survive_a_restart(tmp_path):
    instance = tmp_path / "instance"
    first = make_app(instance)
    client_of(first).create_project(
        {"project_name": "Kept", "ip_medium": "illustration", "ip_type": "icons"}
    )
    second = make_app(instance)
    assert [p["project_name"] for p in client_of(second).list_projects()] == ["Kept"]


def test_without_a_token_the_sandbox_refuses_like_the_api(app):
    client = client_of(app)
    client.session.headers["api_token"] = ""
    with pytest.raises(bria.BriaUnauthorized):
        client.list_projects()


def test_a_fresh_app_creates_a_project_in_the_sandbox_and_says_so(client):
    form_page = client.get("/").get_data(as_text=True)
    assert "Sandbox" in form_page and "Nothing here is created at Bria" in form_page
    response = submit(client, form_page, **VALID)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Project created" in page and "Nothing here is created at Bria" in page


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status", "message"),
    [
        ("GET", "/tailored-gen/projects", None, {"api_token": ""}, 401, "Missing api_token header"),
        ("GET", "/tailored-gen/datasets", None, {}, 404, "Unknown endpoint"),
        ("DELETE", "/tailored-gen/projects", None, {}, 405, "DELETE is not allowed here"),
        ("PUT", "/tailored-gen/projects/1", None, {}, 405, "PUT is not allowed here"),
        ("GET", "/tailored-gen/projects/abc", None, {}, 404, "Project not found"),
        ("POST", "/tailored-gen/projects", b"{not json", {}, 400, "The request body must be JSON"),
        ("POST", "/tailored-gen/projects", b"[1]", {}, 400, "must be a JSON object"),
    ],
)
def test_the_sandbox_answers_what_the_api_would_to_odd_requests(
    app, method, path, body, headers, status, message
):
    session = client_of(app).session
    answer = session.request(method, client_of(app).base_url + path, data=body, headers=headers)
    assert answer.status_code == status
    assert message in answer.json()["error"]["message"]
