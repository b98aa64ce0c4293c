"""Datasets: made in a project, filled with images, given a visual schema and captions,
checked, and completed, all in the browser."""

from __future__ import annotations

from flask import Flask

from webapp.catalog import lookup
from webapp.datasets import schema_views, tasks, views  # noqa: F401 - schema_views adds routes
from webapp.datasets.project_section import datasets_section
from webapp.web.sections import PROJECT, add_section


def register(app: Flask) -> None:
    app.register_blueprint(views.bp)
    lookup.register(app)
    tasks.register(app.extensions["webapp"].jobs)
    add_section(app, PROJECT, "datasets/_project_section.html", datasets_section)
