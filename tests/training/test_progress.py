"""How far a training has come, in words: the time so far against the range Bria's documents
give for the dataset's training family (Bria gives no progress figure)."""

from __future__ import annotations

import pytest

from webapp.catalog.models import Event
from webapp.rules import models as rules
from webapp.training.progress import duration, progress_of

HOUR = 3600.0


def event(status: str, at: float) -> Event:
    return Event(1, 1, 1, status, at, None, None)


@pytest.mark.parametrize(
    ("version", "hours", "words"),
    [
        ("fibo", (4, 6), "4 to 6 hours"),
        ("max", (2, 4), "2 to 4 hours"),
        ("light", (2, 4), "2 to 4 hours"),
        ("3.2", (2, 4), "2 to 4 hours"),
        ("2.3", (2, 4), "2 to 4 hours"),
        (None, (1, 6), "1 to 6 hours"),
        ("something new", (1, 6), "1 to 6 hours"),
    ],
)
def test_the_expected_time_is_the_documents_range_for_the_family(version, hours, words):
    assert rules.expected_hours(version) == hours
    assert rules.duration_in_words(version) == words


@pytest.mark.parametrize(
    ("elapsed", "said"),
    [
        (
            30 * 60,
            "Training for 30 minutes, of the 2 to 4 hours it usually takes. "
            "Expect news in 1 hour 30 minutes at the earliest.",
        ),
        (
            3 * HOUR,
            "Training for 3 hours, of the 2 to 4 hours it usually takes. "
            "It could end any time now.",
        ),
        (
            5 * HOUR + 60,
            "Training for 5 hours 1 minute, of the 2 to 4 hours it usually takes. It is taking "
            "longer than usual; Bria has not said it failed.",
        ),
    ],
)
def test_a_training_under_way_says_how_long_it_has_run_against_the_range(elapsed, said):
    timeline = [event("Created", 0.0), event("InProgress", 100.0)]
    assert progress_of(timeline, 100.0 + elapsed, (2 * HOUR, 4 * HOUR)).in_words() == said


def test_an_ended_training_says_how_long_it_ran_and_a_new_one_what_to_expect():
    ended = [event("InProgress", 0.0), event("Completed", 2 * HOUR + 300)]
    assert progress_of(ended, 9 * HOUR, (2 * HOUR, 4 * HOUR)).in_words() == (
        "The training ran for 2 hours 5 minutes."
    )
    stopped = [event("InProgress", 0.0), event("Stopping", 600.0), event("Stopped", 700.0)]
    assert (
        progress_of(stopped, 9 * HOUR, (4 * HOUR, 6 * HOUR)).in_words()
        == "The training ran for 10 minutes."
    )
    assert progress_of([event("Created", 0.0)], HOUR, (4 * HOUR, 6 * HOUR)).in_words() == (
        "Training usually takes 4 to 6 hours."
    )


def test_the_sandbox_says_its_own_time_not_brias_hours():
    training = [event("InProgress", 0.0)]
    assert progress_of(training, 20.0, (60.0, 60.0)).in_words() == (
        "Training for 20 seconds, of the 1 minute it usually takes. "
        "Expect news in 40 seconds at the earliest."
    )


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0, "0 seconds"),
        (1, "1 second"),
        (59, "59 seconds"),
        (60, "1 minute"),
        (3599, "1 hour"),
        (3660, "1 hour 1 minute"),
        (7200, "2 hours"),
    ],
)
def test_durations_in_words(seconds, words):
    assert duration(seconds) == words


@pytest.mark.parametrize(
    ("status", "words"),
    [
        ("Created", "Not trained yet"),
        ("InProgress", "Training"),
        ("Completed", "Trained: ready to generate images"),
        ("Failed", "Training failed"),
        ("Stopping", "Stopping"),
        ("Stopped", "Stopped: it cannot be resumed"),
        ("Queued", "Bria reports “Queued”"),
        (None, "Bria reports “None”"),
        (42, "Bria reports “42”"),
    ],
)
def test_every_status_is_said_in_words_and_an_unknown_one_as_bria_says_it(status, words):
    assert rules.status_in_words(status) == words


def test_an_ending_the_app_does_not_know_is_said_as_bria_says_it():
    assert rules.ending_in_words("Fox", "Archived") == (
        "The training of model “Fox” ended: Bria reports “Archived”."
    )
