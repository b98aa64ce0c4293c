"""The API's rules for a Tailored Generation project, in one place.

Everything that knows which IP types exist, which media they allow, which extra
fields they need and how words are counted reads this module: the form's
validation, the sandbox, the templates and (through data attributes the
templates render) the browser script. A rule changed here changes everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from webapp.rules.versions import TRAINING_VERSIONS_BY_VALUE

#: Words are counted as runs of non-space characters, the same way on the server
#: and in the browser (the script reads the limits from the page, not this regex).
_WORD = re.compile(r"\S+")


def count_words(text: str | None) -> int:
    """Count words the way the limits are described: runs of non-space characters."""
    return len(_WORD.findall(text or ""))


@dataclass(frozen=True)
class Medium:
    value: str
    label: str
    hint: str


@dataclass(frozen=True)
class IPType:
    value: str
    label: str
    description: str
    media: tuple[str, ...]
    needs_ip_name: bool = False
    needs_ip_description: bool = False

    @property
    def illustration_only(self) -> bool:
        return self.media == ("illustration",)

    def allows(self, medium: str) -> bool:
        return medium in self.media

    @property
    def needed_fields(self) -> tuple[str, ...]:
        needed = []
        if self.needs_ip_name:
            needed.append("ip_name")
        if self.needs_ip_description:
            needed.append("ip_description")
        return tuple(needed)


@dataclass(frozen=True)
class WordLimit:
    field: str
    min_words: int
    max_words: int


PHOTOGRAPHY = "photography"
ILLUSTRATION = "illustration"
BOTH_MEDIA = (PHOTOGRAPHY, ILLUSTRATION)

MEDIA: tuple[Medium, ...] = (
    Medium(PHOTOGRAPHY, "Photography", "Photos of real people, places and things."),
    Medium(ILLUSTRATION, "Illustration", "Drawn, painted or rendered artwork."),
)

#: The seven IP types, in the order a person meets them: the ones every medium
#: allows first, then the four that exist only for illustration.
IP_TYPES: tuple[IPType, ...] = (
    IPType(
        "defined_character",
        "Defined character",
        "A specific character that maintains consistent identity and unique traits "
        "while being reproduced in different poses, situations, and actions.",
        BOTH_MEDIA,
        needs_ip_name=True,
        needs_ip_description=True,
    ),
    IPType(
        "stylized_scene",
        "Stylized scene",
        "Complete environments or scenes created with a consistent visual style, look, and feel.",
        BOTH_MEDIA,
    ),
    IPType(
        "other",
        "Other",
        "For IP types that don't fit into any of the other types.",
        BOTH_MEDIA,
    ),
    IPType(
        "multi_object_set",
        "Multi-object set",
        "A collection of different objects sharing a common style, design language, or "
        "color scheme. Objects are typically isolated on solid backgrounds.",
        (ILLUSTRATION,),
    ),
    IPType(
        "object_variants",
        "Object variants",
        "Multiple variations of the same object type, maintaining consistent style and "
        "structure while showing different interpretations. Objects are typically isolated "
        "on solid backgrounds.",
        (ILLUSTRATION,),
        needs_ip_description=True,
    ),
    IPType(
        "icons",
        "Icons",
        "A collection of cohesive, small-scale illustrations or symbols designed to represent "
        "concepts, actions, or objects in interfaces and applications. Maintains consistent "
        "visual style across the set.",
        (ILLUSTRATION,),
    ),
    IPType(
        "character_variants",
        "Character variants",
        "Multiple characters sharing the same fundamental structure, style, and color palette, "
        "allowing creation of new characters that fit within the established design system.",
        (ILLUSTRATION,),
    ),
)

WORD_LIMITS: dict[str, WordLimit] = {
    "ip_name": WordLimit("ip_name", 1, 3),
    "ip_description": WordLimit("ip_description", 1, 6),
}

#: Longest text we accept per field. The API states none; these keep a pasted
#: essay or a hostile body from travelling further than the form.
MAX_LENGTHS: dict[str, int] = {
    "project_name": 100,
    "project_description": 1000,
    "ip_name": 60,
    "ip_description": 120,
}

#: What each field is called wherever a person meets it: the forms, the project
#: page, the list and the messages all use these words.
FIELD_LABELS: dict[str, str] = {
    "project_name": "Project name",
    "project_description": "Project description",
    "ip_medium": "Medium",
    "ip_type": "Type of IP",
    "ip_name": "Character name",
    "ip_description": "Short description",
    "training_version": "Training version",
}


def field_in_sentence(name: str) -> str:
    """A field's label inside a sentence: 'the type of IP', 'the character name'."""
    label = FIELD_LABELS[name]
    return label[:1].lower() + label[1:]


#: The fields `PUT /tailored-gen/projects/{id}` accepts: medium, type and training
#: version are fixed once the project exists.
EDITABLE_FIELDS: tuple[str, ...] = (
    "project_name",
    "project_description",
    "ip_name",
    "ip_description",
)

#: The fields a POST may carry, in the order the API documents them.
REQUEST_FIELDS: tuple[str, ...] = (
    "project_name",
    "project_description",
    "ip_name",
    "ip_description",
    "ip_medium",
    "ip_type",
    "training_version",
)

MEDIA_BY_VALUE: dict[str, Medium] = {m.value: m for m in MEDIA}
IP_TYPES_BY_VALUE: dict[str, IPType] = {t.value: t for t in IP_TYPES}


def types_for_medium(medium: str) -> tuple[IPType, ...]:
    return tuple(t for t in IP_TYPES if t.allows(medium))


def types_needing(field: str) -> tuple[IPType, ...]:
    return tuple(t for t in IP_TYPES if field in t.needed_fields)


def problems_with(payload: dict[str, object]) -> dict[str, str]:
    """Check a request body against the API's rules; return {field: reason}.

    The form has friendlier words for a person; this terse check is what the
    sandbox answers with and what the property tests hold every forwarded body to.
    """
    problems: dict[str, str] = {}
    unknown = set(payload) - set(REQUEST_FIELDS)
    for name in sorted(unknown):
        problems[name] = "is not a known field"
    for name, value in payload.items():
        if name in REQUEST_FIELDS and value is not None and not isinstance(value, str):
            problems[name] = "must be a string"
    if problems:
        return problems

    def text(name: str) -> str:
        return (payload.get(name) or "").strip()  # type: ignore[union-attr]

    if not text("project_name"):
        problems["project_name"] = "is required"
    medium = text("ip_medium")
    if medium not in MEDIA_BY_VALUE:
        problems["ip_medium"] = "must be one of " + ", ".join(MEDIA_BY_VALUE)
    ip_type = IP_TYPES_BY_VALUE.get(text("ip_type"))
    if ip_type is None:
        problems["ip_type"] = "must be one of " + ", ".join(IP_TYPES_BY_VALUE)
    elif medium in MEDIA_BY_VALUE and not ip_type.allows(medium):
        problems["ip_type"] = f"{ip_type.value} is available only when ip_medium = illustration"
    if ip_type is not None:
        for name in ip_type.needed_fields:
            limit = WORD_LIMITS[name]
            words = count_words(text(name))
            if words == 0:
                problems[name] = f"is required for {ip_type.value}"
            elif words > limit.max_words:
                problems[name] = f"must be {limit.min_words}-{limit.max_words} words"
    version = payload.get("training_version")
    if version is not None and version not in TRAINING_VERSIONS_BY_VALUE:
        problems["training_version"] = "must be one of " + ", ".join(TRAINING_VERSIONS_BY_VALUE)
    return problems


def problems_with_changes(changes: dict[str, object], ip_type_value: object) -> dict[str, str]:
    """Check an update's body (`PUT`) for a project of type `ip_type_value`.

    Only the four editable fields may be sent; a name may not be emptied; the
    type's word limits hold, and a field the type needs may not be emptied.
    """
    problems: dict[str, str] = {}
    for name in sorted(set(changes) - set(EDITABLE_FIELDS)):
        problems[name] = "cannot be changed"
    for name, value in changes.items():
        if name in EDITABLE_FIELDS and not isinstance(value, str):
            problems[name] = "must be a string"
    if problems:
        return problems
    if "project_name" in changes and not str(changes["project_name"]).strip():
        problems["project_name"] = "is required"
    ip_type = IP_TYPES_BY_VALUE.get(ip_type_value)  # type: ignore[arg-type]
    needed = ip_type.needed_fields if ip_type else ()
    for name in ("ip_name", "ip_description"):
        if name not in changes:
            continue
        limit = WORD_LIMITS[name]
        words = count_words(str(changes[name]))
        if name in needed and words == 0:
            problems[name] = f"is required for {ip_type_value}"
        elif words > limit.max_words:
            problems[name] = f"must be {limit.min_words}-{limit.max_words} words"
    return problems
