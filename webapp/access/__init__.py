"""Sign-in with the optional access password; see `webapp.access.gate` for the limits."""

from __future__ import annotations

from typing import Any

import click
from flask import Flask, redirect, request, url_for
from werkzeug.security import generate_password_hash

from webapp.access import views
from webapp.access.gate import AccessGate
from webapp.access.session import access_gate, signed_in
from webapp.web.security import is_public_request


def register(app: Flask) -> None:
    app.register_blueprint(views.bp)

    @app.context_processor
    def gate_state() -> dict[str, Any]:
        enabled = access_gate().enabled
        return {"gated": enabled, "can_sign_out": enabled and signed_in()}

    @app.before_request
    def require_access() -> Any:
        if is_public_request() or signed_in():
            return None
        target = request.full_path.rstrip("?") if request.method == "GET" else "/"
        return redirect(url_for("access.sign_in", next=target if target != "/" else None))

    app.extensions["webapp"].jobs.periodic(
        "access.forget-old", lambda svc: svc.get(AccessGate.of).forget_old(), minute="17"
    )

    @app.cli.command("hash-password")
    @click.password_option(help="The access password people will type.")
    def hash_password(password: str) -> None:
        """Print the ACCESS_PASSWORD_HASH value for a password."""
        click.echo(generate_password_hash(password))
