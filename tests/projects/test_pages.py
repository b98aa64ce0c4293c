"""The pages end to end in the test client, in real mode against the local fake API."""

from __future__ import annotations

import pytest

from tests.support.fake_api import Scripted
from tests.support.pages import (
    VALID,
    field_errors,
    follow,
    hidden_inputs,
    input_value,
    links,
    main_text,
    soup,
    submission_path,
    submit,
    title,
)
from webapp.projects.snapshot import ProjectSnapshot


def test_the_form_asks_medium_before_type_and_names_inputs_as_the_api_does(client):
    html = client.get("/").get_data(as_text=True)
    form = soup(html).select_one("form#project-form")
    names = list(dict.fromkeys(str(tag["name"]) for tag in form.select("input[name], textarea")))
    assert names == [
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
    assert form.has_attr("novalidate")
    text = main_text(html)
    assert "(optional)" in text and "*" not in text
    assert "intellectual property" in text  # "IP", explained once
    assert "Up to 100 characters" in text and "Up to 1000 characters" in text


def test_a_create_sends_one_post_and_redirects_to_its_confirmation(live_client, fake_api):
    sent = submit(live_client, **VALID)
    location = submission_path(sent)
    [post] = fake_api.fake.posts()
    assert post.body == {
        "project_name": "Lora adventures",
        "project_description": "Our mascot for the spring campaign",
        "ip_name": "Lora",
        "ip_description": "a female character with purple hair",
        "ip_medium": "illustration",
        "ip_type": "defined_character",
    }
    page = live_client.get(location)
    text = main_text(page.get_data(as_text=True))
    for expected in [
        "Project created",
        "Lora adventures",
        "Our mascot for the spring campaign",
        "Defined character",
        "Character name Lora",
        "Short description a female character with purple hair",
        "Not locked yet: the first dataset decides the family",
        "Status Active",
        "UTC",
        "at least 5 images",
        "1024 × 1024",
        "Create another project",
    ]:
        assert expected in text, expected
    # The confirmation is the create's own 201 answer: one API call for the whole create.
    assert [r.method for r in fake_api.fake.received] == ["GET", "POST"]
    # Refreshing it asks Bria nothing more.
    assert live_client.get(location).status_code == 200
    assert len(fake_api.fake.received) == 2


def test_a_project_page_reads_bria_unless_it_read_it_a_moment_ago(live_client, fake_api):
    project = fake_api.fake.add_project(project_name="Scenes", ip_type="stylized_scene")
    page = live_client.get(f"/projects/{project['id']}").get_data(as_text=True)
    assert "Scenes" in main_text(page) and "Stylized scene" in main_text(page)
    live_client.get(f"/projects/{project['id']}")
    reads = fake_api.fake.calls("GET", f"/projects/{project['id']}")
    assert len(reads) == 1
    assert f"/projects/{project['id']}/edit" in links(page)
    assert f"/projects/{project['id']}/delete" in links(page)


def test_an_invalid_submission_never_leaves_the_app_and_keeps_what_was_typed(live_client, fake_api):
    sent = submit(
        live_client,
        project_name="My <b>project</b>",
        ip_medium="photography",
        ip_type="icons",
        ip_name="one two three four",
    )
    location = submission_path(sent)
    html = live_client.get(location).get_data(as_text=True)
    assert fake_api.fake.received == []
    assert title(html).startswith("Error: ")
    assert "There is a problem" in html
    assert field_errors(html) == {
        "ip_type": "“Icons” is available only for illustration: select Illustration, "
        "or choose another type of IP"
    }
    assert input_value(html, "project_name") == "My <b>project</b>"
    assert "<b>project</b>" not in html
    assert input_value(html, "ip_name") == "one two three four"
    assert input_value(html, "ip_medium") == "photography"
    assert input_value(html, "ip_type") == "icons"
    # Each showing of the form has an id of its own, so each reply its own address.
    assert hidden_inputs(html)["submission_id"] != location.rsplit("/", 1)[1]


def test_corrected_answers_sent_from_the_error_page_create_the_project(live_client, fake_api):
    first = follow(live_client, submit(live_client, project_name="", ip_medium="illustration"))
    fixed = submit(live_client, first.get_data(as_text=True), **VALID)
    page = follow(live_client, fixed).get_data(as_text=True)
    assert "Project created" in main_text(page)
    assert len(fake_api.fake.posts()) == 1


def test_projects_are_listed_newest_first_with_links_filters_and_search(live_client, fake_api):
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
    text = main_text(html)
    assert text.index("New scene") < text.index("Old icons")
    assert "/projects/2" in links(html) and "/projects/1" in links(html)
    assert "Stylized scene" in text and "Photography" in text and "Legacy" in text
    assert "1 June 2025 at 09:30 UTC" in text
    assert soup(html).select_one("time")["datetime"] == "2025-06-01T09:30:00Z"

    found = main_text(live_client.get("/projects?q=ICONS").get_data(as_text=True))
    assert "Old icons" in found and "New scene" not in found and "Found 1 of 2 projects." in found
    by_type = main_text(live_client.get("/projects?type=stylized_scene").get_data(as_text=True))
    assert "New scene" in by_type and "Old icons" not in by_type
    by_family = main_text(
        live_client.get("/projects?family=Legacy&medium=photography").get_data(as_text=True)
    )
    assert "New scene" in by_family and "Old icons" not in by_family
    odd = live_client.get("/projects?type=<b>&page=x&family=nope")
    assert odd.status_code == 200 and "2 projects" in main_text(odd.get_data(as_text=True))
    assert len(fake_api.fake.calls("GET", "/tailored-gen/projects")) == 1  # one read for all


def test_a_hundred_and_twenty_projects_come_in_pages_of_fifty(live_client, fake_api):
    for number in range(120):
        fake_api.fake.add_project(project_name=f"Project {number:03d}")
    first = live_client.get("/projects").get_data(as_text=True)
    assert len(soup(first).select("tbody tr")) == 50
    assert "120 projects, page 1 of 3" in main_text(first)
    assert "/projects?page=2" in links(first)
    last = live_client.get("/projects?page=3").get_data(as_text=True)
    assert len(soup(last).select("tbody tr")) == 20


def test_an_empty_list_leads_to_the_form(live_client):
    html = live_client.get("/projects").get_data(as_text=True)
    assert "There are no projects yet" in html and "/" in links(html)


def test_a_failing_list_with_nothing_older_to_show_explains(live_client, fake_api):
    fake_api.fake.answer_next(Scripted(500, ""))
    response = live_client.get("/projects")
    assert response.status_code == 502
    text = main_text(response.get_data(as_text=True))
    assert "The projects could not be listed" in text
    assert "Bria had a problem" in text
    assert "may have been created" not in text and "answers" not in text
    assert "Details for your administrator: Bria answered 500" in text


def test_a_failing_list_shows_the_last_one_read_with_its_age(live_client, fake_api, monkeypatch):
    fake_api.fake.add_project(project_name="Kept")
    live_client.get("/projects")
    snapshot = live_client.application.extensions["webapp"].get(ProjectSnapshot)
    monkeypatch.setattr(snapshot, "ttl", 0)
    fake_api.fake.answer_next(Scripted(503, ""))
    page = live_client.get("/projects")
    text = main_text(page.get_data(as_text=True))
    assert page.status_code == 200
    assert "Kept" in text and "This was read from Bria just now" in text


def test_an_unknown_project_is_a_friendly_404(live_client):
    response = live_client.get("/projects/4242")
    assert response.status_code == 404
    assert "Your organisation has no project with the ID 4242" in response.get_data(as_text=True)


def test_a_duplicate_name_creates_nothing_until_chosen_then_exactly_one(live_client, fake_api):
    fake_api.fake.add_project(project_name="Lora Adventures ", ip_type="icons")
    answers = {**VALID, "project_name": "  lora adventures"}

    warned = follow(live_client, submit(live_client, **answers)).get_data(as_text=True)
    assert fake_api.fake.posts() == []
    panel = soup(warned).select_one("[data-module=warning]")
    assert "already exists" in panel.get_text()
    assert "/projects/1" in [a["href"] for a in panel.select("a")]
    # The safe choice comes first, beside the warning; creating another comes second.
    choices = panel.select(".choices > *")
    assert [c.get_text(strip=True) for c in choices] == [
        "Change the name",
        "Create another project with this name",
    ]
    assert choices[1]["form"] == "project-form" and choices[1]["value"] == "yes"
    assert input_value(warned, "ip_name") == "Lora"

    # Sending it again as it is shows the warning again...
    again = follow(live_client, submit(live_client, warned, **answers)).get_data(as_text=True)
    assert "already exists" in main_text(again) and fake_api.fake.posts() == []
    # ...choosing to create another creates exactly one.
    chosen = submit(live_client, again, **answers, allow_duplicate="yes")
    assert "Project created" in main_text(follow(live_client, chosen).get_data(as_text=True))
    assert len(fake_api.fake.posts()) == 1


def test_when_names_cannot_be_checked_the_person_may_try_again_or_go_on(live_client, fake_api):
    fake_api.fake.answer_next(Scripted(503, ""))
    html = follow(live_client, submit(live_client, **VALID)).get_data(as_text=True)
    panel = soup(html).select_one("[data-module=warning]")
    assert "Names could not be checked" in panel.get_text()
    assert [b.get_text(strip=True) for b in panel.select("button")] == [
        "Try again",
        "Create it without checking",
    ]
    assert fake_api.fake.posts() == []
    response = submit(live_client, html, **VALID, allow_duplicate="yes")
    assert "Project created" in main_text(follow(live_client, response).get_data(as_text=True))
    assert len(fake_api.fake.posts()) == 1


def test_every_page_has_the_navigation(client):
    for path in ["/", "/projects", "/projects/9", "/nowhere"]:
        html = client.get(path).get_data(as_text=True)
        nav = [a["href"] for a in soup(html).select("nav a")]
        assert nav == ["/", "/projects"], path
        assert "Sandbox" in html, path


def test_health_and_readiness_answer_without_calling_the_api(live_client, fake_api):
    assert live_client.get("/healthz").get_json() == {
        "status": "ok",
        "mode": "live",
        "jobs": {"consumer": "not running", "waiting": 0},
    }
    assert live_client.get("/readyz").get_json() == {"status": "ready", "mode": "live"}
    assert fake_api.fake.received == []


def test_going_back_and_sending_changed_answers_does_not_hide_them(live_client, fake_api):
    page = live_client.get("/").get_data(as_text=True)
    first = submit(live_client, page, **VALID)
    again = submit(live_client, page, **VALID)
    assert again.headers["Location"] == first.headers["Location"]

    changed = follow(
        live_client, submit(live_client, page, **{**VALID, "project_name": "Another one"})
    )
    html = changed.get_data(as_text=True)
    assert "This form already created a project" in main_text(html)
    assert first.headers["Location"] in links(html)
    assert input_value(html, "project_name") == "Another one"
    assert hidden_inputs(html)["submission_id"] != hidden_inputs(page)["submission_id"]
    assert len(fake_api.fake.posts()) == 1
    follow(live_client, submit(live_client, html, **{**VALID, "project_name": "Another one"}))
    assert len(fake_api.fake.posts()) == 2


@pytest.mark.parametrize("path", ["/", "/projects", "/projects/1", "/sign-in"])
def test_no_page_says_none_null_or_true(live_client, fake_api, path):
    fake_api.fake.add_project(
        project_name="Odd",
        project_description=None,
        ip_name=None,
        ip_description=None,
        ip_type="mascot_set",
        ip_medium=None,
        training_version="future_family",
        status=None,
        created_at="Mon, 20 Jan 2025 10:11:12 GMT",
    )
    text = main_text(live_client.get(path).get_data(as_text=True))
    for word in ("None", "null", "True", "False", "mascot_set", "future_family", "GMT"):
        assert word not in text.split(), (path, word)


@pytest.mark.parametrize(
    "path",
    ["/projects/2147483648", "/projects/9223372036854775808/edit", "/projects/99999999999/delete"],
)
def test_an_id_beyond_what_a_project_can_have_is_not_found(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("page", ["%C2%B2", "%E2%91%A0", "-1", "99999999999", "x"])
def test_an_odd_page_number_shows_the_first_page(client, page):
    response = client.get(f"/projects?page={page}")
    assert response.status_code == 200


def test_a_project_dated_at_the_edge_of_the_calendar_breaks_no_page(live_client, fake_api):
    fake_api.fake.add_project(project_name="Far future", created_at="9999-12-31T23:59:59-14:00")
    fake_api.fake.add_project(project_name="Long ago", created_at="0001-01-01T00:00:00+14:00")
    listed = live_client.get("/projects")
    assert listed.status_code == 200 and "Far future" in main_text(listed.get_data(as_text=True))
    assert live_client.get("/projects/1").status_code == 200


def test_a_page_of_a_project_missing_from_a_fresh_list_spends_nothing(live_client, fake_api):
    live_client.get("/projects")
    asked = len(fake_api.fake.received)
    assert live_client.get("/projects/777").status_code == 404
    assert len(fake_api.fake.received) == asked


def test_a_name_that_grows_under_nfkc_is_still_found_as_a_duplicate(live_client, fake_api):
    name = "\ufb03" * 70  # each "ﬃ" is three letters once normalised
    fake_api.fake.add_project(project_name=name)
    warned = follow(live_client, submit(live_client, **{**VALID, "project_name": name}))
    assert "already exists" in main_text(warned.get_data(as_text=True))
    assert fake_api.fake.posts() == []
