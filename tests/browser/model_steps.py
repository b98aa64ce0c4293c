"""What a person does with models in the browser, shared by the model tests: the app with
its job consumer (as `make run` serves it, with a training of a few seconds), a completed
dataset to start from, and the steps from it to a trained model.

The sandbox decides a training's end and an image's readiness from the clock when it is
read; `hold_training` and `hold_generation` move that moment a long way off, so a page
can be looked at in a state that otherwise lasts seconds.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.dataset_steps import encoded, picture
from tests.browser.steps import AXE, unique
from tests.support.apps import live
from tests.support.jobs import consumer_running
from tests.support.live_server import LiveServer
from tests.support.waiting import poll
from webapp.catalog.models import ModelRecords
from webapp.generation import service as generation
from webapp.projects.snapshot import ProjectSnapshot
from webapp.sandbox import FakeBria
from webapp.sandbox import models as sandbox_models
from webapp.services import Services

#: Seconds a training takes in these tests' sandbox (SANDBOX_TRAINING_SECONDS).
TRAINING_SECONDS = 3
#: Long enough for the follower (every 5 s in the sandbox) and the page (every 10 s).
FOLLOWED = 40_000
#: Long enough for an image: 2 s at the sandbox, read every 0.5 s, shown within 1 s.
GENERATED = 20_000
#: Far enough ahead that a held training or image never ends while a test runs.
A_LONG_TIME = 10**7
SCHEMA = json.dumps({"subject": "", "setting": "", "style": ""})


@contextmanager
def app_with_jobs(folder: Path, **config: object) -> Iterator[LiveServer]:
    """The app on a real HTTP server and its job consumer running beside it, as
    `make run` starts them (`flask run` and `flask jobs run`), in the sandbox."""
    settings = {"SANDBOX_TRAINING_SECONDS": TRAINING_SECONDS, **config}
    with live(folder, **settings) as server, consumer_running(services(server).jobs):
        yield server


def services(server: LiveServer) -> Services:
    return server.app.extensions["webapp"]


def sandbox(server: LiveServer) -> FakeBria:
    fake = services(server).fake
    assert fake is not None, "the app is not in sandbox mode"
    return fake


@dataclass(frozen=True)
class Dataset:
    project_id: int
    project_name: str
    id: int
    name: str

    @property
    def path(self) -> str:
        return f"/projects/{self.project_id}/datasets/{self.id}"


def completed_dataset(server: LiveServer, images: int = 6) -> Dataset:
    """A defined character's project and a completed dataset of `images` captioned
    pictures, made at the sandbox as Bria's console or a script makes them."""
    fake = sandbox(server)
    name = unique("Lora models")
    project = fake.projects.add(
        project_name=name,
        ip_name="Lora",
        ip_description="a woman with purple hair",
        ip_medium="illustration",
        ip_type="defined_character",
        training_version="max",
    )
    dataset = fake.datasets.add(
        project["id"], name=unique("Summer shots"), visual_schema=SCHEMA, training_version="max"
    )
    for seed in range(images):
        body = {
            "file": base64.b64encode(encoded(picture(seed), "JPEG", quality=85)).decode(),
            "image_name": f"summer-{seed}.jpg",
        }
        reply = fake.handle(
            "POST",
            f"/v1/tailored-gen/datasets/{dataset['id']}/images",
            {"api_token": fake.token, "Content-Type": "application/json"},
            json.dumps(body).encode(),
        )
        assert reply.status == 201, reply.body
    fake.datasets.update(dataset["id"], {"status": "completed"})
    snapshot = services(server).get(ProjectSnapshot)
    snapshot.refresh(read_after=snapshot.now())  # made outside the app: read the list again
    return Dataset(project["id"], name, dataset["id"], dataset["name"])


# -- steps in the browser ---------------------------------------------------------------


def model_id_of(page: Page) -> int:
    found = re.search(r"/models/(\d+)", page.url)
    assert found, f"not a model's page: {page.url}"
    return int(found.group(1))


def status_words(page: Page) -> Locator:
    return page.locator("[data-status-words]")


def make_model(
    page: Page, base_url: str, dataset: Dataset, name: str, mode: str = "Fully automated"
) -> int:
    """From the dataset's page to the new model's page; the model's id."""
    page.goto(base_url + dataset.path)
    page.get_by_role("link", name="Make a model from this dataset").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Make a model")
    page.get_by_label("Model name").fill(name)
    page.get_by_role("radio", name=mode).check()
    page.get_by_role("button", name="Make the model").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(status_words(page)).to_have_text("Not trained yet")
    return model_id_of(page)


def start_training(page: Page) -> None:
    """From a model's page, through the confirmation, back to the model's page."""
    page.get_by_role("link", name="Start training…").click()
    page.get_by_role("button", name="Start training").click()
    expect(page.locator(".notification[role=status]")).to_contain_text("Training started.")


def stop_training(page: Page) -> None:
    page.get_by_role("link", name="Stop the training…").click()
    page.get_by_role("button", name="Stop the training").click()
    expect(page.locator(".notification[role=status]")).to_contain_text("Bria is stopping")


def ask_for_image(page: Page, prompt: str) -> int:
    """From a trained model's page: the prompt sent; the id of the image asked for."""
    page.get_by_label("What should the image show?").fill(prompt)
    page.get_by_role("button", name="Make the image").click()
    page.wait_for_url(re.compile(r"#generated-\d+$"))
    return int(page.url.rsplit("-", 1)[1])


#: Whether the focused element draws a focus indicator (an outline or a ring).
FOCUS_SHOWS = """
(element) => {
  const style = getComputedStyle(element);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  return (outline && style.outlineColor !== "rgba(0, 0, 0, 0)") || style.boxShadow !== "none";
}
"""


def tab_to(page: Page, target: Locator, presses: int = 120) -> None:
    """Press Tab until `target` has the focus, as a person without a mouse moves on, and
    see that the focus shows."""
    handle = target.element_handle()
    for _ in range(presses):
        page.keyboard.press("Tab")
        if handle.evaluate("element => element === document.activeElement"):
            assert handle.evaluate(FOCUS_SHOWS), f"the focus on {target} does not show"
            return
    raise AssertionError(f"Tab did not reach {target} in {presses} presses")


def sideways(page: Page) -> int:
    """Pixels the page scrolls sideways (nothing on a narrow screen should)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def assert_accessible(page: Page, what: str) -> None:
    """axe-core finds nothing wrong, and the page does not scroll sideways."""
    results = AXE.run(page)
    assert results.violations_count == 0, f"{what}:\n{results.generate_report()}"
    assert sideways(page) <= 0, f"{what} scrolls sideways by {sideways(page)} px"


# -- what the app knows ----------------------------------------------------------------


def seen(server: LiveServer, model_id: int, status: str) -> None:
    """Wait until the app has seen the model in `status` (its follower wrote it down)."""
    records = services(server).get(ModelRecords)
    poll(
        lambda: any(e.status == status for e in records.timeline(model_id)),
        FOLLOWED / 1000,
        f"model {model_id} seen {status}",
    )


def made(server: LiveServer, made_id: int) -> generation.Made:
    found = generation.get(services(server), made_id)
    assert found is not None
    return found


def image_kept(server: LiveServer, made_id: int) -> None:
    """Wait until the app has fetched and kept the image."""
    poll(
        lambda: made(server, made_id).state == generation.COMPLETED,
        FOLLOWED / 1000,
        f"image {made_id}",
    )


def hold_training(server: LiveServer, model_id: int) -> None:
    """The sandbox's training of this model ends in months, not seconds."""
    store = sandbox(server).model_endpoints.models
    assert store.update(model_id, {"_started_at": time.time() + A_LONG_TIME})


def let_it_stop(server: LiveServer, model_id: int) -> None:
    """The sandbox's stopping of this model (held by `slow_sandbox`) ends now."""
    store = sandbox(server).model_endpoints.models
    assert store.update(model_id, {"_stop_at": time.time()})


def hold_generation(server: LiveServer, made_id: int) -> None:
    """The sandbox makes this image in months, not seconds."""
    request_id = made(server, made_id).request_id
    database = sandbox(server).database
    with database.write_lock, database.connect() as db:
        (body,) = db.execute("SELECT body FROM generations WHERE id = ?", (request_id,)).fetchone()
        held = {**json.loads(body), "at": time.time() + A_LONG_TIME}
        db.execute("UPDATE generations SET body = ? WHERE id = ?", (json.dumps(held), request_id))


@contextmanager
def slow_sandbox(server: LiveServer) -> Iterator[None]:
    """While the block runs, the sandbox trains, stops and makes images in months: a
    state set up inside it lasts until `hold_…` fixes it for good (or the block ends)."""
    fake = sandbox(server)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fake.model_endpoints, "training_seconds", A_LONG_TIME)
        patch.setattr(fake.generation_endpoints, "seconds", A_LONG_TIME)
        patch.setattr(sandbox_models, "STOPPING_SECONDS", A_LONG_TIME)
        yield
