"""The notice on every page when a training the team was following has ended: until
the person dismisses it (kept with their session), for a week at most."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, redirect, request, session
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from webapp.access.session import safe_next
from webapp.catalog.models import Event, ModelRecords
from webapp.services import services
from webapp.training.words import ending_news
from webapp.web.security import is_public_request

bp = Blueprint("notices", __name__)

#: The session key listing the endings this person has dismissed.
DISMISSED = "dismissed_endings"
#: Endings older than this are not announced any more.
SHOWN_FOR_SECONDS = 7 * 24 * 3600
#: At most this many dismissals are kept with the session (the cookie stays small).
KEPT_DISMISSALS = 100


@dataclass(frozen=True)
class Notice:
    event: Event
    model_name: str

    def in_words(self) -> str:
        return ending_news(self.event, self.model_name)


def current_notices() -> list[Notice]:
    """The endings this person has not dismissed; none on public pages (the sign-in
    page shows nothing of the team's work) or while the database is out of reach."""
    if is_public_request():
        return []
    try:
        records = services().get(ModelRecords)
        dismissed = set(session.get(DISMISSED, []))
        endings = [e for e in records.endings_since(SHOWN_FOR_SECONDS) if e.id not in dismissed]
        names = records.names([e.model_id for e in endings])
    except SQLAlchemyError:
        return []
    return [Notice(e, str(names.get(e.model_id, {}).get("name", e.model_id))) for e in endings]


def notices_context() -> dict[str, Any]:
    return {"training_notices": current_notices}


@bp.post("/notices/<int:event_id>/dismiss")
def dismiss(event_id: int) -> Response:
    kept = [i for i in session.get(DISMISSED, []) if isinstance(i, int) and i != event_id]
    session[DISMISSED] = [*kept, event_id][-KEPT_DISMISSALS:]
    return redirect(safe_next(request.form.get("next")), 303)
