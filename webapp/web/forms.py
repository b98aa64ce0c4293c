"""What every form of the app shares: one-time ids, trimming, and refusing invisible characters.

Each showing of a form that sends something to Bria carries a one-time submission
id; the ledger claims it before Bria is called, so that a double click, a refresh or
a second tab never reaches Bria twice (see `webapp.ledger.submissions`). Messages
follow one voice: "Enter …", "Select …", "… must be … or fewer".
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, HiddenField
from wtforms.validators import ValidationError

SUBMISSION_ID = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
_SPACING = re.compile(r"[\t\n\r\f\v]")
#: Control characters, and the invisible marks that reorder how text is shown
#: ("\u202eeno tset" reads as "test one"): neither belongs in a name.
_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
STALE_FORM = "This form is out of date. Check your answers and select the button again."


def new_submission_id() -> str:
    return secrets.token_urlsafe(24)


def one_line(value: Any) -> Any:
    """Trim, and turn a pasted tab or line break into a space: a name is one line."""
    return _SPACING.sub(" ", value).strip() if isinstance(value, str) else value


def trimmed(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class NoControlCharacters:
    """Refuse invisible control characters (a NUL byte pasted from elsewhere)."""

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if _CONTROL.search(field.data or ""):
            raise ValidationError(
                f"{field.label.text} has an invisible character in it: type it again "
                "rather than pasting it"
            )


class OneTimeForm(FlaskForm):
    """A form sent once: each showing carries a one-time submission id."""

    submission_id = HiddenField(filters=[trimmed])

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if not SUBMISSION_ID.match(self.submission_id.data or ""):
            self.form_errors.append(STALE_FORM)
            return False
        return valid

    def answers(self) -> dict[str, str]:
        """What the person typed, as typed, to show again (never sent as it is)."""
        return {
            name: value if isinstance(value, str) else ""
            for name, value in ((f.name, f.raw_data[0] if f.raw_data else f.data) for f in self)
            if name not in ("csrf_token", "submission_id")
        }

    @classmethod
    def fresh(cls, *args: Any, **kwargs: Any) -> Any:
        """An empty showing of the form, with its own new one-time id."""
        form = cls(*args, formdata=None, **kwargs)
        form.submission_id.data = new_submission_id()
        return form
