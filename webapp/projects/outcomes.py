"""What a create, change or delete of a project came to, as the workflows say it to views."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from webapp.bria.errors import Failure
from webapp.ledger.shared_reads import Freshness
from webapp.ledger.submissions import Submission


class Result(enum.Enum):
    DONE = "done"  # Bria did it; `project` is its answer (None: the answer was unreadable)
    DUPLICATES = "duplicates"  # the name is taken or being taken: nothing sent
    CHECK_FAILED = "check_failed"  # names could not be checked: nothing sent
    PENDING = "pending"  # the same id is still at Bria (a double click)
    ALREADY_SENT = "already_sent"  # the id reached Bria before, with other answers
    REFUSED = "refused"  # Bria said no
    UNKNOWN = "unknown"  # Bria did not confirm, and the list does not show it yet
    NOT_SENT = "not_sent"  # Bria was not asked (budget, busy, unreachable, database)


@dataclass(frozen=True)
class Outcome:
    result: Result
    submission_id: str
    project: dict[str, Any] | None = None
    failure: Failure | None = None
    #: False when the database could not keep this outcome: show it from here.
    recorded: bool = True
    previous: Submission | None = None


@dataclass(frozen=True)
class Duplicates:
    """What already has, or is about to have, a name: listed projects, and work in progress."""

    projects: list[dict[str, Any]] = field(default_factory=list)
    in_progress: list[Submission] = field(default_factory=list)
    freshness: Freshness | None = None

    def __bool__(self) -> bool:
        return bool(self.projects or self.in_progress)


class NamesUnchecked(Exception):
    """The duplicate check could not be made, so nothing was sent."""

    def __init__(self, result: Result, failure: Failure) -> None:
        super().__init__(result.value)
        self.result = result
        self.failure = failure
