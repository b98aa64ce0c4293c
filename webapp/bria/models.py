"""Bria's model endpoints: create a model from a completed dataset, train it, follow it,
stop it. An expert model's checkpoints are in the model itself (`checkpoint_steps`,
`active_model_version`): listing them needs no request of its own."""

from __future__ import annotations

from typing import Any

from webapp.bria.projects import well_formed_id
from webapp.bria.transport import Transport
from webapp.bria.transport.bodies import Answer

PATH = "/tailored-gen/models"
Model = dict[str, Any]
TEXT_FIELDS = ("name", "description", "status", "training_mode", "created_at", "updated_at")


def well_formed_model(data: object) -> bool:
    """A model the app can show: ids that are ids, a status that is text (any text: a
    status the app does not know is shown as Bria says it)."""
    if not isinstance(data, dict) or not well_formed_id(data.get("id")):
        return False
    if not isinstance(data.get("status"), str) or not isinstance(data.get("name"), str):
        return False
    return all(data.get(name) is None or isinstance(data.get(name), str) for name in TEXT_FIELDS)


class Models:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def create(
        self, dataset_id: int, name: str, training_mode: str, description: str = ""
    ) -> Model:
        body: dict[str, Any] = {
            "name": name,
            "dataset_id": int(dataset_id),
            "training_mode": training_mode,
        }
        if description:
            body["description"] = description
        return self._model(self.transport.call("POST", PATH, json=body))

    def of_project(self, project_id: int) -> list[Model]:
        answer = self.transport.call("GET", f"/tailored-gen/projects/{int(project_id)}/models")
        data = self.transport.json_of(answer)
        if not isinstance(data, list):
            raise self.transport.unreadable(answer, "The API's list of models is not a list")
        return [entry for entry in data if well_formed_model(entry)]

    def get(self, model_id: int) -> Model:
        return self._model(self.transport.call("GET", f"{PATH}/{int(model_id)}"))

    def start_training(self, model_id: int) -> Model:
        """Costs money and hours: sent once, after a confirmation. 412: the dataset is not
        completed; 409: training started already."""
        answer = self.transport.call("POST", f"{PATH}/{int(model_id)}/start_training", json={})
        return self._model(answer)

    def stop_training(self, model_id: int) -> None:
        """One way: a stopped model cannot be resumed."""
        self.transport.call("POST", f"{PATH}/{int(model_id)}/stop_training")

    def _model(self, answer: Answer) -> Model:
        data = self.transport.json_of(answer)
        if not well_formed_model(data):
            raise self.transport.unreadable(answer, "The API's answer has no readable model in it")
        return data
