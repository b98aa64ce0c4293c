"""The datasets and images client over real HTTP: the exact requests it sends, and how it
reads answers that are not in the shape it relies on."""

from __future__ import annotations

import base64
import io
import json

import pytest
from werkzeug.formparser import parse_form_data

from tests.conftest import TOKEN
from tests.images import pictures
from tests.support.bria import bria_failure, make_client
from tests.support.fake_api import Scripted
from webapp.bria.errors import BriaNotFound, BriaRefused, BriaUnconfirmed

DATASETS = "/v1/tailored-gen/datasets"


@pytest.fixture
def api_client(fake_api):
    return make_client(fake_api.base_url, timeout=2.0, connect_timeout=0.5)


@pytest.fixture
def project(fake_api):
    return fake_api.fake.add_project(project_name="Lora")


def sent(fake_api):
    return [(r.method, r.path, r.body) for r in fake_api.fake.received]


def with_images(fake_api, dataset_id: int, count: int) -> list[dict]:
    """Images put at the fake directly (not through the client under test)."""
    api = fake_api.fake.api
    made = []
    for seed in range(count):
        body = {
            "file": base64.b64encode(pictures.picture(seed, "JPEG")).decode(),
            "image_name": f"seed-{seed}.jpg",
        }
        reply = api.handle(
            "POST",
            f"{DATASETS}/{dataset_id}/images",
            {"api_token": TOKEN, "Content-Type": "application/json"},
            json.dumps(body).encode(),
        )
        assert reply.status == 201, reply.body
        made.append(reply.body)
    return made


def assert_headers(received) -> None:
    assert received.headers["api_token"] == TOKEN
    assert received.headers["Accept"] == "application/json"
    assert "Cookie" not in received.headers


# -- datasets ------------------------------------------------------------------------


def test_create_sends_project_name_and_basic_upload_without_a_version_unless_chosen(
    api_client, fake_api, project
):
    made = api_client.datasets.create(project["id"], "Summer shots", None)

    [request] = fake_api.fake.received
    assert (request.method, request.path) == ("POST", DATASETS)
    assert request.body == {
        "project_id": project["id"],
        "name": "Summer shots",
        "upload_type": "basic",
    }
    assert request.headers["Content-Type"] == "application/json"
    assert_headers(request)
    assert made["id"] == 1 and made["status"] == "draft" and made["visual_schema"] is None
    assert made["project_id"] == project["id"] and made["images_count"] == 0


def test_create_sends_the_training_version_when_one_was_chosen(api_client, fake_api, project):
    made = api_client.datasets.create(project["id"], "FIBO shots", "fibo")
    assert fake_api.fake.received[0].body == {
        "project_id": project["id"],
        "name": "FIBO shots",
        "upload_type": "basic",
        "training_version": "fibo",
    }
    assert made["training_version"] == "fibo"
    assert fake_api.fake.store.get(project["id"])["training_version"] == "fibo"  # locked


def test_create_in_a_project_of_the_other_family_is_refused_with_bria_reason(api_client, fake_api):
    locked = fake_api.fake.add_project(project_name="Old", training_version="max")
    with bria_failure("bad_request", BriaRefused) as raised:
        api_client.datasets.create(locked["id"], "New", "fibo")
    assert raised.value.message == (
        "Project is locked to the Legacy family; training_version fibo is FIBO"
    )


def test_list_read_rename_and_delete_send_what_the_api_documents(api_client, fake_api, project):
    first = api_client.datasets.create(project["id"], "A", "max")
    api_client.datasets.create(project["id"], "B", "light")
    fake_api.fake.received.clear()

    assert [d["name"] for d in api_client.datasets.of_project(project["id"])] == ["A", "B"]
    assert api_client.datasets.get(first["id"])["name"] == "A"
    renamed = api_client.datasets.update(first["id"], name="A2")
    assert renamed["name"] == "A2" and renamed["status"] == "draft"
    assert api_client.datasets.delete(first["id"]) is None
    with bria_failure("not_found", BriaNotFound):
        api_client.datasets.get(first["id"])

    assert sent(fake_api) == [
        ("GET", f"/v1/tailored-gen/projects/{project['id']}/datasets", None),
        ("GET", f"{DATASETS}/{first['id']}", None),
        ("PUT", f"{DATASETS}/{first['id']}", {"name": "A2"}),
        ("DELETE", f"{DATASETS}/{first['id']}", None),
        ("GET", f"{DATASETS}/{first['id']}", None),
    ]
    for request in fake_api.fake.received:
        assert_headers(request)


def test_save_a_schema_then_complete_sends_one_field_each(api_client, fake_api, project):
    dataset = api_client.datasets.create(project["id"], "Ready", None)
    with_images(fake_api, dataset["id"], 5)
    schema = json.dumps({"style": "flat", "palette": "warm"})
    fake_api.fake.received.clear()

    saved = api_client.datasets.update(dataset["id"], visual_schema=schema)
    done = api_client.datasets.update(dataset["id"], status="completed")

    assert sent(fake_api) == [
        ("PUT", f"{DATASETS}/{dataset['id']}", {"visual_schema": schema}),
        ("PUT", f"{DATASETS}/{dataset['id']}", {"status": "completed"}),
    ]
    assert saved["visual_schema"] == schema and saved["status"] == "draft"
    assert done["status"] == "completed" and done["images_count"] == 5


def test_completing_without_a_schema_is_a_conflict_with_bria_reason(api_client, fake_api, project):
    dataset = api_client.datasets.create(project["id"], "Not yet", None)
    with_images(fake_api, dataset["id"], 5)
    with bria_failure("conflict", BriaRefused) as raised:
        api_client.datasets.update(dataset["id"], status="completed")
    assert raised.value.status == 409
    assert raised.value.message == "You must generate a visual schema before completing the dataset"


def test_clone_posts_the_name_and_answers_a_new_draft(api_client, fake_api, project):
    dataset = api_client.datasets.create(project["id"], "Original", "fibo")
    with_images(fake_api, dataset["id"], 2)
    fake_api.fake.received.clear()

    copy = api_client.datasets.clone(dataset["id"], "Copy to change")

    assert sent(fake_api) == [
        ("POST", f"{DATASETS}/{dataset['id']}/clone", {"name": "Copy to change"})
    ]
    assert copy["id"] != dataset["id"] and copy["name"] == "Copy to change"
    assert copy["status"] == "draft" and copy["images_count"] == 2


def test_regenerating_every_caption_is_a_put_without_a_body_answered_202(
    api_client, fake_api, project
):
    dataset = api_client.datasets.create(project["id"], "Captions", None)
    api_client.datasets.update(dataset["id"], visual_schema=json.dumps({"style": "flat"}))
    fake_api.fake.received.clear()

    answer = api_client.transport.call("PUT", f"/tailored-gen/datasets/{dataset['id']}/images")
    assert answer.status_code == 202
    started = api_client.datasets.regenerate_captions(dataset["id"])

    assert sent(fake_api) == [("PUT", f"{DATASETS}/{dataset['id']}/images", None)] * 2
    assert started["captions_update_status"] == "in_progress"
    assert started["id"] == dataset["id"]


def test_a_visual_schema_is_made_from_five_to_ten_images(api_client, fake_api):
    images = [base64.b64encode(pictures.picture(seed, "JPEG")).decode() for seed in range(5)]

    schema = api_client.datasets.visual_schema(images)

    [request] = fake_api.fake.received
    assert (request.method, request.path) == ("POST", "/v1/tailored-gen/generate_visual_schema")
    assert request.body == {"images": images}
    assert set(json.loads(schema)) == {"style", "palette", "lighting", "composition", "subject"}


@pytest.mark.parametrize("count", [4, 11])
def test_fewer_than_five_or_more_than_ten_images_make_no_schema(api_client, count):
    images = [base64.b64encode(pictures.picture(1, "JPEG")).decode()] * count
    with bria_failure("bad_request", BriaRefused) as raised:
        api_client.datasets.visual_schema(images)
    assert raised.value.message == "images must hold 5 to 10 images"


# -- images --------------------------------------------------------------------------


def test_an_image_goes_as_base64_json_with_its_unique_name(api_client, fake_api, project):
    dataset = api_client.datasets.create(project["id"], "Pictures", None)
    content = pictures.picture(3, "PNG")
    fake_api.fake.received.clear()

    image = api_client.images.upload(dataset["id"], content, "lora-u17-abc123.png")

    [request] = fake_api.fake.received
    assert (request.method, request.path) == ("POST", f"{DATASETS}/{dataset['id']}/images")
    assert request.headers["Content-Type"] == "application/json"
    assert_headers(request)
    assert set(request.body) == {"file", "image_name", "increase_resolution"}
    assert base64.b64decode(request.body["file"], validate=True) == content
    assert request.body["image_name"] == "lora-u17-abc123.png"
    assert request.body["increase_resolution"] is True
    assert image["image_name"] == "lora-u17-abc123.png" and image["dataset_id"] == dataset["id"]
    assert image["caption"] is None  # no visual schema yet


def test_upscaling_turned_off_is_sent_as_false_and_a_small_image_is_refused(
    api_client, fake_api, project
):
    dataset = api_client.datasets.create(project["id"], "Strict", None)
    small = pictures.picture(3, "PNG", size=(600, 600))
    with bria_failure("precondition_failed", BriaRefused) as raised:
        api_client.images.upload(dataset["id"], small, "small.png", increase_resolution=False)
    assert fake_api.fake.received[-1].body["increase_resolution"] is False
    assert raised.value.status == 412
    assert raised.value.message.startswith("Image resolution too low: at least 1024x1024")


def test_an_image_goes_as_a_multipart_file_when_asked(api_client, fake_api, project):
    dataset = api_client.datasets.create(project["id"], "Parts", None)
    content = pictures.picture(4, "JPEG")
    fake_api.fake.received.clear()

    image = api_client.images.upload(
        dataset["id"], content, "part-u2-aaaaaa.jpg", increase_resolution=False, as_multipart=True
    )

    [request] = fake_api.fake.received
    content_type = request.headers["Content-Type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    _, form, files = parse_form_data(
        {
            "wsgi.input": io.BytesIO(request.raw),
            "CONTENT_LENGTH": str(len(request.raw)),
            "CONTENT_TYPE": content_type,
            "REQUEST_METHOD": "POST",
        }
    )
    assert dict(form) == {"image_name": "part-u2-aaaaaa.jpg", "increase_resolution": "false"}
    assert list(files) == ["file"]
    assert files["file"].filename == "part-u2-aaaaaa.jpg"
    try:
        assert files["file"].read() == content
    finally:
        files["file"].close()
    assert image["image_name"] == "part-u2-aaaaaa.jpg"


@pytest.mark.parametrize(
    ("content", "status", "kind", "message"),
    [
        (pictures.picture(1, "GIF"), 415, "unsupported", "Unsupported image format"),
        (pictures.TEXT, 415, "unsupported", "The file is not an image"),
        (pictures.picture(1, "PNG", size=(200, 200)), 412, "precondition_failed", None),
        (
            pictures.solid(pictures.MAGENTA),
            422,
            "unprocessable",
            "The image did not pass content moderation",
        ),
    ],
    ids=["gif", "text", "too-small", "moderation"],
)
def test_bria_refusals_of_an_image_carry_its_status_and_reason(
    api_client, fake_api, project, content, status, kind, message
):
    dataset = api_client.datasets.create(project["id"], "Refusals", None)
    with bria_failure(kind, BriaRefused) as raised:
        api_client.images.upload(dataset["id"], content, "x.png")
    assert raised.value.status == status
    if message:
        assert raised.value.message == message
    assert fake_api.fake.api.images.count(dataset["id"]) == 0


def test_list_read_caption_regenerate_and_delete_an_image(api_client, fake_api, project):
    dataset = api_client.datasets.create(project["id"], "Captions", None)
    schema = json.dumps({"style": "flat", "palette": "warm"})
    api_client.datasets.update(dataset["id"], visual_schema=schema)
    [image] = with_images(fake_api, dataset["id"], 1)
    path = f"{DATASETS}/{dataset['id']}/images"
    fake_api.fake.received.clear()
    caption = json.dumps({"style": "ink", "palette": "cold"})

    assert [i["id"] for i in api_client.images.of_dataset(dataset["id"])] == [image["id"]]
    assert api_client.images.get(dataset["id"], image["id"])["image_name"] == "seed-0.jpg"
    edited = api_client.images.set_caption(dataset["id"], image["id"], caption)
    again = api_client.images.regenerate_caption(dataset["id"], image["id"])
    assert api_client.images.delete(dataset["id"], image["id"]) is None

    assert sent(fake_api) == [
        ("GET", path, None),
        ("GET", f"{path}/{image['id']}", None),
        ("PUT", f"{path}/{image['id']}", {"caption": caption}),
        ("PUT", f"{path}/{image['id']}", {"regenerate_caption": True}),
        ("DELETE", f"{path}/{image['id']}", None),
    ]
    assert (edited["caption"], edited["caption_source"]) == (caption, "manual")
    assert set(json.loads(again["caption"])) == {"style", "palette"}
    assert again["caption_source"] == "automatic"


# -- answers that are not in the shape the app relies on ------------------------------


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (Scripted(201, {"id": "7", "project_id": 1, "name": "x"}), "no readable dataset"),
        (Scripted(201, {"id": 7, "project_id": 1}), "no readable dataset"),
        (Scripted(201, {"id": 7, "project_id": 1, "name": "x", "status": 3}), "no readable"),
        (Scripted(201, {"id": 7, "project_id": 1, "name": "x", "images_count": "3"}), "readable"),
        (Scripted(201, {"id": 7, "project_id": 1, "name": "x", "images_count": True}), "readable"),
        (Scripted(201, [{"id": 7}]), "no readable dataset"),
        (Scripted(201, "<html>Created</html>", "text/html"), "with something that is not JSON"),
    ],
)
def test_a_dataset_answer_that_cannot_be_read_is_a_bad_response(
    api_client, fake_api, project, answer, message
):
    fake_api.fake.answer_next(answer)
    with bria_failure("bad_response", BriaUnconfirmed) as raised:
        api_client.datasets.create(project["id"], "Odd", None)
    assert message in raised.value.message


@pytest.mark.parametrize(
    ("call", "answer", "message"),
    [
        ("of_project", Scripted(200, {"datasets": []}), "The API's list of datasets is not a list"),
        ("images", Scripted(200, {"images": []}), "The API's list of images is not a list"),
        ("upload", Scripted(201, []), "The API's answer has no readable image in it"),
        ("upload", Scripted(201, {"id": 4, "caption": {"a": 1}}), "no readable image"),
        ("upload", Scripted(201, {"id": 0, "image_name": "x"}), "no readable image"),
        ("caption", Scripted(200, {"id": 4, "image_name": 5}), "no readable image"),
        ("schema", Scripted(200, {}), "The API's answer has no visual schema in it"),
        ("schema", Scripted(200, {"visual_schema": "  "}), "no visual schema"),
        ("schema", Scripted(200, {"visual_schema": {"style": "x"}}), "no visual schema"),
        ("schema", Scripted(200, ["style"]), "no visual schema"),
        ("regenerate", Scripted(202, {"message": "Accepted"}), "no readable dataset"),
        ("clone", Scripted(201, {"id": 9, "name": "copy"}), "no readable dataset"),
    ],
)
def test_other_answers_that_cannot_be_read_are_bad_responses(
    api_client, fake_api, project, call, answer, message
):
    calls = {
        "of_project": lambda: api_client.datasets.of_project(project["id"]),
        "images": lambda: api_client.images.of_dataset(1),
        "upload": lambda: api_client.images.upload(1, b"...", "a.png"),
        "caption": lambda: api_client.images.set_caption(1, 4, "{}"),
        "schema": lambda: api_client.datasets.visual_schema(["a"] * 5),
        "regenerate": lambda: api_client.datasets.regenerate_captions(1),
        "clone": lambda: api_client.datasets.clone(1, "copy"),
    }
    fake_api.fake.answer_next(answer)
    with bria_failure("bad_response", BriaUnconfirmed) as raised:
        calls[call]()
    assert message in raised.value.message
    assert raised.value.status == answer.status


def test_malformed_entries_of_a_list_are_left_out(api_client, fake_api, project):
    fake_api.fake.answer_next(
        Scripted(
            200,
            [
                {"id": 1, "project_id": project["id"], "name": "Good"},
                {"id": "2", "project_id": project["id"], "name": "Id as text"},
                {"id": 3, "project_id": project["id"]},
                "not a dataset",
            ],
        ),
        Scripted(200, [{"id": 5, "image_name": "a.png"}, {"id": None}, {"id": 6, "caption": 1}]),
    )
    assert [d["name"] for d in api_client.datasets.of_project(project["id"])] == ["Good"]
    assert [i["id"] for i in api_client.images.of_dataset(1)] == [5]
