"""The page a form sent to Bria once leads to (`webapp.ledger.once`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template

from webapp.bria.errors import Failure
from webapp.ledger.once import Sent
from webapp.web.pages import Page

PENDING_WORDS = "This is being sent to Bria now. Refresh this page in a moment."


def after_sending(
    sent: Sent,
    explain: Callable[[Failure, str], str],
    action: str,
    done: tuple[str, str],
    form: Any,
    template: str,
    /,
    **context: Any,
) -> Page:
    """The next page (`done`: its address and what to say there) when Bria did it, a
    replay of a form that was done included; else the form again, with what became of
    the `action` in words (`explain`)."""
    if sent.done:
        flash(done[1])
        return redirect(done[0], 303)
    message = (
        PENDING_WORDS
        if sent.state == "pending"
        else explain(sent.failure or Failure("refused"), action)
    )
    form.form_errors.append(message)
    return render_template(template, form=form, failure=sent.failure, **context), 409
