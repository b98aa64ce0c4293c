"""Hearing when a training ends: a notice on every page until the person dismisses it
(never on the sign-in page), and one post to the team chat's webhook per ending, through
the job runner, tried again when the chat fails, with nothing secret in it."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from werkzeug.security import generate_password_hash

from tests.conftest import TOKEN, dispose, make_app
from tests.support.pages import hidden_inputs, soup
from tests.support.processes import free_port
from tests.support.training import (
    TeamChat,
    completed_dataset_at,
    model_at,
    model_page,
    set_status,
)
from tests.training.flows import (
    age_reads,
    ending_rows,
    run_follower,
    services,
    start,
    work_of_kind,
)
from webapp.catalog.models import ModelRecords
from webapp.training.tasks import WEBHOOK

SECRET = "test-secret-0123456789"


def notices(client, url: str = "/") -> list[str]:
    """The "Training ended" notices on a page, each in its words (without its link)."""
    answer = client.get(url)
    assert answer.status_code == 200, (url, answer.status_code)
    page = soup(answer.get_data(as_text=True))
    said = []
    for box in page.select(".notification-news"):
        if not box.select_one(".notification-title").get_text().startswith("Training ended"):
            continue
        words = box.select_one("p")
        for link in words.select("a"):
            link.extract()
        said.append(" ".join(words.get_text(" ").split()))
    return said


def dismiss(client, url: str, next_page: str) -> object:
    page = soup(client.get(url).get_data(as_text=True))
    form = page.select_one(".notification-news form")
    data = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    return client.post(form["action"], data={**data, "next": next_page})


@pytest.fixture
def ended(app):
    """A training started through the app by Dana, whose end the app has seen."""
    fake = services(app).fake
    fake.model_endpoints.training_seconds = 24 * 3600.0
    project_id, dataset_id = completed_dataset_at(fake)
    model = model_at(fake, dataset_id, name="Fox")
    client = app.test_client()
    with client.session_transaction() as session:
        session["display_name"] = "Dana"
    assert start(client, project_id, model["id"]).status_code == 303
    set_status(fake, model["id"], "Completed")
    assert run_follower(app, model["id"]).state == "done"
    return project_id, dataset_id, model


NEWS = "The training of model “Fox” is complete: the model can make images now. Started by Dana."


def test_an_ending_shows_on_every_page_until_it_is_dismissed(app, ended):
    project_id, dataset_id, model = ended
    client = app.test_client()  # anyone on the team, in a session of their own
    pages = [
        "/",
        "/projects",
        f"/projects/{project_id}",
        f"/projects/{project_id}/datasets/{dataset_id}",
        model_page(project_id, model["id"]),
        "/activity",
    ]
    for page in pages:
        assert notices(client, page) == [NEWS], page
    link = soup(client.get("/").get_data(as_text=True)).select_one(".notification-news a")
    assert link["href"] == model_page(project_id, model["id"])

    answer = dismiss(client, "/projects", "/projects?page=1")

    assert answer.status_code == 303 and answer.headers["Location"] == "/projects?page=1"
    for page in pages:
        assert notices(client, page) == [], page
    assert notices(app.test_client()) == [NEWS]  # dismissed for this person only


def test_dismissing_goes_back_only_to_a_page_of_this_site(app, ended):
    client = app.test_client()
    answer = dismiss(client, "/", "//evil.example/")
    assert answer.status_code == 303 and answer.headers["Location"] == "/"


def test_each_ending_is_said_in_its_own_words_and_the_newest_first(app, ended):
    fake = services(app).fake
    project_id, dataset_id, _ = ended
    client = app.test_client()
    for name, ending in (("Owl", "Failed"), ("Cat", "Stopped")):
        model = model_at(fake, dataset_id, name=name, status="InProgress")
        # Seen training (started in Bria's console), so followed.
        assert client.get(model_page(project_id, model["id"])).status_code == 200
        set_status(fake, model["id"], ending)
        assert run_follower(app, model["id"]).state == "done"

    assert notices(app.test_client()) == [
        "The training of model “Cat” was stopped. Started by someone on the team.",
        "The training of model “Owl” failed. Started by someone on the team.",
        NEWS,
    ]


def test_a_model_first_seen_already_ended_is_old_news(app):
    fake = services(app).fake
    project_id, dataset_id = completed_dataset_at(fake)
    model = model_at(fake, dataset_id, name="Old", status="Completed")
    client = app.test_client()
    assert client.get(model_page(project_id, model["id"])).status_code == 200
    assert notices(client) == []


def test_the_sign_in_page_shows_no_news_of_the_teams_work(tmp_path):
    app = make_app(tmp_path / "gated", ACCESS_PASSWORD_HASH=generate_password_hash("sesame"))
    try:
        records = services(app).get(ModelRecords)
        model = {"id": 5, "project_id": 1, "dataset_id": 1, "name": "Secret fox"}
        records.remember({**model, "status": "InProgress"})
        records.remember({**model, "status": "Completed"})
        client = app.test_client()
        sign_in = client.get("/sign-in").get_data(as_text=True)
        assert "Secret fox" not in sign_in and "Training ended" not in sign_in

        answer = client.post(
            "/sign-in",
            data={**hidden_inputs(sign_in), "password": "sesame", "display_name": "Ana"},
            headers={"Origin": "http://localhost"},
        )
        assert answer.status_code == 303
        assert notices(client) == [
            "The training of model “Secret fox” is complete: the model can make images now. "
            "Started by someone on the team."
        ]
    finally:
        dispose(app)


# -- the team chat ------------------------------------------------------------------------


@pytest.fixture
def chat(monkeypatch) -> Iterator[TeamChat]:
    with TeamChat() as chat:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", chat.bundle)
        yield chat


@pytest.fixture
def chatty(tmp_path, fake_api, chat):
    """The app in real mode against the fake, telling the team chat."""
    fake_api.fake.api.model_endpoints.training_seconds = 24 * 3600.0
    app = make_app(
        tmp_path / "chatty",
        BRIA_API_TOKEN=TOKEN,
        BRIA_API_BASE_URL=fake_api.base_url,
        BRIA_API_TIMEOUT=2,
        BRIA_REQUESTS_PER_MINUTE=100_000,
        TEAM_WEBHOOK_URL=chat.url,
        SECRET_KEY=SECRET,
    )
    yield app
    dispose(app)


def ending_at_bria(app, fake_api, status: str = "Completed") -> dict:
    """A training the app followed, which then ended at Bria, as the follower saw it."""
    fake = fake_api.fake.api
    project_id, dataset_id = completed_dataset_at(fake)
    model = model_at(fake, dataset_id, name="Fox")
    client = app.test_client()
    assert start(client, project_id, model["id"]).status_code == 303
    set_status(fake, model["id"], status)
    assert run_follower(app, model["id"]).state == "done"
    return model


def run_webhooks(app) -> list[str]:
    """Run every webhook job that is due; their states after."""
    for work in work_of_kind(app, WEBHOOK):
        services(app).jobs.run(work.key)
    return [work.state for work in work_of_kind(app, WEBHOOK)]


@pytest.mark.integration
def test_one_post_per_ending_as_slack_and_teams_take_it_without_secrets(chatty, fake_api, chat):
    model = ending_at_bria(chatty, fake_api)
    assert run_webhooks(chatty) == ["done"]
    for _ in range(3):  # more reads, more runs: nothing more is told
        age_reads(chatty, 31)
        assert chatty.test_client().get(model_page(model["project_id"], model["id"])).status_code
        run_follower(chatty, model["id"])
        run_webhooks(chatty)

    [post] = chat.posts
    assert post.path == "/services/team-hook"
    assert post.headers["Content-Type"] == "application/json"
    assert post.json == {
        "text": "The training of model “Fox” is complete: the model can make images now. "
        "Started by someone on the team."
    }
    said = post.body.decode() + str(post.headers)
    for secret in (TOKEN, SECRET, "api_token", fake_api.base_url):
        assert secret not in said
    assert ending_rows(chatty) == 1


@pytest.mark.integration
def test_an_ending_a_page_saw_first_is_told_once_by_the_follower(chatty, fake_api, chat):
    fake = fake_api.fake.api
    project_id, dataset_id = completed_dataset_at(fake)
    model = model_at(fake, dataset_id, name="Fox", status="InProgress")
    client = chatty.test_client()
    client.get(model_page(project_id, model["id"]))  # seen training, so followed
    set_status(fake, model["id"], "Failed")
    age_reads(chatty, 31)
    client.get(model_page(project_id, model["id"]))  # the page sees the end first
    assert run_webhooks(chatty) == []

    assert run_follower(chatty, model["id"]).state == "done"
    assert run_webhooks(chatty) == ["done"]
    assert [p.json["text"] for p in chat.posts] == [
        "The training of model “Fox” failed. Started by someone on the team."
    ]


@pytest.mark.integration
def test_the_post_is_tried_again_when_the_chat_fails(chatty, fake_api, chat, no_backoff):
    chat.answers.extend([500, 503])
    ending_at_bria(chatty, fake_api, "Stopped")

    assert run_webhooks(chatty) == ["waiting"]
    [work] = work_of_kind(chatty, WEBHOOK)
    assert work.last_error == "The team chat did not take the message: check TEAM_WEBHOOK_URL."
    assert run_webhooks(chatty) == ["waiting"]
    assert run_webhooks(chatty) == ["done"]
    assert run_webhooks(chatty) == ["done"]

    assert len(chat.posts) == 3
    assert {p.body for p in chat.posts} == {chat.posts[0].body}  # the same message each time
    assert chat.posts[0].json["text"].startswith("The training of model “Fox” was stopped.")


@pytest.mark.integration
def test_a_chat_that_never_takes_it_is_given_up_in_words(chatty, fake_api, chat, no_backoff):
    chat.answers.extend([500] * 10)
    ending_at_bria(chatty, fake_api)
    for _ in range(8):
        states = run_webhooks(chatty)
    assert states == ["failed"]
    assert len(chat.posts) == 6
    [work] = work_of_kind(chatty, WEBHOOK)
    assert work.last_error == "The team chat did not take the message: check TEAM_WEBHOOK_URL."


@pytest.mark.integration
def test_without_a_webhook_nothing_is_posted(live_app, fake_api):
    ending_at_bria(live_app, fake_api)
    assert work_of_kind(live_app, WEBHOOK) == []


@pytest.mark.integration
def test_a_chat_out_of_reach_is_tried_again_without_its_address_in_the_log(
    tmp_path, fake_api, caplog
):
    secret_path = "/services/T0/B0/do-not-log-me"
    app = make_app(
        tmp_path / "unreachable",
        BRIA_API_TOKEN=TOKEN,
        BRIA_API_BASE_URL=fake_api.base_url,
        BRIA_REQUESTS_PER_MINUTE=100_000,
        TEAM_WEBHOOK_URL=f"https://127.0.0.1:{free_port()}{secret_path}",
        SECRET_KEY=SECRET,
    )
    try:
        ending_at_bria(app, fake_api)
        with caplog.at_level(logging.DEBUG):
            assert run_webhooks(app) == ["waiting"]
        [work] = work_of_kind(app, WEBHOOK)
        assert work.last_error == "The team chat did not take the message: check TEAM_WEBHOOK_URL."
        assert "the team chat was not reached (ConnectionError)" in caplog.text
        assert "do-not-log-me" not in caplog.text
    finally:
        dispose(app)
