"""Trying a trained model: a prompt sent once, followed until Bria has made the image,
which the app keeps for the model's gallery."""

from __future__ import annotations

from flask import Flask

from webapp.generation import tasks, views


def register(app: Flask) -> None:
    app.register_blueprint(views.bp)
    tasks.register(app.extensions["webapp"].jobs)
