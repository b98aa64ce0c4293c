"""How far a training has come, in words: how long it has run, against how long Bria's
documents say it takes for the dataset's training family. Bria gives no progress
figure, so the app says only what it knows."""

from __future__ import annotations

from dataclasses import dataclass

from webapp.catalog.models import Event
from webapp.rules.models import ENDED, IN_PROGRESS, STOPPING


@dataclass(frozen=True)
class Progress:
    #: When the app saw the training start, and end (database clock), if it did.
    started_at: float | None
    ended_at: float | None
    now: float
    #: How long it takes, in seconds: the documents' range for the family (in the
    #: sandbox, its own time).
    expected_seconds: tuple[float, float]

    @property
    def elapsed_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        return max(0.0, (self.ended_at or self.now) - self.started_at)

    def expected_in_words(self) -> str:
        """'4 to 6 hours'; '1 minute' where it is known to the second (the sandbox)."""
        low, high = self.expected_seconds
        if low == high:
            return duration(low)
        if low % 3600 == 0 and high % 3600 == 0:
            return f"{low // 3600:.0f} to {high // 3600:.0f} hours"
        return f"{duration(low)} to {duration(high)}"

    def in_words(self) -> str:
        elapsed = self.elapsed_seconds
        if elapsed is None:
            return f"Training usually takes {self.expected_in_words()}."
        if self.ended_at is not None:
            return f"The training ran for {duration(elapsed)}."
        low, high = self.expected_seconds
        said = (
            f"Training for {duration(elapsed)}, of the {self.expected_in_words()} it usually takes."
        )
        if elapsed > high:
            return f"{said} It is taking longer than usual; Bria has not said it failed."
        if elapsed < low:
            left = low - elapsed
            return f"{said} Expect news in {duration(left)} at the earliest."
        return f"{said} It could end any time now."


def progress_of(
    timeline: list[Event], now: float, expected_seconds: tuple[float, float]
) -> Progress:
    started = next((e.at for e in timeline if e.status == IN_PROGRESS), None)
    ended = next((e.at for e in timeline if e.status in ENDED or e.status == STOPPING), None)
    return Progress(started, ended if started is not None else None, now, expected_seconds)


def duration(seconds: float) -> str:
    """'45 seconds', '12 minutes', '1 hour 5 minutes', '3 hours'."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours, minutes = divmod(minutes, 60)
    said = f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{said} {minutes} minute{'s' if minutes != 1 else ''}" if minutes else said
