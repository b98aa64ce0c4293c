"""What the images and captions pages say when Bria did not do what was asked."""

from __future__ import annotations

from webapp.bria.errors import Failure
from webapp.web.words import Doing
from webapp.web.words import explain as explain_doing

REMOVE, CAPTION = "remove", "caption"
DOING = {
    REMOVE: Doing(
        "the image was not removed", "Bria did not confirm whether the image was removed."
    ),
    CAPTION: Doing(
        "the caption was not changed", "Bria did not confirm whether the caption was changed."
    ),
}


def explain(failure: Failure, action: str) -> str:
    return explain_doing(failure, DOING[action])
