"""From a completed dataset to a generated image in Chromium, as a person starting from
`make run` goes: with the mouse, with the keyboard alone, and without JavaScript; stopping
a training; the notice every page shows when a training ends; and axe-core on every new
page and state at a phone's width and a laptop's.

The app runs with its job consumer beside it, in the sandbox, where a training takes
a few seconds (`model_steps.TRAINING_SECONDS`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from werkzeug.security import generate_password_hash

from tests.browser.model_steps import (
    FOLLOWED,
    GENERATED,
    Dataset,
    app_with_jobs,
    ask_for_image,
    assert_accessible,
    completed_dataset,
    hold_generation,
    hold_training,
    image_kept,
    let_it_stop,
    make_model,
    seen,
    services,
    slow_sandbox,
    start_training,
    status_words,
    stop_training,
    tab_to,
)
from tests.browser.steps import create, unique
from tests.support.apps import live
from tests.support.live_server import LiveServer
from webapp.ledger.activity import PAGE_SIZE, Activity

pytestmark = pytest.mark.browser

TRAINED = "Trained: ready to generate images"
PREFIX = "“Lora, a woman with purple hair”"
#: Set on the page's window: gone when the page has loaded again.
MARK = "window.markedBeforeReload"


@pytest.fixture(scope="module")
def trainer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with app_with_jobs(tmp_path_factory.mktemp("models") / "instance") as server:
        yield server


def mark(page: Page) -> None:
    page.evaluate(f"{MARK} = true")


def still_marked(page: Page) -> bool:
    return page.evaluate(MARK) is True


def model_page(server: LiveServer, dataset: Dataset, model_id: int) -> str:
    return f"{server.url}/projects/{dataset.project_id}/models/{model_id}"


def timeline(page: Page) -> Locator:
    return page.locator("[data-timeline] li > span")


def news_of(page: Page, model_name: str) -> Locator:
    """The notice, among the news every page shows, that a training of this model ended."""
    news = page.get_by_role("region", name="Trainings that ended")
    heading = page.get_by_role("heading", name=f"Training ended for “{model_name}”")
    return news.locator(".notification-news").filter(has=heading)


def loaded(image: Locator) -> int:
    """The image's width in pixels once the browser has it (0 when it could not load it).
    Images load lazily: the person scrolls to it first."""
    expect(image).to_be_attached(timeout=GENERATED)
    image.locator("xpath=ancestor::li[1]").scroll_into_view_if_needed()
    expect(image).to_be_visible()
    return image.evaluate("i => (i.complete ? i.naturalWidth : 0)")


# -- the journey ---------------------------------------------------------------------


def test_from_a_completed_dataset_to_a_generated_image(page: Page, trainer: LiveServer):
    dataset = completed_dataset(trainer)
    name = unique("Lora summer")
    page.goto(trainer.url + dataset.path)
    page.get_by_role("link", name="Make a model from this dataset").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Make a model")
    expect(page.get_by_label("Model name")).to_have_value(dataset.name)
    page.get_by_label("Model name").fill(name)
    page.get_by_label("Description (optional)").fill("Summer looks for the campaign")
    page.get_by_role("radio", name="Fully automated").check()
    page.get_by_role("button", name="Make the model").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_role("status", name="Done")).to_contain_text(f"Model “{name}” created.")
    expect(status_words(page)).to_have_text("Not trained yet")
    page.get_by_role("link", name="Start training…").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Start training “{name}”")
    warning = page.locator(".warning-text")
    expect(warning).to_contain_text("takes 2 to 4 hours")  # the Legacy family's range
    expect(warning).to_contain_text("a stopped training cannot be resumed")
    expect(page.locator(".health-summary li").first).to_contain_text("6 images at Bria")
    expect(page.get_by_role("main")).to_contain_text("In this sandbox, a training costs nothing")
    with slow_sandbox(trainer):  # long enough to see it training
        page.get_by_role("button", name="Start training").click()
        expect(status_words(page)).to_have_text("Training")
        expect(page.locator(".status-panel")).to_contain_text(
            "In this sandbox, a training takes 3 seconds."
        )
    expect(timeline(page)).to_have_text(["Made at Bria", "Training started"])

    mark(page)
    expect(status_words(page)).to_have_text(TRAINED, timeout=FOLLOWED)
    assert not still_marked(page), "the page should have reloaded itself when the status changed"
    expect(timeline(page)).to_have_text(
        ["Made at Bria", "Training started", "Training completed: the model is ready"]
    )
    expect(news_of(page, name)).to_contain_text(f"The training of model “{name}” is complete")
    expect(news_of(page, name).get_by_role("link")).to_have_count(0)  # no link to this page

    expect(page.locator("#prompt-hint")).to_contain_text(PREFIX)
    prompt = "sitting on a beach at sunset, smiling"
    with slow_sandbox(trainer):  # long enough to see it being made
        made_id = ask_for_image(page, prompt)
        item = page.locator(f"#generated-{made_id}")
        expect(item).to_contain_text("Being made by Bria…")
    expect(page.get_by_role("status", name="Done")).to_contain_text("Bria is making the image")
    mark(page)
    image = item.get_by_role("img", name=f"Made from the prompt: {prompt}")
    assert loaded(image) == 512
    assert still_marked(page), "the image should appear without the page loading again"
    expect(page.locator("#gallery").get_by_role("status")).to_have_text(
        f"The image made from “{prompt}” is ready."
    )
    expect(item).to_contain_text(f"“{prompt}”")
    expect(item).to_contain_text("Someone on the team, ")
    download = item.get_by_role("link", name=f"Download the image made from “{prompt}”")
    expect(download).to_have_attribute("href", re.compile(rf"/generated/{made_id}\?download=1$"))


def test_the_same_journey_with_the_keyboard_only(page: Page, trainer: LiveServer):
    dataset = completed_dataset(trainer)
    name = unique("Keyboard")
    keys = page.keyboard
    page.goto(trainer.url + dataset.path)
    tab_to(page, page.get_by_role("link", name="Make a model from this dataset"))
    keys.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Make a model")
    tab_to(page, page.get_by_label("Model name"))
    keys.press("Control+A")
    keys.type(name)
    tab_to(page, page.get_by_role("radio", name="Fully automated"))
    keys.press("ArrowDown")
    expect(page.get_by_role("radio", name="Expert")).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Make the model"))
    keys.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    tab_to(page, page.get_by_role("link", name="Start training…"))
    keys.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Start training “{name}”")
    tab_to(page, page.get_by_role("button", name="Start training"))
    with slow_sandbox(trainer):
        keys.press("Space")
        expect(status_words(page)).to_have_text("Training")

    expect(status_words(page)).to_have_text(TRAINED, timeout=FOLLOWED)
    expect(page.locator(".checkpoints")).to_contain_text("After 750 steps (the one Bria uses)")
    prompt = "reading under a tree"
    tab_to(page, page.get_by_label("What should the image show?"))
    keys.type(prompt)
    tab_to(page, page.get_by_label("Shape"))
    keys.press("ArrowDown")
    expect(page.get_by_label("Shape")).to_have_value("4:5")
    tab_to(page, page.get_by_role("button", name="Make the image"))
    with slow_sandbox(trainer):
        keys.press("Enter")
        page.wait_for_url(re.compile(r"#generated-\d+$"))
        item = page.locator(page.url[page.url.index("#") :])
        expect(item).to_contain_text("Being made by Bria…")
    image = item.get_by_role("img", name=f"Made from the prompt: {prompt}")
    assert loaded(image) == 512 * 4 // 5  # portrait: 4 wide for 5 high
    expect(item).to_contain_text("Someone on the team, ")
    expect(item).to_contain_text(", 4:5")
    tab_to(page, item.get_by_role("link", name=f"Download the image made from “{prompt}”"))


def test_without_javascript_the_journey_works_by_reloading(browser: Browser, trainer: LiveServer):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    dataset = completed_dataset(trainer)
    name = unique("No script")
    model_id = make_model(page, trainer.url, dataset, name)
    with slow_sandbox(trainer):
        start_training(page)
        expect(status_words(page)).to_have_text("Training")
        expect(page.locator("[data-read-age]")).to_contain_text("without JavaScript, reload it")
    seen(trainer, model_id, "Completed")
    expect(status_words(page)).to_have_text("Training")  # no script: nothing changes by itself
    page.reload()
    expect(status_words(page)).to_have_text(TRAINED)
    expect(timeline(page)).to_have_text(
        ["Made at Bria", "Training started", "Training completed: the model is ready"]
    )

    expect(page.locator("#prompt-hint")).to_contain_text(PREFIX)
    prompt = "waving from a boat"
    with slow_sandbox(trainer):
        made_id = ask_for_image(page, prompt)
        item = page.locator(f"#generated-{made_id}")
        expect(item).to_contain_text("Being made by Bria…")
    image_kept(trainer, made_id)
    expect(item.get_by_role("img")).to_have_count(0)
    page.reload()
    image = item.get_by_role("img", name=f"Made from the prompt: {prompt}")
    assert loaded(image) == 512
    expect(item).to_contain_text(f"“{prompt}”")
    expect(item).to_contain_text("Someone on the team, ")
    context.close()


# -- stopping, and the news of an end ---------------------------------------------------


def test_a_training_is_stopped_after_a_confirmation(page: Page, trainer: LiveServer):
    dataset = completed_dataset(trainer)
    name = unique("Stopped")
    model_id = make_model(page, trainer.url, dataset, name)
    with slow_sandbox(trainer):
        start_training(page)
        hold_training(trainer, model_id)
    page.get_by_role("link", name="Stop the training…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Stop training “{name}”")
    expect(page.locator(".warning-text")).to_contain_text("A stopped training cannot be resumed")
    with slow_sandbox(trainer):  # long enough to see it stopping
        page.get_by_role("button", name="Stop the training").click()
        expect(page.get_by_role("status", name="Done")).to_contain_text(
            "Bria is stopping the training."
        )
        expect(status_words(page)).to_have_text("Stopping")
        expect(timeline(page)).to_have_text(["Made at Bria", "Training started", "Asked to stop"])
    let_it_stop(trainer, model_id)
    expect(status_words(page)).to_have_text("Stopped: it cannot be resumed", timeout=FOLLOWED)
    expect(timeline(page)).to_have_text(
        ["Made at Bria", "Training started", "Asked to stop", "Training stopped"]
    )
    expect(page.get_by_role("link", name="Stop the training…")).to_have_count(0)


def test_every_page_tells_when_a_training_ended_until_dismissed(page: Page, trainer: LiveServer):
    dataset = completed_dataset(trainer)
    name = unique("Told")
    model_id = make_model(page, trainer.url, dataset, name)
    start_training(page)
    seen(trainer, model_id, "Completed")

    words = dataset.project_name.split()[-1]
    elsewhere = f"{trainer.url}/projects?q={words}"
    page.goto(elsewhere)
    notice = news_of(page, name)
    expect(notice).to_contain_text(
        f"The training of model “{name}” is complete: the model can make images now. "
        "Started by someone on the team."
    )
    notice.get_by_role("link", name=f"See the model “{name}”").click()
    expect(page).to_have_url(model_page(trainer, dataset, model_id))
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    page.go_back()

    notice.get_by_role("button", name=f"Dismiss the news about “{name}”").click()
    expect(notice).to_have_count(0)
    expect(page).to_have_url(elsewhere)
    expect(page.get_by_label("Project name")).to_have_value(words)
    expect(page.get_by_role("table")).to_contain_text(dataset.project_name)
    page.goto(trainer.url + dataset.path)
    expect(page.get_by_role("heading", level=1)).to_contain_text(dataset.name)
    expect(notice).to_have_count(0)


# -- axe-core on every new page and state ---------------------------------------------


@dataclass(frozen=True)
class States:
    """Models of one dataset in each state a model page shows, held there."""

    dataset: Dataset
    created: int
    training: int
    stopping: int
    stopped: int
    failed: int
    trained: int
    trained_name: str
    ready_image: int
    pending_image: int


@pytest.fixture(scope="module")
def states(browser: Browser, trainer: LiveServer) -> Iterator[States]:
    context = browser.new_context()
    page = context.new_page()
    url = trainer.url
    dataset = completed_dataset(trainer)
    created = make_model(page, url, dataset, unique("Not trained"))
    trained_name = unique("Trained")
    trained = make_model(page, url, dataset, trained_name)
    start_training(page)
    failed = make_model(page, url, dataset, unique("Fails [fail]"))
    start_training(page)
    with slow_sandbox(trainer):
        held = {}
        for label in ("Training", "Stopping", "Stopped"):
            held[label] = make_model(page, url, dataset, unique(label))
            start_training(page)
            hold_training(trainer, held[label])
        page.goto(model_page(trainer, dataset, held["Stopping"]))
        stop_training(page)  # stopping takes months inside the block
    page.goto(model_page(trainer, dataset, held["Stopped"]))
    stop_training(page)
    seen(trainer, held["Stopped"], "Stopped")
    seen(trainer, failed, "Failed")
    seen(trainer, trained, "Completed")
    page.goto(model_page(trainer, dataset, trained))
    ready = ask_for_image(page, "a picnic in the park")
    image_kept(trainer, ready)
    with slow_sandbox(trainer):
        pending = ask_for_image(page, "a storm at sea")
        hold_generation(trainer, pending)
    context.close()
    activity = services(trainer).get(Activity.of)
    for number in range(PAGE_SIZE):  # the project's record fills more than a page
        subject = f"{number} images to dataset “{dataset.name}”"
        activity.record("images.upload", subject, dataset.project_id, "Dana (design)")
    yield States(
        dataset,
        created,
        held["Training"],
        held["Stopping"],
        held["Stopped"],
        failed,
        trained,
        trained_name,
        ready,
        pending,
    )


@pytest.mark.parametrize("width", [360, 1280])
def test_axe_finds_nothing_wrong_on_the_model_pages_in_any_state(
    browser: Browser, trainer: LiveServer, states: States, width: int
):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    dataset = states.dataset
    heading = page.get_by_role("heading", level=1)

    page.goto(trainer.url + dataset.path + "/models/new")
    expect(heading).to_have_text("Make a model")
    assert_accessible(page, "the new model form")
    page.get_by_label("Model name").fill("")
    page.get_by_label("Description (optional)").fill("x" * 501)
    page.get_by_role("button", name="Make the model").click()
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator(".error-summary")).to_contain_text("Enter a name for the model")
    assert_accessible(page, "the new model form with errors")

    shown = {
        "Not trained yet": states.created,
        "Training": states.training,
        "Stopping": states.stopping,
        "Stopped: it cannot be resumed": states.stopped,
        "Training failed": states.failed,
    }
    for words, model_id in shown.items():
        page.goto(model_page(trainer, dataset, model_id))
        expect(status_words(page)).to_have_text(words)
        assert_accessible(page, f"a model page: {words}")

    page.goto(model_page(trainer, dataset, states.created) + "/start")
    expect(page.locator(".health-summary")).to_be_visible()
    assert_accessible(page, "the start confirmation")
    page.goto(model_page(trainer, dataset, states.training) + "/stop")
    expect(heading).to_contain_text("Stop training")
    assert_accessible(page, "the stop confirmation")

    make_model(page, trainer.url, dataset, unique("Twice started"))
    page.get_by_role("link", name="Start training…").click()
    other_tab = context.new_page()
    other_tab.goto(page.url)
    with slow_sandbox(trainer):
        page.get_by_role("button", name="Start training").click()
        expect(status_words(page)).to_have_text("Training")
    with other_tab.expect_response(lambda r: r.request.method == "POST") as answer:
        other_tab.get_by_role("button", name="Start training").click()
    assert answer.value.status == 409
    expect(other_tab.get_by_role("heading", level=1)).to_have_text(
        "This model’s training has already started"
    )
    expect(other_tab).to_have_title(re.compile("^Training already started: “Twice started"))
    assert_accessible(other_tab, "the 409 page: already started")
    other_tab.close()

    page.goto(model_page(trainer, dataset, states.trained))
    expect(status_words(page)).to_have_text(TRAINED)
    ready = page.locator(f"#generated-{states.ready_image}")
    assert loaded(ready.get_by_role("img")) == 512
    expect(page.locator(f"#generated-{states.pending_image}")).to_contain_text(
        "Being made by Bria…"
    )
    assert_accessible(page, "a trained model with a pending and a completed image")
    page.get_by_role("button", name="Make the image").click()
    expect(page.locator(".error-summary")).to_contain_text("Enter a prompt")
    assert_accessible(page, "the prompt form with an error")

    page.goto(trainer.url + "/projects")
    notice = news_of(page, states.trained_name)
    expect(notice).to_be_visible()
    assert_accessible(page, "the 'Training ended' notice on another page")
    notice.get_by_role("button", name=re.compile("^Dismiss")).click()
    expect(notice).to_have_count(0)
    assert_accessible(page, "the projects page after dismissing the notice")

    page.goto(f"{trainer.url}/projects/{dataset.project_id}/activity")
    expect(page.locator(".activity-list")).to_contain_text("Dana (design) added 49 images")
    assert_accessible(page, "a project's activity")
    page.get_by_role("link", name="Older entries").click()
    expect(page).to_have_title(re.compile(r"\(page 2\)"))
    expect(page.locator(".activity-list")).to_contain_text(f"model “{states.trained_name}”")
    expect(page.locator(".activity-list")).to_have_attribute("start", str(PAGE_SIZE + 1))
    assert_accessible(page, "a project's activity, page 2")
    page.goto(trainer.url + "/activity")
    expect(heading).to_have_text("Who did what")
    assert_accessible(page, "everyone's activity")
    context.close()


@pytest.mark.parametrize("width", [360, 1280])
def test_axe_finds_nothing_wrong_on_the_sign_in_page_asking_for_a_name(
    browser: Browser, tmp_path, width: int
):
    gated = live(tmp_path / "gated", ACCESS_PASSWORD_HASH=generate_password_hash("open sesame"))
    with gated as server:
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        page.goto(server.url + "/")
        expect(page.get_by_label("Your name (optional)")).to_be_visible()
        assert_accessible(page, "the sign-in page")
        page.get_by_label("Your name (optional)").fill("Dana (design)")
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator(".error-summary")).to_contain_text("Enter the access password")
        expect(page.get_by_label("Your name (optional)")).to_have_value("Dana (design)")
        assert_accessible(page, "the sign-in page with an error")
        page.get_by_label("Access password").fill("open sesame")
        page.get_by_role("button", name="Sign in").click()
        name = unique("Named")
        create(page, server.url, name)
        page.goto(server.url + "/activity")
        expect(page.locator(".activity-list li").first).to_contain_text("Dana (design)")
        expect(page.locator(".activity-list li").first).to_contain_text(name)
        assert_accessible(page, "the activity page naming who did it")
        context.close()
