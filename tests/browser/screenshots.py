"""Make the README's screenshots: `python -m tests.browser.screenshots` (or `make screenshots`)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.support.apps import live

DOCS = Path(__file__).resolve().parents[2] / "docs"


def main() -> None:
    with (
        tempfile.TemporaryDirectory() as folder,
        live(Path(folder) / "instance") as server,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 820, "height": 1180})
        page.goto(server.url + "/")
        page.fill("#project_name", "Lora summer campaign")
        page.locator("input[name=ip_medium][value=illustration]").check()
        page.locator("input[name=ip_type][value=defined_character]").check()
        page.fill("#ip_name", "Lora")
        page.fill("#ip_description", "a female character with purple hair")
        page.locator("#ip_type").scroll_into_view_if_needed()
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=DOCS / "form.png")
        page.get_by_role("button", name="Create project").click()
        page.wait_for_selector(".panel")
        page.set_viewport_size({"width": 820, "height": 900})
        page.screenshot(path=DOCS / "result.png")
        browser.close()


if __name__ == "__main__":
    main()
