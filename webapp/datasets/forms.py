"""The dataset forms, checked on the server with the rules of `webapp.rules`."""

from __future__ import annotations

from typing import Any

from wtforms import Field, RadioField, StringField
from wtforms.validators import ValidationError

from webapp.rules import datasets as rules
from webapp.rules import versions
from webapp.web.forms import NoControlCharacters, OneTimeForm, one_line, trimmed


class NameCheck:
    def __call__(self, form: Any, field: Field) -> None:
        problem = rules.name_problem(field.data or "")
        if problem:
            raise ValidationError(problem)


class DatasetNameForm(OneTimeForm):
    """Rename a dataset, or name a copy of it."""

    name = StringField(
        "Dataset name", filters=[one_line], validators=[NameCheck(), NoControlCharacters()]
    )


class NewDatasetForm(DatasetNameForm):
    """A new dataset: its name and, within the project's lock, its training version."""

    training_version = RadioField(
        "Training version", validate_choice=False, default="", filters=[trimmed]
    )

    def __init__(self, locked_version: str | None, *args: Any, **kwargs: Any) -> None:
        self.locked_version = locked_version
        super().__init__(*args, **kwargs)

    def validate_training_version(self, field: Field) -> None:
        chosen = field.data or ""
        if not chosen:
            if self.locked_version is None:
                raise ValidationError(
                    "Select a training version: the first dataset decides the family"
                )
            return
        if chosen not in versions.TRAINING_VERSIONS_BY_VALUE:
            raise ValidationError("Select a training version from the list")
        problem = versions.mixing_problem(self.locked_version, chosen)
        if problem:
            raise ValidationError(problem)


class ConfirmForm(OneTimeForm):
    """Nothing to fill in: the one-time id keeps a double click from sending twice."""
