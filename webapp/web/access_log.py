"""gunicorn's access log, written so that a request cannot forge a line of it.

gunicorn logs the path after percent-decoding (`%(U)s`): `/x%0a10.0.0.1 "POST /sign-in" 302`
would start a second, made-up line. This logger writes the path as it arrived on the wire,
without its query string (which may carry what people searched for), and escapes anything
that is not printable ASCII. `gunicorn.conf.py` names it as `logger_class`.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger


def printable(text: str) -> str:
    """Printable ASCII as it is; backslash, quote and everything else as \\xNN."""
    return "".join(
        ch if 32 < ord(ch) < 127 and ch not in '\\"' else f"\\x{ord(ch):02x}" for ch in text
    )


class AccessLogger(Logger):
    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        raw = environ.get("RAW_URI") or environ.get("PATH_INFO") or ""
        atoms["U"] = printable(raw.split("?", 1)[0])
        atoms["m"] = printable(str(environ.get("REQUEST_METHOD") or "-"))
        return atoms
