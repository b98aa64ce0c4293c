"""The record of who did what: a project's, and every project's (where a deleted
project's last entries are still found)."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from webapp.catalog.lookup import project_of
from webapp.ledger.activity import PAGE_SIZE, Activity
from webapp.projects.snapshot import ProjectSnapshot
from webapp.services import services
from webapp.web.pages import Page

bp = Blueprint("activity", __name__)


def _page_number() -> int:
    raw = request.args.get("page", "1")
    # ASCII digits only: "²" and "٣" are digits to `str.isdigit`, but not to `int`.
    return max(1, min(int(raw), 10**6)) if raw.isascii() and raw.isdigit() else 1


@bp.get("/projects/<int:project_id>/activity")
def of_project(project_id: int) -> Page:
    project = project_of(project_id)
    return _render(project_id, project)


@bp.get("/activity")
def everything() -> Page:
    return _render(None, None)


def _render(project_id: int | None, project: dict | None) -> Page:
    page = _page_number()
    entries, total = services().get(Activity.of).page(project_id, page)
    pages = max(1, -(-total // PAGE_SIZE))
    context = {"project": project, "entries": entries, "page": page, "pages": pages}
    context["first"] = (page - 1) * PAGE_SIZE + 1  # the list's numbers go on across pages
    if project is None:  # every project's: each entry says which project
        ids = {done.project_id for done in entries if done.project_id is not None}
        context["project_names"] = services().get(ProjectSnapshot).names(ids)
    return render_template("activity/activity.html", total=total, **context), 200
