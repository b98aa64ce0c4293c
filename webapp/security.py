"""Headers on every response, the session cookie's rules, and the access password gate."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

import click
from flask import Flask, Request, Response, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from werkzeug.security import generate_password_hash

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

#: The session key naming the signed-in session's row (see `webapp.access`).
ACCESS_SESSION = "access"
#: Endpoints that answer without the access password.
OPEN_ENDPOINTS = {
    "access.sign_in",
    "access.send_sign_in",
    "access.signed_out",
    "access.confirm_sign_out",
    "health.healthz",
    "health.readyz",
    "static",
}


class SessionInterface(SecureCookieSessionInterface):
    """Marks the session cookie Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (bool(request) and request.is_secure)


def add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Cache-Control", "no-store")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site, or the home page.

    The target is parsed, not pattern-matched: browsers and Werkzeug drop tab, CR
    and LF from a URL, so `/<tab>/evil.example` would become `//evil.example`."""
    home = url_for("create.new_project")
    if not target or "\\" in target:
        return home
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return home
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or target.startswith("//"):
        return home
    return target


def signed_in() -> bool:
    from webapp.services import services

    gate = services().access
    return not gate.enabled or gate.session_is_valid(session.get(ACCESS_SESSION))


def client_address(req: Request) -> str:
    """The client's IP address (what sign-in attempts are counted against)."""
    try:
        return str(ipaddress.ip_address(req.remote_addr or ""))
    except ValueError:
        return "unknown"


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
    app.after_request(add_headers)

    @app.context_processor
    def gate_state() -> dict[str, Any]:
        from webapp.services import services

        enabled = services().access.enabled
        return {"gated": enabled, "can_sign_out": enabled and signed_in()}

    @app.before_request
    def require_access() -> Any:
        if request.endpoint in OPEN_ENDPOINTS or request.endpoint is None or signed_in():
            return None
        target = request.full_path.rstrip("?") if request.method == "GET" else "/"
        return redirect(url_for("access.sign_in", next=target if target != "/" else None))

    @app.cli.command("hash-password")
    @click.password_option(help="The access password people will type.")
    def hash_password(password: str) -> None:
        """Print the ACCESS_PASSWORD_HASH value for a password."""
        click.echo(generate_password_hash(password))

    if app.config["BEHIND_PROXY"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Only the client's address and scheme: the host is checked against
        # ALLOWED_HOSTS as sent, and no proxy of ours sets a prefix.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)  # type: ignore[method-assign]
