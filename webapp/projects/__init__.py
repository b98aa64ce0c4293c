"""Projects: create, list, read, change and delete, each sent to Bria once."""

from __future__ import annotations

from flask import Flask

from webapp.projects import change_views, submission_views, tasks, views, words


def register(app: Flask) -> None:
    for module in (views, submission_views, change_views):
        app.register_blueprint(module.bp)
    app.jinja_env.globals.update(explain=words.explain)
    tasks.register(app.extensions["webapp"].jobs)
