"""Structured prompts (visual schemas, captions) as a person reads and edits them: one
labelled field per part, with the JSON itself one click away.

A flat JSON object becomes its parts; a value that is not text is shown, and read back,
as JSON. What cannot be shown as parts (an array, nested parts everywhere) is edited as
JSON alone.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def parts(text: str | None) -> list[tuple[str, str]] | None:
    """[(part, value as text)], or None when `text` is not a JSON object."""
    try:
        value = json.loads(text or "")
    except ValueError:
        return None
    if not isinstance(value, dict) or not value:
        return None
    return [
        (str(key), item if isinstance(item, str) else json.dumps(item))
        for key, item in value.items()
    ]


def label(part: str) -> str:
    """'camera_angle' → 'Camera angle'."""
    words = part.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:] if words else part


def from_form(form: Mapping[str, str], original: str | None) -> str:
    """What the person sent: their JSON when they changed what it says, else their parts
    put back together (in the original's order, each read as JSON where it was).

    The page always sends the JSON too, laid out on lines beside the fields: it counts
    as changed only when what it says differs from the original, not its layout. JSON
    that was changed goes on written afresh (a browser sends a text box's lines with
    CR LF); JSON that cannot be read goes on as typed, for the rules to say why."""
    raw = (form.get("raw") or "").strip()
    typed = _json(raw)
    if raw and (typed is None or typed != _json(original)):
        return raw if typed is None else json.dumps(typed, ensure_ascii=False)
    known = parts(original) or []
    value: dict[str, Any] = {}
    for index, (key, before) in enumerate(known):
        typed = form.get(f"part-{index}", before)
        was_text = _is_text(original, key)
        value[key] = typed if was_text else _json_or_text(typed)
    return json.dumps(value, ensure_ascii=False) if value else raw


def _json(text: str | None) -> Any:
    """The JSON value in `text`, or None when there is none."""
    try:
        return json.loads(text or "")
    except ValueError:
        return None


def _is_text(original: str | None, key: str) -> bool:
    try:
        return isinstance(json.loads(original or "{}").get(key), str)
    except (ValueError, AttributeError):
        return True


def _json_or_text(typed: str) -> Any:
    try:
        return json.loads(typed)
    except ValueError:
        return typed


def pretty(text: str | None) -> str:
    """The JSON laid out on lines, for the raw view."""
    try:
        return json.dumps(json.loads(text or ""), indent=2, ensure_ascii=False)
    except ValueError:
        return text or ""
