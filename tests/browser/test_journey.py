"""A person's whole journey in Chromium: changing and deleting projects, Back after any
reply, the list at every width, local times, and what the pages say when Bria fails."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.steps import create, unique
from tests.support.fake_api import Scripted
from webapp.ledger import shared_reads
from webapp.projects.snapshot import ProjectSnapshot

pytestmark = pytest.mark.browser

#: Finds words that a line break cuts in two, inside the elements `selector` matches.
BROKEN_WORDS = """
(selector) => {
  const broken = [];
  for (const element of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
      const words = /\\S+/g;
      let match;
      while ((match = words.exec(node.textContent))) {
        if (match[0].length > 40) { continue; }  /* a name with no spaces must wrap */
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        if (lines.size > 1) { broken.push(match[0]); }
      }
    }
  }
  return broken;
}
"""


def project_page(page: Page, base_url: str, name: str) -> None:
    create(page, base_url, name)
    expect(page.get_by_role("heading", level=1)).to_have_text("Project created")
    page.get_by_role("link", name="See the project's page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


def sideways(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_a_project_is_renamed_and_its_descriptions_changed(page: Page, base_url: str, server):
    name = unique("Before")
    project_page(page, base_url, name)
    page.get_by_role("link", name="Change the name or descriptions").click()
    expect(page.locator("#project_name")).to_have_value(name)
    expect(page.locator("#ip_name")).to_have_value("Lora")
    renamed = unique("After")
    page.fill("#project_name", renamed)
    page.fill("#project_description", "First line\nSecond line")
    page.fill("#ip_description", "one two three four five six seven")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#ip_description-error")).to_contain_text("6 words or fewer")
    expect(page.locator("#project_name")).to_have_value(renamed)
    page.fill("#ip_description", "a woman with green hair")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Changes saved")
    description = page.locator(".summary-list dd.multiline")
    expect(description).to_have_text("First line\nSecond line")
    assert description.evaluate("e => e.getClientRects().length") >= 1
    assert description.evaluate("e => e.offsetHeight") > 30  # the line break is kept
    page.goto(base_url + "/projects?q=" + renamed.split()[-1])
    expect(page.locator("table")).to_contain_text(renamed)
    [project] = [p for p in server.projects() if p["project_name"] == renamed]
    assert project["ip_description"] == "a woman with green hair"


def test_a_project_is_deleted_after_a_confirmation_that_names_it(page: Page, base_url: str, server):
    name = unique("Doomed")
    project_page(page, base_url, name)
    page.get_by_role("link", name="Delete this project").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Delete “{name}”?")
    expect(page.locator("main")).to_contain_text("This cannot be undone.")
    page.get_by_role("button", name="Delete the project").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Project deleted")
    expect(page.locator(".panel")).to_contain_text(name)
    page.get_by_role("link", name="See all projects").click()
    expect(page.locator("main")).not_to_contain_text(name)
    assert not any(p["project_name"] == name for p in server.projects())


def test_a_project_with_a_model_training_is_not_deleted_and_says_why(
    page: Page, base_url: str, server
):
    name = unique("Training")
    project_page(page, base_url, name)
    [project] = [p for p in server.projects() if p["project_name"] == name]
    server.app.extensions["webapp"].fake.projects.set_training(project["id"])
    page.get_by_role("link", name="Delete this project").click()
    page.get_by_role("button", name="Delete the project").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("A model in this project is training")
    expect(page).to_have_title(f"Error: Delete “{name}” – Bria project creator")


def test_back_from_the_existing_project_shows_the_answers_again(page: Page, base_url: str):
    name = unique("Twice")
    create(page, base_url, name)
    create(page, base_url, name)
    warning = page.locator("[data-module=warning]")
    expect(warning).to_contain_text("already exists")
    page.fill("#project_description", "typed after the warning")
    warning.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    page.go_back()
    expect(page.locator("[data-module=warning]")).to_contain_text("already exists")
    expect(page.locator("#project_name")).to_have_value(name)
    expect(page.locator("#ip_name")).to_be_visible()
    expect(page.locator("#ip_name")).to_have_value("Lora")


def test_back_after_a_create_shows_the_fields_of_the_chosen_type(page: Page, base_url: str):
    name = unique("Restored")
    page.goto(base_url + "/")
    page.fill("#project_name", name)
    page.locator("input[name=ip_medium][value=illustration]").check()
    page.locator("input[name=ip_type][value=object_variants]").check()
    page.fill("#ip_description", "round mugs")
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Project created")
    page.go_back()
    expect(page.locator("input[name=ip_type][value=object_variants]")).to_be_checked()
    expect(page.locator("#ip_description")).to_be_visible()
    expect(page.locator("#ip_name")).to_be_hidden()
    expect(page.get_by_role("button", name="Create project")).not_to_have_attribute(
        "aria-disabled", "true"
    )


def test_the_duplicate_choices_sit_beside_the_warning_on_a_phone(browser: Browser, base_url: str):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    name = unique("Phone twice")
    create(page, base_url, name)
    create(page, base_url, name)
    choices = page.locator("[data-module=warning] .choices")
    expect(choices.get_by_role("link", name="Change the name")).to_be_in_viewport()
    expect(choices.get_by_role("button")).to_have_text("Create another project with this name")
    choices.get_by_role("link", name="Change the name").click()
    expect(page.locator("#project_name")).to_be_focused()
    context.close()


@pytest.mark.parametrize("width", [1280, 360])
def test_the_list_breaks_no_word_and_no_page_scrolls_sideways(
    browser: Browser, base_url: str, server, width: int
):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    store = server.app.extensions["webapp"].fake.projects
    made_elsewhere = store.add(project_name="N" + "o" * 199, ip_type="character_variants")
    snapshot = server.app.extensions["webapp"].get(ProjectSnapshot)
    snapshot.refresh(read_after=snapshot.now())  # made outside the app: read the list again
    longest_allowed = "L" + uuid.uuid4().hex[:6] + "o" * 93
    create(page, base_url, "Defined character stylized scene illustration", "defined_character")
    create(page, base_url, longest_allowed, "character_variants")
    expect(page.get_by_role("heading", level=1)).to_have_text("Project created")
    assert sideways(page) <= 0
    create(page, base_url, longest_allowed, "character_variants")
    expect(page.locator("[data-module=warning]")).to_be_visible()
    assert sideways(page) <= 0
    for path in ("", "/edit", "/delete"):
        page.goto(f"{base_url}/projects/{made_elsewhere['id']}{path}")
        assert sideways(page) <= 0, path
    page.goto(base_url + "/projects")
    expect(page.locator(".project-table")).to_contain_text("N" + "o" * 199)
    assert sideways(page) <= 0
    assert page.evaluate(BROKEN_WORDS, ".project-table th, .project-table td") == []
    if width == 1280:
        table = page.locator(".project-table").bounding_box()
        assert table is not None and table["width"] > 900  # the page's width, not a column
    context.close()


def test_times_are_shown_in_the_persons_time_zone(browser: Browser, base_url: str):
    context = browser.new_context(timezone_id="Asia/Tokyo", locale="en-GB")
    page = context.new_page()
    create(page, base_url, unique("Tokyo"))
    created = page.locator(".summary-list time")
    expect(created).to_contain_text("GMT+9")
    assert "UTC" in (created.get_attribute("title") or "")
    context.close()


def test_an_unknown_outcome_says_what_was_done_and_checks_again(page: Page, failing, monkeypatch):
    monkeypatch.setattr(shared_reads, "FAILURE_REUSE_SECONDS", 0)
    live, api = failing
    api.fake.answer_next(Scripted(200, []), Scripted(500, ""), Scripted(200, []))
    name = unique("Unconfirmed")
    create(page, live.url, name)
    warning = page.locator("[data-module=warning]")
    expect(warning).to_contain_text("Bria did not confirm whether your project was created")
    expect(warning).to_contain_text("has not found it yet")
    expect(page.locator("#project_name")).to_have_value(name)
    api.fake.add_project(
        project_name=name,
        ip_name="Lora",
        ip_description="a woman with purple hair",
        ip_medium="illustration",
        ip_type="defined_character",
    )
    warning.get_by_role("link", name="Check again").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Project created")
    assert len(api.fake.posts()) == 1
