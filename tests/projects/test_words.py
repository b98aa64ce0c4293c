"""What people read: every failure in every place worded for it, and values in people's words."""

from __future__ import annotations

import re

import pytest
from markupsafe import Markup

from webapp.bria.errors import (
    BriaNotFound,
    BriaNotSent,
    BriaRefused,
    BriaUnconfirmed,
    Failure,
    budget_spent,
)
from webapp.ledger import submissions as ledger
from webapp.projects import words as messages
from webapp.projects.words import explain
from webapp.web import formatting

ERRORS = [
    BriaNotSent("unreachable", "x"),
    budget_spent(42),
    BriaNotSent("busy", "x"),
    BriaRefused("bad_request", "Name taken", 400, "req-1"),
    BriaRefused("bad_request", "Invalid value for field 'ip_type': expected one of ['icons']", 400),
    BriaRefused("unauthorized", "Invalid api_token", 401),
    BriaRefused("forbidden", "Quota exceeded: 3 of 3", 403),
    BriaNotFound("not_found", "gone", 404),
    BriaRefused("conflict", "training", 409),
    BriaRefused("rate_limited", "slow down", 429, None, 30.0),
    BriaUnconfirmed("server_error", "oops", 500, "req-2"),
    BriaUnconfirmed("timeout", "slow"),
    BriaUnconfirmed("broken", "cut"),
    BriaUnconfirmed("bad_response", "odd", 200),
]
CONTEXTS = [
    ledger.CREATE,
    ledger.EDIT,
    ledger.DELETE,
    messages.DUPLICATE_CHECK,
    messages.LIST,
    messages.PROJECT,
]


@pytest.mark.parametrize("context", CONTEXTS)
@pytest.mark.parametrize("error", ERRORS, ids=lambda e: type(e).__name__)
def test_each_failure_is_said_right_for_its_place(error, context):
    said = explain(Failure.of(error), context)
    assert said and said[0].isupper() and said.endswith(".")
    assert not re.search(r"\b[1-5]\d\d\b", said), "no HTTP status in a sentence"
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", said), "no snake_case"
    if context != ledger.CREATE:
        assert "created" not in said, "a create is spoken of only where one was attempted"
    if "answers" in said:
        assert context in messages.WITH_ANSWERS


def test_a_failure_survives_the_ledger_and_keeps_its_details():
    failure = Failure.of(BriaUnconfirmed("server_error", "oops", 502, "req-9"))
    again = Failure.from_dict(failure.as_dict())
    assert again == failure and again.outcome_unknown
    assert formatting.details(again) == "Bria answered 502, request id req-9"
    assert formatting.details(Failure.of(BriaNotSent("unreachable", "x"))) is None


def test_a_refusal_naming_a_field_is_put_next_to_it_in_the_forms_words():
    failure = Failure.of(BriaRefused("bad_request", "ip_name must be 1-3 words", 400))
    assert messages.field_message(failure) == (
        "ip_name",
        "Bria did not accept this character name: check it",
    )
    assert messages.field_message(Failure.of(BriaRefused("bad_request", "Name taken", 400))) is None


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (None, "in a minute"),
        (1, "in 1 second"),
        (40.2, "in 40 seconds"),
        (61, "in a minute"),
        (600, "in 10 minutes"),
    ],
)
def test_waits_are_said_in_words(seconds, said):
    assert formatting.when(seconds) == said


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (None, "Not given"),
        ("", "Not given"),
        (True, "Not given"),
        ("mascot_set", "Mascot set"),
        ("active", "Active"),
        ("  a   b ", "A b"),
    ],
)
def test_unknown_values_are_made_readable(value, said):
    assert formatting.readable(value) == said


def test_known_values_get_their_labels_and_unknown_ones_are_readable():
    assert formatting.type_label("object_variants") == "Object variants"
    assert formatting.type_label("mascot_set") == "Mascot set"
    assert formatting.medium_label("photography") == "Photography"
    assert formatting.medium_label(None) == "Not given"


@pytest.mark.parametrize(
    ("version", "said"),
    [
        (None, "Not locked yet: the first dataset decides the family"),
        ("fibo", "Locked to the FIBO family"),
        ("max", "Locked to the Legacy family (Max chosen): Max, Light, 3.2 and 2.3 can be mixed"),
        ("2.3", "Locked to the Legacy family (2.3 chosen): Max, Light, 3.2 and 2.3 can be mixed"),
        ("future_family", "Locked to Future family"),
    ],
)
def test_the_lock_is_said_as_the_api_rules_it(version, said):
    assert formatting.lock_in_words(version) == said


@pytest.mark.parametrize(
    ("value", "iso", "shown"),
    [
        ("2024-05-26T12:00:00Z", "2024-05-26T12:00:00Z", "26 May 2024 at 12:00 UTC"),
        ("2024-05-26T14:00:00+02:00", "2024-05-26T12:00:00Z", "26 May 2024 at 12:00 UTC"),
        ("2024-05-26T12:00:00", "2024-05-26T12:00:00Z", "26 May 2024 at 12:00 UTC"),
        ("Mon, 20 Jan 2025 10:11:12 GMT", "2025-01-20T10:11:12Z", "20 January 2025 at 10:11 UTC"),
    ],
)
def test_times_become_time_elements_in_utc_named(value, iso, shown):
    tag = formatting.time_tag(value)
    assert isinstance(tag, Markup)
    assert tag == f'<time datetime="{iso}" data-local-time>{shown}</time>'


@pytest.mark.parametrize("value", [None, "", "yesterday", 12, "<script>"])
def test_an_unreadable_time_says_so(value):
    assert formatting.time_tag(value) == "Not known"
