"""Versioned static URLs, so browsers may keep the CSS and JavaScript for a year.

Each file's URL carries a hash of its content, computed once at start-up. A year
of caching is promised only for a file served whole under the hash it has now:
a missing file, or a URL carrying another file's hash (an old page during a
deploy), is served without it, so no browser keeps the wrong thing.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, Response, request, url_for

ONE_YEAR = "public, max-age=31536000, immutable"


def init_app(app: Flask) -> None:
    folder = Path(app.static_folder or "")
    versions = {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in folder.rglob("*")
        if path.is_file()
    }

    def asset_url(filename: str) -> str:
        return url_for("static", filename=filename, v=versions[filename])

    @app.after_request
    def cache_static(response: Response) -> Response:
        if request.endpoint != "static":
            return response
        filename = (request.view_args or {}).get("filename")
        current = response.status_code == 200 and request.args.get("v") == versions.get(filename)
        response.headers["Cache-Control"] = ONE_YEAR if current else "no-cache"
        return response

    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = None
    app.jinja_env.globals["asset_url"] = asset_url
