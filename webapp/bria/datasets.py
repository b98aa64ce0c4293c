"""Bria's dataset endpoints, and the visual schema made from a dataset's images."""

from __future__ import annotations

from typing import Any

from webapp.bria.projects import well_formed_id
from webapp.bria.transport import Transport
from webapp.bria.transport.bodies import Answer
from webapp.rules.datasets import UPLOAD_TYPE

PATH = "/tailored-gen/datasets"
Dataset = dict[str, Any]
#: Text fields of a dataset the app shows or compares; each must be text or absent.
TEXT_FIELDS = ("name", "status", "visual_schema", "captions_update_status", "training_version")


def well_formed_dataset(data: object) -> bool:
    """A dataset the app can show: ids that are ids, text fields text."""
    if not isinstance(data, dict) or not well_formed_id(data.get("id")):
        return False
    if not well_formed_id(data.get("project_id")) or not isinstance(data.get("name"), str):
        return False
    count = data.get("images_count")
    if count is not None and (not isinstance(count, int) or isinstance(count, bool)):
        return False
    return all(data.get(name) is None or isinstance(data.get(name), str) for name in TEXT_FIELDS)


class Datasets:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def create(self, project_id: int, name: str, training_version: str | None) -> Dataset:
        body: dict[str, Any] = {"project_id": int(project_id), "name": name}
        body["upload_type"] = UPLOAD_TYPE
        if training_version:
            body["training_version"] = training_version
        return self._dataset(self.transport.call("POST", PATH, json=body))

    def of_project(self, project_id: int) -> list[Dataset]:
        """The project's datasets; malformed entries are left out."""
        answer = self.transport.call("GET", f"/tailored-gen/projects/{int(project_id)}/datasets")
        return self._datasets(answer)

    def get(self, dataset_id: int) -> Dataset:
        return self._dataset(self.transport.call("GET", f"{PATH}/{int(dataset_id)}"))

    def update(self, dataset_id: int, **fields: str) -> Dataset:
        """Rename (`name`), save a visual schema (`visual_schema`) or complete
        (`status="completed"`): one way, at Bria, for the last."""
        return self._dataset(self.transport.call("PUT", f"{PATH}/{int(dataset_id)}", json=fields))

    def delete(self, dataset_id: int) -> None:
        self.transport.call("DELETE", f"{PATH}/{int(dataset_id)}")

    def clone(self, dataset_id: int, name: str) -> Dataset:
        """A new draft with the dataset's images and visual schema."""
        path = f"{PATH}/{int(dataset_id)}/clone"
        return self._dataset(self.transport.call("POST", path, json={"name": name}))

    def regenerate_captions(self, dataset_id: int) -> Dataset:
        """Ask Bria to write every caption again (it answers 202 and works on its own);
        follow `captions_update_status` to see it end."""
        answer = self.transport.call("PUT", f"{PATH}/{int(dataset_id)}/images")
        return self._dataset(answer)

    def visual_schema(self, images: list[str]) -> str:
        """A visual schema made from 5 to 10 images (base64 or addresses)."""
        answer = self.transport.call(
            "POST", "/tailored-gen/generate_visual_schema", json={"images": images}
        )
        data = self.transport.json_of(answer)
        schema = data.get("visual_schema") if isinstance(data, dict) else None
        if not isinstance(schema, str) or not schema.strip():
            raise self.transport.unreadable(answer, "The API's answer has no visual schema in it")
        return schema

    def _dataset(self, answer: Answer) -> Dataset:
        data = self.transport.json_of(answer)
        if not well_formed_dataset(data):
            raise self.transport.unreadable(
                answer, "The API's answer has no readable dataset in it"
            )
        return data

    def _datasets(self, answer: Answer) -> list[Dataset]:
        data = self.transport.json_of(answer)
        if not isinstance(data, list):
            raise self.transport.unreadable(answer, "The API's list of datasets is not a list")
        return [entry for entry in data if well_formed_dataset(entry)]
