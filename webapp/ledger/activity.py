"""Who did what: every action that changed something at Bria, with when and who.

An action is recorded once: a replay of the same form (its one-time id is the `key`)
or a second run of the same job records nothing more. Who is what the organisation's
sign-in said (`webapp.web.people`), or nobody in particular.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, true
from sqlalchemy.engine import Engine

from webapp.database.engine import db_now, insert_unless_present
from webapp.database.tables import activity
from webapp.ledger.once import Sent

PAGE_SIZE = 50


@dataclass(frozen=True)
class Done:
    at: float
    who: str | None
    action: str
    subject: str
    project_id: int | None


class Activity:
    """One per process (`svc.get(Activity.of)`)."""

    @classmethod
    def of(cls, svc: object) -> Activity:
        return cls(svc.engine)  # type: ignore[attr-defined]

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._insert = insert_unless_present(engine, activity)

    def record(
        self,
        action: str,
        subject: str,
        project_id: int | None,
        who: str | None,
        key: str | None = None,
    ) -> None:
        with self.engine.begin() as db:
            db.execute(
                self._insert.values(
                    project_id=project_id,
                    at=db_now(),
                    who=(who or None) and who[:200],
                    action=action,
                    subject=subject[:500],
                    key=key,
                )
            )

    def page(self, project_id: int | None, page: int = 1) -> tuple[list[Done], int]:
        """A page of a project's activity (None: every project's), newest first, and how
        many there are in all."""
        where = activity.c.project_id == project_id if project_id is not None else true()
        with self.engine.connect() as db:
            total = db.execute(select(func.count()).select_from(activity).where(where)).scalar_one()
            rows = db.execute(
                select(
                    activity.c.at,
                    activity.c.who,
                    activity.c.action,
                    activity.c.subject,
                    activity.c.project_id,
                )
                .where(where)
                .order_by(activity.c.at.desc(), activity.c.id.desc())
                .limit(PAGE_SIZE)
                .offset((max(1, page) - 1) * PAGE_SIZE)
            )
            return [Done(*row) for row in rows], total


def record_sent(
    svc: Any,
    sent: Sent,
    submission_id: str,
    action: str,
    subject: str,
    project_id: int,
    who: str | None,
) -> None:
    """Put a form Bria acted on on the record, once: a replay of the same form (its id is
    the key) records nothing more."""
    if sent.done:
        svc.get(Activity.of).record(action, subject, project_id, who, f"{action}:{submission_id}")
