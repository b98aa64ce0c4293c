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
    #: The documents' range for this family, in hours.
    expected_hours: tuple[int, int]

    @property
    def elapsed_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        return max(0.0, (self.ended_at or self.now) - self.started_at)

    def expected_in_words(self) -> str:
        low, high = self.expected_hours
        return f"{low} to {high} hours"

    def in_words(self) -> str:
        elapsed = self.elapsed_seconds
        if elapsed is None:
            return f"Training usually takes {self.expected_in_words()}."
        if self.ended_at is not None:
            return f"The training ran for {duration(elapsed)}."
        low, high = self.expected_hours
        said = (
            f"Training for {duration(elapsed)}, of the {self.expected_in_words()} it usually takes."
        )
        if elapsed > high * 3600:
            return f"{said} It is taking longer than usual; Bria has not said it failed."
        if elapsed < low * 3600:
            left = low * 3600 - elapsed
            return f"{said} Expect news in {duration(left)} at the earliest."
        return f"{said} It could end any time now."


def progress_of(timeline: list[Event], now: float, expected_hours: tuple[int, int]) -> Progress:
    started = next((e.at for e in timeline if e.status == IN_PROGRESS), None)
    ended = next((e.at for e in timeline if e.status in ENDED or e.status == STOPPING), None)
    return Progress(started, ended if started is not None else None, now, expected_hours)


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
