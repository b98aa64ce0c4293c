"""Routes: read the form, call the client, choose the page. Rules live in `webapp.rules`."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from sqlalchemy import text
from werkzeug.wrappers import Response
from wtforms import PasswordField

from webapp import rules, security
from webapp.bria import BriaError, BriaNotFound
from webapp.catalog import find_created_since, matching, normalised_name
from webapp.forms import ProjectForm
from webapp.ledger import CREATED, PENDING, SUBMISSION_ID, Submission, new_submission_id
from webapp.messages import explain, status_for
from webapp.services import services

bp = Blueprint("main", __name__)

Page = tuple[str, int] | Response
#: How often a replayed submission looks again at one that is still under way.
PENDING_POLL_SECONDS = 0.05
#: How long past the API's timeout a replay waits for the first request to settle.
PENDING_GRACE_SECONDS = 5.0


def render_form(form: ProjectForm, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template("form.html", form=form, rules=rules, **context), status


def _fresh_submission(form: ProjectForm) -> ProjectForm:
    """Give the form a new one-time id: the old one has been used or was unusable."""
    form.submission_id.data = new_submission_id()
    return form


#: Stand-ins for the only two values that differ between two people's empty forms.
_CSRF_STAND_IN = "csrf-stand-in-" + secrets.token_hex(8)
_ID_STAND_IN = "id-stand-in-" + secrets.token_hex(8)


@bp.get("/")
def new_project() -> Page:
    """The empty form. Rendering it is most of the page's cost and gives the same HTML
    every time but for the CSRF token and the submission id, so each process renders
    it once (per variant of the header) and fills in those two values per request."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.debug or app.jinja_env.auto_reload:
        return render_form(_fresh_submission(ProjectForm(formdata=None)))
    cache: dict[tuple[str, bool], str] = app.extensions.setdefault("webapp.blank_form", {})
    variant = (request.script_root, security.shows_sign_out(app))
    if variant not in cache:
        form = ProjectForm(formdata=None, meta={"csrf": False})
        form.submission_id.data = _ID_STAND_IN
        cache[variant] = render_template(
            "form.html", form=form, rules=rules, csrf_token=lambda: _CSRF_STAND_IN
        )
    page = cache[variant].replace(_CSRF_STAND_IN, generate_csrf())
    return page.replace(_ID_STAND_IN, new_submission_id()), 200


@bp.post("/")
def create_project() -> Page:
    form = ProjectForm()
    if not form.validate():
        if form.form_errors:
            _fresh_submission(form)
        return render_form(form, 400)
    svc = services()
    submission_id = form.submission_id.data
    payload = form.to_payload()
    if request.form.get("allow_duplicate") != "yes":
        warning = _duplicate_warning(form, payload["project_name"])
        if warning is not None:
            # A resent form finds its own project by name: show what became of it.
            previous = svc.ledger.get(submission_id)
            return warning if previous is None else _replay(previous, form)
    if not svc.ledger.claim(submission_id, payload["project_name"]):
        return _replay(svc.ledger.get(submission_id), form)
    attempted_at = datetime.now(UTC)
    try:
        project = svc.client.create_project(payload)
    except BriaError as error:
        return _after_failure(form, submission_id, payload, error, attempted_at)
    return _created(submission_id, project)


def _duplicate_warning(form: ProjectForm, name: str) -> Page | None:
    svc = services()
    try:
        same = svc.catalog.named(svc.client, name)
    except BriaError as error:
        return render_form(form, 200, duplicate_check_failed=explain(error))
    if same:
        return render_form(form, 200, duplicates=same)
    return None


def _created(submission_id: str, project: dict[str, Any]) -> Response:
    svc = services()
    svc.ledger.record_created(submission_id, project)
    svc.catalog.remember(project)
    return _show_created(submission_id, int(project["id"]))


def _show_created(submission_id: str, project_id: int) -> Response:
    session["just_created"] = submission_id
    return redirect(url_for("main.project", project_id=project_id), 303)


def _after_failure(
    form: ProjectForm,
    submission_id: str,
    payload: dict[str, str],
    error: BriaError,
    attempted_at: datetime,
) -> Page:
    svc = services()
    if error.outcome_unknown:
        try:
            listed = svc.catalog.projects(svc.client, fresh=True)
        except BriaError:
            listed = []
        found = find_created_since(listed, payload, attempted_at, svc.ledger.project_ids_created())
        if found is not None:
            return _created(submission_id, found)
        message = explain(error)
        svc.ledger.record_unknown(submission_id, message)
        return render_form(_fresh_submission(form), status_for(error), notice=message, unknown=True)
    message = explain(error)
    svc.ledger.record_refused(submission_id, message)
    return render_form(_fresh_submission(form), status_for(error), notice=message)


def _replay(previous: Submission | None, form: ProjectForm) -> Page:
    """A submission id came back: show what became of it, never call the API again."""
    settled = _wait_until_settled(previous)
    if settled is None:  # pragma: no cover - a claimed row is never deleted
        abort(500)
    if settled.state == CREATED and settled.project_id is not None:
        if normalised_name(settled.project_name) == normalised_name(form.project_name.data):
            return _show_created(settled.id, settled.project_id)
        # Back, edit, send again: the person wants another project, not the old one.
        return render_form(_fresh_submission(form), 409, created_before=settled)
    if settled.state == PENDING:
        return render_template("pending.html", submission=settled), 202
    notice = f"This form was sent already. {settled.message or ''}".strip()
    return render_form(_fresh_submission(form), 409, notice=notice)


def _wait_until_settled(submission: Submission | None) -> Submission | None:
    """Give a submission still under way (a double click) the API's time to finish."""
    deadline = time.monotonic() + current_app.config["BRIA_API_TIMEOUT"] + PENDING_GRACE_SECONDS
    ledger = services().ledger
    while submission is not None and submission.state == PENDING and time.monotonic() < deadline:
        time.sleep(PENDING_POLL_SECONDS)
        submission = ledger.get(submission.id)
    return submission


@bp.get("/submissions/<submission_id>")
def submission(submission_id: str) -> Page:
    if not SUBMISSION_ID.match(submission_id):
        abort(404)
    found = services().ledger.get(submission_id)
    if found is None:
        abort(404)
    if found.state == CREATED and found.project_id is not None:
        return redirect(url_for("main.project", project_id=found.project_id), 303)
    return render_template("pending.html", submission=found), 200


@bp.get("/projects")
def projects() -> Page:
    svc = services()
    query = (request.args.get("q") or "").strip()[:100]
    try:
        listed = svc.catalog.projects(svc.client)
    except BriaError as error:
        return render_template(
            "projects.html", projects=[], query=query, failure=explain(error), rules=rules
        ), status_for(error)
    shown = matching(listed, query) if query else listed
    return render_template(
        "projects.html", projects=shown, total=len(listed), query=query, rules=rules
    ), 200


@bp.get("/projects/<int:project_id>")
def project(project_id: int) -> Page:
    """A project as the API has it. Right after a create, the API's own 201 answer
    (kept in the ledger) is shown instead of reading it back: that would double the
    API calls of every create on a plan allowing 10 a minute, and keep the person
    waiting for a second round trip to Bria. Every later visit reads from the API."""
    svc = services()
    just_created = _just_created(session.pop("just_created", None), project_id)
    if just_created is not None:
        return render_template(
            "project.html", project=just_created, just_created=True, rules=rules
        ), 200
    try:
        found = svc.client.get_project(project_id)
    except BriaNotFound:
        return render_template("not_found.html", project_id=project_id), 404
    except BriaError as error:
        return render_template(
            "error.html", title="The project could not be shown", message=explain(error)
        ), status_for(error)
    return render_template("project.html", project=found, just_created=False, rules=rules), 200


def _just_created(submission_id: Any, project_id: int) -> dict[str, Any] | None:
    """The 201 answer for the submission this session just sent, if it made this project."""
    if not isinstance(submission_id, str) or not SUBMISSION_ID.match(submission_id):
        return None
    found = services().ledger.get(submission_id)
    if found is None or found.state != CREATED or found.project_id != project_id:
        return None
    return found.project


@bp.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    """For load balancers: answers without calling the API; checks the database."""
    with services().ledger.engine.connect() as db:
        db.execute(text("SELECT 1"))
    return {"status": "ok", "mode": "sandbox" if services().sandbox else "live"}, 200


class SignInForm(FlaskForm):
    password = PasswordField("Access password")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Page:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    target = _safe_next(request.args.get("next"))
    if not app.config.get("ACCESS_PASSWORD_HASH") or security.signed_in(app):
        return redirect(target)
    form = SignInForm()
    client = security.client_address(request)
    ledger = services().ledger
    if request.method == "POST":
        if (
            ledger.recent_sign_in_failures(client, security.SIGN_IN_WINDOW)
            >= security.SIGN_IN_ATTEMPTS
        ):
            form.password.errors = ["Too many attempts. Wait 15 minutes, then try again"]
            return render_template("sign_in.html", form=form), 429
        if form.validate() and security.password_matches(app, form.password.data or ""):
            ledger.forget_sign_in_failures(client)
            session.clear()
            session["access"] = security.access_fingerprint(app.config["ACCESS_PASSWORD_HASH"])
            session.permanent = True
            return redirect(target)
        ledger.record_sign_in_failure(client)
        form.password.errors = ["The access password is not right"]
        return render_template("sign_in.html", form=form), 401
    return render_template("sign_in.html", form=form), 200


@bp.post("/sign-out")
def sign_out() -> Response:
    session.clear()
    return redirect(url_for("main.sign_in"), 303)


def _safe_next(target: str | None) -> str:
    """Only follow `next` to a path on this site (not `//elsewhere` or a full URL)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("main.new_project")
