"""Making a model: its name, description and training mode, checked on the server."""

from __future__ import annotations

from wtforms import Field, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from webapp.rules import models as rules
from webapp.web.forms import NoControlCharacters, OneTimeForm, one_line, trimmed


class NewModelForm(OneTimeForm):
    name = StringField(
        "Model name",
        filters=[one_line],
        validators=[
            DataRequired("Enter a name for the model"),
            NoControlCharacters(),
            Length(
                max=rules.NAME_MAX_LENGTH,
                message=f"The model name must be {rules.NAME_MAX_LENGTH} characters or fewer",
            ),
        ],
    )
    description = TextAreaField(
        "Description (optional)",
        filters=[trimmed],
        validators=[
            NoControlCharacters(),
            Length(
                max=rules.DESCRIPTION_MAX_LENGTH,
                message=f"The description must be {rules.DESCRIPTION_MAX_LENGTH} characters "
                "or fewer",
            ),
        ],
    )
    training_mode = RadioField(
        "Training mode", validate_choice=False, default="fully_automated", filters=[trimmed]
    )

    def validate_training_mode(self, field: Field) -> None:
        if field.data not in rules.TRAINING_MODES_BY_VALUE:
            raise ValidationError("Select a training mode")
