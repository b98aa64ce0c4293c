"""What to tell a person when Bria (or the app's database) did not do what was asked.

One voice, one table: each kind of failure has words for each place it can be met
(creating, changing or deleting a project, checking a name, the list, a project's
page). "May have been created" is said only where a create was attempted, "your
answers are kept" only where there are answers. Anything technical (a status,
Bria's request id) goes in a small line for the administrator, never in the
sentence a person reads.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from webapp import bria, rules

CREATE, EDIT, DELETE = "create", "edit", "delete"
DUPLICATE_CHECK, LIST, PROJECT = "duplicate_check", "list", "project"
#: The contexts in which the person has answers on the page.
WITH_ANSWERS = (CREATE, EDIT)

_KINDS: dict[type[bria.BriaError], str] = {
    bria.BriaUnreachable: "unreachable",
    bria.BriaBudgetSpent: "budget",
    bria.BriaBusy: "busy",
    bria.BriaBadRequest: "bad_request",
    bria.BriaUnauthorized: "unauthorized",
    bria.BriaForbidden: "forbidden",
    bria.BriaNotFound: "not_found",
    bria.BriaConflict: "conflict",
    bria.BriaRateLimited: "rate_limited",
    bria.BriaServerError: "server_error",
    bria.BriaTimeout: "timeout",
    bria.BriaConnectionBroken: "broken",
    bria.BriaBadResponse: "bad_response",
    bria.BriaCreatedUnreadable: "created_unreadable",
}
#: A reason Bria gave is quoted only when it reads as words, not as code.
_PLAIN = re.compile(r"^[\w ,.:;!?()'’-]{1,200}$")
_CODE_LIKE = re.compile(r"_|\[|\{|=|\bnull\b|\bNone\b")
_FIELD_IN_REASON = re.compile(r"\b(" + "|".join(rules.REQUEST_FIELDS) + r")\b")


@dataclass(frozen=True)
class Failure:
    """A failure as kept in the ledger, so a GET can explain it later in its own words."""

    kind: str
    status: int | None = None
    request_id: str | None = None
    reason: str = ""
    retry_after: float | None = None

    @classmethod
    def of(cls, error: bria.BriaError) -> Failure:
        kind = next(
            (name for klass, name in _KINDS.items() if type(error) is klass),
            "not_sent" if isinstance(error, bria.BriaNotSent) else "refused",
        )
        if error.outcome_unknown and kind == "refused":
            kind = "bad_response"
        return cls(
            kind=kind,
            status=error.status,
            request_id=error.request_id,
            reason=error.message,
            retry_after=getattr(error, "retry_after", None),
        )

    @classmethod
    def database(cls) -> Failure:
        return cls(kind="database")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Failure | None:
        if not data:
            return None
        known = {name: data.get(name) for name in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in known.items() if v is not None})

    @property
    def field(self) -> str | None:
        """The form field a refusal names, when Bria's reason names one."""
        if self.kind != "bad_request":
            return None
        match = _FIELD_IN_REASON.search(self.reason)
        return match.group(1) if match else None

    @property
    def plain_reason(self) -> str | None:
        text = self.reason.strip().rstrip(".")
        if text and _PLAIN.match(text) and not _CODE_LIKE.search(text):
            return text
        return None

    @property
    def outcome_unknown(self) -> bool:
        return self.kind in ("server_error", "timeout", "broken", "bad_response")


def when(seconds: float | None) -> str:
    """'in 40 seconds', 'in a minute', 'in 3 minutes'."""
    if seconds is None:
        return "in a minute"
    seconds = max(1, round(seconds))
    if seconds < 60:
        return f"in {seconds} second{'s' if seconds != 1 else ''}"
    minutes = round(seconds / 60)
    return "in a minute" if minutes <= 1 else f"in {minutes} minutes"


_OBJECT = {CREATE: "the project", EDIT: "the changes", DELETE: "the project"}
_UNCONFIRMED = {
    CREATE: "Bria did not confirm whether the project was created.",
    EDIT: "Bria did not confirm whether the changes were saved.",
    DELETE: "Bria did not confirm whether the project was deleted.",
}


def explain(failure: Failure, context: str) -> str:
    """One or two sentences for the person, right for where they are."""
    kept = " Your answers are kept below." if context in WITH_ANSWERS else ""
    nothing = {
        CREATE: "nothing was created",
        EDIT: "nothing was changed",
        DELETE: "nothing was deleted",
    }.get(context, "nothing was sent")
    reading = context in (LIST, PROJECT, DUPLICATE_CHECK)
    kind = failure.kind
    if kind == "database":
        return (
            f"This app cannot reach its database right now, so {nothing}.{kept} "
            "Try again in a minute; if it keeps happening, tell your administrator."
        )
    if kind == "unreachable":
        if reading:
            return "This app's server could not reach Bria. Try again in a few minutes."
        return (
            f"This app's server could not reach Bria, so {nothing}.{kept} "
            "Try again in a few minutes."
        )
    if kind in ("budget", "rate_limited"):
        plan = "Your organisation has used all the Bria requests its plan allows for now"
        if reading:
            return f"{plan}. It can ask Bria again {when(failure.retry_after)}."
        return f"{plan}, so {nothing}.{kept} Try again {when(failure.retry_after)}."
    if kind == "busy":
        return (
            f"Bria is busy with other requests from your team, so {nothing}.{kept} "
            "Try again in a moment."
        )
    if kind == "unauthorized":
        return (
            "Bria refused this app's access: its API token is not valid. "
            f"Tell your administrator.{kept}"
        )
    if kind == "forbidden":
        said = f" It said: “{failure.plain_reason}”." if failure.plain_reason else ""
        return (
            f"Bria refused the request.{said} Your organisation's plan may have run out of "
            f"quota, or may not include Tailored Generation. Tell your administrator.{kept}"
        )
    if kind == "not_found":
        return "Bria has no such project: it may have been deleted."
    if kind == "conflict":
        return (
            "A model in this project is training, so Bria cannot delete it now. "
            "Stop the training in Bria's console first, then delete the project."
        )
    if kind == "bad_request":
        field = failure.field
        if field is not None:
            return (
                f"Bria did not accept the {rules.field_in_sentence(field)}. "
                f"Check it and try again.{kept}"
            )
        said = f" It said: “{failure.plain_reason}”." if failure.plain_reason else ""
        return f"Bria did not accept {_OBJECT.get(context, 'the request')}.{said}{kept}"
    if kind == "created_unreadable":
        return (
            "Bria created the project, but its answer could not be read, so it cannot be "
            "shown here. Find it in the list of projects."
        )
    if failure.outcome_unknown:
        if context in (CREATE, EDIT, DELETE):
            return _UNCONFIRMED[context]
        if kind == "bad_response":
            return (
                "Bria answered, but its answer could not be read. Try again in a few minutes; "
                "if it keeps happening, tell your administrator."
            )
        return "Bria had a problem and did not answer. Try again in a few minutes."
    said = f" It said: “{failure.plain_reason}”." if failure.plain_reason else ""
    return f"Bria did not do what was asked.{said}{kept}"


def field_message(failure: Failure) -> tuple[str, str] | None:
    """(field, message) for a refusal that names a field, in the form's own words."""
    field = failure.field
    if field is None or field not in rules.FIELD_LABELS:
        return None
    return field, f"Bria did not accept this {rules.field_in_sentence(field)}: check it"


def details(failure: Failure, sandbox: bool = False) -> str | None:
    """The small print for an administrator: Bria's status and request id, if any."""
    parts = []
    if failure.status:
        parts.append(f"{'The sandbox' if sandbox else 'Bria'} answered {failure.status}")
    if failure.request_id:
        parts.append(f"request id {failure.request_id}")
    return ", ".join(parts) if parts else None


def page_status(failure: Failure) -> int:
    """The status of a page that explains this failure (for a GET that reads Bria)."""
    if failure.kind in ("budget", "rate_limited"):
        return 429
    if failure.kind in ("unreachable", "busy", "database"):
        return 503
    if failure.kind == "not_found":
        return 404
    return 502


#: Notices on a form that are not Bria's doing.
NOTICES = {
    "stale_page": (
        "This page was open for a long time, so it needed refreshing. Nothing was sent. "
        "Your answers are below: check them and select the button again."
    ),
    "other_site": (
        "A form from another website tried to send this, so it was not used and nothing was "
        "created. Fill in the form below if you want to create a project."
    ),
    "too_large": (
        "What you sent is too large for this app, so nothing was created. Shorten the text, "
        "then try again."
    ),
}
