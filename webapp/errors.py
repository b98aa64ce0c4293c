"""Friendly pages for everything that goes wrong, and the form back where it helps.

A person who was filling in the create form never meets a bare error page: a
stale form token brings the form back with what they typed (when the post came
from this site), and an oversized body brings the form back with a plain word.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wrappers import Response

from webapp.config import MAX_BODY_BYTES
from webapp.database import UNAVAILABLE
from webapp.forms import CreateProjectForm, SignInForm
from webapp.ledger import CREATE, INVALID, new_submission_id
from webapp.submissions import DatabaseUnavailable
from webapp.views.replies import keep_draft, render_create_form, show_submission

PAGES: dict[int, tuple[str, str]] = {
    400: ("The request could not be read", "Go back and try again."),
    404: ("Page not found", "If you typed the web address, check it is correct."),
    405: ("This page cannot do that", "Go back to the form and try again from there."),
    413: (
        "What you sent is too large",
        f"This app accepts up to {MAX_BODY_BYTES // 1024} KB at a time. "
        "Shorten the text, then try again. Nothing was created.",
    ),
    500: ("Sorry, there is a problem with this app", "Try again later."),
    503: (
        "This app cannot reach its database",
        "Nothing was sent to Bria. Try again in a minute; if it keeps happening, tell your "
        "administrator.",
    ),
}

STALE_TOKEN = {"kind": "stale_page"}


def error_page(status: int) -> tuple[str, int]:
    title, message = PAGES.get(status, PAGES[500])
    return render_template("error.html", title=title, message=message), status


def came_from_this_site() -> bool:
    """The post was made from one of this site's pages (`Origin`, else `Referer`)."""
    source = request.headers.get("Origin") or request.headers.get("Referer") or ""
    parts = urlsplit(source)
    return bool(parts.netloc) and (parts.scheme, parts.netloc) == (
        request.scheme,
        request.host,
    )


def _create_form_again() -> tuple[str, int] | Response:
    if came_from_this_site():
        form = CreateProjectForm(formdata=request.form, meta={"csrf": False})
        submission_id = keep_draft(form, CREATE, INVALID, STALE_TOKEN)
        if submission_id is not None:
            return show_submission(submission_id)
        return render_create_form(form, 400, notice="stale_page")
    form = CreateProjectForm(formdata=None)
    form.submission_id.data = new_submission_id()
    return render_create_form(form, 400, notice="other_site")


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError) -> tuple[str, int] | Response:
        if request.endpoint == "create.send":
            return _create_form_again()
        if request.endpoint == "access.send_sign_in":
            form = SignInForm(formdata=None)
            form.password.errors = ["This page was open for a long time. Enter the password again"]
            return render_template("sign_in.html", form=form, status=None, target="/"), 400
        return error_page(400)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
        if request.endpoint == "create.send":
            form = CreateProjectForm(formdata=None)
            form.submission_id.data = new_submission_id()
            return render_create_form(form, 413, notice="too_large")
        return error_page(413)

    @app.errorhandler(DatabaseUnavailable)
    def database_unavailable(error: Exception) -> tuple[str, int]:
        return error_page(503)

    for unavailable in UNAVAILABLE:
        app.register_error_handler(unavailable, database_unavailable)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int] | HTTPException:
        if error.code is None:  # `abort(response)`: the page is ready
            return error
        return error_page(error.code)
