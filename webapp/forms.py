"""The create-project form: what a person may send, checked completely on the server.

Validation does not depend on the browser: hidden fields, a disabled script or
a hand-made request all meet the same rules from `webapp.rules`, and only the
fields that belong to the chosen IP type ever reach `to_payload()`.
"""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, StringField, TextAreaField

from webapp import rules
from webapp.ledger import SUBMISSION_ID

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_OR_NEWLINE = re.compile(r"[\x00-\x1f\x7f]")

LABELS = {
    "project_name": "Project name",
    "project_description": "Project description",
    "ip_medium": "Medium",
    "ip_type": "Type of IP",
    "ip_name": "Character name",
    "ip_description": "Short description of the IP",
    "training_version": "Training version",
}


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _choices(values: list[str]) -> list[SelectChoice]:
    return [SelectChoice(value) for value in values]


class ProjectForm(FlaskForm):
    project_name = StringField(LABELS["project_name"], filters=[_strip])
    project_description = TextAreaField(LABELS["project_description"], filters=[_strip])
    ip_medium = RadioField(
        LABELS["ip_medium"],
        choices=_choices(list(rules.MEDIA_BY_VALUE)),
        validate_choice=False,
        filters=[_strip],
    )
    ip_type = RadioField(
        LABELS["ip_type"],
        choices=_choices(list(rules.IP_TYPES_BY_VALUE)),
        validate_choice=False,
        filters=[_strip],
    )
    ip_name = StringField(LABELS["ip_name"], filters=[_strip])
    ip_description = StringField(LABELS["ip_description"], filters=[_strip])
    training_version = RadioField(
        LABELS["training_version"],
        choices=_choices(["", *rules.TRAINING_VERSIONS_BY_VALUE]),
        validate_choice=False,
        filters=[_strip],
        default="",
    )
    submission_id = HiddenField(filters=[_strip])

    def validate(self, extra_validators: Any = None) -> bool:
        """Run CSRF and field checks, then the API's rules for the chosen branch only."""
        super().validate(extra_validators)
        self._check_text("project_name", required="Enter a project name")
        self._check_text("project_description", multiline=True)
        medium = self._check_medium()
        ip_type = self._check_type(medium)
        if ip_type is not None:
            for name in ip_type.needed_fields:
                self._check_words(name, ip_type)
        self._check_training_version()
        if not SUBMISSION_ID.match(self.submission_id.data or ""):
            self.form_errors.append(
                "This form is out of date. Check your answers and select Create project again."
            )
        return not self.errors

    def _fail(self, name: str, message: str) -> None:
        field = self[name]
        if isinstance(field.errors, tuple):
            field.errors = list(field.errors)
        if not field.errors:  # one message per field: the first problem found
            field.errors.append(message)

    def _check_text(self, name: str, required: str | None = None, multiline: bool = False) -> None:
        value = self[name].data or ""
        label = LABELS[name]
        limit = rules.MAX_LENGTHS[name]
        if not value:
            if required:
                self._fail(name, required)
            return
        if (_CONTROL if multiline else _CONTROL_OR_NEWLINE).search(value):
            self._fail(name, f"{label} must not contain control characters")
        elif len(value) > limit:
            self._fail(name, f"{label} must be {limit} characters or fewer")

    def _check_medium(self) -> str | None:
        medium = self.ip_medium.data
        if not medium:
            self._fail("ip_medium", "Select the medium of the IP")
            return None
        if medium not in rules.MEDIA_BY_VALUE:
            self._fail("ip_medium", "Select photography or illustration")
            return None
        return medium

    def _check_type(self, medium: str | None) -> rules.IPType | None:
        value = self.ip_type.data
        if not value:
            self._fail("ip_type", "Select the type of IP")
            return None
        ip_type = rules.IP_TYPES_BY_VALUE.get(value)
        if ip_type is None:
            self._fail("ip_type", "Select one of the types of IP listed")
            return None
        if medium is not None and not ip_type.allows(medium):
            self._fail(
                "ip_type",
                f"{ip_type.label} is available only for illustration: "
                "select Illustration, or choose another type of IP",
            )
        return ip_type

    def _check_words(self, name: str, ip_type: rules.IPType) -> None:
        self._check_text(name, required=self.required_message(name))
        if self[name].errors:
            return
        limit = rules.WORD_LIMITS[name]
        words = rules.count_words(self[name].data)
        if words > limit.max_words:
            self._fail(name, f"{LABELS[name]} must be {limit.max_words} words or fewer")

    @staticmethod
    def required_message(name: str) -> str:
        return {
            "ip_name": "Enter the character's name",
            "ip_description": "Enter a short description of the IP",
        }[name]

    def _check_training_version(self) -> None:
        value = self.training_version.data or ""
        if value and value not in rules.TRAINING_VERSIONS_BY_VALUE:
            self._fail(
                "training_version", "Select a training version from the list, or decide later"
            )

    @property
    def chosen_type(self) -> rules.IPType | None:
        return rules.IP_TYPES_BY_VALUE.get(self.ip_type.data or "")

    def to_payload(self) -> dict[str, str]:
        """The exact JSON body for the API: only fields that apply, no empty optionals."""
        ip_type = self.chosen_type
        assert ip_type is not None, "to_payload() is for validated forms"
        payload = {"project_name": self.project_name.data}
        if self.project_description.data:
            payload["project_description"] = self.project_description.data
        for name in ip_type.needed_fields:
            payload[name] = self[name].data
        payload["ip_medium"] = self.ip_medium.data
        payload["ip_type"] = ip_type.value
        if self.training_version.data:
            payload["training_version"] = self.training_version.data
        return payload
