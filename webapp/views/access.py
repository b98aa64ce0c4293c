"""Signing in with the access password, and signing out, when the gate is on."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from webapp import security
from webapp.forms import SignInForm
from webapp.services import services
from webapp.views.replies import Page

bp = Blueprint("access", __name__)

#: What the sign-in page says after a POST, kept for its GET (never the password).
_NOTICE = "sign_in_notice"


@bp.get("/sign-in")
def sign_in() -> Page:
    gate = services().access
    target = security.safe_next(request.args.get("next"))
    if not gate.enabled or security.signed_in():
        return redirect(target)
    form = SignInForm(formdata=None)
    notice = session.pop(_NOTICE, None)
    status = gate.status(security.client_address(request))
    if notice == "blank":
        form.password.errors = ["Enter the access password"]
    elif notice == "wrong" and status.remaining:
        form.password.errors = ["The access password is not right"]
    return render_template("sign_in.html", form=form, status=status, target=target), 200


@bp.post("/sign-in")
def send_sign_in() -> Response:
    gate = services().access
    target = security.safe_next(request.args.get("next"))
    if not gate.enabled:
        return redirect(target)
    form = SignInForm()
    again = url_for("access.sign_in", next=target if target != "/" else None)
    if not form.validate():
        session[_NOTICE] = "blank"  # not counted: nothing was tried
        return redirect(again, 303)
    attempt = gate.attempt(security.client_address(request), form.password.data or "")
    if not attempt.matched:
        session[_NOTICE] = "wrong" if attempt.checked else "paused"
        return redirect(again, 303)
    session.clear()
    session[security.ACCESS_SESSION] = gate.start_session()
    session.permanent = True
    return redirect(target, 303)


@bp.post("/sign-out")
def sign_out() -> Response:
    services().access.end_session(session.get(security.ACCESS_SESSION))
    session.clear()
    return redirect(url_for("access.signed_out"), 303)


@bp.get("/signed-out")
def signed_out() -> Page:
    return render_template("signed_out.html"), 200
