"""The submission ledger: what each sent form asked for, and what became of it.

The API has no idempotency key, so the app keeps one: each rendering of a form
carries a one-time submission id, claimed in the database before Bria is called
(`INSERT … ON CONFLICT DO NOTHING`), so that a double click, a refresh or a second
tab never reaches Bria twice, on any worker or server. No lock or transaction is
held while Bria works. The row also keeps what the person typed and what they
were told, so that every reply is shown by a GET (Back and Refresh always land
on a page that exists).

States, for creates, edits and deletes alike:

    invalid, duplicates, unchecked,
    not_sent                       nothing reached Bria; the id may still be sent
    pending                        claimed; Bria is being asked
    done                           Bria did it (`answer` holds what it answered)
    refused                        Bria said no: nothing was done
    unknown                        Bria may have done it; the list will tell
    not_done                       the list showed it was not done after all
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from webapp.database.engine import db_now, insert_unless_present
from webapp.database.tables import name_holds, submissions

CREATE, EDIT, DELETE = "create", "edit", "delete"

INVALID = "invalid"
DUPLICATES = "duplicates"
UNCHECKED = "unchecked"
NOT_SENT = "not_sent"
PENDING = "pending"
DONE = "done"
REFUSED = "refused"
UNKNOWN = "unknown"
NOT_DONE = "not_done"

#: States in which nothing has reached Bria: the same id may still be sent.
DRAFTS = (INVALID, DUPLICATES, UNCHECKED, NOT_SENT)
#: States whose outcome a list read from Bria may still settle.
OPEN = (PENDING, UNKNOWN)


def _label(label: str | None, *sources: dict[str, Any]) -> str:
    """What a submission is about, for people: given, or a project's name (the
    first kind of submission, whose callers give none)."""
    if label is None:
        label = next((str(s["project_name"]) for s in sources if s.get("project_name")), "")
    return label[:200]


def _loads(raw: str | None) -> Any:
    return json.loads(raw) if raw else None


@dataclass(frozen=True)
class Submission:
    id: str
    kind: str
    state: str
    label: str
    name_key: str | None
    target_id: int | None
    answer: dict[str, Any] | None
    payload: dict[str, Any] | None
    answers: dict[str, str]
    problems: dict[str, str]
    message: dict[str, Any] | None
    attempted_at: float | None
    updated_at: float | None

    @property
    def reached_bria(self) -> bool:
        return self.state not in DRAFTS

    @classmethod
    def from_row(cls, row: Any) -> Submission:
        return cls(
            id=row["id"],
            kind=row["kind"],
            state=row["state"],
            label=row["label"],
            name_key=row["name_key"],
            target_id=row["target_id"],
            answer=_loads(row["answer"]),
            payload=_loads(row["payload"]),
            answers=_loads(row["answers"]) or {},
            problems=_loads(row["problems"]) or {},
            message=_loads(row["message"]),
            attempted_at=row["attempted_at"],
            updated_at=row["updated_at"],
        )


@dataclass(frozen=True)
class Claim:
    """What a claim found: `won` the id for one call to Bria, or why not."""

    won: bool
    name_held_by: str | None = None


class _NameHeld(Exception):
    def __init__(self, holder: str) -> None:
        self.holder = holder


_GET = select(submissions).where(submissions.c.id == bindparam("submission_id"))


class Ledger:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._insert_submission = insert_unless_present(engine, submissions)
        self._insert_hold = insert_unless_present(engine, name_holds)

    # -- reading -------------------------------------------------------------

    def get(self, submission_id: str) -> Submission | None:
        with self.engine.connect() as db:
            row = db.execute(_GET, {"submission_id": submission_id}).mappings().first()
        return Submission.from_row(row) if row is not None else None

    def open_submissions(self, before: float, limit: int = 50) -> list[Submission]:
        """Creates still pending or unknown, attempted before `before` (oldest first)."""
        query = (
            select(submissions)
            .where(submissions.c.kind == CREATE)
            .where(submissions.c.state.in_(OPEN))
            .where(submissions.c.attempted_at < before)
            .order_by(submissions.c.attempted_at)
            .limit(limit)
        )
        with self.engine.connect() as db:
            return [Submission.from_row(row) for row in db.execute(query).mappings()]

    def holds_for(self, name_key: str) -> list[Submission]:
        """Submissions holding this name: creates or renames under way, of unknown
        outcome, or done and not yet in the shared list."""
        query = (
            select(submissions)
            .join(name_holds, name_holds.c.submission_id == submissions.c.id)
            .where(name_holds.c.name_key == name_key)
        )
        with self.engine.connect() as db:
            return [Submission.from_row(row) for row in db.execute(query).mappings()]

    # -- drafts: nothing sent ------------------------------------------------

    def save_draft(
        self,
        submission_id: str,
        kind: str,
        state: str,
        answers: dict[str, str],
        problems: dict[str, str] | None = None,
        message: dict[str, Any] | None = None,
        target_id: int | None = None,
        label: str | None = None,
    ) -> bool:
        """Keep what the person typed and what they are told, for the GET that shows it.

        False when the id has already reached Bria: its row is never overwritten."""
        values = {
            "kind": kind,
            "state": state,
            "label": _label(label, answers),
            "target_id": target_id,
            "answers": json.dumps(answers),
            "problems": json.dumps(problems or {}),
            "message": json.dumps(message) if message else None,
            "updated_at": db_now(),
        }
        with self.engine.begin() as db:
            inserted = db.execute(
                self._insert_submission.values(
                    id=submission_id, claimed_at=datetime.now(UTC), **values
                )
            ).rowcount
            if inserted:
                return True
            return bool(
                db.execute(
                    update(submissions)
                    .where(submissions.c.id == submission_id)
                    .where(submissions.c.state.in_(DRAFTS))
                    .values(**values)
                ).rowcount
            )

    # -- claims: one call to Bria per id -------------------------------------

    def claim(
        self,
        submission_id: str,
        kind: str,
        payload: dict[str, Any],
        answers: dict[str, str],
        name_key: str | None = None,
        target_id: int | None = None,
        label: str | None = None,
    ) -> Claim:
        """Take the id for one call to Bria and, when `name_key` is given, hold that name.

        One transaction: a name someone else holds leaves the id unclaimed, so the
        person can be warned and choose. Both claims are `INSERT … ON CONFLICT DO
        NOTHING`; an id that already reached Bria is not claimed again.
        """
        values = {
            "kind": kind,
            "state": PENDING,
            "label": _label(label, payload, answers),
            "name_key": name_key,
            "target_id": target_id,
            "payload": json.dumps(payload),
            "answers": json.dumps(answers),
            "problems": json.dumps({}),
            "message": None,
            "attempted_at": db_now(),
            "updated_at": db_now(),
        }
        try:
            with self.engine.begin() as db:
                won = (
                    db.execute(
                        self._insert_submission.values(
                            id=submission_id, claimed_at=datetime.now(UTC), **values
                        )
                    ).rowcount
                    or db.execute(
                        update(submissions)
                        .where(submissions.c.id == submission_id)
                        .where(submissions.c.state.in_(DRAFTS))
                        .values(**values)
                    ).rowcount
                )
                if not won:
                    return Claim(False)
                if name_key:
                    holder = self._hold(db, name_key, submission_id)
                    if holder != submission_id:
                        raise _NameHeld(holder)  # undoes the id's claim with the transaction
        except _NameHeld as held:
            return Claim(False, name_held_by=held.holder)
        return Claim(True)

    def _hold(self, db: Connection, name_key: str, submission_id: str) -> str:
        db.execute(
            self._insert_hold.values(
                name_key=name_key, submission_id=submission_id, held_at=db_now()
            )
        )
        return db.execute(
            select(name_holds.c.submission_id).where(name_holds.c.name_key == name_key)
        ).scalar_one()

    # -- outcomes ------------------------------------------------------------

    def record_done(
        self,
        submission_id: str,
        answer: dict[str, Any] | None,
        message: dict[str, Any] | None = None,
    ) -> bool:
        """Bria did it. `answer` is what it answered (None when it could not be read), and
        its id the target's; False when another create already accounts for that thing (a
        reconciliation that found someone else's)."""
        values: dict[str, Any] = {"state": DONE, "updated_at": db_now()}
        if message is not None:
            values["message"] = json.dumps(message)
        if answer is not None:
            values["answer"] = json.dumps(answer)
            if "id" in answer:
                values["target_id"] = int(answer["id"])
        try:
            with self.engine.begin() as db:
                return bool(
                    db.execute(
                        update(submissions)
                        .where(submissions.c.id == submission_id)
                        .where(submissions.c.state.in_(OPEN))
                        .values(**values)
                    ).rowcount
                )
        except IntegrityError:
            return False

    def record_refused(self, submission_id: str, message: dict[str, Any]) -> None:
        self._finish(submission_id, REFUSED, message, release_name=True)

    def record_not_sent(self, submission_id: str, message: dict[str, Any]) -> None:
        """Bria was never reached after all (the budget, a busy server): a draft again."""
        self._finish(submission_id, NOT_SENT, message, release_name=True)

    def record_unknown(
        self, submission_id: str, message: dict[str, Any], release_name: bool = False
    ) -> None:
        """Bria may have done it. A create keeps its name held until the list tells."""
        self._finish(submission_id, UNKNOWN, message, release_name=release_name)

    def record_not_done(self, submission_id: str, message: dict[str, Any]) -> None:
        self._finish(submission_id, NOT_DONE, message, release_name=True)

    def _finish(
        self, submission_id: str, state: str, message: dict[str, Any], release_name: bool
    ) -> None:
        with self.engine.begin() as db:
            db.execute(
                update(submissions)
                .where(submissions.c.id == submission_id)
                .where(submissions.c.state.in_(OPEN))
                .values(state=state, message=json.dumps(message), updated_at=db_now())
            )
            if release_name:
                db.execute(delete(name_holds).where(name_holds.c.submission_id == submission_id))

    def ids_accounted_for(self, kind: str, target_ids: list[int]) -> set[int]:
        """Of these things at Bria, the ones a submission of `kind` already accounts for."""
        if not target_ids:
            return set()
        query = (
            select(submissions.c.target_id)
            .where(submissions.c.kind == kind)
            .where(submissions.c.target_id.in_(target_ids))
        )
        with self.engine.connect() as db:
            return {row[0] for row in db.execute(query)}

    def release_names_listed_since(self, as_of: float) -> None:
        """Holds of work that was done before a list read began: that list shows its
        outcome now (or the project was renamed or deleted since), so the hold goes."""
        done_before = select(submissions.c.id).where(
            and_(submissions.c.state == DONE, submissions.c.updated_at < as_of)
        )
        with self.engine.begin() as db:
            db.execute(delete(name_holds).where(name_holds.c.submission_id.in_(done_before)))

    def names_held_by_done_work(self) -> bool:
        """Whether a name is still held by work Bria did (until a list read shows it)."""
        query = (
            select(name_holds.c.name_key)
            .join(submissions, submissions.c.id == name_holds.c.submission_id)
            .where(submissions.c.state == DONE)
            .limit(1)
        )
        with self.engine.connect() as db:
            return db.execute(query).first() is not None

    def forget_drafts_older_than(self, seconds: float) -> int:
        """Drafts (nothing sent) nobody came back to: what was typed is not kept for ever."""
        with self.engine.begin() as db:
            return db.execute(
                delete(submissions)
                .where(submissions.c.state.in_(DRAFTS))
                .where(submissions.c.updated_at < db_now() - seconds)
            ).rowcount

    def release_names_of(self, target_id: int) -> None:
        """A deleted project's name is free again."""
        holders = select(submissions.c.id).where(submissions.c.target_id == target_id)
        with self.engine.begin() as db:
            db.execute(delete(name_holds).where(name_holds.c.submission_id.in_(holders)))
