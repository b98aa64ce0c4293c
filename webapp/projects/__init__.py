"""Projects: create, list, read, change and delete, each sent to Bria once."""

from __future__ import annotations

from functools import partial

from flask import Flask

from webapp.projects import change_views, submission_views, views, words
from webapp.projects.service import reconcile_open
from webapp.projects.snapshot import ProjectSnapshot


def register(app: Flask) -> None:
    for module in (views, submission_views, change_views):
        app.register_blueprint(module.bp)
    app.jinja_env.globals.update(explain=words.explain, notices=words.NOTICES)
    svc = app.extensions["webapp"]
    svc.get(ProjectSnapshot).after_refresh.append(partial(reconcile_open, svc))
