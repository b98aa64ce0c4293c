"""From a new project to a completed dataset in Chromium, as issue 19's "Done when" walks it:
create a project, add a dataset, add 30 mixed files in one go (the refused ones named with
their reasons), watch the rest reach the sandbox, make the visual schema and edit one of
its fields, have every caption written again and edit one, read the health report and
complete the dataset through its confirmation.

Once with the keyboard alone and JavaScript on (the queue followed live, the focus seen at
every step), once with JavaScript off (a plain file input and submit button, a reload
instead of live updates); axe-core on every page and state on the way, at 1280 and 360 px.
The app runs in the sandbox with a job consumer beside it, as `make run` starts them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.dataset_steps import (
    Batch,
    activate,
    assert_accessible,
    assert_accessible_without_scripts,
    caption_at_bria,
    choose,
    choose_files_with_the_keyboard,
    dataset_id_of,
    mixed_files,
    ready_for_file_choosers,
    reload_until,
    saved_schema,
    tab_to,
    type_over,
)
from tests.browser.steps import create, unique
from tests.support.jobs import consumer_running
from tests.support.live_server import LiveServer
from webapp.web.errors import error_page

pytestmark = pytest.mark.browser

ALL_SENT = re.compile(r"^\s*23 at Bria, 1 refused by Bria\.\s*$")
#: The notice of what was just done (other notices, such as a training's end, may sit beside it).
DONE = ".notification[role=status]"
MODERATED = "Bria did not take it: the image did not pass its content checks."


@pytest.fixture(scope="module")
def jobs(server: LiveServer) -> Iterator[LiveServer]:
    """The session's app with a job consumer running, as `make run` starts one; the sandbox
    writes every caption at once when asked to write them again (5 s otherwise)."""
    endpoints = server.app.extensions["webapp"].fake.dataset_endpoints
    with consumer_running(server.app.extensions["webapp"].jobs):
        endpoints.captions_seconds = 0.0
        try:
            yield server
        finally:
            del endpoints.captions_seconds  # back to the class's own figure


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Batch:
    return mixed_files(tmp_path_factory.mktemp("files"))


def to_project_page(page: Page, base_url: str, name: str) -> None:
    create(page, base_url, name, ip_type="icons")
    page.get_by_role("link", name="See the project's page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


def card(page: Page, name: str) -> Locator:
    return page.locator(".image-card").filter(has=page.locator(".card-name", has_text=name))


def assert_refused_with_reasons(page: Page, batch: Batch) -> None:
    panel = page.locator("#last-upload")
    expect(panel.get_by_role("heading")).to_have_text("24 of 30 files added")
    listed = panel.locator(".refused-list li")
    expect(listed).to_have_count(len(batch.refused))
    for name, reason in batch.refused.items():
        expect(listed.filter(has_text=name)).to_contain_text(reason)
    expect(panel).to_contain_text("The others are on their way to Bria")


def assert_health_report(page: Page) -> None:
    report = page.locator(".health-summary")
    expect(report).to_contain_text("23 images at Bria: within the 5 to 50 Bria recommends.")
    expect(report).to_contain_text("1 will be upscaled by Bria")
    expect(report).to_contain_text("1 group of images looks almost the same.")
    expect(report).to_contain_text("Bria refused 1.")
    expect(page.locator(".alike-group")).to_contain_text("near copy of picture-00.png")
    expect(page.locator(".alike-group")).to_contain_text("picture-00.jpg")
    expect(page.locator("main")).to_contain_text(f"magenta.png: {MODERATED}")


def test_a_new_project_to_a_completed_dataset_with_the_keyboard_alone(
    page: Page, base_url: str, jobs: LiveServer, batch: Batch
):
    page.set_viewport_size({"width": 1280, "height": 800})
    ready_for_file_choosers(page)
    project = unique("Keyboard datasets")
    page.goto(base_url + "/")
    type_over(page, page.locator("#project_name"), project)
    choose(page, "ip_medium", "illustration")
    choose(page, "ip_type", "icons")
    activate(page, page.get_by_role("button", name="Create project"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Project created")
    activate(page, page.get_by_role("link", name="See the project's page"))
    expect(page.get_by_role("heading", level=1)).to_have_text(project)
    expect(page.locator("#datasets-title ~ p").first).to_contain_text("Not locked yet")
    assert_accessible(page, "the project page without datasets")

    activate(page, page.get_by_role("link", name="Create a dataset"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Create a dataset")
    assert_accessible(page, "the new dataset form")
    activate(page, page.get_by_role("button", name="Create the dataset"))
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator(".error-summary")).to_contain_text("Select a training version")
    assert_accessible(page, "the new dataset form with errors")
    type_over(page, page.locator("#name"), "Summer shots")
    choose(page, "training_version", "fibo")
    activate(page, page.get_by_role("button", name="Create the dataset"))
    expect(page.locator(DONE)).to_contain_text("Dataset “Summer shots” created")
    dataset_id = dataset_id_of(page)
    expect(page.locator(".empty-state")).to_have_text("No images yet. Add some above.")
    assert_accessible(page, "an empty dataset")
    activate(page, page.get_by_role("link", name="Complete the dataset").first)
    expect(page.get_by_role("heading", level=1)).to_have_text("The dataset cannot be completed yet")
    expect(page.locator(".error-summary")).to_contain_text("it needs at least 5")
    assert_accessible(page, "a dataset that cannot be completed yet")
    activate(page, page.get_by_role("link", name="Back to the dataset"))

    # 30 files, chosen and sent with the keyboard: the file picker opens on Space.
    choose_files_with_the_keyboard(page, page.locator("#images-input"), batch.paths)
    tab_to(page, page.get_by_label(re.compile("Let Bria upscale images")))
    activate(page, page.get_by_role("button", name="Add the images"))
    page.wait_for_url("**batch=*")
    expect(page.locator("#last-upload")).to_be_focused()
    assert_refused_with_reasons(page, batch)
    assert_accessible(page, "the dataset with the files just added")

    # The queue, followed live by the page's script: no reload.
    summary = page.locator("[data-queue-summary]")
    expect(summary).to_have_text(ALL_SENT, timeout=30_000)
    expect(card(page, batch.moderated).locator("[data-state]")).to_have_text("Refused by Bria")
    expect(card(page, "picture-20.webp").locator("[data-state]")).to_have_text("At Bria")
    page.reload()
    expect(page.locator(".image-card [data-state]", has_text="At Bria")).to_have_count(23)
    expect(card(page, batch.moderated)).to_contain_text(MODERATED)
    expect(card(page, "small-600.jpg")).to_contain_text("Bria will upscale it")
    expect(card(page, "picture-00.jpg")).to_contain_text("Looks almost the same as near copy")
    thumbnails = page.locator(".image-card img")
    expect(thumbnails).to_have_count(24)  # made and served by the app
    for src in thumbnails.evaluate_all("images => images.map(image => image.src)"):
        assert re.search(r"/thumbnails/\d+\.jpg$", src) and "token" not in src, src
    first = thumbnails.first
    first.scroll_into_view_if_needed()
    first.evaluate("image => image.decode()")  # loaded, and a picture
    assert first.evaluate("image => image.naturalWidth") > 0
    assert_accessible(page, "every file at Bria or refused")

    # The visual schema: the app's pick, made by a job, then one of its fields edited.
    activate(page, page.get_by_role("link", name="Visual schema", exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text("Visual schema")
    expect(page.locator("input[name=picked]:checked")).to_have_count(8)
    assert_accessible(page, "the visual schema's pick")
    activate(page, page.get_by_role("button", name="Make the visual schema"))
    expect(page.locator(DONE)).to_contain_text("Bria is making the visual schema")
    assert_accessible(page, "the visual schema being made")
    palette = page.get_by_label("Palette", exact=True)
    reload_until(page, lambda: palette.count() == 1, "the visual schema made")
    expect(page.get_by_role("heading", name="Not saved yet")).to_be_visible()
    assert_accessible(page, "the visual schema made, not saved")
    type_over(page, palette, "warm reds and cool blues")
    activate(page, page.get_by_role("button", name="Save it at Bria"))
    expect(page.locator(DONE)).to_contain_text("The visual schema is saved")
    assert saved_schema(jobs, dataset_id)["palette"] == "warm reds and cool blues"

    # Captions: every one written again by Bria, then one edited in its fields.
    activate(page, page.get_by_role("button", name="Regenerate every caption"))
    expect(page.locator(DONE)).to_contain_text("Bria is writing every caption")
    captions = page.locator(".task-list li", has_text="Captions").locator(".task-status")
    reload_until(page, lambda: captions.inner_text() == "Written", "every caption written")
    assert_accessible(page, "the dataset with its captions written")
    activate(page, page.get_by_role("link", name="Edit the caption of picture-00.jpg"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Caption of picture-00.jpg")
    image_id = int(re.search(r"/images/(\d+)/caption", page.url).group(1))
    assert_accessible(page, "a caption")
    type_over(page, page.get_by_label("Lighting", exact=True), "soft morning light")
    activate(page, page.get_by_role("button", name="Save the caption"))
    expect(page.locator(DONE)).to_contain_text("Caption saved.")
    expect(page.locator(f"#image-{image_id} .caption-details")).to_contain_text(
        "soft morning light"
    )
    assert caption_at_bria(jobs, dataset_id, image_id)["lighting"] == "soft morning light"

    # The health report, then the dataset completed through its confirmation.
    activate(page, page.get_by_role("link", name="Health report", exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text("Health report")
    assert_health_report(page)
    assert_accessible(page, "the health report")
    activate(page, page.get_by_role("link", name="Complete the dataset"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Complete “Summer shots”")
    expect(page.locator(".warning-text")).to_contain_text("This cannot be undone.")
    expect(page.locator(".health-summary")).to_contain_text("23 images at Bria")
    assert_accessible(page, "the confirmation")
    activate(page, page.get_by_role("button", name="Complete the dataset"))
    expect(page.locator(DONE)).to_contain_text("The dataset is completed.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Completed")
    expect(page.locator("#images-input")).to_have_count(0)  # no more uploads offered
    assert_accessible(page, "the completed dataset")
    activate(page, page.get_by_role("link", name=project))
    expect(page.locator("#datasets-title ~ p").first).to_contain_text(
        "Locked to the FIBO family by dataset “Summer shots”"
    )


def test_the_same_journey_with_javascript_off(browser: Browser, base_url: str, jobs, batch):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 800})
    page = context.new_page()
    project = unique("Scriptless datasets")
    to_project_page(page, base_url, project)
    page.get_by_role("link", name="Create a dataset").click()
    page.fill("#name", "Winter shots")
    page.get_by_label("Max").check()
    page.get_by_role("button", name="Create the dataset").click()
    expect(page.locator(DONE)).to_contain_text("Dataset “Winter shots” created")
    dataset_id = dataset_id_of(page)
    expect(page.locator("[data-drop-hint]")).to_be_hidden()  # dropping needs the script

    page.set_input_files("#images-input", batch.paths)
    page.get_by_role("button", name="Add the images").click()
    page.wait_for_url("**batch=*#last-upload")
    assert_refused_with_reasons(page, batch)
    assert_accessible_without_scripts(page, "the dataset with the files just added")
    summary = page.locator("[data-queue-summary]")
    reload_until(page, lambda: bool(ALL_SENT.match(summary.inner_text())), "every file sent")
    expect(page.locator("#last-upload")).to_be_visible()  # the reasons stay on a reload
    expect(card(page, batch.moderated)).to_contain_text(MODERATED)

    page.get_by_role("link", name="Visual schema", exact=True).click()
    page.get_by_role("button", name="Make the visual schema").click()
    palette = page.get_by_label("Palette", exact=True)
    reload_until(page, lambda: palette.count() == 1, "the visual schema made")
    palette.fill("cold blues")  # the JSON view is sent too, as it was: the field wins
    page.get_by_role("button", name="Save it at Bria").click()
    expect(page.locator(DONE)).to_contain_text("The visual schema is saved")
    assert saved_schema(jobs, dataset_id)["palette"] == "cold blues"

    page.get_by_role("button", name="Regenerate every caption").click()
    captions = page.locator(".task-list li", has_text="Captions").locator(".task-status")
    reload_until(page, lambda: captions.inner_text() == "Written", "every caption written")
    page.get_by_role("link", name="Edit the caption of picture-01.png").click()
    image_id = int(re.search(r"/images/(\d+)/caption", page.url).group(1))
    page.get_by_text("The caption as Bria reads it (JSON)").click()  # <details>: no script
    raw = page.locator("#raw")
    caption = json.loads(raw.input_value())
    raw.fill(json.dumps({**caption, "lighting": "candle light"}, indent=2))
    page.get_by_role("button", name="Save the caption").click()
    expect(page.locator(DONE)).to_contain_text("Caption saved.")
    expect(page.locator(f"#image-{image_id} .caption-details")).to_contain_text("candle light")

    page.get_by_role("link", name="Health report", exact=True).click()
    assert_health_report(page)
    page.get_by_role("link", name="Complete the dataset").click()
    expect(page.locator(".warning-text")).to_contain_text("This cannot be undone.")
    page.get_by_role("button", name="Complete the dataset").click()
    expect(page.locator(DONE)).to_contain_text("The dataset is completed.")
    expect(page.locator("#images-input")).to_have_count(0)
    assert_accessible_without_scripts(page, "the completed dataset")
    context.close()


def test_an_upload_the_server_refuses_says_why_and_can_be_sent_again(
    page: Page, base_url: str, jobs, batch
):
    to_project_page(page, base_url, unique("Refused upload"))
    page.get_by_role("link", name="Create a dataset").click()
    page.fill("#name", "Too much at once")
    page.get_by_label("Light").check()
    page.get_by_role("button", name="Create the dataset").click()
    expect(page.locator("[data-drop-hint]")).to_be_visible()
    with jobs.app.test_request_context("/"):
        too_large = error_page(413)[0]  # the page nginx answers with, as deploy/serve makes it
    images = re.compile(r"/datasets/\d+/images$")
    page.route(
        images, lambda route: route.fulfill(status=413, body=too_large, content_type="text/html")
    )
    page.set_input_files("#images-input", batch.paths[1:3])
    button = page.get_by_role("button", name="Add the images")
    button.click()
    progress = page.locator("[data-upload-progress]")
    expect(progress).to_contain_text("The images were not added. What you sent is too large")
    expect(progress).to_contain_text("Nothing was sent to Bria: go back and send less at once")
    expect(button).not_to_have_attribute("aria-disabled", "true")
    assert_accessible(page, "an upload refused by the server")
    page.unroute(images)
    button.click()
    page.wait_for_url("**batch=*")
    expect(page.locator("#last-upload")).to_contain_text("2 of 2 files added")
