"""Template filters that turn the API's values into words a person reads."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from flask import Flask

from webapp import rules
from webapp.catalog import created_at


def readable_time(project: dict[str, Any]) -> str:
    """'26 May 2024 at 12:00 UTC', or the API's own text when it cannot be read."""
    moment = created_at(project)
    if moment is None:
        return str(project.get("created_at") or "Not given")
    moment = moment.astimezone(UTC)
    return f"{moment.day} {moment:%B %Y} at {moment:%H:%M} UTC"


def type_label(value: Any) -> str:
    ip_type = rules.IP_TYPES_BY_VALUE.get(value)
    return ip_type.label if ip_type else str(value or "Not given")


def medium_label(value: Any) -> str:
    medium = rules.MEDIA_BY_VALUE.get(value)
    return medium.label if medium else str(value or "Not given")


def init_app(app: Flask) -> None:
    from webapp.services import services

    app.context_processor(lambda: {"sandbox": services().sandbox})
    app.jinja_env.filters.update(
        readable_time=readable_time,
        type_label=type_label,
        medium_label=medium_label,
        lock_in_words=rules.training_lock_in_words,
    )
