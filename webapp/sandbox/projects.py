"""The sandbox's projects: stored as Bria makes them, answered with the API's rules."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from webapp.rules.projects import (
    EDITABLE_FIELDS,
    REQUEST_FIELDS,
    problems_with,
    problems_with_changes,
)
from webapp.sandbox.database import SandboxDatabase
from webapp.sandbox.replies import Reply, error, json_object, not_allowed, refused, timestamp

PATH = "tailored-gen/projects"
_TEXT_FIELDS = ("project_description", "ip_name", "ip_description")


class ProjectStore:
    """Projects in the sandbox's file."""

    def __init__(self, database: SandboxDatabase) -> None:
        self.database = database

    def create(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """A project as the API makes it from a valid body."""
        project = {
            "project_name": fields["project_name"],
            **{name: fields.get(name) or "" for name in _TEXT_FIELDS},
            "ip_medium": fields["ip_medium"],
            "ip_type": fields["ip_type"],
            "training_version": fields.get("training_version"),
        }
        return self.add(**project)

    def add(self, **fields: Any) -> dict[str, Any]:
        """Store a project as given (tests set odd values and old dates this way)."""
        now = timestamp()
        project = {
            "project_name": "",
            "project_description": "",
            "ip_name": "",
            "ip_description": "",
            "ip_medium": "illustration",
            "ip_type": "other",
            "training_version": None,
            "status": "active",
            "created_at": now,
            "updated_at": now,
            **fields,
        }
        project.pop("id", None)
        with self.database.write_lock, self.database.connect() as db:
            cursor = db.execute("INSERT INTO projects (body) VALUES (?)", (json.dumps(project),))
            project_id = cursor.lastrowid
        return {"id": project_id, **project}

    def get(self, project_id: int) -> dict[str, Any] | None:
        with self.database.connect() as db:
            row = db.execute("SELECT id, body FROM projects WHERE id = ?", (project_id,)).fetchone()
        return {"id": row[0], **json.loads(row[1])} if row else None

    def all(self) -> list[dict[str, Any]]:
        with self.database.connect() as db:
            rows = db.execute("SELECT id, body FROM projects ORDER BY id").fetchall()
        return [{"id": row[0], **json.loads(row[1])} for row in rows]

    def update(self, project_id: int, changes: Mapping[str, Any]) -> dict[str, Any] | None:
        with self.database.write_lock, self.database.connect() as db:
            row = db.execute("SELECT body FROM projects WHERE id = ?", (project_id,)).fetchone()
            if row is None:
                return None
            project = {**json.loads(row[0]), **changes, "updated_at": timestamp()}
            db.execute(
                "UPDATE projects SET body = ? WHERE id = ?", (json.dumps(project), project_id)
            )
        return {"id": project_id, **project}

    def delete(self, project_id: int) -> bool:
        with self.database.write_lock, self.database.connect() as db:
            return db.execute("DELETE FROM projects WHERE id = ?", (project_id,)).rowcount == 1

    def set_training(self, project_id: int, training: bool = True) -> None:
        """Mark a project as having a model in training: deleting it then answers 409."""
        with self.database.write_lock, self.database.connect() as db:
            db.execute("UPDATE projects SET training = ? WHERE id = ?", (int(training), project_id))

    def is_training(self, project_id: int) -> bool:
        with self.database.connect() as db:
            row = db.execute("SELECT training FROM projects WHERE id = ?", (project_id,)).fetchone()
        return bool(row and row[0])


def found(project_id: int, project: dict[str, Any] | None) -> Reply:
    if project is None:
        return error(404, "not_found", f"Project {project_id} not found")
    return Reply(200, project)


class ProjectEndpoints:
    """`/tailored-gen/projects`, `/tailored-gen/projects/{id}` and a project's datasets.

    Deleting a project deletes its datasets and images with it (`on_delete`)."""

    def __init__(
        self, store: ProjectStore, datasets: Any, on_delete: Callable[[int], None], models: Any
    ) -> None:
        self.store = store
        self.datasets = datasets
        self.on_delete = on_delete
        self.models = models

    def handle(self, method: str, rest: list[str], body: bytes | str | None) -> Reply:
        if not rest:
            if method == "GET":
                return Reply(200, self.store.all())
            if method == "POST":
                return self._create(body)
            return not_allowed(method)
        if not rest[0].isdigit():
            return error(404, "not_found", "Project not found")
        project_id = int(rest[0])
        if rest[1:] in (["datasets"], ["models"]):
            if self.store.get(project_id) is None:
                return found(project_id, None)
            if rest[1] == "models":
                return self.models.of_project(method, project_id)
            return self.datasets.of_project(method, project_id)
        if len(rest) > 1:
            return error(404, "not_found", "Unknown endpoint")
        if method == "GET":
            return found(project_id, self.store.get(project_id))
        if method == "PUT":
            return self._update(project_id, body)
        if method == "DELETE":
            return self._delete(project_id)
        return not_allowed(method)

    def _create(self, raw: bytes | str | None) -> Reply:
        fields = json_object(raw)
        if isinstance(fields, Reply):
            return fields
        problems = problems_with(fields)
        if problems:
            return refused(problems)
        kept = {name: fields[name] for name in REQUEST_FIELDS if name in fields}
        return Reply(201, self.store.create(kept))

    def _update(self, project_id: int, raw: bytes | str | None) -> Reply:
        project = self.store.get(project_id)
        if project is None:
            return found(project_id, None)
        changes = json_object(raw)
        if isinstance(changes, Reply):
            return changes
        problems = problems_with_changes(changes, project.get("ip_type"))
        if problems:
            return refused(problems)
        kept = {name: changes[name] for name in EDITABLE_FIELDS if name in changes}
        return found(project_id, self.store.update(project_id, kept))

    def _delete(self, project_id: int) -> Reply:
        if self.store.is_training(project_id) or self.models.training_in(project_id):
            return error(409, "conflict", "Cannot delete project while models are in training")
        if not self.store.delete(project_id):
            return found(project_id, None)
        self.on_delete(project_id)
        return Reply(204)
