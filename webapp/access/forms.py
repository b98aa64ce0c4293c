"""The sign-in form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired


class SignInForm(FlaskForm):
    password = PasswordField(
        "Access password", validators=[DataRequired("Enter the access password")]
    )
