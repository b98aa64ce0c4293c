"""The pages end to end in the test client, in real mode against the local fake API."""

import re

import pytest
from werkzeug.security import generate_password_hash

from tests.conftest import make_app
from tests.helpers import VALID, field_errors, hidden_inputs, input_value, submit
from webapp.fake_api import Scripted


def main_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html[html.index("<main") :]))


def test_the_form_asks_medium_before_type_and_names_inputs_as_the_api_does(client):
    html = client.get("/").get_data(as_text=True)
    names = re.findall(r'<(?:input|textarea)[^>]*name="([a-z_]+)"', html)
    ordered = list(dict.fromkeys(names))
    assert ordered == [
        "csrf_token",
        "submission_id",
        "project_name",
        "project_description",
        "ip_medium",
        "ip_type",
        "ip_name",
        "ip_description",
        "training_version",
    ]
    assert "novalidate" in html
    assert "(optional)" in html and "*" not in main_text(html)


def test_an_invalid_submission_never_leaves_the_app_and_keeps_what_was_typed(live_client, fake_api):
    response = submit(
        live_client,
        project_name="My <b>project</b>",
        ip_medium="photography",
        ip_type="icons",
        ip_name="one two three four",
    )
    html = response.get_data(as_text=True)

    assert response.status_code == 400
    assert fake_api.fake.received == []
    assert "<title>Error: " in html
    assert "There is a problem" in html
    assert field_errors(html) == {
        "ip_type": "Icons is available only for illustration: select Illustration, "
        "or choose another type of IP"
    }
    assert input_value(html, "project_name") == "My &lt;b&gt;project&lt;/b&gt;"
    assert input_value(html, "ip_name") == "one two three four"
    assert re.search(r'value="photography" checked', html)
    assert re.search(r'value="icons" checked', html)


def test_a_created_project_page_shows_every_field(live_client, fake_api):
    response = submit(live_client, **{**VALID, "training_version": "fibo"})
    html = live_client.get(response.headers["Location"]).get_data(as_text=True)
    text = main_text(html)
    for expected in [
        "Project created",
        "Project ID 1",
        "Lora adventures",
        "Our mascot for the spring campaign",
        "Illustration",
        "Defined character",
        "IP name Lora",
        "a female character with purple hair",
        "Locked to FIBO",
        "Status Active",
        "UTC",
        "at least 5 images",
        "1024 × 1024",
        "Create another project",
    ]:
        assert expected in text, expected
    # The confirmation shows the API's own 201 answer: a create costs one API call...
    assert [r.method for r in fake_api.fake.received] == ["GET", "POST"]
    # ...and every later visit reads the project from the API.
    fake_api.fake.projects[0]["status"] = "training"
    again = main_text(live_client.get("/projects/1").get_data(as_text=True))
    assert "Project created" not in again and "Lora adventures" in again
    assert "Status Training" in again
    assert fake_api.fake.received[-1].path == "/v1/tailored-gen/projects/1"


def test_the_confirmation_is_only_for_the_session_that_created_the_project(live_client, fake_api):
    created = submit(live_client, **VALID)
    other = live_client.application.test_client()
    page = main_text(other.get(created.headers["Location"]).get_data(as_text=True))
    assert "Project created" not in page and "Lora adventures" in page
    assert fake_api.fake.received[-1].path == "/v1/tailored-gen/projects/1"
    # A forged flag naming another submission shows nothing from the ledger.
    with live_client.session_transaction() as cookie:
        cookie["just_created"] = "not-a-submission-id"
    page = main_text(live_client.get("/projects/1").get_data(as_text=True))
    assert "Project created" not in page


def test_an_unlocked_project_says_so(live_client):
    response = submit(live_client, **VALID)
    text = main_text(live_client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Not locked yet: it takes the version of the first dataset" in text


def test_projects_are_listed_newest_first_with_links_and_search(live_client, fake_api):
    fake_api.fake.add_project(
        project_name="Old icons", ip_type="icons", created_at="2024-01-01T10:00:00Z"
    )
    fake_api.fake.add_project(
        project_name="New scene",
        ip_type="stylized_scene",
        ip_medium="photography",
        training_version="max",
        created_at="2025-06-01T09:30:00Z",
    )
    html = live_client.get("/projects").get_data(as_text=True)
    assert html.index("New scene") < html.index("Old icons")
    assert 'href="/projects/2"' in html and 'href="/projects/1"' in html
    text = main_text(html)
    assert "Stylized scene" in text and "Photography" in text and "Locked to Legacy (Max)" in text
    assert "1 June 2025 at 09:30 UTC" in text

    found = main_text(live_client.get("/projects?q=ICONS").get_data(as_text=True))
    assert "Old icons" in found and "New scene" not in found and "1 of 2 projects match" in found


def test_an_empty_list_leads_to_the_form(live_client):
    html = live_client.get("/projects").get_data(as_text=True)
    assert "There are no projects yet" in html and 'href="/"' in html


def test_a_failing_list_explains_instead_of_crashing(live_client, fake_api):
    fake_api.fake.answer_next(Scripted(500, ""))
    response = live_client.get("/projects")
    assert response.status_code == 502
    assert "The projects could not be listed" in response.get_data(as_text=True)


def test_an_unknown_project_is_a_friendly_404(live_client):
    response = live_client.get("/projects/4242")
    assert response.status_code == 404
    assert "Your organisation has no project with the ID 4242" in response.get_data(as_text=True)


def test_a_duplicate_name_creates_nothing_until_confirmed_then_exactly_one(live_client, fake_api):
    fake_api.fake.add_project(project_name="Lora Adventures ", ip_type="icons")
    answers = {**VALID, "project_name": "  lora adventures"}

    warned = submit(live_client, **answers)
    html = warned.get_data(as_text=True)
    assert warned.status_code == 200
    assert fake_api.fake.posts() == []
    assert "already exists" in html and 'href="/projects/1"' in html
    assert input_value(html, "ip_name") == "Lora"
    assert 'name="allow_duplicate" value="yes"' in html

    confirmed = live_client.post(
        "/", data={**hidden_inputs(html), **answers, "allow_duplicate": "yes"}
    )
    assert confirmed.status_code == 303
    assert len(fake_api.fake.posts()) == 1
    listed = live_client.get("/projects").get_data(as_text=True)
    assert listed.lower().count("lora adventures") == 2


def test_the_duplicate_check_reuses_the_cached_list(live_client, fake_api):
    for number in range(3):
        submit(live_client, **{**VALID, "project_name": f"Project {number}"})
    lists = [r for r in fake_api.fake.received if r.method == "GET" and r.path.endswith("projects")]
    assert len(lists) == 1
    assert "Project 2" in live_client.get("/projects").get_data(as_text=True)
    assert (
        len(
            [r for r in fake_api.fake.received if r.path.endswith("projects") and r.method == "GET"]
        )
        == 1
    )


def test_when_the_list_cannot_be_read_the_person_may_choose(live_client, fake_api):
    fake_api.fake.answer_next(Scripted(503, ""))
    html = submit(live_client, **VALID).get_data(as_text=True)
    assert "We could not check for projects with the same name" in html
    assert fake_api.fake.posts() == []
    response = live_client.post(
        "/", data={**hidden_inputs(html), **VALID, "allow_duplicate": "yes"}
    )
    assert response.status_code == 303 and len(fake_api.fake.posts()) == 1


def test_every_page_has_the_navigation(client):
    for path in ["/", "/projects", "/projects/9", "/nowhere"]:
        html = client.get(path).get_data(as_text=True)
        assert '<a href="/"' in html and '<a href="/projects"' in html, path
        assert "Sandbox" in html, path


def test_healthz_answers_without_calling_the_api(live_client, fake_api):
    response = live_client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "mode": "live"}
    assert fake_api.fake.received == []


@pytest.fixture
def gated(tmp_path):
    app = make_app(tmp_path / "gated", ACCESS_PASSWORD_HASH=generate_password_hash("open sesame"))
    return app.test_client()


def sign_in(client, password):
    page = client.get("/sign-in").get_data(as_text=True)
    return client.post(
        "/sign-in?next=/projects", data={**hidden_inputs(page), "password": password}
    )


def test_with_an_access_password_every_page_asks_for_it(gated):
    assert gated.get("/").status_code == 302
    assert gated.get("/projects").headers["Location"] == "/sign-in?next=/projects"
    assert gated.get("/healthz").status_code == 200
    wrong = sign_in(gated, "guess")
    assert wrong.status_code == 401 and "The access password is not right" in wrong.get_data(
        as_text=True
    )
    right = sign_in(gated, "open sesame")
    assert right.status_code == 302 and right.headers["Location"] == "/projects"
    page = gated.get("/").get_data(as_text=True)
    assert "Sign out" in page
    signed_out = gated.post("/sign-out", data=hidden_inputs(page))
    assert signed_out.status_code == 303
    assert gated.get("/").status_code == 302


def test_sign_in_attempts_are_limited(gated):
    for _ in range(5):
        assert sign_in(gated, "guess").status_code == 401
    blocked = sign_in(gated, "open sesame")
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)


def test_sign_in_only_redirects_within_the_site(gated):
    page = gated.get("/sign-in").get_data(as_text=True)
    response = gated.post(
        "/sign-in?next=//evil.example/", data={**hidden_inputs(page), "password": "open sesame"}
    )
    assert response.headers["Location"] == "/"


def test_going_back_and_sending_changed_answers_does_not_hide_them(live_client, fake_api):
    page = live_client.get("/").get_data(as_text=True)
    first = submit(live_client, page, **VALID)
    assert first.status_code == 303

    again = submit(live_client, page, **VALID)
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]

    changed = submit(live_client, page, **{**VALID, "project_name": "Another one"})
    html = changed.get_data(as_text=True)
    assert changed.status_code == 409
    assert "This form already created a project" in html and 'href="/projects/1"' in html
    assert input_value(html, "project_name") == "Another one"
    assert hidden_inputs(html)["submission_id"] != hidden_inputs(page)["submission_id"]
    assert len(fake_api.fake.posts()) == 1
    assert submit(live_client, html, **{**VALID, "project_name": "Another one"}).status_code == 303
    assert len(fake_api.fake.posts()) == 2


def without_tokens(html: str) -> str:
    return re.sub(r'name="(csrf_token|submission_id)" value="[^"]*"', r'name="\1" value=""', html)


@pytest.mark.parametrize("password", [None, "open sesame"])
def test_the_empty_form_rendered_once_is_the_form_rendered_afresh(tmp_path, password):
    """Each process renders the empty form once; it must match a full rendering."""
    settings = {}
    if password:
        settings["ACCESS_PASSWORD_HASH"] = generate_password_hash(password)
    cached = make_app(tmp_path / "cached", **settings).test_client()
    fresh = make_app(tmp_path / "fresh", DEBUG=True, **settings).test_client()
    pages = []
    for client in (cached, fresh):
        if password:
            page = client.get("/sign-in").get_data(as_text=True)
            client.post("/sign-in", data={**hidden_inputs(page), "password": password})
        pages.append([client.get("/").get_data(as_text=True) for _ in range(2)])
    (first, second), (afresh, _) = pages
    assert without_tokens(first) == without_tokens(afresh)
    assert ("Sign out" in first) == bool(password)
    assert hidden_inputs(first)["submission_id"] != hidden_inputs(second)["submission_id"]
    assert hidden_inputs(first)["csrf_token"]  # and it works: every create test posts it
