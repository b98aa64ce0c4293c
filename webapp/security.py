"""Headers on every response, session cookie rules, and the optional sign-in gate."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import click
from flask import Flask, Request, Response, request, session
from flask.sessions import SecureCookieSessionInterface
from werkzeug.security import check_password_hash, generate_password_hash

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

SIGN_IN_ATTEMPTS = 5
SIGN_IN_WINDOW = timedelta(minutes=15)
#: Endpoints that answer without the access password.
OPEN_ENDPOINTS = {"main.sign_in", "main.healthz", "static"}


class SessionInterface(SecureCookieSessionInterface):
    """Marks the session cookie Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (bool(request) and request.is_secure)


def add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint == "static":
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    else:
        response.headers["Cache-Control"] = "no-store"
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def access_fingerprint(password_hash: str) -> str:
    """What the session keeps after sign-in; a new password signs everybody out."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:32]


def signed_in(app: Flask) -> bool:
    password_hash = app.config.get("ACCESS_PASSWORD_HASH")
    return not password_hash or session.get("access") == access_fingerprint(password_hash)


def shows_sign_out(app: Flask) -> bool:
    """The header offers "Sign out" only when there is a gate and the person passed it."""
    return bool(app.config["ACCESS_PASSWORD_HASH"]) and signed_in(app)


def password_matches(app: Flask, password: str) -> bool:
    return check_password_hash(app.config["ACCESS_PASSWORD_HASH"], password)


def client_address(req: Request) -> str:
    return req.remote_addr or "unknown"


def init_app(app: Flask) -> None:
    from flask import redirect, url_for

    app.session_interface = SessionInterface()
    app.after_request(add_headers)
    app.context_processor(lambda: {"can_sign_out": shows_sign_out(app)})

    @app.before_request
    def require_access() -> Any:
        if request.endpoint in OPEN_ENDPOINTS or signed_in(app):
            return None
        return redirect(url_for("main.sign_in", next=request.full_path.rstrip("?")))

    @app.cli.command("hash-password")
    @click.password_option(help="The access password people will type.")
    def hash_password(password: str) -> None:
        """Print the ACCESS_PASSWORD_HASH value for a password."""
        click.echo(generate_password_hash(password))

    if app.config["BEHIND_PROXY"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_prefix=1)  # type: ignore[method-assign]
