"""The access password as a person meets it: what each page says, and what is counted."""

from __future__ import annotations

import pytest
from werkzeug.security import generate_password_hash

from tests.conftest import dispose, make_app
from tests.support.pages import follow, hidden_inputs, main_text, soup, title

SAME_SITE = {"Origin": "http://localhost"}


@pytest.fixture
def gated(tmp_path):
    app = make_app(tmp_path / "gated", ACCESS_PASSWORD_HASH=generate_password_hash("open sesame"))
    yield app.test_client()
    dispose(app)


def attempt(client, password: str, target: str = "/projects"):
    page = client.get(f"/sign-in?next={target}").get_data(as_text=True)
    return client.post(
        f"/sign-in?next={target}",
        data={**hidden_inputs(page), "password": password},
        headers=SAME_SITE,
    )


def test_every_page_asks_for_the_password_first_and_leads_back_after(gated):
    assert gated.get("/").headers["Location"] == "/sign-in"
    assert gated.get("/projects?q=a").headers["Location"] == "/sign-in?next=/projects?q%3Da"
    assert gated.get("/healthz").status_code == 200
    right = attempt(gated, "open sesame")
    assert right.status_code == 303 and right.headers["Location"] == "/projects"
    page = gated.get("/").get_data(as_text=True)
    assert "Sign out" in page


def test_the_sign_in_page_has_no_navigation_leading_back_to_itself(gated):
    html = gated.get("/sign-in").get_data(as_text=True)
    assert soup(html).select("nav a") == []


def test_a_blank_password_is_asked_for_and_not_counted(gated):
    html = follow(gated, attempt(gated, "")).get_data(as_text=True)
    assert "Enter the access password" in main_text(html)
    assert title(html).startswith("Error: ")
    assert "attempts left" not in main_text(html)


def test_each_wrong_password_says_how_many_attempts_are_left(gated):
    html = follow(gated, attempt(gated, "guess")).get_data(as_text=True)
    text = main_text(html)
    assert "The access password is not right" in text
    assert "You have 4 attempts left before sign-in pauses for 15 minutes." in text
    for _ in range(3):
        attempt(gated, "guess")
    last = main_text(follow(gated, attempt(gated, "guess")).get_data(as_text=True))
    assert "wrong too many times" in last and "Try again in 15 minutes" in last


def test_during_the_pause_even_the_right_password_is_refused_with_the_time_left(gated):
    for _ in range(5):
        attempt(gated, "guess")
    refused = attempt(gated, "open sesame")
    assert refused.status_code == 303 and refused.headers["Location"].startswith("/sign-in")
    text = main_text(follow(gated, refused).get_data(as_text=True))
    assert "The access password was wrong too many times. Try again in 15 minutes." in text
    assert gated.get("/projects").status_code == 302


def test_signing_out_is_confirmed(gated):
    attempt(gated, "open sesame")
    page = gated.get("/").get_data(as_text=True)
    out = gated.post("/sign-out", data=hidden_inputs(page), headers=SAME_SITE)
    assert out.headers["Location"] == "/signed-out"
    html = follow(gated, out).get_data(as_text=True)
    assert "You have signed out" in main_text(html)
    assert "/sign-in" in [a["href"] for a in soup(html).select("main a")]
    assert gated.get("/").status_code == 302


def test_during_the_pause_no_password_box_is_offered(gated):
    for _ in range(5):
        attempt(gated, "guess")
    html = gated.get("/sign-in").get_data(as_text=True)
    assert soup(html).select("input[type=password]") == []
    assert "Check again" in main_text(html)


def test_the_sign_out_address_offers_the_button_and_signed_out_needs_a_sign_out(gated):
    assert gated.get("/sign-out").headers["Location"] == "/"  # not signed in: nothing to do
    attempt(gated, "open sesame")
    offered = gated.get("/sign-out").get_data(as_text=True)
    assert soup(offered).select_one("form[action='/sign-out'] button").get_text() == "Sign out"
    assert gated.get("/signed-out").headers["Location"] == "/"  # still signed in
