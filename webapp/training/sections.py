"""The models on a project's page and on a dataset's page, made here or elsewhere
(Bria's console, a script): each one in training is followed for everyone."""

from __future__ import annotations

from typing import Any

from webapp.catalog.models import ModelRecords
from webapp.services import services
from webapp.training.service import follow_if_training


def models_section(project: dict[str, Any]) -> dict[str, Any]:
    svc = services()
    models, freshness = svc.get(ModelRecords).of_project(int(project["id"]))
    for model in models:
        follow_if_training(svc, model)
    return {"models": models, "models_freshness": freshness}


def dataset_models_section(dataset: dict[str, Any]) -> dict[str, Any]:
    shown = models_section({"id": dataset["project_id"]})
    mine = [m for m in shown["models"] if m.get("dataset_id") == dataset["id"]]
    return {**shown, "models": mine, "dataset": dataset}
