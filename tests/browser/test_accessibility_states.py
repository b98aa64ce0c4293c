"""axe-core finds no violations on the pages and states added for changing, deleting,
signing in and failing: every page a person can meet."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect
from werkzeug.security import generate_password_hash

from tests.browser.steps import assert_no_violations, create, unique
from tests.support.apps import live
from tests.support.fake_api import Scripted
from webapp.access.gate import AccessGate
from webapp.ledger import shared_reads
from webapp.ledger.submissions import CREATE
from webapp.projects.snapshot import ProjectSnapshot

pytestmark = pytest.mark.browser


def test_changing_a_project_every_state(page: Page, base_url: str):
    name = unique("Accessible edit")
    create(page, base_url, name)
    page.get_by_role("link", name="See the project's page").click()
    page.get_by_role("link", name="Change the name or descriptions").click()
    page.wait_for_url("**/edit")
    assert_no_violations(page)
    page.fill("#project_name", "")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".error-summary")).to_be_focused()
    assert_no_violations(page)
    other = unique("Other name")
    create(page, base_url, other)
    page.go_back()
    page.go_back()
    page.fill("#project_name", other)
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("[data-module=warning]")).to_contain_text("Another project is called")
    assert_no_violations(page)
    page.fill("#project_name", unique("Renamed"))
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Changes saved")
    assert_no_violations(page)


def test_deleting_a_project_every_state(page: Page, base_url: str, server):
    name = unique("Accessible delete")
    create(page, base_url, name)
    page.get_by_role("link", name="See the project's page").click()
    page.get_by_role("link", name="Delete this project").click()
    expect(page.get_by_role("button", name="Delete the project")).to_be_visible()
    assert_no_violations(page)
    [project] = [p for p in server.projects() if p["project_name"] == name]
    store = server.app.extensions["webapp"].fake.projects
    store.set_training(project["id"])
    page.get_by_role("button", name="Delete the project").click()
    expect(page.locator(".error-summary")).to_contain_text("training")
    assert_no_violations(page)
    store.set_training(project["id"], False)
    page.get_by_role("button", name="Delete the project").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Project deleted")
    assert_no_violations(page)


def test_a_list_in_pages_with_filters(page: Page, base_url: str, server):
    store = server.app.extensions["webapp"].fake.projects
    for number in range(55):
        store.add(project_name=f"Paged {number}", ip_type="icons")
    snapshot = server.app.extensions["webapp"].get(ProjectSnapshot)
    snapshot.refresh(read_after=snapshot.now())  # made outside the app: read the list again
    page.goto(base_url + "/projects?type=icons")
    expect(page.locator(".pagination")).to_be_visible()
    assert_no_violations(page)
    page.get_by_role("link", name="Next page").click()
    expect(page).to_have_title("Projects (page 2 of 2) – Bria project creator")
    assert_no_violations(page)


def test_what_the_pages_say_when_bria_fails(page: Page, failing, monkeypatch):
    monkeypatch.setattr(shared_reads, "FAILURE_REUSE_SECONDS", 0)  # each step asks Bria anew
    live, api = failing
    api.fake.answer_next(Scripted(503, ""))
    response = page.goto(live.url + "/projects")
    assert response is not None and response.status == 502
    expect(page.get_by_role("heading", level=1)).to_have_text("The projects could not be listed")
    assert_no_violations(page)

    api.fake.answer_next(Scripted(503, ""))
    create(page, live.url, unique("Unchecked"))
    expect(page.locator("[data-module=warning]")).to_contain_text("Names could not be checked")
    assert_no_violations(page)

    api.fake.answer_next(Scripted(200, []), Scripted(500, ""), Scripted(200, []))
    create(page, live.url, unique("Unconfirmed"))
    expect(page.locator("[data-module=warning]")).to_contain_text("did not confirm")
    assert_no_violations(page)

    api.fake.answer_next(Scripted(200, []), Scripted(400, {"error": {"message": "Name taken"}}))
    create(page, live.url, unique("Refused"))
    expect(page.locator(".error-summary")).to_contain_text("It said: “Name taken”")
    assert_no_violations(page)


def test_a_create_still_at_bria(page: Page, failing):
    live, _ = failing
    submission_id = "pending" + uuid.uuid4().hex
    answers = {"project_name": "Still at Bria", "ip_medium": "illustration", "ip_type": "icons"}
    with live.app.app_context():
        live.app.extensions["webapp"].ledger.claim(submission_id, CREATE, answers, answers)
    page.goto(f"{live.url}/submissions/{submission_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your project is being created")
    assert_no_violations(page)


def test_signing_in_and_out_every_state(browser, tmp_path):
    gated = live(tmp_path / "gated", ACCESS_PASSWORD_HASH=generate_password_hash("open sesame"))
    with gated as server:
        page = browser.new_page()
        page.goto(server.url + "/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
        assert_no_violations(page)
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator(".error-summary")).to_contain_text("Enter the access password")
        assert_no_violations(page)
        for left in range(4, 0, -1):
            page.fill("#password", "wrong")
            page.get_by_role("button", name="Sign in").click()
            expect(page.locator("#password-hint")).to_contain_text(f"You have {left} attempt")
        page.fill("#password", "wrong")
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator(".error-summary")).to_contain_text("Try again in 15 minutes")
        assert_no_violations(page)
        server.app.extensions["webapp"].get(AccessGate.of).forget("127.0.0.1")
        page.get_by_role("link", name="Check again").click()
        page.fill("#password", "open sesame")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("You have signed out")
        assert_no_violations(page)
        page.close()
