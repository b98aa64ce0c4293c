"""A dataset's images: added in the browser, checked by content, queued and sent to Bria
at the budget's pace, each once; their thumbnails and captions."""

from __future__ import annotations

from flask import Flask

from webapp.images import tasks, views


def register(app: Flask) -> None:
    app.register_blueprint(views.bp)
    svc = app.extensions["webapp"]
    tasks.register(svc.jobs, svc.bria.transport)
