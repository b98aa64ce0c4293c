"""What a person does in the browser, step by step, shared by the browser tests."""

from __future__ import annotations

import uuid

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

AXE = Axe()


def assert_no_violations(page: Page) -> None:
    """axe-core finds nothing wrong on the page as it is now."""
    results = AXE.run(page)
    assert results.violations_count == 0, results.generate_report()


def unique(name: str) -> str:
    return f"{name} {uuid.uuid4().hex[:6]}"


def create(
    page: Page,
    base_url: str,
    name: str,
    ip_type: str = "defined_character",
    medium: str = "illustration",
) -> None:
    """Fill in the create form, send it, and wait for the reply's page (every reply to a
    form is a page of its own under /submissions/): a step taken while the browser is still
    on its way there, such as Back, would act on a page that is being replaced."""
    page.goto(base_url + "/")
    page.fill("#project_name", name)
    page.locator(f"input[name=ip_medium][value={medium}]").check()
    page.locator(f"input[name=ip_type][value={ip_type}]").check()
    if ip_type == "defined_character":
        page.fill("#ip_name", "Lora")
        page.fill("#ip_description", "a woman with purple hair")
    page.get_by_role("button", name="Create project").click()
    page.wait_for_url("**/submissions/*")
