"""The fake API's models, training and generation (`webapp.sandbox`): training takes its
configured time and ends as configured (or fails for a "[fail]" name), stopping takes a
few seconds, and generation answers 202 then draws a PNG; in process (sandbox mode) and
over real HTTP (the tests' server) alike. The sandbox's clock is the test's."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from PIL import Image

from tests.conftest import TOKEN, dispose, make_app
from tests.support.bria import bria_failure, make_client
from tests.support.fake_api import FakeBriaServer
from tests.support.training import completed_dataset_at, model_at
from webapp.bria import Bria
from webapp.bria.errors import BriaNotFound, BriaRefused
from webapp.bria.generation import Asked
from webapp.sandbox import SANDBOX_BASE_URL, FakeBria, SandboxAdapter
from webapp.sandbox import models as sandbox_models

MODEL_SHAPE = {
    "id",
    "name",
    "description",
    "status",
    "training_mode",
    "project_id",
    "dataset_id",
    "active_model_version",
    "training_parameters",
    "checkpoint_steps",
    "created_at",
    "updated_at",
}


class Clock:
    """The sandbox's `time` module, moved on by the test."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr("webapp.sandbox.models.time", clock)
    monkeypatch.setattr("webapp.sandbox.generation.time", clock)
    return clock


@dataclass
class Sandbox:
    client: Bria
    fake: FakeBria
    #: A browser-like session without the token (to fetch a result's address).
    anonymous: requests.Session


@pytest.fixture(
    params=["in-process", pytest.param("over-http", marks=pytest.mark.integration)],
)
def sandbox(request, tmp_path, clock) -> Iterator[Sandbox]:
    if request.param == "in-process":
        fake = FakeBria(tmp_path / "sandbox.sqlite3", TOKEN)
        adapter = SandboxAdapter(fake)
        with requests.Session() as anonymous:
            anonymous.mount("https://", adapter)
            yield Sandbox(make_client(SANDBOX_BASE_URL, TOKEN, adapter=adapter), fake, anonymous)
        return
    with FakeBriaServer(TOKEN, folder=tmp_path) as server, requests.Session() as anonymous:
        yield Sandbox(make_client(server.base_url, TOKEN), server.fake.api, anonymous)


@pytest.fixture
def dataset(sandbox) -> tuple[int, int]:
    return completed_dataset_at(sandbox.fake)


def status_of(sandbox: Sandbox, model_id: int) -> str:
    return sandbox.client.models.get(model_id)["status"]


# -- models and training ---------------------------------------------------------------


def test_a_model_is_made_from_a_completed_dataset_in_bria_shape(sandbox, dataset):
    made = sandbox.client.models.create(dataset[1], "Fox", "fully_automated", "Summer")
    assert set(made) == MODEL_SHAPE
    assert made["status"] == "Created" and made["project_id"] == dataset[0]
    assert made["description"] == "Summer" and made["checkpoint_steps"] == []
    assert [m["id"] for m in sandbox.client.models.of_project(dataset[0])] == [made["id"]]


def test_a_model_is_refused_from_a_draft_dataset_an_unknown_one_or_a_bad_mode(sandbox, dataset):
    draft = sandbox.fake.datasets.add(dataset[0], name="Draft")
    with bria_failure("precondition_failed", BriaRefused):
        sandbox.client.models.create(draft["id"], "Fox", "fully_automated")
    with bria_failure("not_found", BriaNotFound):
        sandbox.client.models.create(999, "Fox", "fully_automated")
    with bria_failure("bad_request", BriaRefused) as raised:
        sandbox.client.models.create(dataset[1], "Fox", "lazy")
    assert "training_mode" in raised.value.message
    with bria_failure("bad_request", BriaRefused):
        sandbox.client.models.create(dataset[1], " ", "fully_automated")


def test_training_takes_the_configured_time_then_completes(sandbox, dataset, clock):
    sandbox.fake.model_endpoints.training_seconds = 90
    model = sandbox.client.models.create(dataset[1], "Fox", "fully_automated")
    assert sandbox.client.models.start_training(model["id"])["status"] == "InProgress"

    clock.advance(89)
    assert status_of(sandbox, model["id"]) == "InProgress"
    assert sandbox.fake.model_endpoints.training_in(dataset[0])
    clock.advance(1)
    assert status_of(sandbox, model["id"]) == "Completed"
    assert sandbox.client.models.of_project(dataset[0])[0]["status"] == "Completed"
    assert not sandbox.fake.model_endpoints.training_in(dataset[0])


def test_a_minute_is_the_default(sandbox, dataset, clock):
    model = sandbox.client.models.create(dataset[1], "Fox", "fully_automated")
    sandbox.client.models.start_training(model["id"])
    clock.advance(59.9)
    assert status_of(sandbox, model["id"]) == "InProgress"
    clock.advance(0.1)
    assert status_of(sandbox, model["id"]) == "Completed"


def test_a_name_with_fail_in_brackets_fails(sandbox, dataset, clock):
    model = sandbox.client.models.create(dataset[1], "Fox [fail]", "expert")
    sandbox.client.models.start_training(model["id"])
    clock.advance(60)
    failed = sandbox.client.models.get(model["id"])
    assert failed["status"] == "Failed" and failed["checkpoint_steps"] == []


def test_the_outcome_setting_fails_every_training(sandbox, dataset, clock):
    sandbox.fake.model_endpoints.training_outcome = "Failed"
    model = sandbox.client.models.create(dataset[1], "Fox", "fully_automated")
    sandbox.client.models.start_training(model["id"])
    clock.advance(60)
    assert status_of(sandbox, model["id"]) == "Failed"


def test_an_expert_model_ends_with_checkpoints(sandbox, dataset, clock):
    model = sandbox.client.models.create(dataset[1], "Fox", "expert")
    sandbox.client.models.start_training(model["id"])
    clock.advance(60)
    done = sandbox.client.models.get(model["id"])
    assert done["status"] == "Completed"
    assert done["checkpoint_steps"] == ["750", "500"] and done["active_model_version"] == "750"


def test_training_starts_once_and_needs_a_completed_dataset(sandbox, dataset):
    model = sandbox.client.models.create(dataset[1], "Fox", "fully_automated")
    sandbox.fake.datasets.update(dataset[1], {"status": "draft"})
    with bria_failure("precondition_failed", BriaRefused):
        sandbox.client.models.start_training(model["id"])
    sandbox.fake.datasets.update(dataset[1], {"status": "completed"})
    sandbox.client.models.start_training(model["id"])
    with bria_failure("conflict", BriaRefused):
        sandbox.client.models.start_training(model["id"])


def test_stopping_takes_a_few_seconds_then_it_is_stopped_for_good(sandbox, dataset, clock):
    model = sandbox.client.models.create(dataset[1], "Fox", "fully_automated")
    with bria_failure("conflict", BriaRefused):  # not training yet
        sandbox.client.models.stop_training(model["id"])
    sandbox.client.models.start_training(model["id"])
    sandbox.client.models.stop_training(model["id"])

    assert status_of(sandbox, model["id"]) == "Stopping"
    assert sandbox.fake.model_endpoints.training_in(dataset[0])
    clock.advance(sandbox_models.STOPPING_SECONDS - 0.1)
    assert status_of(sandbox, model["id"]) == "Stopping"
    clock.advance(0.1)
    assert status_of(sandbox, model["id"]) == "Stopped"
    clock.advance(3600)  # the training's own end never comes
    assert status_of(sandbox, model["id"]) == "Stopped"
    with bria_failure("conflict", BriaRefused):
        sandbox.client.models.stop_training(model["id"])
    with bria_failure("conflict", BriaRefused):
        sandbox.client.models.start_training(model["id"])


def test_a_project_with_a_model_in_training_cannot_be_deleted(sandbox, dataset, clock):
    model = sandbox.client.models.create(dataset[1], "Fox", "fully_automated")
    sandbox.client.models.start_training(model["id"])
    with bria_failure("conflict", BriaRefused):
        sandbox.client.projects.delete(dataset[0])
    clock.advance(60)
    sandbox.client.projects.delete(dataset[0])


def test_an_unknown_model_is_not_found(sandbox):
    with bria_failure("not_found", BriaNotFound):
        sandbox.client.models.get(4242)
    with bria_failure("not_found", BriaNotFound):
        sandbox.client.models.start_training(4242)


# -- generation --------------------------------------------------------------------------


@pytest.fixture
def trained(sandbox, dataset) -> dict:
    return model_at(sandbox.fake, dataset[1], name="Trained", status="Completed")


def test_generation_answers_202_then_a_png_drawn_here(sandbox, trained, clock):
    asked = sandbox.client.generation.generate(trained["id"], "a fox on a beach", "16:9")
    assert sandbox.client.generation.status(asked).status == "IN_PROGRESS"

    clock.advance(sandbox.fake.generation_endpoints.seconds)
    done = sandbox.client.generation.status(asked)
    assert done.status == "COMPLETED"
    assert done.image_url.endswith(f"/files/generated/{asked.request_id}.png")
    fetched = sandbox.anonymous.get(done.image_url, timeout=10)  # no token needed
    assert fetched.status_code == 200 and fetched.headers["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(fetched.content)) as picture:
        assert picture.format == "PNG" and picture.size == (512, 288)
    # The same picture every time it is fetched.
    assert sandbox.client.generation.result(done.image_url) == fetched.content


def test_each_shape_is_drawn_in_its_proportions(sandbox, trained, clock):
    sizes = {}
    for ratio in ("1:1", "9:16", "4:5"):
        asked = sandbox.client.generation.generate(trained["id"], "a fox", ratio)
        clock.advance(sandbox.fake.generation_endpoints.seconds)
        url = sandbox.client.generation.status(asked).image_url
        with Image.open(io.BytesIO(sandbox.client.generation.result(url))) as picture:
            sizes[ratio] = picture.size
    assert sizes == {"1:1": (512, 512), "9:16": (288, 512), "4:5": (409, 512)}


def test_a_forbidden_prompt_fails_moderation(sandbox, trained):
    with bria_failure("unprocessable", BriaRefused) as raised:
        sandbox.client.generation.generate(trained["id"], "something Forbidden")
    assert raised.value.message == "The prompt did not pass content moderation"


def test_a_prompt_with_error_in_it_ends_in_error(sandbox, trained, clock):
    asked = sandbox.client.generation.generate(trained["id"], "an error please")
    clock.advance(sandbox.fake.generation_endpoints.seconds)
    status = sandbox.client.generation.status(asked)
    assert status.status == "ERROR" and status.reason == "The generation failed"
    assert status.image_url is None


@pytest.mark.parametrize("ratio", ["7:3", "a:b", "1:0"])
def test_a_shape_bria_does_not_make_is_refused(sandbox, trained, ratio):
    with bria_failure("bad_request", BriaRefused) as raised:
        sandbox.client.generation.generate(trained["id"], "a fox", ratio)
    assert raised.value.message == "aspect_ratio is not one of the supported ratios"


def test_generation_needs_a_trained_model_of_the_organisation(sandbox, dataset):
    untrained = model_at(sandbox.fake, dataset[1], name="Untrained")
    with bria_failure("bad_request", BriaRefused):
        sandbox.client.generation.generate(untrained["id"], "a fox")
    with bria_failure("forbidden", BriaRefused):
        sandbox.client.generation.generate(9999, "a fox")


def test_an_unknown_request_and_an_unknown_picture_are_not_found(sandbox):
    v2 = sandbox.client.transport.v2_url
    with bria_failure("not_found", BriaNotFound):
        sandbox.client.generation.status(Asked("nope", f"{v2}/status/nope"))
    assert sandbox.fake.handle("GET", "/files/generated/nope.png", {}, None).status == 404


def test_the_settings_set_the_sandboxs_training_time_and_outcome(tmp_path, clock):
    app = make_app(
        tmp_path / "instance", SANDBOX_TRAINING_SECONDS=5, SANDBOX_TRAINING_OUTCOME="Failed"
    )
    try:
        svc = app.extensions["webapp"]
        _, dataset_id = completed_dataset_at(svc.fake)
        model = svc.bria.models.create(dataset_id, "Fox", "fully_automated")
        svc.bria.models.start_training(model["id"])
        clock.advance(4.9)
        assert svc.bria.models.get(model["id"])["status"] == "InProgress"
        clock.advance(0.1)
        assert svc.bria.models.get(model["id"])["status"] == "Failed"
    finally:
        dispose(app)
