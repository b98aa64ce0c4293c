"""The form as a person meets it, in headless Chromium."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect

from webapp.rules import projects as rules

pytestmark = pytest.mark.browser


def unique(name: str) -> str:
    return f"{name} {uuid.uuid4().hex[:6]}"


def visible_type_values(page: Page) -> list[str]:
    return [
        value
        for value in rules.IP_TYPES_BY_VALUE
        if page.locator(f"input[name=ip_type][value='{value}']").is_visible()
    ]


def choose(page: Page, name: str, value: str) -> None:
    page.locator(f"input[name={name}][value='{value}']").check()


def count_named(server, name: str) -> int:
    return sum(1 for p in server.projects() if p["project_name"] == name)


@pytest.mark.parametrize("medium", list(rules.MEDIA_BY_VALUE))
def test_types_offered_follow_the_medium(page: Page, base_url: str, medium: str):
    page.goto(base_url + "/")
    choose(page, "ip_medium", medium)
    assert visible_type_values(page) == [t.value for t in rules.types_for_medium(medium)]
    more = page.locator("#ip_type-more")
    if medium == "photography":
        expect(more).to_be_visible()
        expect(more).to_contain_text("more types")
    else:
        expect(more).to_be_hidden()


def test_choosing_photography_clears_a_hidden_illustration_only_type(page: Page, base_url: str):
    page.goto(base_url + "/")
    choose(page, "ip_medium", "illustration")
    choose(page, "ip_type", "object_variants")
    expect(page.locator("#ip_description")).to_be_visible()
    choose(page, "ip_medium", "photography")
    assert page.locator("input[name=ip_type]:checked").count() == 0
    expect(page.locator("#ip_description")).to_be_hidden()


@pytest.mark.parametrize(
    ("medium", "ip_type"),
    [(m, t.value) for m in rules.MEDIA_BY_VALUE for t in rules.types_for_medium(m)],
)
def test_name_and_description_appear_only_for_the_types_that_need_them(
    page: Page, base_url: str, medium: str, ip_type: str
):
    page.goto(base_url + "/")
    expect(page.locator("#ip_name")).to_be_hidden()
    expect(page.locator("#ip_description")).to_be_hidden()
    choose(page, "ip_medium", medium)
    choose(page, "ip_type", ip_type)
    needed = rules.IP_TYPES_BY_VALUE[ip_type].needed_fields
    for field in ("ip_name", "ip_description"):
        if field in needed:
            expect(page.locator(f"#{field}")).to_be_visible()
        else:
            expect(page.locator(f"#{field}")).to_be_hidden()


def test_word_counts_update_allow_typing_past_the_limit_and_announce_politely(
    page: Page, base_url: str
):
    page.goto(base_url + "/")
    choose(page, "ip_medium", "illustration")
    choose(page, "ip_type", "defined_character")
    name = page.locator("#ip_name")
    group = page.locator("#ip_name-group")
    visible = group.locator(".count-message[aria-hidden=true]")
    live = group.locator("[aria-live=polite]")

    expect(visible).to_have_text("You have 3 words remaining")
    name.press_sequentially("Captain Smith")
    expect(visible).to_have_text("You have 1 word remaining")
    name.press_sequentially(" the brave hero")
    assert name.input_value() == "Captain Smith the brave hero"
    expect(visible).to_have_text("2 words too many")
    expect(live).to_have_text("2 words too many", timeout=3000)

    description = page.locator("#ip_description")
    description.fill("a female character with purple hair")
    expect(page.locator("#ip_description-group .count-message[aria-hidden=true]")).to_have_text(
        "You have 0 words remaining"
    )


def test_submitting_the_empty_form_shows_a_focused_error_summary(page: Page, base_url: str):
    page.goto(base_url + "/")
    page.get_by_role("button", name="Create project").click()

    expect(page).to_have_title("Error: Create a project – Bria project creator")
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("There is a problem")
    expect(summary.get_by_role("link")).to_have_text(
        ["Enter a project name", "Select the medium of the IP", "Select the type of IP"]
    )
    expect(page.locator("#project_name-error")).to_contain_text("Enter a project name")
    summary.get_by_role("link", name="Select the medium of the IP").click()
    expect(page.locator("#ip_medium")).to_be_focused()


def test_errors_keep_everything_typed(page: Page, base_url: str):
    page.goto(base_url + "/")
    page.fill("#project_name", "Kept name")
    page.fill("#project_description", "Kept description")
    choose(page, "ip_medium", "illustration")
    choose(page, "ip_type", "defined_character")
    page.fill("#ip_name", "one two three four")
    page.fill("#ip_description", "a b")
    choose(page, "training_version", "light")
    page.get_by_role("button", name="Create project").click()

    expect(page.locator("#ip_name-error")).to_contain_text(
        "Character name must be 3 words or fewer"
    )
    expect(page.locator("#project_name")).to_have_value("Kept name")
    expect(page.locator("#project_description")).to_have_value("Kept description")
    expect(page.locator("#ip_name")).to_have_value("one two three four")
    expect(page.locator("#ip_description")).to_have_value("a b")
    expect(page.locator("input[name=training_version][value=light]")).to_be_checked()
    expect(page.locator("input[name=ip_type][value=defined_character]")).to_be_checked()


def fill_valid(page: Page, name: str) -> None:
    page.fill("#project_name", name)
    choose(page, "ip_medium", "illustration")
    choose(page, "ip_type", "object_variants")
    page.fill("#ip_description", "round glossy ceramic mugs")
    choose(page, "training_version", "fibo")


def test_a_project_is_created_and_shown(page: Page, base_url: str, server):
    name = unique("Mugs")
    page.goto(base_url + "/")
    fill_valid(page, name)
    page.get_by_role("button", name="Create project").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Project created")
    expect(page.locator(".panel")).to_contain_text(name)
    expect(page.locator(".summary-list")).to_contain_text("Locked to the FIBO family")
    expect(page.locator(".summary-list")).to_contain_text("round glossy ceramic mugs")
    assert count_named(server, name) == 1


def test_a_double_click_creates_one_project(page: Page, base_url: str, server):
    name = unique("Double")
    page.goto(base_url + "/")
    fill_valid(page, name)
    page.get_by_role("button", name="Create project").dblclick()
    expect(page.get_by_role("heading", level=1)).to_have_text("Project created")
    assert count_named(server, name) == 1


def test_without_javascript_every_field_shows_and_the_form_works(browser, base_url: str, server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base_url + "/")
    for value in rules.IP_TYPES_BY_VALUE:
        expect(page.locator(f"input[name=ip_type][value='{value}']")).to_be_visible()
    expect(page.locator("#ip_name")).to_be_visible()
    expect(page.locator("#ip_description")).to_be_visible()
    expect(page.locator("#ip_name-info")).to_have_text("You can enter up to 3 words")

    page.get_by_role("button", name="Create project").click()
    expect(page.locator(".error-summary")).to_contain_text("Enter a project name")

    name = unique("No script")
    page.fill("#project_name", name)
    choose(page, "ip_medium", "photography")
    choose(page, "ip_type", "stylized_scene")
    page.fill("#ip_name", "stale, not sent")
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Project created")
    [project] = [p for p in server.projects() if p["project_name"] == name]
    assert project["ip_name"] == ""
    context.close()


def test_keyboard_only_with_visible_focus(page: Page, base_url: str, server):
    name = unique("Keys")
    page.goto(base_url + "/")
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    page.focus("#project_name")
    page.keyboard.type(name)
    outline = page.eval_on_selector("#project_name", "e => getComputedStyle(e).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Tab")  # description
    page.keyboard.press("Tab")  # medium radios: first one
    expect(page.locator("#ip_medium")).to_be_focused()
    page.keyboard.press("ArrowDown")  # illustration
    expect(page.locator("input[name=ip_medium][value=illustration]")).to_be_checked()
    page.keyboard.press("Tab")  # type radios
    page.keyboard.press("Space")
    expect(page.locator("input[name=ip_type][value=defined_character]")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.locator("#ip_name")).to_be_focused()
    page.keyboard.type("Lora")
    page.keyboard.press("Tab")
    page.keyboard.type("a girl with purple hair")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Project created")
    assert count_named(server, name) == 1


@pytest.mark.parametrize("path", ["/", "/projects"])
def test_a_360_pixel_screen_needs_no_sideways_scrolling(browser, base_url: str, path: str):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(base_url + path)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    if path == "/":
        page.get_by_role("button", name="Create project").click()
        expect(page.locator(".error-summary")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        fill_valid(page, unique("A rather long project name on a small phone screen"))
        page.get_by_role("button", name="Create project").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Project created")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()
