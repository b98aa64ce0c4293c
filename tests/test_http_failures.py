"""Every way the API can fail, over real HTTP: the person gets the form back, filled, with a
plain message, in about the configured timeout, and the app serves the next request normally."""

import time

import pytest

from bench.stack import free_port
from tests.conftest import TOKEN, make_app
from tests.helpers import VALID, input_value, submit
from webapp import bria
from webapp.fake_api import Scripted

ANSWERS = {**VALID, "training_version": "max", "project_description": "Spring <campaign>"}
LOOK = "Look for it in the list of projects before you try again."
MAYBE = f"The project may have been created. {LOOK}"

FAILURES = [
    pytest.param(
        Scripted(400, {"error": {"message": "ip_name is too long"}}),
        400,
        "Bria did not accept the project: ip_name is too long. Check your answers and try again.",
        id="400-envelope",
    ),
    pytest.param(
        Scripted(401, {"error": {"message": "Invalid api_token"}}),
        502,
        "its API token is not valid. Tell your administrator",
        id="401",
    ),
    pytest.param(
        Scripted(403, "Quota exceeded: 3 of 3 projects used"),
        502,
        "Bria refused the request: Quota exceeded: 3 of 3 projects used.",
        id="403-json-string",
    ),
    pytest.param(
        Scripted(403, "Tailored generation is not in your plan", content_type="text/plain"),
        502,
        "Bria refused the request: Tailored generation is not in your plan.",
        id="403-text",
    ),
    pytest.param(
        Scripted(429, {"error": {"message": "Too many requests"}}),
        429,
        "Wait a minute, then try again.",
        id="429",
    ),
    pytest.param(
        Scripted(500, {"error": {"message": "Internal error"}}),
        502,
        f"Bria had a problem (500). {MAYBE}",
        id="500",
    ),
    pytest.param(
        Scripted(502, "<html><title>502 Bad Gateway</title><h1>nginx</h1></html>", "text/html"),
        502,
        f"Bria had a problem (502). {MAYBE}",
        id="502-html",
    ),
    pytest.param(
        Scripted(503, ""),
        502,
        f"Bria had a problem (503). {MAYBE}",
        id="503-empty",
    ),
    pytest.param(
        Scripted(201, "<html>Created</html>", "text/html"),
        502,
        f"The API answered 201 with something that is not JSON. {MAYBE}",
        id="201-not-json",
    ),
    pytest.param(
        Scripted(drop=True),
        502,
        f"The connection to the Bria API broke before it answered. {MAYBE}",
        id="dropped",
    ),
    pytest.param(
        Scripted(201, {"id": 99}, delay=2.5),
        502,
        f"The Bria API did not answer within 1.5 seconds. {MAYBE}",
        id="slower-than-timeout",
    ),
]


def prime_the_list(client) -> None:
    """Read the list once so that the duplicate check uses the cache, not the script."""
    assert client.get("/projects").status_code == 200


def assert_form_is_back_as_typed(html: str) -> None:
    assert '<form method="post"' in html and "There is a problem" in html
    assert input_value(html, "project_name") == "Lora adventures"
    assert input_value(html, "ip_name") == "Lora"
    assert input_value(html, "ip_description") == "a female character with purple hair"
    assert "Spring &lt;campaign&gt;</textarea>" in html
    assert 'value="illustration" checked' in html
    assert 'value="defined_character" checked' in html
    assert 'value="max" checked' in html


@pytest.mark.parametrize(("scripted", "status", "message"), FAILURES)
def test_each_failure_brings_the_form_back_with_a_plain_message(
    live_client, fake_api, scripted, status, message
):
    prime_the_list(live_client)
    fake_api.fake.answer_next(scripted)

    started = time.monotonic()
    response = submit(live_client, **ANSWERS)
    elapsed = time.monotonic() - started
    html = response.get_data(as_text=True)

    assert response.status_code == status
    assert message in " ".join(html.split())
    assert_form_is_back_as_typed(html)
    assert len(fake_api.fake.posts()) == 1, "a POST that may have been sent is never repeated"
    assert elapsed < 1.5 + 2.0
    assert TOKEN not in html and "Traceback" not in html

    # The app goes on serving: the form, the list, and a create that works.
    assert live_client.get("/").status_code == 200
    created = submit(live_client, **{**ANSWERS, "project_name": "Next one"})
    assert created.status_code == 303
    assert live_client.get(created.headers["Location"]).status_code == 200


@pytest.mark.parametrize(
    "scripted",
    [
        pytest.param(Scripted(500, "", create=True), id="500-after-creating"),
        pytest.param(Scripted(201, {"id": 1}, delay=2.5, create=True), id="timeout-after-creating"),
        pytest.param(Scripted(drop=True, create=True), id="dropped-after-creating"),
    ],
)
def test_an_unknown_outcome_is_resolved_from_the_list_not_retried(live_client, fake_api, scripted):
    prime_the_list(live_client)
    fake_api.fake.answer_next(scripted)

    response = submit(live_client, **ANSWERS)

    assert response.status_code == 303
    assert response.headers["Location"] == "/projects/1"
    assert len(fake_api.fake.posts()) == 1
    page = live_client.get("/projects/1").get_data(as_text=True)
    assert "Project created" in page and "Lora adventures" in page


def test_an_unknown_outcome_not_in_the_list_is_said_plainly_and_not_replayed(live_client, fake_api):
    prime_the_list(live_client)
    fake_api.fake.answer_next(Scripted(500, ""))
    page = live_client.get("/").get_data(as_text=True)

    first = submit(live_client, page, **ANSWERS)
    assert first.status_code == 502
    assert LOOK in " ".join(first.get_data(as_text=True).split())
    # Refreshing the page that was sent (same submission id) reports, never re-sends.
    again = submit(live_client, page, **ANSWERS)
    assert again.status_code == 409
    assert "This form was sent already." in again.get_data(as_text=True)
    assert len(fake_api.fake.posts()) == 1


def test_an_older_project_of_the_same_name_is_not_taken_for_the_one_just_attempted(
    live_client, fake_api
):
    fake_api.fake.add_project(
        project_name="Lora adventures", created_at="2020-01-01T00:00:00Z", ip_type="icons"
    )
    prime_the_list(live_client)
    fake_api.fake.answer_next(Scripted(503, ""))

    response = submit(live_client, **ANSWERS, allow_duplicate="yes")
    assert response.status_code == 502
    assert len(fake_api.fake.posts()) == 1


def test_an_api_nobody_answers_at_is_retried_once_and_said_to_have_created_nothing(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(bria, "CONNECT_RETRY_PAUSE_SECONDS", 0)
    port = free_port()  # nothing listens there
    app = make_app(
        tmp_path / "instance",
        BRIA_API_TOKEN=TOKEN,
        BRIA_API_BASE_URL=f"http://127.0.0.1:{port}/v1",
        BRIA_API_TIMEOUT=1.5,
    )
    client = app.test_client()

    response = submit(client, **{**ANSWERS, "allow_duplicate": "yes"})
    html = response.get_data(as_text=True)

    assert response.status_code == 503
    assert "Bria could not be reached, so nothing was created." in html
    assert_form_is_back_as_typed(html)
    listing = client.get("/projects")
    assert listing.status_code == 503
    assert "The projects could not be listed" in listing.get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "scripted", "status", "text"),
    [
        ("/projects", Scripted(401, ""), 502, "its API token is not valid"),
        ("/projects", Scripted(200, "not json", "text/plain"), 502, "not JSON"),
        ("/projects", Scripted(200, {"projects": []}), 502, "not a list"),
        ("/projects/7", Scripted(500, "<h1>oops</h1>", "text/html"), 502, "Bria had a problem"),
        ("/projects/7", Scripted(429, ""), 429, "Wait a minute"),
        ("/projects/7", Scripted(200, "[]"), 502, "no project in it"),
    ],
)
def test_reading_pages_explain_a_failing_api(live_client, fake_api, path, scripted, status, text):
    fake_api.fake.answer_next(scripted)
    response = live_client.get(path)
    html = response.get_data(as_text=True)
    assert response.status_code == status
    assert text in html
    assert 'href="/"' in html and TOKEN not in html
