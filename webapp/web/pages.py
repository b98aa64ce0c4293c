"""What a view returns: a rendered page with its status, or a response (a redirect)."""

from __future__ import annotations

from werkzeug.wrappers import Response

Page = tuple[str, int] | Response
