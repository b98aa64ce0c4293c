"""The pages, one blueprint per area; each turns requests and outcomes into pages."""

from __future__ import annotations

from flask import Flask

from webapp.views import access, create, health, projects, submissions


def init_app(app: Flask) -> None:
    for module in (create, submissions, projects, access, health):
        app.register_blueprint(module.bp)
