"""axe-core finds no violations on any page a person meets."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.steps import assert_no_violations, create
from tests.support.apps import live

pytestmark = pytest.mark.browser


def test_the_empty_form(page: Page, base_url: str):
    page.goto(base_url + "/")
    assert_no_violations(page)


def test_the_form_with_conditional_fields_revealed(page: Page, base_url: str):
    page.goto(base_url + "/")
    page.locator("input[name=ip_medium][value=photography]").check()
    page.locator("input[name=ip_type][value=defined_character]").check()
    expect(page.locator("#ip_name")).to_be_visible()
    page.fill("#ip_name", "one two three four")
    assert_no_violations(page)


def test_the_form_with_errors(page: Page, base_url: str):
    page.goto(base_url + "/")
    page.locator("input[name=ip_medium][value=illustration]").check()
    page.locator("input[name=ip_type][value=defined_character]").check()
    page.get_by_role("button", name="Create project").click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert_no_violations(page)


def test_the_result_page_and_the_project_page(page: Page, base_url: str):
    create(page, base_url, "Accessible result", medium="photography")
    expect(page.get_by_role("heading", level=1)).to_have_text("Project created")
    assert_no_violations(page)
    page.get_by_role("link", name="See the project's page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accessible result")
    assert_no_violations(page)


def test_the_duplicate_warning(page: Page, base_url: str):
    create(page, base_url, "Twice named")
    create(page, base_url, "Twice named")
    expect(page.locator(".warning-panel")).to_be_focused()
    assert_no_violations(page)


def test_the_project_list_and_search(page: Page, base_url: str):
    create(page, base_url, "Listed project")
    page.goto(base_url + "/projects")
    expect(page.locator("table")).to_contain_text("Listed project")
    assert_no_violations(page)
    page.fill("#q", "no such project anywhere")
    page.get_by_role("button", name="Show projects").click()
    expect(page.locator("main")).to_contain_text("No project matches these choices")
    assert_no_violations(page)


def test_the_empty_list(browser, tmp_path):
    with live(tmp_path / "empty") as empty:
        page = browser.new_page()
        page.goto(empty.url + "/projects")
        expect(page.locator("main")).to_contain_text("There are no projects yet")
        assert_no_violations(page)
        page.close()


@pytest.mark.parametrize("path", ["/projects/987654", "/no-such-page"])
def test_not_found_pages(page: Page, base_url: str, path: str):
    response = page.goto(base_url + path)
    assert response is not None and response.status == 404
    assert_no_violations(page)
