"""What the prompt form says when Bria did not take the prompt."""

from __future__ import annotations

from webapp.bria.errors import Failure
from webapp.web.words import Doing
from webapp.web.words import explain as explain_doing

GENERATE = "generate"
DOING = {
    GENERATE: Doing("no image was asked for", "Bria did not confirm whether it took the prompt.")
}


def explain(failure: Failure, action: str = GENERATE) -> str:
    if failure.kind == "unprocessable":
        said = f" It said: “{failure.plain_reason}”." if failure.plain_reason else ""
        return f"Bria's content check refused this prompt.{said} Try other words."
    if failure.kind == "forbidden":
        return "Bria says this model does not belong to your organisation's account."
    return explain_doing(failure, DOING[action])
