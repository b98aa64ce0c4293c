"""Who did what: every action that changed something at Bria, with when and who, on a
project's page and a page of its own."""

from __future__ import annotations

from typing import Any

from flask import Flask

from webapp.activity import views
from webapp.activity.words import sentence
from webapp.ledger.activity import Activity
from webapp.services import services
from webapp.web.sections import PROJECT, add_section

#: How many of the latest entries a project's page shows.
LATEST = 5


def latest(project: dict[str, Any]) -> dict[str, Any]:
    entries, total = services().get(Activity.of).page(int(project["id"]))
    return {"entries": entries[:LATEST], "total": total}


def register(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.jinja_env.globals["activity_sentence"] = sentence
    add_section(app, PROJECT, "activity/_project_section.html", latest)
