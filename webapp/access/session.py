"""Who is signed in, where they may be sent after signing in, and whose attempts count."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from flask import Request, session

from webapp.access.gate import AccessGate
from webapp.services import services

#: The session key naming the signed-in session's row (see `webapp.access.gate`).
ACCESS_SESSION = "access"
HOME = "/"


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site, or the home page.

    The target is parsed, not pattern-matched: browsers and Werkzeug drop tab, CR
    and LF from a URL, so `/<tab>/evil.example` would become `//evil.example`."""
    if not target or "\\" in target:
        return HOME
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return HOME
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or target.startswith("//"):
        return HOME
    return target


def access_gate() -> AccessGate:
    """This process's access gate (one: it bounds the password hashes computed at once)."""
    return services().get(AccessGate.of)


def signed_in() -> bool:
    gate_ = access_gate()
    return not gate_.enabled or gate_.session_is_valid(session.get(ACCESS_SESSION))


def client_address(req: Request) -> str:
    """The client's IP address (what sign-in attempts are counted against)."""
    try:
        return str(ipaddress.ip_address(req.remote_addr or ""))
    except ValueError:
        return "unknown"
