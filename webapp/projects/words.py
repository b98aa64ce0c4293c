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

from webapp.bria.errors import Failure
from webapp.ledger.submissions import CREATE, DELETE, EDIT
from webapp.rules import projects as rules
from webapp.web.formatting import when

DUPLICATE_CHECK, LIST, PROJECT = "duplicate_check", "list", "project"
#: The contexts in which the person has answers on the page.
WITH_ANSWERS = (CREATE, EDIT)
_FIELD_IN_REASON = re.compile(r"\b(" + "|".join(rules.REQUEST_FIELDS) + r")\b")


def field_named(failure: Failure) -> str | None:
    """The form field a refusal names, when Bria's reason names one."""
    if failure.kind != "bad_request":
        return None
    match = _FIELD_IN_REASON.search(failure.reason)
    return match.group(1) if match else None


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
            "Stop the training from the model's page first (the project's page lists its "
            "models), then delete the project."
        )
    if kind == "bad_request":
        field = field_named(failure)
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
    field = field_named(failure)
    if field is None or field not in rules.FIELD_LABELS:
        return None
    return field, f"Bria did not accept this {rules.field_in_sentence(field)}: check it"


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
#: A delete whose page was open too long: nothing was deleted.
STALE_DELETE = (
    "This page was open for a long time, so nothing was deleted. Select “Delete the project” "
    "again to delete it."
)
