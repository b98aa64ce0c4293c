"""Every way the API can fail, over real HTTP: the person gets the form back, filled, with a
plain message, in about the configured timeout, and the app serves the next request normally."""

from __future__ import annotations

import time

import pytest

from tests.conftest import TOKEN, make_app
from tests.support.fake_api import Scripted
from tests.support.pages import VALID, follow, input_value, main_text, submission_path, submit
from tests.support.processes import free_port
from webapp.projects.snapshot import ProjectSnapshot

ANSWERS = {**VALID, "training_version": "max", "project_description": "Spring <campaign>"}
UNCONFIRMED = "Bria did not confirm whether your project was created"
NOT_FOUND_YET = "This app looked in the list of projects and has not found it yet."

FAILURES = [
    pytest.param(
        Scripted(400, {"error": {"message": "Name taken"}}),
        "Bria did not accept the project. It said: “Name taken”. Your answers are kept below.",
        id="400-plain-reason",
    ),
    pytest.param(
        Scripted(
            400,
            {
                "error": {
                    "message": "Invalid value for field 'ip_type': "
                    "expected one of ['multi_object_set']"
                }
            },
        ),
        "Bria did not accept the type of IP. Check it and try again.",
        id="400-naming-a-field",
    ),
    pytest.param(
        Scripted(401, {"error": {"message": "Invalid api_token"}}),
        "Bria refused this app's access: its API token is not valid. Tell your administrator.",
        id="401",
    ),
    pytest.param(
        Scripted(403, "Quota exceeded: 3 of 3 projects used"),
        "Bria refused the request. It said: “Quota exceeded: 3 of 3 projects used”.",
        id="403-json-string",
    ),
    pytest.param(
        Scripted(403, "Tailored generation is not in your plan", content_type="text/plain"),
        "It said: “Tailored generation is not in your plan”.",
        id="403-text",
    ),
    pytest.param(
        Scripted(429, {"error": {"message": "Too many requests"}}, headers={"Retry-After": "40"}),
        "Your organisation has used all the Bria requests its plan allows for now, so nothing "
        "was created. Your answers are kept below. Try again in 40 seconds.",
        id="429",
    ),
    pytest.param(Scripted(500, {"error": {"message": "Internal error"}}), UNCONFIRMED, id="500"),
    pytest.param(
        Scripted(502, "<html><title>502 Bad Gateway</title><h1>nginx</h1></html>", "text/html"),
        UNCONFIRMED,
        id="502-html",
    ),
    pytest.param(Scripted(503, ""), UNCONFIRMED, id="503-empty"),
    pytest.param(Scripted(drop=True), UNCONFIRMED, id="dropped"),
    pytest.param(Scripted(201, {"id": 99}, delay=2.5), UNCONFIRMED, id="slower-than-timeout"),
]


def prime_the_list(client) -> None:
    """Read the list once so that the name check uses it, not the script."""
    assert client.get("/projects").status_code == 200


def assert_form_is_back_as_typed(html: str) -> None:
    assert input_value(html, "project_name") == "Lora adventures"
    assert input_value(html, "ip_name") == "Lora"
    assert input_value(html, "ip_description") == "a female character with purple hair"
    assert input_value(html, "project_description") == "Spring <campaign>"
    assert input_value(html, "ip_medium") == "illustration"
    assert input_value(html, "ip_type") == "defined_character"
    assert input_value(html, "training_version") == "max"


@pytest.mark.parametrize(("scripted", "message"), FAILURES)
def test_each_failure_brings_the_form_back_with_a_plain_message(
    live_client, fake_api, scripted, message
):
    prime_the_list(live_client)
    fake_api.fake.answer_next(scripted)

    started = time.monotonic()
    sent = submit(live_client, **ANSWERS)
    elapsed = time.monotonic() - started
    html = follow(live_client, sent).get_data(as_text=True)
    text = main_text(html)

    assert message in text
    assert_form_is_back_as_typed(html)
    assert len(fake_api.fake.posts()) == 1, "a POST that may have been sent is never repeated"
    assert elapsed < 1.5 + 2.0
    assert TOKEN not in html and "Traceback" not in html
    if message == UNCONFIRMED:
        assert NOT_FOUND_YET in text and submission_path(sent) in html
    else:
        assert "may have been created" not in text

    # The app goes on serving: the form, the list, and a create that works, except
    # after "too many requests", when nothing is sent until Bria's pause is over.
    assert live_client.get("/").status_code == 200
    created = follow(live_client, submit(live_client, **{**ANSWERS, "project_name": "Next one"}))
    if scripted.status == 429:
        assert "Try again in 40 seconds" in main_text(created.get_data(as_text=True))
        assert len(fake_api.fake.posts()) == 1
    else:
        assert "Project created" in main_text(created.get_data(as_text=True))


def test_a_refusal_naming_a_field_is_shown_next_to_that_field(live_client, fake_api):
    prime_the_list(live_client)
    fake_api.fake.answer_next(Scripted(400, {"error": {"message": "ip_name is too long"}}))
    html = follow(live_client, submit(live_client, **ANSWERS)).get_data(as_text=True)
    assert "Bria did not accept this character name: check it" in html
    assert "ip_name" not in main_text(html)


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

    page = follow(live_client, submit(live_client, **ANSWERS)).get_data(as_text=True)

    assert "Project created" in main_text(page) and "Lora adventures" in main_text(page)
    assert len(fake_api.fake.posts()) == 1


def test_an_unknown_outcome_is_checked_again_on_request_and_never_resent(live_client, fake_api):
    prime_the_list(live_client)
    fake_api.fake.answer_next(Scripted(500, ""))
    page = live_client.get("/").get_data(as_text=True)
    sent = submit(live_client, page, **ANSWERS)
    location = submission_path(sent)
    assert NOT_FOUND_YET in main_text(follow(live_client, sent).get_data(as_text=True))

    # Refreshing the form that was sent (same submission id) reports, never re-sends.
    again = follow(live_client, submit(live_client, page, **ANSWERS))
    assert UNCONFIRMED in main_text(again.get_data(as_text=True))
    assert len(fake_api.fake.posts()) == 1

    # The project shows up later (Bria made it after all): checking again finds it.
    fake_api.fake.add_project(**{k: v for k, v in ANSWERS.items() if v}, status="active")
    snapshot = live_client.application.extensions["webapp"].get(ProjectSnapshot)
    snapshot.ttl = 0
    found = live_client.get(location).get_data(as_text=True)
    assert "Project created" in main_text(found)


def test_an_older_project_of_the_same_name_is_not_taken_for_the_one_just_attempted(
    live_client, fake_api
):
    fake_api.fake.add_project(
        **{k: v for k, v in ANSWERS.items() if v}, created_at="2020-01-01T00:00:00Z"
    )
    prime_the_list(live_client)
    fake_api.fake.answer_next(Scripted(503, ""))

    sent = submit(live_client, **ANSWERS, allow_duplicate="yes")
    assert UNCONFIRMED in main_text(follow(live_client, sent).get_data(as_text=True))
    assert len(fake_api.fake.posts()) == 1


@pytest.mark.integration
def test_an_api_nobody_answers_at_is_retried_once_and_said_to_have_created_nothing(tmp_path):
    port = free_port()  # nothing listens there
    app = make_app(
        tmp_path / "instance",
        BRIA_API_TOKEN=TOKEN,
        BRIA_API_BASE_URL=f"http://127.0.0.1:{port}/v1",
        BRIA_API_TIMEOUT=1.5,
    )
    client = app.test_client()

    html = follow(client, submit(client, **ANSWERS, allow_duplicate="yes")).get_data(as_text=True)
    assert "This app's server could not reach Bria, so nothing was created." in main_text(html)
    assert_form_is_back_as_typed(html)
    listing = client.get("/projects")
    assert listing.status_code == 503
    text = main_text(listing.get_data(as_text=True))
    assert "The projects could not be listed" in text
    assert "This app's server could not reach Bria. Try again in a few minutes." in text
    app.extensions["webapp"].engine.dispose()


@pytest.mark.parametrize(
    ("path", "scripted", "status", "text"),
    [
        ("/projects", Scripted(401, ""), 502, "its API token is not valid"),
        ("/projects", Scripted(200, "not json", "text/plain"), 502, "could not be read"),
        ("/projects", Scripted(200, {"projects": []}), 502, "could not be read"),
        ("/projects/7", Scripted(500, "<h1>oops</h1>", "text/html"), 502, "Bria had a problem"),
        ("/projects/7", Scripted(429, ""), 429, "It can ask Bria again in a minute"),
        ("/projects/7", Scripted(200, "[]"), 502, "could not be read"),
    ],
)
def test_reading_pages_explain_a_failing_api(live_client, fake_api, path, scripted, status, text):
    fake_api.fake.answer_next(scripted)
    response = live_client.get(path)
    html = response.get_data(as_text=True)
    assert response.status_code == status
    assert text in main_text(html)
    assert "may have been created" not in html and "answers" not in main_text(html)
    assert TOKEN not in html
