"""What to tell a person when the API did not create their project.

Each message says what happened and what to do next, in plain words. The API's
own reason is quoted only where it helps the person (a 400 or a 403); the token
never appears because `BriaClient` redacts it before any message leaves it.
"""

from __future__ import annotations

from webapp.bria import (
    BriaBadRequest,
    BriaError,
    BriaForbidden,
    BriaRateLimited,
    BriaServerError,
    BriaUnauthorized,
    BriaUnreachable,
)

LOOK_BEFORE_RETRYING = (
    "The project may have been created. Look for it in the list of projects before you try again."
)


def _reason(error: BriaError) -> str:
    return error.message.rstrip(". ")


def explain(error: BriaError) -> str:
    """One or two sentences for the person who filled in the form."""
    if isinstance(error, BriaBadRequest):
        return (
            f"Bria did not accept the project: {_reason(error)}. Check your answers and try again."
        )
    if isinstance(error, BriaUnauthorized):
        return (
            "This app's access to Bria was refused: its API token is not valid. "
            "Tell your administrator; your answers are kept here."
        )
    if isinstance(error, BriaForbidden):
        return (
            f"Bria refused the request: {_reason(error)}. Your organisation's plan may have "
            "run out of quota or may not include Tailored Generation. Tell your administrator."
        )
    if isinstance(error, BriaRateLimited):
        return (
            "Bria is receiving too many requests from your organisation right now. "
            "Wait a minute, then try again."
        )
    if isinstance(error, BriaUnreachable):
        return (
            "Bria could not be reached, so nothing was created. "
            "Check your connection or wait a few minutes, then try again."
        )
    if isinstance(error, BriaServerError):
        return f"Bria had a problem ({error.status}). {LOOK_BEFORE_RETRYING}"
    if error.outcome_unknown:
        return f"{_reason(error)}. {LOOK_BEFORE_RETRYING}"
    return f"Bria did not create the project: {_reason(error)}."


def status_for(error: BriaError) -> int:
    """The status of the page that brings the form back after this failure."""
    if isinstance(error, BriaRateLimited):
        return 429
    if isinstance(error, BriaUnreachable):
        return 503
    if error.outcome_unknown or isinstance(error, (BriaUnauthorized, BriaForbidden)):
        return 502
    return 400
