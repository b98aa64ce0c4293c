"""The fake API's datasets and images (`webapp.sandbox`): the API's rules, shapes and errors,
in process (sandbox mode) and over real HTTP (the tests' server) alike."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests

from tests.conftest import TOKEN
from tests.images import pictures
from tests.support.bria import bria_failure, make_client
from tests.support.fake_api import FakeBriaServer
from webapp.bria import Bria
from webapp.bria.errors import BriaNotFound, BriaRefused
from webapp.sandbox import SANDBOX_BASE_URL, FakeBria, SandboxAdapter

SCHEMA = json.dumps({"style": "flat colours", "palette": "warm", "subject": "a fox"})
DATASET_SHAPE = {
    "id",
    "project_id",
    "name",
    "visual_schema",
    "status",
    "captions_update_status",
    "upload_type",
    "training_version",
    "images_count",
    "created_at",
    "updated_at",
}
IMAGE_SHAPE = {
    "id",
    "dataset_id",
    "image_name",
    "caption",
    "caption_source",
    "upload_source_url",
    "image_url",
    "thumbnail_url",
    "created_at",
    "updated_at",
}


@pytest.fixture(params=["in-process", "over-http"])
def served(request, tmp_path) -> Iterator[tuple[Bria, FakeBria, requests.Session]]:
    """A client of the fake API, the fake behind it, and a browser-like session without the
    token (to fetch image addresses), served one way or the other."""
    if request.param == "in-process":
        fake = FakeBria(tmp_path / "sandbox.sqlite3", TOKEN)
        adapter = SandboxAdapter(fake)
        anonymous = requests.Session()
        anonymous.mount("https://", adapter)
        yield make_client(SANDBOX_BASE_URL, TOKEN, adapter=adapter), fake, anonymous
        return
    with FakeBriaServer(TOKEN, folder=tmp_path) as server, requests.Session() as anonymous:
        yield make_client(server.base_url, TOKEN), server.fake.api, anonymous


@pytest.fixture
def client(served) -> Bria:
    return served[0]


@pytest.fixture
def fake(served) -> FakeBria:
    return served[1]


def project(fake: FakeBria, **fields) -> int:
    return fake.projects.add(project_name="Fox", **fields)["id"]


def raw(client: Bria, method: str, path: str, body=None) -> requests.Response:
    """A request as the client's session sends it, answered however the API answers it."""
    return client.transport.session.request(
        method, client.transport.base_url + path, json=body, timeout=5
    )


def fill(client: Bria, dataset_id: int, count: int, first_seed: int = 0) -> list[dict]:
    return [
        client.images.upload(dataset_id, pictures.picture(seed, "JPEG"), f"p{seed}.jpg")
        for seed in range(first_seed, first_seed + count)
    ]


# -- creating datasets: the project's lock -----------------------------------------------


def test_a_new_dataset_has_the_apis_shape(client, fake):
    made = client.datasets.create(project(fake), "Summer", "fibo")
    assert set(made) == DATASET_SHAPE
    assert (made["status"], made["visual_schema"], made["captions_update_status"]) == (
        "draft",
        None,
        "empty",
    )
    assert (made["upload_type"], made["images_count"]) == ("basic", 0)
    assert made["created_at"].endswith("Z")


def test_the_first_dataset_locks_the_project_to_its_family(client, fake):
    project_id = project(fake)
    client.datasets.create(project_id, "First", "fibo")
    assert fake.projects.get(project_id)["training_version"] == "fibo"

    with bria_failure("bad_request", BriaRefused) as raised:
        client.datasets.create(project_id, "Second", "max")
    assert raised.value.status == 400
    assert raised.value.message == (
        "Project is locked to the FIBO family; training_version max is Legacy"
    )
    second = client.datasets.create(project_id, "Second", "fibo")
    unchosen = client.datasets.create(project_id, "Third", None)
    assert (second["training_version"], unchosen["training_version"]) == ("fibo", "fibo")
    assert [d["name"] for d in client.datasets.of_project(project_id)] == [
        "First",
        "Second",
        "Third",
    ]


@pytest.mark.parametrize("version", ["max", "light", "3.2", "2.3"])
def test_legacy_versions_mix_in_a_legacy_project_and_fibo_does_not(client, fake, version):
    project_id = project(fake, training_version="light")
    assert client.datasets.create(project_id, "Legacy", version)["training_version"] == version
    with bria_failure("bad_request", BriaRefused):
        client.datasets.create(project_id, "FIBO", "fibo")
    assert fake.projects.get(project_id)["training_version"] == "light"


def test_a_dataset_without_a_version_leaves_an_unlocked_project_unlocked(client, fake):
    project_id = project(fake)
    assert client.datasets.create(project_id, "Loose", None)["training_version"] is None
    assert fake.projects.get(project_id)["training_version"] is None


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"name": "No project"}, 400, "project_id is required"),
        ({"project_id": "1", "name": "Text id"}, 400, "project_id is required"),
        ({"project_id": 1, "name": "  "}, 400, "name is required"),
        ({"project_id": 1, "name": "X", "upload_type": "zip"}, 400, "upload_type must be"),
        ({"project_id": 1, "name": "X", "training_version": "9"}, 400, "not a known version"),
        ({"project_id": 999, "name": "Nobody's"}, 404, "Project 999 not found"),
    ],
)
def test_a_create_that_breaks_a_rule_gets_the_error_envelope(client, fake, body, status, message):
    project(fake)
    answer = raw(client, "POST", "/tailored-gen/datasets", body)
    assert answer.status_code == status
    error = answer.json()["error"]
    assert message in error["message"]
    assert answer.json()["request_id"]
    assert fake.datasets.of_project() == []


# -- not found -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "message"),
    [
        ("GET", "/tailored-gen/datasets/999", "Dataset 999 not found"),
        ("PUT", "/tailored-gen/datasets/999", "Dataset 999 not found"),
        ("DELETE", "/tailored-gen/datasets/999", "Dataset 999 not found"),
        ("GET", "/tailored-gen/datasets/abc", "Dataset not found"),
        ("POST", "/tailored-gen/datasets/999/clone", "Dataset 999 not found"),
        ("GET", "/tailored-gen/datasets/999/images", "Dataset 999 not found"),
        ("GET", "/tailored-gen/datasets/1/images/999", "Image not found"),
        ("PUT", "/tailored-gen/datasets/1/images/abc", "Image not found"),
        ("GET", "/tailored-gen/datasets/1/elsewhere", "Unknown endpoint"),
        ("GET", "/tailored-gen/projects/999/datasets", "Project 999 not found"),
    ],
)
def test_what_does_not_exist_is_404(client, fake, method, path, message):
    client.datasets.create(project(fake), "Only", None)
    answer = raw(client, method, path, {} if method in ("PUT", "POST") else None)
    assert answer.status_code == 404
    assert answer.json()["error"]["message"] == message


def test_an_image_of_another_dataset_is_not_found_through_this_one(client, fake):
    project_id = project(fake)
    first = client.datasets.create(project_id, "First", None)
    other = client.datasets.create(project_id, "Other", None)
    [image] = fill(client, other["id"], 1)
    with bria_failure("not_found", BriaNotFound):
        client.images.get(first["id"], image["id"])
    with bria_failure("not_found", BriaNotFound):
        client.images.delete(first["id"], image["id"])
    assert client.images.get(other["id"], image["id"])["id"] == image["id"]


# -- images -----------------------------------------------------------------------------------


def test_an_image_has_the_apis_shape_and_an_address_served_without_the_token(served):
    client, fake, anonymous = served
    dataset = client.datasets.create(project(fake), "Pictures", None)
    [image] = fill(client, dataset["id"], 1)
    assert set(image) == IMAGE_SHAPE
    assert (image["image_name"], image["caption"], image["dataset_id"]) == (
        "p0.jpg",
        None,
        dataset["id"],
    )
    answer = anonymous.get(image["image_url"], timeout=5)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "image/jpeg"
    assert answer.content.startswith(b"\xff\xd8")
    listed = client.datasets.get(dataset["id"])
    assert listed["images_count"] == 1 and [i["id"] for i in listed["images"]] == [image["id"]]


def test_an_image_sent_as_a_multipart_file_is_taken_the_same(client, fake):
    dataset = client.datasets.create(project(fake), "Parts", None)
    image = client.images.upload(
        dataset["id"], pictures.picture(2, "PNG"), "part.png", as_multipart=True
    )
    assert image["image_name"] == "part.png"
    assert fake.images.count(dataset["id"]) == 1


@pytest.mark.parametrize(
    ("content", "upscale", "status", "kind", "message"),
    [
        (
            pictures.picture(1, "PNG", size=(255, 800)),
            True,
            412,
            "precondition_failed",
            "Image resolution too low: at least 256x256",
        ),
        (
            pictures.picture(1, "PNG", size=(800, 1200)),
            False,
            412,
            "precondition_failed",
            "Image resolution too low: at least 1024x1024 when increase_resolution is false",
        ),
        (pictures.TEXT, True, 415, "unsupported", "The file is not an image"),
        (pictures.picture(1, "GIF"), True, 415, "unsupported", "Unsupported image format"),
        (
            pictures.solid(pictures.MAGENTA),
            True,
            422,
            "unprocessable",
            "The image did not pass content moderation",
        ),
    ],
    ids=["under-256", "upscaling-off", "not-an-image", "gif", "magenta"],
)
def test_an_image_bria_would_refuse_is_refused_with_its_status(
    client, fake, content, upscale, status, kind, message
):
    dataset = client.datasets.create(project(fake), "Refusals", None)
    with bria_failure(kind, BriaRefused) as raised:
        client.images.upload(dataset["id"], content, "x.png", increase_resolution=upscale)
    assert (raised.value.status, raised.value.message) == (status, message)
    assert fake.images.count(dataset["id"]) == 0


def test_a_small_image_is_taken_when_upscaling_is_allowed(client, fake):
    dataset = client.datasets.create(project(fake), "Small", None)
    small = pictures.picture(1, "PNG", size=(300, 300))
    assert client.images.upload(dataset["id"], small, "small.png")["image_name"] == "small.png"


def test_the_200_image_limit_is_a_conflict(client, fake, monkeypatch):
    monkeypatch.setattr("webapp.sandbox.images.MAX_IMAGES_PER_DATASET", 3)
    dataset = client.datasets.create(project(fake), "Full", None)
    fill(client, dataset["id"], 3)
    with bria_failure("conflict", BriaRefused) as raised:
        fill(client, dataset["id"], 1, first_seed=3)
    assert (raised.value.status, raised.value.message) == (409, "The dataset already has 3 images")
    assert fake.images.count(dataset["id"]) == 3


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"caption": "style: flat"}, "caption must be a string holding valid JSON"),
        ({"caption": {"style": "flat"}}, "caption or regenerate_caption is required"),
        ({}, "caption or regenerate_caption is required"),
        ({"caption": "{}", "regenerate_caption": True}, "not both"),
    ],
)
def test_a_caption_must_be_a_string_of_json(client, fake, body, message):
    dataset = client.datasets.create(project(fake), "Captions", None)
    [image] = fill(client, dataset["id"], 1)
    answer = raw(
        client, "PUT", f"/tailored-gen/datasets/{dataset['id']}/images/{image['id']}", body
    )
    assert answer.status_code == 400
    assert message in answer.json()["error"]["message"]
    assert fake.images.get(image["id"])["caption"] is None


def test_captions_follow_the_schema_once_it_is_saved(client, fake):
    dataset = client.datasets.create(project(fake), "Schema", None)
    [before] = fill(client, dataset["id"], 1)
    client.datasets.update(dataset["id"], visual_schema=SCHEMA)
    [after] = fill(client, dataset["id"], 1, first_seed=1)
    assert before["caption"] is None
    assert list(json.loads(after["caption"])) == ["style", "palette", "subject"]
    assert after["caption_source"] == "automatic"
    again = client.images.regenerate_caption(dataset["id"], before["id"])
    assert list(json.loads(again["caption"])) == ["style", "palette", "subject"]


# -- a visual schema -------------------------------------------------------------------------


def test_a_schema_is_made_from_the_addresses_of_the_datasets_images(client, fake):
    dataset = client.datasets.create(project(fake), "From addresses", None)
    images = fill(client, dataset["id"], 5)
    schema = client.datasets.visual_schema([image["image_url"] for image in images])
    assert list(json.loads(schema)) == ["style", "palette", "lighting", "composition", "subject"]


def test_a_schema_from_an_address_elsewhere_or_a_magenta_image_is_refused(client, fake):
    dataset = client.datasets.create(project(fake), "Elsewhere", None)
    images = [i["image_url"] for i in fill(client, dataset["id"], 4)]
    with bria_failure("unprocessable", BriaRefused) as raised:
        client.datasets.visual_schema([*images, "https://example.invalid/cat.jpg"])
    assert raised.value.message == "An image could not be read or reached"
    magenta = pictures.solid(pictures.MAGENTA, "JPEG")
    import base64

    with bria_failure("unprocessable", BriaRefused):
        client.datasets.visual_schema([*images, base64.b64encode(magenta).decode()])


@pytest.mark.parametrize("schema", ["not json", "[1, 2]", "{}", '"text"'])
def test_a_visual_schema_must_be_a_json_object(client, fake, schema):
    dataset = client.datasets.create(project(fake), "Bad schema", None)
    with bria_failure("bad_request", BriaRefused) as raised:
        client.datasets.update(dataset["id"], visual_schema=schema)
    assert raised.value.message == "visual_schema must be a JSON object string"


def test_only_name_schema_and_status_can_change(client, fake):
    dataset = client.datasets.create(project(fake), "Fixed", None)
    with bria_failure("bad_request", BriaRefused) as raised:
        client.datasets.update(dataset["id"], project_id=5)
    assert raised.value.message == "project_id cannot be changed"


# -- completing --------------------------------------------------------------------------------


def test_completing_needs_five_images_and_a_schema(client, fake):
    dataset = client.datasets.create(project(fake), "Almost", None)
    fill(client, dataset["id"], 4)
    client.datasets.update(dataset["id"], visual_schema=SCHEMA)
    with bria_failure("conflict", BriaRefused) as raised:
        client.datasets.update(dataset["id"], status="completed")
    assert raised.value.message == "A dataset needs at least 5 images to be completed"

    other = client.datasets.create(project(fake), "No schema", None)
    fill(client, other["id"], 5)
    with bria_failure("conflict", BriaRefused) as raised:
        client.datasets.update(other["id"], status="completed")
    assert raised.value.message == "You must generate a visual schema before completing the dataset"

    fill(client, dataset["id"], 1, first_seed=4)
    assert client.datasets.update(dataset["id"], status="completed")["status"] == "completed"
    # A schema sent with the completion counts too.
    done = client.datasets.update(other["id"], visual_schema=SCHEMA, status="completed")
    assert (done["status"], done["visual_schema"]) == ("completed", SCHEMA)


@pytest.fixture
def completed(client, fake) -> tuple[dict, list[dict]]:
    dataset = client.datasets.create(project(fake), "Done", None)
    images = fill(client, dataset["id"], 5)
    client.datasets.update(dataset["id"], visual_schema=SCHEMA)
    client.datasets.update(dataset["id"], status="completed")
    return dataset, images


def test_a_completed_dataset_takes_no_image_and_no_change_to_its_images(client, fake, completed):
    dataset, images = completed
    image_id = images[0]["id"]
    refusals = {
        "upload": lambda: fill(client, dataset["id"], 1, first_seed=9),
        "caption": lambda: client.images.set_caption(dataset["id"], image_id, '{"style": "x"}'),
        "regenerate one": lambda: client.images.regenerate_caption(dataset["id"], image_id),
        "delete": lambda: client.images.delete(dataset["id"], image_id),
        "regenerate all": lambda: client.datasets.regenerate_captions(dataset["id"]),
        "schema": lambda: client.datasets.update(dataset["id"], visual_schema=SCHEMA),
        "draft again": lambda: client.datasets.update(dataset["id"], status="draft"),
    }
    messages = {}
    for name, call in refusals.items():
        with bria_failure("conflict", BriaRefused) as raised:
            call()
        messages[name] = raised.value.message
    assert messages == {
        "upload": "Cannot upload images to a completed dataset",
        "caption": "Cannot change images of a completed dataset",
        "regenerate one": "Cannot change images of a completed dataset",
        "delete": "Cannot change images of a completed dataset",
        "regenerate all": "Cannot update captions in a completed dataset",
        "schema": "visual_schema can only be changed in a draft",
        "draft again": "A completed dataset cannot become a draft again",
    }
    assert fake.images.count(dataset["id"]) == 5
    assert client.images.get(dataset["id"], image_id)["caption"] == images[0]["caption"]
    assert client.datasets.update(dataset["id"], name="Renamed")["name"] == "Renamed"


# -- every caption again -------------------------------------------------------------------------


def test_regenerating_every_caption_needs_a_schema(client, fake):
    dataset = client.datasets.create(project(fake), "No schema", None)
    with bria_failure("bad_request", BriaRefused) as raised:
        client.datasets.regenerate_captions(dataset["id"])
    assert raised.value.message == "The dataset has no visual_schema"


def test_every_caption_is_in_progress_then_completed_after_captions_seconds(client, fake):
    dataset = client.datasets.create(project(fake), "Rewrite", None)
    fill(client, dataset["id"], 3)
    client.datasets.update(dataset["id"], visual_schema=SCHEMA)

    fake.dataset_endpoints.captions_seconds = 3600
    started = client.datasets.regenerate_captions(dataset["id"])
    assert started["captions_update_status"] == "in_progress"
    assert client.datasets.get(dataset["id"])["captions_update_status"] == "in_progress"
    assert [i["caption"] for i in client.images.of_dataset(dataset["id"])] == [None] * 3

    fake.dataset_endpoints.captions_seconds = 0
    again = client.datasets.regenerate_captions(dataset["id"])
    assert again["captions_update_status"] == "in_progress"  # as Bria answers: it started
    read = client.datasets.get(dataset["id"])
    assert read["captions_update_status"] == "completed"
    captions = [json.loads(i["caption"]) for i in read["images"]]
    assert [list(c) for c in captions] == [["style", "palette", "subject"]] * 3
    assert {i["caption_source"] for i in read["images"]} == {"automatic"}


# -- clone and delete ------------------------------------------------------------------------------


def test_a_clone_is_a_draft_with_the_images_captions_and_schema(client, fake, completed):
    dataset, images = completed
    copy = client.datasets.clone(dataset["id"], "Changed")
    assert (copy["name"], copy["status"], copy["visual_schema"]) == ("Changed", "draft", SCHEMA)
    assert copy["project_id"] == dataset["project_id"] and copy["images_count"] == 5
    copied = client.images.of_dataset(copy["id"])
    assert [i["image_name"] for i in copied] == [i["image_name"] for i in images]
    assert [i["caption"] for i in copied] == [i["caption"] for i in images]
    assert {i["dataset_id"] for i in copied} == {copy["id"]}
    assert not {i["id"] for i in copied} & {i["id"] for i in images}
    assert all(i["image_url"].endswith(f"/files/images/{i['id']}.jpg") for i in copied)
    # The copy takes images again; the original is as it was.
    fill(client, copy["id"], 1, first_seed=7)
    assert fake.images.count(copy["id"]) == 6 and fake.images.count(dataset["id"]) == 5


def test_a_clone_without_a_name_is_called_a_copy(client, fake):
    dataset = client.datasets.create(project(fake), "Base", None)
    answer = raw(client, "POST", f"/tailored-gen/datasets/{dataset['id']}/clone")
    assert answer.status_code == 201
    assert answer.json()["name"] == "Copy of Base"


def test_deleting_a_dataset_deletes_its_images(client, fake):
    dataset = client.datasets.create(project(fake), "Gone", None)
    fill(client, dataset["id"], 2)
    client.datasets.delete(dataset["id"])
    with bria_failure("not_found", BriaNotFound):
        client.datasets.get(dataset["id"])
    assert fake.images.count(dataset["id"]) == 0


def test_deleting_a_project_deletes_its_datasets_and_their_images(client, fake):
    project_id = project(fake)
    keep = client.datasets.create(project(fake), "Elsewhere", None)
    first = client.datasets.create(project_id, "One", None)
    second = client.datasets.create(project_id, "Two", None)
    fill(client, first["id"], 2)
    client.projects.delete(project_id)
    for dataset in (first, second):
        with bria_failure("not_found", BriaNotFound):
            client.datasets.get(dataset["id"])
        assert fake.images.count(dataset["id"]) == 0
    assert [d["id"] for d in fake.datasets.of_project()] == [keep["id"]]
