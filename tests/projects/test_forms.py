"""The form for every medium × type: what it accepts, what it refuses, what it sends."""

import itertools
from collections.abc import Iterator

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from tests.support.apps import dispose, make_app
from webapp.projects.forms import CreateProjectForm, EditProjectForm
from webapp.rules import projects as rules
from webapp.web.forms import new_submission_id

COMBINATIONS = list(itertools.product(rules.MEDIA_BY_VALUE, rules.IP_TYPES_BY_VALUE))


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One app for every form here: a form only reads it (the words, the rules)."""
    app = make_app(tmp_path_factory.mktemp("forms") / "instance")
    yield app
    dispose(app)


def make_form(app, **fields):
    data = {"submission_id": new_submission_id(), **fields}
    with app.test_request_context(method="POST", data=data):
        form = CreateProjectForm(formdata=MultiDict(data), meta={"csrf": False})
        valid = form.validate()
        return form, valid


def full_answers(medium, ip_type, **extra):
    return {
        "project_name": "  Spring campaign  ",
        "project_description": "For the spring launch",
        "ip_medium": medium,
        "ip_type": ip_type,
        "ip_name": "Captain Smith",
        "ip_description": "a female character with purple hair",
        **extra,
    }


@pytest.mark.parametrize(("medium", "ip_type"), COMBINATIONS)
@pytest.mark.parametrize("version", ["", "fibo", "max", "light", "3.2", "2.3"])
def test_every_allowed_combination_builds_exactly_the_fields_that_apply(
    app, medium, ip_type, version
):
    form, valid = make_form(app, **full_answers(medium, ip_type, training_version=version))
    kind = rules.IP_TYPES_BY_VALUE[ip_type]

    if not kind.allows(medium):
        assert not valid
        assert form.errors == {
            "ip_type": [
                f"“{kind.label}” is available only for illustration: select Illustration, "
                "or choose another type of IP"
            ]
        }
        return
    assert valid, form.errors
    expected = {"project_name": "Spring campaign", "project_description": "For the spring launch"}
    if kind.needs_ip_name:
        expected["ip_name"] = "Captain Smith"
    if kind.needs_ip_description:
        expected["ip_description"] = "a female character with purple hair"
    expected |= {"ip_medium": medium, "ip_type": ip_type}
    if version:
        expected["training_version"] = version
    payload = form.to_payload()
    assert payload == expected
    assert list(payload) == list(expected)  # the API's documented order


def test_empty_optional_fields_are_left_out(app):
    form, valid = make_form(
        app,
        project_name="P",
        ip_medium="photography",
        ip_type="other",
        project_description="   ",
        ip_name="stale",
        ip_description="stale too",
    )
    assert valid
    assert form.to_payload() == {
        "project_name": "P",
        "ip_medium": "photography",
        "ip_type": "other",
    }


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        (
            {},
            {
                "project_name": "Enter a project name",
                "ip_medium": "Select the medium of the IP",
                "ip_type": "Select the type of IP",
            },
        ),
        ({"project_name": "   \t "}, {"project_name": "Enter a project name"}),
        ({"ip_medium": "video"}, {"ip_medium": "Select photography or illustration"}),
        ({"ip_type": "logo"}, {"ip_type": "Select one of the types of IP listed"}),
        (
            {"ip_type": "defined_character", "ip_name": "", "ip_description": ""},
            {
                "ip_name": "Enter the character's name",
                "ip_description": "Enter a short description",
            },
        ),
        (
            {
                "ip_type": "defined_character",
                "ip_name": "Sir Captain John Smith",
                "ip_description": "x",
            },
            {"ip_name": "Character name must be 3 words or fewer"},
        ),
        (
            {"ip_type": "object_variants", "ip_description": "one two three four five six seven"},
            {"ip_description": "Short description must be 6 words or fewer"},
        ),
        (
            {"training_version": "4.0"},
            {"training_version": "Select a training version from the list, or decide later"},
        ),
        (
            {"project_name": "x" * 101},
            {"project_name": "Project name must be 100 characters or fewer"},
        ),
        (
            {"project_name": "a\x00b"},
            {
                "project_name": "Project name has an invisible character in it: type it "
                "again rather than pasting it"
            },
        ),
        (
            {"project_description": "y" * 1001},
            {"project_description": "Project description must be 1000 characters or fewer"},
        ),
    ],
)
def test_each_problem_has_one_plain_message_next_to_its_field(app, fields, errors):
    base = {"project_name": "P", "ip_medium": "illustration", "ip_type": "icons"}
    if not fields:
        base = {}
    form, valid = make_form(app, **{**base, **fields})
    assert not valid
    assert {name: messages[0] for name, messages in form.errors.items()} == errors
    assert all(len(messages) == 1 for messages in form.errors.values())


def test_a_description_with_line_breaks_is_fine(app):
    form, valid = make_form(
        app,
        project_name="P",
        project_description="line one\nline two",
        ip_medium="illustration",
        ip_type="icons",
    )
    assert valid, form.errors


def test_six_words_is_the_most_a_description_may_have(app):
    form, valid = make_form(
        app,
        project_name="P",
        ip_medium="illustration",
        ip_type="object_variants",
        ip_description="  a b  c d e f ",
    )
    assert valid
    assert form.to_payload()["ip_description"] == "a b  c d e f"


def test_a_missing_submission_id_is_a_form_level_problem(app):
    with app.test_request_context(method="POST"):
        form = CreateProjectForm(
            formdata=MultiDict(
                {"project_name": "P", "ip_medium": "illustration", "ip_type": "icons"}
            ),
            meta={"csrf": False},
        )
        assert not form.validate()
        assert form.form_errors == [
            "This form is out of date. Check your answers and select the button again."
        ]


def test_a_pasted_tab_or_line_break_in_a_name_becomes_a_space(app):
    form, valid = make_form(
        app, project_name="Lora\tsummer\r\ncampaign ", ip_medium="illustration", ip_type="icons"
    )
    assert valid, form.errors
    assert form.to_payload()["project_name"] == "Lora summer  campaign"


def test_what_was_typed_is_kept_as_typed_even_for_a_field_the_type_does_not_use(app):
    form, valid = make_form(
        app, project_name=" P ", ip_medium="photography", ip_type="other", ip_name="Lora"
    )
    assert valid
    assert "ip_name" not in form.to_payload()
    assert form.answers()["ip_name"] == "Lora" and form.answers()["project_name"] == " P "


def edit_form(app, ip_type, **fields):
    data = {"submission_id": new_submission_id(), **fields}
    with app.test_request_context(method="POST", data=data):
        form = EditProjectForm(ip_type, formdata=MultiDict(data), meta={"csrf": False})
        return form, form.validate()


@pytest.mark.parametrize(
    ("ip_type", "expected"),
    [
        ("defined_character", {"project_name", "project_description", "ip_name", "ip_description"}),
        ("object_variants", {"project_name", "project_description", "ip_description"}),
        ("icons", {"project_name", "project_description"}),
    ],
)
def test_the_edit_form_sends_only_what_the_projects_type_uses(app, ip_type, expected):
    form, valid = edit_form(
        app,
        ip_type,
        project_name="Renamed",
        project_description="",
        ip_name="Mira",
        ip_description="green hair",
        ip_medium="photography",
    )
    assert valid, form.errors
    changes = form.to_changes()
    assert set(changes) == expected
    assert changes["project_description"] == ""  # emptied on purpose: it is sent


def test_the_edit_form_applies_the_types_rules(app):
    form, valid = edit_form(
        app, "defined_character", project_name="P", ip_name="", ip_description="1 2 3 4 5 6 7"
    )
    assert not valid
    assert form.errors == {
        "ip_name": ["Enter the character's name"],
        "ip_description": ["Short description must be 6 words or fewer"],
    }


@pytest.mark.parametrize("mark", ["\u202e", "\u2066", "\u200f", "\u061c"])
def test_marks_that_reorder_text_are_refused_in_a_name(app, mark):
    form, valid = make_form(
        app, project_name=f"{mark}eno tset", ip_medium="illustration", ip_type="icons"
    )
    assert not valid
    assert "invisible character" in form.errors["project_name"][0]
