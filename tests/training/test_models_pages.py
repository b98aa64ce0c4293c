"""Making a model, starting and stopping its training, and its page, against the fake API
over real HTTP: each change reaches Bria once whatever is replayed, Bria's refusals are
said in words, and the page shows what Bria said (any status), how old it is, and when
it cannot be newer."""

from __future__ import annotations

import json

import pytest

from tests.support.fake_api import Scripted
from tests.support.pages import field_errors, follow, hidden_inputs, main_text, soup, title
from tests.support.training import model_at, model_page, set_status, start_at
from tests.training.flows import (
    age_reads,
    events,
    follower_rows,
    model_gets,
    model_id_in,
    new_model,
    run_follower,
    send_form,
    services,
    start,
    stop,
)
from webapp.ledger.activity import Activity

pytestmark = pytest.mark.integration

MODELS = "/v1/tailored-gen/models"


def posts_to(fake_api, suffix: str) -> list:
    return [r for r in fake_api.fake.received if r.method == "POST" and r.path.endswith(suffix)]


def activity_of(live_app, project_id: int) -> list[tuple[str, str]]:
    entries, _ = services(live_app).get(Activity.of).page(project_id)
    return [(e.action, e.subject) for e in entries]


def csrf(client, project_id: int) -> dict[str, str]:
    """The session's form token, from a page that has a form (to force a POST)."""
    html = client.get(f"/projects/{project_id}/datasets/new").get_data(as_text=True)
    return {"csrf_token": hidden_inputs(html)["csrf_token"]}


def page_text(client, url: str) -> str:
    answer = client.get(url)
    assert answer.status_code == 200, (answer.status_code, answer.get_data()[:800])
    return main_text(answer.get_data(as_text=True))


# -- making a model ------------------------------------------------------------------


def test_a_model_form_sent_twice_and_replayed_makes_one_model(
    live_app, live_client, fake_api, dataset
):
    page = f"/projects/{dataset[0]}/datasets/{dataset[1]}/models/new"
    html = live_client.get(page).get_data(as_text=True)
    form = {
        **{i["name"]: i.get("value", "") for i in soup(html).select("input[type=hidden]")},
        "name": "Fox",
        "description": "Summer style",
        "training_mode": "expert",
    }
    first = live_client.post(page, data=form)
    second = live_client.post(page, data=form)  # a double click
    model_id = model_id_in(first)
    assert model_id_in(second) == model_id
    later = live_client.post(page, data=form)  # the back button, and the form again
    assert model_id_in(later) == model_id

    [sent] = posts_to(fake_api, "/tailored-gen/models")
    assert sent.body == {
        "name": "Fox",
        "dataset_id": dataset[1],
        "training_mode": "expert",
        "description": "Summer style",
    }
    shown = main_text(follow(live_client, later).get_data(as_text=True))
    assert "Model “Fox” created. Start its training when you are ready." in shown
    assert "Not trained yet" in shown and "Expert" in shown
    assert activity_of(live_app, dataset[0]) == [
        ("model.create", "model “Fox” from dataset “Summer shots”")
    ]


def test_the_form_offers_both_modes_and_explains_expert_in_a_sentence(live_client, dataset):
    html = live_client.get(f"/projects/{dataset[0]}/datasets/{dataset[1]}/models/new")
    page = soup(html.get_data(as_text=True))
    modes = {
        radio["value"]: page.select_one(f"#{radio['aria-describedby']}").get_text()
        for radio in page.select("input[name=training_mode]")
    }
    assert set(modes) == {"fully_automated", "expert"}
    assert page.select_one("input[value=fully_automated]").has_attr("checked")
    assert "recommended" in page.select_one("label[for=training_mode-1]").get_text()
    assert modes["expert"].count(".") == 1


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "  "}, "name", "Enter a name for the model"),
        ({"name": "x" * 101}, "name", "The model name must be 100 characters or fewer"),
        ({"training_mode": "lazy"}, "training_mode", "Select a training mode"),
        ({"description": "d" * 501}, "description", "The description must be 500 characters"),
    ],
)
def test_a_form_breaking_a_rule_is_said_beside_the_field_and_nothing_is_sent(
    live_client, fake_api, dataset, fields, field, message
):
    answer = send_form(
        live_client,
        f"/projects/{dataset[0]}/datasets/{dataset[1]}/models/new",
        **{"name": "Fox", "training_mode": "fully_automated", **fields},
    )
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert field_errors(html)[field].startswith(message)
    assert title(html).startswith("Error: ")
    assert posts_to(fake_api, "/models") == []


def test_a_dataset_that_is_not_completed_offers_no_model_form(live_client, fake_api, bria, dataset):
    draft = bria.datasets.add(dataset[0], name="Draft")
    page = f"/projects/{dataset[0]}/datasets/{draft['id']}/models/new"

    answer = live_client.get(page)
    assert answer.status_code == 409
    html = answer.get_data(as_text=True)
    assert soup(html).select("form input[name=name]") == []
    assert "The dataset is not completed yet" in main_text(html)
    forced = live_client.post(
        page, data={**csrf(live_client, dataset[0]), "name": "Fox", "training_mode": "expert"}
    )
    assert forced.status_code == 409
    dataset_page = live_client.get(f"/projects/{dataset[0]}/datasets/{draft['id']}")
    text = main_text(dataset_page.get_data(as_text=True))
    assert "A model can be made from this dataset once it is completed." in text
    assert "Make a model from this dataset" not in text
    assert posts_to(fake_api, "/models") == []


def test_brias_412_on_create_is_said_in_words(live_client, fake_api, dataset):
    fake_api.fake.answer_for(
        "/tailored-gen/models",
        Scripted(412, {"error": {"message": "Dataset status must be 'completed'"}}),
    )
    answer = new_model(live_client, *dataset)
    assert answer.status_code == 409
    assert "Bria says the dataset is not completed, so nothing was started." in main_text(
        answer.get_data(as_text=True)
    )


@pytest.mark.parametrize(
    ("scripted", "words"),
    [
        (Scripted(500, "<html>Bad gateway</html>", "text/html"), "Bria did not confirm whether"),
        (Scripted(drop=True), "Bria did not confirm whether the model was created."),
        (
            Scripted(429, {"error": {"message": "Slow down"}}, headers={"Retry-After": "30"}),
            "used all the Bria requests its plan allows",
        ),
    ],
)
def test_a_create_bria_did_not_confirm_is_said_and_not_sent_again(
    live_client, fake_api, dataset, scripted, words
):
    fake_api.fake.answer_for("/tailored-gen/models", scripted)
    answer = new_model(live_client, *dataset)
    assert answer.status_code == 409
    assert words in main_text(answer.get_data(as_text=True))
    assert len(posts_to(fake_api, "/tailored-gen/models")) == 1


# -- starting it -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "duration"),
    [("fibo", "4 to 6 hours"), ("max", "2 to 4 hours"), ("2.3", "2 to 4 hours"), (None, "1 to 6")],
)
def test_the_start_page_says_what_training_costs_in_time_and_shows_the_health_summary(
    live_client, bria, version, duration
):
    from tests.support.training import completed_dataset_at

    project_id, dataset_id = completed_dataset_at(bria, "Shots", version)
    model = model_at(bria, dataset_id)

    html = live_client.get(model_page(project_id, model["id"], "/start")).get_data(as_text=True)
    text = main_text(html)
    assert f"Training costs money and takes {duration}" in text
    assert "a stopped training cannot be resumed" in text
    summary = soup(html).select_one("ul.health-summary")
    assert summary is not None and summary.select("li")
    assert "at least 5 are needed" in summary.get_text()  # the dataset's own report
    assert f"Training usually takes {duration}" in page_text(
        live_client, model_page(project_id, model["id"])
    )


def test_starting_is_sent_once_whatever_is_replayed_and_then_followed(
    live_app, live_client, fake_api, bria, dataset
):
    model = model_at(bria, dataset[1])
    page = model_page(dataset[0], model["id"], "/start")
    html = live_client.get(page).get_data(as_text=True)
    form = {i["name"]: i.get("value", "") for i in soup(html).select("input[type=hidden]")}

    first = live_client.post(page, data=form)
    assert first.status_code == 303
    assert first.headers["Location"] == model_page(dataset[0], model["id"])
    text = main_text(follow(live_client, first).get_data(as_text=True))
    again = live_client.post(page, data=form)

    assert again.status_code in (303, 409)  # its replay, or "already started"
    assert "Nothing was sent to Bria" in main_text(again.get_data(as_text=True))
    assert len(posts_to(fake_api, "/start_training")) == 1
    assert follower_rows(live_app) == [f"follow:model:{model['id']}"]
    assert "Training started. It usually takes 1 to 6 hours" in text
    assert "Training for" in text and "Stop the training" in text
    assert ("InProgress", None) in events(live_app, model["id"])
    assert [a for a, _ in activity_of(live_app, dataset[0])] == ["model.start"]


def test_brias_412_on_start_is_explained_in_words(live_client, fake_api, bria, dataset):
    model = model_at(bria, dataset[1])
    fake_api.fake.answer_for(
        "/start_training", Scripted(412, {"error": {"message": "Dataset not completed"}})
    )
    answer = start(live_client, dataset[0], model["id"])
    assert answer.status_code == 409
    text = main_text(answer.get_data(as_text=True))
    assert "Bria says the dataset is not completed, so nothing was started." in text
    assert "Complete the dataset first" in text


def test_brias_409_on_start_says_it_had_started_already(
    live_app, live_client, fake_api, bria, dataset
):
    model = model_at(bria, dataset[1])
    page = model_page(dataset[0], model["id"], "/start")
    html = live_client.get(page).get_data(as_text=True)  # the app saw it not started
    start_at(bria, model["id"])  # someone started it in Bria's console meanwhile
    form = {i["name"]: i.get("value", "") for i in soup(html).select("input[type=hidden]")}

    answer = live_client.post(page, data=form)

    assert answer.status_code == 409
    assert "This model's training has already been started, so nothing more was sent." in (
        main_text(answer.get_data(as_text=True))
    )
    assert len(posts_to(fake_api, "/start_training")) == 1  # the app's (the console's is not HTTP)
    assert activity_of(live_app, dataset[0]) == []


def test_a_model_already_training_is_not_offered_a_start(live_client, fake_api, bria, dataset):
    model = model_at(bria, dataset[1], status="InProgress")
    page = model_page(dataset[0], model["id"], "/start")
    shown = live_client.get(page).get_data(as_text=True)
    assert soup(shown).select("main form") == []
    answer = live_client.post(page, data={**csrf(live_client, dataset[0]), "submission_id": "x"})
    assert answer.status_code == 409
    text = main_text(answer.get_data(as_text=True))
    assert "This model’s training has already started" in text and "Nothing was sent" in text
    assert posts_to(fake_api, "/start_training") == []


# -- stopping it -------------------------------------------------------------------------


def test_stopping_is_confirmed_sent_once_and_the_timeline_shows_stopping_then_stopped(
    live_app, live_client, fake_api, bria, dataset
):
    model = model_at(bria, dataset[1])
    start(live_client, dataset[0], model["id"])
    page = model_page(dataset[0], model["id"], "/stop")
    confirm = live_client.get(page).get_data(as_text=True)
    assert "This cannot be undone." in main_text(confirm)
    assert "copy the dataset" in main_text(confirm)
    form = {i["name"]: i.get("value", "") for i in soup(confirm).select("input[type=hidden]")}

    first = live_client.post(page, data=form)
    assert first.status_code == 303
    text = main_text(follow(live_client, first).get_data(as_text=True))
    live_client.post(page, data=form)

    assert len(posts_to(fake_api, "/stop_training")) == 1
    assert bria.model_endpoints.models.get(model["id"])["status"] == "Stopping"
    assert "Bria is stopping the training." in text
    assert "Asked to stop" in text

    set_status(bria, model["id"], "Stopped")  # Bria's few seconds have passed
    assert run_follower(live_app, model["id"]).state == "done"
    shown = page_text(live_client, model_page(dataset[0], model["id"]))
    assert "Stopped: it cannot be resumed" in shown
    assert shown.index("Asked to stop") < shown.index("Training stopped")
    assert [s for s, _ in events(live_app, model["id"])] == [
        "Created",
        "InProgress",
        "Stopping",
        "Stopped",
    ]
    assert [a for a, _ in activity_of(live_app, dataset[0])] == ["model.stop", "model.start"]


def test_brias_409_on_stop_says_it_is_not_training_any_more(live_client, fake_api, bria, dataset):
    model = model_at(bria, dataset[1], status="InProgress")
    fake_api.fake.answer_for(
        "/stop_training", Scripted(409, {"error": {"message": "Training already stopped"}})
    )
    answer = stop(live_client, dataset[0], model["id"])
    assert answer.status_code == 409
    said = "This model is not training any more (it ended or was stopped), so nothing was sent."
    assert said in main_text(answer.get_data(as_text=True))


def test_a_model_not_training_is_not_offered_a_stop(live_client, fake_api, bria, dataset):
    model = model_at(bria, dataset[1], status="Completed")
    page = model_page(dataset[0], model["id"], "/stop")
    assert soup(live_client.get(page).get_data(as_text=True)).select("main form") == []
    answer = live_client.post(page, data={**csrf(live_client, dataset[0]), "submission_id": "x"})
    assert answer.status_code == 409
    assert "This model is not training" in main_text(answer.get_data(as_text=True))
    assert posts_to(fake_api, "/stop_training") == []


# -- the model's page --------------------------------------------------------------------


@pytest.mark.parametrize("status", ["Queued", "", "Training… 40%", "<b>odd</b>"])
def test_a_status_the_app_does_not_know_is_shown_as_bria_says_it(
    live_client, bria, dataset, status
):
    model = model_at(bria, dataset[1], name="Odd one")
    set_status(bria, model["id"], status)

    answer = live_client.get(model_page(dataset[0], model["id"]))
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert f"Bria reports “{status}”" in main_text(html)
    assert "<b>odd</b>" not in html
    live = live_client.get(model_page(dataset[0], model["id"], "/live.json")).get_json()
    assert live["status"] == status and live["words"] == f"Bria reports “{status}”"
    for page in (f"/projects/{dataset[0]}", f"/projects/{dataset[0]}/datasets/{dataset[1]}"):
        assert f"Bria reports “{status}”" in page_text(live_client, page)


def test_models_made_elsewhere_show_on_their_dataset_and_project_pages(
    live_app, live_client, bria, dataset
):
    other = bria.datasets.add(dataset[0], name="Other", status="completed")
    mine = model_at(bria, dataset[1], name="Mine", status="InProgress")
    theirs = model_at(bria, other["id"], name="Theirs")

    project = soup(live_client.get(f"/projects/{dataset[0]}").get_data(as_text=True))
    on_dataset = soup(
        live_client.get(f"/projects/{dataset[0]}/datasets/{dataset[1]}").get_data(as_text=True)
    )

    def rows(page) -> list[list[str]]:
        return [
            [cell.get_text(" ", strip=True) for cell in row.select("th, td")][:2]
            for row in page.select("table.model-table tbody tr")
        ]

    assert rows(project) == [["Theirs", "Not trained yet"], ["Mine", "Training"]]
    assert rows(on_dataset) == [["Mine", "Training"]]
    assert "Make a model from this dataset" in on_dataset.get_text()
    assert follower_rows(live_app) == [f"follow:model:{mine['id']}"]  # the one in training
    assert theirs["id"] != mine["id"]


def test_a_model_of_another_project_is_not_found(live_client, bria, dataset):
    model = model_at(bria, dataset[1])
    other = bria.projects.add(project_name="Other")
    assert live_client.get(model_page(other["id"], model["id"])).status_code == 404
    assert live_client.get(model_page(dataset[0], 9999)).status_code == 404


def test_the_page_shows_a_status_at_most_30_seconds_old(
    live_app, live_client, fake_api, bria, dataset
):
    model = model_at(bria, dataset[1], status="InProgress")
    url = model_page(dataset[0], model["id"])
    assert "Training" in page_text(live_client, url)
    reads = len(model_gets(fake_api, model["id"]))

    set_status(bria, model["id"], "Completed")
    age_reads(live_app, 29)
    assert "Trained: ready to generate images" not in page_text(live_client, url)
    assert len(model_gets(fake_api, model["id"])) == reads  # read 29 s ago: still fresh

    age_reads(live_app, 2)
    assert "Trained: ready to generate images" in page_text(live_client, url)
    assert len(model_gets(fake_api, model["id"])) == reads + 1


@pytest.mark.parametrize(
    "scripted",
    [
        Scripted(500, "<html>oops</html>", "text/html"),
        Scripted(drop=True),
        Scripted(429, {"error": {"message": "Too many"}}, headers={"Retry-After": "20"}),
    ],
)
def test_when_bria_fails_the_page_says_how_old_its_status_is(
    live_app, live_client, fake_api, bria, dataset, scripted
):
    model = model_at(bria, dataset[1], status="InProgress")
    url = model_page(dataset[0], model["id"])
    page_text(live_client, url)
    age_reads(live_app, 300)
    fake_api.fake.answer_for(f"/models/{model['id']}", scripted)

    answer = live_client.get(url)

    assert answer.status_code == 200
    text = main_text(answer.get_data(as_text=True))
    assert "This was read from Bria 5 minutes ago." in text
    assert "Read from Bria 5 minutes ago." in text
    assert "Training" in text
    live = live_client.get(model_page(dataset[0], model["id"], "/live.json")).get_json()
    assert live["stale"] is True and live["read"] == "Read from Bria 5 minutes ago."


def test_a_model_never_read_that_bria_cannot_give_says_why(live_client, fake_api, bria, dataset):
    model = model_at(bria, dataset[1])
    fake_api.fake.answer_for(f"/models/{model['id']}", Scripted(503, "down", "text/plain"))
    answer = live_client.get(model_page(dataset[0], model["id"]))
    assert answer.status_code == 502
    assert "model" in main_text(answer.get_data(as_text=True))


def test_the_live_state_gives_status_timeline_and_progress(live_app, live_client, bria, dataset):
    model = model_at(bria, dataset[1])
    start(live_client, dataset[0], model["id"])

    answer = live_client.get(model_page(dataset[0], model["id"], "/live.json"))

    assert answer.headers["Cache-Control"] == "no-store"
    live = answer.get_json()
    assert live["status"] == "InProgress" and live["training"] is True
    assert live["words"] == "Training" and live["stale"] is False
    assert live["progress"].startswith("Training for ")
    assert [e["words"] for e in live["timeline"]] == ["Training started"]
    assert live["timeline"][0]["iso"].endswith("Z") or "+" in live["timeline"][0]["iso"]
    assert live["gallery"] == []


def test_an_expert_models_checkpoints_are_listed(live_client, bria, dataset):
    model = model_at(
        bria,
        dataset[1],
        training_mode="expert",
        status="Completed",
        checkpoint_steps=["750", "500"],
        active_model_version="750",
    )
    text = page_text(live_client, model_page(dataset[0], model["id"]))
    assert "After 750 steps (the one Bria uses)" in text and "After 500 steps" in text
    assert "Its API has no way to pick another one" in text


def test_the_timeline_names_who_did_each_step(live_app, live_client, bria, dataset):
    live_app.config["TESTING"] = True
    model_id = model_id_in(new_model(live_client, *dataset, name="Named"))
    with live_client.session_transaction() as session:
        session["display_name"] = "Dana"
    start(live_client, dataset[0], model_id)
    text = page_text(live_client, model_page(dataset[0], model_id))
    assert "Training started by Dana" in text
    assert json.dumps(events(live_app, model_id)) == json.dumps(
        [["Created", None], ["InProgress", "Dana"]]
    )


@pytest.mark.parametrize(
    "scripted",
    [
        Scripted(500, "<html>oops</html>", "text/html"),
        Scripted(drop=True),
        Scripted(200, {"not": "a list"}),
        Scripted(404, {"error": {"message": "Not found"}}),
    ],
)
def test_a_project_page_whose_models_cannot_be_read_still_shows_and_says_so(
    live_client, fake_api, bria, dataset, scripted
):
    model_at(bria, dataset[1], name="Hidden")
    fake_api.fake.answer_for(f"/projects/{dataset[0]}/models", scripted)
    for page in (f"/projects/{dataset[0]}", f"/projects/{dataset[0]}/datasets/{dataset[1]}"):
        answer = live_client.get(page)
        assert answer.status_code == 200, page
        text = main_text(answer.get_data(as_text=True))
        assert "Models" in text and "Hidden" not in text


@pytest.mark.parametrize(
    ("scripted", "start_words", "stop_words"),
    [
        (
            Scripted(500, {"error": {"message": "Internal error"}}),
            "Bria did not confirm whether the training started.",
            "Bria did not confirm whether it stopped.",
        ),
        (
            Scripted(drop=True),
            "Bria did not confirm whether the training started.",
            "Bria did not confirm whether it stopped.",
        ),
        (
            Scripted(429, "Too many requests", "text/plain", headers={"Retry-After": "40"}),
            "its plan allows for now, so the training did not start",
            "its plan allows for now, so the training was not stopped",
        ),
    ],
)
def test_a_start_or_stop_bria_did_not_confirm_is_said_and_not_sent_again(
    live_client, fake_api, bria, dataset, scripted, start_words, stop_words
):
    created = model_at(bria, dataset[1], name="Created")
    training = model_at(bria, dataset[1], name="Training", status="InProgress")
    pages = [
        model_page(dataset[0], created["id"], "/start"),
        model_page(dataset[0], training["id"], "/stop"),
    ]
    # Both confirmations are open before Bria answers (a 429 pauses every request).
    forms = [hidden_inputs(live_client.get(page).get_data(as_text=True)) for page in pages]
    fake_api.fake.answer_for("/start_training", scripted)
    fake_api.fake.answer_for("/stop_training", scripted)

    started, stopped = (live_client.post(p, data=f) for p, f in zip(pages, forms, strict=True))

    assert started.status_code == stopped.status_code == 409
    assert start_words in main_text(started.get_data(as_text=True))
    assert stop_words in main_text(stopped.get_data(as_text=True))
    assert len(posts_to(fake_api, "/start_training")) == 1
    # After a 429 Bria is asked nothing more until the pause it asked for is over.
    paused = scripted.status == 429
    assert len(posts_to(fake_api, "/stop_training")) == (0 if paused else 1)
