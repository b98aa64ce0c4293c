"""The optional access password: attempts limited in the database, sessions ended on the server.

Attempts are recorded before the password is checked and counted after that
record is committed, by the database's clock: however many arrive at once, from
however many workers and servers, at most `SIGN_IN_ATTEMPTS` passwords per
client are checked in `SIGN_IN_WINDOW_SECONDS` (a right one starts afresh).
Hashing is deliberately slow and memory-hungry (scrypt, 32 MiB), so each
process computes at most `HASHES_AT_ONCE` at a time.

A signed-in session is a row in the database, named in the session cookie:
signing out ends it on every server at once, and a new access password ends
every session made under the old one.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Engine
from werkzeug.security import check_password_hash

from webapp.database.engine import db_now
from webapp.database.tables import access_sessions, sign_in_attempts

SIGN_IN_ATTEMPTS = 5
SIGN_IN_WINDOW_SECONDS = 15 * 60
HASHES_AT_ONCE = 2
SESSION_LIFETIME_SECONDS = 31 * 24 * 60 * 60


@dataclass(frozen=True)
class Attempt:
    """How a sign-in attempt went: was the password checked, did it match, what is left."""

    checked: bool
    matched: bool
    remaining: int
    retry_after: float | None = None


def fingerprint(password_hash: str) -> str:
    """What sessions are tied to: a new password hash gives a new fingerprint."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:32]


class AccessGate:
    @classmethod
    def of(cls, svc: Any) -> AccessGate:
        """The gate for the app's services (`svc.get(AccessGate.of)`)."""
        return cls(svc.engine, svc.settings.access_password_hash)

    def __init__(self, engine: Engine, password_hash: str) -> None:
        self.engine = engine
        self.password_hash = password_hash
        self._hashing = threading.BoundedSemaphore(HASHES_AT_ONCE)

    @property
    def enabled(self) -> bool:
        return bool(self.password_hash)

    # -- attempts ------------------------------------------------------------

    def attempt(self, client: str, password: str) -> Attempt:
        """Record, count, then (within the limit) check the password."""
        client = client[:100]
        with self.engine.begin() as db:
            attempt_id = db.execute(
                insert(sign_in_attempts).values(client=client, attempted_at=db_now())
            ).inserted_primary_key[0]
        count, retry_after = self._count(client)
        if count > SIGN_IN_ATTEMPTS:
            with self.engine.begin() as db:  # a refused attempt does not lengthen the pause
                db.execute(delete(sign_in_attempts).where(sign_in_attempts.c.id == attempt_id))
            return Attempt(False, False, 0, retry_after)
        with self._hashing:
            matched = check_password_hash(self.password_hash, password)
        if matched:
            self.forget(client)
        return Attempt(True, matched, SIGN_IN_ATTEMPTS - count, None)

    def status(self, client: str) -> Attempt:
        """Attempts left for this client now, and how long a pause still lasts."""
        count, retry_after = self._count(client[:100])
        if count >= SIGN_IN_ATTEMPTS:
            return Attempt(False, False, 0, retry_after)
        return Attempt(False, False, SIGN_IN_ATTEMPTS - count)

    def _count(self, client: str) -> tuple[int, float]:
        query = select(func.count(), func.min(sign_in_attempts.c.attempted_at), db_now()).where(
            sign_in_attempts.c.client == client,
            sign_in_attempts.c.attempted_at > db_now() - SIGN_IN_WINDOW_SECONDS,
        )
        with self.engine.connect() as db:
            count, oldest, now = db.execute(query).one()
        retry_after = (oldest + SIGN_IN_WINDOW_SECONDS - now) if oldest is not None else 0.0
        return count, max(0.0, retry_after)

    def forget(self, client: str) -> None:
        with self.engine.begin() as db:
            db.execute(delete(sign_in_attempts).where(sign_in_attempts.c.client == client[:100]))

    def forget_old(self) -> None:
        """Attempts past their window, and sessions that ended or ran out."""
        with self.engine.begin() as db:
            db.execute(
                delete(sign_in_attempts).where(
                    sign_in_attempts.c.attempted_at < db_now() - SIGN_IN_WINDOW_SECONDS
                )
            )
            db.execute(
                delete(access_sessions).where(
                    (access_sessions.c.ended_at.is_not(None))
                    | (access_sessions.c.started_at < db_now() - SESSION_LIFETIME_SECONDS)
                )
            )

    # -- sessions ------------------------------------------------------------

    def start_session(self) -> str:
        session_id = secrets.token_urlsafe(32)
        with self.engine.begin() as db:
            db.execute(
                insert(access_sessions).values(
                    id=session_id,
                    fingerprint=fingerprint(self.password_hash),
                    started_at=db_now(),
                )
            )
        return session_id

    def session_is_valid(self, session_id: object) -> bool:
        if not isinstance(session_id, str) or not session_id:
            return False
        query = select(func.count()).where(
            access_sessions.c.id == session_id,
            access_sessions.c.ended_at.is_(None),
            access_sessions.c.fingerprint == fingerprint(self.password_hash),
            access_sessions.c.started_at > db_now() - SESSION_LIFETIME_SECONDS,
        )
        with self.engine.connect() as db:
            return bool(db.execute(query).scalar_one())

    def end_session(self, session_id: object) -> None:
        if not isinstance(session_id, str):
            return
        with self.engine.begin() as db:
            db.execute(
                update(access_sessions)
                .where(access_sessions.c.id == session_id)
                .values(ended_at=db_now())
            )
