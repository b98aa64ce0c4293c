"""Datasets: create one in a project (within its family), rename, delete, clone, save a
visual schema, and complete it, each sent to Bria once. No HTTP in here."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from webapp.bria.errors import BriaNotFound
from webapp.catalog.datasets import DatasetRecords
from webapp.ledger.once import Sent, send_once
from webapp.ledger.submissions import DONE
from webapp.projects.snapshot import ProjectSnapshot
from webapp.rules import versions
from webapp.rules.datasets import COMPLETED
from webapp.services import Services
from webapp.web.forms import SUBMISSION_ID

CREATE, COMPLETE, RENAME, DELETE, CLONE, SCHEMA = (
    "dataset.create",
    "dataset.complete",
    "dataset.rename",
    "dataset.delete",
    "dataset.clone",
    "dataset.schema",
)


@dataclass(frozen=True)
class Lock:
    """The family a project is locked to, and what locked it (None: not locked yet)."""

    version: str | None
    by_dataset: str | None = None

    @property
    def family(self) -> str | None:
        return versions.family_of(self.version)

    def in_words(self) -> str:
        if self.version is None:
            return "Not locked yet: the first dataset decides the training family"
        family = self.family or self.version
        by = f" by dataset “{self.by_dataset}”" if self.by_dataset else ""
        return f"Locked to the {family} family{by}"

    def offered(self) -> tuple[versions.TrainingVersion, ...]:
        """The versions a new dataset may use: any while unlocked, else the family's."""
        family = self.family
        return versions.versions_in_family(family) if family else versions.TRAINING_VERSIONS


def lock_of(project: dict[str, Any], datasets: list[dict[str, Any]]) -> Lock:
    """What locks the project: its own version, else its first dataset's (the seed's rule).
    Bria's reads of a project may leave `training_version` out: the datasets then tell."""
    first = next((d for d in datasets if versions.family_of(d.get("training_version"))), None)
    own = project.get("training_version")
    if versions.family_of(own):
        same = first is not None and versions.family_of(first["training_version"]) == (
            versions.family_of(own)
        )
        return Lock(own, first["name"] if same and first is not None else None)
    if first is not None:
        return Lock(first["training_version"], first["name"])
    return Lock(None)


def create_dataset(
    svc: Services, submission_id: str, project: dict[str, Any], name: str, version: str | None
) -> Sent:
    project_id = int(project["id"])

    def call() -> dict[str, Any]:
        dataset = svc.bria.datasets.create(project_id, name, version)
        svc.get(DatasetRecords).remember(dataset)
        if version and not project.get("training_version"):
            # The first dataset locks the project (the API's rule): the project's page
            # says so at once, before the list is read from Bria again.
            svc.get(ProjectSnapshot).remember({**project, "training_version": version})
        return dataset

    payload = {"project_id": project_id, "name": name, "training_version": version}
    return send_once(svc.ledger, svc.jobs, submission_id, CREATE, name, call, payload)


def complete_dataset(svc: Services, submission_id: str, dataset: dict[str, Any]) -> Sent:
    """One way at Bria: no more images or caption changes afterwards."""

    def call() -> dict[str, Any]:
        done = svc.bria.datasets.update(int(dataset["id"]), status=COMPLETED)
        svc.get(DatasetRecords).remember(done)
        return done

    return send_once(
        svc.ledger,
        svc.jobs,
        submission_id,
        COMPLETE,
        dataset["name"],
        call,
        target_id=dataset["id"],
    )


def rename_dataset(svc: Services, submission_id: str, dataset: dict[str, Any], name: str) -> Sent:
    def call() -> dict[str, Any]:
        renamed = svc.bria.datasets.update(int(dataset["id"]), name=name)
        svc.get(DatasetRecords).remember(renamed)
        return renamed

    return send_once(
        svc.ledger, svc.jobs, submission_id, RENAME, name, call, {"name": name}, dataset["id"]
    )


def delete_dataset(svc: Services, submission_id: str, dataset: dict[str, Any]) -> Sent:
    """A dataset already gone (here or in Bria's console) counts as deleted."""

    def call() -> dict[str, Any]:
        with contextlib.suppress(BriaNotFound):
            svc.bria.datasets.delete(int(dataset["id"]))
        svc.get(DatasetRecords).forget(int(dataset["id"]))
        return {"id": dataset["id"], "name": dataset["name"]}

    return send_once(
        svc.ledger, svc.jobs, submission_id, DELETE, dataset["name"], call, target_id=dataset["id"]
    )


def deleted_by(svc: Services, submission_id: str, dataset_id: int) -> str | None:
    """The dataset's name when this form's one-time id deleted it already (a double click,
    a refresh): the dataset is gone, and the replay goes on to the next page."""
    if not SUBMISSION_ID.match(submission_id or ""):
        return None
    sent = svc.ledger.get(submission_id)
    if sent is None or (sent.kind, sent.state, sent.target_id) != (DELETE, DONE, dataset_id):
        return None
    return str((sent.answer or {}).get("name") or "")


def clone_dataset(svc: Services, submission_id: str, dataset: dict[str, Any], name: str) -> Sent:
    def call() -> dict[str, Any]:
        copy = svc.bria.datasets.clone(int(dataset["id"]), name)
        copy.pop("images", None)
        svc.get(DatasetRecords).remember(copy)
        return copy

    return send_once(svc.ledger, svc.jobs, submission_id, CLONE, name, call, {"name": name})


def save_schema(svc: Services, submission_id: str, dataset: dict[str, Any], schema: str) -> Sent:
    def call() -> dict[str, Any]:
        saved = svc.bria.datasets.update(int(dataset["id"]), visual_schema=schema)
        svc.get(DatasetRecords).remember(saved)
        return saved

    return send_once(
        svc.ledger, svc.jobs, submission_id, SCHEMA, dataset["name"], call, target_id=dataset["id"]
    )
