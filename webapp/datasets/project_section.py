"""The datasets section of a project's page: its datasets, and what locks its family."""

from __future__ import annotations

from typing import Any

from webapp.catalog.datasets import DatasetRecords
from webapp.datasets.service import lock_of
from webapp.services import services


def datasets_section(project: dict[str, Any]) -> dict[str, Any]:
    read = services().get(DatasetRecords).of_project(int(project["id"]))
    return {
        "datasets": read.value,
        "datasets_freshness": read.freshness,
        "lock": lock_of(project, read.value),
    }
