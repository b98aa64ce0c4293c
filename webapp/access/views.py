"""Signing in with the access password, and signing out, when the gate is on."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response

from webapp.access.forms import SignInForm
from webapp.access.session import (
    ACCESS_SESSION,
    access_gate,
    client_address,
    safe_next,
    signed_in,
)
from webapp.web.pages import Page
from webapp.web.people import DISPLAY_NAME, clean
from webapp.web.security import public

bp = Blueprint("access", __name__)

#: What the sign-in page says after a POST, kept for its GET (never the password).
_NOTICE = "sign_in_notice"
#: The name typed on a sign-in that did not succeed, to show again.
_TYPED_NAME = "sign_in_name"


@bp.get("/sign-in")
@public
def sign_in() -> Page:
    gate_ = access_gate()
    target = safe_next(request.args.get("next"))
    if not gate_.enabled or signed_in():
        return redirect(target)
    form = SignInForm(formdata=None, data={"display_name": session.pop(_TYPED_NAME, None)})
    notice = session.pop(_NOTICE, None)
    status = gate_.status(client_address(request))
    if notice == "blank" and status.remaining:
        form.password.errors = ["Enter the access password"]
    elif notice == "wrong" and status.remaining:
        form.password.errors = ["The access password is not right"]
    elif notice == "stale" and status.remaining:
        form.password.errors = ["This page was open for a long time. Enter the password again"]
    elif notice == "long name" and status.remaining:
        form.display_name.errors = form.display_name.errors or [
            "Your name must be 100 characters or fewer"
        ]
    elif notice == "paused" and status.remaining:
        # Refused unchecked in a burst from this address that has since ended.
        form.password.errors = [
            "Too many passwords were tried from your address at once, so yours was not "
            "checked. Enter it again"
        ]
    return render_template("access/sign_in.html", form=form, status=status, target=target), 200


@bp.post("/sign-in")
@public
def send_sign_in() -> Response:
    gate_ = access_gate()
    target = safe_next(request.args.get("next"))
    if not gate_.enabled:
        return redirect(target)
    form = SignInForm()
    again = url_for("access.sign_in", next=target if target != "/" else None)
    name = clean(form.display_name.data)
    if not form.validate():
        session[_TYPED_NAME] = name
        # not counted: nothing was tried
        session[_NOTICE] = "long name" if form.display_name.errors else "blank"
        return redirect(again, 303)
    attempt = gate_.attempt(client_address(request), form.password.data or "")
    if not attempt.matched:
        session[_TYPED_NAME] = name
        session[_NOTICE] = "wrong" if attempt.checked else "paused"
        return redirect(again, 303)
    session.clear()
    session[ACCESS_SESSION] = gate_.start_session()
    if name:
        session[DISPLAY_NAME] = name
    session.permanent = True
    return redirect(target, 303)


@bp.get("/sign-out")
@public
def confirm_sign_out() -> Page:
    """Signing out is a button (a POST); this page offers it to whoever comes here."""
    if not access_gate().enabled or not signed_in():
        return redirect("/")
    return render_template("access/sign_out.html", notice=session.pop(_NOTICE, None)), 200


@bp.post("/sign-out")
def sign_out() -> Response:
    access_gate().end_session(session.get(ACCESS_SESSION))
    session.clear()
    return redirect(url_for("access.signed_out"), 303)


@bp.get("/signed-out")
@public
def signed_out() -> Page:
    if not access_gate().enabled or signed_in():
        return redirect("/")
    return render_template("access/signed_out.html"), 200


@bp.errorhandler(CSRFError)
def page_left_open(error: CSRFError) -> Response:
    """A sign-in or sign-out page left open too long: ask again, keeping where to go."""
    session[_NOTICE] = "stale"
    if request.endpoint == "access.sign_out":
        return redirect(url_for("access.confirm_sign_out"), 303)
    target = safe_next(request.args.get("next"))
    return redirect(url_for("access.sign_in", next=target if target != "/" else None), 303)
