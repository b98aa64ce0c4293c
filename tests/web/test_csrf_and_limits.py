"""A lost CSRF token or an oversized body loses nothing; every response carries the headers."""

from __future__ import annotations

import time

import itsdangerous
import pytest
from werkzeug.security import generate_password_hash

from tests.conftest import make_app
from tests.support.pages import VALID, follow, hidden_inputs, input_value, main_text, submit
from webapp.settings import CSRF_TIME_LIMIT_SECONDS, MAX_BODY_BYTES
from webapp.web.security import CONTENT_SECURITY_POLICY

ANSWERS = {**VALID, "ip_medium": "photography", "training_version": "3.2"}
SAME_SITE = {"Origin": "http://localhost"}


def assert_kept(html: str) -> None:
    assert input_value(html, "project_name") == "Lora adventures"
    assert input_value(html, "ip_description") == "a female character with purple hair"
    assert input_value(html, "project_description") == "Our mascot for the spring campaign"
    assert input_value(html, "ip_medium") == "photography"
    assert input_value(html, "ip_type") == "defined_character"
    assert input_value(html, "training_version") == "3.2"


def test_a_missing_csrf_token_creates_nothing_and_keeps_the_answers(live_client, fake_api):
    tokens = hidden_inputs(live_client.get("/").get_data(as_text=True))
    del tokens["csrf_token"]

    response = live_client.post("/", data={**tokens, **ANSWERS}, headers=SAME_SITE)
    html = follow(live_client, response).get_data(as_text=True)

    assert "Nothing was sent. Your answers are below" in main_text(html)
    assert_kept(html)
    assert fake_api.fake.posts() == []
    # The form that came back has a working token: sending it creates the project.
    created = follow(live_client, submit(live_client, html, **ANSWERS))
    assert "Project created" in main_text(created.get_data(as_text=True))
    assert len(fake_api.fake.posts()) == 1


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-origin"),
        pytest.param({"Origin": "https://evil.example"}, id="other-origin"),
        pytest.param({"Referer": "https://evil.example/page"}, id="other-referer"),
        pytest.param({"Origin": "null"}, id="opaque-origin"),
    ],
)
def test_a_post_from_another_site_gets_an_empty_form_not_its_answers(
    live_client, fake_api, headers
):
    forged = {**ANSWERS, "project_name": "Planted by evil", "ip_name": "Mallory"}
    response = live_client.post("/", data=forged, headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "A form from another website tried to send this" in main_text(html)
    assert input_value(html, "project_name") == ""
    assert "Planted" not in html and "Mallory" not in html
    assert fake_api.fake.posts() == []


def test_a_token_from_a_tab_left_open_past_the_limit_is_refused_kindly(
    live_client, fake_api, monkeypatch
):
    with monkeypatch.context() as past:
        past.setattr(
            itsdangerous.TimestampSigner,
            "get_timestamp",
            lambda self: int(time.time()) - CSRF_TIME_LIMIT_SECONDS - 60,
        )
        page = live_client.get("/").get_data(as_text=True)

    response = live_client.post("/", data={**hidden_inputs(page), **ANSWERS}, headers=SAME_SITE)
    html = follow(live_client, response).get_data(as_text=True)

    assert "This page was open for a long time" in main_text(html)
    assert_kept(html)
    assert fake_api.fake.posts() == []


def test_a_tab_left_open_for_a_working_day_still_works(live_client, monkeypatch):
    with monkeypatch.context() as morning:
        morning.setattr(
            itsdangerous.TimestampSigner,
            "get_timestamp",
            lambda self: int(time.time()) - 10 * 60 * 60,
        )
        page = live_client.get("/").get_data(as_text=True)
    assert submit(live_client, page, **ANSWERS).headers["Location"].startswith("/submissions/")


def test_a_body_over_the_limit_is_a_friendly_413_with_the_form(live_client, fake_api):
    tokens = hidden_inputs(live_client.get("/").get_data(as_text=True))
    huge = {**tokens, **ANSWERS, "project_description": "x" * (MAX_BODY_BYTES + 1)}

    response = live_client.post("/", data=huge)
    html = response.get_data(as_text=True)

    assert response.status_code == 413
    assert "What you sent is too large for this app, so nothing was created" in main_text(html)
    assert '<form method="post"' in html
    assert fake_api.fake.posts() == []


def test_text_longer_than_a_field_allows_is_refused_next_to_the_field(client):
    html = follow(client, submit(client, **{**ANSWERS, "project_name": "n" * 5000})).get_data(
        as_text=True
    )
    assert 'id="project_name-error"' in html
    assert input_value(html, "project_name") == "n" * 5000


@pytest.fixture
def failing_app(tmp_path):
    app = make_app(tmp_path / "instance", PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals in /srv/app.py line 12")

    return app


@pytest.mark.parametrize(
    ("method", "path", "status", "title"),
    [
        ("GET", "/no-such-page", 404, "Page not found"),
        ("DELETE", "/", 405, "This page cannot do that"),
        ("PUT", "/projects", 405, "This page cannot do that"),
        ("GET", "/boom", 500, "Sorry, there is a problem with this app"),
        ("GET", "/submissions/not-an-id", 404, "Page not found"),
    ],
)
def test_error_pages_are_friendly_with_a_way_back_and_no_internals(
    failing_app, method, path, status, title
):
    response = failing_app.test_client().open(path, method=method)
    html = response.get_data(as_text=True)
    assert response.status_code == status
    assert f"<h1>{title}</h1>" in html
    assert 'href="/"' in html and 'href="/projects"' in html
    assert "Sandbox" in html
    assert "Traceback" not in html and "RuntimeError" not in html and "/srv/app.py" not in html


def every_kind_of_response(client) -> dict[str, object]:
    page = client.get("/").get_data(as_text=True)
    created = submit(client, page, **ANSWERS)
    css = next(p for p in page.split('"') if p.startswith("/static/app.css?v="))
    responses = {
        "form": client.get("/"),
        "invalid form": follow(client, submit(client, project_name="")),
        "created redirect": created,
        "confirmation": client.get(created.headers["Location"]),
        "project": client.get("/projects/1"),
        "edit": client.get("/projects/1/edit"),
        "delete": client.get("/projects/1/delete"),
        "list": client.get("/projects?q=lora"),
        "unknown project": client.get("/projects/999999"),
        "not found": client.get("/nowhere"),
        "method not allowed": client.delete("/"),
        "too large": client.post("/", data={"x": "y" * (MAX_BODY_BYTES + 10)}),
        "healthz": client.get("/healthz"),
        "sign in": client.get("/sign-in"),
        "stylesheet": client.get(css),
        "favicon missing": client.get("/favicon.ico"),
        "static missing": client.get("/static/nothing.css"),
        "stylesheet other version": client.get("/static/app.css?v=0123456789ab"),
    }
    for response in responses.values():
        response.get_data()
        response.close()  # static files are streamed from an open file
    return responses


def test_every_response_carries_the_security_headers(client):
    for name, response in every_kind_of_response(client).items():
        headers = response.headers
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, name
        assert headers["X-Content-Type-Options"] == "nosniff", name
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin", name
        assert "camera=()" in headers["Permissions-Policy"], name
        expected_cache = {
            "stylesheet": "public, max-age=31536000, immutable",
            "static missing": "no-cache",
            "stylesheet other version": "no-cache",
        }.get(name, "no-store")
        assert headers["Cache-Control"] == expected_cache, name


def test_the_policy_forbids_inline_script_framing_and_foreign_form_targets():
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'"
    assert directives["base-uri"] == "'none'"


def test_no_page_has_an_inline_script_or_style(client):
    for name, response in every_kind_of_response(client).items():
        html = response.get_data(as_text=True)
        if not response.content_type.startswith("text/html"):
            continue
        assert "<script>" not in html and "<style" not in html, name
        assert " style=" not in html and " onclick=" not in html, name


def session_cookie(response) -> str:
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    return cookie


def test_the_session_cookie_is_httponly_and_samesite_lax(client):
    cookie = session_cookie(client.get("/"))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_over_https_the_cookie_is_secure_and_transport_is_pinned(tmp_path):
    app = make_app(tmp_path / "named", ALLOWED_HOSTS="projects.example")
    response = app.test_client().get("/", base_url="https://projects.example")
    assert "Secure" in session_cookie(response)
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_behind_a_proxy_the_forwarded_scheme_is_trusted_only_when_configured(tmp_path):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    direct = make_app(tmp_path / "direct").test_client().get("/", headers=forwarded)
    assert "Secure" not in session_cookie(direct)
    proxied = make_app(tmp_path / "proxied", BEHIND_PROXY=True).test_client()
    assert "Secure" in session_cookie(proxied.get("/", headers=forwarded))


def test_sign_in_and_sign_out_without_a_csrf_token_are_refused_kindly(tmp_path):
    gated = make_app(
        tmp_path / "gated", ACCESS_PASSWORD_HASH=generate_password_hash("open sesame")
    ).test_client()

    sign_in = gated.post(
        "/sign-in?next=/projects", data={"password": "open sesame"}, headers=SAME_SITE
    )
    assert sign_in.headers["Location"] == "/sign-in?next=/projects"  # where to go is kept
    again = follow(gated, sign_in).get_data(as_text=True)
    assert "This page was open for a long time. Enter the password again" in main_text(again)

    page = gated.get("/sign-in").get_data(as_text=True)
    gated.post("/sign-in", data={**hidden_inputs(page), "password": "open sesame"})
    sign_out = gated.post("/sign-out")
    assert sign_out.headers["Location"] == "/sign-out"
    asked = main_text(follow(gated, sign_out).get_data(as_text=True))
    assert "This page was open for a long time, so you are still signed in." in asked
    assert gated.get("/projects").status_code == 200


def test_a_body_over_the_limit_elsewhere_gets_the_friendly_413(tmp_path):
    client = make_app(tmp_path / "instance").test_client()
    response = client.post("/sign-in", data={"password": "x" * (MAX_BODY_BYTES + 1)})
    assert response.status_code == 413
    assert "<h1>What you sent is too large</h1>" in response.get_data(as_text=True)


def test_a_host_the_app_does_not_answer_to_gets_no_page(tmp_path):
    """DNS rebinding: a page elsewhere reaching the app through a name it controls."""
    client = make_app(tmp_path / "local").test_client()
    response = client.get("/", base_url="http://rebind.attacker.example:5000")
    assert response.status_code == 400
    assert response.content_type.startswith("text/plain")
    assert "csrf_token" not in response.get_data(as_text=True)
    assert client.get("/", base_url="http://127.0.0.1:5000").status_code == 200
    assert client.get("/", base_url="http://localhost:8000").status_code == 200


def test_a_long_paste_is_refused_beside_its_field_with_every_answer_kept(live_client, fake_api):
    essay = "word " * 30_000  # 150 KB: far past the field's limit, within the body's
    sent = submit(live_client, **{**ANSWERS, "project_description": essay})
    html = follow(live_client, sent).get_data(as_text=True)
    assert "Project description must be 1000 characters or fewer" in main_text(html)
    assert input_value(html, "project_name") == "Lora adventures"
    assert input_value(html, "ip_medium") == "photography"
    assert fake_api.fake.posts() == []


def test_behind_a_proxy_only_the_client_address_and_scheme_are_taken_from_it(tmp_path):
    app = make_app(tmp_path / "proxied", BEHIND_PROXY=True)
    answer = app.test_client().get(
        "/projects",
        headers={
            "X-Forwarded-Prefix": "//evil.example",
            "X-Forwarded-Host": "evil.example",
            "X-Forwarded-For": "not-an-address",
        },
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "evil.example" not in html
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "not-an-address"}):
        from flask import request

        from webapp.access.session import client_address

        assert client_address(request) == "unknown"
