"""What a person sees of a submission that is still under way, or whose outcome is unknown."""

from __future__ import annotations

import pytest

from tests.helpers import VALID, hidden_inputs, submit
from webapp import views
from webapp.fake_api import Scripted
from webapp.services import services


@pytest.fixture
def no_grace(monkeypatch):
    """A replay waits the API's timeout plus a grace period; the tests need not."""
    monkeypatch.setattr(views, "PENDING_GRACE_SECONDS", 0)
    monkeypatch.setattr(views, "PENDING_POLL_SECONDS", 0.01)


def test_a_resend_while_the_first_is_still_at_the_api_says_so_and_sends_nothing(
    live_app, fake_api, no_grace
):
    live_app.config["BRIA_API_TIMEOUT"] = 0.05
    client = live_app.test_client()
    page = client.get("/").get_data(as_text=True)
    submission_id = hidden_inputs(page)["submission_id"]
    with live_app.app_context():
        assert services().ledger.claim(submission_id, VALID["project_name"])  # still at Bria

    response = submit(client, page, **{**VALID, "allow_duplicate": "yes"})
    html = response.get_data(as_text=True)

    assert response.status_code == 202
    assert "Your project is being created" in html and "Nothing more will be sent" in html
    assert f'href="/submissions/{submission_id}"' in html
    assert fake_api.fake.posts() == []

    check = client.get(f"/submissions/{submission_id}")
    assert check.status_code == 200 and "Check again" in check.get_data(as_text=True)
    with live_app.app_context():
        services().ledger.record_created(submission_id, {"id": 7, "project_name": "Lora"})
    done = client.get(f"/submissions/{submission_id}")
    assert done.status_code == 303 and done.headers["Location"] == "/projects/7"


def test_an_unknown_outcome_can_be_looked_up_later(live_client, fake_api):
    live_client.get("/projects")  # the duplicate check's list, cached
    fake_api.fake.answer_next(Scripted(500, ""), Scripted(503, ""))  # the create, then the list
    page = live_client.get("/").get_data(as_text=True)
    submission_id = hidden_inputs(page)["submission_id"]

    response = submit(live_client, page, **VALID)
    assert response.status_code == 502
    assert "The project may have been created" in response.get_data(as_text=True)
    assert [r.method for r in fake_api.fake.received] == ["GET", "POST", "GET"]

    later = live_client.get(f"/submissions/{submission_id}").get_data(as_text=True)
    assert "What happened to your project “Lora adventures”" in later
    assert "Bria had a problem (500)" in later
    assert 'href="/projects?q=Lora+adventures"' in later


@pytest.mark.parametrize("submission_id", ["short", "x" * 30, "../../etc/passwd"])
def test_an_unknown_or_malformed_submission_is_not_found(client, submission_id):
    assert client.get(f"/submissions/{submission_id}").status_code == 404
