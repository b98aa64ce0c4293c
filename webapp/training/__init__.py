"""Models and their training: made from a completed dataset, started and stopped after a
confirmation, followed for everyone until they end, the team told when they do."""

from __future__ import annotations

from flask import Flask

from webapp.training import notices, tasks, views
from webapp.training.sections import dataset_models_section, models_section
from webapp.training.words import event_words
from webapp.web.sections import DATASET, PROJECT, add_section


def register(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.register_blueprint(notices.bp)
    app.context_processor(notices.notices_context)
    app.jinja_env.filters["event_words"] = event_words
    tasks.register(app.extensions["webapp"].jobs)
    add_section(app, PROJECT, "training/_models_section.html", models_section)
    add_section(app, DATASET, "training/_models_section.html", dataset_models_section)
