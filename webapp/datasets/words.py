"""What the dataset pages say when Bria did not do what was asked."""

from __future__ import annotations

from webapp.bria.errors import Failure
from webapp.web.words import Doing
from webapp.web.words import explain as explain_doing

CREATE, RENAME, DELETE, CLONE, COMPLETE, SCHEMA, CAPTIONS, READ = (
    "create",
    "rename",
    "delete",
    "clone",
    "complete",
    "schema",
    "captions",
    "read",
)
DOING = {
    CREATE: Doing("nothing was created", "Bria did not confirm whether the dataset was created."),
    RENAME: Doing("nothing was renamed", "Bria did not confirm whether the dataset was renamed."),
    DELETE: Doing("nothing was deleted", "Bria did not confirm whether the dataset was deleted."),
    CLONE: Doing("nothing was copied", "Bria did not confirm whether the copy was made."),
    COMPLETE: Doing(
        "the dataset was not completed", "Bria did not confirm whether the dataset was completed."
    ),
    SCHEMA: Doing(
        "the visual schema was not saved",
        "Bria did not confirm whether the visual schema was saved.",
    ),
    CAPTIONS: Doing(
        "the captions were not regenerated",
        "Bria did not confirm whether it started writing the captions again.",
    ),
    READ: Doing("it could not be read", "Bria had a problem and did not answer."),
}


def explain(failure: Failure, action: str) -> str:
    return explain_doing(failure, DOING[action])
