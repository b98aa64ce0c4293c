"""The prompt form: checked against the API's limits before anything is sent."""

from __future__ import annotations

from wtforms import Field, StringField, TextAreaField
from wtforms.validators import ValidationError

from webapp.rules import models as rules
from webapp.web.forms import OneTimeForm, trimmed


class PromptForm(OneTimeForm):
    prompt = TextAreaField("Prompt", filters=[trimmed])
    aspect_ratio = StringField("Shape", default="1:1", filters=[trimmed])

    def validate_prompt(self, field: Field) -> None:
        problem = rules.prompt_problem(field.data or "")
        if problem:
            raise ValidationError(problem)

    def validate_aspect_ratio(self, field: Field) -> None:
        if field.data not in rules.ASPECT_RATIOS:
            raise ValidationError("Select a shape from the list")
