"""The project forms, checked completely on the server.

Validation does not depend on the browser: hidden fields, a disabled script or a
hand-made request all meet the same rules from `webapp.rules`. The four fields a
project keeps and may change (`ProjectTextForm`) are shared by the create form
and the edit form; a field the project's type does not use is emptied, never
sent. Messages follow one voice: "Enter …", "Select …", "… must be … or fewer".
"""

from __future__ import annotations

from typing import Any

from wtforms import Field, RadioField, StringField, TextAreaField
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Length,
    Optional,
    StopValidation,
    ValidationError,
)

from webapp.rules import projects as rules
from webapp.rules.versions import TRAINING_VERSIONS_BY_VALUE
from webapp.web.forms import NoControlCharacters, OneTimeForm, one_line, trimmed

LABELS = rules.FIELD_LABELS
REQUIRED = {
    "ip_name": "Enter the character's name",
    "ip_description": "Enter a short description",
}


def _length(name: str) -> Length:
    limit = rules.MAX_LENGTHS[name]
    return Length(max=limit, message=f"{LABELS[name]} must be {limit} characters or fewer")


class ProjectTextForm(OneTimeForm):
    """The fields a project keeps and may change, and the type's rules for them."""

    project_name = StringField(
        LABELS["project_name"],
        filters=[one_line],
        validators=[
            DataRequired("Enter a project name"),
            NoControlCharacters(),
            _length("project_name"),
        ],
    )
    project_description = TextAreaField(
        LABELS["project_description"],
        filters=[trimmed],
        validators=[Optional(), NoControlCharacters(), _length("project_description")],
    )
    ip_name = StringField(LABELS["ip_name"], filters=[one_line])
    ip_description = StringField(LABELS["ip_description"], filters=[one_line])

    def ip_type_rules(self) -> rules.IPType | None:
        """The IP type whose rules apply: chosen on the create form, fixed when editing."""
        raise NotImplementedError

    def validate_ip_name(self, field: Field) -> None:
        self._check_type_field(field)

    def validate_ip_description(self, field: Field) -> None:
        self._check_type_field(field)

    def _check_type_field(self, field: Field) -> None:
        ip_type = self.ip_type_rules()
        if ip_type is None or field.name not in ip_type.needed_fields:
            field.data = ""  # the type does not use it: it is not sent
            raise StopValidation()
        if not field.data:
            raise StopValidation(REQUIRED[field.name])
        NoControlCharacters()(self, field)
        _length(field.name)(self, field)
        limit = rules.WORD_LIMITS[field.name]
        if rules.count_words(field.data) > limit.max_words:
            raise ValidationError(f"{field.label.text} must be {limit.max_words} words or fewer")

    def type_fields(self) -> dict[str, str]:
        """The two IP fields as the chosen type needs them (only those it uses)."""
        ip_type = self.ip_type_rules()
        needed = ip_type.needed_fields if ip_type else ()
        return {name: self[name].data for name in needed}


class CreateProjectForm(ProjectTextForm):
    ip_medium = RadioField(
        LABELS["ip_medium"],
        validate_choice=False,
        filters=[trimmed],
        validators=[
            DataRequired("Select the medium of the IP"),
            AnyOf(list(rules.MEDIA_BY_VALUE), "Select photography or illustration"),
        ],
    )
    ip_type = RadioField(
        LABELS["ip_type"],
        validate_choice=False,
        filters=[trimmed],
        validators=[
            DataRequired("Select the type of IP"),
            AnyOf(list(rules.IP_TYPES_BY_VALUE), "Select one of the types of IP listed"),
        ],
    )
    training_version = RadioField(
        LABELS["training_version"],
        validate_choice=False,
        default="",
        filters=[trimmed],
        validators=[
            Optional(),
            AnyOf(
                list(TRAINING_VERSIONS_BY_VALUE),
                "Select a training version from the list, or decide later",
            ),
        ],
    )

    def ip_type_rules(self) -> rules.IPType | None:
        return rules.IP_TYPES_BY_VALUE.get(self.ip_type.data or "")

    def validate_ip_type(self, field: Field) -> None:
        ip_type = rules.IP_TYPES_BY_VALUE.get(field.data)
        medium = self.ip_medium.data
        if ip_type is not None and medium in rules.MEDIA_BY_VALUE and not ip_type.allows(medium):
            raise ValidationError(
                f"“{ip_type.label}” is available only for illustration: select Illustration, "
                "or choose another type of IP"
            )

    def to_payload(self) -> dict[str, str]:
        """The exact JSON body for the API: only fields that apply, no empty optionals."""
        payload = {"project_name": self.project_name.data}
        if self.project_description.data:
            payload["project_description"] = self.project_description.data
        payload |= self.type_fields()
        payload["ip_medium"] = self.ip_medium.data
        payload["ip_type"] = self.ip_type.data
        if self.training_version.data:
            payload["training_version"] = self.training_version.data
        return payload


class EditProjectForm(ProjectTextForm):
    """The four fields Bria lets change, under the rules of the project's own type."""

    def __init__(self, ip_type: str | None, *args: Any, **kwargs: Any) -> None:
        self._ip_type = rules.IP_TYPES_BY_VALUE.get(ip_type or "")
        super().__init__(*args, **kwargs)

    def ip_type_rules(self) -> rules.IPType | None:
        return self._ip_type

    def to_changes(self) -> dict[str, str]:
        """The body of the PUT: the name, the description (empty clears it) and the
        IP fields the type uses; nothing else."""
        return {
            "project_name": self.project_name.data,
            "project_description": self.project_description.data or "",
            **self.type_fields(),
        }


class DeleteProjectForm(OneTimeForm):
    """Nothing to fill in: the one-time id keeps a double click from deleting twice."""
