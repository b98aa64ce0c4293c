"""Trying a trained model against the fake API over real HTTP: the prompt is checked before
it is sent, sent once per form, followed until Bria has made the image, which the app
fetches (without the token) and keeps; every way Bria may answer is said in words."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from tests.conftest import TOKEN, dispose, make_app
from tests.support.fake_api import FakeBriaServer, Scripted
from tests.support.jobs import consumer_running
from tests.support.pages import field_errors, follow, main_text, soup
from tests.support.training import model_page
from tests.support.waiting import poll
from tests.training.flows import make_due, send_form, services
from webapp.database.tables import generations
from webapp.generation import service, tasks
from webapp.ledger.activity import Activity

pytestmark = pytest.mark.integration

GENERATE = "/v2/image/generate/tailored"


def ask(client, model: dict, prompt: str = "on a beach at sunset", ratio: str = "1:1"):
    return send_form(
        client,
        model_page(model["project_id"], model["id"]),
        model_page(model["project_id"], model["id"], "/generate"),
        prompt=prompt,
        aspect_ratio=ratio,
    )


def made_id_in(response) -> int:
    assert response.status_code == 303, (response.status_code, response.get_data()[:800])
    found = re.search(r"#generated-(\d+)$", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def made(app, made_id: int) -> service.Made:
    found = service.get(services(app), made_id)
    assert found is not None
    return found


def follow_image(app, made_id: int):
    """One run of the generation's follower now; its work row after."""
    key = f"generation:{made_id}"
    make_due(app, key)
    services(app).jobs.run(key)
    return services(app).jobs.queue.get(key)


def generate_posts(fake_api) -> list:
    return [r for r in fake_api.fake.received if r.method == "POST" and r.path == GENERATE]


def gallery_words(client, model: dict) -> list[str]:
    page = soup(client.get(model_page(model["project_id"], model["id"])).get_data(as_text=True))
    return [" ".join(item.get_text(" ").split()) for item in page.select(".gallery .gallery-item")]


# -- asking ---------------------------------------------------------------------------------


def test_the_prompt_form_shows_the_generation_prefix_and_the_limit(live_client, trained):
    page = live_client.get(model_page(trained["project_id"], trained["id"]))
    hint = soup(page.get_data(as_text=True)).select_one("#prompt-hint").get_text()
    hint = " ".join(hint.split())
    assert "Bria puts this project’s own words before every prompt: “Lora, purple hair”" in hint
    assert "Up to 1,000 characters." in hint
    shapes = soup(page.get_data(as_text=True)).select("select[name=aspect_ratio] option")
    assert [o["value"] for o in shapes][:2] == ["1:1", "4:5"] and len(shapes) == 9


@pytest.mark.parametrize(
    ("prompt", "ratio", "field", "message"),
    [
        ("   ", "1:1", "prompt", "Enter a prompt: what the image should show"),
        ("x" * 1001, "1:1", "prompt", "The prompt must be 1,000 characters or fewer"),
        ("a fox", "7:3", "aspect_ratio", "Select a shape from the list"),
    ],
)
def test_a_prompt_is_checked_before_anything_is_sent(
    live_client, fake_api, trained, prompt, ratio, field, message
):
    answer = ask(live_client, trained, prompt, ratio)
    assert answer.status_code == 400
    assert field_errors(answer.get_data(as_text=True))[field] == message
    assert generate_posts(fake_api) == []


def test_a_prompt_of_1000_characters_is_sent(live_client, fake_api, trained):
    made_id_in(ask(live_client, trained, "x" * 1000))
    assert len(generate_posts(fake_api)[0].body["prompt"]) == 1000


def test_one_request_per_form_whatever_is_replayed(live_app, live_client, fake_api, trained):
    page = model_page(trained["project_id"], trained["id"])
    html = live_client.get(page).get_data(as_text=True)
    form = {i["name"]: i.get("value", "") for i in soup(html).select("#try input[type=hidden]")}
    form.update(prompt="sitting on a beach", aspect_ratio="16:9")

    first = live_client.post(page + "/generate", data=form)
    second = live_client.post(page + "/generate", data=form)

    made_id = made_id_in(first)
    assert made_id_in(second) == made_id
    [sent] = generate_posts(fake_api)
    assert sent.body == {
        "tailored_model_id": str(trained["id"]),
        "prompt": "sitting on a beach",
        "aspect_ratio": "16:9",
    }
    assert sent.headers["api_token"] == TOKEN
    assert made(live_app, made_id).state == "asked"
    entries, total = services(live_app).get(Activity.of).page(trained["project_id"])
    assert total == 1 and entries[0].action == "generation.ask"
    assert entries[0].subject == "an image from model “Fox”: “sitting on a beach”"
    assert "Bria is making the image" in main_text(follow(live_client, first).get_data(True))


def test_an_image_asked_for_while_the_database_fails_is_kept_once_it_is_back(
    live_app, live_client, fake_api, trained, monkeypatch
):
    real = service.keep_asked
    failures = iter([True])

    def flaky(*fields):
        if next(failures, False):
            raise OperationalError("INSERT", {}, Exception("server closed the connection"))
        return real(*fields)

    monkeypatch.setattr(service, "keep_asked", flaky)
    answer = ask(live_client, trained)
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(model_page(trained["project_id"], trained["id"]))
    assert len(generate_posts(fake_api)) == 1
    assert service.gallery(services(live_app), trained["id"]) == []
    # What Bria needs to be followed waits on the job runner, and is kept once.
    with consumer_running(services(live_app).jobs):
        [kept] = poll(lambda: service.gallery(services(live_app), trained["id"]), 10, "the row")
    assert kept.prompt == "on a beach at sunset" and kept.state == "asked"
    assert services(live_app).jobs.queue.get(f"generation:{kept.id}") is not None
    assert len(generate_posts(fake_api)) == 1


def test_a_model_that_is_not_trained_takes_no_prompt(live_client, fake_api, bria, trained):
    bria.model_endpoints.models.update(trained["id"], {"status": "InProgress"})
    page = model_page(trained["project_id"], trained["id"])
    html = live_client.get(page).get_data(as_text=True)
    assert soup(html).select("#try") == []
    token = soup(
        live_client.get(f"/projects/{trained['project_id']}/datasets/new").get_data(True)
    ).select_one("input[name=csrf_token]")["value"]
    answer = live_client.post(
        page + "/generate", data={"csrf_token": token, "submission_id": "s", "prompt": "a fox"}
    )
    assert answer.status_code == 409
    assert "This model is not trained yet: it cannot make images." in main_text(
        answer.get_data(as_text=True)
    )
    assert generate_posts(fake_api) == []


# -- following it to the image ----------------------------------------------------------


def test_the_image_is_followed_fetched_without_the_token_and_kept(
    live_app, live_client, fake_api, bria, trained
):
    bria.generation_endpoints.seconds = 3600
    with live_client.session_transaction() as session:
        session["display_name"] = "Dana"
    made_id = made_id_in(ask(live_client, trained, "a fox on a beach", "4:5"))

    waiting = follow_image(live_app, made_id)
    assert waiting.state == "waiting" and made(live_app, made_id).state == "asked"
    assert 1.5 < waiting.not_before - services(live_app).jobs.queue.now() <= 2.0
    assert "Being made by Bria…" in " ".join(gallery_words(live_client, trained))
    live = live_client.get(model_page(trained["project_id"], trained["id"], "/live.json"))
    assert live.get_json()["gallery"][0]["state"] == "asked"

    bria.generation_endpoints.seconds = 0
    assert follow_image(live_app, made_id).state == "done"

    assert made(live_app, made_id).state == "completed"
    fetch = fake_api.fake.received[-1]
    assert fetch.method == "GET" and fetch.path.startswith("/files/generated/")
    assert "api_token" not in fetch.headers
    [item] = gallery_words(live_client, trained)
    assert "“a fox on a beach”" in item and "Dana" in item and "4:5" in item
    page = soup(live_client.get(model_page(trained["project_id"], trained["id"])).get_data(True))
    image_url = f"/projects/{trained['project_id']}/generated/{made_id}"
    assert page.select_one(f"#generated-{made_id} img")["src"] == image_url
    assert page.select_one(f"#generated-{made_id} img")["alt"] == (
        "Made from the prompt: a fox on a beach"
    )

    # Bria's address expires; the app's copy stays.
    with bria.database.write_lock, bria.database.connect() as db:
        db.execute("DELETE FROM generations")
    image = live_client.get(image_url)
    assert image.status_code == 200 and image.mimetype == "image/png"
    with Image.open(io.BytesIO(image.data)) as picture:
        assert picture.size == (409, 512)
    download = live_client.get(image_url + "?download=1")
    assert download.headers["Content-Disposition"] == (
        f'attachment; filename="model-{trained["id"]}-image-{made_id}.png"'
    )
    live = live_client.get(model_page(trained["project_id"], trained["id"], "/live.json"))
    assert live.get_json()["gallery"][0]["image"] == image_url


def test_an_image_is_shown_only_in_its_own_project_once_made(live_app, live_client, bria, trained):
    bria.generation_endpoints.seconds = 3600
    made_id = made_id_in(ask(live_client, trained))
    mine, other = trained["project_id"], trained["project_id"] + 1
    assert live_client.get(f"/projects/{mine}/generated/{made_id}").status_code == 404
    bria.generation_endpoints.seconds = 0
    follow_image(live_app, made_id)
    assert live_client.get(f"/projects/{other}/generated/{made_id}").status_code == 404
    assert live_client.get(f"/projects/{mine}/generated/{made_id}").status_code == 200


# -- what Bria answers to the prompt --------------------------------------------------------


@pytest.mark.parametrize(
    ("scripted", "words"),
    [
        (
            Scripted(422, {"error": {"message": "The prompt did not pass content moderation"}}),
            "Bria's content check refused this prompt. It said: “The prompt did not pass "
            "content moderation”. Try other words.",
        ),
        (
            Scripted(403, '"Model does not belong to organization"'),
            "Bria says this model does not belong to your organisation's account.",
        ),
        (
            Scripted(429, {"error": {"message": "Slow down"}}, headers={"Retry-After": "30"}),
            "used all the Bria requests its plan allows",
        ),
        (
            Scripted(500, "<html>Internal error</html>", "text/html"),
            "Bria did not confirm whether it took the prompt.",
        ),
        (Scripted(drop=True), "Bria did not confirm whether it took the prompt."),
        (
            Scripted(202, {"status_url": "http://x/v2/status/1"}),
            "Bria did not confirm whether it took the prompt.",
        ),
    ],
)
def test_what_bria_answers_to_the_prompt_is_said_and_nothing_is_followed(
    live_app, live_client, fake_api, trained, scripted, words
):
    fake_api.fake.answer_for(GENERATE, scripted)
    answer = ask(live_client, trained)
    assert answer.status_code == 409
    html = answer.get_data(as_text=True)
    assert words in main_text(html)
    assert len(generate_posts(fake_api)) == 1
    assert service.gallery(services(live_app), trained["id"]) == []


def test_a_prompt_bria_refuses_in_moderation_is_kept_in_the_form(live_client, trained):
    answer = ask(live_client, trained, "something forbidden here")
    assert answer.status_code == 409
    assert soup(answer.get_data(as_text=True)).select_one("textarea[name=prompt]").get_text() == (
        "something forbidden here"
    )


def test_a_status_address_on_another_host_is_never_followed(
    live_app, live_client, fake_api, trained
):
    with FakeBriaServer(TOKEN) as elsewhere:
        address = elsewhere.base_url.removesuffix("/v1") + "/v2/status/r-9"
        fake_api.fake.answer_for(
            GENERATE, Scripted(202, {"request_id": "r-9", "status_url": address})
        )
        answer = ask(live_client, trained)
        assert answer.status_code == 409
        assert elsewhere.fake.received == []
    assert service.gallery(services(live_app), trained["id"]) == []
    assert [r.path for r in fake_api.fake.received if r.path.startswith("/v2/status")] == []


def test_an_open_page_looks_when_the_next_look_is_due_not_a_tick_later(
    live_app, live_client, fake_api, bria, trained
):
    bria.generation_endpoints.seconds = 3600
    made_id = made_id_in(ask(live_client, trained))
    assert follow_image(live_app, made_id).state == "waiting"  # looked: not made yet
    live = model_page(trained["project_id"], trained["id"], "/live.json")

    def status_reads() -> int:
        return len([r for r in fake_api.fake.received if r.path.startswith("/v2/status/")])

    before = status_reads()
    assert live_client.get(live).get_json()["gallery"][0]["state"] == "asked"
    assert status_reads() == before  # not due yet: the page asks Bria nothing

    bria.generation_endpoints.seconds = 0
    make_due(live_app, f"generation:{made_id}")
    [item] = live_client.get(live).get_json()["gallery"]  # no job consumer is running
    assert (item["id"], item["state"]) == (made_id, "completed")
    assert status_reads() == before + 1
    assert services(live_app).jobs.queue.get(f"generation:{made_id}").state == "done"
    assert live_client.get(live).get_json()["gallery"][0]["state"] == "completed"
    assert status_reads() == before + 1


# -- what Bria says of it after -----------------------------------------------------------


@pytest.fixture
def asked(live_app, live_client, fake_api, trained) -> int:
    """An image asked for; Bria's status answers are the test's."""
    return made_id_in(ask(live_client, trained))


STATUS = "/v2/status/"


@pytest.mark.parametrize(
    ("answer", "state", "words"),
    [
        (
            {"status": "ERROR", "error": {"message": "The generation failed"}},
            "error",
            "Bria could not make this image: “The generation failed”.",
        ),
        ({"status": "ERROR"}, "error", "Bria could not make this image."),
        ({"status": "UNKNOWN"}, "unknown", "Bria lost track of this image: ask for it again."),
        (
            {"status": "COMPLETED", "result": {}},
            "failed",
            "Bria says the image is made but gave no address for it.",
        ),
    ],
)
def test_error_and_unknown_statuses_are_said_in_words(
    live_app, live_client, fake_api, trained, asked, answer, state, words
):
    fake_api.fake.answer_for(STATUS, Scripted(200, answer))
    assert follow_image(live_app, asked).state == "done"
    assert made(live_app, asked).state == state
    assert words in " ".join(gallery_words(live_client, trained))
    live = live_client.get(model_page(trained["project_id"], trained["id"], "/live.json"))
    assert live.get_json()["gallery"][0]["words"] == words


def test_the_sandboxs_error_prompt_ends_in_error_words(live_app, live_client, bria, trained):
    bria.generation_endpoints.seconds = 0
    made_id = made_id_in(ask(live_client, trained, "an error, please"))
    follow_image(live_app, made_id)
    assert (
        made(live_app, made_id).reason == "Bria could not make this image: “The generation failed”."
    )


def test_a_status_the_app_does_not_know_is_followed_then_said_as_bria_says_it(
    live_app, live_client, fake_api, trained, asked
):
    fake_api.fake.answer_for(STATUS, Scripted(200, {"status": "PAINTING"}))
    assert follow_image(live_app, asked).state == "waiting"
    assert made(live_app, asked).state == "asked"

    with services(live_app).engine.begin() as db:  # ten minutes later
        db.execute(update(generations).values(created_at=generations.c.created_at - 601))
    fake_api.fake.answer_for(STATUS, Scripted(200, {"status": "PAINTING"}))
    assert follow_image(live_app, asked).state == "done"
    assert made(live_app, asked).reason == "Bria reports “PAINTING”, which the app does not know."
    assert live_client.get(model_page(trained["project_id"], trained["id"])).status_code == 200


def result_at(fake_api) -> str:
    return fake_api.base_url.removesuffix("/v1") + "/files/generated/result.png"


@pytest.mark.parametrize(
    ("scripted", "words"),
    [
        (
            Scripted(200, b"<html>not a picture</html>", "image/png"),
            "Bria's result is not an image.",
        ),
        (
            Scripted(200, b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "image/png"),
            "Bria's result is not an image.",
        ),
        (
            Scripted(200, b"\0" * (60 * 2**20), "image/png"),
            "Bria made the image, but the app could not fetch it: The file is larger than 40 MB.",
        ),
        (
            Scripted(200, b"\0" * (60 * 2**20), "image/png", chunked=True),
            "Bria made the image, but the app could not fetch it: The file is larger than 40 MB.",
        ),
        (
            Scripted(404, "expired", "text/plain"),
            "Bria made the image, but the app could not fetch it: The file's address answered 404.",
        ),
    ],
)
def test_a_result_that_cannot_be_kept_is_said_in_words_and_fetched_once(
    live_app, live_client, fake_api, trained, asked, scripted, words
):
    fake_api.fake.answer_for(
        STATUS, Scripted(200, {"status": "COMPLETED", "result": {"image_url": result_at(fake_api)}})
    )
    fake_api.fake.answer_for("/files/generated/result.png", scripted)

    assert follow_image(live_app, asked).state == "failed"

    assert made(live_app, asked).state == "failed"
    assert made(live_app, asked).reason == words
    assert words in " ".join(gallery_words(live_client, trained))
    fetches = [r for r in fake_api.fake.received if r.path.startswith("/files/")]
    assert len(fetches) == 1
    assert services(live_app).get(tasks.file_store).read(tasks.key(asked)) is None


def test_a_result_address_off_brias_hosts_inside_the_network_is_not_fetched(
    live_app, fake_api, asked
):
    fake_api.fake.answer_for(
        STATUS,
        Scripted(200, {"status": "COMPLETED", "result": {"image_url": "https://10.1.2.3/r.png"}}),
    )
    assert follow_image(live_app, asked).state == "failed"
    assert made(live_app, asked).reason == (
        "Bria made the image, but the app could not fetch it: Bria gave an address inside this "
        "network."
    )


def test_a_result_cut_short_is_fetched_again(live_app, fake_api, bria, asked, no_backoff):
    bria.generation_endpoints.seconds = 0
    fake_api.fake.answer_for("/files/generated/", Scripted(200, b"\x89PNG" * 50, cut=20))
    assert follow_image(live_app, asked).state == "waiting"
    assert follow_image(live_app, asked).state == "done"
    assert made(live_app, asked).state == "completed"


@pytest.mark.parametrize(
    "scripted",
    [
        Scripted(500, {"error": {"message": "Internal"}}),
        Scripted(503, "<html>busy</html>", "text/html"),
        Scripted(drop=True),
        Scripted(200, {"status": "COMPLETED"}, cut=8),
    ],
)
def test_a_status_read_that_fails_is_tried_again(
    live_app, fake_api, bria, asked, no_backoff, scripted
):
    bria.generation_endpoints.seconds = 0
    fake_api.fake.answer_for(STATUS, scripted)
    after = follow_image(live_app, asked)
    assert after.state == "waiting" and after.attempts == 1
    assert made(live_app, asked).state == "asked"
    assert follow_image(live_app, asked).state == "done"
    assert made(live_app, asked).state == "completed"


def test_a_429_on_the_status_waits_without_failing(live_app, fake_api, asked):
    fake_api.fake.answer_for(
        STATUS, Scripted(429, {"error": {"message": "Too many"}}, headers={"Retry-After": "20"})
    )
    after = follow_image(live_app, asked)
    assert after.state == "waiting" and after.attempts == 0
    assert 10 < after.not_before - services(live_app).jobs.queue.now() <= 20
    assert made(live_app, asked).state == "asked"


def test_a_status_bria_keeps_failing_is_given_up_in_words(
    live_app, live_client, fake_api, trained, asked, no_backoff
):
    fake_api.fake.answer_for(STATUS, *[Scripted(502, "<html>down</html>", "text/html")] * 6)
    for _ in range(5):
        after = follow_image(live_app, asked)
    assert after.state == "failed"
    assert made(live_app, asked).state == "failed"
    assert made(live_app, asked).reason.startswith("Bria did not make the image.")


def test_an_unknown_request_id_is_said(live_app, fake_api, asked):
    fake_api.fake.answer_for(STATUS, Scripted(404, {"error": {"message": "No such request"}}))
    assert follow_image(live_app, asked).state == "failed"
    assert (
        made(live_app, asked).reason == "Bria did not make the image. It said: “No such request”."
    )


# -- the pace -------------------------------------------------------------------------------


@pytest.mark.parametrize(("per_minute", "seconds"), [(100_000, 2.0), (60, 2.0), (10, 12.0)])
def test_an_image_is_looked_at_every_2_seconds_or_at_the_budgets_pace(
    tmp_path, per_minute, seconds
):
    app = make_app(
        tmp_path / "instance",
        BRIA_API_TOKEN=TOKEN,
        BRIA_API_BASE_URL="https://bria.example/v1",
        BRIA_REQUESTS_PER_MINUTE=per_minute,
    )
    try:
        assert tasks.interval(services(app)) == seconds
    finally:
        dispose(app)
