"""Versioned static URLs, so browsers may keep the CSS and JavaScript for a year.

Each file's URL carries a hash of its content, computed once at start-up; a
changed file gets a new URL, so the long cache lifetime is always safe.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, url_for

ONE_YEAR_SECONDS = 365 * 24 * 60 * 60


def init_app(app: Flask) -> None:
    folder = Path(app.static_folder or "")
    versions = {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in folder.rglob("*")
        if path.is_file()
    }

    def asset_url(filename: str) -> str:
        return url_for("static", filename=filename, v=versions[filename])

    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = ONE_YEAR_SECONDS
    app.jinja_env.globals["asset_url"] = asset_url
