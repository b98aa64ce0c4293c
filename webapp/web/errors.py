"""Friendly pages for everything that goes wrong: one page for each status, with a way on.

Where a form can be given back instead (a page left open too long, a body too
large), the blueprint that owns the form handles it before these pages would.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import click
from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException, SecurityError

from webapp.database.engine import UNAVAILABLE, DatabaseUnavailable
from webapp.rules.images import MAX_FILE_BYTES, MAX_IMAGES_PER_DATASET
from webapp.settings import MAX_BODY_BYTES

PAGES: dict[int, tuple[str, str]] = {
    400: ("The request could not be read", "Go back and try again."),
    404: ("Page not found", "If you typed the web address, check it is correct."),
    405: ("This page cannot do that", "Go back to the page you came from and try again there."),
    413: (
        "What you sent is too large",
        f"A form can carry up to {MAX_BODY_BYTES // 2**20} MB of text, and images can be "
        f"added up to {MAX_IMAGES_PER_DATASET} at a time, each at most "
        f"{MAX_FILE_BYTES // 2**20} MB. Nothing was sent to Bria: go back and send less at "
        "once (shorter text, or fewer images at a time).",
    ),
    500: ("Sorry, there is a problem with this app", "Try again later."),
    502: (
        "This app is not answering",
        "It may be restarting. Try again in a minute; if it keeps happening, tell your "
        "administrator.",
    ),
    503: (
        "This app cannot reach its database",
        "Nothing was sent to Bria. Try again in a minute; if it keeps happening, tell your "
        "administrator.",
    ),
    504: (
        "This app took too long to answer",
        "What you sent may still be being handled: wait a minute and look for it before you "
        "send it again.",
    ),
}


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


def init_app(app: Flask) -> None:
    @app.cli.command("error-page")
    @click.argument("status", type=int)
    def error_page_command(status: int) -> None:
        """Print the page for STATUS, for the server in front to send in the app's words
        (`deploy/serve` gives nginx its 413, 502 and 504 pages this way)."""
        with app.test_request_context("/"):
            click.echo(error_page(status)[0])

    @app.errorhandler(DatabaseUnavailable)
    def database_unavailable(error: Exception) -> tuple[str, int]:
        return error_page(503)

    for unavailable in UNAVAILABLE:
        app.register_error_handler(unavailable, database_unavailable)

    @app.errorhandler(SecurityError)
    def unknown_host(error: SecurityError) -> tuple[str, int, dict[str, str]]:
        """A Host the app does not answer to (ALLOWED_HOSTS): no page, whose links would
        be built for that host, only a word of plain text."""
        text = "This app does not answer to this address.\n"
        return text, 400, {"Content-Type": "text/plain; charset=utf-8"}

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int] | HTTPException:
        if error.code is None:  # `abort(response)`: the page is ready
            return error
        return error_page(error.code)
