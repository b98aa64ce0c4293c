"""The sandbox's models: created from a completed dataset, trained for `training_seconds`
(a minute by default) to Completed, or to Failed when `training_outcome` says so or the
model's name contains "[fail]"; stopping takes a few seconds, then it is Stopped."""

from __future__ import annotations

import json
import time
from typing import Any

from webapp.rules.datasets import COMPLETED as DATASET_COMPLETED
from webapp.rules.models import (
    COMPLETED,
    CREATED,
    FAILED,
    IN_PROGRESS,
    STOPPED,
    STOPPING,
    TRAINING,
    TRAINING_MODES_BY_VALUE,
)
from webapp.sandbox.database import SandboxDatabase
from webapp.sandbox.replies import Reply, error, json_object, not_allowed, timestamp

STOPPING_SECONDS = 3.0


class ModelStore:
    def __init__(self, database: SandboxDatabase) -> None:
        self.database = database

    def add(self, project_id: int, body: dict[str, Any]) -> dict[str, Any]:
        with self.database.write_lock, self.database.connect() as db:
            cursor = db.execute(
                "INSERT INTO models (project_id, body) VALUES (?, ?)",
                (project_id, json.dumps(body)),
            )
            model_id = cursor.lastrowid
        return {"id": model_id, **body}

    def get(self, model_id: int) -> dict[str, Any] | None:
        with self.database.connect() as db:
            row = db.execute("SELECT id, body FROM models WHERE id = ?", (model_id,)).fetchone()
        return {"id": row[0], **json.loads(row[1])} if row else None

    def of_project(self, project_id: int) -> list[dict[str, Any]]:
        with self.database.connect() as db:
            rows = db.execute(
                "SELECT id, body FROM models WHERE project_id = ? ORDER BY id", (project_id,)
            ).fetchall()
        return [{"id": row[0], **json.loads(row[1])} for row in rows]

    def update(self, model_id: int, changes: dict[str, Any]) -> dict[str, Any] | None:
        with self.database.write_lock, self.database.connect() as db:
            row = db.execute("SELECT body FROM models WHERE id = ?", (model_id,)).fetchone()
            if row is None:
                return None
            body = {**json.loads(row[0]), **changes, "updated_at": timestamp()}
            db.execute("UPDATE models SET body = ? WHERE id = ?", (json.dumps(body), model_id))
        return {"id": model_id, **body}

    def delete(self, model_id: int) -> None:
        with self.database.write_lock, self.database.connect() as db:
            db.execute("DELETE FROM models WHERE id = ?", (model_id,))


class ModelEndpoints:
    """`/tailored-gen/models…` and a project's models."""

    #: How long training takes in the sandbox, and how it ends.
    training_seconds = 60.0
    training_outcome = COMPLETED

    def __init__(self, models: ModelStore, datasets: Any) -> None:
        self.models = models
        self.datasets = datasets

    def handle(self, method: str, rest: list[str], body: Any) -> Reply:
        if not rest:
            if method == "POST":
                return self._create(body)
            return not_allowed(method)
        model = self.current(int(rest[0])) if rest[0].isdigit() else None
        if model is None:
            return error(404, "not_found", "Model not found")
        action = rest[1] if len(rest) > 1 else None
        if action is None and method == "GET":
            return Reply(200, public(model))
        if action is None and method == "DELETE":
            if model["status"] in TRAINING:
                return error(409, "conflict", "Cannot delete a model that is currently in training")
            self.models.delete(model["id"])
            return Reply(204)
        if action == "start_training" and method == "POST":
            return self._start(model)
        if action == "stop_training" and method == "POST":
            return self._stop(model)
        return error(404, "not_found", "Unknown endpoint")

    def of_project(self, method: str, project_id: int) -> Reply:
        if method != "GET":
            return not_allowed(method)
        return Reply(
            200, [public(self.current(m["id"]) or m) for m in self.models.of_project(project_id)]
        )

    def training_in(self, project_id: int) -> bool:
        return any(
            (self.current(m["id"]) or m)["status"] in TRAINING
            for m in self.models.of_project(project_id)
        )

    def _create(self, raw: Any) -> Reply:
        fields = json_object(raw)
        if isinstance(fields, Reply):
            return fields
        name, dataset_id = fields.get("name"), fields.get("dataset_id")
        if not isinstance(name, str) or not name.strip():
            return error(400, "validation_error", "name is required")
        if not isinstance(dataset_id, int) or isinstance(dataset_id, bool):
            return error(400, "validation_error", "dataset_id is required")
        mode = fields.get("training_mode", "fully_automated")
        if mode not in TRAINING_MODES_BY_VALUE:
            return error(400, "validation_error", "training_mode must be fully_automated or expert")
        dataset = self.datasets.get(dataset_id)
        if dataset is None:
            return error(404, "not_found", "Dataset not found")
        if dataset["status"] != DATASET_COMPLETED:
            return error(412, "precondition_failed", "Dataset status must be 'completed'")
        now = timestamp()
        model = self.models.add(
            dataset["project_id"],
            {
                "name": name,
                "description": fields.get("description") or "",
                "status": CREATED,
                "training_mode": mode,
                "project_id": dataset["project_id"],
                "dataset_id": dataset_id,
                "active_model_version": "default",
                "training_parameters": {},
                "checkpoint_steps": [],
                "created_at": now,
                "updated_at": now,
            },
        )
        return Reply(201, public(model))

    def _start(self, model: dict[str, Any]) -> Reply:
        if model["status"] != CREATED:
            return error(409, "conflict", "Training already started or cannot be resumed")
        dataset = self.datasets.get(model["dataset_id"])
        if dataset is None or dataset["status"] != DATASET_COMPLETED:
            return error(
                412, "precondition_failed", "Dataset status must be 'completed' to start training"
            )
        started = self.models.update(
            model["id"], {"status": IN_PROGRESS, "_started_at": time.time()}
        )
        return Reply(200, public(started or model))

    def _stop(self, model: dict[str, Any]) -> Reply:
        if model["status"] != IN_PROGRESS:
            return error(409, "conflict", "Training already stopped or not in training")
        self.models.update(
            model["id"], {"status": STOPPING, "_stop_at": time.time() + STOPPING_SECONDS}
        )
        return Reply(200, {"message": "Training is stopping"})

    def current(self, model_id: int) -> dict[str, Any] | None:
        """The model, moved on to where its time has brought it."""
        model = self.models.get(model_id)
        if model is None:
            return None
        now = time.time()
        if (
            model["status"] == IN_PROGRESS
            and now >= model.get("_started_at", now) + self.training_seconds
        ):
            fails = self.training_outcome == FAILED or "[fail]" in model["name"]
            ended = {"status": FAILED if fails else COMPLETED}
            if not fails and model["training_mode"] == "expert":
                ended["checkpoint_steps"] = ["750", "500"]
                ended["active_model_version"] = "750"
            model = self.models.update(model_id, ended) or model
        if model["status"] == STOPPING and now >= model.get("_stop_at", now):
            model = self.models.update(model_id, {"status": STOPPED}) or model
        return model


def public(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if not key.startswith("_")}
