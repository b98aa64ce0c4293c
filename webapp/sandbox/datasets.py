"""The sandbox's datasets and visual schemas, with the API's rules.

A project's first dataset locks it to its training family (the seed's rule); a dataset
takes images while it is a draft; completing it needs five images and a visual schema;
regenerating every caption takes `captions_seconds` (a read after that finds them
written).
"""

from __future__ import annotations

import json
import time
from typing import Any

from webapp.rules.datasets import (
    CAPTIONS_COMPLETED,
    CAPTIONS_EMPTY,
    CAPTIONS_IN_PROGRESS,
    COMPLETED,
    DRAFT,
    SCHEMA_IMAGES,
    schema_keys,
)
from webapp.rules.images import MIN_IMAGES_TO_COMPLETE
from webapp.rules.versions import TRAINING_VERSIONS_BY_VALUE, family_of
from webapp.sandbox.database import SandboxDatabase
from webapp.sandbox.images import ImageEndpoints, ImageStore, picture_from
from webapp.sandbox.pictures import Refusal, caption_for, look_at, schema_from
from webapp.sandbox.projects import ProjectStore
from webapp.sandbox.replies import Reply, error, json_object, not_allowed, timestamp


def public(record: dict[str, Any]) -> dict[str, Any]:
    """A stored record as Bria answers it: the sandbox's own notes (`_…`) left out."""
    return {key: value for key, value in record.items() if not key.startswith("_")}


class DatasetStore:
    def __init__(self, database: SandboxDatabase) -> None:
        self.database = database

    def add(self, project_id: int, **fields: Any) -> dict[str, Any]:
        now = timestamp()
        body = {
            "project_id": project_id,
            "name": "",
            "visual_schema": None,
            "status": DRAFT,
            "captions_update_status": CAPTIONS_EMPTY,
            "upload_type": "basic",
            "created_at": now,
            "updated_at": now,
            **fields,
        }
        with self.database.write_lock, self.database.connect() as db:
            cursor = db.execute(
                "INSERT INTO datasets (project_id, body) VALUES (?, ?)",
                (project_id, json.dumps(body)),
            )
            dataset_id = cursor.lastrowid
        return {"id": dataset_id, **body}

    def get(self, dataset_id: int) -> dict[str, Any] | None:
        with self.database.connect() as db:
            row = db.execute("SELECT id, body FROM datasets WHERE id = ?", (dataset_id,)).fetchone()
        return {"id": row[0], **json.loads(row[1])} if row else None

    def of_project(self, project_id: int | None = None) -> list[dict[str, Any]]:
        query, args = "SELECT id, body FROM datasets ORDER BY id", ()
        if project_id is not None:
            query, args = (
                "SELECT id, body FROM datasets WHERE project_id = ? ORDER BY id",
                (project_id,),
            )
        with self.database.connect() as db:
            rows = db.execute(query, args).fetchall()
        return [{"id": row[0], **json.loads(row[1])} for row in rows]

    def update(self, dataset_id: int, changes: dict[str, Any]) -> dict[str, Any] | None:
        with self.database.write_lock, self.database.connect() as db:
            row = db.execute("SELECT body FROM datasets WHERE id = ?", (dataset_id,)).fetchone()
            if row is None:
                return None
            body = {**json.loads(row[0]), **changes, "updated_at": timestamp()}
            db.execute("UPDATE datasets SET body = ? WHERE id = ?", (json.dumps(body), dataset_id))
        return {"id": dataset_id, **body}

    def delete(self, dataset_id: int) -> bool:
        with self.database.write_lock, self.database.connect() as db:
            db.execute("DELETE FROM images WHERE dataset_id = ?", (dataset_id,))
            return db.execute("DELETE FROM datasets WHERE id = ?", (dataset_id,)).rowcount == 1

    def delete_of_project(self, project_id: int) -> None:
        for dataset in self.of_project(project_id):
            self.delete(dataset["id"])


class DatasetEndpoints:
    """`/tailored-gen/datasets…`, a project's datasets, and `generate_visual_schema`."""

    #: How long regenerating every caption takes in the sandbox.
    captions_seconds = 5.0

    def __init__(self, projects: ProjectStore, datasets: DatasetStore, images: ImageStore) -> None:
        self.projects = projects
        self.datasets = datasets
        self.images = images
        self.image_endpoints = ImageEndpoints(datasets, images)

    # -- routing ---------------------------------------------------------------

    def handle(self, method: str, rest: list[str], body: Any, content_type: str) -> Reply:
        if not rest:
            if method == "GET":
                return Reply(200, [self._shown(d) for d in self.datasets.of_project()])
            if method == "POST":
                return self._create(body)
            return not_allowed(method)
        if not rest[0].isdigit():
            return error(404, "not_found", "Dataset not found")
        dataset = self._current(int(rest[0]))
        if dataset is None:
            return error(404, "not_found", f"Dataset {rest[0]} not found")
        if len(rest) > 1 and rest[1] == "images":
            if len(rest) == 2 and method == "PUT":
                return self._regenerate_all(dataset)
            return self.image_endpoints.handle(method, dataset, rest[2:], body, content_type)
        if rest[1:] == ["clone"] and method == "POST":
            return self._clone(dataset, body)
        if len(rest) > 1:
            return error(404, "not_found", "Unknown endpoint")
        if method == "GET":
            return Reply(200, self._shown(dataset, with_images=True))
        if method == "PUT":
            return self._update(dataset, body)
        if method == "DELETE":
            self.datasets.delete(dataset["id"])
            return Reply(204)
        return not_allowed(method)

    def of_project(self, method: str, project_id: int) -> Reply:
        if method != "GET":
            return not_allowed(method)
        return Reply(200, [self._shown(d) for d in self.datasets.of_project(project_id)])

    # -- the rules ---------------------------------------------------------------

    def _create(self, raw: Any) -> Reply:
        fields = json_object(raw)
        if isinstance(fields, Reply):
            return fields
        project_id, name = fields.get("project_id"), fields.get("name")
        if not isinstance(project_id, int) or isinstance(project_id, bool):
            return error(400, "validation_error", "project_id is required")
        if not isinstance(name, str) or not name.strip():
            return error(400, "validation_error", "name is required")
        if fields.get("upload_type", "basic") not in ("basic", "advanced"):
            return error(400, "validation_error", "upload_type must be basic or advanced")
        project = self.projects.get(project_id)
        if project is None:
            return error(404, "not_found", f"Project {project_id} not found")
        version = fields.get("training_version")
        if version is not None and version not in TRAINING_VERSIONS_BY_VALUE:
            return error(400, "validation_error", "training_version is not a known version")
        locked = project.get("training_version")
        if version and locked and family_of(version) != family_of(locked):
            return error(
                400,
                "training_version_mismatch",
                f"Project is locked to the {family_of(locked)} family; training_version "
                f"{version} is {family_of(version)}",
            )
        if version and not locked:  # the first dataset locks the project to its family
            self.projects.update(project_id, {"training_version": version})
        dataset = self.datasets.add(
            project_id,
            name=name,
            upload_type=fields.get("upload_type", "basic"),
            training_version=version or locked,
        )
        return Reply(201, self._shown(dataset))

    def _update(self, dataset: dict[str, Any], raw: Any) -> Reply:
        changes = json_object(raw)
        if isinstance(changes, Reply):
            return changes
        unknown = set(changes) - {"name", "visual_schema", "status"}
        if unknown:
            return error(400, "validation_error", f"{sorted(unknown)[0]} cannot be changed")
        kept: dict[str, Any] = {}
        if "name" in changes:
            if not isinstance(changes["name"], str) or not changes["name"].strip():
                return error(400, "validation_error", "name must not be empty")
            kept["name"] = changes["name"]
        if "visual_schema" in changes:
            if dataset["status"] != DRAFT:
                return error(409, "conflict", "visual_schema can only be changed in a draft")
            if schema_keys(changes["visual_schema"]) is None:
                return error(400, "validation_error", "visual_schema must be a JSON object string")
            kept["visual_schema"] = changes["visual_schema"]
        if "status" in changes:
            status = changes["status"]
            if status not in (DRAFT, COMPLETED):
                return error(400, "validation_error", "status must be draft or completed")
            if status == DRAFT and dataset["status"] == COMPLETED:
                return error(409, "conflict", "A completed dataset cannot become a draft again")
            if status == COMPLETED and dataset["status"] == DRAFT:
                problem = self._cannot_complete(dataset, kept.get("visual_schema"))
                if problem:
                    return error(409, "conflict", problem)
            kept["status"] = status
        return Reply(200, self._shown(self.datasets.update(dataset["id"], kept) or dataset))

    def _cannot_complete(self, dataset: dict[str, Any], schema: str | None) -> str | None:
        if self.images.count(dataset["id"]) < MIN_IMAGES_TO_COMPLETE:
            return f"A dataset needs at least {MIN_IMAGES_TO_COMPLETE} images to be completed"
        if not (schema or dataset.get("visual_schema")):
            return "You must generate a visual schema before completing the dataset"
        return None

    def _clone(self, dataset: dict[str, Any], raw: Any) -> Reply:
        fields = json_object(raw or b"{}")
        if isinstance(fields, Reply):
            return fields
        name = fields.get("name") or f"Copy of {dataset['name']}"
        copy = self.datasets.add(
            dataset["project_id"],
            name=name,
            visual_schema=dataset.get("visual_schema"),
            training_version=dataset.get("training_version"),
        )
        self.images.copy_all(dataset["id"], copy["id"])
        return Reply(201, self._shown(copy, with_images=True))

    def _regenerate_all(self, dataset: dict[str, Any]) -> Reply:
        if dataset["status"] != DRAFT:
            return error(409, "conflict", "Cannot update captions in a completed dataset")
        if not dataset.get("visual_schema"):
            return error(400, "validation_error", "The dataset has no visual_schema")
        ready_at = time.time() + self.captions_seconds
        changed = self.datasets.update(
            dataset["id"], {"captions_update_status": CAPTIONS_IN_PROGRESS, "_ready_at": ready_at}
        )
        # As Bria answers: it has started (even when the sandbox is told to be done at once,
        # the next read finds the captions written, not this answer).
        return Reply(202, self._shown(changed or dataset, settle=False))

    def visual_schema(self, method: str, raw: Any) -> Reply:
        """`POST /tailored-gen/generate_visual_schema`: 5 to 10 images, base64 or URLs."""
        if method != "POST":
            return not_allowed(method)
        fields = json_object(raw)
        if isinstance(fields, Reply):
            return fields
        images = fields.get("images")
        low, high = SCHEMA_IMAGES
        if not isinstance(images, list) or not low <= len(images) <= high:
            return error(400, "validation_error", f"images must hold {low} to {high} images")
        looks = []
        for image in images:
            content = picture_from(image, self.images)
            if content is None:
                return error(422, "unprocessable", "An image could not be read or reached")
            try:
                looks.append(look_at(content))
            except Refusal as refusal:
                return error(refusal.status, refusal.code, refusal.message)
        return Reply(200, {"visual_schema": schema_from(looks)})

    # -- as Bria shows a dataset ---------------------------------------------------

    def _current(self, dataset_id: int) -> dict[str, Any] | None:
        """The dataset, with captions written if their time has come."""
        dataset = self.datasets.get(dataset_id)
        ready_at = (dataset or {}).get("_ready_at")
        if dataset is not None and ready_at is not None and time.time() >= ready_at:
            keys = schema_keys(dataset.get("visual_schema")) or []
            for image in self.images.of_dataset(dataset_id):
                caption = caption_for(self.images.look(image), keys)
                self.images.update(image["id"], {"caption": caption, "caption_source": "automatic"})
            dataset = self.datasets.update(
                dataset_id, {"captions_update_status": CAPTIONS_COMPLETED, "_ready_at": None}
            )
        return dataset

    def _shown(
        self, dataset: dict[str, Any], with_images: bool = False, settle: bool = True
    ) -> dict[str, Any]:
        current = (self._current(dataset["id"]) if settle else dataset) or dataset
        shown = public(current)
        images = self.images.of_dataset(dataset["id"])
        shown["images_count"] = len(images)
        if with_images:
            shown["images"] = [self.image_endpoints.shown(image) for image in images]
        return shown
