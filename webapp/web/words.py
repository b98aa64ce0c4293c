"""What to tell a person when Bria did not do what they asked, for any action but the
projects' own (which have their words in `webapp.projects.words`).

Each action says what "nothing happened" and "Bria did not confirm" mean for it
(`Doing`); the failure's kind says the rest. Anything technical (a status, Bria's request
id) goes in the small print for the administrator, never in these sentences.
"""

from __future__ import annotations

from dataclasses import dataclass

from webapp.bria.errors import Failure
from webapp.web.formatting import when


@dataclass(frozen=True)
class Doing:
    """An action, in the words a failure of it needs."""

    #: "nothing was created"
    nothing: str
    #: "Bria did not confirm whether the dataset was created."
    unconfirmed: str


def explain(failure: Failure, doing: Doing) -> str:
    """One or two sentences, right for what the person was doing."""
    kind, said = failure.kind, failure.plain_reason
    quoted = f" It said: “{said}”." if said else ""
    if kind == "database":
        return (
            f"This app cannot reach its database right now, so {doing.nothing}. Try again in "
            "a minute; if it keeps happening, tell your administrator."
        )
    if kind == "unreachable":
        return (
            f"This app's server could not reach Bria, so {doing.nothing}. Try again in a few "
            "minutes."
        )
    if kind in ("budget", "rate_limited"):
        return (
            "Your organisation has used all the Bria requests its plan allows for now, so "
            f"{doing.nothing}. Try again {when(failure.retry_after)}."
        )
    if kind == "busy":
        return (
            f"Bria is busy with other requests from your team, so {doing.nothing}. Try again "
            "in a moment."
        )
    if kind == "unauthorized":
        return (
            "Bria refused this app's access: its API token is not valid. Tell your administrator."
        )
    if kind == "forbidden":
        return (
            f"Bria refused the request.{quoted} Your organisation's plan may have run out of "
            "quota, or may not include Tailored Generation. Tell your administrator."
        )
    if kind == "not_found":
        return "Bria no longer has it: it may have been deleted, here or in Bria's console."
    if failure.outcome_unknown:
        return f"{doing.unconfirmed} Look again in a minute before trying again."
    return f"Bria did not do it.{quoted}"
