"""Bria's project endpoints: one method each, every answer checked for the shape the app uses."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import ijson

from webapp.bria.errors import BAD_RESPONSE, CREATED_UNREADABLE, BriaError, BriaUnconfirmed
from webapp.bria.transport import Transport
from webapp.bria.transport.bodies import Answer, request_id_of
from webapp.rules.projects import REQUEST_FIELDS

log = logging.getLogger("webapp.bria")

PATH = "/tailored-gen/projects"
#: The app keeps ids in 32-bit columns, as Bria's own ids are.
LARGEST_ID = 2**31 - 1
#: Text fields of a project the app shows or compares; each must be text or absent.
PROJECT_TEXT_FIELDS = (*REQUEST_FIELDS, "status", "created_at", "updated_at")
Project = dict[str, Any]


def well_formed_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= LARGEST_ID


def well_formed_project(data: object) -> bool:
    """A project the app can show and compare: a positive integer id, text fields text."""
    if not isinstance(data, dict) or not well_formed_id(data.get("id")):
        return False
    if not isinstance(data.get("project_name"), str):
        return False
    return all(
        data.get(name) is None or isinstance(data.get(name), str) for name in PROJECT_TEXT_FIELDS
    )


class ProjectList:
    """Bria's list of projects (one JSON array, no pages), decoded a batch at a time.

    An organisation's list can hold tens of thousands of projects: decoded whole, they
    would all be Python objects at once in the worker that reads it. A streaming
    parser hands them over entry by entry instead. Malformed entries are left out and
    counted in one log line at the end."""

    def __init__(self, answer: Answer) -> None:
        self._answer = answer

    def batches(self, size: int = 500) -> Iterator[list[Project]]:
        batch: list[Project] = []
        seen = left_out = 0
        try:
            # `use_float`: numbers stay int or float, never Decimal.
            for entry in ijson.items(io.BytesIO(self._answer.content), "item", use_float=True):
                seen += 1
                if well_formed_project(entry):
                    batch.append(entry)
                else:
                    left_out += 1
                if len(batch) >= size:
                    yield batch
                    batch = []
        except ijson.JSONError:
            raise self._unreadable() from None
        if seen == 0 and not self._is_array():
            raise self._unreadable()
        if batch:
            yield batch
        if left_out:
            log.warning(
                "bria_api left out %d malformed entries of %d in the list of projects",
                left_out,
                seen,
            )

    def _is_array(self) -> bool:
        return self._answer.content.lstrip().startswith(b"[")

    def _unreadable(self) -> BriaUnconfirmed:
        return BriaUnconfirmed(
            BAD_RESPONSE,
            "The API's list of projects is not a JSON list",
            self._answer.status_code,
        )


class Projects:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def list(self) -> list[Project]:
        """Every project the organisation has; malformed entries are left out (and logged)."""
        return [project for batch in self.read_list().batches() for project in batch]

    def read_list(self) -> ProjectList:
        """The list as Bria sent it, to be decoded a batch at a time."""
        return ProjectList(self.transport.call("GET", PATH))

    def get(self, project_id: int) -> Project:
        return self._project(self.transport.call("GET", f"{PATH}/{int(project_id)}"))

    def create(self, payload: dict[str, str]) -> Project:
        """POST the project. A 201 whose body is unusable raises `BriaError` of kind
        `created_unreadable`: the project exists, but nothing can be shown of it."""
        answer = self.transport.call("POST", PATH, json=payload)
        if answer.status_code != 201:
            raise self.transport.unreadable(
                answer, f"The API answered {answer.status_code} instead of 201 Created"
            )
        try:
            data = answer.json()
        except ValueError:
            data = None
        if not well_formed_project(data):
            raise BriaError(
                CREATED_UNREADABLE,
                "Bria said the project was created, but its answer could not be read",
                answer.status_code,
                request_id_of(answer, self.transport.token),
            )
        return data

    def update(self, project_id: int, changes: dict[str, str]) -> Project:
        return self._project(self.transport.call("PUT", f"{PATH}/{int(project_id)}", json=changes))

    def delete(self, project_id: int) -> None:
        self.transport.call("DELETE", f"{PATH}/{int(project_id)}")

    def _project(self, answer: Answer) -> Project:
        data = self.transport.json_of(answer)
        if not well_formed_project(data):
            raise self.transport.unreadable(
                answer, "The API's answer has no readable project in it"
            )
        return data
