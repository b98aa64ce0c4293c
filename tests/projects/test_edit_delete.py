"""Changing and deleting a project, in real mode against the local fake API."""

from __future__ import annotations

import pytest

from tests.support.apps import CHARACTER
from tests.support.fake_api import Scripted
from tests.support.pages import (
    field_errors,
    follow,
    hidden_inputs,
    input_value,
    links,
    main_text,
    soup,
    submit,
    title,
)


@pytest.fixture
def lora(fake_api):
    return fake_api.fake.add_project(**CHARACTER)


def edit_page(client, project) -> str:
    return client.get(f"/projects/{project['id']}/edit").get_data(as_text=True)


def send_edit(client, project, page=None, **fields):
    page = page or edit_page(client, project)
    return submit(client, page, path=f"/projects/{project['id']}/edit", **fields)


def test_the_edit_form_offers_the_fields_the_type_uses_filled_with_todays_values(
    live_client, lora, fake_api
):
    html = edit_page(live_client, lora)
    form = soup(html).select_one("form#edit-form")
    names = [str(t["name"]) for t in form.select("input[name], textarea")]
    assert names == [
        "csrf_token",
        "submission_id",
        "project_name",
        "project_description",
        "ip_name",
        "ip_description",
    ]
    assert input_value(html, "project_name") == "Lora adventures"
    assert input_value(html, "ip_name") == "Lora"
    text = main_text(html)
    assert "Illustration" in text and "Defined character" in text
    assert "cannot be changed once a project exists" in text

    icons = fake_api.fake.add_project(project_name="Set", ip_type="icons", ip_name="stale")
    icons_form = soup(edit_page(live_client, icons)).select_one("form#edit-form")
    assert not icons_form.select("[name=ip_name], [name=ip_description]")


def test_a_change_sends_only_the_editable_fields_and_the_list_shows_it(live_client, lora, fake_api):
    live_client.get("/projects")
    sent = send_edit(
        live_client,
        lora,
        project_name="Lora returns",
        project_description="",
        ip_name="Lora",
        ip_description="green hair now",
        ip_medium="photography",  # not editable: never sent
    )
    page = follow(live_client, sent).get_data(as_text=True)
    assert "Changes saved" in main_text(page) and "green hair now" in main_text(page)
    [put] = fake_api.fake.calls("PUT")
    assert put.path == f"/v1/tailored-gen/projects/{lora['id']}"
    assert put.body == {
        "project_name": "Lora returns",
        "project_description": "",
        "ip_name": "Lora",
        "ip_description": "green hair now",
    }
    listed = main_text(live_client.get("/projects").get_data(as_text=True))
    assert "Lora returns" in listed and "Lora adventures" not in listed


def test_a_change_breaking_the_types_rules_keeps_the_answers_and_sends_nothing(
    live_client, lora, fake_api
):
    sent = send_edit(
        live_client,
        lora,
        project_name="",
        project_description="Kept text",
        ip_name="one two three four",
        ip_description="x",
    )
    html = follow(live_client, sent).get_data(as_text=True)
    assert title(html).startswith("Error: ")
    assert field_errors(html) == {
        "project_name": "Enter a project name",
        "ip_name": "Character name must be 3 words or fewer",
    }
    assert input_value(html, "project_description") == "Kept text"
    assert input_value(html, "ip_name") == "one two three four"
    assert fake_api.fake.calls("PUT") == []


def test_a_rename_to_a_name_in_use_warns_first(live_client, lora, fake_api):
    other = fake_api.fake.add_project(project_name="Taken name", ip_type="icons")
    answers = {**CHARACTER, "project_name": "taken  NAME"}
    html = follow(live_client, send_edit(live_client, lora, **answers)).get_data(as_text=True)
    panel = soup(html).select_one("[data-module=warning]")
    assert "Another project is called" in panel.get_text()
    assert f"/projects/{other['id']}" in [a["href"] for a in panel.select("a")]
    assert [c.get_text(strip=True) for c in panel.select(".choices > *")] == [
        "Change the name",
        "Use this name anyway",
    ]
    assert fake_api.fake.calls("PUT") == []
    chosen = send_edit(live_client, lora, html, **answers, allow_duplicate="yes")
    assert "Changes saved" in main_text(follow(live_client, chosen).get_data(as_text=True))
    assert len(fake_api.fake.calls("PUT")) == 1


def test_keeping_the_same_name_is_not_a_duplicate(live_client, lora, fake_api):
    sent = send_edit(live_client, lora, **{**CHARACTER, "project_name": "LORA adventures"})
    assert "Changes saved" in main_text(follow(live_client, sent).get_data(as_text=True))


@pytest.mark.parametrize(
    ("scripted", "said"),
    [
        (
            Scripted(400, {"error": {"message": "ip_description must be 1-6 words"}}),
            "Bria did not accept the short description. Check it and try again.",
        ),
        (Scripted(404, ""), "Bria has no such project: it may have been deleted."),
        (
            Scripted(500, ""),
            "Bria did not confirm whether the changes were saved",
        ),
    ],
)
def test_a_failed_change_is_explained_with_the_answers_kept(
    live_client, lora, fake_api, scripted, said
):
    page = edit_page(live_client, lora)
    fake_api.fake.answer_next(scripted)
    html = follow(
        live_client, send_edit(live_client, lora, page, **{**CHARACTER, "ip_name": "Mira"})
    ).get_data(as_text=True)
    assert said in main_text(html)
    assert input_value(html, "ip_name") == "Mira"
    assert "may have been created" not in main_text(html)


def test_deleting_asks_first_naming_the_project(live_client, lora):
    html = live_client.get(f"/projects/{lora['id']}/delete").get_data(as_text=True)
    text = main_text(html)
    assert "Delete “Lora adventures”?" in text
    assert "This cannot be undone." in text
    assert "datasets, images and trained models are deleted with it" in text
    assert f"/projects/{lora['id']}" in links(html)


def test_a_deleted_project_leaves_the_list_and_the_person_is_told(live_client, lora, fake_api):
    live_client.get("/projects")
    page = live_client.get(f"/projects/{lora['id']}/delete").get_data(as_text=True)
    sent = live_client.post(f"/projects/{lora['id']}/delete", data=hidden_inputs(page))
    html = follow(live_client, sent).get_data(as_text=True)
    assert "Project deleted" in main_text(html) and "Lora adventures" in main_text(html)
    assert [r.method for r in fake_api.fake.calls("DELETE")] == ["DELETE"]
    assert "Lora adventures" not in main_text(live_client.get("/projects").get_data(as_text=True))
    assert live_client.get(f"/projects/{lora['id']}").status_code == 404
    # Sent again (Back, then the button once more): nothing more is deleted.
    again = live_client.post(f"/projects/{lora['id']}/delete", data=hidden_inputs(page))
    assert again.status_code == 404 or "Project deleted" in main_text(
        follow(live_client, again).get_data(as_text=True)
    )
    assert len(fake_api.fake.calls("DELETE")) == 1


def test_a_project_whose_model_is_training_is_not_deleted_and_says_why(live_client, lora, fake_api):
    fake_api.fake.store.set_training(lora["id"])
    page = live_client.get(f"/projects/{lora['id']}/delete").get_data(as_text=True)
    sent = live_client.post(f"/projects/{lora['id']}/delete", data=hidden_inputs(page))
    html = follow(live_client, sent).get_data(as_text=True)
    text = main_text(html)
    assert "A model in this project is training" in text
    assert "Stop the training from the model's page first" in text
    assert "409" not in text.replace("Bria answered 409", "")
    assert "Details for your administrator: Bria answered 409" in text
    assert fake_api.fake.store.get(lora["id"]) is not None


def test_a_change_sent_from_a_page_left_open_too_long_keeps_its_answers(
    live_client, lora, fake_api
):
    page = edit_page(live_client, lora)
    data = {**hidden_inputs(page), **CHARACTER, "ip_name": "Kept name"}
    del data["csrf_token"]
    sent = live_client.post(
        f"/projects/{lora['id']}/edit", data=data, headers={"Origin": "http://localhost"}
    )
    html = follow(live_client, sent).get_data(as_text=True)
    assert "This page was open for a long time" in main_text(html)
    assert input_value(html, "ip_name") == "Kept name"
    assert fake_api.fake.calls("PUT") == []


def test_a_delete_from_a_page_left_open_too_long_asks_again(live_client, lora, fake_api):
    sent = live_client.post(
        f"/projects/{lora['id']}/delete",
        data={"submission_id": "x" * 32},
        headers={"Origin": "http://localhost"},
    )
    assert sent.status_code == 400
    text = main_text(sent.get_data(as_text=True))
    assert "This page was open for a long time, so nothing was deleted." in text
    assert fake_api.fake.calls("DELETE") == []
