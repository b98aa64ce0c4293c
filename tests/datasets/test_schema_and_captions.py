"""The visual schema (picked, made in a job, read and edited as fields, saved), captions
(edited, checked before sending, regenerated one or all), find and replace with its
preview and undo, and the health report, in sandbox mode through the pages."""

from __future__ import annotations

import json

import pytest

from tests.images import pictures
from tests.images.flows import (
    add_files,
    image_at,
    make_due,
    open_keys,
    page_of,
    run_jobs,
    services,
)
from tests.support.pages import hidden_inputs, main_text, soup
from webapp.bria.errors import BriaRefused
from webapp.catalog.datasets import DatasetRecords
from webapp.rules.datasets import schema_keys

SCHEMA = json.dumps({"style": "flat colours", "palette": "warm reds", "subject": "a fox"})
IMAGES = "/tailored-gen/datasets/{}/images"


def flashed(html: str) -> list[str]:
    return [p.get_text() for p in soup(html).select(".notification p")]


def fields_of(html: str, selector: str = "form") -> dict[str, str]:
    """What a form would send as it is shown: hidden inputs and every textarea."""
    form = soup(html).select_one(selector)
    sent = {str(t["name"]): str(t.get("value", "")) for t in form.select("input[type=hidden]")}
    sent.update({str(t["name"]): t.get_text() for t in form.select("textarea[name]")})
    return sent


def labels(html: str, selector: str = "form") -> list[str]:
    form = soup(html).select_one(selector)
    return [tag.get_text() for tag in form.select("label.label") if tag["for"] != "raw"]


@pytest.fixture
def dataset(sandbox) -> tuple[int, int]:
    project = sandbox.projects.add(project_name="Lora")
    return project["id"], sandbox.datasets.add(project["id"], name="Foxes")["id"]


@pytest.fixture
def captioned(sandbox, dataset) -> tuple[int, int, list[dict]]:
    """A draft with a saved schema and three images captioned from it."""
    project_id, dataset_id = dataset
    sandbox.datasets.update(dataset_id, {"visual_schema": SCHEMA})
    images = [image_at(sandbox, dataset_id, seed) for seed in range(3)]
    assert all(list(json.loads(i["caption"])) == ["style", "palette", "subject"] for i in images)
    return project_id, dataset_id, images


# -- the visual schema ----------------------------------------------------------------------------


def test_a_schema_is_made_from_a_picked_spread_then_edited_as_fields_and_saved(
    app, client, sandbox, sent, dataset
):
    project_id, dataset_id = dataset
    files = [(f"fox-{seed}.png", pictures.picture(seed)) for seed in range(12)]
    add_files(client, project_id, dataset_id, files)
    run_jobs(app)
    url = page_of(project_id, dataset_id, "/schema")
    page = client.get(url).get_data(as_text=True)
    picked = [str(tag["value"]) for tag in soup(page).select("input[name=picked][checked]")]
    assert len(picked) == 8  # a spread, within 5 to 10
    assert len(soup(page).select("input[name=picked]")) == 12

    made = client.post(url, data={**hidden_inputs(page), "action": "make", "picked": picked})
    page = client.get(made.headers["Location"]).get_data(as_text=True)
    assert flashed(page) == ["Bria is making the visual schema from the images you picked."]
    assert "Bria is making the visual schema from 8 images." in main_text(page)
    sent.clear()
    assert [key.split(":")[0] for key in run_jobs(app)] == ["schema"]
    [(_, path, body)] = sent.calls
    assert path == "/tailored-gen/generate_visual_schema"
    addresses = json.loads(body)["images"]
    by_id = {str(i["id"]): i["image_url"] for i in sandbox.images.of_dataset(dataset_id)}
    assert addresses == [by_id[image_id] for image_id in picked]

    page = client.get(url).get_data(as_text=True)
    assert soup(page).select_one("h2").get_text() == "Not saved yet"
    assert (
        labels(page, "form.schema-form")
        == [
            "Style",
            "Palette",
            "Lighting",
            "Composition",
            "Subject",
            "JSON",
        ][:5]
    )
    form = fields_of(page, "form.schema-form")
    made_schema = json.loads(form["raw"])
    assert list(made_schema) == ["style", "palette", "lighting", "composition", "subject"]

    # Edit one field and keep it: nothing is sent.
    sent.clear()
    kept = client.post(url, data={**form, "part-0": "watercolour wash", "action": "keep"})
    page = client.get(kept.headers["Location"]).get_data(as_text=True)
    assert flashed(page) == [
        "Your changes are kept here. They are not at Bria until you save them."
    ]
    assert sent.changes() == []
    form = fields_of(page, "form.schema-form")
    assert form["part-0"] == "watercolour wash"

    # Edit another and save: the schema Bria gets has both.
    saved = client.post(url, data={**form, "part-4": "a red fox", "action": "save"})
    assert saved.headers["Location"] == page_of(project_id, dataset_id) + "#captions"
    assert flashed(client.get(saved.headers["Location"]).get_data(as_text=True)) == [
        "The visual schema is saved. Captions written before it do not follow it: regenerate "
        "every caption below."
    ]
    expected = {**made_schema, "style": "watercolour wash", "subject": "a red fox"}
    [(_, path, body)] = sent.of("PUT")
    assert path == f"/tailored-gen/datasets/{dataset_id}"
    assert json.loads(json.loads(body)["visual_schema"]) == expected
    assert json.loads(sandbox.datasets.get(dataset_id)["visual_schema"]) == expected
    page = client.get(url).get_data(as_text=True)
    assert soup(page).select_one("h2").get_text() == "Saved at Bria"


def test_the_schemas_json_can_be_edited_instead_of_its_fields(client, sandbox, sent, captioned):
    project_id, dataset_id, _ = captioned
    url = page_of(project_id, dataset_id, "/schema")
    form = fields_of(client.get(url).get_data(as_text=True), "form.schema-form")
    written = json.dumps({"style": "ink", "mood": "calm"})
    answer = client.post(url, data={**form, "raw": written, "action": "save"})
    assert answer.status_code == 303
    [(_, _, body)] = sent.of("PUT")
    assert json.loads(body) == {"visual_schema": written}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            '{"style": "ink",}',
            "The visual schema is not valid JSON: expecting property name enclosed in double "
            "quotes (line 1, character 17)",
        ),
        ("[1, 2]", 'The visual schema must be a JSON object with named parts, like {"style": "…"}'),
    ],
)
def test_a_schema_that_is_not_a_json_object_is_refused_before_sending(
    client, sandbox, sent, captioned, raw, message
):
    project_id, dataset_id, _ = captioned
    url = page_of(project_id, dataset_id, "/schema")
    form = fields_of(client.get(url).get_data(as_text=True), "form.schema-form")
    answer = client.post(url, data={**form, "raw": raw, "action": "save"})
    assert flashed(client.get(answer.headers["Location"]).get_data(as_text=True)) == [message]
    assert sent.changes() == []
    assert sandbox.datasets.get(dataset_id)["visual_schema"] == SCHEMA


def test_a_schema_needs_five_to_ten_picked_images(app, client, sent, captioned):
    project_id, dataset_id, images = captioned
    url = page_of(project_id, dataset_id, "/schema")
    page = client.get(url).get_data(as_text=True)
    assert "the dataset has 3 at Bria" in main_text(page)
    picked = [str(i["id"]) for i in images]
    answer = client.post(url, data={**hidden_inputs(page), "action": "make", "picked": picked})
    assert flashed(client.get(answer.headers["Location"]).get_data(as_text=True)) == [
        "Pick 5 to 10 images: 3 are picked."
    ]
    assert open_keys(app, "schema:") == [] and sent.changes() == []


# -- captions -------------------------------------------------------------------------------------


def caption_url(project_id: int, dataset_id: int, image_id: int) -> str:
    return page_of(project_id, dataset_id, f"/images/{image_id}/caption")


def error_said(html: str) -> str:
    tag = soup(html).select_one("#caption-error")
    tag.select_one(".visually-hidden").extract()
    return " ".join(tag.get_text().split())


def test_a_caption_is_shown_as_fields_and_a_field_edit_is_sent(client, sandbox, sent, captioned):
    project_id, dataset_id, images = captioned
    image = images[0]
    url = caption_url(project_id, dataset_id, image["id"])
    page = client.get(url).get_data(as_text=True)
    assert labels(page) == ["Style", "Palette", "Subject"]
    form = fields_of(page)
    answer = client.post(url, data={**form, "part-2": "a fox in the snow", "action": "save"})
    assert answer.status_code == 303
    assert answer.headers["Location"] == page_of(project_id, dataset_id) + f"#image-{image['id']}"
    assert flashed(client.get(answer.headers["Location"]).get_data(as_text=True)) == [
        "Caption saved."
    ]
    expected = {**json.loads(image["caption"]), "subject": "a fox in the snow"}
    [(_, path, body)] = sent.of("PUT")
    assert path == IMAGES.format(dataset_id) + f"/{image['id']}"
    assert json.loads(json.loads(body)["caption"]) == expected
    kept = sandbox.images.get(image["id"])
    assert (json.loads(kept["caption"]), kept["caption_source"]) == (expected, "manual")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            '{"style": "ink" "palette": "cold"}',
            "The caption is not valid JSON: expecting ',' delimiter (line 1, character 17)",
        ),
        (
            "a fox in the snow",
            "The caption is not valid JSON: expecting value (line 1, character 1)",
        ),
        (
            '{"style": "ink", "palette": "cold", "subject": "fox", "mood": "calm"}',
            "The caption has the part “mood” that the visual schema does not: use only the parts "
            "“style”, “palette” and “subject”",
        ),
        (
            '{"style": "ink", "palette": "cold"}',
            "The caption lacks the part “subject” from the visual schema",
        ),
    ],
    ids=["broken-json", "plain-words", "unknown-part", "missing-part"],
)
def test_a_caption_that_breaks_is_refused_with_where_before_sending(
    client, sandbox, sent, captioned, raw, message
):
    project_id, dataset_id, images = captioned
    url = caption_url(project_id, dataset_id, images[0]["id"])
    form = fields_of(client.get(url).get_data(as_text=True))
    answer = client.post(url, data={**form, "raw": raw, "action": "save"})
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert error_said(html) == message
    shown = soup(html).select_one("textarea[name=raw]").get_text().strip()  # kept, as typed
    assert shown == raw or json.loads(shown) == json.loads(raw)
    assert sent.changes() == []
    assert sandbox.images.get(images[0]["id"])["caption"] == images[0]["caption"]


def test_one_caption_is_written_again_by_bria(client, sandbox, sent, captioned):
    project_id, dataset_id, images = captioned
    image = images[1]
    sandbox.images.update(image["id"], {"caption": json.dumps({"style": "x"})})
    url = caption_url(project_id, dataset_id, image["id"])
    form = fields_of(client.get(url).get_data(as_text=True))
    answer = client.post(url, data={**form, "action": "regenerate"})
    assert flashed(client.get(answer.headers["Location"]).get_data(as_text=True)) == [
        "Bria wrote the caption again."
    ]
    assert [json.loads(body) for _, _, body in sent.of("PUT")] == [{"regenerate_caption": True}]
    assert list(json.loads(sandbox.images.get(image["id"])["caption"])) == [
        "style",
        "palette",
        "subject",
    ]


def test_a_completed_datasets_captions_cannot_change(client, sandbox, sent, captioned):
    project_id, dataset_id, images = captioned
    url = caption_url(project_id, dataset_id, images[0]["id"])
    form = fields_of(client.get(url).get_data(as_text=True))
    sandbox.datasets.update(dataset_id, {"status": "completed"})
    services(client.application).get(DatasetRecords).dataset(dataset_id, fresh=True)
    answer = client.post(url, data={**form, "part-0": "ink", "action": "save"})
    assert answer.status_code == 409
    assert error_said(answer.get_data(as_text=True)) == (
        "The dataset is completed: its captions cannot change."
    )
    assert sent.changes() == []


def test_every_caption_is_written_again_and_the_page_follows(app, client, sandbox, sent, captioned):
    project_id, dataset_id, images = captioned
    for image in images:
        sandbox.images.update(image["id"], {"caption": None})
    sandbox.dataset_endpoints.captions_seconds = 3600
    page = client.get(page_of(project_id, dataset_id)).get_data(as_text=True)
    [regenerate] = [
        f for f in soup(page).select("#captions form") if f["action"].endswith("/regenerate")
    ]
    answer = client.post(regenerate["action"], data=hidden_inputs(str(regenerate)))
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Bria is writing every caption again. This page shows its progress." in flashed(page)
    assert "Bria is writing every caption again. This page shows what it has written so far" in (
        main_text(page)
    )
    assert sent.of("PUT", IMAGES.format(dataset_id)) == [("PUT", IMAGES.format(dataset_id), None)]
    [follower] = open_keys(app, "captions:")
    run_jobs(app, "captions:")  # Bria is still writing: the follower looks again later
    assert open_keys(app, "captions:") == []

    sandbox.dataset_endpoints.captions_seconds = 0
    sandbox.datasets.update(dataset_id, {"_ready_at": 0})
    make_due(app, follower)
    run_jobs(app, "captions:")
    assert app.extensions["webapp"].jobs.queue.get(follower).state == "done"
    page = client.get(page_of(project_id, dataset_id)).get_data(as_text=True)
    assert "Bria writes each image's caption from the visual schema." in main_text(page)
    assert "No caption yet." not in main_text(page)
    captions = [c.get_text(" ") for c in soup(page).select(".caption-details dl")]
    assert len(captions) == 3 and all("Subject" in c for c in captions)


# -- find and replace -----------------------------------------------------------------------------


def test_find_and_replace_previews_every_change_sends_each_once_and_undoes(
    app, client, sandbox, sent, captioned
):
    project_id, dataset_id, images = captioned
    subjects = ["a fox at dawn", "two foxes", "an owl"]
    for image, subject in zip(images, subjects, strict=True):
        caption = json.dumps({"style": "ink", "palette": "grey", "subject": subject})
        image.update(sandbox.images.update(image["id"], {"caption": caption}))
    url = page_of(project_id, dataset_id, "/captions/replace")
    page = client.get(url).get_data(as_text=True)
    preview = client.post(url, data={**hidden_inputs(page), "find": "fox", "replace": "wolf"})
    html = preview.get_data(as_text=True)
    assert soup(html).select_one("h2").get_text() == "2 captions would change"
    rows = [
        [cell.get_text() for cell in row.select("th, td")] for row in soup(html).select("tbody tr")
    ]
    assert rows == [
        [
            images[0]["image_name"],
            images[0]["caption"],
            images[0]["caption"].replace("fox", "wolf"),
        ],
        [
            images[1]["image_name"],
            images[1]["caption"],
            images[1]["caption"].replace("fox", "wolf"),
        ],
    ]
    assert sent.changes() == []

    confirm = client.post(
        url, data={**hidden_inputs(page), "find": "fox", "replace": "wolf", "action": "confirm"}
    )
    assert flashed(client.get(confirm.headers["Location"]).get_data(as_text=True)) == [
        "2 captions are being changed at Bria."
    ]
    assert sorted(key.rsplit(":", 1)[1] for key in open_keys(app, "caption:")) == sorted(
        str(i["id"]) for i in images[:2]
    )
    run_jobs(app, "caption:")
    puts = sent.of("PUT")
    assert sorted(path for _, path, _ in puts) == sorted(
        IMAGES.format(dataset_id) + f"/{i['id']}" for i in images[:2]
    )
    for image in images[:2]:
        assert sandbox.images.get(image["id"])["caption"] == image["caption"].replace("fox", "wolf")
    assert sandbox.images.get(images[2]["id"])["caption"] == images[2]["caption"]
    page = client.get(url).get_data(as_text=True)
    assert "Last change: “fox” replaced with “wolf”, 2 captions: 2 of 2 done at Bria." in (
        main_text(page)
    )

    sent.clear()
    [undo] = [f for f in soup(page).select("form") if f.get("action", "").endswith("/undo")]
    client.post(undo["action"], data=hidden_inputs(str(undo)))
    run_jobs(app, "caption:")
    assert len(sent.of("PUT")) == 2
    for image in images[:2]:
        assert sandbox.images.get(image["id"])["caption"] == image["caption"]
    page = client.get(url).get_data(as_text=True)
    assert soup(page).select("form[action$='/undo']") == []  # an undo is not undone
    again = client.post(undo["action"], data=hidden_inputs(str(undo)))
    assert flashed(client.get(again.headers["Location"]).get_data(as_text=True)) == [
        "There is no change to undo."
    ]


def test_a_replacement_that_would_break_a_caption_is_shown_and_not_sent(
    app, client, sandbox, sent, captioned
):
    project_id, dataset_id, _ = captioned
    url = page_of(project_id, dataset_id, "/captions/replace")
    page = client.get(url).get_data(as_text=True)
    data = {**hidden_inputs(page), "find": '"subject"', "replace": '"topic"'}
    html = client.post(url, data=data).get_data(as_text=True)
    problems = [p.get_text() for p in soup(html).select("tbody .error-message")]
    assert (
        problems
        == [
            "Not changed: The caption has the part “topic” that the visual schema does not: use "
            "only the parts “style”, “palette” and “subject”"
        ]
        * 3
    )
    client.post(url, data={**data, "action": "confirm"})
    assert run_jobs(app, "caption:") == []
    assert sent.changes() == []


# -- the health report ----------------------------------------------------------------------------


def test_the_health_report_says_each_finding_in_words(app, client, sandbox, dataset):
    project_id, dataset_id = dataset
    files = [
        ("square-1.png", pictures.picture(1)),
        ("square-2.png", pictures.picture(2)),
        ("square-2 again.png", pictures.near_copy(2)),
        ("small.png", pictures.picture(4, size=(512, 512))),
        ("clear.png", pictures.picture(5, mode="RGBA")),
        ("panorama.png", pictures.picture(6, size=(3000, 1024))),
        ("pink.png", pictures.solid(pictures.MAGENTA)),
    ]
    add_files(client, project_id, dataset_id, files)
    run_jobs(app)
    page = client.get(page_of(project_id, dataset_id, "/health")).get_data(as_text=True)
    assert [li.get_text() for li in soup(page).select(".health-summary li")] == [
        "6 images at Bria: within the 5 to 50 Bria recommends.",
        "1 will be upscaled by Bria (under 1024 pixels).",
        "1 has transparent areas, which become black.",
        "1 group of images looks almost the same.",
        "1 has a shape far from the rest.",
        "6 have no caption yet.",
        "Bria refused 1.",
    ]
    sections = {
        h2.get_text(): [li.get_text() for li in h2.find_next("ul").select("li")]
        for h2 in soup(page).select("main h2")
    }
    assert sections["Images that look almost the same"] == ["square-2 again.png", "square-2.png"]
    assert sections["Will be upscaled by Bria"] == ["small.png"]
    assert sections["Transparent areas"] == ["clear.png"]
    assert sections["Shapes far from the rest"] == ["panorama.png"]
    assert sections["Refused by Bria"] == [
        "pink.png: Bria did not take it: the image did not pass its content checks. It said: "
        "“The image did not pass content moderation”."
    ]
    assert len(sections["No caption yet"]) == 6


def test_the_health_report_counts_against_five_and_two_hundred(app, client, sandbox, dataset):
    project_id, dataset_id = dataset
    for seed in range(3):
        image_at(sandbox, dataset_id, seed)
    page = client.get(page_of(project_id, dataset_id, "/health")).get_data(as_text=True)
    summary = [li.get_text() for li in soup(page).select(".health-summary li")]
    assert summary[0] == "3 images at Bria: at least 5 are needed to complete it."
    assert schema_keys(SCHEMA) == ["style", "palette", "subject"]


def test_near_copies_with_the_same_name_are_one_group(app, client, sandbox, dataset):
    # Two cameras, two photos called IMG_0001.jpg that look alike: one group of two.
    project_id, dataset_id = dataset
    add_files(client, project_id, dataset_id, [("IMG_0001.jpg", pictures.picture(8, "JPEG"))])
    add_files(client, project_id, dataset_id, [("IMG_0001.jpg", pictures.near_copy(8, "JPEG"))])
    add_files(client, project_id, dataset_id, [("other.jpg", pictures.picture(9, "JPEG"))])
    run_jobs(app)
    page = client.get(page_of(project_id, dataset_id, "/health")).get_data(as_text=True)
    assert "1 group of images looks almost the same." in [
        li.get_text() for li in soup(page).select(".health-summary li")
    ]
    [group] = soup(page).select(".alike-group")
    assert [li.get_text() for li in group.select("li")] == ["IMG_0001.jpg", "IMG_0001.jpg"]


@pytest.mark.parametrize(
    ("error", "state", "words"),
    [
        (
            BriaRefused("rate_limited", "Too many requests", 429, retry_after=40.0),
            "waiting",
            "Bria asked to slow down",
        ),
        (
            BriaRefused("conflict", "Cannot change images of a completed dataset", 409),
            "failed",
            "Bria did not do it. It said: “Cannot change images of a completed dataset”.",
        ),
    ],
    ids=["429", "409"],
)
def test_a_caption_change_bria_refuses_waits_or_ends_in_words(
    app, client, sandbox, captioned, monkeypatch, error, state, words
):
    project_id, dataset_id, _ = captioned
    url = page_of(project_id, dataset_id, "/captions/replace")
    page = client.get(url).get_data(as_text=True)
    data = {**hidden_inputs(page), "find": "toned", "replace": "tinted", "action": "confirm"}
    client.post(url, data=data)
    keys = open_keys(app, "caption:")
    assert len(keys) == 3

    def refuse(*args, **kwargs):
        raise error

    monkeypatch.setattr(services(app).bria.images, "set_caption", refuse)
    services(app).jobs.run(keys[0])
    work = services(app).jobs.queue.get(keys[0])
    assert (work.state, work.last_error) == (state, words)
    if state == "waiting":  # not a failed attempt: it waits as long as Bria asked
        assert work.attempts == 0
        assert 30 <= work.not_before - services(app).jobs.queue.now() <= 41
