"""The API's rules for datasets, visual schemas and captions, in one place.

A dataset is made in a project (its first dataset locks the project to a family,
see `webapp.rules.versions`), takes images while it is a draft, needs a visual
schema saved and at least five images before it is completed, and cannot change
once completed: to change it, clone it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from webapp.rules.images import MIN_IMAGES_TO_COMPLETE

DRAFT, COMPLETED = "draft", "completed"
#: What `captions_update_status` says about regenerating every caption.
CAPTIONS_EMPTY, CAPTIONS_IN_PROGRESS, CAPTIONS_COMPLETED = "empty", "in_progress", "completed"
#: One image per request; "advanced" takes only a zip by public URL, which an app
#: behind a firewall cannot offer.
UPLOAD_TYPE = "basic"
NAME_MAX_LENGTH = 100
#: A visual schema is made from this many of the dataset's images.
SCHEMA_IMAGES = (5, 10)
#: The longest caption or schema the app sends (Bria states none).
TEXT_MAX_LENGTH = 20_000


def name_problem(name: str) -> str | None:
    if not name.strip():
        return "Enter a name for the dataset"
    if len(name) > NAME_MAX_LENGTH:
        return f"The dataset name must be {NAME_MAX_LENGTH} characters or fewer"
    return None


def completion_problems(images_at_bria: int, has_schema: bool, still_queued: int) -> list[str]:
    """Why a dataset cannot be completed now, in words; empty when it can."""
    problems = []
    if images_at_bria < MIN_IMAGES_TO_COMPLETE:
        problems.append(
            f"Bria has {images_at_bria} of this dataset's images: it needs at least "
            f"{MIN_IMAGES_TO_COMPLETE}."
        )
    if not has_schema:
        problems.append("The dataset has no visual schema saved: make one and save it first.")
    if still_queued:
        problems.append(
            f"{still_queued} image{'s are' if still_queued != 1 else ' is'} still on the way to "
            "Bria: wait until every image has arrived (or remove the ones you do not want)."
        )
    return problems


@dataclass(frozen=True)
class JsonProblem:
    """Where a caption or a schema stopped being what Bria takes, in words."""

    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = f" (line {self.line}, character {self.column})" if self.line else ""
        return f"{self.message}{where}"


def parse_object(text: str, what: str) -> dict[str, object] | JsonProblem:
    """`text` as a JSON object, or where it broke."""
    if len(text) > TEXT_MAX_LENGTH:
        return JsonProblem(f"The {what} is longer than {TEXT_MAX_LENGTH:,} characters")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        return JsonProblem(
            f"The {what} is not valid JSON: {error.msg.lower()}", error.lineno, error.colno
        )
    if not isinstance(value, dict) or not value:
        return JsonProblem(
            f'The {what} must be a JSON object with named parts, like {{"style": "…"}}'
        )
    return value


def caption_problem(text: str, schema: str | None) -> JsonProblem | None:
    """A caption Bria takes is a JSON object; when the dataset has a visual schema, it
    uses the schema's keys and no others."""
    caption = parse_object(text, "caption")
    if isinstance(caption, JsonProblem):
        return caption
    keys = schema_keys(schema)
    if keys is None:
        return None
    unknown = [key for key in caption if key not in keys]
    missing = [key for key in keys if key not in caption]
    if unknown:
        return JsonProblem(
            f"The caption has {_parts(unknown)} that the visual schema does not: "
            f"use only {_parts(keys)}"
        )
    if missing:
        return JsonProblem(f"The caption lacks {_parts(missing)} from the visual schema")
    return None


def schema_keys(schema: str | None) -> list[str] | None:
    """The top-level keys of a saved visual schema, or None when there is none usable."""
    if not schema:
        return None
    parsed = parse_object(schema, "visual schema")
    return None if isinstance(parsed, JsonProblem) else list(parsed)


def _parts(keys: list[str]) -> str:
    quoted = [f"“{key}”" for key in keys]
    if len(quoted) == 1:
        return f"the part {quoted[0]}"
    return f"the parts {', '.join(quoted[:-1])} and {quoted[-1]}"
