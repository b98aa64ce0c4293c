"""The image and caption forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, MultipleFileField, StringField, TextAreaField

from webapp.web.forms import trimmed


class UploadForm(FlaskForm):
    """Many files at once; the page works as this plain form without JavaScript too."""

    images = MultipleFileField("Images")
    increase_resolution = BooleanField(
        "Let Bria upscale images smaller than 1024 pixels", default=True
    )


class CaptionForm(FlaskForm):
    caption = TextAreaField("Caption", filters=[trimmed])


class ReplaceForm(FlaskForm):
    find = StringField("Find")
    replace = StringField("Replace with")
