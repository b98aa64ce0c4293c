"""Template filters that turn the API's values into words a person reads.

No page shows `None`, `null`, `True`, a snake_case value or a raw date: known
values get their labels from `webapp.rules`, unknown ones are made readable,
empty ones say so, and times become `<time>` elements that the browser script
shows in the person's own time zone (UTC, named, without the script).
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from flask import Flask
from markupsafe import Markup, escape

from webapp.bria.errors import Failure
from webapp.rules import models as model_rules
from webapp.rules import projects as rules
from webapp.rules import versions
from webapp.web import people, structured
from webapp.web.forms import new_submission_id


def readable(value: Any, empty: str = "Not given") -> str:
    """A value the app does not know, made readable: 'mascot_set' → 'Mascot set'."""
    if value is None or value == "" or isinstance(value, bool):
        return empty
    text = " ".join(str(value).replace("_", " ").split())
    return text[:1].upper() + text[1:] if text else empty


def type_label(value: Any) -> str:
    ip_type = rules.IP_TYPES_BY_VALUE.get(value) if isinstance(value, str) else None
    return ip_type.label if ip_type else readable(value)


def medium_label(value: Any) -> str:
    medium = rules.MEDIA_BY_VALUE.get(value) if isinstance(value, str) else None
    return medium.label if medium else readable(value)


def lock_in_words(version: Any) -> str:
    """What a project's `training_version` means, in the words of the API's rule."""
    if not version:
        return "Not locked yet: the first dataset decides the family"
    known = versions.TRAINING_VERSIONS_BY_VALUE.get(version) if isinstance(version, str) else None
    if known is None:
        return f"Locked to {readable(version)}"
    if known.family == versions.FIBO:
        return "Locked to the FIBO family"
    legacy = [v.label for v in versions.versions_in_family(versions.LEGACY)]
    return (
        f"Locked to the Legacy family ({known.label} chosen): "
        f"{', '.join(legacy[:-1])} and {legacy[-1]} can be mixed"
    )


def family_in_words(version: Any) -> str:
    """The short form for the list: 'FIBO', 'Legacy (Light)', 'Not locked yet'."""
    if not version:
        return "Not locked yet"
    known = versions.TRAINING_VERSIONS_BY_VALUE.get(version) if isinstance(version, str) else None
    if known is None:
        return readable(version)
    return known.family if known.family == versions.FIBO else f"{known.family} ({known.label})"


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 or an HTTP-style date from the API, as an aware datetime; None if neither.
    (A number from the API is not a time: the app's own clock readings go through
    `clock_tag`.)"""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def moment_in_words(value: Any) -> tuple[str, str] | None:
    """A time as ISO 8601 in UTC and as words ('26 May 2024 at 12:00 UTC'); None if the
    value is not a time."""
    moment = parse_time(value)
    try:
        utc = moment.astimezone(UTC) if moment is not None else None
    except (OverflowError, ValueError):  # a date at the edge of the calendar
        utc = None
    if utc is None:
        return None
    return utc.isoformat().replace("+00:00", "Z"), f"{utc.day} {utc:%B %Y} at {utc:%H:%M} UTC"


def from_clock(seconds: float) -> datetime | None:
    """A reading of the database's clock (seconds since 1970) as an aware datetime."""
    try:
        return datetime.fromtimestamp(float(seconds), UTC)
    except (OverflowError, OSError, TypeError, ValueError):
        return None


def clock_tag(seconds: float) -> Markup:
    """`time_tag` for a time the app itself noted (`db_now()`)."""
    return time_tag(from_clock(seconds))


def time_tag(value: Any, empty: str = "Not known") -> Markup:
    """`<time datetime="…">26 May 2024 at 12:00 UTC</time>`; the script shows local time."""
    said = moment_in_words(value)
    if said is None:
        return Markup(escape(empty))
    iso, shown = said
    return Markup(f'<time datetime="{iso}" data-local-time>{escape(shown)}</time>')


def ago(seconds: float | None) -> str:
    """'just now', '40 seconds ago', '5 minutes ago', '2 hours ago'."""
    if seconds is None:
        return "at an unknown time"
    seconds = round(seconds)
    if seconds < 10:
        return "just now"
    if seconds < 90:
        return f"{seconds} seconds ago"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} minutes ago"
    hours = round(minutes / 60)
    return f"{hours} hour{'s' if hours != 1 else ''} ago"


def when(seconds: float | None) -> str:
    """'in 40 seconds', 'in a minute', 'in 3 minutes'."""
    if seconds is None:
        return "in a minute"
    seconds = max(1, round(seconds))
    if seconds < 60:
        return f"in {seconds} second{'s' if seconds != 1 else ''}"
    minutes = round(seconds / 60)
    return "in a minute" if minutes <= 1 else f"in {minutes} minutes"


def training_mode(value: Any) -> str:
    mode = model_rules.TRAINING_MODES_BY_VALUE.get(value) if isinstance(value, str) else None
    return mode.label if mode else readable(value)


def details(failure: Failure, sandbox: bool = False) -> str | None:
    """The small print for an administrator: Bria's status and request id, if any."""
    parts = []
    if failure.status:
        parts.append(f"{'The sandbox' if sandbox else 'Bria'} answered {failure.status}")
    if failure.request_id:
        parts.append(f"request id {failure.request_id}")
    return ", ".join(parts) if parts else None


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        rules=rules,
        versions=versions,
        details=details,
        structured=structured,
        one_time_id=new_submission_id,
        model_rules=model_rules,
    )
    app.jinja_env.filters.update(
        readable=readable,
        type_label=type_label,
        medium_label=medium_label,
        lock_in_words=lock_in_words,
        family_in_words=family_in_words,
        time_tag=time_tag,
        clock_tag=clock_tag,
        ago=ago,
        in_words=when,
        failure_of=Failure.of,
        failure_from=Failure.from_dict,
        model_status=model_rules.status_in_words,
        training_mode=training_mode,
        person_in_words=people.in_words,
    )
