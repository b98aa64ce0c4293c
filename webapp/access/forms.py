"""The sign-in form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from webapp.web.forms import NoControlCharacters, one_line

NAME_MAX_LENGTH = 100


class SignInForm(FlaskForm):
    password = PasswordField(
        "Access password", validators=[DataRequired("Enter the access password")]
    )
    #: Shown with what the person does here (the project's activity), kept with the
    #: session; the organisation's own sign-in, when there is one, names people instead.
    display_name = StringField(
        "Your name (optional)",
        filters=[one_line],
        validators=[
            NoControlCharacters(),
            Length(
                max=NAME_MAX_LENGTH,
                message=f"Your name must be {NAME_MAX_LENGTH} characters or fewer",
            ),
        ],
    )
