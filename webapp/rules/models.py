"""The API's rules for models, training and generating with a trained model."""

from __future__ import annotations

from dataclasses import dataclass

from webapp.rules.versions import FIBO, LEGACY, family_of

CREATED, IN_PROGRESS, COMPLETED, FAILED, STOPPING, STOPPED = (
    "Created",
    "InProgress",
    "Completed",
    "Failed",
    "Stopping",
    "Stopped",
)
#: Statuses in which a model is training (its status is followed, its project cannot
#: be deleted).
TRAINING = (IN_PROGRESS, STOPPING)
#: Statuses after which nothing more happens.
ENDED = (COMPLETED, FAILED, STOPPED)
STATUS_WORDS = {
    CREATED: "Not trained yet",
    IN_PROGRESS: "Training",
    COMPLETED: "Trained: ready to generate images",
    FAILED: "Training failed",
    STOPPING: "Stopping",
    STOPPED: "Stopped: it cannot be resumed",
}


#: How the end of a training is told (the notices, the team chat).
ENDING_WORDS = {
    COMPLETED: "is complete: the model can make images now",
    FAILED: "failed",
    STOPPED: "was stopped",
}


def ending_in_words(model_name: str, status: str) -> str:
    """'The training of model “Fox” is complete: the model can make images now.'"""
    said = ENDING_WORDS.get(status) or f"ended: Bria reports “{status}”"
    return f"The training of model “{model_name}” {said}."


def status_in_words(status: object) -> str:
    """A status the app knows, in words; one it does not, as Bria says it."""
    if isinstance(status, str) and status in STATUS_WORDS:
        return STATUS_WORDS[status]
    return f"Bria reports “{status}”"


@dataclass(frozen=True)
class TrainingMode:
    value: str
    label: str
    description: str


TRAINING_MODES = (
    TrainingMode(
        "fully_automated",
        "Fully automated (recommended)",
        "Bria sets up the training from the dataset's size and the project's medium and type.",
    ),
    TrainingMode(
        "expert",
        "Expert",
        "For people who tune training themselves: Bria keeps checkpoints along the way.",
    ),
)
TRAINING_MODES_BY_VALUE = {mode.value: mode for mode in TRAINING_MODES}

#: How long training takes, as Bria's documents say, by training family.
DURATIONS = {FIBO: (4, 6), LEGACY: (2, 4)}
DURATION_UNKNOWN = (1, 6)


def duration_in_words(version: object) -> str:
    low, high = DURATIONS.get(family_of(version) or "", DURATION_UNKNOWN)
    return f"{low} to {high} hours"


def expected_hours(version: object) -> tuple[int, int]:
    return DURATIONS.get(family_of(version) or "", DURATION_UNKNOWN)


NAME_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 500
#: A prompt is checked before it is sent: not empty, and at most this long.
PROMPT_MAX_LENGTH = 1000
#: The shapes Bria makes, in the words the prompt form offers them.
ASPECT_RATIO_WORDS = {
    "1:1": "Square",
    "4:5": "Portrait",
    "3:4": "Portrait",
    "2:3": "Portrait",
    "9:16": "Tall, for a phone screen",
    "5:4": "Landscape",
    "4:3": "Landscape",
    "3:2": "Landscape",
    "16:9": "Wide, for a video",
}
ASPECT_RATIOS = tuple(ASPECT_RATIO_WORDS)
#: What a generation's status says (v2 status service).
GEN_IN_PROGRESS, GEN_COMPLETED, GEN_ERROR, GEN_UNKNOWN = (
    "IN_PROGRESS",
    "COMPLETED",
    "ERROR",
    "UNKNOWN",
)
#: The largest result image the app keeps (Bria's URLs expire, so it keeps them).
MAX_RESULT_BYTES = 40 * 2**20


def prompt_problem(prompt: str) -> str | None:
    if not prompt.strip():
        return "Enter a prompt: what the image should show"
    if len(prompt) > PROMPT_MAX_LENGTH:
        return f"The prompt must be {PROMPT_MAX_LENGTH:,} characters or fewer"
    return None


def generation_prefix(project: dict[str, object]) -> str | None:
    """What Bria puts before every prompt of this project: its character name and short
    description (the seed: they are part of the generation prefix)."""
    parts = [str(project.get(name) or "").strip() for name in ("ip_name", "ip_description")]
    said = ", ".join(part for part in parts if part)
    return said or None
