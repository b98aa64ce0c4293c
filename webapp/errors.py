"""Friendly pages for everything that goes wrong, and the form back where it helps.

A person who was filling in the form never meets a bare error page: a stale
CSRF token or an oversized body brings the form back with a plain message.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from webapp.bria import BriaError
from webapp.config import MAX_BODY_BYTES
from webapp.forms import ProjectForm
from webapp.ledger import SUBMISSION_ID
from webapp.messages import explain, status_for

log = logging.getLogger("webapp.errors")

PAGES: dict[int, tuple[str, str]] = {
    400: ("The request could not be read", "Go back and try again."),
    404: ("Page not found", "If you typed the web address, check it is correct."),
    405: ("This page cannot do that", "Go back to the form and try again from there."),
    413: (
        "What you sent is too large",
        f"This app accepts up to {MAX_BODY_BYTES // 1024} KB at a time. "
        "Shorten the text, then try again. Nothing was created.",
    ),
    500: (
        "Sorry, there is a problem with this app",
        "Try again later. If you were creating a project, look for it in the list of "
        "projects before you try again.",
    ),
}


def error_page(status: int) -> tuple[str, int]:
    title, message = PAGES.get(status, PAGES[500])
    return render_template("error.html", title=title, message=message), status


def _form_again(notice: str, status: int, formdata: Any = None) -> tuple[str, int]:
    """The create form as the person left it (when we could read it), with a notice."""
    from webapp.ledger import new_submission_id
    from webapp.views import render_form

    form = ProjectForm(formdata=formdata, meta={"csrf": False})
    if not SUBMISSION_ID.match(form.submission_id.data or ""):
        form.submission_id.data = new_submission_id()
    return render_form(form, status, notice=notice)


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError) -> tuple[str, int]:
        if request.endpoint == "main.create_project":
            return _form_again(
                "This page was open for a long time, so it needed refreshing. "
                "Nothing was created. Your answers are below: check them and select "
                "Create project again.",
                400,
                request.form,
            )
        if request.endpoint == "main.sign_in":
            from webapp.views import SignInForm

            form = SignInForm(formdata=None)
            form.password.errors = ["This page was open for a long time. Enter the password again"]
            return render_template("sign_in.html", form=form), 400
        return error_page(400)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
        if request.endpoint == "main.create_project":
            return _form_again(PAGES[413][0] + ". " + PAGES[413][1], 413)
        return error_page(413)

    @app.errorhandler(BriaError)
    def api_failed(error: BriaError) -> tuple[str, int]:
        return render_template(
            "error.html", title="Bria did not answer as expected", message=explain(error)
        ), status_for(error)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int]:
        return error_page(error.code or 500)

    @app.errorhandler(InternalServerError)
    def internal_error(error: InternalServerError) -> tuple[str, int]:
        return error_page(500)
