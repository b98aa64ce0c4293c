"""What can go wrong when the app asks Bria for something, in as few kinds as matter.

Three classes say what the code must do next, and `kind` says what a person is told:

- `BriaNotSent`: nothing reached Bria (it could not be reached, the shared request
  budget is spent, too many requests of this server already wait on it). The same
  request may simply be sent later.
- `BriaRefused`: Bria answered 4xx, so it did nothing. `BriaNotFound` (404) is the one
  refusal the code often treats as an answer ("already deleted").
- `BriaUnconfirmed`: the request may have reached Bria and been acted on (5xx, no
  whole answer in time, a broken connection, an answer that cannot be read). A
  request that creates or changes something is never sent again blindly after it.

`Failure` is a failure as kept in the database (a submission's message, a job's
last error, a shared read's outcome), so that a later page explains it in its own
words and another process can raise it again.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

UNREACHABLE, BUDGET, BUSY = "unreachable", "budget", "busy"
SERVER_ERROR, TIMEOUT, BROKEN, BAD_RESPONSE = "server_error", "timeout", "broken", "bad_response"
#: Bria made the thing (201) but its answer says nothing usable about it.
CREATED_UNREADABLE = "created_unreadable"
RATE_LIMITED, NOT_FOUND, REFUSED = "rate_limited", "not_found", "refused"

#: The refusals that mean something of their own, by status.
REFUSAL_KINDS: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: NOT_FOUND,
    409: "conflict",
    412: "precondition_failed",
    413: "too_large",
    415: "unsupported",
    422: "unprocessable",
    429: RATE_LIMITED,
}
NOT_SENT_KINDS = (UNREACHABLE, BUDGET, BUSY)
UNCONFIRMED_KINDS = (SERVER_ERROR, TIMEOUT, BROKEN, BAD_RESPONSE)


class BriaError(Exception):
    """Bria did not give what was asked; `kind` names what happened."""

    outcome_unknown = False

    def __init__(
        self,
        kind: str,
        message: str,
        status: int | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
        self.request_id = request_id
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.kind!r}, {self.message!r}, status={self.status})"


class BriaNotSent(BriaError):
    """Nothing reached Bria, so nothing was created or changed."""


class BriaRefused(BriaError):
    """Bria answered with a 4xx: nothing was created or changed."""


class BriaNotFound(BriaRefused):
    """404: Bria has no such thing (any more)."""


class BriaUnconfirmed(BriaError):
    """Bria may have done what was asked before failing to say so."""

    outcome_unknown = True


def refusal(
    status: int, message: str, request_id: str | None, retry_after: float | None = None
) -> BriaRefused:
    """The refusal for a 4xx answer."""
    kind = REFUSAL_KINDS.get(status, REFUSED)
    cls = BriaNotFound if kind == NOT_FOUND else BriaRefused
    return cls(kind, message, status, request_id, retry_after)


def not_sent(kind: str, message: str, retry_after: float | None = None) -> BriaNotSent:
    return BriaNotSent(kind, message, retry_after=retry_after)


def budget_spent(retry_after: float) -> BriaNotSent:
    return BriaNotSent(
        BUDGET,
        f"The Bria request budget is spent for {retry_after:.0f} seconds",
        retry_after=retry_after,
    )


#: A reason Bria gave is quoted to a person only when it reads as words, not as code.
_PLAIN = re.compile(r"^[\w ,.:;!?()'’-]{1,200}$")
_CODE_LIKE = re.compile(r"_|\[|\{|=|\bnull\b|\bNone\b")


@dataclass(frozen=True)
class Failure:
    """A `BriaError` (or the app's own database being out of reach) as kept for later."""

    kind: str
    status: int | None = None
    request_id: str | None = None
    reason: str = ""
    retry_after: float | None = None

    @classmethod
    def of(cls, error: BriaError) -> Failure:
        return cls(error.kind, error.status, error.request_id, error.message, error.retry_after)

    @classmethod
    def database(cls) -> Failure:
        return cls(kind="database")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Failure | None:
        if not data:
            return None
        known = {name: data.get(name) for name in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in known.items() if v is not None})

    def to_error(self, seconds_since: float = 0.0) -> BriaError:
        """The error another process met, to raise here; a wait it asked for is shortened
        by the time since."""
        retry_after = self.retry_after
        if retry_after is not None:
            retry_after = max(1.0, retry_after - seconds_since)
        if self.kind in NOT_SENT_KINDS:
            cls: type[BriaError] = BriaNotSent
        elif self.kind == NOT_FOUND:
            cls = BriaNotFound
        elif self.kind in UNCONFIRMED_KINDS:
            cls = BriaUnconfirmed
        elif self.kind == CREATED_UNREADABLE:
            cls = BriaError
        else:
            cls = BriaRefused
        return cls(self.kind, self.reason, self.status, self.request_id, retry_after)

    @property
    def outcome_unknown(self) -> bool:
        return self.kind in UNCONFIRMED_KINDS

    @property
    def plain_reason(self) -> str | None:
        """Bria's own reason, when it reads as words a person can be shown."""
        text = self.reason.strip().rstrip(".")
        if text and _PLAIN.match(text) and not _CODE_LIKE.search(text):
            return text
        return None
