"""Who did what, in sentences: 'Dana started the training of model “Cats”.'"""

from __future__ import annotations

from webapp.ledger.activity import Done
from webapp.web.people import in_words

#: The verb for each action on the record; the subject was written with the action.
VERBS = {
    "project.create": "created",
    "project.edit": "changed",
    "project.delete": "deleted",
    "dataset.create": "created",
    "dataset.rename": "renamed",
    "dataset.clone": "copied",
    "dataset.delete": "deleted",
    "dataset.complete": "completed",
    "dataset.schema": "saved",
    "images.upload": "added",
    "caption.edit": "changed",
    "caption.regenerate": "had Bria write again",
    "captions.replace": "replaced",
    "captions.undo": "undid",
    "captions.regenerate": "asked for",
    "model.create": "created",
    "model.start": "started",
    "model.stop": "stopped",
    "generation.ask": "asked for",
}


def sentence(done: Done) -> str:
    verb = VERBS.get(done.action, done.action.replace(".", " ").replace("_", " "))
    return f"{in_words(done.who)} {verb} {done.subject}."
