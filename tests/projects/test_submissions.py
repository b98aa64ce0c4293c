"""`/submissions/<id>`: what a person sees of a create under way, or of unknown outcome."""

from __future__ import annotations

import pytest

from tests.support.fake_api import Scripted
from tests.support.pages import VALID, follow, hidden_inputs, links, main_text, submit
from webapp.ledger.submissions import CREATE
from webapp.projects import service as submissions
from webapp.services import services


@pytest.fixture
def no_grace(monkeypatch):
    """A replay waits the API's timeout plus a grace period; the tests need not."""
    monkeypatch.setattr(submissions, "PENDING_GRACE_SECONDS", 0)
    monkeypatch.setattr(submissions, "PENDING_POLL_SECONDS", 0.01)


def test_a_resend_while_the_first_is_still_at_the_api_says_so_and_sends_nothing(
    live_app, fake_api, no_grace
):
    client = live_app.test_client()
    page = client.get("/").get_data(as_text=True)
    submission_id = hidden_inputs(page)["submission_id"]
    with live_app.app_context():  # another request has it, and is waiting on Bria
        assert services().ledger.claim(submission_id, CREATE, VALID, VALID).won
    # Its time at Bria is up: the resend does not wait, it asks the list (not there yet).
    object.__setattr__(live_app.extensions["webapp"], "timeout", 0.05)
    response = submit(client, page, **{**VALID, "allow_duplicate": "yes"})
    assert response.headers["Location"] == f"/submissions/{submission_id}"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your project is being created" in main_text(html)
    assert "Nothing more will be sent" in main_text(html)
    assert f"/submissions/{submission_id}" in links(html)
    assert fake_api.fake.posts() == []

    with live_app.app_context():
        services().ledger.record_done(submission_id, {"id": 7, "project_name": "Lora adventures"})
    done = client.get(f"/submissions/{submission_id}").get_data(as_text=True)
    assert "Project created" in main_text(done) and "/projects/7" in links(done)


def test_an_unknown_outcome_says_what_the_app_did_and_offers_to_check_again(live_client, fake_api):
    live_client.get("/projects")  # the name check's list, read
    fake_api.fake.answer_next(Scripted(500, ""), Scripted(503, ""))  # the create, then the list
    sent = submit(live_client, **VALID)
    assert [r.method for r in fake_api.fake.received] == ["GET", "POST", "GET"]

    later = follow(live_client, sent).get_data(as_text=True)
    text = main_text(later)
    assert "Bria did not confirm whether your project was created" in text
    assert "This app looked in the list of projects and has not found it yet" in text
    assert sent.headers["Location"] in links(later)
    assert "Details for your administrator: Bria answered 500" in text


@pytest.mark.parametrize("submission_id", ["short", "x" * 30, "../../etc/passwd"])
def test_an_unknown_or_malformed_submission_is_not_found(client, submission_id):
    assert client.get(f"/submissions/{submission_id}").status_code == 404
