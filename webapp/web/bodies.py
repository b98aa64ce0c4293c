"""Request bodies sized per place: forms take 1 MB; a view marked `@large_body` takes more.

The limit must be set before anything reads the form (the CSRF check reads it first),
so it is set here, in a hook that runs before every other (`init_app` is called first).
Werkzeug writes file parts larger than 500 KB to temporary files, never to memory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app, request

View = TypeVar("View", bound=Callable[..., object])


def large_body(max_bytes: int, max_parts: int) -> Callable[[View], View]:
    """This view takes bodies up to `max_bytes`, in up to `max_parts` multipart parts."""

    def mark(view: View) -> View:
        view.body_limits = (max_bytes, max_parts)  # type: ignore[attr-defined]
        return view

    return mark


def init_app(app: Flask) -> None:
    @app.before_request
    def size_the_body() -> None:
        view = current_app.view_functions.get(request.endpoint or "")
        limits = getattr(view, "body_limits", None)
        if limits is not None:
            request.max_content_length, request.max_form_parts = limits
